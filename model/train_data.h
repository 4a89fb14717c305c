/* train_data.h - from per-instrument price series to the scaled windows
 * that training, calibration and evaluation consume. Windows are cut per
 * instrument only from a tick range [lo, hi) (how callers split by time
 * without windows straddling the split), optionally skipping windows that
 * touch a marked tick (labelled anomalies are not "normal" data), and
 * scaled with a frozen scaler (preprocess.h) - fitting happens through
 * tg_train_fit_windows(), which only ever feeds a fitter.
 * Not thread-safe; not hot path. */
#ifndef TG_TRAIN_DATA_H
#define TG_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "model/preprocess.h"
#include "model/train.h"

/* Scaled windows, each stored whole (window-relative scalers make every
 * window's values its own): v[i * window ...]. */
struct tg_winset {
	uint32_t window;
	float *v;
	uint64_t *starts;     /* i * window, the tg_train_data view */
	uint32_t *instrument; /* caller's instrument index per window */
	uint64_t *first_tick; /* first tick of each window in its series */
	uint64_t n, cap;
	uint64_t rejected; /* windows the scaler refused (non-finite, <= 0 prices) */
	uint64_t skipped;  /* windows touching a marked tick */
};

void tg_winset_init(struct tg_winset *s, uint32_t window);
void tg_winset_free(struct tg_winset *s);
/* Append windows k = lo, lo+stride, ... with k + window <= hi, skipping those
 * where skip[k .. k+window) has a nonzero byte (skip may be NULL). 0 or
 * -ENOMEM / -EINVAL. */
int tg_winset_add(struct tg_winset *s, const struct tg_scaler *sc, uint32_t group,
                  uint32_t instrument, const double *px, size_t lo, size_t hi, uint32_t stride,
                  const uint8_t *skip);
/* The view training takes. */
struct tg_train_data tg_winset_data(const struct tg_winset *s);

/* The same windows made on demand: only ranges are stored (a few per
 * instrument), so memory stays at the price series however many windows
 * there are. Window i is found by binary search over the ranges and scaled
 * into the caller's buffer (tg_train_data.fetch; thread-safe: the scaler
 * and the prices are only read). The prices must outlive the set. Windows
 * with a price the scaler refuses (not finite, <= 0) are left out when the
 * range is built. */
struct tg_winrange {
	const double *px;
	uint64_t first; /* index of the range's first window */
	uint64_t lo, count;
	uint32_t stride, group, instrument;
};

struct tg_winlazy {
	uint32_t window;
	const struct tg_scaler *sc;
	struct tg_winrange *r;
	uint32_t nr, cap;
	uint64_t n;
	uint64_t rejected, skipped;
};

void tg_winlazy_init(struct tg_winlazy *s, uint32_t window, const struct tg_scaler *sc);
void tg_winlazy_free(struct tg_winlazy *s);
int tg_winlazy_add(struct tg_winlazy *s, uint32_t group, uint32_t instrument, const double *px,
                   size_t lo, size_t hi, uint32_t stride, const uint8_t *skip);
struct tg_train_data tg_winlazy_data(const struct tg_winlazy *s);
/* Window i into out[window]; 0 or -errno. Thread-safe. */
int tg_winlazy_fetch(const void *lazy, uint64_t i, float *out);

/* Feed the same windows to a scaler fitter (instrument name for
 * per-instrument groups). Returns windows added or -errno. */
long tg_train_fit_windows(struct tg_scaler_fitter *f, uint32_t window, const char *instrument,
                          const double *px, size_t lo, size_t hi, uint32_t stride,
                          const uint8_t *skip);

#endif
