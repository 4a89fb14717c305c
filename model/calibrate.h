/* calibrate.h - the alert threshold: score held-out normal windows, take a
 * percentile (default 99) as the threshold and keep the score distribution
 * (min, p50, p90, p99, max and a log-spaced histogram) for the detector
 * JSON. Pure functions over an array of scores; no allocation except the
 * sort copy inside tg_calib_compute.
 */
#ifndef TG_CALIBRATE_H
#define TG_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

#define TG_CALIB_DEFAULT_PERCENTILE 99.0
#define TG_CALIB_BINS_MAX           128
#define TG_CALIB_BINS_DEFAULT       40

struct tg_calib {
	double percentile; /* (0, 100] */
	double threshold;  /* score at `percentile`: alert when score > threshold */
	uint64_t n;        /* scores used */
	double min, p50, p90, p99, max, mean;
	/* Histogram: n_bins bins with log-spaced edges edge[0..n_bins] from
	 * hist_lo to hist_hi (lin-spaced if hist_lo <= 0). Scores below hist_lo
	 * fall in bin 0, above hist_hi in the last bin. */
	uint32_t n_bins;
	int log_bins;
	double hist_lo, hist_hi;
	uint64_t bins[TG_CALIB_BINS_MAX];
};

/* Percentile of sorted values with linear interpolation (numpy "linear"):
 * rank = p/100 * (n-1). n > 0. */
double tg_calib_percentile_sorted(const double *sorted, size_t n, double p);

/* Fill *out from n scores. percentile in (0,100]; n_bins 1..TG_CALIB_BINS_MAX.
 * Non-finite scores count as DBL_MAX. 0 or -EINVAL, -ENODATA (n == 0), -ENOMEM. */
int tg_calib_compute(const double *scores, size_t n, double percentile, uint32_t n_bins,
                     struct tg_calib *out);

/* Edge k (0..n_bins) of the histogram. */
double tg_calib_bin_edge(const struct tg_calib *c, uint32_t k);

#endif
