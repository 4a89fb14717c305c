/* rng.h - the one deterministic random number generator: xoshiro256**
 * seeded through splitmix64. feedsim's synthetic market, model weight
 * initialisation and training's shuffles all draw from it, so a seed gives
 * bit-identical sequences everywhere (tests hash them). Header-only, no
 * state beyond the caller's struct; not thread-safe per struct. */
#ifndef TG_RNG_H
#define TG_RNG_H

#include <math.h>
#include <stdint.h>

struct tg_rng {
	uint64_t s[4];
};

static inline uint64_t tg_rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void tg_rng_seed(struct tg_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = tg_rng_splitmix64(&seed);
}

static inline uint64_t tg_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t tg_rng_next(struct tg_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = tg_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = tg_rng_rotl(s[3], 45);
	return res;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double tg_rng_uniform(struct tg_rng *r)
{
	return (double)(tg_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in (0, 1): the 53-bit grid shifted by half a step, never 0. */
static inline double tg_rng_unit_open(struct tg_rng *r)
{
	return ((double)(tg_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* Box-Muller from two uniforms; u1 is clamped away from 0 (log). */
static inline double tg_rng_box_muller(double u1, double u2)
{
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* N(0, 1) from two [0, 1) uniforms. */
static inline double tg_rng_normal(struct tg_rng *r)
{
	double u1 = tg_rng_uniform(r), u2 = tg_rng_uniform(r);
	return tg_rng_box_muller(u1, u2);
}

/* Uniform in [0, n), unbiased (Lemire's multiply-shift with rejection). */
static inline uint64_t tg_rng_below(struct tg_rng *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)tg_rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t t = -n % n;
		while (lo < t) {
			m = (unsigned __int128)tg_rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

#endif
