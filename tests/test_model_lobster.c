/* test_model_lobster.c - the preprocessing modes on a real day (LOBSTER
 * 2012-06-21, trades = executions, types 4 and 5): fit on the morning only,
 * scale the afternoon. The literal MinMax on raw prices pushes afternoon
 * windows outside the training range as the price level drifts; the default
 * window-relative log mode keeps them inside. Prints the fractions (they go
 * in the model README). Skips when ../shared/data is absent.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/preprocess.h"
#include "tests/tg_test.h"

#define WINDOW     60
#define NOON_SPLIT 45900.0 /* 12:45:00 New York: half of the 09:30-16:00 session */

struct series {
	double *price, *time_s;
	size_t n;
};

static int load_trades(const char *sym, struct series *s)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/lobster/%s_2012-06-21_34200000_57600000_message_1.csv",
	         tg_test_data_dir(), sym);
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	size_t cap = 1 << 16;
	s->n = 0;
	s->price = malloc(cap * sizeof(double));
	s->time_s = malloc(cap * sizeof(double));
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		double t;
		int type, dir;
		long long id, size, price;
		if (sscanf(line, "%lf,%d,%lld,%lld,%lld,%d", &t, &type, &id, &size, &price, &dir) !=
		    6)
			continue;
		if (type != 4 && type != 5)
			continue;
		if (s->n == cap) {
			cap *= 2;
			s->price = realloc(s->price, cap * sizeof(double));
			s->time_s = realloc(s->time_s, cap * sizeof(double));
		}
		s->price[s->n] = (double)price / 10000.0;
		s->time_s[s->n++] = t;
	}
	fclose(f);
	return 0;
}

/* Fraction of scaled afternoon values outside [0, 1] (with a 5 % margin). */
static double outside_fraction(enum tg_scale_mode mode, const struct series *s, size_t split,
                               double *worst)
{
	struct tg_scaler_fitter *f;
	struct tg_scaler *sc;
	TG_CHECK_EQ_I64(tg_scaler_fitter_create(mode, WINDOW, false, &f), 0);
	long n = tg_scaler_fitter_add_series(f, NULL, s->price, split);
	TG_CHECK(n > 1000);
	TG_CHECK_EQ_I64(tg_scaler_fit_finish(f, &sc), 0);
	uint64_t out = 0, tot = 0;
	float y[WINDOW];
	*worst = 0;
	for (size_t i = split; i + WINDOW <= s->n; i++) {
		TG_CHECK_EQ_I64(tg_scaler_apply(sc, 0, s->price + i, y), 0);
		for (int t = 0; t < WINDOW; t++) {
			double v = y[t], d = v < 0 ? -v : v > 1 ? v - 1 : 0;
			out += d > 0.05;
			tot++;
			if (d > *worst)
				*worst = d;
		}
	}
	tg_scaler_destroy(sc);
	return tot ? (double)out / (double)tot : 0;
}

static void t_drift(void)
{
	static const char *const syms[] = {"AAPL", "AMZN", "GOOG"};
	for (int k = 0; k < 3; k++) {
		struct series s;
		int rc = load_trades(syms[k], &s);
		if (rc < 0)
			TG_SKIP("LOBSTER data not found under %s", tg_test_data_dir());
		size_t split = 0;
		while (split < s.n && s.time_s[split] < NOON_SPLIT)
			split++;
		TG_CHECK(split > 1000 && s.n - split > 1000);
		double w_raw, w_rel, w_ret;
		double raw = outside_fraction(TG_SCALE_MINMAX_RAW, &s, split, &w_raw);
		double rel = outside_fraction(TG_SCALE_LOG_REL, &s, split, &w_rel);
		double ret = outside_fraction(TG_SCALE_LOG_RET, &s, split, &w_ret);
		printf(
		    "%s: %zu trades (%zu morning); afternoon values outside training range: "
		    "minmax_raw %.2f%% (worst %.2f), log_rel %.3f%% (worst %.2f), log_ret %.3f%% "
		    "(worst %.2f)\n",
		    syms[k], s.n, split, 100 * raw, w_raw, 100 * rel, w_rel, 100 * ret, w_ret);
		/* The default mode is level-free: far fewer excursions than raw
		 * prices whenever the level drifted. */
		if (raw > 0.01)
			TG_CHECK(rel < raw / 10);
		TG_CHECK(rel < 0.01);
		free(s.price);
		free(s.time_s);
	}
}

int main(void)
{
	tg_test_case("drift", t_drift);
	return tg_test_done();
}
