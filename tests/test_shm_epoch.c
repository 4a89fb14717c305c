/* test_shm_epoch.c - writer restarts: a new segment file renamed over the
 * name with epoch + 1. Attached readers keep a valid (old) mapping, learn
 * -ESTALE from tg_segment_check and re-attach to the new epoch; a crashed
 * writer's segment reports -EOWNERDEAD until a new writer replaces it. */
#include <dirent.h>
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/tg_test.h"

static struct tg_segment_config cfg(const char *name)
{
	struct tg_segment_config c = {.name = name,
	                              .kind = TG_SEG_TICKS,
	                              .instruments = 2,
	                              .ring_slots = 8,
	                              .arrival_slots = 8};
	return c;
}

static void append_ticks(struct tg_segment *w, uint64_t n, uint32_t price)
{
	uint64_t words[TG_TICK_SLOT_WORDS - 1];
	struct tg_ring *r = tg_segment_tick_ring_w(w, 0);
	for (uint64_t i = 0; i < n; i++) {
		struct tg_tick t = {.seq = tg_ring_head(r), .price_e4 = price};
		tg_tick_pack(&t, words);
		tg_ring_append(r, words);
	}
}

static int count_files(void)
{
	DIR *d = opendir(tg_shm_test_dir);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void t_restart_same_process(void)
{
	struct tg_segment_config c = cfg("restart");
	struct tg_segment *w = NULL, *r = NULL;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	tg_segment_add_instrument(w, 1, "AAPL");
	append_ticks(w, 5, 111);
	tg_segment_publish(w);
	TG_CHECK_EQ_I64(tg_segment_attach("restart", &r), 0);
	TG_CHECK_EQ_U64(tg_segment_epoch(r), 1);

	tg_segment_destroy(w, false); /* the writer "crashes" and restarts */
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	TG_CHECK_EQ_I64(count_files(), 1); /* renamed over: no temporaries left */
	TG_CHECK_EQ_I64(tg_segment_check(r), -ESTALE);
	struct tg_segment *r2 = NULL;
	TG_CHECK_EQ_I64(tg_segment_attach("restart", &r2), -EAGAIN); /* not published */
	/* the old mapping still reads the old data */
	struct tg_tick t;
	TG_CHECK_EQ_I64(tg_tick_read(tg_segment_tick_ring(r, 0), 4, &t), 0);
	TG_CHECK_EQ_U64(t.price_e4, 111);
	tg_segment_add_instrument(w, 1, "AAPL");
	append_ticks(w, 2, 222);
	tg_segment_publish(w);

	tg_segment_detach(r);
	TG_CHECK_EQ_I64(tg_segment_attach("restart", &r), 0);
	TG_CHECK_EQ_U64(tg_segment_epoch(r), 2);
	TG_CHECK_EQ_I64(tg_segment_check(r), 0);
	TG_CHECK_EQ_U64(tg_ring_head(tg_segment_tick_ring(r, 0)), 2);
	TG_CHECK_EQ_I64(tg_tick_read(tg_segment_tick_ring(r, 0), 1, &t), 0);
	TG_CHECK_EQ_U64(t.price_e4, 222);
	TG_CHECK_EQ_I64(tg_segment_lookup(r, "AAPL"), 0);
	tg_segment_detach(r);
	tg_segment_destroy(w, true);
	TG_CHECK_EQ_I64(count_files(), 0);
}

/* A child process creates (epoch = previous + 1), publishes and exits. */
static pid_t crash_writer(const char *name)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct tg_segment_config c = cfg(name);
		struct tg_segment *w;
		if (tg_segment_create(&c, &w))
			_exit(1);
		append_ticks(w, 3, (uint32_t)getpid());
		tg_segment_publish(w);
		_exit(0);
	}
	int st;
	TG_CHECK_EQ_I64(waitpid(pid, &st, 0), pid);
	TG_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return pid;
}

/* A child that creates and publishes `name`, then lives until *go_fd is
 * closed. */
static pid_t live_writer(const char *name, int *go_fd)
{
	int ready[2], go[2];
	if (pipe(ready) || pipe(go))
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		struct tg_segment_config c = cfg(name);
		struct tg_segment *w;
		char ok = tg_segment_create(&c, &w) == 0;
		if (ok)
			tg_segment_publish(w);
		char b;
		if (write(ready[1], &ok, 1) != 1 || read(go[0], &b, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	char ok = 0;
	TG_CHECK_EQ_I64(read(ready[0], &ok, 1), 1);
	TG_CHECK_EQ_I64(ok, 1);
	close(ready[0]);
	*go_fd = go[1];
	return pid;
}

static void t_restart_other_process(void)
{
	int go, st;
	struct tg_segment *r = NULL, *w = NULL;
	pid_t p0 = live_writer("crashy", &go);
	TG_CHECK_EQ_I64(tg_segment_attach("crashy", &r), 0);
	if (!r)
		return;
	/* another process may not take a live writer's name */
	struct tg_segment_config c = cfg("crashy");
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), -EBUSY);
	close(go); /* the writer dies */
	TG_CHECK_EQ_I64(waitpid(p0, &st, 0), p0);
	TG_CHECK_EQ_I64(tg_segment_check(r), -EOWNERDEAD);

	pid_t p1 = crash_writer("crashy"); /* the restarted writer: epoch 2 */
	TG_CHECK_EQ_I64(tg_segment_check(r), -ESTALE);
	tg_segment_detach(r);
	TG_CHECK_EQ_I64(tg_segment_attach("crashy", &r), -EOWNERDEAD); /* crashed too */

	pid_t p2 = crash_writer("crashy"); /* a dead writer's name is free: epoch 3 */
	TG_CHECK(p2 != p1);
	TG_CHECK_EQ_I64(count_files(), 1);

	/* a live writer again, in this process: epoch 4 */
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	tg_segment_publish(w);
	TG_CHECK_EQ_I64(tg_segment_attach("crashy", &r), 0);
	if (r) {
		TG_CHECK_EQ_U64(tg_segment_epoch(r), 4);
		TG_CHECK_EQ_I64(tg_segment_writer_pid(r), getpid());
		tg_segment_detach(r);
	}
	tg_segment_destroy(w, true);
}

/* The re-attach loop a reader runs on its slow path. */
static void t_reader_follows_epochs(void)
{
	struct tg_segment_config c = cfg("follow");
	struct tg_segment *w = NULL, *r = NULL;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	tg_segment_publish(w);
	TG_CHECK_EQ_I64(tg_segment_attach("follow", &r), 0);
	for (uint64_t epoch = 2; epoch <= 20; epoch++) {
		tg_segment_destroy(w, false);
		TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
		append_ticks(w, epoch, (uint32_t)epoch);
		tg_segment_publish(w);
		int rc = tg_segment_check(r);
		TG_CHECK_EQ_I64(rc, -ESTALE);
		if (rc == -ESTALE) {
			tg_segment_detach(r);
			r = NULL;
			TG_CHECK_EQ_I64(tg_segment_attach("follow", &r), 0);
			if (!r)
				return;
		}
		TG_CHECK_EQ_U64(tg_segment_epoch(r), epoch);
		TG_CHECK_EQ_U64(tg_ring_head(tg_segment_tick_ring(r, 0)), epoch);
	}
	tg_segment_detach(r);
	tg_segment_destroy(w, true);
}

int main(void)
{
	tg_shm_test_setup();
	tg_test_case("restart-same-process", t_restart_same_process);
	tg_test_case("restart-other-process", t_restart_other_process);
	tg_test_case("reader-follows-epochs", t_reader_follows_epochs);
	return tg_test_done();
}
