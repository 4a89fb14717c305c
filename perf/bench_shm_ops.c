/* bench_shm_ops.c - ring operations for the Google Benchmark harness
 * (bench_shm.cc), on a real segment. See bench_shm_ops.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perf/bench_shm_ops.h"
#include "shm/shm.h"

struct bench_shm {
	struct tg_segment *seg;
	struct tg_ring *ring;
	char dir[64];
	uint64_t words[TG_TICK_SLOT_WORDS - 1];
};

struct bench_shm *bench_shm_open(uint32_t slots)
{
	struct bench_shm *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	snprintf(b->dir, sizeof(b->dir), "/dev/shm/tg-bench.XXXXXX");
	if (!mkdtemp(b->dir)) {
		free(b);
		return NULL;
	}
	struct tg_segment_config c = {.name = "bench",
	                              .kind = TG_SEG_TICKS,
	                              .instruments = 1,
	                              .ring_slots = slots,
	                              .arrival_slots = 2,
	                              .dir = b->dir};
	if (tg_segment_create(&c, &b->seg)) {
		rmdir(b->dir);
		free(b);
		return NULL;
	}
	tg_segment_add_instrument(b->seg, 1, "BENCH");
	tg_segment_publish(b->seg);
	b->ring = tg_segment_tick_ring_w(b->seg, 0);
	struct tg_tick t = {.price_e4 = 1234500, .shares = 100, .side = 'B'};
	tg_tick_pack(&t, b->words);
	bench_shm_append(b, 2 * (uint64_t)slots);
	return b;
}

void bench_shm_close(struct bench_shm *b)
{
	tg_segment_destroy(b->seg, true);
	rmdir(b->dir);
	free(b);
}

void bench_shm_append(struct bench_shm *b, uint64_t n)
{
	struct tg_ring *r = b->ring;
	for (uint64_t i = 0; i < n; i++) {
		b->words[0] = i; /* the payload changes every tick */
		tg_ring_append(r, b->words);
	}
}

void bench_shm_append_packed(struct bench_shm *b, uint64_t n)
{
	struct tg_ring *r = b->ring;
	uint64_t words[TG_TICK_SLOT_WORDS - 1];
	struct tg_tick t = {.price_e4 = 1234500, .shares = 100, .side = 'B'};
	for (uint64_t i = 0; i < n; i++) {
		t.seq = i;
		t.exch_ts_ns = i * 1000;
		t.price_e4 = 1234500 + (uint32_t)(i & 255);
		tg_tick_pack(&t, words);
		tg_ring_append(r, words);
	}
}

uint64_t bench_shm_window_prices(struct bench_shm *b, uint32_t n)
{
	struct tg_window w;
	if (tg_ring_window_last(b->ring, n, &w))
		return 0;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += tg_window_price_e4(&w, i);
	return tg_ring_window_valid(&w) ? sum : 0;
}

uint64_t bench_shm_window_prices_copy(struct bench_shm *b, uint32_t n)
{
	struct tg_window w;
	uint32_t px[1024];
	if (n > 1024 || tg_ring_window_last(b->ring, n, &w))
		return 0;
	tg_window_prices_e4(&w, px);
	if (!tg_ring_window_valid(&w))
		return 0;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += px[i];
	return sum;
}

uint64_t bench_shm_window_copy(struct bench_shm *b, uint32_t n)
{
	struct tg_window w;
	uint64_t buf[256][TG_TICK_SLOT_WORDS - 1];
	if (n > 256 || tg_ring_window_last(b->ring, n, &w))
		return 0;
	uint32_t i = 0;
	for (uint32_t s = 0; s < w.nspans; s++) { /* span by span, slot by slot */
		const _Atomic(uint64_t) *p = w.span[s].slot;
		for (uint32_t j = 0; j < w.span[s].count; j++, i++, p += TG_TICK_SLOT_WORDS)
			for (uint32_t k = 0; k < TG_TICK_SLOT_WORDS - 1; k++)
				buf[i][k] = atomic_load_explicit(&p[k + 1], memory_order_relaxed);
	}
	if (!tg_ring_window_valid(&w))
		return 0;
	uint64_t sum = 0;
	for (uint32_t t = 0; t < n; t++)
		sum += buf[t][4];
	return sum;
}

uint64_t bench_shm_try_read(struct bench_shm *b)
{
	uint64_t words[TG_TICK_SLOT_WORDS - 1];
	uint64_t h = tg_ring_head(b->ring);
	return tg_ring_try_read(b->ring, h - 1, words) == 0 ? words[4] : 0;
}
