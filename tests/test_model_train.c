/* test_model_train.c - training in C (issue 4, part B): BPTT gradients
 * against central finite differences (relu and tanh), Adam against its
 * equations, validation loss going down on a synthetic series, bit-exact
 * determinism across thread counts (with the deliberately broken variant it
 * must catch), exact resume from a checkpoint after a simulated kill,
 * corrupt/foreign checkpoints refused, early stopping restoring the best. */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/adam.h"
#include "model/checkpoint.h"
#include "model/train.h"
#include "model/train_net.h"
#include "tests/tg_test.h"

static struct tg_model_config small_cfg(enum tg_act act, uint32_t window, uint32_t features)
{
	struct tg_model_config c;
	memset(&c, 0, sizeof(c));
	c.window = window;
	c.features = features;
	c.n_enc = 2;
	c.n_dec = 2;
	c.enc_units[0] = 5;
	c.enc_units[1] = 3;
	c.dec_units[0] = 3;
	c.dec_units[1] = 4;
	c.act = act;
	return c;
}

/* Max over parameters of |analytic - numeric| / max(1e-3, |numeric|). */
static void check_fd(enum tg_act act, uint32_t features)
{
	struct tg_model_config cfg = small_cfg(act, 6, features);
	struct tg_net net;
	TG_CHECK_EQ_I64(tg_net_layout(&net, &cfg), 0);
	struct tg_model *m;
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m), 0);
	TG_CHECK_EQ_U64(m->n_params, net.nparams);
	tg_model_init(m, 7);
	struct tg_rng r;
	tg_rng_seed(&r, 99);
	size_t n = net.nparams, T = cfg.window * features;
	double *w = malloc(n * sizeof(double)), *g = calloc(n, sizeof(double));
	float x[64];
	/* Random biases too, so no gate sits at a symmetric point and relu
	 * units are a mix of live and dead. */
	for (size_t i = 0; i < n; i++)
		w[i] = (double)m->params[i] + 0.3 * (tg_rng_uniform(&r) - 0.5);
	for (size_t i = 0; i < T; i++)
		x[i] = (float)(0.5 + 0.4 * sin((double)i) + 0.1 * tg_rng_uniform(&r));
	struct tg_net_work *wk;
	TG_CHECK_EQ_I64(tg_net_work_create(&net, &wk), 0);
	double l0 = tg_net_loss_grad(&net, w, wk, x, 1.0, g);
	TG_CHECK(isfinite(l0) && l0 > 0);
	double worst = 0;
	size_t worst_i = 0, bad = 0, nonzero = 0;
	const double h = 1e-6;
	for (size_t i = 0; i < n; i++) {
		double keep = w[i];
		w[i] = keep + h;
		double lp = tg_net_forward(&net, w, wk, x, NULL);
		w[i] = keep - h;
		double lm = tg_net_forward(&net, w, wk, x, NULL);
		w[i] = keep;
		double num = (lp - lm) / (2 * h);
		double den = fabs(num) > 1e-3 ? fabs(num) : 1e-3;
		double e = fabs(g[i] - num) / den;
		if (fabs(num) > 1e-6)
			nonzero++;
		if (e > 1e-5)
			bad++;
		if (e > worst) {
			worst = e;
			worst_i = i;
		}
	}
	fprintf(stderr,
	        "fd %s features %u: %zu params, %zu with gradient, worst rel err %.2e at %zu\n",
	        act == TG_ACT_RELU ? "relu" : "tanh", features, n, nonzero, worst, worst_i);
	TG_CHECK(nonzero > n / 3); /* relu: some units are dead at these weights */
	/* A relu kink inside +-h could spoil one parameter; allow none for tanh. */
	TG_CHECK(bad <= (act == TG_ACT_RELU ? 1u : 0u));
	/* And the checker can fail: a gradient with one wrong entry is caught. */
	g[n / 3] += 1e-2;
	double keep = w[n / 3];
	w[n / 3] = keep + h;
	double lp = tg_net_forward(&net, w, wk, x, NULL);
	w[n / 3] = keep - h;
	double lm = tg_net_forward(&net, w, wk, x, NULL);
	w[n / 3] = keep;
	TG_CHECK(fabs(g[n / 3] - (lp - lm) / (2 * h)) > 1e-3);
	tg_net_work_destroy(wk);
	tg_model_destroy(m);
	free(w);
	free(g);
}

static void t_fd_relu(void)
{
	check_fd(TG_ACT_RELU, 1);
}

static void t_fd_tanh(void)
{
	check_fd(TG_ACT_TANH, 1);
}

static void t_fd_tanh_2feat(void)
{
	check_fd(TG_ACT_TANH, 2);
}

static void t_adam(void)
{
	struct tg_adam_params p;
	tg_adam_params_default(&p);
	TG_CHECK_NEAR(p.lr, 1e-3, 0, 0);
	TG_CHECK_NEAR(p.eps, 1e-7, 0, 0);
	struct tg_adam *a;
	TG_CHECK_EQ_I64(tg_adam_create(2, &p, &a), 0);
	double w[2] = {1.0, -2.0}, g1[2] = {0.5, -4.0}, g2[2] = {-1.0, 2.0};
	tg_adam_step(a, w, g1);
	/* step 1: m = 0.1 g, v = 0.001 g^2, alpha = lr*sqrt(0.001)/0.1 */
	double al = 1e-3 * sqrt(1 - 0.999) / (1 - 0.9);
	double e0 = 1.0 - al * 0.05 / (sqrt(0.001 * 0.25) + 1e-7);
	TG_CHECK_NEAR(w[0], e0, 1e-15, 0);
	tg_adam_step(a, w, g2);
	double m = 0.9 * 0.05 + 0.1 * -1.0, v = 0.999 * 0.00025 + 0.001 * 1.0;
	double al2 = 1e-3 * sqrt(1 - 0.999 * 0.999) / (1 - 0.9 * 0.9);
	TG_CHECK_NEAR(w[0], e0 - al2 * m / (sqrt(v) + 1e-7), 1e-15, 0);
	TG_CHECK_EQ_U64(a->t, 2);
	tg_adam_destroy(a);
	struct tg_adam_params bad = p;
	bad.beta1 = 1.0;
	TG_CHECK_EQ_I64(tg_adam_create(2, &bad, &a), -EINVAL);
}

/* A synthetic normal market: log-price random walk with mean reversion and
 * bid/ask bounce, each window scaled relative to its first price into
 * roughly [0, 1]. Windows of the first 80% train, the rest validate (by
 * time, no overlap). */
struct series {
	float *v;
	uint64_t *tr, *va;
	uint64_t ntr, nva;
};

static void make_series(struct series *s, uint32_t window, size_t npts, uint64_t seed)
{
	struct tg_rng r;
	tg_rng_seed(&r, seed);
	double *lp = malloc(npts * sizeof(double)), x = 0;
	for (size_t i = 0; i < npts; i++) {
		x += 4e-4 * tg_rng_normal(&r) - 0.01 * x;
		lp[i] = x + ((tg_rng_next(&r) & 1) ? 1.5e-4 : -1.5e-4);
	}
	/* Each window relative to its first point: scaled copy per window. */
	size_t nw = npts - window + 1;
	s->v = malloc(nw * window * sizeof(float));
	for (size_t k = 0; k < nw; k++)
		for (uint32_t t = 0; t < window; t++)
			s->v[k * window + t] = (float)(0.5 + (lp[k + t] - lp[k]) * 200.0);
	size_t cut = nw * 8 / 10;
	s->tr = malloc(nw * sizeof(uint64_t));
	s->va = malloc(nw * sizeof(uint64_t));
	s->ntr = s->nva = 0;
	for (size_t k = 0; k < nw; k++) {
		if (k + window <= cut)
			s->tr[s->ntr++] = k * window;
		else if (k >= cut)
			s->va[s->nva++] = k * window;
	}
	free(lp);
}

static void free_series(struct series *s)
{
	free(s->v);
	free(s->tr);
	free(s->va);
}

static void t_train_lowers_val(void)
{
	struct tg_model_config cfg = small_cfg(TG_ACT_RELU, 16, 1);
	cfg.enc_units[0] = 16;
	cfg.enc_units[1] = 8;
	cfg.dec_units[0] = 8;
	cfg.dec_units[1] = 16;
	struct series s;
	size_t pts = (size_t)(4000 * tg_test_scale());
	if (pts < 600)
		pts = 600;
	make_series(&s, cfg.window, pts, 1);
	struct tg_train_data tr = {.values = s.v, .starts = s.tr, .count = s.ntr},
	                     va = {.values = s.v, .starts = s.va, .count = s.nva};
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = 6;
	p.lr = 3e-3;
	p.patience = 0;
	struct tg_trainer *t;
	char err[128];
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &va, &t, err, sizeof(err)), 0);
	double before = tg_trainer_eval(t, &va);
	struct tg_train_report rep;
	TG_CHECK_EQ_I64(tg_trainer_run(t, &rep), 0);
	double after = tg_trainer_eval(t, &va);
	fprintf(stderr,
	        "val loss %.6f -> %.6f (best %.6f at epoch %u, %u epochs, %.2fs, %llu windows)\n",
	        before, after, rep.best_val, rep.best_epoch, rep.epochs_run, rep.seconds,
	        (unsigned long long)s.ntr);
	TG_CHECK_EQ_U64(rep.epochs_run, 6);
	TG_CHECK(after < before * 0.3);
	TG_CHECK_NEAR(after, rep.best_val, 0, 1e-12); /* restore_best */
	tg_trainer_destroy(t);
	free_series(&s);
}

/* Train `steps` steps and return a copy of the weights. */
static double *train_copy(const struct tg_model_config *cfg, struct tg_train_params *p,
                          struct series *s, size_t *n)
{
	struct tg_train_data tr = {.values = s->v, .starts = s->tr, .count = s->ntr},
	                     va = {.values = s->v, .starts = s->va, .count = s->nva};
	struct tg_trainer *t;
	char err[128];
	if (tg_trainer_create(cfg, p, &tr, &va, &t, err, sizeof(err)) < 0)
		return NULL;
	struct tg_train_report rep;
	int rc = tg_trainer_run(t, &rep);
	(void)rc;
	*n = tg_trainer_param_count(t);
	double *w = malloc(*n * sizeof(double));
	memcpy(w, tg_trainer_weights(t), *n * sizeof(double));
	tg_trainer_destroy(t);
	return w;
}

static void t_threads_deterministic(void)
{
	struct tg_model_config cfg = small_cfg(TG_ACT_RELU, 12, 1);
	struct series s;
	make_series(&s, cfg.window, 400, 2);
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = 2;
	p.batch = 16;
	size_t n1, n2;
	p.threads = 1;
	double *w1 = train_copy(&cfg, &p, &s, &n1);
	p.threads = 2;
	double *w2 = train_copy(&cfg, &p, &s, &n2);
	double *w3 = train_copy(&cfg, &p, &s, &n2);
	TG_CHECK(w1 && w2 && w3);
	TG_CHECK(memcmp(w1, w2, n1 * sizeof(double)) == 0);
	TG_CHECK(memcmp(w2, w3, n1 * sizeof(double)) == 0);
	/* The broken variant (shards follow threads) must be caught. */
	p.broken_shard_per_thread = true;
	p.threads = 1;
	double *b1 = train_copy(&cfg, &p, &s, &n1);
	p.threads = 2;
	double *b2 = train_copy(&cfg, &p, &s, &n2);
	TG_CHECK(b1 && b2);
	TG_CHECK(memcmp(b1, b2, n1 * sizeof(double)) != 0);
	free(w1);
	free(w2);
	free(w3);
	free(b1);
	free(b2);
	free_series(&s);
}

static char *tmp_path(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "/tmp/tg_test_train_%d_%s", (int)getpid(), name);
	return buf;
}

static void t_resume_exact(void)
{
	struct tg_model_config cfg = small_cfg(TG_ACT_TANH, 12, 1);
	struct series s;
	make_series(&s, cfg.window, 300, 3);
	struct tg_train_data tr = {.values = s.v, .starts = s.tr, .count = s.ntr},
	                     va = {.values = s.v, .starts = s.va, .count = s.nva};
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = 4;
	p.batch = 20;
	p.patience = 2;
	p.ckpt_every = 5;
	char path[256];
	snprintf(path, sizeof(path), "%s", tmp_path("ckpt"));
	p.ckpt_path = path;
	char err[128];
	struct tg_train_report ra, rb, rc;
	/* A: uninterrupted. */
	struct tg_trainer *a;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &va, &a, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_run(a, &ra), 0);
	uint64_t spe = (s.ntr + p.batch - 1) / p.batch;
	TG_CHECK(ra.steps > spe + 7);
	/* B: killed mid-epoch 2 (checkpoint at the last multiple of 5 before). */
	uint64_t kill = spe + 7;
	struct tg_train_params pb = p;
	pb.stop_after = kill;
	struct tg_trainer *b;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &pb, &tr, &va, &b, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_run(b, &rb), -EINTR);
	TG_CHECK(rb.interrupted);
	tg_trainer_destroy(b);
	/* C: a new process would start here - resume and finish. */
	struct tg_trainer *c;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &va, &c, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_resume(c), 0);
	TG_CHECK_EQ_I64(tg_trainer_run(c, &rc), 0);
	TG_CHECK(rc.resumed);
	TG_CHECK_EQ_U64(rc.resumed_at_step, kill / 5 * 5);
	TG_CHECK_EQ_U64(rc.steps, ra.steps);
	size_t n = tg_trainer_param_count(a);
	TG_CHECK(memcmp(tg_trainer_weights(a), tg_trainer_weights(c), n * sizeof(double)) == 0);
	const double *ta, *vaa, *tc, *vc;
	uint32_t ha = tg_trainer_history(a, &ta, &vaa), hc = tg_trainer_history(c, &tc, &vc);
	TG_CHECK_EQ_U64(ha, hc);
	TG_CHECK(ha == hc && memcmp(vaa, vc, ha * sizeof(double)) == 0 &&
	         memcmp(ta, tc, ha * sizeof(double)) == 0);
	/* The comparison can fail: a resume from a different step differs. */
	struct tg_train_params pd = p;
	pd.stop_after = 3; /* killed before the first checkpoint... */
	pd.ckpt_every = 0;
	pd.ckpt_path = NULL;
	struct tg_trainer *d;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &pd, &tr, &va, &d, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_run(d, &rb), -EINTR);
	TG_CHECK(memcmp(tg_trainer_weights(a), tg_trainer_weights(d), n * sizeof(double)) != 0);
	tg_trainer_destroy(d);

	/* Refusals: another config, a flipped byte, a truncated file. */
	struct tg_train_params pe = p;
	pe.lr = 2e-3;
	struct tg_trainer *e;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &pe, &tr, &va, &e, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_resume(e), -ESTALE);
	tg_trainer_destroy(e);
	/* ... or the same sizes but other data. */
	float keep = s.v[0];
	s.v[0] += 0.25f;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &va, &e, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_resume(e), -ESTALE);
	tg_trainer_destroy(e);
	s.v[0] = keep;
	FILE *f = fopen(path, "r+b");
	TG_CHECK(f != NULL);
	if (f) {
		fseek(f, 200, SEEK_SET);
		int ch = fgetc(f);
		fseek(f, 200, SEEK_SET);
		fputc(ch ^ 0x10, f);
		fclose(f);
	}
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &va, &e, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_resume(e), -EBADMSG);
	TG_CHECK(truncate(path, 100) == 0);
	TG_CHECK_EQ_I64(tg_trainer_resume(e), -EBADMSG);
	unlink(path);
	TG_CHECK_EQ_I64(tg_trainer_resume(e), -ENOENT);
	tg_trainer_destroy(e);
	tg_trainer_destroy(a);
	tg_trainer_destroy(c);
	free_series(&s);
}

static void t_early_stop(void)
{
	/* Validation data from a much wilder market than training: validation
	 * stops improving, patience runs out, the best weights come back. */
	struct tg_model_config cfg = small_cfg(TG_ACT_RELU, 10, 1);
	struct series s, v;
	make_series(&s, cfg.window, 120, 4);
	make_series(&v, cfg.window, 200, 5);
	for (size_t i = 0; i < 191 * 10; i++)
		v.v[i] = (float)(0.5 + ((double)v.v[i] - 0.5) * 8 + ((i / 3) % 2 ? 0.4 : -0.4));
	struct tg_train_data tr = {.values = s.v, .starts = s.tr, .count = s.ntr},
	                     va = {.values = v.v, .starts = v.va, .count = v.nva};
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = 200;
	p.batch = 8;
	p.lr = 1e-2;
	p.patience = 2;
	struct tg_trainer *t;
	char err[128];
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &va, &t, err, sizeof(err)), 0);
	struct tg_train_report rep;
	TG_CHECK_EQ_I64(tg_trainer_run(t, &rep), 0);
	fprintf(stderr, "early stop: %u epochs, best %u (%.5f), last %.5f\n", rep.epochs_run,
	        rep.best_epoch, rep.best_val, rep.last_val);
	TG_CHECK(rep.stopped_early);
	TG_CHECK(rep.epochs_run < p.epochs);
	TG_CHECK_EQ_U64(rep.epochs_run, rep.best_epoch + p.patience);
	TG_CHECK(tg_trainer_eval(t, &va) == rep.best_val);
	tg_trainer_destroy(t);
	free_series(&s);
	free_series(&v);
}

/* The stop flag (SIGINT in `tickguard train`) stops after the step in
 * flight with a checkpoint, and the resumed run matches an uninterrupted one. */
static void t_stop_flag_resume(void)
{
	struct tg_model_config cfg = small_cfg(TG_ACT_RELU, 10, 1);
	struct series s;
	make_series(&s, cfg.window, 200, 6);
	struct tg_train_data tr = {.values = s.v, .starts = s.tr, .count = s.ntr},
	                     va = {.values = s.v, .starts = s.va, .count = s.nva};
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = 2;
	p.batch = 16;
	char path[256];
	snprintf(path, sizeof(path), "%s", tmp_path("stop"));
	p.ckpt_path = path; /* no periodic checkpoints: only the one the stop writes */
	atomic_bool stop;
	atomic_init(&stop, true);
	struct tg_train_params ps = p;
	ps.stop = &stop;
	char err[128];
	struct tg_train_report ra, rb;
	struct tg_trainer *a, *b, *c;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &va, &a, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_run(a, &ra), 0);
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &ps, &tr, &va, &b, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_run(b, &rb), -EINTR);
	TG_CHECK_EQ_U64(rb.steps, 1);
	tg_trainer_destroy(b);
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &va, &c, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_resume(c), 0);
	TG_CHECK_EQ_I64(tg_trainer_run(c, &rb), 0);
	TG_CHECK_EQ_U64(rb.resumed_at_step, 1);
	size_t n = tg_trainer_param_count(a);
	TG_CHECK(memcmp(tg_trainer_weights(a), tg_trainer_weights(c), n * sizeof(double)) == 0);
	tg_trainer_destroy(a);
	tg_trainer_destroy(c);
	unlink(path);
	free_series(&s);
}

/* Clipping by global norm: with a tiny clip the first Adam step hardly
 * moves the weights (the gradient falls far below epsilon); without it
 * the step is ~lr per weight. */
static void t_clipnorm(void)
{
	struct tg_model_config cfg = small_cfg(TG_ACT_TANH, 10, 1);
	struct series s;
	make_series(&s, cfg.window, 200, 7);
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = 1;
	p.stop_after = 1;
	size_t n;
	struct tg_model *m;
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m), 0);
	tg_model_init(m, p.seed);
	double d_clip = 0, d_free = 0;
	for (int k = 0; k < 2; k++) {
		p.clipnorm = k ? 0 : 1e-9;
		double *w = train_copy(&cfg, &p, &s, &n);
		TG_CHECK(w != NULL);
		for (size_t i = 0; w && i < n; i++) {
			double d = fabs(w[i] - (double)m->params[i]);
			if (k)
				d_free = d > d_free ? d : d_free;
			else
				d_clip = d > d_clip ? d : d_clip;
		}
		free(w);
	}
	fprintf(stderr, "first step, max |dw|: clip 1e-9 %.3g, no clip %.3g\n", d_clip, d_free);
	TG_CHECK(d_clip < 1e-5);
	TG_CHECK(d_free > 5e-4);
	tg_model_destroy(m);
	free_series(&s);
}

/* The checkpoint loader reads outside bytes: random flips, truncations
 * and extensions of a valid file must give an error (or, for bytes the
 * checksum covers, never a silent success), and never a crash. */
static void t_ckpt_fuzz(void)
{
	struct tg_model_config cfg = small_cfg(TG_ACT_TANH, 8, 1);
	struct series s;
	make_series(&s, cfg.window, 120, 8);
	struct tg_train_data tr = {.values = s.v, .starts = s.tr, .count = s.ntr},
	                     va = {.values = s.v, .starts = s.va, .count = s.nva};
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = 2;
	p.batch = 8;
	p.ckpt_every = 3;
	char path[256];
	snprintf(path, sizeof(path), "%s", tmp_path("fuzz"));
	p.ckpt_path = path;
	char err[128];
	struct tg_trainer *t;
	struct tg_train_report rep;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &va, &t, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(tg_trainer_run(t, &rep), 0);
	size_t n = 0;
	FILE *f = fopen(path, "rb");
	TG_CHECK(f != NULL);
	if (!f) {
		tg_trainer_destroy(t);
		free_series(&s);
		return;
	}
	fseek(f, 0, SEEK_END);
	n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *good = malloc(n + 64), *bad = malloc(n + 64);
	TG_CHECK(fread(good, 1, n, f) == n);
	fclose(f);
	TG_CHECK_EQ_I64(tg_trainer_resume(t), 0);
	struct tg_rng r;
	tg_rng_seed(&r, 123);
	int iters = (int)(300 * tg_test_scale()) + 20, accepted = 0;
	for (int it = 0; it < iters; it++) {
		memcpy(bad, good, n);
		size_t len = n;
		switch (it % 3) {
		case 0: /* flip 1-4 bytes */
			for (uint64_t k = 1 + tg_rng_below(&r, 4); k-- > 0;)
				bad[tg_rng_below(&r, n)] ^=
				    (unsigned char)(1 + tg_rng_below(&r, 255));
			break;
		case 1: /* truncate */
			len = tg_rng_below(&r, n);
			break;
		default: /* extend with junk */
			len = n + 1 + tg_rng_below(&r, 63);
			for (size_t k = n; k < len; k++)
				bad[k] = (unsigned char)tg_rng_next(&r);
		}
		f = fopen(path, "wb");
		if (!f)
			break;
		fwrite(bad, 1, len, f);
		fclose(f);
		int rc = tg_trainer_resume(t);
		accepted += rc == 0;
		TG_CHECK(rc == -EBADMSG || rc == -ESTALE || rc == -EOVERFLOW);
	}
	TG_CHECK_EQ_I64(accepted, 0);
	unlink(path);
	free(good);
	free(bad);
	tg_trainer_destroy(t);
	free_series(&s);
}

static void t_bad_params(void)
{
	struct tg_model_config cfg = small_cfg(TG_ACT_RELU, 10, 1);
	float v[20] = {0};
	uint64_t st[1] = {0};
	struct tg_train_data tr = {.values = v, .starts = st, .count = 1}, none = {.values = v};
	struct tg_train_params p;
	tg_train_params_default(&p);
	struct tg_trainer *t;
	char err[128] = "";
	p.threads = 3;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &none, &t, err, sizeof(err)), -EINVAL);
	TG_CHECK(err[0] != 0);
	p.threads = 2;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &none, &none, &t, err, sizeof(err)), -EINVAL);
	cfg.window = 0;
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &tr, &none, &t, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	tg_test_case("fd_relu", t_fd_relu);
	tg_test_case("fd_tanh", t_fd_tanh);
	tg_test_case("fd_tanh_2feat", t_fd_tanh_2feat);
	tg_test_case("adam", t_adam);
	tg_test_case("train_lowers_val", t_train_lowers_val);
	tg_test_case("threads_deterministic", t_threads_deterministic);
	tg_test_case("resume_exact", t_resume_exact);
	tg_test_case("early_stop", t_early_stop);
	tg_test_case("stop_flag_resume", t_stop_flag_resume);
	tg_test_case("clipnorm", t_clipnorm);
	tg_test_case("ckpt_fuzz", t_ckpt_fuzz);
	tg_test_case("bad_params", t_bad_params);
	return tg_test_done();
}
