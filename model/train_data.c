/* train_data.c - cutting price series into scaled windows (see train_data.h). */
#include "model/train_data.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void tg_winset_init(struct tg_winset *s, uint32_t window)
{
	memset(s, 0, sizeof(*s));
	s->window = window;
}

void tg_winset_free(struct tg_winset *s)
{
	free(s->v);
	free(s->starts);
	free(s->instrument);
	free(s->first_tick);
	memset(s, 0, sizeof(*s));
}

static int grow(struct tg_winset *s)
{
	uint64_t cap = s->cap ? s->cap * 2 : 1024;
	float *v = realloc(s->v, cap * s->window * sizeof(float));
	if (!v)
		return -ENOMEM;
	s->v = v;
	uint64_t *st = realloc(s->starts, cap * sizeof(uint64_t));
	if (!st)
		return -ENOMEM;
	s->starts = st;
	uint32_t *in = realloc(s->instrument, cap * sizeof(uint32_t));
	if (!in)
		return -ENOMEM;
	s->instrument = in;
	uint64_t *ft = realloc(s->first_tick, cap * sizeof(uint64_t));
	if (!ft)
		return -ENOMEM;
	s->first_tick = ft;
	s->cap = cap;
	return 0;
}

static bool marked(const uint8_t *skip, size_t k, size_t w)
{
	if (!skip)
		return false;
	for (size_t t = k; t < k + w; t++)
		if (skip[t])
			return true;
	return false;
}

int tg_winset_add(struct tg_winset *s, const struct tg_scaler *sc, uint32_t group,
                  uint32_t instrument, const double *px, size_t lo, size_t hi, uint32_t stride,
                  const uint8_t *skip)
{
	const size_t w = s->window;
	if (!stride || tg_scaler_window(sc) != w)
		return -EINVAL;
	for (size_t k = lo; k + w <= hi; k += stride) {
		if (marked(skip, k, w)) {
			s->skipped++;
			continue;
		}
		if (s->n == s->cap && grow(s) < 0)
			return -ENOMEM;
		float *out = s->v + s->n * w;
		int rc = tg_scaler_apply(sc, group, px + k, out);
		if (rc == -EDOM) {
			s->rejected++;
			continue;
		}
		if (rc < 0)
			return rc;
		s->starts[s->n] = s->n * w;
		s->instrument[s->n] = instrument;
		s->first_tick[s->n] = k;
		s->n++;
	}
	return 0;
}

struct tg_train_data tg_winset_data(const struct tg_winset *s)
{
	struct tg_train_data d = {.values = s->v, .starts = s->starts, .count = s->n};
	return d;
}

long tg_train_fit_windows(struct tg_scaler_fitter *f, uint32_t window, const char *instrument,
                          const double *px, size_t lo, size_t hi, uint32_t stride,
                          const uint8_t *skip)
{
	long added = 0;
	if (!stride)
		return -EINVAL;
	for (size_t k = lo; k + window <= hi; k += stride) {
		if (marked(skip, k, window))
			continue;
		int rc = tg_scaler_fitter_add_window(f, instrument, px + k);
		if (rc == -EDOM)
			continue;
		if (rc < 0)
			return rc;
		added++;
	}
	return added;
}

void tg_winlazy_init(struct tg_winlazy *s, uint32_t window, const struct tg_scaler *sc)
{
	memset(s, 0, sizeof(*s));
	s->window = window;
	s->sc = sc;
}

void tg_winlazy_free(struct tg_winlazy *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

static bool price_ok(const struct tg_scaler *sc, double p)
{
	return isfinite(p) && (tg_scaler_mode(sc) == TG_SCALE_MINMAX_RAW || p > 0);
}

int tg_winlazy_add(struct tg_winlazy *s, uint32_t group, uint32_t instrument, const double *px,
                   size_t lo, size_t hi, uint32_t stride, const uint8_t *skip)
{
	const size_t w = s->window;
	if (!stride || tg_scaler_window(s->sc) != w || group >= tg_scaler_group_count(s->sc))
		return -EINVAL;
	struct tg_winrange *cur = NULL;
	for (size_t k = lo; k + w <= hi; k += stride) {
		bool bad = marked(skip, k, w), refused = false;
		for (size_t t = k; t < k + w && !bad && !refused; t++)
			refused = !price_ok(s->sc, px[t]);
		if (bad || refused) {
			s->skipped += bad;
			s->rejected += refused;
			cur = NULL;
			continue;
		}
		if (!cur) {
			if (s->nr == s->cap) {
				uint32_t cap = s->cap ? s->cap * 2 : 16;
				struct tg_winrange *r = realloc(s->r, cap * sizeof(*r));
				if (!r)
					return -ENOMEM;
				s->r = r;
				s->cap = cap;
			}
			cur = &s->r[s->nr++];
			*cur = (struct tg_winrange){.px = px,
			                            .first = s->n,
			                            .lo = k,
			                            .count = 0,
			                            .stride = stride,
			                            .group = group,
			                            .instrument = instrument};
		}
		cur->count++;
		s->n++;
	}
	return 0;
}

int tg_winlazy_fetch(const void *lazy, uint64_t i, float *out)
{
	const struct tg_winlazy *s = lazy;
	if (i >= s->n)
		return -EINVAL;
	uint32_t lo = 0, hi = s->nr; /* last range with first <= i */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->r[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	const struct tg_winrange *r = &s->r[lo];
	return tg_scaler_apply(s->sc, r->group, r->px + r->lo + (i - r->first) * r->stride, out);
}

struct tg_train_data tg_winlazy_data(const struct tg_winlazy *s)
{
	struct tg_train_data d = {
	    .values = NULL, .count = s->n, .fetch = tg_winlazy_fetch, .ctx = s};
	return d;
}
