/* test_review_try_read.c - the single-record seqlock read (tg_ring_try_read:
 * stamp acquire, copy, fence, stamp recheck) under fire. Every consumer of
 * arrival, flag and alert rings (scorer, publisher, tail, the example) reads
 * with it, yet test_shm_stress exercises only in-place windows. A writer
 * thread appends records whose every word is a function of the sequence to
 * a tiny ring; readers read the record the writer is about to overwrite.
 * Every record try_read accepts must be intact.
 *
 * The broken variant is the same read without the recheck (R4-R5): it must
 * accept torn records, which proves the test can fail. Threads share one
 * mapping so TSan sees every access (all atomic, so it must stay quiet).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "common/tg_common.h"
#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/tg_test.h"

#define SLOTS   8
#define READERS 2
#define NW      (TG_FLAG_SLOT_WORDS - 1) /* 15 payload words: a long copy */

struct rig {
	struct tg_ring *ring;
	_Atomic int stop; /* writer -> readers, relaxed: orders nothing */
	bool broken;
	uint64_t appends; /* records the writer appends */
	struct {
		uint64_t accepted, torn, nodata, again;
	} res[READERS];
};

static uint64_t word_of(uint64_t seq, uint32_t k)
{
	return (seq + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)k << 56);
}

/* tg_ring_try_read without steps R4-R5: the deliberately broken reader. */
static int try_read_unchecked(const struct tg_ring *r, uint64_t seq, uint64_t *out)
{
	const _Atomic uint64_t *slot = tg_ring_slot(r, seq);
	uint64_t want = 2 * seq + 2;
	uint64_t s1 = atomic_load_explicit(&slot[0], memory_order_acquire);
	if (s1 != want)
		return s1 < want ? -EAGAIN : -ENODATA;
	for (uint32_t i = 1; i < r->slot_words; i++)
		out[i - 1] = atomic_load_explicit(&slot[i], memory_order_relaxed);
	return 0;
}

static void *writer_main(void *p)
{
	struct rig *g = p;
	uint64_t words[NW];
	for (uint64_t seq = 0; seq < g->appends; seq++) {
		for (uint32_t k = 0; k < NW; k++)
			words[k] = word_of(seq, k);
		tg_ring_append(g->ring, words);
	}
	atomic_store_explicit(&g->stop, 1, memory_order_relaxed);
	return NULL;
}

struct reader_arg {
	struct rig *g;
	int idx;
};

static void *reader_main(void *p)
{
	struct reader_arg *a = p;
	struct rig *g = a->g;
	uint64_t words[NW];
	for (uint64_t iter = 0; !atomic_load_explicit(&g->stop, memory_order_relaxed); iter++) {
		uint64_t h = tg_ring_head(g->ring);
		if (h < SLOTS)
			continue;
		/* the oldest record held: the writer's next append overwrites it */
		uint64_t seq = h - SLOTS + (iter & 1);
		int rc = g->broken ? try_read_unchecked(g->ring, seq, words)
		                   : tg_ring_try_read(g->ring, seq, words);
		if (rc == -ENODATA) {
			g->res[a->idx].nodata++;
			continue;
		}
		if (rc) {
			g->res[a->idx].again++;
			continue;
		}
		g->res[a->idx].accepted++;
		for (uint32_t k = 0; k < NW; k++)
			if (words[k] != word_of(seq, k)) {
				g->res[a->idx].torn++;
				break;
			}
		if (g->broken && g->res[a->idx].torn)
			break; /* seen what it had to see */
	}
	return NULL;
}

static void run(bool broken, uint64_t *accepted, uint64_t *torn, uint64_t *nodata)
{
	struct tg_segment_config c = {
	    .name = "review-flags", .kind = TG_SEG_FLAGS, .ring_slots = SLOTS};
	struct tg_segment *seg;
	int rc = tg_segment_create(&c, &seg);
	TG_CHECK_EQ_I64(rc, 0);
	if (rc)
		TG_SKIP("cannot create a segment: %s", tg_strerror(rc));
	tg_segment_publish(seg);
	static struct rig g;
	memset(&g, 0, sizeof(g));
	g.ring = tg_segment_ring_w(seg);
	g.broken = broken;
	double s = tg_test_scale();
	g.appends = (uint64_t)(2e7 * (s > 0 ? s : 1)) + 100000;
	pthread_t wt, rt[READERS];
	struct reader_arg ra[READERS];
	pthread_create(&wt, NULL, writer_main, &g);
	for (int i = 0; i < READERS; i++) {
		ra[i] = (struct reader_arg){&g, i};
		pthread_create(&rt[i], NULL, reader_main, &ra[i]);
	}
	pthread_join(wt, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(rt[i], NULL);
	*accepted = *torn = *nodata = 0;
	for (int i = 0; i < READERS; i++) {
		*accepted += g.res[i].accepted;
		*torn += g.res[i].torn;
		*nodata += g.res[i].nodata;
	}
	fprintf(stderr, "  %s: %llu accepted, %llu torn, %llu overwritten (-ENODATA)\n",
	        broken ? "broken (no recheck)" : "tg_ring_try_read", (unsigned long long)*accepted,
	        (unsigned long long)*torn, (unsigned long long)*nodata);
	tg_segment_destroy(seg, true);
}

static void t_correct(void)
{
	uint64_t accepted, torn, nodata;
	run(false, &accepted, &torn, &nodata);
	TG_CHECK_EQ_U64(torn, 0);
	TG_CHECK(accepted > 0);
	TG_CHECK(nodata > 0); /* the recheck was exercised, not idle */
}

static void t_broken(void)
{
	uint64_t accepted, torn = 0, nodata;
	for (int attempt = 0; attempt < 5 && torn == 0; attempt++)
		run(true, &accepted, &torn, &nodata);
	TG_CHECK(torn > 0); /* the test can fail: an unchecked copy tears */
}

int main(void)
{
	tg_shm_test_setup();
	tg_test_case("try-read-never-torn", t_correct);
	tg_test_case("broken-try-read-sees-torn", t_broken);
	return tg_test_done();
}
