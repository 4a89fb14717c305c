/* recon_local.c - the local reconstruction backend: the model's batched
 * forward pass, run in the caller's thread at submit time, so a result is
 * ready as soon as submit returns. The MSE is computed here with
 * tg_recon_mse() from the reconstruction, exactly as the remote backend
 * computes it from a server's reply, so both modes give identical scores for
 * identical reconstructions. Single-threaded: no locks, no allocation after
 * create. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tg_common.h"
#include "model/model.h"
#include "scorer/recon.h"

struct local_job {
	uint64_t tag;
	uint32_t n, scored;
	int32_t status;
	uint64_t latency_ns;
	float *rec;
	double *mse;
};

struct local {
	struct tg_recon base;
	struct tg_recon_local_config cfg;
	struct tg_model_ws *ws;
	size_t per;
	struct local_job *jobs; /* ring of max_pending */
	uint32_t head, len;     /* ready, not yet polled */
	uint32_t polled;        /* slots handed out by the last poll */
	struct tg_recon_counters c;
	char last_error[160];
};

static int model_forward(void *ctx, const float *in, uint32_t n, float *out)
{
	struct local *l = ctx;
	return tg_model_forward_batch(l->cfg.model, l->ws, in, n, out, NULL);
}

static int local_submit(struct tg_recon *base, uint64_t tag, const float *windows, uint32_t n)
{
	struct local *l = (struct local *)base;
	/* slots of the previous poll stay valid until the next poll */
	if (n == 0 || !windows || n > base->max_batch) {
		l->c.batches_rejected++;
		return n > base->max_batch ? -E2BIG : -EINVAL;
	}
	if (l->len + l->polled >= l->cfg.max_pending) {
		l->c.batches_rejected++;
		return -EAGAIN;
	}
	uint64_t t0 = tg_monotonic_ns();
	struct local_job *j = &l->jobs[(l->head + l->len) % l->cfg.max_pending];
	j->tag = tag;
	j->n = n;
	int rc = l->cfg.model ? model_forward(l, windows, n, j->rec)
	                      : l->cfg.forward(l->cfg.forward_ctx, windows, n, j->rec);
	j->status = rc < 0 ? rc : 0;
	j->scored = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (rc < 0) {
			j->mse[i] = NAN;
			continue;
		}
		j->mse[i] =
		    tg_recon_mse(windows + i * l->per, j->rec + i * l->per, (uint32_t)l->per);
		j->scored++;
	}
	if (rc < 0)
		snprintf(l->last_error, sizeof(l->last_error), "local forward failed: %s",
		         strerror(-rc));
	j->latency_ns = tg_monotonic_ns() - t0;
	l->len++;
	l->c.batches_submitted++;
	l->c.windows_submitted += n;
	l->c.windows_scored += j->scored;
	l->c.windows_unscored += n - j->scored;
	return 0;
}

static int local_poll_burst(struct tg_recon *base, struct tg_recon_result *res, uint32_t max)
{
	struct local *l = (struct local *)base;
	uint32_t cap = l->cfg.max_pending;
	l->polled = 0;
	uint32_t k = 0;
	while (k < max && l->len) {
		struct local_job *j = &l->jobs[l->head];
		res[k++] = (struct tg_recon_result){
		    .tag = j->tag,
		    .status = j->status,
		    .count = j->n,
		    .scored = j->scored,
		    .latency_ns = j->latency_ns,
		    .mse = j->mse,
		    .recon = l->cfg.keep_recon ? j->rec : NULL,
		};
		l->head = (l->head + 1) % cap;
		l->len--;
		l->polled++;
	}
	return (int)k;
}

static int local_wait(struct tg_recon *base, uint64_t timeout_ns)
{
	(void)timeout_ns;
	return ((struct local *)base)->len > 0;
}

static void local_counters(struct tg_recon *base, struct tg_recon_counters *c)
{
	struct local *l = (struct local *)base;
	*c = l->c;
	c->pending = l->len + l->polled;
}

static size_t local_last_error(struct tg_recon *base, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", ((struct local *)base)->last_error);
	return n < 0 ? 0 : (size_t)n;
}

static void local_destroy(struct tg_recon *base)
{
	struct local *l = (struct local *)base;
	if (l->jobs)
		for (uint32_t i = 0; i < l->cfg.max_pending; i++) {
			free(l->jobs[i].rec);
			free(l->jobs[i].mse);
		}
	free(l->jobs);
	tg_model_ws_destroy(l->ws);
	free(l);
}

static const struct tg_recon_ops local_ops = {
    .submit = local_submit,
    .poll_burst = local_poll_burst,
    .wait = local_wait,
    .counters = local_counters,
    .last_error = local_last_error,
    .destroy = local_destroy,
};

int tg_recon_local_create(const struct tg_recon_local_config *cfg, struct tg_recon **out)
{
	if (!cfg || !out || (!cfg->model && !cfg->forward))
		return -EINVAL;
	struct local *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cfg = *cfg;
	if (!l->cfg.max_batch)
		l->cfg.max_batch = 64;
	if (!l->cfg.max_pending)
		l->cfg.max_pending = 16;
	if (cfg->model) {
		l->cfg.window = cfg->model->cfg.window;
		l->cfg.features = cfg->model->cfg.features;
	}
	l->base.ops = &local_ops;
	l->base.window = l->cfg.window;
	l->base.features = l->cfg.features;
	l->base.max_batch = l->cfg.max_batch;
	l->per = (size_t)l->cfg.window * l->cfg.features;
	int rc = -EINVAL;
	if (!l->per)
		goto fail;
	if (cfg->model && (rc = tg_model_ws_create(&cfg->model->cfg, l->cfg.max_batch, &l->ws)) < 0)
		goto fail;
	rc = -ENOMEM;
	if (!(l->jobs = calloc(l->cfg.max_pending, sizeof(*l->jobs))))
		goto fail;
	for (uint32_t i = 0; i < l->cfg.max_pending; i++) {
		l->jobs[i].rec = calloc((size_t)l->cfg.max_batch * l->per, sizeof(float));
		l->jobs[i].mse = calloc(l->cfg.max_batch, sizeof(double));
		if (!l->jobs[i].rec || !l->jobs[i].mse)
			goto fail;
	}
	*out = &l->base;
	return 0;
fail:
	local_destroy(&l->base);
	return rc;
}
