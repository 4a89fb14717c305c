/* train.c - the training loop (see train.h): epochs of shuffled
 * mini-batches over a worker pool, validation, early stopping, clipping,
 * checkpoints. The pool is one mutex + two condition variables; a job is
 * published by bumping a generation number under the mutex, which is what
 * orders the job fields before the workers read them. */
#include "model/train.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "common/tg_common.h"
#include "model/adam.h"
#include "model/checkpoint.h"
#include "model/train_net.h"

enum job_kind { JOB_GRAD, JOB_EVAL };

struct tg_trainer {
	struct tg_model_config cfg;
	struct tg_train_params p;
	struct tg_net net;
	struct tg_train_data train, val;
	size_t n;       /* parameters */
	double *w;      /* current weights */
	double *best_w; /* weights at the best val loss */
	double *grad;   /* reduced gradient */
	struct tg_adam *adam;
	struct tg_rng rng, epoch_rng;
	uint64_t *perm;
	uint32_t nshards; /* TG_TRAIN_SHARDS, or threads in the broken variant */
	double *shard_grad[TG_TRAIN_SHARDS];
	double shard_loss[TG_TRAIN_SHARDS];
	struct tg_net_work *work[TG_TRAIN_SHARDS];
	float *xbuf[TG_TRAIN_SHARDS]; /* one window, for fetched data */
	/* progress of the run (checkpointed) */
	uint64_t epoch, step, global_step;
	double best_val;
	uint64_t best_epoch, wait, has_best;
	double epoch_loss_sum;
	uint64_t epoch_loss_n;
	double *hist_train, *hist_val;
	uint64_t n_hist;
	uint64_t config_hash;
	bool resumed;
	uint64_t resumed_at;
	/* worker pool; job fields are written by the main thread before it
	 * bumps gen under mu (paired with the workers' read of gen under mu) */
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	uint64_t gen;
	uint32_t pending;
	bool quit;
	uint32_t nthreads;
	pthread_t tid[TG_TRAIN_SHARDS];
	uint32_t tidx[TG_TRAIN_SHARDS];
	enum job_kind kind;
	const struct tg_train_data *jdata;
	const uint64_t *jidx; /* JOB_GRAD: window indices of the batch */
	uint64_t jcount;
};

struct worker_arg {
	struct tg_trainer *t;
	uint32_t id;
};

void tg_train_params_default(struct tg_train_params *p)
{
	memset(p, 0, sizeof(*p));
	struct tg_adam_params a;
	tg_adam_params_default(&a);
	p->batch = 32;
	p->epochs = 10;
	p->lr = a.lr;
	p->beta1 = a.beta1;
	p->beta2 = a.beta2;
	p->eps = a.eps;
	p->clipnorm = 1.0;
	p->patience = 3;
	p->restore_best = true;
	p->seed = 42;
	p->threads = 2;
}

/* Window i of d: in place, or made into the shard's buffer. NULL if the
 * fetch fails. */
static const float *window_at(const struct tg_trainer *t, const struct tg_train_data *d, uint64_t i,
                              float *buf)
{
	if (d->values)
		return d->values + d->starts[i] * t->cfg.features;
	return d->fetch(d->ctx, i, buf) < 0 ? NULL : buf;
}

/* Shard s of a job: a contiguous slice of the batch (or of the data set). */
static void run_shard(struct tg_trainer *t, uint32_t s)
{
	uint64_t lo = t->jcount * s / t->nshards, hi = t->jcount * (s + 1) / t->nshards;
	double loss = 0;
	float *buf = t->xbuf[s];
	if (t->kind == JOB_GRAD) {
		double *g = t->shard_grad[s];
		double gscale = 1.0 / (double)t->jcount;
		memset(g, 0, t->n * sizeof(*g));
		for (uint64_t k = lo; k < hi; k++) {
			const float *x = window_at(t, t->jdata, t->jidx[k], buf);
			loss += x ? tg_net_loss_grad(&t->net, t->w, t->work[s], x, gscale, g)
			          : (double)NAN;
		}
	} else {
		for (uint64_t k = lo; k < hi; k++) {
			const float *x = window_at(t, t->jdata, k, buf);
			loss +=
			    x ? tg_net_forward(&t->net, t->w, t->work[s], x, NULL) : (double)NAN;
		}
	}
	t->shard_loss[s] = loss;
}

static void run_my_shards(struct tg_trainer *t, uint32_t id)
{
	for (uint32_t s = id; s < t->nshards; s += t->nthreads)
		run_shard(t, s);
}

static void *worker_main(void *arg)
{
	struct tg_trainer *t = ((struct worker_arg *)arg)->t;
	uint32_t id = ((struct worker_arg *)arg)->id;
	free(arg);
	uint64_t seen = 0;
	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (t->gen == seen && !t->quit)
			pthread_cond_wait(&t->go, &t->mu);
		if (t->quit)
			break;
		seen = t->gen;
		pthread_mutex_unlock(&t->mu);
		run_my_shards(t, id);
		pthread_mutex_lock(&t->mu);
		if (--t->pending == 0)
			pthread_cond_signal(&t->done);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* Run the current job on all threads and wait for every shard. */
static void run_job(struct tg_trainer *t)
{
	if (t->nthreads > 1) {
		pthread_mutex_lock(&t->mu);
		t->pending = t->nthreads - 1;
		t->gen++;
		pthread_cond_broadcast(&t->go);
		pthread_mutex_unlock(&t->mu);
	}
	run_my_shards(t, 0);
	if (t->nthreads > 1) {
		pthread_mutex_lock(&t->mu);
		while (t->pending)
			pthread_cond_wait(&t->done, &t->mu);
		pthread_mutex_unlock(&t->mu);
	}
}

static double sum_shard_loss(const struct tg_trainer *t)
{
	double s = 0;
	for (uint32_t k = 0; k < t->nshards; k++)
		s += t->shard_loss[k];
	return s;
}

double tg_trainer_eval(struct tg_trainer *t, const struct tg_train_data *d)
{
	if (!d->count)
		return (double)NAN;
	t->kind = JOB_EVAL;
	t->jdata = d;
	t->jidx = NULL;
	t->jcount = d->count;
	run_job(t);
	return sum_shard_loss(t) / (double)d->count;
}

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	if (!err || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static uint64_t config_hash(const struct tg_trainer *t)
{
	/* Field by field: struct padding must not enter the hash. */
	const struct tg_model_config *c = &t->cfg;
	const struct tg_train_params *p = &t->p;
	uint64_t h = tg_ckpt_hash(0, "tg-train-1", 10);
	uint64_t u[] = {c->window,  c->features,    c->n_enc,    c->n_dec,        (uint64_t)c->act,
	                p->batch,   p->epochs,      p->patience, p->restore_best, p->seed,
	                t->nshards, t->train.count, t->val.count};
	h = tg_ckpt_hash(h, u, sizeof(u));
	h = tg_ckpt_hash(h, c->enc_units, sizeof(c->enc_units[0]) * c->n_enc);
	h = tg_ckpt_hash(h, c->dec_units, sizeof(c->dec_units[0]) * c->n_dec);
	double d[] = {p->lr, p->beta1, p->beta2, p->eps, p->clipnorm};
	return tg_ckpt_hash(h, d, sizeof(d));
}

/* A fingerprint of a data set: up to 64 evenly spaced windows, so that a
 * checkpoint is not resumed on other data of the same size. */
static uint64_t data_hash(struct tg_trainer *t, const struct tg_train_data *d, uint64_t h)
{
	for (uint64_t k = 0; k < 64 && k < d->count; k++) {
		uint64_t i = d->count <= 64 ? k : k * (d->count - 1) / 63;
		const float *x = window_at(t, d, i, t->xbuf[0]);
		if (x)
			h = tg_ckpt_hash(h, x,
			                 (size_t)t->cfg.window * t->cfg.features * sizeof(float));
	}
	return h;
}

int tg_trainer_create(const struct tg_model_config *cfg, const struct tg_train_params *p,
                      const struct tg_train_data *train, const struct tg_train_data *val,
                      struct tg_trainer **out, char *err, size_t errlen)
{
	char why[128];
	if (tg_model_config_check(cfg, why, sizeof(why)) < 0) {
		seterr(err, errlen, "model config: %s", why);
		return -EINVAL;
	}
	if (!p->batch || !p->epochs || p->epochs > TG_TRAIN_MAX_EPOCHS || !p->threads ||
	    p->threads > TG_TRAIN_SHARDS || !(p->clipnorm >= 0) ||
	    (p->ckpt_every && !p->ckpt_path)) {
		seterr(
		    err, errlen,
		    "bad training parameters (batch, epochs 1..%d, threads 1..%d, clipnorm >= 0, "
		    "checkpoint path)",
		    TG_TRAIN_MAX_EPOCHS, TG_TRAIN_SHARDS);
		return -EINVAL;
	}
	if ((!train->values && !train->fetch) || (val->count && !val->values && !val->fetch)) {
		seterr(err, errlen, "data without values or fetch");
		return -EINVAL;
	}
	if (!train->count) {
		seterr(err, errlen, "no training windows");
		return -EINVAL;
	}
	struct tg_trainer *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int rc;
	t->cfg = *cfg;
	t->p = *p;
	t->train = *train;
	t->val = *val;
	if (tg_net_layout(&t->net, cfg) < 0) {
		seterr(err, errlen, "model config not trainable");
		free(t);
		return -EINVAL;
	}
	t->n = t->net.nparams;
	t->nthreads = p->threads;
	t->nshards = p->broken_shard_per_thread ? p->threads : TG_TRAIN_SHARDS;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->go, NULL);
	pthread_cond_init(&t->done, NULL);
	struct tg_adam_params ap = {p->lr, p->beta1, p->beta2, p->eps};
	rc = tg_adam_create(t->n, &ap, &t->adam);
	if (rc < 0) {
		seterr(err, errlen, "bad Adam parameters");
		goto fail;
	}
	rc = -ENOMEM;
	t->w = calloc(t->n, sizeof(double));
	t->best_w = calloc(t->n, sizeof(double));
	t->grad = calloc(t->n, sizeof(double));
	t->perm = calloc(train->count, sizeof(uint64_t));
	t->hist_train = calloc(p->epochs, sizeof(double));
	t->hist_val = calloc(p->epochs, sizeof(double));
	if (!t->w || !t->best_w || !t->grad || !t->perm || !t->hist_train || !t->hist_val)
		goto fail;
	for (uint32_t s = 0; s < t->nshards; s++) {
		t->shard_grad[s] = calloc(t->n, sizeof(double));
		t->xbuf[s] = calloc((size_t)cfg->window * cfg->features, sizeof(float));
		if (!t->shard_grad[s] || !t->xbuf[s] ||
		    tg_net_work_create(&t->net, &t->work[s]) < 0)
			goto fail;
	}
	/* Initial weights: the project's Keras initialiser, widened. */
	struct tg_model *m;
	rc = tg_model_create(cfg, &m);
	if (rc < 0)
		goto fail;
	if (m->n_params != t->n) {
		tg_model_destroy(m);
		seterr(err, errlen, "parameter layout mismatch");
		rc = -EINVAL;
		goto fail;
	}
	tg_model_init(m, p->seed);
	for (size_t i = 0; i < t->n; i++)
		t->w[i] = m->params[i];
	tg_model_destroy(m);
	tg_rng_seed(&t->rng, p->seed ^ 0x53485546464c45ull); /* "SHUFFLE" */
	t->best_val = INFINITY;
	t->config_hash = data_hash(t, &t->val, data_hash(t, &t->train, config_hash(t)));
	for (uint32_t i = 1; i < t->nthreads; i++) {
		struct worker_arg *a = malloc(sizeof(*a));
		if (!a) {
			rc = -ENOMEM;
			goto fail;
		}
		a->t = t;
		a->id = i;
		if (pthread_create(&t->tid[i], NULL, worker_main, a) != 0) {
			free(a);
			t->nthreads = i; /* the ones that did start */
			rc = -EAGAIN;
			seterr(err, errlen, "cannot start worker thread");
			goto fail;
		}
	}
	*out = t;
	return 0;
fail:
	/* destroy joins the workers that started (tid set), frees the rest */
	tg_trainer_destroy(t);
	return rc;
}

void tg_trainer_destroy(struct tg_trainer *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->quit = true;
	pthread_cond_broadcast(&t->go);
	pthread_mutex_unlock(&t->mu);
	for (uint32_t i = 1; i < t->nthreads; i++)
		if (t->tid[i])
			pthread_join(t->tid[i], NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->go);
	pthread_cond_destroy(&t->done);
	for (uint32_t s = 0; s < TG_TRAIN_SHARDS; s++) {
		free(t->shard_grad[s]);
		free(t->xbuf[s]);
		tg_net_work_destroy(t->work[s]);
	}
	tg_adam_destroy(t->adam);
	free(t->w);
	free(t->best_w);
	free(t->grad);
	free(t->perm);
	free(t->hist_train);
	free(t->hist_val);
	free(t);
}

static void shuffle(struct tg_trainer *t)
{
	uint64_t n = t->train.count;
	for (uint64_t i = 0; i < n; i++)
		t->perm[i] = i;
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = tg_rng_below(&t->rng, i);
		uint64_t x = t->perm[i - 1];
		t->perm[i - 1] = t->perm[j];
		t->perm[j] = x;
	}
}

static void ckpt_fill(struct tg_trainer *t, struct tg_ckpt *c)
{
	memset(c, 0, sizeof(*c));
	c->config_hash = t->config_hash;
	c->n_params = t->n;
	c->epoch = t->epoch;
	c->step = t->step;
	c->global_step = t->global_step;
	memcpy(c->rng, t->rng.s, 32);
	memcpy(c->epoch_rng, t->epoch_rng.s, 32);
	c->best_val = t->best_val;
	c->best_epoch = t->best_epoch;
	c->wait = t->wait;
	c->has_best = t->has_best;
	c->epoch_loss_sum = t->epoch_loss_sum;
	c->epoch_loss_n = t->epoch_loss_n;
	c->n_history = t->n_hist;
	c->w = t->w;
	c->m = t->adam->m;
	c->v = t->adam->v;
	c->best_w = t->best_w;
	c->hist_train = t->hist_train;
	c->hist_val = t->hist_val;
	c->hist_cap = t->p.epochs;
}

int tg_trainer_resume(struct tg_trainer *t)
{
	struct tg_ckpt c;
	ckpt_fill(t, &c);
	int rc = tg_ckpt_load(t->p.ckpt_path, &c);
	if (rc < 0)
		return rc;
	if (c.step * t->p.batch >= t->train.count + t->p.batch || c.epoch > t->p.epochs)
		return -EBADMSG;
	t->epoch = c.epoch;
	t->step = c.step;
	t->global_step = c.global_step;
	t->adam->t = c.global_step;
	memcpy(t->rng.s, c.rng, 32);
	memcpy(t->epoch_rng.s, c.epoch_rng, 32);
	t->best_val = c.best_val;
	t->best_epoch = c.best_epoch;
	t->wait = c.wait;
	t->has_best = c.has_best;
	t->epoch_loss_sum = c.epoch_loss_sum;
	t->epoch_loss_n = c.epoch_loss_n;
	t->n_hist = c.n_history;
	if (t->step > 0) {
		/* Mid-epoch: regenerate this epoch's order from the RNG state
		 * it started with; it must land on the saved state. */
		struct tg_rng now = t->rng;
		t->rng = t->epoch_rng;
		shuffle(t);
		if (memcmp(t->rng.s, now.s, sizeof(now.s)) != 0)
			return -EBADMSG;
	}
	t->resumed = true;
	t->resumed_at = t->global_step;
	return 0;
}

static int write_ckpt(struct tg_trainer *t)
{
	struct tg_ckpt c;
	ckpt_fill(t, &c);
	return tg_ckpt_save(t->p.ckpt_path, &c);
}

/* One optimiser step on the batch perm[step*B ...]. 0 or -ERANGE. */
static int train_step(struct tg_trainer *t, double *batch_loss)
{
	uint64_t lo = t->step * t->p.batch, hi = lo + t->p.batch;
	if (hi > t->train.count)
		hi = t->train.count;
	t->kind = JOB_GRAD;
	t->jdata = &t->train;
	t->jidx = t->perm + lo;
	t->jcount = hi - lo;
	run_job(t);
	/* Fixed-order reduction: shard 0 + shard 1 + ... */
	memcpy(t->grad, t->shard_grad[0], t->n * sizeof(double));
	for (uint32_t s = 1; s < t->nshards; s++) {
		const double *g = t->shard_grad[s];
		for (size_t i = 0; i < t->n; i++)
			t->grad[i] += g[i];
	}
	double loss = sum_shard_loss(t);
	double norm2 = 0;
	for (size_t i = 0; i < t->n; i++)
		norm2 += t->grad[i] * t->grad[i];
	if (!isfinite(loss) || !isfinite(norm2))
		return -ERANGE;
	double norm = sqrt(norm2);
	if (t->p.clipnorm > 0 && norm > t->p.clipnorm) {
		double k = t->p.clipnorm / norm;
		for (size_t i = 0; i < t->n; i++)
			t->grad[i] *= k;
	}
	tg_adam_step(t->adam, t->w, t->grad);
	t->epoch_loss_sum += loss;
	t->epoch_loss_n += hi - lo;
	*batch_loss = loss / (double)(hi - lo);
	return 0;
}

/* After the last batch of an epoch: validation, best, patience. Returns
 * true when training should stop early. */
static bool end_epoch(struct tg_trainer *t)
{
	double tr = t->epoch_loss_n ? t->epoch_loss_sum / (double)t->epoch_loss_n : (double)NAN;
	double va = t->val.count ? tg_trainer_eval(t, &t->val) : tr;
	t->hist_train[t->n_hist] = tr;
	t->hist_val[t->n_hist] = va;
	t->n_hist++;
	t->epoch++;
	t->step = 0;
	t->epoch_loss_sum = 0;
	t->epoch_loss_n = 0;
	if (isfinite(va) && va < t->best_val) {
		t->best_val = va;
		t->best_epoch = t->epoch;
		t->wait = 0;
		t->has_best = 1;
		memcpy(t->best_w, t->w, t->n * sizeof(double));
		return false;
	}
	t->wait++;
	return t->p.patience && t->val.count && t->wait >= t->p.patience;
}

int tg_trainer_run(struct tg_trainer *t, struct tg_train_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	const uint64_t spe = (t->train.count + t->p.batch - 1) / t->p.batch;
	const uint64_t total = spe * t->p.epochs;
	uint64_t t0 = tg_monotonic_ns();
	struct tg_progress bar;
	char sfx[96];
	int rc = 0;
	bool early = t->n_hist && t->p.patience && t->val.count && t->wait >= t->p.patience;
	rep->resumed = t->resumed;
	rep->resumed_at_step = t->resumed_at;
	const uint64_t from = t->global_step; /* a resumed run's bar starts here */
	if (t->p.progress)
		tg_progress_start(&bar, "train", total - from);
	while (!early && t->epoch < t->p.epochs) {
		if (t->step == 0) {
			t->epoch_rng = t->rng;
			shuffle(t);
		}
		double bl;
		rc = train_step(t, &bl);
		if (rc < 0)
			break;
		t->step++;
		t->global_step++;
		if (t->step == spe)
			early = end_epoch(t);
		if (t->p.progress) {
			snprintf(sfx, sizeof(sfx), "epoch %llu/%u loss %.5f val %.5f",
			         (unsigned long long)(t->epoch + (t->step ? 1 : 0)), t->p.epochs,
			         bl, t->n_hist ? t->hist_val[t->n_hist - 1] : (double)NAN);
			tg_progress_update(&bar, t->global_step - from, sfx);
		}
		/* stop_after simulates a kill (no extra checkpoint); the stop
		 * flag is a polite stop that saves where it is. */
		bool killed = t->p.stop_after && t->global_step >= t->p.stop_after;
		/* Relaxed: pairs with the relaxed store of the signal handler;
		 * the flag publishes no data, it only asks to stop. */
		bool asked = t->p.stop && atomic_load_explicit(t->p.stop, memory_order_relaxed);
		bool stop = killed || asked;
		bool due = t->p.ckpt_every && t->global_step % t->p.ckpt_every == 0;
		if (t->p.ckpt_path && (due || (asked && !killed))) {
			rc = write_ckpt(t);
			if (rc < 0)
				break;
		}
		if (stop && !early && t->epoch < t->p.epochs) {
			rep->interrupted = true;
			rc = -EINTR;
			break;
		}
	}
	if (t->p.progress) {
		snprintf(sfx, sizeof(sfx), "best val %.6f (epoch %llu)", t->best_val,
		         (unsigned long long)t->best_epoch);
		tg_progress_finish(&bar, t->global_step - from, sfx);
	}
	rep->epochs_run = (uint32_t)t->n_hist;
	rep->steps = t->global_step;
	rep->first_val = t->n_hist ? t->hist_val[0] : (double)NAN;
	rep->last_val = t->n_hist ? t->hist_val[t->n_hist - 1] : (double)NAN;
	rep->last_train = t->n_hist ? t->hist_train[t->n_hist - 1] : (double)NAN;
	rep->best_val = t->best_val;
	rep->best_epoch = (uint32_t)t->best_epoch;
	rep->stopped_early = early && t->epoch < t->p.epochs;
	rep->seconds = (double)(tg_monotonic_ns() - t0) / 1e9;
	if (rc == 0 && t->p.restore_best && t->has_best)
		memcpy(t->w, t->best_w, t->n * sizeof(double));
	return rc;
}

const double *tg_trainer_weights(const struct tg_trainer *t)
{
	return t->w;
}

size_t tg_trainer_param_count(const struct tg_trainer *t)
{
	return t->n;
}

int tg_trainer_export(const struct tg_trainer *t, struct tg_model *m)
{
	if (m->n_params != t->n || m->cfg.window != t->cfg.window ||
	    m->cfg.features != t->cfg.features)
		return -EINVAL;
	for (size_t i = 0; i < t->n; i++)
		m->params[i] = (float)t->w[i];
	return tg_model_check_finite(m);
}

uint32_t tg_trainer_history(const struct tg_trainer *t, const double **train_loss,
                            const double **val_loss)
{
	*train_loss = t->hist_train;
	*val_loss = t->hist_val;
	return (uint32_t)t->n_hist;
}
