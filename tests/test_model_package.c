/* test_model_package.c - model packages (round trip, and every way a package
 * can be wrong rejected with a reason), the frozen scaler (modes, groups,
 * drift behaviour, bad prices) and calibration (numpy-compatible
 * percentiles, histogram). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "model/package.h"
#include "tests/tg_test.h"

static char tmpdir[256];

static struct tg_model *small_model(uint64_t seed)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	cfg.window = 16;
	cfg.enc_units[0] = 12;
	cfg.enc_units[1] = 6;
	cfg.dec_units[0] = 6;
	cfg.dec_units[1] = 12;
	struct tg_model *m = NULL;
	if (tg_model_create(&cfg, &m) == 0)
		tg_model_init(m, seed);
	return m;
}

static void spit(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");
	TG_CHECK(f != NULL);
	if (!f)
		return;
	TG_CHECK_EQ_U64(fwrite(s, 1, n, f), n);
	fclose(f);
}

/* Replace the first `from` with `to` in a text file; fails the case if absent. */
static void edit(const char *dir, const char *file, const char *from, const char *to)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	char *s = tg_test_slurp(path, NULL);
	TG_CHECK(s != NULL);
	if (!s)
		return;
	char *p = strstr(s, from);
	if (!p) {
		TG_FAIL("%s not found in %s", from, path);
		free(s);
		return;
	}
	size_t a = (size_t)(p - s), fl = strlen(from), tl = strlen(to), n = strlen(s);
	char *o = malloc(n - fl + tl + 1);
	memcpy(o, s, a);
	memcpy(o + a, to, tl);
	memcpy(o + a + tl, p + fl, n - a - fl + 1);
	spit(path, o, strlen(o));
	free(o);
	free(s);
}

static struct tg_scaler *fit_scaler(enum tg_scale_mode mode, uint32_t window, bool per)
{
	struct tg_scaler_fitter *f;
	TG_CHECK_EQ_I64(tg_scaler_fitter_create(mode, window, per, &f), 0);
	double p[200];
	for (int i = 0; i < 200; i++)
		p[i] = 100 + 5 * sin(i * 0.1) + 0.01 * i;
	TG_CHECK_EQ_I64(tg_scaler_fitter_add_series(f, "AAPL", p, 200), 200 - window + 1);
	for (int i = 0; i < 200; i++)
		p[i] = 20 + sin(i * 0.3);
	TG_CHECK_EQ_I64(tg_scaler_fitter_add_series(f, "MSFT    ", p, 200), 200 - window + 1);
	struct tg_scaler *s = NULL;
	TG_CHECK_EQ_I64(tg_scaler_fit_finish(f, &s), 0);
	return s;
}

/* A complete package in <tmpdir>/<name>; returns the model (caller frees). */
static struct tg_model *write_package(const char *name, char *dir, size_t dlen)
{
	struct tg_model *m = small_model(7);
	struct tg_detector d;
	char err[TG_PACKAGE_ERR_LEN] = "";
	memset(&d, 0, sizeof(d));
	snprintf(dir, dlen, "%s/%s", tmpdir, name);
	d.window = m->cfg.window;
	d.scaler = fit_scaler(TG_SCALE_LOG_REL, d.window, true);
	double sc[500];
	for (int i = 0; i < 500; i++)
		sc[i] = 1e-4 * exp(0.01 * i);
	TG_CHECK_EQ_I64(tg_calib_compute(sc, 500, 99, 20, &d.calib), 0);
	d.calibrated = true;
	d.threshold = d.calib.threshold;
	d.percentile = 99;
	snprintf(d.training, sizeof(d.training), "synthetic test series, 2 instruments");
	int rc = tg_package_save(dir, m, &d, err, sizeof(err));
	if (rc < 0)
		TG_FAIL("save: %s", err);
	tg_detector_clear(&d);
	return m;
}

static void t_roundtrip(void)
{
	char dir[512], err[TG_PACKAGE_ERR_LEN] = "";
	struct tg_model *m = write_package("rt", dir, sizeof(dir)), *m2 = NULL;
	struct tg_detector d;
	int rc = tg_package_load(dir, &m2, &d, err, sizeof(err));
	TG_CHECK_EQ_I64(rc, 0);
	if (rc < 0) {
		TG_FAIL("load: %s", err);
		tg_model_destroy(m);
		return;
	}
	TG_CHECK(memcmp(&m->cfg, &m2->cfg, sizeof(m->cfg)) == 0);
	TG_CHECK_EQ_U64(m2->n_params, m->n_params);
	TG_CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) == 0);
	TG_CHECK_EQ_U64(d.window, 16);
	TG_CHECK_NEAR(d.percentile, 99, 0, 0);
	TG_CHECK(d.calibrated);
	TG_CHECK_EQ_U64(d.calib.n, 500);
	TG_CHECK_EQ_U64(d.calib.n_bins, 20);
	uint64_t tot = 0;
	for (uint32_t k = 0; k < d.calib.n_bins; k++)
		tot += d.calib.bins[k];
	TG_CHECK_EQ_U64(tot, 500);
	/* doubles survive JSON exactly */
	struct tg_calib c;
	double sc[500];
	for (int i = 0; i < 500; i++)
		sc[i] = 1e-4 * exp(0.01 * i);
	tg_calib_compute(sc, 500, 99, 20, &c);
	TG_CHECK(d.threshold == c.threshold);
	TG_CHECK(d.calib.p50 == c.p50);
	TG_CHECK(d.scaler != NULL);
	if (d.scaler) {
		struct tg_scaler *s = fit_scaler(TG_SCALE_LOG_REL, 16, true);
		TG_CHECK_EQ_U64(tg_scaler_group_count(d.scaler), 3);
		TG_CHECK_EQ_I64(tg_scaler_mode(d.scaler), TG_SCALE_LOG_REL);
		TG_CHECK(tg_scaler_per_instrument(d.scaler));
		for (uint32_t i = 0; i < 3; i++) {
			TG_CHECK_STR(tg_scaler_group(d.scaler, i)->name,
			             tg_scaler_group(s, i)->name);
			TG_CHECK(tg_scaler_group(d.scaler, i)->min == tg_scaler_group(s, i)->min);
			TG_CHECK(tg_scaler_group(d.scaler, i)->max == tg_scaler_group(s, i)->max);
		}
		TG_CHECK_EQ_I64(tg_scaler_lookup(d.scaler, "MSFT"), 2);
		tg_scaler_destroy(s);
	}
	TG_CHECK_STR(d.training, "synthetic test series, 2 instruments");
	TG_CHECK(d.code_version[0] != 0);
	tg_detector_clear(&d);
	tg_model_destroy(m);
	tg_model_destroy(m2);
}

/* Every corruption must give its error code and a reason mentioning `why`. */
static void expect_load_error(const char *dir, int code, const char *why)
{
	char err[TG_PACKAGE_ERR_LEN] = "";
	struct tg_model *m = NULL;
	struct tg_detector d;
	int rc = tg_package_load(dir, &m, &d, err, sizeof(err));
	if (rc != code)
		TG_FAIL("%s: rc %d, want %d (err: %s)", why, rc, code, err);
	if (!strstr(err, why))
		TG_FAIL("error \"%s\" does not mention \"%s\"", err, why);
	TG_CHECK(m == NULL);
	if (rc == 0) {
		tg_detector_clear(&d);
		tg_model_destroy(m);
	}
}

static void t_rejects_bad_packages(void)
{
	char dir[512], shard[600];
	struct tg_model *m;
	struct {
		const char *file, *from, *to, *why;
		int code;
	} cases[] = {
	    {"model.json", "\"RepeatVector\"", "\"Dropout\"", "unknown or unsupported layer",
	     -EINVAL},
	    {"model.json", "\"recurrent_activation\":\t\"sigmoid\"",
	     "\"recurrent_activation\":\t\"hard_sigmoid\"", "recurrent_activation", -EINVAL},
	    {"model.json", "\"activation\":\t\"relu\"", "\"activation\":\t\"selu\"", "selu",
	     -EINVAL},
	    {"model.json", "\"shape\":\t[1, 48]", "\"shape\":\t[48, 1]", "shape does not match",
	     -EINVAL},
	    {"model.json", "\"name\":\t\"lstm/bias\"", "\"name\":\t\"lstm/bogus\"",
	     "lstm/bias missing", -EINVAL},
	    {"model.json", "\"dtype\":\t\"float32\"\n\t\t\t\t}",
	     "\"dtype\":\t\"float16\"\n\t\t\t\t}", "float16", -EINVAL},
	    {"model.json", "group1-shard1of1.bin", "../group1-shard1of1.bin", "relative", -EINVAL},
	    {"model.json", "group1-shard1of1.bin", "nothere.bin", "cannot read weight shard",
	     -ENOENT},
	    {"model.json", "\"modelTopology\"", "\"topology\"", "no modelTopology", -EINVAL},
	    {"model.json", "{", "[", "not valid JSON", -EINVAL},
	    {"model.json", "\"return_sequences\":\ttrue", "\"return_sequences\":\tfalse",
	     "return_sequences", -EINVAL},
	    {"model.json", "\"n\":\t16", "\"n\":\t17", "window", -EINVAL},
	    {"detector.json", "\"window\":\t16", "\"window\":\t15", "window", -EINVAL},
	    {"detector.json", "\"instrument\":\t\"*\"", "\"instrument\":\t\"AAPL\"",
	     "scaler groups invalid", -EINVAL},
	    {"detector.json", "\"mode\":\t\"log_rel\"", "\"mode\":\t\"zscore\"", "zscore", -EINVAL},
	};
	for (size_t i = 0; i < TG_ARRAY_SIZE(cases); i++) {
		char name[32];
		snprintf(name, sizeof(name), "bad%zu", i);
		m = write_package(name, dir, sizeof(dir));
		tg_model_destroy(m);
		edit(dir, cases[i].file, cases[i].from, cases[i].to);
		expect_load_error(dir, cases[i].code, cases[i].why);
	}
	/* truncated shard */
	m = write_package("trunc", dir, sizeof(dir));
	snprintf(shard, sizeof(shard), "%s/group1-shard1of1.bin", dir);
	TG_CHECK_EQ_I64(truncate(shard, (off_t)(m->n_params * 4 - 4)), 0);
	expect_load_error(dir, -EINVAL, "weight shards hold");
	/* NaN weight */
	FILE *f = fopen(shard, "r+b");
	TG_CHECK(f != NULL);
	if (f) {
		float nan = NAN;
		TG_CHECK_EQ_I64(fseek(f, 40, SEEK_SET), 0);
		fwrite(&nan, 4, 1, f);
		fseek(f, 0, SEEK_END);
		fwrite(&nan, 4, 1, f); /* restore full length */
		fclose(f);
	}
	expect_load_error(dir, -EDOM, "non-finite");
	tg_model_destroy(m);
	/* shard longer than the manifest */
	m = write_package("long", dir, sizeof(dir));
	snprintf(shard, sizeof(shard), "%s/group1-shard1of1.bin", dir);
	f = fopen(shard, "ab");
	TG_CHECK(f != NULL);
	if (f) {
		float z = 0;
		fwrite(&z, 4, 1, f);
		fclose(f);
	}
	expect_load_error(dir, -EINVAL, "weight shards hold more");
	tg_model_destroy(m);
	/* missing detector / missing directory */
	m = write_package("nodet", dir, sizeof(dir));
	snprintf(shard, sizeof(shard), "%s/detector.json", dir);
	unlink(shard);
	expect_load_error(dir, -ENOENT, "detector.json");
	tg_model_destroy(m);
	expect_load_error("/nonexistent/tickguard", -ENOENT, "model.json");
	/* saving a model with a NaN is refused */
	m = small_model(1);
	m->params[3] = NAN;
	char err[TG_PACKAGE_ERR_LEN] = "";
	snprintf(dir, sizeof(dir), "%s/nan", tmpdir);
	TG_CHECK_EQ_I64(tg_model_save_layers(dir, m, err, sizeof(err)), -EDOM);
	tg_model_destroy(m);
}

static void t_scaler_modes(void)
{
	enum { W = 5 };
	double p[W];
	float y[W];
	struct tg_scaler_fitter *f;
	struct tg_scaler *s;
	/* raw: MinMax over training prices */
	TG_CHECK_EQ_I64(tg_scaler_fitter_create(TG_SCALE_MINMAX_RAW, W, false, &f), 0);
	double tr[] = {10, 11, 12, 13, 14, 15, 16, 17, 18, 20};
	TG_CHECK_EQ_I64(tg_scaler_fitter_add_series(f, NULL, tr, 10), 6);
	TG_CHECK_EQ_I64(tg_scaler_fit_finish(f, &s), 0);
	TG_CHECK_NEAR(tg_scaler_group(s, 0)->min, 10, 0, 0);
	TG_CHECK_NEAR(tg_scaler_group(s, 0)->max, 20, 0, 0);
	for (uint32_t i = 0; i < W; i++)
		p[i] = 15 + i;
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 0, p, y), 0);
	TG_CHECK_NEAR(y[0], 0.5, 1e-7, 0);
	TG_CHECK_NEAR(y[4], 0.9, 1e-7, 0);
	/* drift: the afternoon at twice the price leaves [0,1] in raw mode */
	for (uint32_t i = 0; i < W; i++)
		p[i] = 2 * (15 + i);
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 0, p, y), 0);
	TG_CHECK(y[0] > 1.5f);
	p[2] = -1; /* raw mode accepts any finite price */
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 0, p, y), 0);
	p[2] = NAN;
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 0, p, y), -EDOM);
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 1, p, y), -EINVAL);
	tg_scaler_destroy(s);

	/* log_rel: price level free; the same shape at 2x scales identically */
	TG_CHECK_EQ_I64(tg_scaler_fitter_create(TG_SCALE_LOG_REL, W, false, &f), 0);
	TG_CHECK_EQ_I64(tg_scaler_fitter_add_series(f, NULL, tr, 10), 6);
	tr[3] = -5;
	TG_CHECK_EQ_I64(tg_scaler_fitter_add_window(f, NULL, tr), -EDOM);
	TG_CHECK_EQ_U64(tg_scaler_fitter_rejected(f), 1);
	TG_CHECK_EQ_I64(tg_scaler_fit_finish(f, &s), 0);
	TG_CHECK_NEAR(tg_scaler_group(s, 0)->min, 0, 0, 0);
	TG_CHECK_NEAR(tg_scaler_group(s, 0)->max, log(14.0 / 10), 1e-15, 0);
	float y2[W];
	for (uint32_t i = 0; i < W; i++)
		p[i] = 15 + i;
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 0, p, y), 0);
	for (uint32_t i = 0; i < W; i++)
		p[i] = 1000 * (15 + i);
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 0, p, y2), 0);
	for (uint32_t i = 0; i < W; i++)
		TG_CHECK_NEAR(y2[i], y[i], 1e-6, 0);
	TG_CHECK_NEAR(y[0], 0, 0, 0);
	TG_CHECK_NEAR(y[4], log(19.0 / 15) / log(1.4), 1e-6, 0);
	p[1] = 0;
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 0, p, y), -EDOM);
	TG_CHECK_NEAR(y[0], 0, 0, 0);
	/* absurd prices stay finite */
	p[1] = 1e300;
	p[0] = 1e-300;
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 0, p, y), 0);
	for (uint32_t i = 0; i < W; i++)
		TG_CHECK(isfinite(y[i]));
	tg_scaler_destroy(s);

	/* log_ret */
	TG_CHECK_EQ_I64(tg_scaler_fitter_create(TG_SCALE_LOG_RET, W, false, &f), 0);
	double r[] = {100, 101, 100, 102, 99};
	TG_CHECK_EQ_I64(tg_scaler_fitter_add_window(f, NULL, r), 0);
	TG_CHECK_EQ_I64(tg_scaler_fit_finish(f, &s), 0);
	TG_CHECK_NEAR(tg_scaler_group(s, 0)->min, log(99.0 / 102), 1e-15, 0);
	TG_CHECK_NEAR(tg_scaler_group(s, 0)->max, log(1.02), 1e-15, 0);
	TG_CHECK_EQ_I64(tg_scaler_apply(s, 0, r, y), 0);
	TG_CHECK_NEAR(y[3], 1, 1e-6, 0);
	TG_CHECK_NEAR(y[4], 0, 1e-6, 0);
	tg_scaler_destroy(s);

	/* nothing fitted -> no scaler; the fitter is consumed either way */
	TG_CHECK_EQ_I64(tg_scaler_fitter_create(TG_SCALE_LOG_REL, W, false, &f), 0);
	TG_CHECK_EQ_I64(tg_scaler_fit_finish(f, &s), -ENODATA);
	TG_CHECK(s == NULL);
	TG_CHECK_EQ_I64(tg_scale_mode_parse("log_ret"), TG_SCALE_LOG_RET);
	TG_CHECK_EQ_I64(tg_scale_mode_parse("nope"), -EINVAL);
}

static void t_scaler_groups(void)
{
	struct tg_scaler *s = fit_scaler(TG_SCALE_MINMAX_RAW, 10, true);
	TG_CHECK_EQ_U64(tg_scaler_group_count(s), 3);
	TG_CHECK_EQ_I64(tg_scaler_lookup(s, "AAPL"), 1);
	TG_CHECK_EQ_I64(tg_scaler_lookup(s, "MSFT"), 2);
	TG_CHECK_EQ_I64(tg_scaler_lookup(s, "MSFT    "), 2);
	TG_CHECK_EQ_I64(tg_scaler_lookup(s, "GOOG"), -ENOENT);
	TG_CHECK_EQ_I64(tg_scaler_lookup(s, NULL), 0);
	const struct tg_scaler_group *a = tg_scaler_group(s, 1), *m = tg_scaler_group(s, 2),
	                             *p = tg_scaler_group(s, 0);
	TG_CHECK(a->min > 90 && m->max < 22);
	TG_CHECK_NEAR(p->min, m->min, 0, 0);
	TG_CHECK_NEAR(p->max, a->max, 0, 0);
	TG_CHECK_EQ_U64(p->n_windows, a->n_windows + m->n_windows);
	struct tg_scaler_group g[2] = {{"AAPL", 0, 1, 0}, {"*", 0, 1, 0}};
	struct tg_scaler *s2;
	TG_CHECK_EQ_I64(tg_scaler_from_params(TG_SCALE_LOG_REL, 10, true, g, 2, &s2), -EINVAL);
	g[0].name[0] = '*';
	g[0].name[1] = 0;
	snprintf(g[1].name, sizeof(g[1].name), "X");
	g[1].min = 2; /* min > max */
	TG_CHECK_EQ_I64(tg_scaler_from_params(TG_SCALE_LOG_REL, 10, true, g, 2, &s2), -EINVAL);
	g[1].min = 0;
	TG_CHECK_EQ_I64(tg_scaler_from_params(TG_SCALE_LOG_REL, 10, true, g, 2, &s2), 0);
	tg_scaler_destroy(s2);
	tg_scaler_destroy(s);
}

static void t_calibrate(void)
{
	double s[100];
	struct tg_calib c;
	for (int i = 0; i < 100; i++)
		s[i] = 100 - i; /* 1..100, unsorted */
	TG_CHECK_EQ_I64(tg_calib_compute(s, 100, 99, 10, &c), 0);
	/* numpy.percentile(range(1,101), 99) == 99.01 */
	TG_CHECK_NEAR(c.threshold, 99.01, 1e-12, 0);
	TG_CHECK_NEAR(c.p50, 50.5, 1e-12, 0);
	TG_CHECK_NEAR(c.p90, 90.1, 1e-12, 0);
	TG_CHECK_NEAR(c.min, 1, 0, 0);
	TG_CHECK_NEAR(c.max, 100, 0, 0);
	TG_CHECK_NEAR(c.mean, 50.5, 1e-12, 0);
	TG_CHECK(c.log_bins);
	TG_CHECK_NEAR(tg_calib_bin_edge(&c, 0), 1, 1e-12, 0);
	TG_CHECK_NEAR(tg_calib_bin_edge(&c, 10), 100, 1e-9, 0);
	TG_CHECK_NEAR(tg_calib_bin_edge(&c, 5), 10, 1e-9, 0);
	uint64_t tot = 0, below10 = 0;
	for (int k = 0; k < 10; k++)
		tot += c.bins[k];
	for (int k = 0; k < 5; k++)
		below10 += c.bins[k];
	TG_CHECK_EQ_U64(tot, 100);
	TG_CHECK_EQ_U64(below10, 9); /* 1..9 below the edge at 10 */
	s[5] = NAN;
	TG_CHECK_EQ_I64(tg_calib_compute(s, 100, 95, 10, &c), 0);
	TG_CHECK_NEAR(c.max, DBL_MAX, 0, 0);
	TG_CHECK(isfinite(c.threshold));
	TG_CHECK_EQ_I64(tg_calib_compute(s, 0, 99, 10, &c), -ENODATA);
	TG_CHECK_EQ_I64(tg_calib_compute(s, 10, 0, 10, &c), -EINVAL);
	TG_CHECK_EQ_I64(tg_calib_compute(s, 10, 99, 0, &c), -EINVAL);
	TG_CHECK_EQ_I64(tg_calib_compute(s, 10, 99, TG_CALIB_BINS_MAX + 1, &c), -EINVAL);
	double one = 0;
	TG_CHECK_EQ_I64(tg_calib_compute(&one, 1, 99, 4, &c), 0);
	TG_CHECK_NEAR(c.threshold, 0, 0, 0);
	TG_CHECK_EQ_U64(c.bins[0], 1);
}

/* Fuzz-lite: random byte mutations of a valid package (JSON text and the
 * shard) must never crash the loader (asan/ubsan run this too): each load
 * either succeeds or fails with -errno and a reason. Deterministic seeds,
 * so this is a replayed corpus. */
static void t_mutations(void)
{
	char dir[512], path[1024], err[TG_PACKAGE_ERR_LEN];
	static const char *const files[] = {"model.json", "detector.json", "group1-shard1of1.bin"};
	struct tg_model *m = write_package("fuzz", dir, sizeof(dir));
	char *orig[3];
	size_t len[3];
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		FILE *f = fopen(path, "rb");
		TG_CHECK(f != NULL);
		if (!f)
			return;
		fseek(f, 0, SEEK_END);
		len[i] = (size_t)ftell(f);
		rewind(f);
		orig[i] = malloc(len[i] + 1);
		TG_CHECK_EQ_U64(fread(orig[i], 1, len[i], f), len[i]);
		fclose(f);
	}
	static const char junk[] = "{}[],:\"0123456789-.eE nulltruefalse\xff\x00";
	int iters = (int)(600 * tg_test_scale()) + 20, ok = 0, rejected = 0;
	uint64_t s = 0x9e3779b97f4a7c15ull;
	for (int it = 0; it < iters; it++) {
		int fi = it % 3;
		char *buf = malloc(len[fi] + 1);
		size_t n = len[fi];
		memcpy(buf, orig[fi], n);
		int edits = 1 + it % 4;
		for (int e = 0; e < edits; e++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			size_t pos = (size_t)(s >> 20) % n;
			switch ((s >> 8) % 4) {
			case 0: /* replace a byte with JSON-ish junk */
				buf[pos] = junk[(s >> 40) % (sizeof(junk) - 1)];
				break;
			case 1: /* flip a bit */
				buf[pos] ^= (char)(1 << ((s >> 44) % 8));
				break;
			case 2: /* truncate */
				n = pos + 1;
				break;
			default: /* digit soup: grow numbers */
				buf[pos] = (char)('0' + (s >> 48) % 10);
				break;
			}
		}
		snprintf(path, sizeof(path), "%s/%s", dir, files[fi]);
		spit(path, buf, n);
		free(buf);
		struct tg_model *m2 = NULL;
		struct tg_detector d;
		err[0] = 0;
		int rc = tg_package_load(dir, &m2, &d, err, sizeof(err));
		if (rc == 0) {
			ok++;
			TG_CHECK_EQ_I64(tg_model_check_finite(m2), 0);
			tg_detector_clear(&d);
			tg_model_destroy(m2);
		} else {
			rejected++;
			if (!err[0])
				TG_FAIL("mutation %d of %s: rc %d without a reason", it, files[fi],
				        rc);
			TG_CHECK(m2 == NULL);
		}
		spit(path, orig[fi], len[fi]); /* restore */
	}
	fprintf(stderr, "mutations: %d loaded, %d rejected\n", ok, rejected);
	TG_CHECK(rejected > iters / 4);
	for (int i = 0; i < 3; i++)
		free(orig[i]);
	tg_model_destroy(m);
}

/* A manifest naming weights in an unknown scheme (e.g. a Keras 3 export
 * with model-scoped names) but holding exactly our tensors loads in
 * manifest order; the same with one tensor's shape wrong does not. */
static void t_weights_by_order(void)
{
	char dir[512], path[1024], err[TG_PACKAGE_ERR_LEN] = "";
	struct tg_model *m = write_package("order", dir, sizeof(dir)), *m2 = NULL;
	snprintf(path, sizeof(path), "%s/model.json", dir);
	char *txt = tg_test_slurp(path, NULL);
	TG_CHECK(txt != NULL);
	if (!txt)
		return;
	/* "lstm/..", "lstm_1/..", "time_distributed/.." -> "autoenc/<same>" */
	size_t n = strlen(txt), o = 0;
	char *out = malloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		if (txt[i] == '"' && (strncmp(txt + i + 1, "lstm", 4) == 0 ||
		                      strncmp(txt + i + 1, "time_distributed/", 17) == 0)) {
			size_t k = i + 1;
			while (k < n && txt[k] != '"' && txt[k] != '/')
				k++;
			if (txt[k] == '/') {
				memcpy(out + o, "\"autoenc/", 9);
				o += 9;
				continue;
			}
		}
		out[o++] = txt[i];
	}
	out[o] = 0;
	TG_CHECK(strstr(out, "\"autoenc/lstm_3/recurrent_kernel\"") != NULL);
	spit(path, out, o);
	int rc = tg_model_load_layers(dir, &m2, err, sizeof(err));
	TG_CHECK_EQ_I64(rc, 0);
	if (rc == 0) {
		TG_CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) == 0);
		tg_model_destroy(m2);
	} else {
		TG_FAIL("%s", err);
	}
	edit(dir, "model.json", "\"shape\":\t[6, 24]", "\"shape\":\t[24, 6]");
	TG_CHECK_EQ_I64(tg_model_load_layers(dir, &m2, err, sizeof(err)), -EINVAL);
	TG_CHECK(strstr(err, "shape") != NULL);
	free(out);
	free(txt);
	tg_model_destroy(m);
}

/* Keras 3 names a layer's tensors by position: "<layer>/vars/<index>". */
static void t_keras3_index_names(void)
{
	char dir[512], path[1024], err[TG_PACKAGE_ERR_LEN] = "";
	struct tg_model *m = write_package("k3", dir, sizeof(dir)), *m2 = NULL;
	snprintf(path, sizeof(path), "%s/model.json", dir);
	static const char *const from[] = {"time_distributed/bias\"", "/bias\"",
	                                   "/recurrent_kernel\"", "/kernel\""};
	static const char *const to[] = {"time_distributed/vars/1\"", "/vars/2\"", "/vars/1\"",
	                                 "/vars/0\""};
	for (int k = 0; k < 4; k++) {
		char *txt;
		while ((txt = tg_test_slurp(path, NULL)) && strstr(txt, from[k])) {
			free(txt);
			edit(dir, "model.json", from[k], to[k]);
		}
		free(txt);
	}
	char *txt = tg_test_slurp(path, NULL);
	TG_CHECK(txt && strstr(txt, "\"lstm_3/vars/1\"") &&
	         strstr(txt, "\"time_distributed/vars/0\""));
	free(txt);
	int rc = tg_model_load_layers(dir, &m2, err, sizeof(err));
	TG_CHECK_EQ_I64(rc, 0);
	if (rc == 0) {
		TG_CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) == 0);
		tg_model_destroy(m2);
	} else {
		TG_FAIL("%s", err);
	}
	tg_model_destroy(m);
}

int tg_cmd_model(int argc, char **argv);

/* `tickguard model info|check`: exit 0 on a good package, 1 on a bad one,
 * 2 on bad usage. */
/* Run tg_cmd_model with a space-separated command line. */
static int cmd(const char *line)
{
	char buf[1024], *argv[16];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 15; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	int rc = tg_cmd_model(argc, argv);
	fflush(stdout);
	return rc;
}

static void t_cmd_model(void)
{
	char dir[512], line[1024];
	struct tg_model *m = write_package("cmd", dir, sizeof(dir));
	snprintf(line, sizeof(line), "model info %s", dir);
	TG_CHECK_EQ_I64(cmd(line), 0);
	snprintf(line, sizeof(line), "model check %s --windows 3", dir);
	TG_CHECK_EQ_I64(cmd(line), 0);
	snprintf(line, sizeof(line), "model frobnicate %s", dir);
	TG_CHECK_EQ_I64(cmd(line), 2);
	snprintf(line, sizeof(line), "model check %s --windows 0", dir);
	TG_CHECK_EQ_I64(cmd(line), 2);
	TG_CHECK_EQ_I64(cmd("model info /nonexistent/pkg"), 1);
	TG_CHECK_EQ_I64(cmd("model --help"), 0);
	tg_model_destroy(m);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tg_pkg_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	tg_test_case("roundtrip", t_roundtrip);
	tg_test_case("rejects_bad_packages", t_rejects_bad_packages);
	tg_test_case("scaler_modes", t_scaler_modes);
	tg_test_case("scaler_groups", t_scaler_groups);
	tg_test_case("calibrate", t_calibrate);
	tg_test_case("weights_by_order", t_weights_by_order);
	tg_test_case("keras3_index_names", t_keras3_index_names);
	tg_test_case("mutations", t_mutations);
	tg_test_case("cmd_model", t_cmd_model);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return tg_test_done();
}
