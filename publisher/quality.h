/* quality.h - detection quality of alert episodes against ground-truth
 * labels (feedsim's synthetic market): precision over alerts, recall and
 * detection delay in ticks per anomaly kind. Pure; used by `tickguard run`
 * and the tests.
 *
 * Matching: an alert is the tick span [open_tick, close_tick] of one
 * episode (open_tick = last tick of its first anomalous window). A label
 * [first, last] is visible to every window that contains one of its ticks,
 * i.e. windows ending in [first, last + window - 1]. An alert matches a
 * label of its instrument when the two spans overlap; a label is detected
 * when some alert matches it, with delay max(0, open_tick - first) of the
 * earliest such alert. Precision = alerts matching a label / alerts.
 */
#ifndef TG_PUBLISHER_QUALITY_H
#define TG_PUBLISHER_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_QUALITY_KINDS 8 /* kind ids 1..7 */

struct tg_quality_label {
	uint16_t instrument;
	uint8_t kind;
	uint64_t first_tick, last_tick;
};

struct tg_quality_alert {
	uint16_t instrument;
	uint64_t open_tick, close_tick;
};

struct tg_quality_kind {
	uint64_t labels, detected;
	double recall;
	double delay_mean, delay_median; /* ticks, over detected labels */
	uint64_t delay_max;
};

struct tg_quality {
	uint64_t alerts, true_alerts, false_alerts;
	double precision; /* 0 when there are no alerts */
	uint64_t labels, detected;
	double recall;
	struct tg_quality_kind kind[TG_QUALITY_KINDS];
};

/* Fills q. Allocates scratch; 0 or -ENOMEM. */
int tg_quality_eval(const struct tg_quality_label *labels, size_t nl,
                    const struct tg_quality_alert *alerts, size_t na, uint32_t window,
                    struct tg_quality *q);

#endif
