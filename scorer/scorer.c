/* scorer.c - the scoring loop (see scorer.h). Per instrument we keep the
 * highest tick the arrival ring announced (ready_upto), the last tick of the
 * last window handled (scored_upto) and how many announced windows wait
 * (pending); a round turns every dirty instrument into one batch entry, so
 * a burst of ticks costs one window per instrument and the rest are
 * counted as coalesced. A batch lives in a slot from submit until its
 * result is polled; the entry keeps a copy of everything the flag needs, as
 * the tick ring may be overwritten before the result comes back. */
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
    [TG_SC_INFLIGHT_WINDOWS] = "windows_in_flight",
    [TG_SC_INFLIGHT_BATCHES] = "batches_in_flight",
    [TG_SC_INFLIGHT_FULL] = "rounds_inflight_full",
    [TG_SC_ABANDONED] = "windows_abandoned",
    [TG_SC_RESULT_NS] = "result_latency_ns",
    [TG_SC_RESULT_MAX_NS] = "result_latency_max_ns",
    [TG_SC_RECON_FIRST + 0] = "backend_batches_submitted",
    [TG_SC_RECON_FIRST + 1] = "backend_batches_rejected",
    [TG_SC_RECON_FIRST + 2] = "backend_windows_submitted",
    [TG_SC_RECON_FIRST + 3] = "backend_windows_scored",
    [TG_SC_RECON_FIRST + 4] = "backend_windows_unscored",
    [TG_SC_RECON_FIRST + 5] = "backend_windows_fallback",
    [TG_SC_RECON_FIRST + 6] = "backend_requests",
    [TG_SC_RECON_FIRST + 7] = "backend_retries",
    [TG_SC_RECON_FIRST + 8] = "backend_timeouts",
    [TG_SC_RECON_FIRST + 9] = "backend_conn_errors",
    [TG_SC_RECON_FIRST + 10] = "backend_http_2xx",
    [TG_SC_RECON_FIRST + 11] = "backend_http_429",
    [TG_SC_RECON_FIRST + 12] = "backend_http_4xx",
    [TG_SC_RECON_FIRST + 13] = "backend_http_5xx",
    [TG_SC_RECON_FIRST + 14] = "backend_http_other",
    [TG_SC_RECON_FIRST + 15] = "backend_malformed",
    [TG_SC_RECON_FIRST + 16] = "backend_error_bodies",
    [TG_SC_RECON_FIRST + 17] = "backend_auth_failures",
    [TG_SC_RECON_FIRST + 18] = "backend_circuit_open",
    [TG_SC_RECON_FIRST + 19] = "backend_bytes_sent",
    [TG_SC_RECON_FIRST + 20] = "backend_bytes_received",
    [TG_SC_RECON_FIRST + 21] = "backend_pending",
    [TG_SC_RECON_FIRST + 22] = "backend_inflight",
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

/* One window handed to the backend: what its flag needs, copied at take
 * time (the ticks may be overwritten before the result arrives). */
struct sc_entry {
	uint64_t first_seq;
	uint64_t exch_ts_ns, recv_ts_ns; /* of the last tick */
	uint32_t first_price_e4, last_price_e4;
	uint16_t instrument;
};

/* A batch from submit to result. */
struct sc_slot {
	uint64_t tag; /* 0 = free */
	uint32_t n;
	struct sc_entry *e; /* [max_batch] */
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
	struct sc_slot *slot;   /* [max_inflight] */
	struct sc_entry *entry; /* [max_inflight][max_batch], the slots' entries */
	uint32_t busy;          /* slots with a batch outstanding */
	uint64_t inflight_windows;
	float *x;        /* [max_batch][window] the batch being built */
	double *prices;  /* [window] */
	uint32_t *px_e4; /* [window] */
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

/* The memory tg_scorer_create() allocates (segments are the callers' to
 * detach or destroy first); create's failure path and destroy share it. */
static void sc_free(struct tg_scorer *s)
{
	free(s->px_e4);
	free(s->prices);
	free(s->x);
	free(s->entry);
	free(s->slot);
	free(s->dirty);
	free(s->inst);
	free(s);
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
	if (!s->cfg.max_inflight)
		s->cfg.max_inflight = 8;
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
	s->slot = calloc(s->cfg.max_inflight, sizeof(*s->slot));
	s->entry = calloc((size_t)s->cfg.max_inflight * s->cfg.max_batch, sizeof(*s->entry));
	s->x = calloc((size_t)s->cfg.max_batch * cfg->window, sizeof(*s->x));
	s->prices = calloc(cfg->window, sizeof(*s->prices));
	s->px_e4 = calloc(cfg->window, sizeof(*s->px_e4));
	if (!s->inst || !s->dirty || !s->slot || !s->entry || !s->x || !s->prices || !s->px_e4)
		goto fail_free;
	for (uint32_t i = 0; i < s->cfg.max_inflight; i++)
		s->slot[i].e = s->entry + (size_t)i * s->cfg.max_batch;
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
	sc_free(s);
	return err;
}

void tg_scorer_finish(struct tg_scorer *s)
{
	tg_scorer_drain(s, 0);
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
	sc_free(s);
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

/* What sc_take did with an instrument's windows. */
enum sc_took { SC_NONE, SC_SUBMIT };

/* Copy the instrument's latest window into e and x (scaled), validating the
 * copy at once: a torn copy is discarded here, so whatever the backend
 * scores, whenever its answer comes, is a window that really existed.
 * Settles the entry itself (counters) unless it returns SC_SUBMIT. */
static enum sc_took sc_take(struct tg_scorer *s, uint16_t id, struct sc_entry *e, float *x)
{
	struct sc_inst *in = &s->inst[id];
	const struct tg_ring *r = tg_segment_tick_ring(s->ticks, id);
	uint32_t W = s->cfg.window;
	struct tg_window w;
	uint32_t pending = in->pending;
	in->pending = 0;
	in->dirty = false;
	if (!r || tg_ring_window_last(r, W, &w) < 0) {
		sc_add(s, TG_SC_REJECTED, pending);
		return SC_NONE;
	}
	uint64_t end = w.first_seq + W;
	if (end <= in->scored_upto) {
		sc_add(s, TG_SC_COALESCED, pending);
		return SC_NONE;
	}
	in->scored_upto = end;
	/* R3: copy what the score and the flag need ... */
	tg_window_prices_e4(&w, s->px_e4);
	e->first_seq = w.first_seq;
	e->exch_ts_ns = tg_window_word(&w, W - 1, 2);
	e->recv_ts_ns = tg_window_word(&w, W - 1, 3);
	e->first_price_e4 = s->px_e4[0];
	e->last_price_e4 = s->px_e4[W - 1];
	e->instrument = id;
	if (pending > 1)
		sc_add(s, TG_SC_COALESCED, pending - 1);
	/* ... R4-R5: then validate the copy, before anything is decided. */
	if (!s->cfg.no_validate && !tg_ring_window_valid(&w)) {
		sc_add(s, TG_SC_DISCARDED, 1);
		return SC_NONE;
	}
	for (uint32_t i = 0; i < W; i++)
		s->prices[i] = (double)s->px_e4[i] / 1e4;
	if (tg_scaler_apply(s->cfg.scaler, (uint32_t)sc_group(s, id), s->prices, x) < 0) {
		sc_add(s, TG_SC_REJECTED, 1);
		return SC_NONE;
	}
	return SC_SUBMIT;
}

/* Publish the decision about one window whose copy was valid. */
static void sc_decide(struct tg_scorer *s, const struct sc_entry *e, double mse, uint64_t now)
{
	if (isnan(mse)) {
		sc_add(s, TG_SC_UNSCORED, 1);
		return;
	}
	struct tg_flag f = {0};
	f.first_seq = e->first_seq;
	f.last_seq = e->first_seq + s->cfg.window - 1;
	f.exch_ts_ns = e->exch_ts_ns;
	f.recv_ts_ns = e->recv_ts_ns;
	f.first_price_e4 = e->first_price_e4;
	f.last_price_e4 = e->last_price_e4;
	f.score = mse;
	f.threshold = s->cfg.threshold;
	f.anomalous = mse > s->cfg.threshold;
	f.instrument = e->instrument;
	f.scorer = (uint8_t)s->cfg.index;
	f.scored_ts_ns = now;
	f.ticks_epoch = (uint32_t)tg_segment_epoch(s->ticks); /* publisher orders seqs per epoch */
	uint64_t words[TG_FLAG_SLOT_WORDS - 1];
	tg_flag_pack(&f, words);
	tg_ring_append(s->flag_ring, words);
	sc_add(s, TG_SC_SCORED, 1);
	if (f.anomalous)
		sc_add(s, TG_SC_ANOMALOUS, 1);
}

static void sc_inflight_gauges(struct tg_scorer *s)
{
	atomic_store_explicit(s->ctr[TG_SC_INFLIGHT_WINDOWS], s->inflight_windows,
	                      memory_order_relaxed);
	atomic_store_explicit(s->ctr[TG_SC_INFLIGHT_BATCHES], s->busy, memory_order_relaxed);
}

static void sc_slot_release(struct tg_scorer *s, struct sc_slot *sl)
{
	s->inflight_windows -= sl->n;
	sl->tag = 0;
	sl->n = 0;
	s->busy--;
}

/* Handle every completed batch; returns the windows decided. Never blocks. */
static int sc_collect(struct tg_scorer *s)
{
	struct tg_recon_result res[8];
	int handled = 0, got;
	while ((got = tg_recon_poll_burst(s->cfg.recon, res, 8)) > 0) {
		uint64_t t0 = tg_monotonic_ns();
		uint64_t now = tg_realtime_ns();
		for (int k = 0; k < got; k++) {
			struct sc_slot *sl = NULL;
			for (uint32_t i = 0; i < s->cfg.max_inflight && !sl; i++)
				if (s->slot[i].tag == res[k].tag)
					sl = &s->slot[i];
			if (!sl || res[k].count != sl->n)
				continue; /* abandoned at drain: already counted */
			for (uint32_t i = 0; i < sl->n; i++)
				sc_decide(s, &sl->e[i], res[k].mse[i], now);
			handled += (int)sl->n;
			sc_add(s, TG_SC_RESULT_NS, res[k].latency_ns);
			if (res[k].latency_ns > tg_scorer_counter(s, TG_SC_RESULT_MAX_NS))
				atomic_store_explicit(s->ctr[TG_SC_RESULT_MAX_NS],
				                      res[k].latency_ns, memory_order_relaxed);
			sc_slot_release(s, sl);
		}
		sc_add(s, TG_SC_SCORE_NS, tg_monotonic_ns() - t0);
	}
	sc_inflight_gauges(s);
	return got < 0 ? got : handled;
}

static struct sc_slot *sc_slot_free(struct tg_scorer *s)
{
	if (s->busy >= s->cfg.max_inflight)
		return NULL;
	for (uint32_t i = 0; i < s->cfg.max_inflight; i++)
		if (!s->slot[i].tag)
			return &s->slot[i];
	return NULL;
}

/* Submit the n entries of sl (scaled windows in s->x). 0 or -errno for a
 * backend that cannot continue. */
static int sc_submit(struct tg_scorer *s, struct sc_slot *sl, uint32_t n)
{
	uint64_t tag = ++s->tag;
	int rc = tg_recon_submit(s->cfg.recon, tag, s->x, n);
	sc_add(s, TG_SC_BATCHES, 1);
	if (n > tg_scorer_counter(s, TG_SC_BATCH_MAX))
		atomic_store_explicit(s->ctr[TG_SC_BATCH_MAX], n, memory_order_relaxed);
	if (rc == -EAGAIN) { /* the backend holds fewer batches than we do */
		sc_add(s, TG_SC_UNSCORED, n);
		return 0;
	}
	if (rc < 0)
		return rc;
	sl->tag = tag;
	sl->n = n;
	s->busy++;
	s->inflight_windows += n; /* one each: the rest of `pending` coalesced at take */
	return 0;
}

int tg_scorer_poll(struct tg_scorer *s)
{
	int handled = 0;
	if (s->busy) {
		int rc = sc_collect(s);
		if (rc < 0)
			return rc;
		handled += rc;
	}
	if (!s->ticks)
		return handled;
	sc_drain_arrivals(s);
	uint32_t W = s->cfg.window;
	while (s->ndirty) {
		struct sc_slot *sl = sc_slot_free(s);
		if (!sl) {
			/* all batches out: the dirty instruments wait, and coalesce */
			sc_add(s, TG_SC_INFLIGHT_FULL, 1);
			break;
		}
		uint64_t t0 = tg_monotonic_ns();
		uint32_t n = 0;
		/* Freshest windows: take the dirty list from its end. */
		while (s->ndirty && n < s->cfg.max_batch) {
			uint16_t id = s->dirty[--s->ndirty];
			if (sc_take(s, id, &sl->e[n], s->x + (size_t)n * W) == SC_SUBMIT)
				n++;
			handled++;
		}
		int rc = n ? sc_submit(s, sl, n) : 0;
		sc_add(s, TG_SC_SCORE_NS, tg_monotonic_ns() - t0);
		if (rc < 0)
			return rc;
		/* TESTS ONLY: the synchronous scorer this replaced. */
		while (s->cfg.sync_wait && sl->tag) {
			rc = sc_collect(s);
			if (rc < 0)
				return rc;
			if (sl->tag)
				tg_recon_wait(s->cfg.recon, 1000000);
		}
		/* A local backend has the result already. */
		rc = sc_collect(s);
		if (rc < 0)
			return rc;
	}
	sc_inflight_gauges(s);
	return handled;
}

uint64_t tg_scorer_drain(struct tg_scorer *s, uint64_t timeout_ns)
{
	uint64_t end = tg_monotonic_ns() + timeout_ns;
	while (!tg_scorer_idle(s) && tg_monotonic_ns() < end) {
		int n = tg_scorer_poll(s);
		if (n < 0)
			break;
		if (n == 0 && s->busy) {
			uint64_t now = tg_monotonic_ns(), left = end > now ? end - now : 0;
			tg_recon_wait(s->cfg.recon, left < 10000000ull ? left : 10000000ull);
		}
	}
	/* Out of time: what is out or waiting will not be scored. */
	uint64_t abandoned = 0;
	for (uint32_t i = 0; i < s->cfg.max_inflight; i++) {
		struct sc_slot *sl = &s->slot[i];
		if (!sl->tag)
			continue;
		abandoned += sl->n;
		sc_slot_release(s, sl);
	}
	while (s->ndirty) {
		struct sc_inst *in = &s->inst[s->dirty[--s->ndirty]];
		abandoned += in->pending;
		in->pending = 0;
		in->dirty = false;
	}
	sc_add(s, TG_SC_UNSCORED, abandoned);
	sc_add(s, TG_SC_ABANDONED, abandoned);
	sc_inflight_gauges(s);
	return abandoned;
}

bool tg_scorer_idle(const struct tg_scorer *s)
{
	return s->busy == 0 &&
	       (!s->ticks || (s->ndirty == 0 && s->next_arrival == tg_ring_head(s->arrivals)));
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
	uint64_t rv[TG_SC_RECON_LAST - TG_SC_RECON_FIRST + 1]; /* its uint64_t fields, in order */
	_Static_assert(sizeof(rcn) == (TG_SC_RECON_LAST - TG_SC_RECON_FIRST + 1) * sizeof(uint64_t),
	               "tg_recon_counters changed: update the backend_ counters");
	memcpy(rv, &rcn, sizeof(rv));
	for (unsigned i = TG_SC_RECON_FIRST; i <= TG_SC_RECON_LAST; i++)
		atomic_store_explicit(s->ctr[i], rv[i - TG_SC_RECON_FIRST], memory_order_relaxed);
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
		/* The gateway restarted with a new segment: follow it. First
		 * finish what the old epoch announced (its rings stay mapped
		 * until the detach below), for a bounded time in case its
		 * writer still appends; then batches still out are about the
		 * old epoch's instruments: abandoned, and counted. */
		uint64_t until = tg_monotonic_ns() + 200000000ull;
		while (!tg_scorer_idle(s) && tg_monotonic_ns() < until)
			if (tg_scorer_poll(s) < 0)
				break;
		tg_scorer_drain(s, 0);
		tg_segment_detach(s->ticks);
		s->ticks = NULL;
		sc_reset(s);
		sc_add(s, TG_SC_TICKS_REATTACH, 1);
		tg_scorer_attach(s);
		return -ESTALE;
	}
	return rc;
}
