/* bench_shm_ops.h - the C side of the shm benchmarks. tickguard.h uses C11
 * _Atomic, which C++17 cannot include, so bench_shm.cc calls these plain C
 * functions and never sees a ring. */
#ifndef TG_BENCH_SHM_OPS_H
#define TG_BENCH_SHM_OPS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bench_shm;

/* A tick segment with one instrument ring of `slots` slots, prefilled with
 * 2*slots ticks, in a private directory under /dev/shm. NULL on error. */
struct bench_shm *bench_shm_open(uint32_t slots);
void bench_shm_close(struct bench_shm *b);
/* Append n ticks from ready-made payload words (the ring cost alone). */
void bench_shm_append(struct bench_shm *b, uint64_t n);
/* Append n ticks packed from struct tg_tick (what the gateway does). */
void bench_shm_append_packed(struct bench_shm *b, uint64_t n);
/* Take the last `n` ticks in place, sum their prices, validate. Returns
 * the sum (0 if the window failed validation). */
uint64_t bench_shm_window_prices(struct bench_shm *b, uint32_t n);
/* Same, through tg_window_prices_e4 (prices copied out, then validated). */
uint64_t bench_shm_window_prices_copy(struct bench_shm *b, uint32_t n);
/* Same, copying all payload words of the window out before validating. */
uint64_t bench_shm_window_copy(struct bench_shm *b, uint32_t n);
/* Validated copy of the newest tick (tg_ring_try_read). */
uint64_t bench_shm_try_read(struct bench_shm *b);

#ifdef __cplusplus
}
#endif
#endif
