/* test_backtest_core.c - the backtest library: metrics against a case
 * computed by hand, label files (three shapes, and every mismatch refused
 * with a reason), 1 thread vs 2 threads bit-identical (and the broken
 * variant caught), and the HTML report for LOBSTER AAPL checked
 * structurally (a headless browser check only if one is installed). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backtest/backtest.h"
#include "model/calibrate.h"
#include "tests/tg_test.h"

static char tmp[256];

static const char *p(const char *name)
{
	return tg_test_path(tmp, name);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* One instrument X, 40 ticks at ts 1000 * (k + 1), W = 5. */
static void small_input(struct tg_bt_input *in)
{
	memset(in, 0, sizeof(*in));
	in->n = 1;
	in->kind = TG_BT_SERIES;
	in->s = calloc(1, sizeof(*in->s));
	struct tg_bt_series *s = &in->s[0];
	snprintf(s->name, sizeof(s->name), "X");
	s->n = s->cap = 40;
	s->ts_ns = calloc(40, sizeof(uint64_t));
	s->px = calloc(40, sizeof(double));
	s->px_e4 = calloc(40, sizeof(uint32_t));
	for (int k = 0; k < 40; k++) {
		s->ts_ns[k] = 1000u * (unsigned)(k + 1);
		s->px[k] = 100.0;
		s->px_e4[k] = 1000000;
	}
}

/* Hand scores: anomalous (2 > threshold 1) at window ends 10, 11, 20, 30,
 * 31, 32; the rest 0.5. With close after 2 windows below, no cooldown:
 * episodes [10, 13], [20, 22], [30, 34]. */
static void small_result(struct tg_bt_result *res)
{
	memset(res, 0, sizeof(*res));
	res->window = 5;
	res->threshold = 1.0;
	res->n = 1;
	res->inst = calloc(1, sizeof(*res->inst));
	struct tg_bt_inst *bi = &res->inst[0];
	bi->from_tick = 4;
	bi->n_windows = 36;
	bi->w = calloc(36, sizeof(*bi->w));
	for (uint64_t k = 0; k < 36; k++) {
		uint64_t t = 4 + k;
		bool a = t == 10 || t == 11 || t == 20 || t == 30 || t == 31 || t == 32;
		bi->w[k] = (struct tg_bt_window){.last_tick = t,
		                                 .score = a ? 2.0 : 0.5,
		                                 .anomalous = a,
		                                 .status = TG_BT_W_SCORED};
	}
}

static struct tg_episode_config small_episodes(void)
{
	struct tg_episode_config ec;
	tg_episode_config_default(&ec);
	ec.close_below_windows = 2;
	ec.close_below_ns = 0;
	ec.cooldown_windows = 0;
	ec.cooldown_ns = 0;
	ec.update_every_windows = 0;
	return ec;
}

/* Labels spike [8,9] (seen by windows ending 8..13: alert 1 opens at 10,
 * delay 2), level_shift [25,26] (windows 25..30: alert 3 opens at 30,
 * delay 5), frozen [37,38] (no alert). Alert 2 [20,22] matches nothing.
 * precision 2/3, recall 2/3, F1 2/3. */
static void check_small_quality(const struct tg_bt_input *in, const struct tg_bt_result *res,
                                const struct tg_quality_label *lb, size_t nl)
{
	struct tg_bt_quality q;
	TG_CHECK_EQ_I64(tg_bt_quality(in, res, lb, nl, &q), 0);
	TG_CHECK_EQ_U64(q.q.alerts, 3);
	TG_CHECK_EQ_U64(q.q.true_alerts, 2);
	TG_CHECK_EQ_U64(q.q.labels, 3);
	TG_CHECK_EQ_U64(q.q.detected, 2);
	TG_CHECK_NEAR(q.q.precision, 2.0 / 3.0, 1e-12, 0);
	TG_CHECK_NEAR(q.q.recall, 2.0 / 3.0, 1e-12, 0);
	TG_CHECK_NEAR(q.f1, 2.0 / 3.0, 1e-12, 0);
	TG_CHECK_EQ_U64(q.q.kind[1].detected, 1); /* spike */
	TG_CHECK_NEAR(q.q.kind[1].delay_mean, 2.0, 1e-12, 0);
	TG_CHECK_EQ_U64(q.q.kind[2].detected, 1); /* level_shift */
	TG_CHECK_NEAR(q.q.kind[2].delay_mean, 5.0, 1e-12, 0);
	TG_CHECK_EQ_U64(q.q.kind[4].labels, 1); /* frozen */
	TG_CHECK_EQ_U64(q.q.kind[4].detected, 0);
	TG_CHECK_EQ_U64(q.labels_outside, 0);
}

static void t_metrics(void)
{
	struct tg_bt_input in;
	struct tg_bt_result res;
	small_input(&in);
	small_result(&res);
	struct tg_episode_config ec = small_episodes();
	TG_CHECK_EQ_I64(tg_bt_episodes(&in, &res, &ec), 0);
	struct tg_bt_inst *bi = &res.inst[0];
	TG_CHECK_EQ_U64(res.ep.opened, 3);
	TG_CHECK_EQ_U64(res.ep.closed, 3);
	/* alert id per window: the open episode's, 0 outside */
	TG_CHECK_EQ_U64(bi->w[10 - 4].alert_id, 1);
	TG_CHECK_EQ_U64(bi->w[13 - 4].alert_id, 1);
	TG_CHECK_EQ_U64(bi->w[14 - 4].alert_id, 0);
	TG_CHECK_EQ_U64(bi->w[21 - 4].alert_id, 2);
	TG_CHECK_EQ_U64(bi->w[34 - 4].alert_id, 3);
	TG_CHECK_EQ_U64(bi->w[9 - 4].alert_id, 0);
	TG_CHECK_EQ_U64(bi->n_alerts, 6);
	if (bi->n_alerts == 6) {
		TG_CHECK_EQ_U64(bi->alerts[1].event, TG_ALERT_CLOSE);
		TG_CHECK_EQ_U64(bi->alerts[1].last_seq, 13);
		TG_CHECK_EQ_U64(bi->alerts[5].last_seq, 34);
	}
	/* normalised score */
	TG_CHECK_NEAR(tg_bt_norm(1.0, 1.0), 0.5, 0, 0);
	TG_CHECK(tg_bt_norm(2.0, 1.0) > tg_bt_norm(1.5, 1.0));
	TG_CHECK(tg_bt_norm(0.0, 1.0) == 0.0 && tg_bt_norm(1e308, 1.0) == 1.0);

	struct tg_quality_label lb[3] = {{0, 1, 8, 9}, {0, 2, 25, 26}, {0, 4, 37, 38}};
	check_small_quality(&in, &res, lb, 3);

	/* the same truth in the three file shapes */
	struct tg_quality_label *got;
	size_t n;
	char err[256];
	put(p("l_ticks.csv"), "symbol,first_tick,last_tick,kind,first_ts_ns,last_ts_ns\n"
	                      "X,8,9,spike,9000,10000\nX,25,26,level_shift,26000,27000\n"
	                      "X,37,38,frozen,38000,39000\n");
	TG_CHECK_EQ_I64(tg_bt_labels_read(p("l_ticks.csv"), &in, &got, &n, err, sizeof(err)), 0);
	TG_CHECK_EQ_U64(n, 3);
	if (n == 3)
		check_small_quality(&in, &res, got, n);
	free(got);
	put(p("l_ranges.csv"), "start,end,kind\n9000,10000,spike\n25500,27000,level_shift\n"
	                       "38000,39000,frozen\n");
	TG_CHECK_EQ_I64(tg_bt_labels_read(p("l_ranges.csv"), &in, &got, &n, err, sizeof(err)), 0);
	TG_CHECK_EQ_U64(n, 3);
	if (n == 3) {
		TG_CHECK_EQ_U64(got[1].first_tick, 25);
		check_small_quality(&in, &res, got, n);
	}
	free(got);
	/* points: runs merge into one label each (kind unspecified) */
	FILE *f = fopen(p("l_points.csv"), "w");
	fputs("timestamp,is_anomaly\n", f);
	for (int k = 0; k < 40; k++)
		fprintf(f, "%d,%d\n", 1000 * (k + 1),
		        (k == 8 || k == 9 || k == 25 || k == 26 || k == 37 || k == 38));
	fclose(f);
	TG_CHECK_EQ_I64(tg_bt_labels_read(p("l_points.csv"), &in, &got, &n, err, sizeof(err)), 0);
	TG_CHECK_EQ_U64(n, 3);
	if (n == 3) {
		TG_CHECK_EQ_U64(got[0].first_tick, 8);
		TG_CHECK_EQ_U64(got[0].last_tick, 9);
		TG_CHECK_EQ_U64(got[2].kind, 7);
		struct tg_bt_quality q;
		TG_CHECK_EQ_I64(tg_bt_quality(&in, &res, got, n, &q), 0);
		TG_CHECK_NEAR(q.f1, 2.0 / 3.0, 1e-12, 0);
		TG_CHECK_EQ_U64(q.q.kind[7].detected, 2);
		TG_CHECK_NEAR(q.q.kind[7].delay_mean, 3.5, 1e-12, 0);
	}
	free(got);
	tg_bt_result_free(&res);
	tg_bt_input_free(&in);
}

static void bad_labels(const struct tg_bt_input *in, const char *text, const char *want)
{
	struct tg_quality_label *got = NULL;
	size_t n = 0;
	char err[256] = "";
	put(p("bad.csv"), text);
	int rc = tg_bt_labels_read(p("bad.csv"), in, &got, &n, err, sizeof(err));
	TG_CHECK(rc < 0);
	if (!strstr(err, want))
		TG_FAIL("labels error \"%s\" does not say \"%s\"", err, want);
	TG_CHECK(got == NULL);
}

static void t_bad_labels(void)
{
	struct tg_bt_input in;
	small_input(&in);
	bad_labels(&in, "a,b,c\n1,2,3\n", "unknown header");
	bad_labels(&in, "", "empty");
	bad_labels(&in, "symbol,first_tick,last_tick,kind\nZZZ,1,2,spike\n",
	           ":2: symbol 'ZZZ' is not in the input");
	bad_labels(&in, "symbol,first_tick,last_tick,kind\nX,1,400,spike\n", "tick beyond");
	bad_labels(&in, "symbol,first_tick,last_tick,kind\nX,5,2,spike\n", "first tick after");
	bad_labels(&in, "symbol,first_tick,last_tick,kind\nX,1,2,meteor\n", "unknown anomaly kind");
	bad_labels(&in, "symbol,first_tick,last_tick,kind\nX,1\n", "2 fields, expected 4");
	bad_labels(&in, "timestamp,label\n1000,0\n1500,1\n", ":3: timestamp is not in the input");
	bad_labels(&in, "timestamp,label\n1000,yes\n", "label must be 0 or 1");
	bad_labels(&in, "start,end\n5000,4000\n", "end before start");
	bad_labels(&in, "start,end\n50000,60000\n", "no tick of the input lies in the range");
	bad_labels(&in, "start,end\nnoon,1000\n", "bad timestamp");
	struct tg_quality_label *got;
	size_t n;
	char err[256];
	TG_CHECK_EQ_I64(tg_bt_labels_read(p("missing.csv"), &in, &got, &n, err, sizeof(err)),
	                -ENOENT);
	/* a file without a symbol column needs a one-instrument input */
	struct tg_bt_input two;
	small_input(&two);
	two.s = realloc(two.s, 2 * sizeof(*two.s));
	two.s[1] = two.s[0];
	two.s[1].ts_ns = NULL, two.s[1].px = NULL, two.s[1].px_e4 = NULL;
	snprintf(two.s[1].name, sizeof(two.s[1].name), "Y");
	two.n = 2;
	bad_labels(&two, "start,end\n1000,2000\n", "no symbol column but the input has 2");
	tg_bt_input_free(&two);
	tg_bt_input_free(&in);
}

/* A small random model and a scaler fitted on each instrument's first
 * quarter: determinism does not need a trained model. */
static void make_model(const struct tg_bt_input *in, uint32_t W, struct tg_model **m,
                       struct tg_scaler **sc)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	cfg.window = W;
	cfg.n_enc = cfg.n_dec = 1;
	cfg.enc_units[0] = 12;
	cfg.dec_units[0] = 12;
	*m = NULL;
	*sc = NULL;
	if (tg_model_create(&cfg, m) < 0)
		return;
	tg_model_init(*m, 7);
	struct tg_scaler_fitter *f;
	tg_scaler_fitter_create(TG_SCALE_LOG_REL, W, false, &f);
	for (uint32_t i = 0; i < in->n; i++)
		tg_scaler_fitter_add_series(f, in->s[i].name, in->s[i].px, in->s[i].n / 4);
	tg_scaler_fit_finish(f, sc);
}

static bool same_results(const struct tg_bt_result *a, const struct tg_bt_result *b)
{
	if (a->n != b->n || a->scored != b->scored || a->ep.opened != b->ep.opened)
		return false;
	for (uint32_t i = 0; i < a->n; i++) {
		const struct tg_bt_inst *x = &a->inst[i], *y = &b->inst[i];
		if (x->n_windows != y->n_windows || x->n_alerts != y->n_alerts)
			return false;
		for (uint64_t k = 0; k < x->n_windows; k++)
			if (memcmp(&x->w[k].score, &y->w[k].score, sizeof(double)) ||
			    x->w[k].alert_id != y->w[k].alert_id ||
			    x->w[k].anomalous != y->w[k].anomalous ||
			    x->w[k].status != y->w[k].status)
				return false;
		if (x->n_alerts && memcmp(x->alerts, y->alerts, x->n_alerts * sizeof(*x->alerts)))
			return false;
	}
	return true;
}

static void t_threads(void)
{
	struct tg_bt_load_opts lo = {.format = "synthetic",
	                             .synth_seed = 11,
	                             .synth_instruments = 4,
	                             .synth_trades = (uint64_t)(4000 * tg_test_scale()) + 800};
	struct tg_bt_input in;
	char err[256];
	TG_CHECK_EQ_I64(tg_bt_input_load(NULL, &lo, &in, err, sizeof(err)), 0);
	if (in.n != 4)
		return;
	struct tg_model *m;
	struct tg_scaler *sc;
	make_model(&in, 20, &m, &sc);
	TG_CHECK(m && sc);
	uint64_t from[4];
	for (int i = 0; i < 4; i++)
		from[i] = in.s[i].n / 4;
	struct tg_bt_config c;
	tg_bt_config_default(&c);
	c.batch = 16;
	c.threads = 1;
	/* threshold: the 97th percentile of the scores, so there are episodes */
	struct tg_bt_result r1, r2, rb;
	TG_CHECK_EQ_I64(tg_bt_run(&in, from, m, sc, INFINITY, &c, &r1, err, sizeof(err)), 0);
	double *s = malloc(r1.scored * sizeof(double));
	size_t ns = 0;
	for (uint32_t i = 0; i < r1.n; i++)
		for (uint64_t k = 0; k < r1.inst[i].n_windows; k++)
			if (r1.inst[i].w[k].status == TG_BT_W_SCORED)
				s[ns++] = r1.inst[i].w[k].score;
	struct tg_calib cal;
	TG_CHECK_EQ_I64(tg_calib_compute(s, ns, 97.0, 10, &cal), 0);
	free(s);
	tg_bt_result_free(&r1);
	TG_CHECK_EQ_I64(tg_bt_run(&in, from, m, sc, cal.threshold, &c, &r1, err, sizeof(err)), 0);
	c.threads = 2;
	TG_CHECK_EQ_I64(tg_bt_run(&in, from, m, sc, cal.threshold, &c, &r2, err, sizeof(err)), 0);
	TG_CHECK(r1.ep.opened >= 4);
	TG_CHECK_EQ_U64(r2.threads, 2);
	TG_CHECK(same_results(&r1, &r2));
	/* the deliberately broken variant (per-thread chunking and alert ids)
	 * must be told apart */
	c.broken_chunking = true;
	TG_CHECK_EQ_I64(tg_bt_run(&in, from, m, sc, cal.threshold, &c, &rb, err, sizeof(err)), 0);
	TG_CHECK(!same_results(&r1, &rb));
	tg_bt_result_free(&r1);
	tg_bt_result_free(&r2);
	tg_bt_result_free(&rb);
	tg_model_destroy(m);
	tg_scaler_destroy(sc);
	tg_bt_input_free(&in);
}

/* Well-formedness of our HTML as XML: every tag closed in order, quoted
 * attributes, one root. Returns NULL or the problem. */
static const char *check_xml(const char *s)
{
	static char why[128];
	char stack[64][32];
	int depth = 0, roots = 0;
	while (*s) {
		if (*s != '<') {
			if (*s == '&' && !strchr(s, ';'))
				return "bare &";
			s++;
			continue;
		}
		if (strncmp(s, "<!DOCTYPE", 9) == 0) {
			s = strchr(s, '>');
			if (!s)
				return "open DOCTYPE";
			s++;
			continue;
		}
		bool close = s[1] == '/';
		const char *nm = s + 1 + close;
		size_t L = strcspn(nm, " \t\n/>");
		if (L == 0 || L >= 32)
			return "bad tag name";
		const char *q = nm + L;
		bool inq = false;
		while (*q && (inq || *q != '>')) {
			if (*q == '"')
				inq = !inq;
			q++;
		}
		if (!*q)
			return "unterminated tag";
		bool self = q[-1] == '/';
		if (close) {
			if (!depth || strlen(stack[depth - 1]) != L ||
			    strncmp(stack[depth - 1], nm, L)) {
				snprintf(why, sizeof(why), "mismatched </%.*s>", (int)L, nm);
				return why;
			}
			depth--;
		} else if (!self) {
			if (depth == 0)
				roots++;
			if (depth == 64)
				return "too deep";
			memcpy(stack[depth], nm, L);
			stack[depth++][L] = 0;
		}
		s = q + 1;
	}
	if (depth)
		return "unclosed element";
	return roots == 1 ? NULL : "not one root element";
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *q = s; (q = strstr(q, needle)); q++)
		n++;
	return n;
}

static char html_path[512];

static void t_html_aapl(void)
{
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/lobster/AAPL_2012-06-21_34200000_57600000_message_1.csv",
	         tg_test_data_dir());
	if (access(path, R_OK) != 0)
		TG_SKIP("%s missing", path);
	struct tg_bt_input in;
	struct tg_bt_load_opts lo = {.format = "auto"};
	TG_CHECK_EQ_I64(tg_bt_input_load(path, &lo, &in, err, sizeof(err)), 0);
	TG_CHECK_EQ_U64(in.n, 1);
	if (in.n != 1)
		return;
	TG_CHECK_STR(in.s[0].name, "AAPL");
	TG_CHECK_EQ_U64(in.s[0].n, 34990); /* trades of the day (model/README.md) */
	/* train-then-score with a tiny model: the real path end to end */
	struct tg_bt_train_opts to;
	tg_bt_train_opts_default(&to);
	to.mcfg.window = 30;
	to.mcfg.n_enc = to.mcfg.n_dec = 1;
	to.mcfg.enc_units[0] = to.mcfg.dec_units[0] = 8;
	to.epochs = 1;
	to.stride = tg_test_scale() < 1 ? 200 : 20;
	uint64_t tr = in.s[0].n / 2, ca = in.s[0].n * 7 / 10, from = ca + 29;
	struct tg_model *m = NULL;
	struct tg_scaler *sc = NULL;
	double thr = 0;
	struct tg_calib cal;
	TG_CHECK_EQ_I64(tg_bt_train(&in, &tr, &ca, &to, &m, &sc, &thr, &cal, err, sizeof(err)), 0);
	if (!m) {
		TG_FAIL("train: %s", err);
		tg_bt_input_free(&in);
		return;
	}
	TG_CHECK(thr > 0 && isfinite(thr));
	struct tg_bt_config c;
	tg_bt_config_default(&c);
	c.threads = 2;
	struct tg_bt_result res;
	TG_CHECK_EQ_I64(tg_bt_run(&in, &from, m, sc, thr, &c, &res, err, sizeof(err)), 0);
	TG_CHECK_EQ_U64(res.inst[0].n_windows, in.s[0].n - from);
	TG_CHECK_EQ_U64(res.inst[0].w[0].last_tick, from);
	snprintf(html_path, sizeof(html_path), "%s", p("report_AAPL.html"));
	TG_CHECK_EQ_I64(tg_bt_write_html(html_path, &in, &res, 0, NULL), 0);
	TG_CHECK_EQ_I64(tg_bt_write_csv(p("w.csv"), &in, &res), 0);
	size_t n;
	char *h = tg_test_slurp(html_path, &n);
	TG_CHECK(h != NULL);
	if (h) {
		const char *why = check_xml(h);
		if (why)
			TG_FAIL("report is not well-formed: %s", why);
		TG_CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0);
		TG_CHECK(strstr(h, "<title>tickguard backtest: AAPL</title>"));
		TG_CHECK_EQ_U64(count(h, "<svg "), 3);
		TG_CHECK(strstr(h, "<svg id=\"price\""));
		TG_CHECK(strstr(h, "<svg id=\"score\""));
		TG_CHECK(strstr(h, "<svg id=\"histogram\""));
		TG_CHECK_EQ_U64(count(h, "class=\"series\""), 2);
		TG_CHECK_EQ_U64(count(h, "class=\"threshold\""), 2);
		TG_CHECK_EQ_U64(count(h, "class=\"bin\""), 50);
		TG_CHECK_EQ_U64(count(h, "http"), count(h, "http://www.w3.org/2000/svg"));
		TG_CHECK(!strstr(h, "<script") && !strstr(h, "src=") && !strstr(h, "href="));
		TG_CHECK(n < 2000000);
	}
	free(h);
	char *csv = tg_test_slurp(p("w.csv"), &n);
	const char *head = "instrument,last_tick,ts_ns,price,score,threshold,anomalous,alert_id,"
	                   "norm_score\nAAPL,";
	TG_CHECK(csv && strncmp(csv, head, strlen(head)) == 0);
	TG_CHECK_EQ_U64(csv ? count(csv, "\n") : 0, res.inst[0].n_windows + 1);
	free(csv);
	tg_bt_result_free(&res);
	tg_model_destroy(m);
	tg_scaler_destroy(sc);
	tg_bt_input_free(&in);
}

static void t_browser(void)
{
	const char *cands[] = {"chromium", "chromium-browser", "google-chrome", NULL};
	const char *b = NULL;
	char cmd[1024];
	for (int i = 0; cands[i] && !b; i++) {
		snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", cands[i]);
		if (system(cmd) == 0)
			b = cands[i];
	}
	if (!b)
		TG_SKIP("no headless browser installed (structural check done)");
	if (!html_path[0] || access(html_path, R_OK) != 0)
		TG_SKIP("no report to open");
	snprintf(cmd, sizeof(cmd),
	         "%s --headless --no-sandbox --disable-gpu --dump-dom file://%s > %s 2>/dev/null",
	         b, html_path, p("dom.txt"));
	TG_CHECK_EQ_I64(system(cmd), 0);
	size_t n;
	char *d = tg_test_slurp(p("dom.txt"), &n);
	TG_CHECK(d && strstr(d, "histogram") && count(d, "<svg") == 3);
	free(d);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/tg_test_backtest_%d", (int)getpid());
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", tmp);
	if (system(cmd) != 0)
		return 1;
	tg_test_case("metrics", t_metrics);
	tg_test_case("bad_labels", t_bad_labels);
	tg_test_case("threads", t_threads);
	tg_test_case("html_aapl", t_html_aapl);
	tg_test_case("browser", t_browser);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (!getenv("TG_KEEP_TMP") && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return tg_test_done();
}
