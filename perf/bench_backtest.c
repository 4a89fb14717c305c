/* bench_backtest.c - windows scored per second per core by `tickguard
 * backtest` on one LOBSTER day (AAPL, AMZN, GOOG 2012-06-21, every window of
 * 60 trades, stride 1), through the whole backtest path (scaling, local
 * reconstruction backend, episodes), for 1 and 2 threads and two model
 * sizes. Weights are a seeded random init: inference cost does not depend
 * on their values. Table on stdout, $TG_BENCH_DIR/bench_backtest.json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/backtest.h"

struct row {
	const char *name;
	uint32_t u1, u2, threads;
	uint64_t windows;
	double wall_s, cpu_s;
};

int main(void)
{
	const char *dd = getenv("TG_DATA_DIR");
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/lobster", dd && *dd ? dd : "../shared/data");
	struct tg_bt_load_opts lo = {.format = "lobster"};
	struct tg_bt_input in;
	if (tg_bt_input_load(path, &lo, &in, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_backtest: %s (skipped)\n", err);
		return 0;
	}
	uint64_t trades = 0;
	for (uint32_t i = 0; i < in.n; i++)
		trades += in.s[i].n;
	struct row rows[] = {
	    {"reference", 128, 64, 1, 0, 0, 0},
	    {"reference", 128, 64, 2, 0, 0, 0},
	    {"small", 32, 16, 1, 0, 0, 0},
	    {"small", 32, 16, 2, 0, 0, 0},
	};
	const uint32_t W = 60;
	struct tg_scaler_fitter *f;
	struct tg_scaler *sc = NULL;
	if (tg_scaler_fitter_create(TG_SCALE_LOG_REL, W, false, &f) < 0)
		return 1;
	for (uint32_t i = 0; i < in.n; i++)
		tg_scaler_fitter_add_series(f, in.s[i].name, in.s[i].px, in.s[i].n / 2);
	if (tg_scaler_fit_finish(f, &sc) < 0)
		return 1;
	printf("backtest, one LOBSTER day (%u instruments, %llu trades), window %u, batch 32\n",
	       in.n, (unsigned long long)trades, W);
	printf("%-10s %-7s %7s %9s %8s %12s %16s %14s\n", "model", "units", "threads", "windows",
	       "wall_s", "windows/s", "windows/s/core", "windows/cpu_s");
	for (size_t r = 0; r < sizeof(rows) / sizeof(*rows); r++) {
		struct tg_model_config cfg;
		tg_model_config_default(&cfg);
		cfg.enc_units[0] = cfg.dec_units[1] = rows[r].u1;
		cfg.enc_units[1] = cfg.dec_units[0] = rows[r].u2;
		struct tg_model *m;
		if (tg_model_create(&cfg, &m) < 0)
			return 1;
		tg_model_init(m, 1);
		struct tg_bt_config c;
		tg_bt_config_default(&c);
		c.threads = rows[r].threads;
		struct tg_bt_result res;
		if (tg_bt_run(&in, NULL, m, sc, 1e-3, &c, &res, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_backtest: %s\n", err);
			return 1;
		}
		rows[r].windows = res.scored;
		rows[r].wall_s = res.seconds;
		rows[r].cpu_s = res.cpu_seconds;
		struct row *x = &rows[r];
		printf("%-10s %3u/%-3u %7u %9llu %8.2f %12.0f %16.0f %14.0f\n", x->name, x->u1,
		       x->u2, x->threads, (unsigned long long)x->windows, x->wall_s,
		       (double)x->windows / x->wall_s, (double)x->windows / x->wall_s / x->threads,
		       (double)x->windows / x->cpu_s);
		fflush(stdout);
		tg_bt_result_free(&res);
		tg_model_destroy(m);
	}
	const char *dir = getenv("TG_BENCH_DIR");
	if (dir) {
		char jp[512];
		snprintf(jp, sizeof(jp), "%s/bench_backtest.json", dir);
		FILE *j = fopen(jp, "w");
		if (j) {
			fprintf(j,
			        "{\"bench\": \"backtest\", \"data\": \"%s\", \"trades\": %llu, "
			        "\"window\": %u, \"batch\": 32, \"rows\": [",
			        path, (unsigned long long)trades, W);
			for (size_t r = 0; r < sizeof(rows) / sizeof(*rows); r++) {
				struct row *x = &rows[r];
				fprintf(
				    j,
				    "%s\n {\"model\": \"%s\", \"units\": [%u, %u, %u, %u], "
				    "\"threads\": %u, \"windows\": %llu, \"wall_s\": %.3f, "
				    "\"windows_per_s\": %.1f, \"windows_per_s_per_core\": %.1f, "
				    "\"windows_per_cpu_s\": %.1f}",
				    r ? "," : "", x->name, x->u1, x->u2, x->u2, x->u1, x->threads,
				    (unsigned long long)x->windows, x->wall_s,
				    (double)x->windows / x->wall_s,
				    (double)x->windows / x->wall_s / x->threads,
				    (double)x->windows / x->cpu_s);
			}
			fprintf(j, "\n]}\n");
			fclose(j);
		}
	}
	tg_scaler_destroy(sc);
	tg_bt_input_free(&in);
	return 0;
}
