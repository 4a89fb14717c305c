/* test_shm_ring.c - ring semantics in one process, on a real segment:
 * wrap-around, windows across the wrap (two spans), lap detection and the
 * error returns of window_at/window_last/try_read. Concurrency is
 * test_shm_stress's job. */
#include <errno.h>

#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/tg_test.h"

#define SLOTS 16

static struct tg_segment *seg;
static struct tg_ring *ring;

static struct tg_tick tick_of(uint64_t seq)
{
	struct tg_tick t = {
	    .seq = seq,
	    .exch_ts_ns = 34200000000000ull + seq * 1000,
	    .recv_ts_ns = 1700000000000000000ull + seq,
	    .match_no = seq * 7 + 1,
	    .price_e4 = (uint32_t)(1000000 + seq * 100),
	    .shares = (uint32_t)(seq % 1000 + 1),
	    .instrument = 2,
	    .side = seq & 1 ? 'B' : 'S',
	    .flags = TG_TICK_SYNTH,
	};
	return t;
}

static void append_to(uint64_t n)
{
	uint64_t words[TG_TICK_SLOT_WORDS - 1];
	for (uint64_t s = tg_ring_head(ring); s < n; s++) {
		struct tg_tick t = tick_of(s);
		tg_tick_pack(&t, words);
		TG_CHECK_EQ_U64(tg_ring_append(ring, words), s);
	}
}

static void check_window(const struct tg_window *w, uint64_t first, uint32_t n)
{
	TG_CHECK_EQ_U64(w->first_seq, first);
	TG_CHECK_EQ_U64(w->count, n);
	TG_CHECK_EQ_U64(w->span[0].count + (w->nspans > 1 ? w->span[1].count : 0), n);
	uint32_t px[SLOTS];
	tg_window_prices_e4(w, px);
	for (uint32_t i = 0; i < n; i++) {
		TG_CHECK_EQ_U64(tg_window_word(w, i, 1), first + i);
		TG_CHECK_EQ_U64(tg_window_price_e4(w, i), tick_of(first + i).price_e4);
		TG_CHECK_EQ_U64(px[i], tick_of(first + i).price_e4);
	}
	TG_CHECK(tg_ring_window_valid(w));
}

static void t_empty(void)
{
	struct tg_window w;
	uint64_t words[TG_TICK_SLOT_WORDS - 1];
	TG_CHECK_EQ_U64(tg_ring_head(ring), 0);
	TG_CHECK_EQ_I64(tg_ring_window_last(ring, 1, &w), -EAGAIN);
	TG_CHECK_EQ_I64(tg_ring_window_last(ring, 0, &w), -EINVAL);
	TG_CHECK_EQ_I64(tg_ring_window_last(ring, SLOTS + 1, &w), -EINVAL);
	TG_CHECK_EQ_I64(tg_ring_try_read(ring, 0, words), -EAGAIN);
	TG_CHECK_EQ_U64(tg_ring_lapped(ring, 0), 0);
}

static void t_fill_and_read(void)
{
	struct tg_window w;
	struct tg_tick t;
	append_to(10);
	TG_CHECK_EQ_U64(tg_ring_head(ring), 10);
	TG_CHECK_EQ_I64(tg_ring_window_last(ring, 10, &w), 0);
	TG_CHECK_EQ_U64(w.nspans, 1);
	check_window(&w, 0, 10);
	TG_CHECK_EQ_I64(tg_ring_window_last(ring, 11, &w), -EAGAIN);
	TG_CHECK_EQ_I64(tg_tick_read(ring, 9, &t), 0);
	TG_CHECK_EQ_U64(t.seq, 9);
	TG_CHECK_EQ_U64(t.match_no, 64);
	TG_CHECK_EQ_U64(t.side, 'B');
	TG_CHECK_EQ_I64(tg_tick_read(ring, 10, &t), -EAGAIN);
	TG_CHECK_EQ_I64(tg_ring_window_at(ring, 5, 5, &w), 0);
	check_window(&w, 5, 5);
	TG_CHECK_EQ_I64(tg_ring_window_at(ring, 5, 6, &w), -EAGAIN);
}

static void t_wrap(void)
{
	struct tg_window w;
	struct tg_tick t;
	append_to(3 * SLOTS + 5); /* wrapped three times; head slot index 5 */
	/* the whole ring: two spans, [5..15] then [0..4] */
	TG_CHECK_EQ_I64(tg_ring_window_last(ring, SLOTS, &w), 0);
	TG_CHECK_EQ_U64(w.nspans, 2);
	TG_CHECK_EQ_U64(w.span[0].count, SLOTS - 5);
	TG_CHECK_EQ_U64(w.span[1].count, 5);
	TG_CHECK(w.span[1].slot == tg_ring_slot(ring, 0));
	check_window(&w, 2 * SLOTS + 5, SLOTS);
	/* a window ending exactly at the end of the array: one span */
	TG_CHECK_EQ_I64(tg_ring_window_at(ring, 2 * SLOTS + 10, 6, &w), 0);
	TG_CHECK_EQ_U64(w.nspans, 1);
	check_window(&w, 2 * SLOTS + 10, 6);
	/* one starting at slot 0 */
	TG_CHECK_EQ_I64(tg_ring_window_at(ring, 3 * SLOTS, 5, &w), 0);
	TG_CHECK_EQ_U64(w.nspans, 1);
	check_window(&w, 3 * SLOTS, 5);
	/* across the wrap, short */
	TG_CHECK_EQ_I64(tg_ring_window_at(ring, 3 * SLOTS - 2, 4, &w), 0);
	TG_CHECK_EQ_U64(w.nspans, 2);
	check_window(&w, 3 * SLOTS - 2, 4);
	/* everything older than a ring is gone */
	TG_CHECK_EQ_I64(tg_ring_window_at(ring, 2 * SLOTS + 4, 3, &w), -ENODATA);
	TG_CHECK_EQ_I64(tg_tick_read(ring, 2 * SLOTS + 4, &t), -ENODATA);
	TG_CHECK_EQ_I64(tg_tick_read(ring, 2 * SLOTS + 5, &t), 0);
	TG_CHECK_EQ_U64(t.price_e4, tick_of(2 * SLOTS + 5).price_e4);
}

static void t_overwritten_window(void)
{
	/* A window taken, then overwritten before validation: never valid. */
	struct tg_window w;
	uint64_t h = tg_ring_head(ring);
	TG_CHECK_EQ_I64(tg_ring_window_last(ring, 8, &w), 0);
	TG_CHECK(tg_ring_window_valid(&w));
	append_to(h + SLOTS - 8 + 1); /* overwrites the window's oldest record */
	TG_CHECK(!tg_ring_window_valid(&w));
	/* the slot shows the newer record, which is what a torn read is */
	TG_CHECK(tg_window_word(&w, 0, 1) != w.first_seq);
	struct tg_reader_stats st = {0};
	TG_CHECK(!tg_ring_window_valid_count(&w, &st));
	TG_CHECK_EQ_I64(tg_ring_window_last(ring, 8, &w), 0);
	TG_CHECK(tg_ring_window_valid_count(&w, &st));
	TG_CHECK_EQ_U64(st.reads, 2);
	TG_CHECK_EQ_U64(st.retries, 1);
	/* a slot in the middle of a write (odd stamp) is invalid too */
	_Atomic uint64_t *slot = &ring->slots[((w.first_seq + 7) % SLOTS) * TG_TICK_SLOT_WORDS];
	uint64_t stamp = atomic_load(slot);
	atomic_store(slot, stamp - 1);
	TG_CHECK(!tg_ring_window_valid(&w));
	uint64_t words[TG_TICK_SLOT_WORDS - 1];
	TG_CHECK_EQ_I64(tg_ring_try_read(ring, w.first_seq + 7, words), -EAGAIN);
	atomic_store(slot, stamp);
	TG_CHECK(tg_ring_window_valid(&w));
}

static void t_lapped(void)
{
	struct tg_reader_stats st = {0};
	uint64_t h = tg_ring_head(ring);
	uint64_t next = h - 3; /* a reader 3 behind: nothing lost */
	TG_CHECK_EQ_U64(tg_ring_lapped(ring, next), 0);
	append_to(h + SLOTS); /* now SLOTS + 3 behind: 3 lost */
	TG_CHECK_EQ_U64(tg_ring_lapped(ring, next), 3);
	TG_CHECK_EQ_U64(tg_ring_catch_up(ring, &next, &st), 3);
	TG_CHECK_EQ_U64(st.laps, 3);
	TG_CHECK_EQ_U64(next, tg_ring_head(ring) - SLOTS);
	TG_CHECK_EQ_U64(tg_ring_lapped(ring, next), 0);
	struct tg_tick t;
	TG_CHECK_EQ_I64(tg_tick_read(ring, next, &t), 0);
	TG_CHECK_EQ_I64(tg_tick_read(ring, next - 1, &t), -ENODATA);
	/* far behind: a million lost, counted exactly */
	append_to(tg_ring_head(ring) + 1000000);
	TG_CHECK_EQ_U64(tg_ring_catch_up(ring, &next, &st), 1000000);
	TG_CHECK_EQ_U64(st.laps, 1000003);
}

static void t_arrival_ring(void)
{
	struct tg_ring *a = tg_segment_arrival_ring_w(seg);
	uint64_t words[TG_ARRIVAL_SLOT_WORDS - 1];
	for (uint64_t i = 0; i < 40; i++) {
		struct tg_arrival ar = {
		    .tick_seq = i / 4, .exch_ts_ns = i, .instrument = (uint16_t)(i % 4)};
		tg_arrival_pack(&ar, words);
		tg_ring_append(a, words);
	}
	struct tg_window w;
	TG_CHECK_EQ_I64(tg_ring_window_last(a, 32, &w), 0);
	TG_CHECK_EQ_U64(w.nspans, 2);
	for (uint32_t i = 0; i < 32; i++) {
		uint64_t k = 8 + i;
		TG_CHECK_EQ_U64(tg_window_word(&w, i, 1), k / 4);
		TG_CHECK_EQ_U64(tg_window_word(&w, i, 3) & 0xffff, k % 4);
	}
	TG_CHECK(tg_ring_window_valid(&w));
}

int main(void)
{
	tg_shm_test_setup();
	struct tg_segment_config c = {.name = "ring",
	                              .kind = TG_SEG_TICKS,
	                              .instruments = 4,
	                              .ring_slots = SLOTS,
	                              .arrival_slots = 32};
	int rc = tg_segment_create(&c, &seg);
	if (rc) {
		fprintf(stderr, "create: %s\n", tg_strerror(rc));
		return 1;
	}
	tg_segment_publish(seg);
	ring = tg_segment_tick_ring_w(seg, 2);
	tg_test_case("empty", t_empty);
	tg_test_case("fill-and-read", t_fill_and_read);
	tg_test_case("wrap", t_wrap);
	tg_test_case("overwritten-window", t_overwritten_window);
	tg_test_case("lapped", t_lapped);
	tg_test_case("arrival-ring", t_arrival_ring);
	tg_segment_destroy(seg, true);
	return tg_test_done();
}
