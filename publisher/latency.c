/* latency.c - log-linear histogram (see latency.h). */
#include "publisher/latency.h"

#include <errno.h>

static unsigned lat_index(uint64_t v)
{
	if (v < TG_LAT_SUB)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned sub = (unsigned)(v >> (msb - 4)) & (TG_LAT_SUB - 1);
	return (msb - 3) * TG_LAT_SUB + sub;
}

static uint64_t lat_upper(unsigned idx)
{
	if (idx < TG_LAT_SUB)
		return idx;
	unsigned msb = idx / TG_LAT_SUB + 3, sub = idx % TG_LAT_SUB;
	uint64_t base = (uint64_t)(TG_LAT_SUB + sub) << (msb - 4);
	return base + ((uint64_t)1 << (msb - 4)) - 1;
}

void tg_lat_add(struct tg_lat_hist *h, uint64_t v)
{
	h->bucket[lat_index(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

uint64_t tg_lat_quantile(const struct tg_lat_hist *h, double q)
{
	if (!h->count)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < TG_LAT_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen > rank) {
			uint64_t u = lat_upper(i);
			return u < h->max ? u : h->max;
		}
	}
	return h->max;
}

int tg_lat_exch_ns(uint64_t wall_ns, uint64_t exch_ts_ns, int64_t utc_offset_s, uint64_t max_ns,
                   uint64_t *out_ns)
{
	const int64_t day = 86400ll * 1000000000ll;
	int64_t tod = (int64_t)(wall_ns % (uint64_t)day) + (utc_offset_s % 86400) * 1000000000ll;
	int64_t d = (tod - (int64_t)(exch_ts_ns % (uint64_t)day)) % day;
	if (d < -day / 2)
		d += day;
	else if (d >= day / 2)
		d -= day;
	if (d < 0 || (uint64_t)d >= max_ns)
		return -ERANGE;
	*out_ns = (uint64_t)d;
	return 0;
}
