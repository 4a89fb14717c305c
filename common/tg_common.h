/* tg_common.h - small helpers every part may use: clocks, array size,
 * cache-line alignment, a double's bit pattern. No state, no allocation. */
#ifndef TG_COMMON_H
#define TG_COMMON_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#define TG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TG_ALIGNED_CL    __attribute__((aligned(64)))

static inline uint64_t tg_clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
/* Wall clock (what receive/emit timestamps use; vDSO, no syscall). */
static inline uint64_t tg_realtime_ns(void)
{
	return tg_clock_ns(CLOCK_REALTIME);
}
/* Monotonic clock for intervals and timeouts. */
static inline uint64_t tg_monotonic_ns(void)
{
	return tg_clock_ns(CLOCK_MONOTONIC);
}

/* A double's IEEE-754 bits and back (records in rings and on the wire). */
static inline uint64_t tg_double_bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}
static inline double tg_bits_double(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

#endif
