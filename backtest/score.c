/* score.c - the backtest engine: windows -> the scorer's preprocessing and
 * local reconstruction backend -> score > threshold -> the publisher's
 * episode state machine, on all cores with results independent of the
 * thread count (see backtest.h), plus train-then-score. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backtest/backtest.h"
#include "common/progress.h"
#include "common/tg_common.h"
#include "model/calibrate.h"
#include "model/train.h"
#include "model/train_data.h"
#include "scorer/recon.h"

#define BT_MAX_THREADS 64

void tg_bt_config_default(struct tg_bt_config *c)
{
	memset(c, 0, sizeof(*c));
	c->threads = 1;
	c->batch = 32;
	tg_episode_config_default(&c->episode);
}

void tg_bt_result_free(struct tg_bt_result *res)
{
	for (uint32_t i = 0; i < res->n && res->inst; i++) {
		free(res->inst[i].w);
		free(res->inst[i].alerts);
	}
	free(res->inst);
	memset(res, 0, sizeof(*res));
}

struct bt_chunk {
	uint32_t inst;
	uint64_t first, count; /* window indexes into inst.w */
};

struct bt_job {
	const struct tg_bt_input *in;
	const struct tg_model *m;
	const struct tg_scaler *sc;
	double threshold;
	struct tg_bt_result *res;
	const struct bt_chunk *chunks;
	uint64_t n_chunks;
	uint32_t batch;
	atomic_uint_fast64_t next; /* chunk claim counter: fetch_add, no pairing needed */
	atomic_uint_fast64_t done; /* windows finished: relaxed, progress display only */
	atomic_int failed;         /* first failure (-errno); relaxed: read after join */
};

struct bt_worker {
	struct bt_job *job;
	pthread_t tid;
	int rc;
	struct tg_recon *recon;
	float *x;
	double *prices;
	uint32_t *slot; /* batch position -> window index in chunk */
};

static int bt_score_chunk(struct bt_worker *w, const struct bt_chunk *c)
{
	struct bt_job *j = w->job;
	const struct tg_bt_series *s = &j->in->s[c->inst];
	struct tg_bt_inst *bi = &j->res->inst[c->inst];
	uint32_t W = j->res->window;
	uint32_t g = bi->scaler_group < 0 ? 0 : (uint32_t)bi->scaler_group;
	uint32_t m = 0;
	for (uint64_t k = 0; k < c->count; k++) {
		struct tg_bt_window *bw = &bi->w[c->first + k];
		uint64_t start = bw->last_tick + 1 - W;
		/* exactly what the scorer does with a ring window (scorer.c sc_take) */
		for (uint32_t t = 0; t < W; t++)
			w->prices[t] = s->px[start + t];
		if (tg_scaler_apply(j->sc, g, w->prices, w->x + (size_t)m * W) < 0) {
			bw->status = TG_BT_W_REJECTED;
			bw->score = (double)NAN;
			continue;
		}
		w->slot[m++] = (uint32_t)k;
	}
	if (m == 0)
		return 0;
	int rc = tg_recon_submit(w->recon, c->first, w->x, m);
	if (rc < 0)
		return rc;
	struct tg_recon_result r;
	if (tg_recon_poll_burst(w->recon, &r, 1) != 1 || r.tag != c->first)
		return -EIO;
	for (uint32_t k = 0; k < m; k++) {
		struct tg_bt_window *bw = &bi->w[c->first + w->slot[k]];
		if (isnan(r.mse[k])) {
			bw->status = TG_BT_W_REJECTED;
			bw->score = (double)NAN;
			continue;
		}
		bw->status = TG_BT_W_SCORED;
		bw->score = r.mse[k];
		bw->anomalous = r.mse[k] > j->threshold; /* the scorer's decision */
	}
	return 0;
}

static void *bt_worker_main(void *arg)
{
	struct bt_worker *w = arg;
	struct bt_job *j = w->job;
	for (;;) {
		if (atomic_load_explicit(&j->failed, memory_order_relaxed))
			break;
		uint64_t i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
		if (i >= j->n_chunks)
			break;
		int rc = bt_score_chunk(w, &j->chunks[i]);
		if (rc < 0) {
			int zero = 0;
			atomic_compare_exchange_strong_explicit(
			    &j->failed, &zero, rc, memory_order_relaxed, memory_order_relaxed);
			w->rc = rc;
			break;
		}
		atomic_fetch_add_explicit(&j->done, j->chunks[i].count, memory_order_relaxed);
	}
	return NULL;
}

static double bt_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Score windows whose last tick is in [from[i], to[i]) (to NULL: to the end). */
static int bt_score(const struct tg_bt_input *in, const uint64_t *from, const uint64_t *to,
                    const struct tg_model *m, const struct tg_scaler *sc, double threshold,
                    const struct tg_bt_config *cfg, struct tg_bt_result *res, char *err,
                    size_t errlen)
{
	memset(res, 0, sizeof(*res));
	uint32_t W = m->cfg.window;
	if (m->cfg.features != 1 || tg_scaler_window(sc) != W) {
		snprintf(err, errlen, "model window %u / features %u do not match the scaler's %u",
		         W, m->cfg.features, tg_scaler_window(sc));
		return -EINVAL;
	}
	uint32_t threads = cfg->threads ? cfg->threads : 1;
	if (threads > BT_MAX_THREADS)
		threads = BT_MAX_THREADS;
	uint32_t batch = cfg->batch ? cfg->batch : 32;
	res->window = W;
	res->threshold = threshold;
	res->threads = threads;
	res->n = in->n;
	res->inst = calloc(in->n ? in->n : 1, sizeof(*res->inst));
	if (!res->inst)
		return -ENOMEM;
	uint64_t n_chunks = 0, total = 0;
	for (uint32_t i = 0; i < in->n; i++) {
		struct tg_bt_inst *bi = &res->inst[i];
		const struct tg_bt_series *s = &in->s[i];
		uint64_t lo = W - 1, hi = s->n;
		if (from && from[i] > lo)
			lo = from[i];
		if (to && to[i] < hi)
			hi = to[i];
		bi->from_tick = lo;
		bi->n_windows = hi > lo ? hi - lo : 0;
		bi->scaler_group = tg_scaler_lookup(sc, s->name);
		if (bi->scaler_group < 0)
			res->fallback_groups++;
		if (bi->n_windows) {
			bi->w = calloc(bi->n_windows, sizeof(*bi->w));
			if (!bi->w)
				return -ENOMEM;
			for (uint64_t k = 0; k < bi->n_windows; k++)
				bi->w[k].last_tick = lo + k;
		}
		/* broken variant: one chunk per thread share (depends on threads) */
		uint64_t per =
		    cfg->broken_chunking ? (bi->n_windows + threads - 1) / threads : batch;
		if (per == 0)
			per = 1;
		n_chunks += (bi->n_windows + per - 1) / per;
		total += bi->n_windows;
	}
	uint32_t maxb = batch;
	struct bt_chunk *chunks = calloc(n_chunks ? n_chunks : 1, sizeof(*chunks));
	if (!chunks)
		return -ENOMEM;
	uint64_t c = 0;
	for (uint32_t i = 0; i < in->n; i++) {
		uint64_t nw = res->inst[i].n_windows;
		uint64_t per = cfg->broken_chunking ? (nw + threads - 1) / threads : batch;
		if (per == 0)
			per = 1;
		if (per > maxb)
			maxb = (uint32_t)per;
		for (uint64_t k = 0; k < nw; k += per)
			chunks[c++] = (struct bt_chunk){i, k, nw - k < per ? nw - k : per};
	}
	struct bt_job job = {.in = in,
	                     .m = m,
	                     .sc = sc,
	                     .threshold = threshold,
	                     .res = res,
	                     .chunks = chunks,
	                     .n_chunks = n_chunks,
	                     .batch = maxb};
	atomic_init(&job.next, 0);
	atomic_init(&job.done, 0);
	atomic_init(&job.failed, 0);
	struct bt_worker wk[BT_MAX_THREADS];
	memset(wk, 0, sizeof(wk));
	int rc = 0;
	for (uint32_t t = 0; t < threads && rc == 0; t++) {
		wk[t].job = &job;
		/* recon_local only reads the model (model.h: read-only during
		 * inference); its config just is not const */
		struct tg_recon_local_config lc = {
		    .model = (struct tg_model *)(uintptr_t)m, .max_batch = maxb, .max_pending = 2};
		rc = tg_recon_local_create(&lc, &wk[t].recon);
		wk[t].x = malloc((size_t)maxb * W * sizeof(float));
		wk[t].prices = malloc(W * sizeof(double));
		wk[t].slot = malloc(maxb * sizeof(uint32_t));
		if (rc == 0 && (!wk[t].x || !wk[t].prices || !wk[t].slot))
			rc = -ENOMEM;
	}
	uint32_t started = 0;
	uint64_t t0 = tg_monotonic_ns();
	double c0 = bt_cpu_s();
	if (rc == 0) {
		for (uint32_t t = 1; t < threads; t++) {
			if (pthread_create(&wk[t].tid, NULL, bt_worker_main, &wk[t]) != 0)
				break;
			started = t;
		}
		struct tg_progress pg;
		if (cfg->progress)
			tg_progress_start(&pg, "backtest", total);
		/* the main thread works too, reporting progress between chunks */
		for (;;) {
			if (atomic_load_explicit(&job.failed, memory_order_relaxed))
				break;
			uint64_t i = atomic_fetch_add_explicit(&job.next, 1, memory_order_relaxed);
			if (i >= job.n_chunks)
				break;
			int r = bt_score_chunk(&wk[0], &chunks[i]);
			if (r < 0) {
				int zero = 0;
				atomic_compare_exchange_strong_explicit(&job.failed, &zero, r,
				                                        memory_order_relaxed,
				                                        memory_order_relaxed);
				break;
			}
			uint64_t d = atomic_fetch_add_explicit(&job.done, chunks[i].count,
			                                       memory_order_relaxed) +
			             chunks[i].count;
			if (cfg->progress)
				tg_progress_update(&pg, d, "windows");
		}
		/* join: pairs every worker's slot writes with our reads below */
		for (uint32_t t = 1; t <= started; t++)
			pthread_join(wk[t].tid, NULL);
		if (cfg->progress)
			tg_progress_finish(&pg, atomic_load(&job.done), "windows");
		rc = atomic_load(&job.failed);
		if (rc == 0 && started + 1 < threads)
			rc = -EAGAIN;
	}
	res->seconds = (double)(tg_monotonic_ns() - t0) / 1e9;
	res->cpu_seconds = bt_cpu_s() - c0;
	for (uint32_t t = 0; t < threads; t++) {
		tg_recon_destroy(wk[t].recon);
		free(wk[t].x);
		free(wk[t].prices);
		free(wk[t].slot);
	}
	free(chunks);
	if (rc < 0) {
		snprintf(err, errlen, "scoring failed: %s", strerror(-rc));
		return rc;
	}
	for (uint32_t i = 0; i < in->n; i++)
		for (uint64_t k = 0; k < res->inst[i].n_windows; k++) {
			const struct tg_bt_window *bw = &res->inst[i].w[k];
			if (bw->status == TG_BT_W_REJECTED)
				res->rejected++;
			else {
				res->scored++;
				res->anomalous += bw->anomalous;
			}
		}
	return 0;
}

static int bt_push_alert(struct tg_bt_inst *bi, const struct tg_alert *a)
{
	if (bi->n_alerts == bi->cap_alerts) {
		size_t cap = bi->cap_alerts ? bi->cap_alerts * 2 : 16;
		struct tg_alert *v = realloc(bi->alerts, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		bi->alerts = v;
		bi->cap_alerts = cap;
	}
	bi->alerts[bi->n_alerts++] = *a;
	return 0;
}

static inline uint64_t bt_next_ts(const struct tg_bt_input *in, const struct tg_bt_result *res,
                                  const uint64_t *cur, uint32_t i)
{
	return in->s[i].ts_ns[res->inst[i].w[cur[i]].last_tick];
}

/* spaces > 1 is the broken variant: one alert-id counter per worker, as if
 * each thread ran the episodes of its own instruments. */
static int bt_episodes(const struct tg_bt_input *in, struct tg_bt_result *res,
                       const struct tg_episode_config *ec, uint32_t spaces)
{
	uint32_t n = res->n, W = res->window;
	struct tg_episode *e = calloc(n ? n : 1, sizeof(*e));
	uint64_t *cur = calloc(n ? n : 1, sizeof(*cur));
	if (!e || !cur) {
		free(e);
		free(cur);
		return -ENOMEM;
	}
	memset(&res->ep, 0, sizeof(res->ep));
	uint64_t next_id[BT_MAX_THREADS];
	for (uint32_t k = 0; k < BT_MAX_THREADS; k++)
		next_id[k] = 1;
	int rc = 0;
	/* All instruments merged in exchange-time order (ties: instrument,
	 * then tick): the order the live publisher sees their flags. A binary
	 * min-heap of instruments keyed by their next window's time. */
	uint32_t *heap = malloc((n ? n : 1) * sizeof(*heap));
	uint32_t hn = 0;
	if (!heap) {
		free(e);
		free(cur);
		return -ENOMEM;
	}
#define BT_KEY_LT(a, b)                                                                            \
	(bt_next_ts(in, res, cur, a) < bt_next_ts(in, res, cur, b) ||                              \
	 (bt_next_ts(in, res, cur, a) == bt_next_ts(in, res, cur, b) && (a) < (b)))
	for (uint32_t i = 0; i < n; i++) {
		if (!res->inst[i].n_windows)
			continue;
		uint32_t k = hn++;
		heap[k] = i;
		while (k && BT_KEY_LT(heap[k], heap[(k - 1) / 2])) {
			uint32_t t = heap[k];
			heap[k] = heap[(k - 1) / 2];
			heap[(k - 1) / 2] = t;
			k = (k - 1) / 2;
		}
	}
	while (hn) {
		int best = (int)heap[0];
		struct tg_bt_inst *bi = &res->inst[best];
		const struct tg_bt_series *s = &in->s[best];
		struct tg_bt_window *bw = &bi->w[cur[best]++];
		/* re-seat the top: drop it when its windows are done */
		if (cur[best] >= bi->n_windows)
			heap[0] = heap[--hn];
		for (uint32_t k = 0;;) {
			uint32_t l = 2 * k + 1, r = l + 1, m = k;
			if (l < hn && BT_KEY_LT(heap[l], heap[m]))
				m = l;
			if (r < hn && BT_KEY_LT(heap[r], heap[m]))
				m = r;
			if (m == k)
				break;
			uint32_t t = heap[k];
			heap[k] = heap[m];
			heap[m] = t;
			k = m;
		}
#undef BT_KEY_LT
		bw->alert_id = 0;
		if (bw->status != TG_BT_W_SCORED)
			continue; /* the scorer writes no flag for a rejected window */
		uint64_t first = bw->last_tick + 1 - W;
		struct tg_flag f = {0};
		f.first_seq = first;
		f.last_seq = bw->last_tick;
		f.exch_ts_ns = s->ts_ns[bw->last_tick];
		f.recv_ts_ns = f.exch_ts_ns;
		f.first_price_e4 = s->px_e4[first];
		f.last_price_e4 = s->px_e4[bw->last_tick];
		f.score = bw->score;
		f.threshold = res->threshold;
		f.anomalous = bw->anomalous;
		f.instrument = (uint16_t)best;
		struct tg_alert ev;
		if (tg_episode_step(&e[best], ec, &f, &next_id[(uint32_t)best % spaces], &ev,
		                    &res->ep) == 1) {
			ev.instrument = (uint16_t)best;
			rc = bt_push_alert(bi, &ev);
			if (rc < 0)
				break;
			bw->alert_id = ev.alert_id;
		} else if (e[best].phase == TG_EPISODE_OPEN) {
			bw->alert_id = e[best].cur.alert_id;
		}
	}
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		struct tg_alert ev;
		if (tg_episode_flush(&e[i], &ev, &res->ep) == 1)
			rc = bt_push_alert(&res->inst[i], &ev);
	}
	free(heap);
	free(e);
	free(cur);
	return rc;
}

int tg_bt_episodes(const struct tg_bt_input *in, struct tg_bt_result *res,
                   const struct tg_episode_config *ec)
{
	return bt_episodes(in, res, ec, 1);
}

int tg_bt_run(const struct tg_bt_input *in, const uint64_t *from, const struct tg_model *m,
              const struct tg_scaler *sc, double threshold, const struct tg_bt_config *cfg,
              struct tg_bt_result *res, char *err, size_t errlen)
{
	int rc = bt_score(in, from, NULL, m, sc, threshold, cfg, res, err, errlen);
	if (rc == 0) {
		struct tg_episode_config ec = cfg->episode;
		rc = bt_episodes(in, res, &ec, cfg->broken_chunking ? res->threads : 1);
		if (rc < 0)
			snprintf(err, errlen, "episodes: %s", strerror(-rc));
	}
	if (rc < 0)
		tg_bt_result_free(res);
	return rc;
}

int tg_bt_quality(const struct tg_bt_input *in, const struct tg_bt_result *res,
                  const struct tg_quality_label *labels, size_t nl, struct tg_bt_quality *out)
{
	(void)in;
	memset(out, 0, sizeof(*out));
	struct tg_quality_label *lb = calloc(nl ? nl : 1, sizeof(*lb));
	size_t na = 0, m = 0;
	for (uint32_t i = 0; i < res->n; i++)
		na += res->inst[i].n_alerts;
	struct tg_quality_alert *al = calloc(na ? na : 1, sizeof(*al));
	if (!lb || !al) {
		free(lb);
		free(al);
		return -ENOMEM;
	}
	/* only labels a reported window can see: windows ending in
	 * [first, last + W - 1] contain one of the label's ticks */
	for (size_t k = 0; k < nl; k++) {
		const struct tg_quality_label *l = &labels[k];
		const struct tg_bt_inst *bi =
		    l->instrument < res->n ? &res->inst[l->instrument] : NULL;
		if (!bi || !bi->n_windows || l->last_tick + res->window - 1 < bi->from_tick ||
		    l->first_tick > bi->from_tick + bi->n_windows - 1) {
			out->labels_outside++;
			continue;
		}
		lb[m++] = *l;
	}
	na = 0;
	for (uint32_t i = 0; i < res->n; i++) {
		const struct tg_bt_inst *bi = &res->inst[i];
		size_t base = na;
		uint64_t last_id = 0;
		for (size_t k = 0; k < bi->n_alerts; k++) {
			const struct tg_alert *a = &bi->alerts[k];
			if (a->event == TG_ALERT_OPEN) {
				last_id = a->alert_id;
				al[na++] = (struct tg_quality_alert){.instrument = (uint16_t)i,
				                                     .open_tick = a->last_seq,
				                                     .close_tick = a->last_seq};
				continue;
			}
			/* one episode at a time per instrument: its events follow its
			 * OPEN, so they extend this instrument's latest alert */
			if (na > base && bi->alerts[k].alert_id == last_id &&
			    a->last_seq > al[na - 1].close_tick)
				al[na - 1].close_tick = a->last_seq;
		}
	}
	int rc = tg_quality_eval(lb, m, al, na, res->window, &out->q);
	free(lb);
	free(al);
	if (rc < 0)
		return rc;
	double p = out->q.precision, r = out->q.recall;
	out->f1 = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
	return 0;
}

/* ---- train then score ----------------------------------------------------- */

void tg_bt_train_opts_default(struct tg_bt_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	/* like `tickguard run`'s default training: small and quick */
	tg_model_config_default(&o->mcfg);
	o->mcfg.enc_units[0] = o->mcfg.dec_units[1] = 32;
	o->mcfg.enc_units[1] = o->mcfg.dec_units[0] = 16;
	o->mode = TG_SCALE_DEFAULT;
	o->epochs = 2;
	o->batch = 32;
	o->stride = 2;
	o->threads = 2;
	o->lr = 1e-3;
	o->percentile = TG_CALIB_DEFAULT_PERCENTILE;
	o->seed = 42;
}

/* ticks inside a label (or the window after it) are not normal data */
static uint8_t *bt_bad_mask(const struct tg_bt_input *in, uint32_t i, uint32_t W)
{
	if (!in->n_labels)
		return NULL;
	uint8_t *b = calloc(in->s[i].n ? in->s[i].n : 1, 1);
	if (!b)
		return NULL;
	for (size_t k = 0; k < in->n_labels; k++) {
		const struct tg_quality_label *l = &in->labels[k];
		if (l->instrument != i)
			continue;
		for (uint64_t t = l->first_tick; t <= l->last_tick + W && t < in->s[i].n; t++)
			b[t] = 1;
	}
	return b;
}

int tg_bt_train(const struct tg_bt_input *in, const uint64_t *train_end, const uint64_t *calib_end,
                const struct tg_bt_train_opts *o, struct tg_model **mout, struct tg_scaler **scout,
                double *threshold, struct tg_calib *calib, char *err, size_t errlen)
{
	uint32_t W = o->mcfg.window;
	struct tg_scaler_fitter *fit = NULL;
	struct tg_scaler *sc = NULL;
	struct tg_winlazy trs;
	struct tg_trainer *tr = NULL;
	struct tg_model *m = NULL;
	uint8_t **bad = calloc(in->n ? in->n : 1, sizeof(*bad));
	double *scores = NULL;
	int rc;
	tg_winlazy_init(&trs, W, NULL);
	if (!bad)
		return -ENOMEM;
	for (uint32_t i = 0; i < in->n; i++)
		bad[i] = bt_bad_mask(in, i, W);
	if (tg_model_config_check(&o->mcfg, err, errlen) < 0) {
		rc = -EINVAL;
		goto out;
	}
	rc = tg_scaler_fitter_create(o->mode, W, o->per_instrument, &fit);
	if (rc < 0)
		goto out_msg;
	for (uint32_t i = 0; i < in->n; i++) {
		long r = tg_train_fit_windows(fit, W, in->s[i].name, in->s[i].px, 0, train_end[i],
		                              o->stride, bad[i]);
		if (r < 0 && r != -ENAMETOOLONG) {
			rc = (int)r;
			tg_scaler_fit_finish(fit, &sc);
			goto out_msg;
		}
	}
	rc = tg_scaler_fit_finish(fit, &sc);
	if (rc < 0) {
		snprintf(err, errlen, "no %u-tick training window (more data or a smaller window)",
		         W);
		goto out;
	}
	trs.sc = sc;
	for (uint32_t i = 0; i < in->n && rc == 0; i++) {
		int g = tg_scaler_lookup(sc, in->s[i].name);
		rc = tg_winlazy_add(&trs, (uint32_t)(g < 0 ? 0 : g), i, in->s[i].px, 0,
		                    train_end[i], o->stride, bad[i]);
	}
	if (rc < 0)
		goto out_msg;
	if (!trs.n) {
		snprintf(err, errlen, "no usable training window");
		rc = -ENODATA;
		goto out;
	}
	struct tg_train_params tp;
	tg_train_params_default(&tp);
	tp.epochs = o->epochs;
	tp.batch = o->batch;
	tp.lr = o->lr;
	tp.seed = o->seed;
	tp.threads = o->threads < 1                 ? 1
	             : o->threads > TG_TRAIN_SHARDS ? TG_TRAIN_SHARDS
	                                            : o->threads;
	tp.patience = 0;
	tp.restore_best = false;
	tp.progress = o->progress;
	struct tg_train_data dtr = tg_winlazy_data(&trs), dva = {0};
	rc = tg_trainer_create(&o->mcfg, &tp, &dtr, &dva, &tr, err, errlen);
	if (rc < 0)
		goto out;
	struct tg_train_report rep;
	rc = tg_trainer_run(tr, &rep);
	if (rc < 0) {
		snprintf(err, errlen, "training failed: %s", strerror(-rc));
		goto out;
	}
	rc = tg_model_create(&o->mcfg, &m);
	if (rc == 0)
		rc = tg_trainer_export(tr, m);
	if (rc < 0)
		goto out_msg;
	/* Calibrate on windows ending in [train_end, calib_end), through the very
	 * scoring path the backtest uses, leaving out labelled anomalies. */
	struct tg_bt_config bc;
	tg_bt_config_default(&bc);
	bc.threads = o->threads;
	struct tg_bt_result cr;
	uint64_t *cfrom = calloc(in->n ? in->n : 1, sizeof(*cfrom));
	if (!cfrom) {
		rc = -ENOMEM;
		goto out_msg;
	}
	for (uint32_t i = 0; i < in->n; i++)
		cfrom[i] = train_end[i] + W - 1; /* windows wholly after the training part */
	rc = bt_score(in, cfrom, calib_end, m, sc, (double)INFINITY, &bc, &cr, err, errlen);
	free(cfrom);
	if (rc < 0) {
		tg_bt_result_free(&cr);
		goto out;
	}
	size_t ns = 0;
	scores = malloc((cr.scored ? cr.scored : 1) * sizeof(double));
	for (uint32_t i = 0; scores && i < cr.n; i++) {
		for (uint64_t k = 0; k < cr.inst[i].n_windows; k++) {
			const struct tg_bt_window *bw = &cr.inst[i].w[k];
			if (bw->status != TG_BT_W_SCORED)
				continue;
			if (bad[i] && bad[i][bw->last_tick])
				continue;
			scores[ns++] = bw->score;
		}
	}
	tg_bt_result_free(&cr);
	if (!scores) {
		rc = -ENOMEM;
		goto out_msg;
	}
	rc = tg_calib_compute(scores, ns, o->percentile, TG_CALIB_BINS_DEFAULT, calib);
	if (rc < 0) {
		snprintf(err, errlen, "calibration: %s (%zu calibration windows)", strerror(-rc),
		         ns);
		goto out;
	}
	*threshold = calib->threshold;
	*mout = m;
	*scout = sc;
	m = NULL;
	sc = NULL;
	goto out;
out_msg:
	snprintf(err, errlen, "training: %s", strerror(-rc));
out:
	free(scores);
	tg_trainer_destroy(tr);
	tg_winlazy_free(&trs);
	tg_model_destroy(m);
	tg_scaler_destroy(sc);
	for (uint32_t i = 0; i < in->n; i++)
		free(bad[i]);
	free(bad);
	return rc;
}
