/* test_review_directory.c - the symbol directory's publication protocol
 * (entry written plainly, then `instruments` stored with release; readers
 * load it with acquire before reading an entry) checked on its own. In
 * test_shm_stress the readers also load the tick ring's head (acquire), and
 * that synchronisation hides a broken directory publication from TSan: with
 * the release on `instruments` made relaxed it still passes. Here the reader
 * touches nothing but the directory, so under TSan a missing release is a
 * reported race.
 *
 * The broken variant (TSan builds only) publishes entries with a relaxed
 * store in a forked child; the child must die of TSan's report (exit 66),
 * which proves TSan covers this pairing. Threads share one mapping, so TSan
 * sees both sides.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/segment_impl.h"
#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/tg_test.h"

#define CAP 2048

struct rig {
	struct tg_segment *seg;
	bool broken;
	_Atomic int reader_running; /* relaxed: a start signal that orders nothing */
	uint64_t bad;               /* entries seen incomplete (reader thread only) */
};

static void symbol_of(uint32_t id, char sym[9])
{
	snprintf(sym, 9, "D%05u", id % 100000u);
}

/* The broken writer: the entry, then a relaxed count (no release). */
static void add_broken(struct tg_segment *seg, uint16_t locate, const char *symbol)
{
	uint32_t n = atomic_load_explicit(&seg->hdr->instruments, memory_order_relaxed);
	struct tg_dir_entry *e = (struct tg_dir_entry *)(void *)(seg->base + seg->hdr->dir_off) + n;
	e->id = (uint16_t)n;
	e->stock_locate = locate;
	memset(e->symbol, ' ', TG_SYMBOL_LEN);
	memcpy(e->symbol, symbol, strnlen(symbol, TG_SYMBOL_LEN));
	atomic_store_explicit(&seg->hdr->instruments, n + 1, memory_order_relaxed); /* BROKEN */
}

static void *writer_main(void *p)
{
	struct rig *g = p;
	while (!atomic_load_explicit(&g->reader_running, memory_order_relaxed))
		sched_yield();
	char sym[9];
	for (uint32_t id = 0; id < CAP; id++) {
		symbol_of(id, sym);
		if (g->broken)
			add_broken(g->seg, (uint16_t)(id + 1), sym);
		else
			tg_segment_add_instrument(g->seg, (uint16_t)(id + 1), sym);
	}
	return NULL;
}

static void *reader_main(void *p)
{
	struct rig *g = p;
	atomic_store_explicit(&g->reader_running, 1, memory_order_relaxed);
	uint32_t seen = 0;
	char sym[9];
	while (seen < CAP) {
		uint32_t n = tg_segment_instruments(g->seg); /* acquire */
		for (; seen < n; seen++) {
			struct tg_instrument_info info;
			symbol_of(seen, sym);
			if (tg_segment_instrument(g->seg, seen, &info) != 0 || info.id != seen ||
			    info.stock_locate != seen + 1 || strcmp(info.symbol, sym) != 0)
				g->bad++;
		}
	}
	return NULL;
}

/* Writer and reader threads on one segment; entries seen incomplete. */
static uint64_t run(bool broken)
{
	struct tg_segment_config c = {.name = "review-dir",
	                              .kind = TG_SEG_TICKS,
	                              .instruments = CAP,
	                              .ring_slots = 2,
	                              .arrival_slots = 2};
	static struct rig g;
	memset(&g, 0, sizeof(g));
	g.broken = broken;
	int rc = tg_segment_create(&c, &g.seg);
	if (rc)
		return UINT64_MAX;
	tg_segment_publish(g.seg);
	pthread_t wt, rt;
	pthread_create(&rt, NULL, reader_main, &g);
	pthread_create(&wt, NULL, writer_main, &g);
	pthread_join(wt, NULL);
	pthread_join(rt, NULL);
	tg_segment_destroy(g.seg, true);
	return g.bad;
}

static void t_correct(void)
{
	TG_CHECK_EQ_U64(run(false), 0);
}

static void t_broken_caught_by_tsan(void)
{
#if !defined(__SANITIZE_THREAD__)
	TG_SKIP("needs TSan (MODE=tsan): on x86 the broken publication is not observable");
#else
	fprintf(stderr, "  (a ThreadSanitizer data race report from the child is expected)\n");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		run(true);
		_exit(0); /* TSan exits 66 at its first report (halt_on_error) or at exit */
	}
	int st = 0;
	TG_CHECK_EQ_I64(waitpid(pid, &st, 0), pid);
	TG_CHECK(WIFEXITED(st));
	TG_CHECK_EQ_I64(WEXITSTATUS(st), 66); /* TSan's exitcode: the race was reported */
#endif
}

int main(void)
{
	tg_shm_test_setup();
	tg_test_case("directory-publication", t_correct);
	tg_test_case("broken-publication-caught-by-tsan", t_broken_caught_by_tsan);
	return tg_test_done();
}
