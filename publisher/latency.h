/* latency.h - a log-linear latency histogram (16 sub-buckets per power of
 * two: <= 6.25 % relative error) for tick -> alert percentiles, and the
 * exchange-timestamp latency (ITCH time of day against the wall clock).
 * Fixed size, no allocation, pure; add and exch are hot path. */
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

/* Exchange timestamp -> wall clock, in ns: wall_ns (CLOCK_REALTIME, Unix
 * ns) minus (midnight + exch_ts_ns), where exch_ts_ns is ITCH time (ns
 * since the exchange's midnight) and the exchange's time of day is UTC +
 * utc_offset_s. The difference is taken modulo a day into [-12 h, 12 h), so
 * a run across midnight (stamps counting past 24 h, or a wall clock already
 * in the next day) is measured right. Returns 0 with *out_ns when it lies
 * in [0, max_ns); -ERANGE otherwise (a replayed clock, or an exchange stamp
 * in the future). */
int tg_lat_exch_ns(uint64_t wall_ns, uint64_t exch_ts_ns, int64_t utc_offset_s, uint64_t max_ns,
                   uint64_t *out_ns);

#endif
