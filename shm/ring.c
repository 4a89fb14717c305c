/* ring.c - the reader steps of the seqlock ring protocol specified at the
 * top of include/tickguard/tickguard.h: windows in place (R1-R2; the caller
 * validates with tg_ring_window_valid, R4-R5) and the validated copy of one
 * record. No syscalls, no allocation: hot path.
 */
#include <errno.h>

#include <tickguard/tickguard.h>

static void window_fill(const struct tg_ring *r, uint64_t first, uint32_t n, struct tg_window *w)
{
	uint64_t idx = first & (r->capacity - 1);
	uint64_t to_end = r->capacity - idx;
	w->first_seq = first;
	w->count = n;
	w->slot_words = r->slot_words;
	w->span[0].slot = &r->slots[idx * r->slot_words];
	if (n <= to_end) {
		w->nspans = 1;
		w->span[0].count = n;
		w->span[1].slot = NULL;
		w->span[1].count = 0;
	} else {
		w->nspans = 2;
		w->span[0].count = (uint32_t)to_end;
		w->span[1].slot = &r->slots[0];
		w->span[1].count = n - (uint32_t)to_end;
	}
}

int tg_ring_window_last(const struct tg_ring *r, uint32_t n, struct tg_window *w)
{
	if (n == 0 || n > r->capacity)
		return -EINVAL;
	uint64_t h = tg_ring_head(r); /* R1: acquire, pairs with W5 */
	if (h < n)
		return -EAGAIN;
	window_fill(r, h - n, n, w);
	return 0;
}

int tg_ring_window_at(const struct tg_ring *r, uint64_t first, uint32_t n, struct tg_window *w)
{
	if (n == 0 || n > r->capacity)
		return -EINVAL;
	uint64_t h = tg_ring_head(r); /* R1: acquire, pairs with W5 */
	if (n > h || first > h - n)   /* first + n > h, without wrapping */
		return -EAGAIN;
	if (h > r->capacity && first < h - r->capacity)
		return -ENODATA;
	window_fill(r, first, n, w);
	return 0;
}

int tg_ring_try_read(const struct tg_ring *r, uint64_t seq, uint64_t *out_words)
{
	const _Atomic uint64_t *slot = tg_ring_slot(r, seq);
	uint64_t want = 2 * seq + 2;
	/* acquire pairs with the writer's W4 release store of this stamp: the
	 * payload of record `seq` is visible once we see it */
	uint64_t s1 = atomic_load_explicit(&slot[0], memory_order_acquire);
	if (s1 != want)
		return s1 < want ? -EAGAIN : -ENODATA;
	for (uint32_t i = 1; i < r->slot_words; i++) /* R3 */
		out_words[i - 1] = atomic_load_explicit(&slot[i], memory_order_relaxed);
	TG_TSAN_FENCE_BEGIN
	atomic_thread_fence(memory_order_acquire); /* R4: pairs with the writer's W2 */
	TG_TSAN_FENCE_END
	uint64_t s2 = atomic_load_explicit(&slot[0], memory_order_relaxed); /* R5 */
	return s2 == want ? 0 : -ENODATA;
}

int tg_tick_read(const struct tg_ring *r, uint64_t seq, struct tg_tick *t)
{
	uint64_t w[TG_TICK_SLOT_WORDS - 1];
	if (r->slot_words != TG_TICK_SLOT_WORDS)
		return -EINVAL;
	int rc = tg_ring_try_read(r, seq, w);
	if (rc == 0)
		tg_tick_unpack(w, t);
	return rc;
}
