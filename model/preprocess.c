/* preprocess.c - window transforms and the frozen MinMax scaler. The fitter
 * only ever widens min/max over training windows; finishing it moves the
 * groups into an immutable scaler and frees the fitter, so nothing fitted
 * can be updated later (see preprocess.h for why).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/preprocess.h"

#define VALUE_LIMIT 1e30

struct tg_scaler_fitter {
	enum tg_scale_mode mode;
	uint32_t window;
	bool per_instrument;
	uint64_t rejected;
	uint32_t n_groups, cap;
	struct tg_scaler_group *groups; /* [0] pooled */
	double *tmp;                    /* [window] transformed values */
};

struct tg_scaler {
	enum tg_scale_mode mode;
	uint32_t window;
	bool per_instrument;
	uint32_t n_groups;
	struct tg_scaler_group *groups;
	double *lo, *inv_range; /* per group, for apply */
};

static const char *const mode_names[] = {"minmax_raw", "log_rel", "log_ret"};

const char *tg_scale_mode_name(enum tg_scale_mode mode)
{
	return (unsigned)mode < 3 ? mode_names[mode] : "unknown";
}

int tg_scale_mode_parse(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (name && strcmp(name, mode_names[i]) == 0)
			return i;
	return -EINVAL;
}

/* The mode's values for one window, or -EDOM. */
static int transform(enum tg_scale_mode mode, uint32_t w, const double *p, double *v)
{
	for (uint32_t t = 0; t < w; t++)
		if (!isfinite(p[t]) || (mode != TG_SCALE_MINMAX_RAW && p[t] <= 0))
			return -EDOM;
	switch (mode) {
	case TG_SCALE_MINMAX_RAW:
		for (uint32_t t = 0; t < w; t++)
			v[t] = p[t];
		break;
	case TG_SCALE_LOG_REL: {
		double l0 = log(p[0]);
		for (uint32_t t = 0; t < w; t++)
			v[t] = log(p[t]) - l0;
		break;
	}
	case TG_SCALE_LOG_RET:
		v[0] = 0;
		for (uint32_t t = 1; t < w; t++)
			v[t] = log(p[t] / p[t - 1]);
		break;
	}
	return 0;
}

/* Instrument name without trailing spaces/NULs (ITCH pads with spaces). */
static size_t name_len(const char *s)
{
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	return n;
}

static int find_group(const struct tg_scaler_group *g, uint32_t n, const char *name)
{
	if (!name || strcmp(name, "*") == 0)
		return 0;
	size_t len = name_len(name);
	for (uint32_t i = 1; i < n; i++)
		if (strlen(g[i].name) == len && memcmp(g[i].name, name, len) == 0)
			return (int)i;
	return -ENOENT;
}

int tg_scaler_fitter_create(enum tg_scale_mode mode, uint32_t window, bool per_instrument,
                            struct tg_scaler_fitter **out)
{
	*out = NULL;
	if ((unsigned)mode > TG_SCALE_LOG_RET || window < 1 || window > 1u << 20)
		return -EINVAL;
	struct tg_scaler_fitter *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->mode = mode;
	f->window = window;
	f->per_instrument = per_instrument;
	f->cap = 8;
	f->groups = calloc(f->cap, sizeof(*f->groups));
	f->tmp = malloc(window * sizeof(double));
	if (!f->groups || !f->tmp) {
		free(f->groups);
		free(f->tmp);
		free(f);
		return -ENOMEM;
	}
	f->n_groups = 1;
	strcpy(f->groups[0].name, "*");
	f->groups[0].min = INFINITY;
	f->groups[0].max = -INFINITY;
	*out = f;
	return 0;
}

static void widen(struct tg_scaler_group *g, const double *v, uint32_t w)
{
	for (uint32_t t = 0; t < w; t++) {
		if (v[t] < g->min)
			g->min = v[t];
		if (v[t] > g->max)
			g->max = v[t];
	}
	g->n_windows++;
}

int tg_scaler_fitter_add_window(struct tg_scaler_fitter *f, const char *instrument,
                                const double *prices)
{
	int gi = 0;
	if (f->per_instrument && instrument && strcmp(instrument, "*") != 0) {
		if (name_len(instrument) >= TG_SCALER_NAME_LEN || name_len(instrument) == 0)
			return -ENAMETOOLONG;
		gi = find_group(f->groups, f->n_groups, instrument);
		if (gi < 0) {
			if (f->n_groups == f->cap) {
				struct tg_scaler_group *g =
				    realloc(f->groups, 2 * f->cap * sizeof(*g));
				if (!g)
					return -ENOMEM;
				f->groups = g;
				f->cap *= 2;
			}
			gi = (int)f->n_groups++;
			struct tg_scaler_group *g = &f->groups[gi];
			memset(g, 0, sizeof(*g));
			memcpy(g->name, instrument, name_len(instrument));
			g->min = INFINITY;
			g->max = -INFINITY;
		}
	}
	if (transform(f->mode, f->window, prices, f->tmp) < 0) {
		f->rejected++;
		return -EDOM;
	}
	widen(&f->groups[0], f->tmp, f->window);
	if (gi > 0)
		widen(&f->groups[gi], f->tmp, f->window);
	return 0;
}

long tg_scaler_fitter_add_series(struct tg_scaler_fitter *f, const char *instrument,
                                 const double *prices, size_t n)
{
	long added = 0;
	for (size_t s = 0; s + f->window <= n; s++) {
		int rc = tg_scaler_fitter_add_window(f, instrument, prices + s);
		if (rc == -EDOM)
			continue;
		if (rc < 0)
			return rc;
		added++;
	}
	return added;
}

uint64_t tg_scaler_fitter_rejected(const struct tg_scaler_fitter *f)
{
	return f->rejected;
}

static int scaler_build(enum tg_scale_mode mode, uint32_t window, bool per_instrument,
                        const struct tg_scaler_group *groups, uint32_t n, struct tg_scaler **out)
{
	struct tg_scaler *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mode = mode;
	s->window = window;
	s->per_instrument = per_instrument;
	s->n_groups = n;
	s->groups = malloc(n * sizeof(*s->groups));
	s->lo = malloc(n * sizeof(double));
	s->inv_range = malloc(n * sizeof(double));
	if (!s->groups || !s->lo || !s->inv_range) {
		tg_scaler_destroy(s);
		return -ENOMEM;
	}
	memcpy(s->groups, groups, n * sizeof(*s->groups));
	for (uint32_t i = 0; i < n; i++) {
		double r = groups[i].max - groups[i].min;
		s->lo[i] = groups[i].min;
		s->inv_range[i] = r > 0 ? 1.0 / r : 1.0;
	}
	*out = s;
	return 0;
}

int tg_scaler_fit_finish(struct tg_scaler_fitter *f, struct tg_scaler **out)
{
	*out = NULL;
	int rc = -ENODATA;
	if (f->groups[0].n_windows == 0)
		goto out_free;
	/* Drop groups whose every window was rejected (no range). */
	uint32_t n = 1;
	for (uint32_t i = 1; i < f->n_groups; i++)
		if (f->groups[i].n_windows)
			f->groups[n++] = f->groups[i];
	rc = scaler_build(f->mode, f->window, f->per_instrument, f->groups, n, out);
out_free:
	free(f->groups);
	free(f->tmp);
	free(f);
	return rc;
}

int tg_scaler_from_params(enum tg_scale_mode mode, uint32_t window, bool per_instrument,
                          const struct tg_scaler_group *groups, uint32_t n_groups,
                          struct tg_scaler **out)
{
	*out = NULL;
	if ((unsigned)mode > TG_SCALE_LOG_RET || window < 1 || n_groups < 1 ||
	    strcmp(groups[0].name, "*") != 0)
		return -EINVAL;
	for (uint32_t i = 0; i < n_groups; i++) {
		if (!isfinite(groups[i].min) || !isfinite(groups[i].max) ||
		    groups[i].max < groups[i].min ||
		    memchr(groups[i].name, 0, TG_SCALER_NAME_LEN) == NULL || !groups[i].name[0])
			return -EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(groups[i].name, groups[j].name) == 0)
				return -EINVAL;
	}
	return scaler_build(mode, window, per_instrument, groups, n_groups, out);
}

void tg_scaler_destroy(struct tg_scaler *s)
{
	if (!s)
		return;
	free(s->groups);
	free(s->lo);
	free(s->inv_range);
	free(s);
}

enum tg_scale_mode tg_scaler_mode(const struct tg_scaler *s)
{
	return s->mode;
}

uint32_t tg_scaler_window(const struct tg_scaler *s)
{
	return s->window;
}

bool tg_scaler_per_instrument(const struct tg_scaler *s)
{
	return s->per_instrument;
}

uint32_t tg_scaler_group_count(const struct tg_scaler *s)
{
	return s->n_groups;
}

const struct tg_scaler_group *tg_scaler_group(const struct tg_scaler *s, uint32_t index)
{
	return index < s->n_groups ? &s->groups[index] : NULL;
}

int tg_scaler_lookup(const struct tg_scaler *s, const char *instrument)
{
	return find_group(s->groups, s->n_groups, instrument);
}

int tg_scaler_apply(const struct tg_scaler *s, uint32_t group, const double *prices, float *out)
{
	if (group >= s->n_groups)
		return -EINVAL;
	const uint32_t w = s->window;
	for (uint32_t t = 0; t < w; t++)
		if (!isfinite(prices[t]) || (s->mode != TG_SCALE_MINMAX_RAW && prices[t] <= 0)) {
			memset(out, 0, w * sizeof(float));
			return -EDOM;
		}
	const double lo = s->lo[group], k = s->inv_range[group];
	double base = s->mode == TG_SCALE_LOG_REL ? log(prices[0]) : 0;
	for (uint32_t t = 0; t < w; t++) {
		double v;
		switch (s->mode) {
		case TG_SCALE_MINMAX_RAW:
			v = prices[t];
			break;
		case TG_SCALE_LOG_REL:
			v = log(prices[t]) - base;
			break;
		default:
			v = t ? log(prices[t] / prices[t - 1]) : 0;
			break;
		}
		double y = (v - lo) * k;
		if (y > VALUE_LIMIT)
			y = VALUE_LIMIT;
		if (y < -VALUE_LIMIT)
			y = -VALUE_LIMIT;
		out[t] = (float)y;
	}
	return 0;
}
