/* lstm.c - the model object (config, one parameter block in Keras manifest
 * order, Keras initialisers) and the reference forward pass: the plain,
 * obviously-correct oracle that every faster kernel is checked against.
 * It follows model.h's equations literally and accumulates in double.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "model/model.h"

void tg_model_config_default(struct tg_model_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->window = 60;
	cfg->features = 1;
	cfg->n_enc = 2;
	cfg->enc_units[0] = 128;
	cfg->enc_units[1] = 64;
	cfg->n_dec = 2;
	cfg->dec_units[0] = 64;
	cfg->dec_units[1] = 128;
	cfg->act = TG_ACT_RELU;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

int tg_model_config_check(const struct tg_model_config *cfg, char *err, size_t errlen)
{
	if (cfg->window < 1 || cfg->window > TG_MODEL_MAX_WINDOW) {
		set_err(err, errlen, "window must be 1..4096");
		return -EINVAL;
	}
	if (cfg->features < 1 || cfg->features > 64) {
		set_err(err, errlen, "features must be 1..64");
		return -EINVAL;
	}
	if (cfg->n_enc < 1 || cfg->n_enc > TG_MODEL_MAX_LAYERS || cfg->n_dec < 1 ||
	    cfg->n_dec > TG_MODEL_MAX_LAYERS) {
		set_err(err, errlen, "need 1..8 encoder and 1..8 decoder LSTM layers");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < cfg->n_enc; i++)
		if (cfg->enc_units[i] < 1 || cfg->enc_units[i] > TG_MODEL_MAX_UNITS) {
			set_err(err, errlen, "encoder units must be 1..4096");
			return -EINVAL;
		}
	for (uint32_t i = 0; i < cfg->n_dec; i++)
		if (cfg->dec_units[i] < 1 || cfg->dec_units[i] > TG_MODEL_MAX_UNITS) {
			set_err(err, errlen, "decoder units must be 1..4096");
			return -EINVAL;
		}
	if (cfg->act != TG_ACT_RELU && cfg->act != TG_ACT_TANH) {
		set_err(err, errlen, "activation must be relu or tanh");
		return -EINVAL;
	}
	return 0;
}

/* Units of LSTM layer k (encoder first), and its input width. */
static uint32_t layer_units(const struct tg_model_config *cfg, uint32_t k)
{
	return k < cfg->n_enc ? cfg->enc_units[k] : cfg->dec_units[k - cfg->n_enc];
}

static uint32_t layer_in(const struct tg_model_config *cfg, uint32_t k)
{
	return k == 0 ? cfg->features : layer_units(cfg, k - 1);
}

size_t tg_model_config_param_count(const struct tg_model_config *cfg)
{
	if (tg_model_config_check(cfg, NULL, 0) < 0)
		return 0;
	size_t n = 0;
	uint32_t nl = cfg->n_enc + cfg->n_dec;
	for (uint32_t k = 0; k < nl; k++) {
		size_t u = layer_units(cfg, k), in = layer_in(cfg, k);
		n += (in + u + 1) * 4 * u;
	}
	n += ((size_t)layer_units(cfg, nl - 1) + 1) * cfg->features;
	return n;
}

double tg_model_config_flops(const struct tg_model_config *cfg)
{
	if (tg_model_config_check(cfg, NULL, 0) < 0)
		return 0;
	double f = 0;
	uint32_t nl = cfg->n_enc + cfg->n_dec;
	for (uint32_t k = 0; k < nl; k++) {
		double u = layer_units(cfg, k), in = layer_in(cfg, k);
		f += 2.0 * (in + u) * 4.0 * u * cfg->window;
	}
	f += 2.0 * layer_units(cfg, nl - 1) * cfg->features * cfg->window;
	return f;
}

int tg_model_create(const struct tg_model_config *cfg, struct tg_model **out)
{
	*out = NULL;
	if (tg_model_config_check(cfg, NULL, 0) < 0)
		return -EINVAL;
	struct tg_model *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	m->n_lstm = cfg->n_enc + cfg->n_dec;
	m->n_params = tg_model_config_param_count(cfg);
	size_t bytes = (m->n_params * sizeof(float) + 63) & ~(size_t)63;
	m->params = aligned_alloc(64, bytes);
	if (!m->params) {
		free(m);
		return -ENOMEM;
	}
	memset(m->params, 0, bytes);
	size_t off = 0;
	for (uint32_t k = 0; k < m->n_lstm; k++) {
		struct tg_lstm_layer *l = &m->lstm[k];
		l->in = layer_in(cfg, k);
		l->units = layer_units(cfg, k);
		l->return_sequences = k != cfg->n_enc - 1;
		l->act = cfg->act;
		l->offset = off;
		l->kernel = m->params + off;
		off += (size_t)l->in * 4 * l->units;
		/* The fast path relies on the recurrent kernel following the kernel. */
		l->recurrent = m->params + off;
		off += (size_t)l->units * 4 * l->units;
		l->bias = m->params + off;
		off += 4 * (size_t)l->units;
	}
	m->dense_kernel = m->params + off;
	off += (size_t)m->lstm[m->n_lstm - 1].units * cfg->features;
	m->dense_bias = m->params + off;
	*out = m;
	return 0;
}

void tg_model_destroy(struct tg_model *m)
{
	if (!m)
		return;
	free(m->params);
	free(m);
}

int tg_model_clone(const struct tg_model *m, struct tg_model **out)
{
	int rc = tg_model_create(&m->cfg, out);
	if (rc < 0)
		return rc;
	for (uint32_t k = 0; k < m->n_lstm; k++)
		(*out)->lstm[k].act = m->lstm[k].act;
	memcpy((*out)->params, m->params, m->n_params * sizeof(float));
	return 0;
}

int tg_model_tensors(const struct tg_model *m, struct tg_model_tensor *out, int max)
{
	int n = 0;
	for (uint32_t k = 0; k < m->n_lstm; k++) {
		const struct tg_lstm_layer *l = &m->lstm[k];
		struct tg_model_tensor t[3] = {
		    {(int)k, "kernel", l->in, 4 * l->units, 2, (size_t)(l->kernel - m->params),
		     (size_t)l->in * 4 * l->units},
		    {(int)k, "recurrent_kernel", l->units, 4 * l->units, 2,
		     (size_t)(l->recurrent - m->params), (size_t)l->units * 4 * l->units},
		    {(int)k, "bias", 1, 4 * l->units, 1, (size_t)(l->bias - m->params),
		     4 * (size_t)l->units},
		};
		for (int i = 0; i < 3; i++, n++)
			if (n < max)
				out[n] = t[i];
	}
	uint32_t u = m->lstm[m->n_lstm - 1].units, f = m->cfg.features;
	struct tg_model_tensor d[2] = {
	    {-1, "kernel", u, f, 2, (size_t)(m->dense_kernel - m->params), (size_t)u * f},
	    {-1, "bias", 1, f, 1, (size_t)(m->dense_bias - m->params), f},
	};
	for (int i = 0; i < 2; i++, n++)
		if (n < max)
			out[n] = d[i];
	return n;
}

int tg_model_check_finite(const struct tg_model *m)
{
	for (size_t i = 0; i < m->n_params; i++)
		if (!isfinite(m->params[i]))
			return -EDOM;
	return 0;
}

/* Weight initialisation draws from common/rng.h (splitmix64 seeding
 * xoshiro256**), so a seed gives the same weights as training expects. */

static void glorot_uniform(struct tg_rng *r, float *w, size_t fan_in, size_t fan_out)
{
	double lim = sqrt(6.0 / (double)(fan_in + fan_out));
	for (size_t i = 0; i < fan_in * fan_out; i++)
		w[i] = (float)((2.0 * tg_rng_uniform(r) - 1.0) * lim);
}

/* Keras Orthogonal for shape [u][4u]: QR of a (4u x u) normal matrix with
 * signs fixed so diag(R) > 0, transposed -> rows orthonormal. Modified
 * Gram-Schmidt gives exactly that Q. Returns -ENOMEM. */
static int orthogonal(struct tg_rng *r, float *w, size_t u)
{
	size_t rows = 4 * u; /* a: rows x u, column-major for convenience */
	double *a = malloc(rows * u * sizeof(double));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < rows * u; i++)
		a[i] = tg_rng_normal(r);
	for (size_t j = 0; j < u; j++) {
		double *cj = a + j * rows;
		for (size_t p = 0; p < j; p++) {
			const double *cp = a + p * rows;
			double d = 0;
			for (size_t i = 0; i < rows; i++)
				d += cp[i] * cj[i];
			for (size_t i = 0; i < rows; i++)
				cj[i] -= d * cp[i];
		}
		double nrm = 0;
		for (size_t i = 0; i < rows; i++)
			nrm += cj[i] * cj[i];
		nrm = sqrt(nrm);
		for (size_t i = 0; i < rows; i++)
			cj[i] = nrm > 0 ? cj[i] / nrm : 0;
	}
	/* w[j][i] = Q[i][j] (Q^T), w is [u][4u]. */
	for (size_t j = 0; j < u; j++)
		for (size_t i = 0; i < rows; i++)
			w[j * rows + i] = (float)a[j * rows + i];
	free(a);
	return 0;
}

void tg_model_init(struct tg_model *m, uint64_t seed)
{
	struct tg_rng r;
	tg_rng_seed(&r, seed);
	for (uint32_t k = 0; k < m->n_lstm; k++) {
		struct tg_lstm_layer *l = &m->lstm[k];
		size_t u = l->units;
		glorot_uniform(&r, l->kernel, l->in, 4 * u);
		if (orthogonal(&r, l->recurrent, u) < 0) /* out of memory: fall back */
			glorot_uniform(&r, l->recurrent, u, 4 * u);
		for (size_t j = 0; j < 4 * u; j++)
			l->bias[j] = (j >= u && j < 2 * u) ? 1.0f : 0.0f;
	}
	uint32_t u = m->lstm[m->n_lstm - 1].units;
	glorot_uniform(&r, m->dense_kernel, u, m->cfg.features);
	for (uint32_t f = 0; f < m->cfg.features; f++)
		m->dense_bias[f] = 0;
}

double tg_model_mse(const float *x, const float *recon, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)x[i] - (double)recon[i];
		s += d * d;
	}
	s /= (double)(n ? n : 1);
	return isfinite(s) ? s : DBL_MAX;
}

/* --- reference forward ---------------------------------------------------- */

static double sigmoid_d(double z)
{
	return 1.0 / (1.0 + exp(-z));
}

static double act_d(enum tg_act a, double z)
{
	return a == TG_ACT_RELU ? (z > 0 ? z : 0) : tanh(z);
}

/* One LSTM layer over a whole sequence: in [T][I] -> out [T][U] (every h). */
static void ref_lstm(const struct tg_lstm_layer *l, const double *in, uint32_t T, double *out,
                     double *z, double *c)
{
	uint32_t I = l->in, U = l->units;
	const double *hprev = NULL;
	for (uint32_t j = 0; j < U; j++)
		c[j] = 0;
	for (uint32_t t = 0; t < T; t++) {
		const double *x = in + (size_t)t * I;
		for (uint32_t j = 0; j < 4 * U; j++) {
			double s = l->bias[j];
			for (uint32_t k = 0; k < I; k++)
				s += x[k] * (double)l->kernel[(size_t)k * 4 * U + j];
			if (hprev)
				for (uint32_t k = 0; k < U; k++)
					s += hprev[k] * (double)l->recurrent[(size_t)k * 4 * U + j];
			z[j] = s;
		}
		double *h = out + (size_t)t * U;
		for (uint32_t j = 0; j < U; j++) {
			double i = sigmoid_d(z[j]), f = sigmoid_d(z[U + j]);
			double g = act_d(l->act, z[2 * U + j]), o = sigmoid_d(z[3 * U + j]);
			c[j] = f * c[j] + i * g;
			h[j] = o * act_d(l->act, c[j]);
		}
		hprev = h;
	}
}

int tg_model_forward_ref(const struct tg_model *m, const float *x, float *recon, double *score)
{
	const struct tg_model_config *cfg = &m->cfg;
	uint32_t T = cfg->window, F = cfg->features, maxu = F;
	for (uint32_t k = 0; k < m->n_lstm; k++)
		if (m->lstm[k].units > maxu)
			maxu = m->lstm[k].units;
	double *a = malloc((size_t)T * maxu * sizeof(double));
	double *b = malloc((size_t)T * maxu * sizeof(double));
	double *z = malloc(4 * (size_t)maxu * sizeof(double));
	double *c = malloc((size_t)maxu * sizeof(double));
	float *rec = malloc((size_t)T * F * sizeof(float));
	int rc = -ENOMEM;
	if (!a || !b || !z || !c || !rec)
		goto out_free;
	for (size_t i = 0; i < (size_t)T * F; i++)
		a[i] = x[i];
	for (uint32_t k = 0; k < m->n_lstm; k++) {
		const struct tg_lstm_layer *l = &m->lstm[k];
		ref_lstm(l, a, T, b, z, c);
		if (k == cfg->n_enc - 1) {
			/* Encoder output: the last h, repeated window times. */
			const double *hl = b + (size_t)(T - 1) * l->units;
			for (uint32_t t = 0; t < T; t++)
				memcpy(a + (size_t)t * l->units, hl, l->units * sizeof(double));
		} else {
			double *tmp = a;
			a = b;
			b = tmp;
		}
	}
	uint32_t U = m->lstm[m->n_lstm - 1].units;
	for (uint32_t t = 0; t < T; t++)
		for (uint32_t f = 0; f < F; f++) {
			double s = m->dense_bias[f];
			for (uint32_t k = 0; k < U; k++)
				s += a[(size_t)t * U + k] *
				     (double)m->dense_kernel[(size_t)k * F + f];
			rec[(size_t)t * F + f] = (float)s;
		}
	if (recon)
		memcpy(recon, rec, (size_t)T * F * sizeof(float));
	if (score)
		*score = tg_model_mse(x, rec, (size_t)T * F);
	rc = 0;
out_free:
	free(a);
	free(b);
	free(z);
	free(c);
	free(rec);
	return rc;
}
