/* bench_train.c - training time per epoch on one LOBSTER day (AAPL, AMZN,
 * GOOG 2012-06-21, every trade, windows of 60 at stride 1, log_rel scaler
 * per instrument): the small model `tickguard train` is run with in the
 * README measurement (32/16 units) for a full epoch on 1 and 2 threads, and
 * the reference design (128/64) over a slice of the epoch, extrapolated.
 * GFLOP/s counts a training step as 3x the naive forward count
 * (tg_model_config_flops). The machine is shared, so the table also shows
 * CPU time over wall time and windows per CPU-second (load-independent). Prints a table, writes
 * $TG_BENCH_DIR/bench_train.json.
 *   bench_train [--quick]   (--quick: slices instead of full epochs)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tg_common.h"
#include "feedsim/source.h"
#include "model/model.h"
#include "model/preprocess.h"
#include "model/train.h"
#include "model/train_data.h"

struct row {
	const char *name;
	uint32_t u1, u2, threads;
	size_t params;
	uint64_t windows_run, epoch_windows;
	double wall_s, cpu_s, s_per_epoch, windows_per_s, gflops, windows_per_cpu_s;
	bool extrapolated;
};

static double cpu_now(void)
{
	return (double)tg_clock_ns(CLOCK_PROCESS_CPUTIME_ID) / 1e9;
}

static int run(struct row *r, const struct tg_winlazy *ws, uint64_t steps)
{
	struct tg_model_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.window = 60;
	cfg.features = 1;
	cfg.n_enc = cfg.n_dec = 2;
	cfg.enc_units[0] = cfg.dec_units[1] = r->u1;
	cfg.enc_units[1] = cfg.dec_units[0] = r->u2;
	cfg.act = TG_ACT_RELU;
	struct tg_train_params p;
	tg_train_params_default(&p);
	p.epochs = 1;
	p.threads = r->threads;
	p.patience = 0;
	uint64_t spe = (ws->n + p.batch - 1) / p.batch;
	if (steps && steps < spe)
		p.stop_after = steps;
	struct tg_train_data d = tg_winlazy_data(ws),
	                     none = {.values = NULL, .fetch = tg_winlazy_fetch};
	struct tg_trainer *t;
	char err[128];
	int rc = tg_trainer_create(&cfg, &p, &d, &none, &t, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "bench_train: %s\n", err);
		return rc;
	}
	struct tg_train_report rep;
	double c0 = cpu_now();
	uint64_t w0 = tg_monotonic_ns();
	rc = tg_trainer_run(t, &rep);
	r->wall_s = (double)(tg_monotonic_ns() - w0) / 1e9;
	r->cpu_s = cpu_now() - c0;
	r->params = tg_trainer_param_count(t);
	tg_trainer_destroy(t);
	if (rc < 0 && rc != -EINTR)
		return rc;
	r->windows_run = rep.steps * p.batch < ws->n ? rep.steps * p.batch : ws->n;
	r->epoch_windows = ws->n;
	r->extrapolated = r->windows_run < ws->n;
	r->windows_per_s = (double)r->windows_run / r->wall_s;
	r->windows_per_cpu_s = (double)r->windows_run / r->cpu_s;
	r->s_per_epoch = (double)ws->n / r->windows_per_s;
	r->gflops = r->windows_per_s * 3.0 * tg_model_config_flops(&cfg) / 1e9;
	return 0;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && !strcmp(argv[1], "--quick");
	const char *dd = getenv("TG_DATA_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/lobster", dd && *dd ? dd : "../shared/data");
	struct tg_source *src;
	int rc = tg_source_open_path(path, &src);
	if (rc < 0) {
		fprintf(stderr, "bench_train: cannot open %s: %s (skipped)\n", path, strerror(-rc));
		return 77;
	}
	uint32_t ni = tg_source_instruments(src);
	uint64_t n;
	const struct tg_trade *tr = tg_source_trade_array(src, &n);
	double **px = calloc(ni, sizeof(*px));
	size_t *len = calloc(ni, sizeof(*len));
	for (uint32_t i = 0; i < ni; i++)
		px[i] = malloc((tg_source_instrument_trades(src, i) + 1) * sizeof(double));
	for (uint64_t k = 0; k < n; k++)
		px[tr[k].instrument][len[tr[k].instrument]++] = tr[k].price_e4 / 1e4;
	struct tg_scaler_fitter *f;
	struct tg_scaler *sc;
	tg_scaler_fitter_create(TG_SCALE_LOG_REL, 60, true, &f);
	for (uint32_t i = 0; i < ni; i++)
		tg_train_fit_windows(f, 60, tg_source_symbol(src, i), px[i], 0, len[i], 1, NULL);
	if (tg_scaler_fit_finish(f, &sc) < 0) {
		fprintf(stderr, "bench_train: no windows\n");
		return 1;
	}
	struct tg_winlazy ws; /* windows made on demand, as `tickguard train` does */
	tg_winlazy_init(&ws, 60, sc);
	for (uint32_t i = 0; i < ni; i++) {
		int g = tg_scaler_lookup(sc, tg_source_symbol(src, i));
		tg_winlazy_add(&ws, g < 0 ? 0 : (uint32_t)g, i, px[i], 0, len[i], 1, NULL);
	}
	struct row rows[] = {
	    {.name = "small", .u1 = 32, .u2 = 16, .threads = 2},
	    {.name = "small", .u1 = 32, .u2 = 16, .threads = 1},
	    {.name = "reference", .u1 = 128, .u2 = 64, .threads = 2},
	};
	uint64_t steps[] = {quick ? 200 : 0, quick ? 100 : 0, quick ? 16 : 64};
	printf("training, one LOBSTER day (%u instruments, %llu trades, %llu windows of 60), "
	       "batch 32, relu, Adam\n",
	       ni, (unsigned long long)n, (unsigned long long)ws.n);
	printf("%-10s %-9s %8s %7s %10s %10s %8s %9s %12s %s\n", "model", "units", "params",
	       "threads", "s/epoch", "windows/s", "GFLOP/s", "cpu/wall", "win/cpu-s", "");
	for (size_t i = 0; i < TG_ARRAY_SIZE(rows); i++) {
		struct row *r = &rows[i];
		if (run(r, &ws, steps[i]) < 0)
			return 1;
		char units[24];
		snprintf(units, sizeof(units), "%u/%u", r->u1, r->u2);
		printf("%-10s %-9s %8zu %7u %10.1f %10.0f %8.2f %9.2f %12.0f %s\n", r->name, units,
		       r->params, r->threads, r->s_per_epoch, r->windows_per_s, r->gflops,
		       r->cpu_s / r->wall_s, r->windows_per_cpu_s,
		       r->extrapolated ? "(extrapolated from a slice)" : "");
		fflush(stdout);
	}
	const char *dir = getenv("TG_BENCH_DIR");
	if (dir) {
		char jp[512];
		snprintf(jp, sizeof(jp), "%s/bench_train.json", dir);
		FILE *j = fopen(jp, "w");
		if (j) {
			fprintf(j,
			        "{\"bench\": \"train\", \"data\": \"%s\", \"windows\": %llu, "
			        "\"window\": 60, \"batch\": 32, \"rows\": [",
			        path, (unsigned long long)ws.n);
			for (size_t i = 0; i < TG_ARRAY_SIZE(rows); i++) {
				struct row *r = &rows[i];
				fprintf(j,
				        "%s\n {\"model\": \"%s\", \"units\": [%u, %u, %u, %u], "
				        "\"params\": %zu, \"threads\": %u, \"windows_run\": %llu, "
				        "\"seconds_per_epoch\": %.3f, \"windows_per_s\": %.1f, "
				        "\"gflops\": %.3f, \"cpu_over_wall\": %.2f, "
				        "\"windows_per_cpu_s\": %.1f, "
				        "\"extrapolated\": %s}",
				        i ? "," : "", r->name, r->u1, r->u2, r->u2, r->u1,
				        r->params, r->threads, (unsigned long long)r->windows_run,
				        r->s_per_epoch, r->windows_per_s, r->gflops,
				        r->cpu_s / r->wall_s, r->windows_per_cpu_s,
				        r->extrapolated ? "true" : "false");
			}
			fprintf(j, "\n]}\n");
			fclose(j);
		}
	}
	tg_winlazy_free(&ws);
	tg_scaler_destroy(sc);
	for (uint32_t i = 0; i < ni; i++)
		free(px[i]);
	free(px);
	free(len);
	tg_source_close(src);
	return 0;
}
