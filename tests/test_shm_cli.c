/* test_shm_cli.c - `tickguard shm ls|rm` as a person runs it: the real
 * binary on a private TG_SHM_DIR with one live and one dead writer's
 * segment. Skips when the binary is not built. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"

static char bin[512];

/* Run `tickguard <args>`, capture stdout+stderr into out; exit status. */
static int run(const char *args, char *out, size_t len)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", bin, args);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, len - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct tg_segment_config cfg(const char *name)
{
	struct tg_segment_config c = {
	    .name = name, .kind = TG_SEG_FLAGS, .ring_slots = 8, .counters = 0};
	return c;
}

static void t_ls_rm(void)
{
	char out[8192];
	TG_CHECK_EQ_I64(run("shm ls", out, sizeof(out)), 0);
	TG_CHECK(strstr(out, "no tickguard segments") != NULL);

	struct tg_segment_config c = cfg("live-one");
	struct tg_segment *w = NULL;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	tg_segment_publish(w);
	pid_t pid = fork();
	if (pid == 0) {
		struct tg_segment_config d = cfg("dead-one");
		struct tg_segment *x;
		_exit(tg_segment_create(&d, &x) == 0 ? 0 : 1);
	}
	int st;
	TG_CHECK_EQ_I64(waitpid(pid, &st, 0), pid);

	TG_CHECK_EQ_I64(run("shm ls", out, sizeof(out)), 0);
	fputs(out, stderr);
	char *live = strstr(out, "live-one"), *dead = strstr(out, "dead-one");
	TG_CHECK(live && dead);
	if (live && dead) {
		TG_CHECK(strstr(live, "alive") != NULL &&
		         strstr(live, "alive") < strchr(live, '\n'));
		TG_CHECK(strstr(dead, "dead") != NULL);
	}

	TG_CHECK_EQ_I64(run("shm rm live-one", out, sizeof(out)), 1);
	TG_CHECK(strstr(out, "live writer") != NULL);
	TG_CHECK_EQ_I64(run("shm rm --stale", out, sizeof(out)), 0);
	TG_CHECK(strstr(out, "dead-one") != NULL);
	TG_CHECK(strstr(out, "live-one") == NULL);
	TG_CHECK_EQ_I64(run("shm ls", out, sizeof(out)), 0);
	TG_CHECK(strstr(out, "dead-one") == NULL);
	TG_CHECK(strstr(out, "live-one") != NULL);
	TG_CHECK_EQ_I64(run("shm rm --force live-one", out, sizeof(out)), 0);
	TG_CHECK_EQ_I64(run("shm rm live-one", out, sizeof(out)), 1);
	TG_CHECK(strstr(out, "not found") != NULL);
	tg_segment_destroy(w, true);
}

static void t_usage(void)
{
	char out[8192];
	TG_CHECK_EQ_I64(run("shm --help", out, sizeof(out)), 0);
	TG_CHECK(strstr(out, "usage: tickguard shm") != NULL);
	TG_CHECK_EQ_I64(run("shm", out, sizeof(out)), 2);
	TG_CHECK_EQ_I64(run("shm frobnicate", out, sizeof(out)), 2);
	TG_CHECK_EQ_I64(run("shm rm", out, sizeof(out)), 2);
	TG_CHECK_EQ_I64(run("shm rm --stale x", out, sizeof(out)), 2);
	TG_CHECK_EQ_I64(run("shm ls extra", out, sizeof(out)), 2);
	TG_CHECK(strchr(out, '\n') == out + strlen(out) - 1); /* one line */
}

int main(void)
{
	tg_shm_test_setup();
	if (access(tg_test_bin(bin, sizeof(bin)), X_OK) != 0) {
		fprintf(stderr, "SKIP: %s not built\n", bin);
		printf("tg-test: 0 passed, 0 failed, 1 skipped\n");
		return 77;
	}
	tg_test_case("ls-rm", t_ls_rm);
	tg_test_case("usage", t_usage);
	return tg_test_done();
}
