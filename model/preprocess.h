/* preprocess.h - turning a window of raw prices into the model's input.
 *
 * Leak-proof by construction: a scaler is only born from a fitter, which
 * sees training data and is consumed by tg_scaler_fit_finish(); the scaler
 * it returns is frozen (no function changes it). The only other way to get
 * one is tg_scaler_from_params(), which restores stored parameters (a model
 * package) and never sees data. Validation and test data can therefore only
 * be *scored*, never fitted on.
 *
 * Modes (value v_t for the window's prices p_0..p_{W-1}, then MinMax):
 *   TG_SCALE_MINMAX_RAW  v_t = p_t                 the literal design; drifts
 *   TG_SCALE_LOG_REL     v_t = ln(p_t / p_0)       default: window-relative,
 *                                                  price-level free
 *   TG_SCALE_LOG_RET     v_t = ln(p_t / p_{t-1}),  v_0 = 0
 * MinMax: y = (v - min) / (max - min), min/max over the training values.
 * With max == min the range is taken as 1 (constant training data).
 *
 * Groups: a scaler has a pooled group (index 0, name "*") fitted on all
 * training windows, plus, when fitted per instrument, one group per
 * instrument name. Lookup of an unknown instrument returns -ENOENT; the
 * caller decides (and counts) whether to fall back to the pooled group.
 *
 * Thread safety: a frozen scaler is immutable; share it freely. A fitter is
 * single-threaded.
 */
#ifndef TG_PREPROCESS_H
#define TG_PREPROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_SCALER_NAME_LEN 16 /* instrument names incl. NUL */

enum tg_scale_mode {
	TG_SCALE_MINMAX_RAW = 0,
	TG_SCALE_LOG_REL = 1,
	TG_SCALE_LOG_RET = 2,
};
#define TG_SCALE_DEFAULT TG_SCALE_LOG_REL

/* "minmax_raw", "log_rel", "log_ret"; parse returns the mode or -EINVAL. */
const char *tg_scale_mode_name(enum tg_scale_mode mode);
int tg_scale_mode_parse(const char *name);

struct tg_scaler_fitter;
struct tg_scaler;

struct tg_scaler_group {
	char name[TG_SCALER_NAME_LEN]; /* "*" for pooled */
	double min, max;               /* of the transformed training values */
	uint64_t n_windows;            /* training windows seen */
};

/* A fitter for windows of `window` prices. per_instrument: also keep one
 * group per instrument name. 0 or -EINVAL/-ENOMEM. */
int tg_scaler_fitter_create(enum tg_scale_mode mode, uint32_t window, bool per_instrument,
                            struct tg_scaler_fitter **out);
/* Add one training window of `window` prices. instrument may be NULL
 * (pooled only). 0, or -EDOM (a price is not finite, or <= 0 in a log
 * mode; the window is skipped and counted), -ENAMETOOLONG, -ENOMEM. */
int tg_scaler_fitter_add_window(struct tg_scaler_fitter *f, const char *instrument,
                                const double *prices);
/* Add every window (stride 1) of a price series of n prices. Returns the
 * number of windows added (>= 0) or -errno; bad windows are skipped and
 * counted. */
long tg_scaler_fitter_add_series(struct tg_scaler_fitter *f, const char *instrument,
                                 const double *prices, size_t n);
/* Windows rejected so far. */
uint64_t tg_scaler_fitter_rejected(const struct tg_scaler_fitter *f);
/* Freeze: consumes and frees the fitter (also on error), returns the scaler.
 * -ENODATA if no window was added. */
int tg_scaler_fit_finish(struct tg_scaler_fitter *f, struct tg_scaler **out);

/* Restore a stored scaler (model package): groups[0] must be "*".
 * 0 or -EINVAL. */
int tg_scaler_from_params(enum tg_scale_mode mode, uint32_t window, bool per_instrument,
                          const struct tg_scaler_group *groups, uint32_t n_groups,
                          struct tg_scaler **out);
void tg_scaler_destroy(struct tg_scaler *s);

enum tg_scale_mode tg_scaler_mode(const struct tg_scaler *s);
uint32_t tg_scaler_window(const struct tg_scaler *s);
bool tg_scaler_per_instrument(const struct tg_scaler *s);
uint32_t tg_scaler_group_count(const struct tg_scaler *s);
const struct tg_scaler_group *tg_scaler_group(const struct tg_scaler *s, uint32_t index);
/* Group index for an instrument name (trailing spaces ignored), or -ENOENT.
 * NULL or "*" gives 0 (pooled). */
int tg_scaler_lookup(const struct tg_scaler *s, const char *instrument);

/* Scale one window of prices with group `group`: out[window] floats.
 * Hot path: no allocation. 0, or -EDOM (non-finite price, or <= 0 in a log
 * mode: out is zeroed), -EINVAL (bad group). Values outside the training
 * range are not clamped (that is what makes them anomalous) but are kept
 * finite (limited to +-1e30). */
int tg_scaler_apply(const struct tg_scaler *s, uint32_t group, const double *prices, float *out);

#endif
