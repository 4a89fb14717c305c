/* quality.c - alerts vs labels (see quality.h). Quadratic per instrument
 * in the worst case, which is fine for thousands of labels and alerts. */
#include "publisher/quality.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int tg_quality_eval(const struct tg_quality_label *labels, size_t nl,
                    const struct tg_quality_alert *alerts, size_t na, uint32_t window,
                    struct tg_quality *q)
{
	memset(q, 0, sizeof(*q));
	uint64_t *delay = calloc(nl ? nl : 1, sizeof(*delay));
	uint8_t *hit = calloc(nl ? nl : 1, 1);
	if (!delay || !hit) {
		free(delay);
		free(hit);
		return -ENOMEM;
	}
	q->alerts = na;
	for (size_t a = 0; a < na; a++) {
		const struct tg_quality_alert *al = &alerts[a];
		bool matched = false;
		for (size_t l = 0; l < nl; l++) {
			const struct tg_quality_label *lb = &labels[l];
			if (lb->instrument != al->instrument)
				continue;
			uint64_t vis_end = lb->last_tick + (window ? window - 1 : 0);
			if (al->close_tick < lb->first_tick || al->open_tick > vis_end)
				continue;
			matched = true;
			uint64_t d =
			    al->open_tick > lb->first_tick ? al->open_tick - lb->first_tick : 0;
			if (!hit[l] || d < delay[l])
				delay[l] = d;
			hit[l] = 1;
		}
		if (matched)
			q->true_alerts++;
	}
	q->false_alerts = q->alerts - q->true_alerts;
	q->precision = q->alerts ? (double)q->true_alerts / (double)q->alerts : 0.0;
	uint64_t *tmp = calloc(nl ? nl : 1, sizeof(*tmp));
	if (!tmp) {
		free(delay);
		free(hit);
		return -ENOMEM;
	}
	for (unsigned k = 0; k < TG_QUALITY_KINDS; k++) {
		struct tg_quality_kind *qk = &q->kind[k];
		size_t n = 0;
		double sum = 0;
		for (size_t l = 0; l < nl; l++) {
			if (labels[l].kind != k)
				continue;
			qk->labels++;
			if (!hit[l])
				continue;
			qk->detected++;
			tmp[n++] = delay[l];
			sum += (double)delay[l];
			if (delay[l] > qk->delay_max)
				qk->delay_max = delay[l];
		}
		qk->recall = qk->labels ? (double)qk->detected / (double)qk->labels : 0.0;
		if (n) {
			qsort(tmp, n, sizeof(*tmp), cmp_u64);
			qk->delay_mean = sum / (double)n;
			qk->delay_median = n % 2
			                       ? (double)tmp[n / 2]
			                       : ((double)tmp[n / 2 - 1] + (double)tmp[n / 2]) / 2;
		}
		q->labels += qk->labels;
		q->detected += qk->detected;
	}
	q->recall = q->labels ? (double)q->detected / (double)q->labels : 0.0;
	free(tmp);
	free(delay);
	free(hit);
	return 0;
}
