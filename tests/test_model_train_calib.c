/* test_model_train_calib.c - the whole training story on feedsim's
 * synthetic market: fit the scaler on the morning's normal windows only,
 * train a small autoencoder, calibrate the 99th-percentile threshold on
 * held-out normal windows (afternoon blocks), then check that the injected spikes score above
 * it while only about 1% of later normal windows do. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedsim/source.h"
#include "model/calibrate.h"
#include "model/model.h"
#include "model/preprocess.h"
#include "model/train.h"
#include "model/train_data.h"
#include "model/train_net.h"
#include "tests/tg_test.h"

#define NINST 4

static void score_set(const struct tg_model *m, const struct tg_winset *s, double *scores)
{
	struct tg_model_ws *ws;
	if (tg_model_ws_create(&m->cfg, 64, &ws) < 0)
		return;
	for (uint64_t i = 0; i < s->n; i += 64) {
		uint32_t b = s->n - i < 64 ? (uint32_t)(s->n - i) : 64;
		tg_model_forward_batch(m, ws, s->v + i * s->window, b, NULL, scores + i);
	}
	tg_model_ws_destroy(ws);
}

static void t_spikes_above_threshold(void)
{
	double scale = tg_test_scale();
	struct tg_synth_config sc;
	tg_synth_config_default(&sc);
	sc.seed = 11;
	sc.instruments = NINST;
	sc.trades_per_instrument = (uint64_t)(12000 * (scale < 1 ? 0.5 : 1.0));
	sc.anomalies = 12; /* two of each kind per instrument */
	struct tg_source *src;
	TG_CHECK_EQ_I64(tg_source_open_synth(&sc, &src), 0);
	uint64_t n;
	const struct tg_trade *tr = tg_source_trade_array(src, &n);
	const struct tg_label *lab;
	size_t nlab = tg_source_labels(src, &lab);
	TG_CHECK(nlab > 0);

	/* Per instrument: prices, anomaly marks, spike marks. */
	size_t per = sc.trades_per_instrument;
	double *px[NINST];
	uint8_t *bad[NINST], *spike[NINST];
	for (int i = 0; i < NINST; i++) {
		px[i] = malloc(per * sizeof(double));
		bad[i] = calloc(per, 1);
		spike[i] = calloc(per, 1);
	}
	for (uint64_t k = 0; k < n; k++)
		px[tr[k].instrument][tr[k].tick] = tr[k].price_e4 / 1e4;
	size_t nspikes = 0;
	for (size_t l = 0; l < nlab; l++) {
		/* An anomaly's effect reaches 60 ticks past its label at most
		 * (a level shift is permanent, but then it is the new normal). */
		for (uint64_t t = lab[l].first_tick; t <= lab[l].last_tick + 60 && t < per; t++)
			bad[lab[l].instrument][t] = 1;
		if (lab[l].kind == TG_ANOM_SPIKE) {
			nspikes++;
			for (uint64_t t = lab[l].first_tick; t <= lab[l].last_tick; t++)
				spike[lab[l].instrument][t] = 1;
		}
	}
	TG_CHECK(nspikes >= NINST);

	const uint32_t W = 30;
	size_t cut1 = per * 55 / 100;
	struct tg_scaler_fitter *fit;
	TG_CHECK_EQ_I64(tg_scaler_fitter_create(TG_SCALE_LOG_REL, W, false, &fit), 0);
	for (int i = 0; i < NINST; i++)
		TG_CHECK(tg_train_fit_windows(fit, W, NULL, px[i], 0, cut1, 1, bad[i]) > 0);
	struct tg_scaler *scaler;
	TG_CHECK_EQ_I64(tg_scaler_fit_finish(fit, &scaler), 0);

	/* train: morning (normal), val: its last 15% by time; calibration and
	 * test: alternate afternoon blocks (normal); and every spike window. */
	struct tg_winset trs, vas, cal, test, sp;
	tg_winset_init(&trs, W);
	tg_winset_init(&vas, W);
	tg_winset_init(&cal, W);
	tg_winset_init(&test, W);
	tg_winset_init(&sp, W);
	size_t cutv = cut1 * 85 / 100;
	uint32_t stride = scale < 1 ? 4 : 2;
	for (uint32_t i = 0; i < NINST; i++) {
		TG_CHECK_EQ_I64(tg_winset_add(&trs, scaler, 0, i, px[i], 0, cutv, stride, bad[i]),
		                0);
		TG_CHECK_EQ_I64(tg_winset_add(&vas, scaler, 0, i, px[i], cutv, cut1, 1, bad[i]), 0);
		/* Alternate blocks of the afternoon, so that calibration and
		 * test see the same intraday volatility. */
		for (size_t b = cut1, k = 0; b < per; b += 400, k++) {
			size_t e = b + 400 < per ? b + 400 : per;
			TG_CHECK_EQ_I64(tg_winset_add(k % 2 ? &test : &cal, scaler, 0, i, px[i], b,
			                              e, 1, bad[i]),
			                0);
		}
		/* spike windows: the spike inside, away from the window's first
		 * price (log_rel divides by it, which would hide the spike). */
		for (size_t k = 0; k + W <= per; k++) {
			bool has = false;
			for (size_t t = k + 1; t < k + W; t++)
				has |= spike[i][t] != 0;
			if (has && !spike[i][k])
				TG_CHECK_EQ_I64(
				    tg_winset_add(&sp, scaler, 0, i, px[i], k, k + W, 1, NULL), 0);
		}
	}
	fprintf(stderr, "windows: train %llu val %llu calib %llu test %llu spike %llu\n",
	        (unsigned long long)trs.n, (unsigned long long)vas.n, (unsigned long long)cal.n,
	        (unsigned long long)test.n, (unsigned long long)sp.n);

	struct tg_model_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.window = W;
	cfg.features = 1;
	cfg.n_enc = cfg.n_dec = 2;
	cfg.enc_units[0] = cfg.dec_units[1] = 16;
	cfg.enc_units[1] = cfg.dec_units[0] = 8;
	cfg.act = TG_ACT_RELU;
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = scale < 1 ? 2 : 4;
	p.lr = 3e-3;
	struct tg_train_data dtr = tg_winset_data(&trs), dva = tg_winset_data(&vas);
	struct tg_trainer *t;
	char err[128];
	TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &dtr, &dva, &t, err, sizeof(err)), 0);
	double v0 = tg_trainer_eval(t, &dva);
	struct tg_train_report rep;
	TG_CHECK_EQ_I64(tg_trainer_run(t, &rep), 0);
	fprintf(stderr, "val loss %.6f -> best %.6f (%u epochs, %.1fs)\n", v0, rep.best_val,
	        rep.epochs_run, rep.seconds);
	TG_CHECK(rep.best_val < v0 * 0.5);
	struct tg_model *m;
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m), 0);
	TG_CHECK_EQ_I64(tg_trainer_export(t, m), 0);
	tg_trainer_destroy(t);

	double *s_cal = malloc(cal.n * sizeof(double)), *s_test = malloc(test.n * sizeof(double)),
	       *s_sp = malloc(sp.n * sizeof(double));
	score_set(m, &cal, s_cal);
	score_set(m, &test, s_test);
	score_set(m, &sp, s_sp);
	struct tg_calib c;
	TG_CHECK_EQ_I64(tg_calib_compute(s_cal, cal.n, 99.0, 40, &c), 0);
	size_t above_n = 0, above_s = 0;
	for (uint64_t i = 0; i < test.n; i++)
		above_n += s_test[i] > c.threshold;
	for (uint64_t i = 0; i < sp.n; i++)
		above_s += s_sp[i] > c.threshold;
	double fn = (double)above_n / (double)test.n, fs = (double)above_s / (double)sp.n;
	fprintf(stderr,
	        "threshold %.6g: normal above %.2f%% (%zu/%llu), spike windows above %.1f%% "
	        "(%zu/%llu)\n",
	        c.threshold, 100 * fn, above_n, (unsigned long long)test.n, 100 * fs, above_s,
	        (unsigned long long)sp.n);
	TG_CHECK(fn < 0.03);
	TG_CHECK(fs > 0.8);

	free(s_cal);
	free(s_test);
	free(s_sp);
	tg_model_destroy(m);
	tg_scaler_destroy(scaler);
	tg_winset_free(&trs);
	tg_winset_free(&vas);
	tg_winset_free(&cal);
	tg_winset_free(&test);
	tg_winset_free(&sp);
	for (int i = 0; i < NINST; i++) {
		free(px[i]);
		free(bad[i]);
		free(spike[i]);
	}
	tg_source_close(src);
}

/* Windows made on demand (what `tickguard train` uses) train to exactly
 * the same weights as stored windows, on 1 or 2 threads. */
static void t_lazy_equals_stored(void)
{
	const uint32_t W = 16, N = 1500;
	double *px = malloc(N * sizeof(double));
	uint8_t *skip = calloc(N, 1);
	struct tg_rng r;
	tg_rng_seed(&r, 5);
	px[0] = 50;
	for (uint32_t i = 1; i < N; i++)
		px[i] = px[i - 1] * (1 + 5e-4 * tg_rng_normal(&r));
	for (uint32_t i = 700; i < 710; i++)
		skip[i] = 1;
	px[1100] = -1; /* refused by the log scaler */
	struct tg_scaler_fitter *f;
	struct tg_scaler *sc;
	TG_CHECK_EQ_I64(tg_scaler_fitter_create(TG_SCALE_LOG_REL, W, false, &f), 0);
	TG_CHECK(tg_train_fit_windows(f, W, NULL, px, 0, 1000, 1, skip) > 0);
	TG_CHECK_EQ_I64(tg_scaler_fit_finish(f, &sc), 0);
	struct tg_winset st, sv;
	struct tg_winlazy lt, lv;
	tg_winset_init(&st, W);
	tg_winset_init(&sv, W);
	tg_winlazy_init(&lt, W, sc);
	tg_winlazy_init(&lv, W, sc);
	TG_CHECK_EQ_I64(tg_winset_add(&st, sc, 0, 0, px, 0, 1000, 3, skip), 0);
	TG_CHECK_EQ_I64(tg_winset_add(&sv, sc, 0, 0, px, 1000, N, 1, skip), 0);
	TG_CHECK_EQ_I64(tg_winlazy_add(&lt, 0, 0, px, 0, 1000, 3, skip), 0);
	TG_CHECK_EQ_I64(tg_winlazy_add(&lv, 0, 0, px, 1000, N, 1, skip), 0);
	TG_CHECK_EQ_U64(st.n, lt.n);
	TG_CHECK_EQ_U64(sv.n, lv.n);
	TG_CHECK_EQ_U64(sv.rejected, lv.rejected);
	TG_CHECK(lt.nr >= 2 && lv.nr >= 2); /* split around the skip / the bad price */
	float buf[16];
	for (uint64_t i = 0; i < lt.n; i += 37) {
		TG_CHECK_EQ_I64(tg_winlazy_fetch(&lt, i, buf), 0);
		TG_CHECK(memcmp(buf, st.v + i * W, sizeof(buf)) == 0);
	}
	TG_CHECK_EQ_I64(tg_winlazy_fetch(&lt, lt.n, buf), -EINVAL);
	struct tg_model_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.window = W;
	cfg.features = 1;
	cfg.n_enc = cfg.n_dec = 1;
	cfg.enc_units[0] = cfg.dec_units[0] = 6;
	cfg.act = TG_ACT_TANH;
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = 2;
	double *w[3] = {NULL, NULL, NULL};
	for (int k = 0; k < 3; k++) {
		struct tg_train_data a = k ? tg_winlazy_data(&lt) : tg_winset_data(&st);
		struct tg_train_data b = k ? tg_winlazy_data(&lv) : tg_winset_data(&sv);
		p.threads = k == 2 ? 1 : 2;
		struct tg_trainer *t;
		char err[128];
		struct tg_train_report rep;
		TG_CHECK_EQ_I64(tg_trainer_create(&cfg, &p, &a, &b, &t, err, sizeof(err)), 0);
		TG_CHECK_EQ_I64(tg_trainer_run(t, &rep), 0);
		w[k] = malloc(tg_trainer_param_count(t) * sizeof(double));
		memcpy(w[k], tg_trainer_weights(t), tg_trainer_param_count(t) * sizeof(double));
		size_t n = tg_trainer_param_count(t);
		if (k)
			TG_CHECK(memcmp(w[0], w[k], n * sizeof(double)) == 0);
		tg_trainer_destroy(t);
	}
	for (int k = 0; k < 3; k++)
		free(w[k]);
	tg_winset_free(&st);
	tg_winset_free(&sv);
	tg_winlazy_free(&lt);
	tg_winlazy_free(&lv);
	tg_scaler_destroy(sc);
	free(px);
	free(skip);
}

int main(void)
{
	tg_test_case("lazy_equals_stored", t_lazy_equals_stored);
	tg_test_case("spikes_above_threshold", t_spikes_above_threshold);
	return tg_test_done();
}
