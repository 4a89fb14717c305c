/* synth.c - the synthetic market: the default source, deterministic from a
 * seed, with labelled anomalies.
 *
 * Per instrument: N trade times drawn from a U-shaped intraday intensity
 * (busy open and close), sorted; an efficient log-price random walk whose
 * per-trade volatility is U-shaped too; trades print at the bid or ask
 * (bid-ask bounce, tick 0.01, spread ~4 bp, aggressor sides persistent);
 * sizes are round lots with a Pareto tail plus odd lots. Anomalies are
 * planned first (one slot each, no overlap, none in the first 200 ticks so
 * a scorer's window is warm) and applied while the path is generated; the
 * labels give the ticks they touch. Only integer state leaves this file, so
 * equal configs give identical trades. */
#include "feedsim/source_impl.h"

#include "common/rng.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull
#define TICK_E4  100u /* $0.01 */
#define WARM     200u

/* The random stream is common/rng.h's; uniforms here are open (0, 1) so
 * log() never sees 0. */
static double rng_normal(struct tg_rng *r)
{
	double u1 = tg_rng_unit_open(r), u2 = tg_rng_unit_open(r);
	return tg_rng_box_muller(u1, u2);
}

static uint64_t rng_range(struct tg_rng *r, uint64_t lo, uint64_t hi) /* [lo, hi] */
{
	return lo + tg_rng_next(r) % (hi - lo + 1);
}

static const char *const names[] = {"ALFA", "BRVO", "CHRL", "DLTA", "ECHO", "FXTR", "GOLF", "HTLX",
                                    "INDA", "JULT", "KILO", "LIMA", "MIKE", "NOVR", "OSCR", "PAPA"};

void tg_synth_config_default(struct tg_synth_config *c)
{
	*c = (struct tg_synth_config){
	    .seed = 1,
	    .instruments = 8,
	    .trades_per_instrument = 20000,
	    .session_start_ns = 34200 * NS_PER_S,
	    .session_end_ns = 57600 * NS_PER_S,
	    .anomalies = 6,
	};
}

/* U shape on u in [0,1]: 1 at midday, 1+a at the open and the close. */
static double u_shape(double u, double a)
{
	double x = 2.0 * u - 1.0;
	return 1.0 + a * x * x;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct plan {
	uint8_t kind;
	uint64_t first, last; /* ticks, inclusive */
	double size;          /* signed relative magnitude */
	uint64_t fall;        /* flash crash: ticks falling */
};

/* Where and how big each anomaly of one instrument is. */
static uint32_t plan_anomalies(struct tg_rng *r, uint64_t n, uint32_t want, uint32_t inst,
                               struct plan *p)
{
	const uint64_t slot_min = 700;
	if (n <= WARM + slot_min)
		return 0;
	uint64_t avail = n - WARM - 100;
	uint32_t k = want;
	if (avail / slot_min < k)
		k = (uint32_t)(avail / slot_min);
	if (k == 0)
		return 0;
	uint64_t slot = avail / k;
	for (uint32_t i = 0; i < k; i++) {
		struct plan *a = &p[i];
		uint8_t kind = (uint8_t)(1 + (i + inst) % TG_ANOM_KINDS);
		uint64_t len;
		double sign = (tg_rng_next(r) & 1) ? 1.0 : -1.0;
		switch (kind) {
		case TG_ANOM_SPIKE:
			len = rng_range(r, 1, 3);
			a->size = sign * (0.02 + 0.03 * tg_rng_unit_open(r));
			break;
		case TG_ANOM_LEVEL_SHIFT:
			len = 60;
			a->size = sign * (0.015 + 0.025 * tg_rng_unit_open(r));
			break;
		case TG_ANOM_VOL_BURST:
			len = rng_range(r, 100, 300);
			a->size = 10.0;
			break;
		case TG_ANOM_FROZEN:
			len = rng_range(r, 80, 200);
			a->size = 0;
			break;
		case TG_ANOM_FAT_FINGER:
			len = 1;
			a->size = sign * (0.10 + 0.15 * tg_rng_unit_open(r));
			break;
		default: /* TG_ANOM_FLASH_CRASH */
			a->fall = rng_range(r, 20, 60);
			len = a->fall + rng_range(r, 50, 150);
			a->size = -(0.05 + 0.05 * tg_rng_unit_open(r));
			break;
		}
		uint64_t lo = WARM + i * slot + 50;
		uint64_t hi = WARM + (i + 1) * slot - len - 50;
		a->kind = kind;
		a->first = rng_range(r, lo, hi);
		a->last = a->first + len - 1;
	}
	return k;
}

static uint32_t to_ticks(double px)
{
	double t = floor(px * 100.0);
	if (t < 1)
		t = 1;
	if (t > 4e7)
		t = 4e7;
	return (uint32_t)t;
}

static int gen_instrument(const struct tg_synth_config *c, uint32_t inst, struct tg_trade *out,
                          struct tg_label *labels, uint32_t *nlabels, uint64_t *ts)
{
	struct tg_rng r;
	tg_rng_seed(&r, c->seed * 0x100000001b3ull + inst * 0x9e3779b97f4a7c15ull + 7);
	uint64_t n = c->trades_per_instrument;
	uint64_t span = c->session_end_ns - c->session_start_ns;

	/* times: N draws from the U-shaped density, by rejection, sorted */
	for (uint64_t i = 0; i < n; i++) {
		double u;
		do
			u = tg_rng_unit_open(&r);
		while (tg_rng_unit_open(&r) * 3.0 > u_shape(u, 2.0));
		ts[i] = c->session_start_ns + (uint64_t)(u * (double)span);
	}
	qsort(ts, n, sizeof(*ts), u64_cmp);

	struct plan p[64];
	uint32_t want = c->anomalies < 64 ? c->anomalies : 64;
	uint32_t np = plan_anomalies(&r, n, want, inst, p);

	double price0 = exp(log(10.0) + tg_rng_unit_open(&r) * (log(500.0) - log(10.0)));
	double m = log(price0);
	double daily_vol = 0.012 + 0.02 * tg_rng_unit_open(&r);
	double base_sigma = daily_vol / sqrt((double)n);
	double shift = 0; /* permanent level shift, log */
	int side = 1;
	uint32_t frozen_px = 0, last_px = 0;
	uint32_t a = 0;
	for (uint64_t i = 0; i < n; i++) {
		double u = (double)(ts[i] - c->session_start_ns) / (double)span;
		double sigma = base_sigma * u_shape(u, 1.5) / 1.5;
		const struct plan *cur = NULL;
		while (a < np && p[a].last < i)
			a++;
		if (a < np && p[a].first <= i)
			cur = &p[a];
		if (cur && cur->kind == TG_ANOM_VOL_BURST) {
			/* x10, and at least 3 spreads so the tick noise cannot hide it */
			double tick_rel = 0.01 / exp(m + shift);
			double floor_sigma = 3.0 * (tick_rel > 0.0004 ? tick_rel : 0.0004);
			sigma *= cur->size;
			if (sigma < floor_sigma)
				sigma = floor_sigma;
		}
		if (cur && cur->kind == TG_ANOM_LEVEL_SHIFT && i == cur->first)
			shift += log(1.0 + cur->size);
		m += sigma * rng_normal(&r);
		/* mean reversion keeps a day's path within a sane range */
		m -= 0.0005 * (m - log(price0));

		double extra = 0; /* transient log offset */
		if (cur && cur->kind == TG_ANOM_FLASH_CRASH) {
			double depth = log(1.0 + cur->size);
			uint64_t k = i - cur->first;
			uint64_t rec = cur->last - cur->first + 1 - cur->fall;
			if (k < cur->fall)
				extra = depth * (double)(k + 1) / (double)cur->fall;
			else
				extra =
				    depth * (1.0 - (double)(k - cur->fall + 1) / (double)(rec + 1));
		}
		double mid = exp(m + shift + extra);
		double spread = mid * 0.0004;
		uint32_t sp_ticks = spread < 0.01 ? 1 : (uint32_t)(spread * 100.0 + 0.5);
		uint32_t bid = to_ticks(mid - 0.005 * sp_ticks);
		if (tg_rng_unit_open(&r) > 0.65)
			side = -side;
		uint32_t px = side > 0 ? bid + sp_ticks : bid;
		px *= TICK_E4;

		/* size: odd lot, or round lots with a Pareto(1.6) tail */
		uint32_t shares;
		if (tg_rng_unit_open(&r) < 0.22) {
			shares = (uint32_t)rng_range(&r, 1, 99);
		} else {
			double lots = floor(pow(tg_rng_unit_open(&r), -1.0 / 1.6));
			shares = 100u * (uint32_t)(lots > 500 ? 500 : lots);
		}
		if (cur && cur->kind == TG_ANOM_SPIKE)
			px = to_ticks((double)px / 1e4 * (1.0 + cur->size)) * TICK_E4;
		if (cur && cur->kind == TG_ANOM_FAT_FINGER) {
			px = to_ticks((double)px / 1e4 * (1.0 + cur->size)) * TICK_E4;
			shares = 100u * (uint32_t)rng_range(&r, 100, 900) + 1;
		}
		if (cur && cur->kind == TG_ANOM_FROZEN) {
			if (i == cur->first)
				frozen_px = last_px ? last_px : px;
			px = frozen_px;
		}
		out[i] = (struct tg_trade){
		    .instrument = (uint16_t)inst,
		    .exch_ts_ns = ts[i],
		    .price_e4 = px,
		    .shares = shares,
		    .side = side > 0 ? 'B' : 'S',
		};
		last_px = px;
	}
	for (uint32_t k = 0; k < np; k++) {
		labels[*nlabels + k] = (struct tg_label){
		    .instrument = (uint16_t)inst,
		    .kind = p[k].kind,
		    .first_tick = p[k].first,
		    .last_tick = p[k].last,
		    .first_ts_ns = ts[p[k].first],
		    .last_ts_ns = ts[p[k].last],
		};
	}
	*nlabels += np;
	return 0;
}

int tg_source_open_synth(const struct tg_synth_config *c, struct tg_source **out)
{
	if (c->instruments == 0 || c->instruments > 1000 || c->trades_per_instrument == 0 ||
	    c->trades_per_instrument > 100000000ull || c->session_end_ns <= c->session_start_ns ||
	    c->session_end_ns > 86400 * NS_PER_S)
		return -EINVAL;
	struct tg_source *s = tg_source__alloc(TG_SOURCE_SYNTH);
	uint64_t n = c->trades_per_instrument;
	uint64_t *ts = malloc(n * sizeof(*ts));
	uint32_t want = c->anomalies < 64 ? c->anomalies : 64;
	int rc = -ENOMEM;
	if (!s || !ts)
		goto fail;
	s->ninst = c->instruments;
	s->symbols = calloc(s->ninst, sizeof(*s->symbols));
	s->ntrades = n * s->ninst;
	s->trades = malloc(s->ntrades * sizeof(*s->trades));
	s->labels = calloc((size_t)want * s->ninst + 1, sizeof(*s->labels));
	if (!s->symbols || !s->trades || !s->labels)
		goto fail;
	uint32_t nl = 0;
	for (uint32_t i = 0; i < s->ninst; i++) {
		if (s->ninst <= sizeof(names) / sizeof(names[0]))
			snprintf(s->symbols[i], sizeof(s->symbols[i]), "%s", names[i]);
		else
			snprintf(s->symbols[i], sizeof(s->symbols[i]), "SYN%04u", i % 10000u);
		gen_instrument(c, i, s->trades + i * n, s->labels, &nl, ts);
	}
	s->nlabels = nl;
	rc = tg_source__finish_trades(s);
	if (rc)
		goto fail;
	free(ts);
	*out = s;
	return 0;
fail:
	free(ts);
	tg_source_close(s);
	return rc;
}
