/* test_review_tail.c - `tickguard tail --alerts NAME` must check the kind of
 * the segment it attached: a tick segment has no single ring (reading it
 * crashed the command) and a flag segment's records are flags, not alerts
 * (they printed as garbage alerts). Either is one line and exit 1. Runs the
 * real binary ($TG_BIN/tickguard) against segments this test writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"

static char bin[512];

/* Run `tickguard tail --alerts name --count 1`; its wait status. The child
 * arms alarm() before exec, so a command that hangs dies of SIGALRM. */
static int run_tail(const char *name)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		alarm(10);
		execl(bin, bin, "tail", "--alerts", name, "--count", "1", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void check_exit1(int st, const char *what)
{
	if (WIFSIGNALED(st))
		TG_FAIL("tail on %s: killed by signal %d (%s)", what, WTERMSIG(st),
		        strsignal(WTERMSIG(st)));
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
		TG_FAIL("tail on %s: exit status %d, want 1", what, WEXITSTATUS(st));
}

static void t_wrong_kind(void)
{
	if (access(tg_test_bin(bin, sizeof(bin)), X_OK) != 0)
		TG_SKIP("%s not built", bin);
	struct tg_segment_config tc = {.name = "not-alerts",
	                               .kind = TG_SEG_TICKS,
	                               .instruments = 2,
	                               .ring_slots = 2,
	                               .arrival_slots = 2};
	struct tg_segment_config fc = {
	    .name = "flags-not-alerts", .kind = TG_SEG_FLAGS, .ring_slots = 2};
	struct tg_segment *ticks, *flags;
	TG_CHECK_EQ_I64(tg_segment_create(&tc, &ticks), 0);
	TG_CHECK_EQ_I64(tg_segment_create(&fc, &flags), 0);
	if (!ticks || !flags)
		TG_SKIP("cannot create segments");
	tg_segment_publish(ticks);
	struct tg_flag f = {.first_seq = 1, .last_seq = 60, .instrument = 1, .score = 1.0};
	uint64_t words[TG_FLAG_SLOT_WORDS - 1];
	tg_flag_pack(&f, words);
	tg_ring_append(tg_segment_ring_w(flags), words);
	tg_segment_publish(flags);
	check_exit1(run_tail("not-alerts"), "a tick segment");
	check_exit1(run_tail("flags-not-alerts"), "a flag segment");
	tg_segment_destroy(flags, true);
	tg_segment_destroy(ticks, true);
}

int main(void)
{
	tg_shm_test_setup();
	tg_test_case("tail-checks-segment-kind", t_wrong_kind);
	return tg_test_done();
}
