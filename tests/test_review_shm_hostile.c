/* test_review_shm_hostile.c - a reader must survive a segment whose shared
 * fields lie. Attach validates the header's geometry once, but the
 * directory count (`instruments`) is a live shared field the writer keeps
 * storing: a corrupt or hostile count must never walk a reader off its
 * mapping. Each probe runs in a forked child, so a crash is a failed check
 * here and not a dead test program.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/segment_impl.h"
#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/tg_test.h"

#define CAP 4

/* Run fn(seg) in a child; returns its wait status. */
static int in_child(const struct tg_segment *seg, int (*fn)(const struct tg_segment *))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(seg));
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/* Every directory call a reader makes; exit 0 if all behaved. */
static int probe_directory(const struct tg_segment *seg)
{
	int bad = 0;
	uint32_t n = tg_segment_instruments(seg);
	bad += n > CAP;
	bad += tg_segment_lookup(seg, "NOSUCH") != -ENOENT;
	bad += tg_segment_lookup(seg, "AAA") != 0;
	struct tg_instrument_info info;
	for (uint32_t id = 0; id < n; id++) /* a reader walking the directory */
		tg_segment_instrument(seg, id, &info);
	bad += tg_segment_instrument(seg, 1000000, &info) != -ENOENT;
	return bad ? 1 : 0;
}

static void check_child(int st)
{
	if (WIFSIGNALED(st))
		TG_FAIL("reader killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		TG_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void t_corrupt_instrument_count(void)
{
	struct tg_segment_config c = {.name = "hostile",
	                              .kind = TG_SEG_TICKS,
	                              .instruments = CAP,
	                              .ring_slots = 2,
	                              .arrival_slots = 2};
	struct tg_segment *w, *r;
	int rc = tg_segment_create(&c, &w);
	TG_CHECK_EQ_I64(rc, 0);
	if (rc)
		TG_SKIP("cannot create a segment: %s", tg_strerror(rc));
	TG_CHECK_EQ_I64(tg_segment_add_instrument(w, 7, "AAA"), 0);
	tg_segment_publish(w);
	TG_CHECK_EQ_I64(tg_segment_attach("hostile", &r), 0);
	if (!r)
		return;
	TG_CHECK_EQ_U64(tg_segment_instruments(r), 1);
	check_child(in_child(r, probe_directory));
	/* the writer (or anything that can write the file) stores a count far
	 * beyond the directory: 16 B entries x 2^32 run far off the mapping */
	atomic_store_explicit(&w->hdr->instruments, 0xfffffff0u, memory_order_release);
	check_child(in_child(r, probe_directory));
	atomic_store_explicit(&w->hdr->instruments, CAP + 1, memory_order_release);
	TG_CHECK_EQ_U64(tg_segment_instruments(r), CAP);
	/* a re-attach sees the same count and copes the same way */
	struct tg_segment *r2;
	TG_CHECK_EQ_I64(tg_segment_attach("hostile", &r2), 0);
	if (r2) {
		atomic_store_explicit(&w->hdr->instruments, 0xfffffff0u, memory_order_release);
		check_child(in_child(r2, probe_directory));
		tg_segment_detach(r2);
	}
	tg_segment_detach(r);
	tg_segment_destroy(w, true);
}

/* window_at with a first sequence near 2^64: `first + n` wrapped and the
 * window was handed out (0) instead of -EAGAIN. */
static void t_window_at_wrap(void)
{
	struct tg_segment_config c = {.name = "wrap", .kind = TG_SEG_FLAGS, .ring_slots = 8};
	struct tg_segment *w;
	int rc = tg_segment_create(&c, &w);
	TG_CHECK_EQ_I64(rc, 0);
	if (rc)
		TG_SKIP("cannot create a segment: %s", tg_strerror(rc));
	struct tg_ring *r = tg_segment_ring_w(w);
	uint64_t words[TG_FLAG_SLOT_WORDS - 1] = {0};
	for (int i = 0; i < 3; i++)
		tg_ring_append(r, words);
	struct tg_window win;
	TG_CHECK_EQ_I64(tg_ring_window_at(r, UINT64_MAX - 1, 4, &win), -EAGAIN);
	TG_CHECK_EQ_I64(tg_ring_window_at(r, 1, 3, &win), -EAGAIN);
	TG_CHECK_EQ_I64(tg_ring_window_at(r, 0, 3, &win), 0);
	TG_CHECK_EQ_I64(tg_ring_window_at(r, 0, 4, &win), -EAGAIN);
	tg_segment_destroy(w, true);
}

int main(void)
{
	tg_shm_test_setup();
	tg_test_case("corrupt-instrument-count", t_corrupt_instrument_count);
	tg_test_case("window-at-wrap", t_window_at_wrap);
	return tg_test_done();
}
