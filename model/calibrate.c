/* calibrate.c - threshold = a percentile of held-out normal scores, plus the
 * distribution summary and histogram kept in detector.json. Percentiles use
 * linear interpolation between order statistics (numpy's default), so a
 * threshold computed here matches one computed in Python on the same scores.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/calibrate.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double tg_calib_percentile_sorted(const double *sorted, size_t n, double p)
{
	if (n == 1)
		return sorted[0];
	double rank = p / 100.0 * (double)(n - 1);
	size_t lo = (size_t)floor(rank);
	if (lo >= n - 1)
		return sorted[n - 1];
	double frac = rank - (double)lo;
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

double tg_calib_bin_edge(const struct tg_calib *c, uint32_t k)
{
	double f = c->n_bins ? (double)k / c->n_bins : 0;
	if (c->log_bins)
		return c->hist_lo * pow(c->hist_hi / c->hist_lo, f);
	return c->hist_lo + (c->hist_hi - c->hist_lo) * f;
}

static uint32_t bin_of(const struct tg_calib *c, double v)
{
	double f;
	if (c->hist_hi <= c->hist_lo)
		return 0;
	if (c->log_bins)
		f = v > 0 ? log(v / c->hist_lo) / log(c->hist_hi / c->hist_lo) : 0;
	else
		f = (v - c->hist_lo) / (c->hist_hi - c->hist_lo);
	if (!(f > 0))
		return 0;
	if (f >= 1)
		return c->n_bins - 1;
	uint32_t b = (uint32_t)(f * c->n_bins);
	return b < c->n_bins ? b : c->n_bins - 1;
}

int tg_calib_compute(const double *scores, size_t n, double percentile, uint32_t n_bins,
                     struct tg_calib *out)
{
	memset(out, 0, sizeof(*out));
	if (!(percentile > 0 && percentile <= 100) || n_bins < 1 || n_bins > TG_CALIB_BINS_MAX)
		return -EINVAL;
	if (n == 0)
		return -ENODATA;
	double *s = malloc(n * sizeof(double));
	if (!s)
		return -ENOMEM;
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		s[i] = isfinite(scores[i]) ? scores[i] : DBL_MAX;
		sum += s[i] / (double)n;
	}
	qsort(s, n, sizeof(double), cmp_double);
	out->percentile = percentile;
	out->n = n;
	out->min = s[0];
	out->max = s[n - 1];
	out->mean = isfinite(sum) ? sum : DBL_MAX;
	out->p50 = tg_calib_percentile_sorted(s, n, 50);
	out->p90 = tg_calib_percentile_sorted(s, n, 90);
	out->p99 = tg_calib_percentile_sorted(s, n, 99);
	out->threshold = tg_calib_percentile_sorted(s, n, percentile);
	out->n_bins = n_bins;
	/* Scores are MSEs (>= 0) spanning decades: log bins from the smallest
	 * positive score to the max; linear if nothing positive. */
	double lo = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] > 0) {
			lo = s[i];
			break;
		}
	out->log_bins = lo > 0 && out->max > lo;
	out->hist_lo = out->log_bins ? lo : out->min;
	out->hist_hi = out->max;
	for (size_t i = 0; i < n; i++)
		out->bins[bin_of(out, s[i])]++;
	free(s);
	return 0;
}
