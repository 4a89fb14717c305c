/* test_model_forward.c - the fast batched forward against the reference
 * oracle (several shapes, both activations, batch sizes that exercise every
 * register block and tail), Keras initialisation properties, and the
 * always-finite score. A deliberately perturbed weight must be caught. */
#include <errno.h>
#include <float.h>
#include <math.h>

#include "common/tg_common.h"
#include "model/model.h"
#include "tests/tg_test.h"

static void fill_windows(float *x, size_t n, uint64_t seed)
{
	uint64_t s = seed * 2654435761u + 1;
	double v = 0.5;
	for (size_t i = 0; i < n; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		v += ((double)(s >> 11) * 0x1.0p-53 - 0.5) * 0.1;
		if (v < 0 || v > 1)
			v = 0.5;
		x[i] = (float)v;
	}
}

/* Max relative difference between fast and reference outputs, relative to
 * the largest reference magnitude of that window. */
static double compare(const struct tg_model *m, uint32_t batch, uint64_t seed)
{
	const struct tg_model_config *cfg = &m->cfg;
	size_t wn = (size_t)cfg->window * cfg->features;
	float *x = malloc(wn * batch * sizeof(float));
	float *rf = malloc(wn * batch * sizeof(float));
	float *rr = malloc(wn * sizeof(float));
	double *sf = malloc(batch * sizeof(double));
	struct tg_model_ws *ws = NULL;
	double worst = 0;
	TG_CHECK(x && rf && rr && sf);
	fill_windows(x, wn * batch, seed);
	TG_CHECK_EQ_I64(tg_model_ws_create(cfg, batch, &ws), 0);
	TG_CHECK_EQ_I64(tg_model_forward_batch(m, ws, x, batch, rf, sf), 0);
	for (uint32_t b = 0; b < batch; b++) {
		double sr;
		TG_CHECK_EQ_I64(tg_model_forward_ref(m, x + b * wn, rr, &sr), 0);
		double mag = 1e-3;
		for (size_t i = 0; i < wn; i++)
			mag = fmax(mag, fabs((double)rr[i]));
		for (size_t i = 0; i < wn; i++) {
			double d = fabs((double)rf[b * wn + i] - (double)rr[i]) / mag;
			worst = fmax(worst, d);
		}
		TG_CHECK_NEAR(sf[b], sr, 1e-9, 1e-4);
	}
	tg_model_ws_destroy(ws);
	free(x);
	free(rf);
	free(rr);
	free(sf);
	return worst;
}

static void check_cfg(const struct tg_model_config *cfg, uint64_t seed)
{
	struct tg_model *m;
	TG_CHECK_EQ_I64(tg_model_create(cfg, &m), 0);
	if (!m)
		return;
	tg_model_init(m, seed);
	/* Init biases are zero: give them values so the bias path is tested. */
	for (uint32_t k = 0; k < m->n_lstm; k++)
		for (uint32_t j = 0; j < 4 * m->lstm[k].units; j++)
			m->lstm[k].bias[j] += 0.05f * (float)((j * 7 + k) % 5) - 0.1f;
	m->dense_bias[0] = 0.25f;
	static const uint32_t batches[] = {1, 2, 3, 5, 32};
	for (size_t i = 0; i < TG_ARRAY_SIZE(batches); i++) {
		double d = compare(m, batches[i], seed + i);
		if (!(d <= 1e-5))
			TG_FAIL("batch %u: fast vs reference rel diff %.3g > 1e-5", batches[i], d);
	}
	tg_model_destroy(m);
}

static void t_fast_vs_ref_default(void)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	check_cfg(&cfg, 1);
}

static void t_fast_vs_ref_tanh_odd(void)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	cfg.window = 17;
	cfg.act = TG_ACT_TANH;
	cfg.n_enc = 3;
	cfg.enc_units[0] = 33;
	cfg.enc_units[1] = 7;
	cfg.enc_units[2] = 20;
	cfg.n_dec = 1;
	cfg.dec_units[0] = 45;
	check_cfg(&cfg, 2);
	cfg.features = 3;
	cfg.act = TG_ACT_RELU;
	check_cfg(&cfg, 3);
}

/* The check must be able to fail: a single changed weight in the fast path's
 * copy shows up as a difference. */
static void t_detects_perturbation(void)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	cfg.window = 12;
	struct tg_model *m, *m2;
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m), 0);
	tg_model_init(m, 9);
	TG_CHECK_EQ_I64(tg_model_clone(m, &m2), 0);
	for (int i = 0; i < 200; i++)
		m2->lstm[1].recurrent[i * 13] += 0.05f;
	float x[12], r1[12], r2[12];
	fill_windows(x, 12, 4);
	struct tg_model_ws *ws;
	TG_CHECK_EQ_I64(tg_model_ws_create(&cfg, 1, &ws), 0);
	TG_CHECK_EQ_I64(tg_model_forward(m2, ws, x, r1, NULL), 0);
	TG_CHECK_EQ_I64(tg_model_forward_ref(m, x, r2, NULL), 0);
	double d = 0;
	for (int i = 0; i < 12; i++)
		d = fmax(d, fabs((double)r1[i] - (double)r2[i]));
	TG_CHECK(d > 1e-6);
	tg_model_ws_destroy(ws);
	tg_model_destroy(m);
	tg_model_destroy(m2);
}

static void t_init(void)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	struct tg_model *m, *m2;
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m), 0);
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m2), 0);
	TG_CHECK_EQ_U64(m->n_params, 247937);
	TG_CHECK_NEAR(tg_model_config_flops(&cfg), 29.6e6, 0.1e6, 0);
	tg_model_init(m, 42);
	tg_model_init(m2, 42);
	TG_CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) == 0);
	tg_model_init(m2, 43);
	TG_CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) != 0);
	TG_CHECK_EQ_I64(tg_model_check_finite(m), 0);
	for (uint32_t k = 0; k < m->n_lstm; k++) {
		const struct tg_lstm_layer *l = &m->lstm[k];
		uint32_t u = l->units;
		/* orthogonal: rows of [u][4u] orthonormal */
		double worst = 0;
		for (uint32_t a = 0; a < u; a += 7)
			for (uint32_t b = 0; b < u; b += 5) {
				double d = 0;
				for (uint32_t j = 0; j < 4 * u; j++)
					d += (double)l->recurrent[a * 4 * u + j] *
					     (double)l->recurrent[b * 4 * u + j];
				worst = fmax(worst, fabs(d - (a == b ? 1.0 : 0.0)));
			}
		TG_CHECK(worst < 1e-5);
		double lim = sqrt(6.0 / (l->in + 4.0 * u)), mx = 0;
		for (size_t j = 0; j < (size_t)l->in * 4 * u; j++)
			mx = fmax(mx, fabs((double)l->kernel[j]));
		TG_CHECK(mx <= lim && mx > 0.9 * lim);
		for (uint32_t j = 0; j < 4 * u; j++)
			TG_CHECK_NEAR(l->bias[j], (j >= u && j < 2 * u) ? 1.0 : 0.0, 0, 0);
	}
	struct tg_model_tensor t[32];
	TG_CHECK_EQ_I64(tg_model_tensors(m, t, 32), 14);
	size_t total = 0;
	for (int i = 0; i < 14; i++) {
		TG_CHECK_EQ_U64(t[i].offset, total);
		total += t[i].count;
	}
	TG_CHECK_EQ_U64(total, m->n_params);
	m->params[100] = NAN;
	TG_CHECK_EQ_I64(tg_model_check_finite(m), -EDOM);
	tg_model_destroy(m);
	tg_model_destroy(m2);
}

static void t_score_finite(void)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	cfg.window = 10;
	struct tg_model *m;
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m), 0);
	tg_model_init(m, 5);
	struct tg_model_ws *ws;
	TG_CHECK_EQ_I64(tg_model_ws_create(&cfg, 4, &ws), 0);
	float x[40];
	fill_windows(x, 40, 1);
	x[3] = 1e30f; /* a ReLU network blows up: inf/NaN inside */
	x[13] = NAN;  /* a NaN input */
	x[23] = INFINITY;
	double s[4], sr;
	TG_CHECK_EQ_I64(tg_model_forward_batch(m, ws, x, 4, NULL, s), 0);
	TG_CHECK(isfinite(s[0]) && s[0] > 1e40);
	TG_CHECK_NEAR(s[1], DBL_MAX, 0, 0);
	TG_CHECK_NEAR(s[2], DBL_MAX, 0, 0);
	TG_CHECK(isfinite(s[3]) && s[3] < 10);
	TG_CHECK_EQ_I64(tg_model_forward_ref(m, x + 10, NULL, &sr), 0);
	TG_CHECK_NEAR(sr, DBL_MAX, 0, 0);
	TG_CHECK_EQ_I64(tg_model_forward_batch(m, ws, x, 5, NULL, s), -EINVAL);
	struct tg_model_config other = cfg;
	other.window = 11;
	struct tg_model *m2;
	TG_CHECK_EQ_I64(tg_model_create(&other, &m2), 0);
	TG_CHECK_EQ_I64(tg_model_forward_batch(m2, ws, x, 1, NULL, s), -EINVAL);
	char err[128] = "";
	other.n_enc = 0;
	TG_CHECK_EQ_I64(tg_model_config_check(&other, err, sizeof(err)), -EINVAL);
	TG_CHECK(err[0] != 0);
	tg_model_destroy(m2);
	tg_model_ws_destroy(ws);
	tg_model_destroy(m);
}

/* An overflow inside the network (huge weights: inf, then inf - inf) must
 * score DBL_MAX on both paths, never a finite value made up by clamping. */
static void t_internal_overflow(void)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	cfg.window = 20;
	struct tg_model *m;
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m), 0);
	tg_model_init(m, 8);
	for (uint32_t j = 0; j < 4 * m->lstm[0].units; j++)
		m->lstm[0].kernel[j] =
		    (float)((double)m->lstm[0].kernel[j] * 2e39); /* |k| <= 0.108 */
	struct tg_model_ws *ws;
	TG_CHECK_EQ_I64(tg_model_ws_create(&cfg, 8, &ws), 0);
	float x[8 * 20];
	fill_windows(x, 8 * 20, 3);
	double s[8], sr;
	TG_CHECK_EQ_I64(tg_model_forward_batch(m, ws, x, 8, NULL, s), 0);
	TG_CHECK_EQ_I64(tg_model_forward_ref(m, x, NULL, &sr), 0);
	TG_CHECK_NEAR(sr, DBL_MAX, 0, 0);
	for (int i = 0; i < 8; i++)
		TG_CHECK_NEAR(s[i], DBL_MAX, 0, 0);
	TG_CHECK_EQ_I64(tg_model_forward_batch(m, ws, x, 1, NULL, s), 0);
	TG_CHECK_NEAR(s[0], DBL_MAX, 0, 0);
	tg_model_ws_destroy(ws);
	tg_model_destroy(m);
}

int main(void)
{
	tg_test_case("fast_vs_ref_default", t_fast_vs_ref_default);
	tg_test_case("fast_vs_ref_tanh_odd", t_fast_vs_ref_tanh_odd);
	tg_test_case("detects_perturbation", t_detects_perturbation);
	tg_test_case("init", t_init);
	tg_test_case("score_finite", t_score_finite);
	tg_test_case("internal_overflow", t_internal_overflow);
	return tg_test_done();
}
