/* latency.h - a log-linear latency histogram (16 sub-buckets per power of
 * two: <= 6.25 % relative error) for tick -> alert percentiles. Fixed size,
 * no allocation; add is hot path. */
#ifndef TG_PUBLISHER_LATENCY_H
#define TG_PUBLISHER_LATENCY_H

#include <stdint.h>

#define TG_LAT_SUB     16
#define TG_LAT_BUCKETS (64 * TG_LAT_SUB)

struct tg_lat_hist {
	uint64_t count;
	uint64_t max;
	uint64_t bucket[TG_LAT_BUCKETS];
};

void tg_lat_add(struct tg_lat_hist *h, uint64_t v);
/* Value at quantile q (0..1): the upper bound of the bucket holding it
 * (never more than max); 0 when empty. */
uint64_t tg_lat_quantile(const struct tg_lat_hist *h, double q);

#endif
