/* scorer.c - the scoring loop (see scorer.h). Per instrument we keep the
 * highest tick the arrival ring announced (ready_upto), the last tick of the
 * last window handled (scored_upto) and how many announced windows wait
 * (pending); a round turns every dirty instrument into one batch entry, so
 * a burst of ticks costs one window per instrument and the rest are
 * counted as coalesced. */
#include "scorer/scorer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tg_common.h"
#include "shm/shm.h"

#define SC_MAX_INSTRUMENTS 65536u

static const char *const sc_counter_names[TG_SC_NCOUNTERS] = {
    [TG_SC_ARRIVALS] = "arrivals",
    [TG_SC_ARRIVALS_OTHER] = "arrivals_other_shards",
    [TG_SC_ARRIVALS_LAPPED] = "arrivals_lapped",
    [TG_SC_WARMUP] = "warmup_ticks",
    [TG_SC_READY] = "windows_ready",
    [TG_SC_SCORED] = "windows_scored",
    [TG_SC_COALESCED] = "windows_coalesced",
    [TG_SC_DISCARDED] = "windows_discarded",
    [TG_SC_UNSCORED] = "windows_unscored",
    [TG_SC_REJECTED] = "windows_rejected",
    [TG_SC_ANOMALOUS] = "windows_anomalous",
    [TG_SC_BATCHES] = "batches",
    [TG_SC_BATCH_MAX] = "batch_windows_max",
    [TG_SC_SCALER_FALLBACK] = "scaler_pooled_fallback",
    [TG_SC_TICKS_REATTACH] = "ticks_reattach",
    [TG_SC_SCORE_NS] = "score_ns",
    [TG_SC_CPU_NS] = "cpu_ns",
    [TG_SC_RECON_FALLBACK] = "recon_fallback_windows",
    [TG_SC_RECON_REQUESTS] = "recon_requests",
    [TG_SC_RECON_FAILURES] = "recon_failures",
    [TG_SC_FINISHED] = "finished",
};

const char *tg_scorer_counter_name(unsigned i)
{
	return i < TG_SC_NCOUNTERS ? sc_counter_names[i] : "?";
}

int tg_idle_parse(const char *name)
{
	if (!strcmp(name, "spin"))
		return TG_IDLE_SPIN;
	if (!strcmp(name, "yield"))
		return TG_IDLE_YIELD;
	if (!strcmp(name, "sleep"))
		return TG_IDLE_SLEEP;
	return -EINVAL;
}

struct sc_inst {
	uint64_t ready_upto;  /* highest announced tick + 1 (0 = none) */
	uint64_t scored_upto; /* last tick of the last window handled + 1 */
	uint32_t pending;     /* announced windows not yet handled */
	int32_t group;        /* scaler group, -1 unresolved */
	bool dirty;
};

struct sc_entry {
	struct tg_window w;
	uint16_t instrument;
	uint32_t pending;
	bool rejected;
};

struct tg_scorer {
	struct tg_scorer_config cfg;
	char flags_name[64];
	char ticks_name[64];
	struct tg_segment *flags;
	struct tg_ring *flag_ring;
	_Atomic uint64_t *ctr[TG_SC_NCOUNTERS];
	struct tg_segment *ticks;
	const struct tg_ring *arrivals;
	uint64_t next_arrival;
	struct sc_inst *inst; /* [SC_MAX_INSTRUMENTS] */
	uint16_t *dirty;      /* [SC_MAX_INSTRUMENTS] list of dirty ids */
	uint32_t ndirty;
	struct sc_entry *batch; /* [max_batch] */
	float *x;               /* [max_batch][window] */
	double *prices;         /* [window] */
	uint64_t tag;
};

/* The scorer is the only writer of its counters: a relaxed add is enough
 * (a counter orders nothing; readers load relaxed, see shm.h). */
static inline void sc_add(struct tg_scorer *s, unsigned i, uint64_t v)
{
	atomic_fetch_add_explicit(s->ctr[i], v, memory_order_relaxed);
}

uint64_t tg_scorer_counter(const struct tg_scorer *s, unsigned i)
{
	return atomic_load_explicit(s->ctr[i], memory_order_relaxed);
}

int tg_scorer_create(const struct tg_scorer_config *cfg, struct tg_scorer **out)
{
	if (!cfg->recon || !cfg->scaler || cfg->count == 0 || cfg->index >= cfg->count ||
	    cfg->window < 2 || cfg->window != cfg->recon->window || cfg->recon->features != 1)
		return -EINVAL;
	struct tg_scorer *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.max_batch || s->cfg.max_batch > cfg->recon->max_batch)
		s->cfg.max_batch = cfg->recon->max_batch;
	if (!s->cfg.max_arrivals)
		s->cfg.max_arrivals = 65536;
	if (!s->cfg.flag_slots)
		s->cfg.flag_slots = 1u << 16;
	snprintf(s->ticks_name, sizeof(s->ticks_name), "%s",
	         cfg->ticks_name ? cfg->ticks_name : "ticks");
	if (cfg->flags_name)
		snprintf(s->flags_name, sizeof(s->flags_name), "%s", cfg->flags_name);
	else
		snprintf(s->flags_name, sizeof(s->flags_name), "flags.%u", cfg->index);
	s->cfg.ticks_name = s->ticks_name;
	s->cfg.flags_name = s->flags_name;
	int err = -ENOMEM;
	s->inst = calloc(SC_MAX_INSTRUMENTS, sizeof(*s->inst));
	s->dirty = calloc(SC_MAX_INSTRUMENTS, sizeof(*s->dirty));
	s->batch = calloc(s->cfg.max_batch, sizeof(*s->batch));
	s->x = calloc((size_t)s->cfg.max_batch * cfg->window, sizeof(*s->x));
	s->prices = calloc(cfg->window, sizeof(*s->prices));
	if (!s->inst || !s->dirty || !s->batch || !s->x || !s->prices)
		goto fail_free;
	for (uint32_t i = 0; i < SC_MAX_INSTRUMENTS; i++)
		s->inst[i].group = -1;

	struct tg_segment_config sc = {
	    .name = s->flags_name,
	    .kind = TG_SEG_FLAGS,
	    .ring_slots = s->cfg.flag_slots,
	    .counters = TG_SC_NCOUNTERS,
	    .counter_names = sc_counter_names,
	    .dir = cfg->seg_dir,
	};
	err = tg_segment_create(&sc, &s->flags);
	if (err < 0)
		goto fail_free;
	s->flag_ring = tg_segment_ring_w(s->flags);
	for (unsigned i = 0; i < TG_SC_NCOUNTERS; i++)
		s->ctr[i] = tg_segment_counter_w(s->flags, i);
	tg_segment_heartbeat(s->flags);
	tg_segment_publish(s->flags);
	*out = s;
	return 0;

fail_free:
	free(s->prices);
	free(s->x);
	free(s->batch);
	free(s->dirty);
	free(s->inst);
	free(s);
	return err;
}

void tg_scorer_finish(struct tg_scorer *s)
{
	tg_scorer_housekeep(s);
	atomic_store_explicit(s->ctr[TG_SC_FINISHED], 1, memory_order_relaxed);
}

void tg_scorer_destroy(struct tg_scorer *s, bool unlink_flags)
{
	if (!s)
		return;
	if (s->ticks)
		tg_segment_detach(s->ticks);
	if (s->flags)
		tg_segment_destroy(s->flags, unlink_flags);
	free(s->prices);
	free(s->x);
	free(s->batch);
	free(s->dirty);
	free(s->inst);
	free(s);
}

static void sc_reset(struct tg_scorer *s)
{
	for (uint32_t i = 0; i < SC_MAX_INSTRUMENTS; i++)
		s->inst[i] = (struct sc_inst){.group = -1};
	s->ndirty = 0;
	s->next_arrival = 0;
}

int tg_scorer_attach(struct tg_scorer *s)
{
	if (s->ticks)
		return 0;
	int err = tg_segment_attach(s->ticks_name, &s->ticks);
	if (err < 0) {
		s->ticks = NULL;
		return err;
	}
	if (tg_segment_kind(s->ticks) != TG_SEG_TICKS) {
		tg_segment_detach(s->ticks);
		s->ticks = NULL;
		return -EPROTO;
	}
	s->arrivals = tg_segment_arrival_ring(s->ticks);
	/* Start at the oldest arrival still held: a restarted scorer catches
	 * up by scoring the freshest window per instrument (coalescing). */
	uint64_t h = tg_ring_head(s->arrivals);
	s->next_arrival = h > s->arrivals->capacity ? h - s->arrivals->capacity : 0;
	if (s->next_arrival)
		sc_add(s, TG_SC_ARRIVALS_LAPPED, s->next_arrival);
	return 0;
}

static void sc_mark(struct tg_scorer *s, uint16_t id, uint64_t tick_seq)
{
	struct sc_inst *in = &s->inst[id];
	if (tick_seq < in->ready_upto)
		return;                             /* already accounted (resync after a lap) */
	uint64_t n = tick_seq + 1 - in->ready_upto; /* normally 1 */
	uint64_t first_ready = s->cfg.window - 1;
	uint64_t from = in->ready_upto > first_ready ? in->ready_upto : first_ready;
	uint64_t ready = tick_seq >= from ? tick_seq + 1 - from : 0;
	sc_add(s, TG_SC_WARMUP, n - ready);
	in->ready_upto = tick_seq + 1;
	if (!ready)
		return;
	sc_add(s, TG_SC_READY, ready);
	in->pending += (uint32_t)ready;
	if (!in->dirty) {
		in->dirty = true;
		s->dirty[s->ndirty++] = id;
	}
}

/* Arrival records lost: account every instrument of the shard from its own
 * tick ring head instead. */
static void sc_resync(struct tg_scorer *s)
{
	uint32_t n = tg_segment_instruments(s->ticks);
	for (uint32_t id = s->cfg.index; id < n; id += s->cfg.count) {
		uint64_t h = tg_ring_head(tg_segment_tick_ring(s->ticks, id));
		if (h)
			sc_mark(s, (uint16_t)id, h - 1);
	}
}

static uint32_t sc_drain_arrivals(struct tg_scorer *s)
{
	const struct tg_ring *r = s->arrivals;
	uint64_t h = tg_ring_head(r);
	uint64_t lost = tg_ring_lapped(r, s->next_arrival);
	bool resync = false;
	if (lost) {
		sc_add(s, TG_SC_ARRIVALS_LAPPED, lost);
		s->next_arrival += lost;
		resync = true;
	}
	uint32_t done = 0;
	uint64_t words[TG_ARRIVAL_SLOT_WORDS - 1];
	while (s->next_arrival < h && done < s->cfg.max_arrivals) {
		int rc = tg_ring_try_read(r, s->next_arrival, words);
		if (rc == -ENODATA) { /* overwritten under us */
			uint64_t nh = tg_ring_head(r);
			uint64_t skip = nh > s->next_arrival + r->capacity
			                    ? nh - r->capacity - s->next_arrival
			                    : 1;
			sc_add(s, TG_SC_ARRIVALS_LAPPED, skip);
			s->next_arrival += skip;
			resync = true;
			continue;
		}
		if (rc < 0)
			break;
		s->next_arrival++;
		done++;
		sc_add(s, TG_SC_ARRIVALS, 1);
		struct tg_arrival a;
		tg_arrival_unpack(words, &a);
		if (a.instrument % s->cfg.count != s->cfg.index) {
			sc_add(s, TG_SC_ARRIVALS_OTHER, 1);
			continue;
		}
		sc_mark(s, a.instrument, a.tick_seq);
	}
	if (resync)
		sc_resync(s);
	return done;
}

static int32_t sc_group(struct tg_scorer *s, uint16_t id)
{
	struct sc_inst *in = &s->inst[id];
	if (in->group >= 0)
		return in->group;
	struct tg_instrument_info info;
	int g = -ENOENT;
	if (tg_segment_instrument(s->ticks, id, &info) == 0)
		g = tg_scaler_lookup(s->cfg.scaler, info.symbol);
	if (g < 0) {
		g = 0;
		sc_add(s, TG_SC_SCALER_FALLBACK, 1);
	}
	in->group = g;
	return g;
}

/* Fill one batch entry from the instrument's latest window; false if the
 * entry is fully coalesced (no fresher window than the last one handled). */
static bool sc_take(struct tg_scorer *s, uint16_t id, struct sc_entry *e, float *x)
{
	struct sc_inst *in = &s->inst[id];
	const struct tg_ring *r = tg_segment_tick_ring(s->ticks, id);
	uint32_t W = s->cfg.window;
	e->instrument = id;
	e->pending = in->pending;
	e->rejected = false;
	in->pending = 0;
	in->dirty = false;
	if (!r || tg_ring_window_last(r, W, &e->w) < 0) {
		sc_add(s, TG_SC_REJECTED, e->pending);
		return false;
	}
	uint64_t end = e->w.first_seq + W;
	if (end <= in->scored_upto) {
		sc_add(s, TG_SC_COALESCED, e->pending);
		return false;
	}
	in->scored_upto = end;
	for (uint32_t i = 0; i < W; i++)
		s->prices[i] = (double)tg_window_price_e4(&e->w, i) / 1e4;
	if (tg_scaler_apply(s->cfg.scaler, (uint32_t)sc_group(s, id), s->prices, x) < 0)
		e->rejected = true;
	return true;
}

static void sc_decide(struct tg_scorer *s, const struct sc_entry *e, double mse, uint64_t now)
{
	uint32_t W = s->cfg.window;
	if (e->pending > 1)
		sc_add(s, TG_SC_COALESCED, e->pending - 1);
	if (e->rejected) {
		sc_add(s, TG_SC_REJECTED, 1);
		return;
	}
	if (isnan(mse)) {
		sc_add(s, TG_SC_UNSCORED, 1);
		return;
	}
	struct tg_flag f = {0};
	f.first_seq = e->w.first_seq;
	f.last_seq = e->w.first_seq + W - 1;
	f.exch_ts_ns = tg_window_word(&e->w, W - 1, 2);
	f.recv_ts_ns = tg_window_word(&e->w, W - 1, 3);
	f.first_price_e4 = tg_window_price_e4(&e->w, 0);
	f.last_price_e4 = tg_window_price_e4(&e->w, W - 1);
	f.score = mse;
	f.threshold = s->cfg.threshold;
	f.anomalous = mse > s->cfg.threshold;
	f.instrument = e->instrument;
	f.scorer = (uint8_t)s->cfg.index;
	f.scored_ts_ns = now;
	/* Decide first, then validate: a window overwritten while we scored
	 * it may have mixed two records; its score must never be published. */
	if (!s->cfg.no_validate && !tg_ring_window_valid(&e->w)) {
		sc_add(s, TG_SC_DISCARDED, 1);
		return;
	}
	uint64_t words[TG_FLAG_SLOT_WORDS - 1];
	tg_flag_pack(&f, words);
	tg_ring_append(s->flag_ring, words);
	sc_add(s, TG_SC_SCORED, 1);
	if (f.anomalous)
		sc_add(s, TG_SC_ANOMALOUS, 1);
}

static int sc_score_batch(struct tg_scorer *s, uint32_t n)
{
	uint64_t t0 = tg_monotonic_ns();
	uint32_t W = s->cfg.window;
	/* Compact the entries that need the backend (not rejected) into x. */
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (s->batch[i].rejected)
			continue;
		if (m != i)
			memcpy(s->x + (size_t)m * W, s->x + (size_t)i * W, W * sizeof(float));
		m++;
	}
	const double *mse = NULL;
	struct tg_recon_result res = {0};
	if (m) {
		uint64_t tag = ++s->tag;
		int rc = tg_recon_submit(s->cfg.recon, tag, s->x, m);
		if (rc < 0)
			return rc;
		for (;;) {
			int got = tg_recon_poll_burst(s->cfg.recon, &res, 1);
			if (got < 0)
				return got;
			if (got == 1 && res.tag == tag)
				break;
			if (got == 0)
				tg_recon_wait(s->cfg.recon, 1000000);
		}
		mse = res.mse;
	}
	uint64_t now = tg_realtime_ns();
	for (uint32_t i = 0, j = 0; i < n; i++) {
		struct sc_entry *e = &s->batch[i];
		sc_decide(s, e, e->rejected ? (double)NAN : mse[j], now);
		if (!e->rejected)
			j++;
	}
	sc_add(s, TG_SC_BATCHES, 1);
	if (n > tg_scorer_counter(s, TG_SC_BATCH_MAX))
		atomic_store_explicit(s->ctr[TG_SC_BATCH_MAX], n, memory_order_relaxed);
	sc_add(s, TG_SC_SCORE_NS, tg_monotonic_ns() - t0);
	return 0;
}

int tg_scorer_poll(struct tg_scorer *s)
{
	if (!s->ticks)
		return 0;
	sc_drain_arrivals(s);
	int handled = 0;
	uint32_t W = s->cfg.window;
	while (s->ndirty) {
		uint32_t n = 0;
		/* Freshest windows: take the dirty list from its end. */
		while (s->ndirty && n < s->cfg.max_batch) {
			uint16_t id = s->dirty[--s->ndirty];
			if (sc_take(s, id, &s->batch[n], s->x + (size_t)n * W))
				n++;
			handled++;
		}
		if (n) {
			int rc = sc_score_batch(s, n);
			if (rc < 0)
				return rc;
		}
	}
	return handled;
}

bool tg_scorer_idle(const struct tg_scorer *s)
{
	return !s->ticks || (s->ndirty == 0 && s->next_arrival == tg_ring_head(s->arrivals));
}

int tg_scorer_housekeep(struct tg_scorer *s)
{
	tg_segment_heartbeat(s->flags);
	struct timespec ts;
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0)
		atomic_store_explicit(s->ctr[TG_SC_CPU_NS],
		                      (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
		                      memory_order_relaxed);
	struct tg_recon_counters rcn;
	tg_recon_counters(s->cfg.recon, &rcn);
	atomic_store_explicit(s->ctr[TG_SC_RECON_FALLBACK], rcn.windows_fallback,
	                      memory_order_relaxed);
	atomic_store_explicit(s->ctr[TG_SC_RECON_REQUESTS], rcn.requests, memory_order_relaxed);
	atomic_store_explicit(s->ctr[TG_SC_RECON_FAILURES],
	                      rcn.timeouts + rcn.conn_errors + rcn.http_4xx + rcn.http_5xx +
	                          rcn.http_429 + rcn.http_other + rcn.malformed,
	                      memory_order_relaxed);
	if (!s->ticks)
		return 0;
	int rc = tg_segment_check(s->ticks);
	if (rc == -ESTALE) {
		/* The gateway restarted with a new segment: follow it. */
		tg_segment_detach(s->ticks);
		s->ticks = NULL;
		sc_reset(s);
		sc_add(s, TG_SC_TICKS_REATTACH, 1);
		tg_scorer_attach(s);
		return -ESTALE;
	}
	return rc;
}
