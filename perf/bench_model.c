/* bench_model.c - inference cost of the reference architecture (window 60,
 * LSTM 128/64 -> RepeatVector -> 64/128 -> Dense(1)) on one core: the
 * reference oracle and the fast batched path at batch 1 and 32. Prints a
 * table and writes $TG_BENCH_DIR/bench_model.json. GFLOP/s uses the naive
 * count of 29.6 MFLOP per window (tg_model_config_flops), whatever the
 * kernel actually skips.
 *   bench_model [--quick]    (--quick: ~0.2 s per row instead of ~1.5 s)
 */

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tg_common.h"
#include "model/model.h"

struct row {
	const char *impl;
	uint32_t batch;
	double ms_per_window, windows_per_s, gflops, p50_ms_per_call, p99_ms_per_call;
	double cpu_ms_per_window; /* thread CPU time: what the kernel costs when it runs */
	uint64_t calls;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Run calls of `batch` windows until min_s has passed; per-call times. */
static int measure(const struct tg_model *m, struct tg_model_ws *ws, bool ref, uint32_t batch,
                   const float *x, float *rec, double *sc, double min_s, double flops,
                   struct row *r)
{
	size_t wn = (size_t)m->cfg.window * m->cfg.features;
	size_t cap = 1 << 16, n = 0;
	uint64_t *t = malloc(cap * sizeof(*t));
	if (!t)
		return -ENOMEM;
	/* warm-up: caches, page faults, frequency */
	for (int i = 0; i < 3; i++) {
		if (ref)
			tg_model_forward_ref(m, x, rec, sc);
		else
			tg_model_forward_batch(m, ws, x, batch, rec, sc);
	}
	uint64_t start = tg_monotonic_ns(), total = 0, cpu0 = tg_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	while (n < cap && (n < 5 || (double)(tg_monotonic_ns() - start) < min_s * 1e9)) {
		uint64_t a = tg_monotonic_ns();
		if (ref)
			for (uint32_t b = 0; b < batch; b++)
				tg_model_forward_ref(m, x + b * wn, rec + b * wn, sc + b);
		else
			tg_model_forward_batch(m, ws, x, batch, rec, sc);
		t[n] = tg_monotonic_ns() - a;
		total += t[n++];
	}
	r->cpu_ms_per_window =
	    (double)(tg_clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0) / 1e6 / ((double)n * batch);
	qsort(t, n, sizeof(*t), cmp_u64);
	r->batch = batch;
	r->calls = n;
	r->ms_per_window = (double)total / 1e6 / ((double)n * batch);
	r->windows_per_s = 1e3 / r->ms_per_window;
	r->gflops = flops * r->windows_per_s / 1e9;
	r->p50_ms_per_call = (double)t[n / 2] / 1e6;
	r->p99_ms_per_call = (double)t[(n * 99) / 100] / 1e6;
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	if (argc > 1 && !quick) {
		fprintf(stderr, "usage: bench_model [--quick]\n");
		return 2;
	}
	/* one core: pin to the CPU we start on */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);

	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	struct tg_model *m;
	struct tg_model_ws *ws;
	if (tg_model_create(&cfg, &m) < 0 || tg_model_ws_create(&cfg, 32, &ws) < 0) {
		fprintf(stderr, "bench_model: out of memory\n");
		return 1;
	}
	tg_model_init(m, 1);
	size_t wn = (size_t)cfg.window * cfg.features;
	float *x = malloc(32 * wn * sizeof(float)), *rec = malloc(32 * wn * sizeof(float));
	double sc[32];
	for (size_t i = 0; i < 32 * wn; i++)
		x[i] = (float)(0.5 + 0.3 * ((double)((i * 2654435761u) % 1000) / 1000.0 - 0.5));
	double flops = tg_model_config_flops(&cfg), min_s = quick ? 0.2 : 1.5;
	struct row rows[4] = {
	    {.impl = "reference"}, {.impl = "reference"}, {.impl = "fast"}, {.impl = "fast"}};
	measure(m, ws, true, 1, x, rec, sc, min_s, flops, &rows[0]);
	measure(m, ws, true, 32, x, rec, sc, min_s, flops, &rows[1]);
	measure(m, ws, false, 1, x, rec, sc, min_s, flops, &rows[2]);
	measure(m, ws, false, 32, x, rec, sc, min_s, flops, &rows[3]);

	printf("LSTM autoencoder inference, window %u, LSTM 128/64 -> 64/128, %.1f MFLOP/window, "
	       "1 core\n",
	       cfg.window, flops / 1e6);
	printf("%-10s %5s %12s %12s %9s %14s %14s %14s\n", "impl", "batch", "ms/window",
	       "windows/s", "GFLOP/s", "p50 ms/call", "p99 ms/call", "cpu ms/window");
	for (int i = 0; i < 4; i++)
		printf("%-10s %5u %12.4f %12.0f %9.2f %14.4f %14.4f %14.4f\n", rows[i].impl,
		       rows[i].batch, rows[i].ms_per_window, rows[i].windows_per_s, rows[i].gflops,
		       rows[i].p50_ms_per_call, rows[i].p99_ms_per_call, rows[i].cpu_ms_per_window);

	const char *dir = getenv("TG_BENCH_DIR");
	if (dir && *dir) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/bench_model.json", dir);
		FILE *f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "bench_model: cannot write %s\n", path);
			return 1;
		}
		fprintf(f,
		        "{\"bench\": \"bench_model\", \"window\": %u, \"mflop_per_window\": %.3f, "
		        "\"cores\": 1, \"rows\": [",
		        cfg.window, flops / 1e6);
		for (int i = 0; i < 4; i++)
			fprintf(f,
			        "%s\n {\"impl\": \"%s\", \"batch\": %u, \"ms_per_window\": %.6f, "
			        "\"windows_per_s\": %.1f, \"gflops\": %.3f, \"p50_ms_per_call\": "
			        "%.6f, \"p99_ms_per_call\": %.6f, \"cpu_ms_per_window\": %.6f, "
			        "\"calls\": %llu}",
			        i ? "," : "", rows[i].impl, rows[i].batch, rows[i].ms_per_window,
			        rows[i].windows_per_s, rows[i].gflops, rows[i].p50_ms_per_call,
			        rows[i].p99_ms_per_call, rows[i].cpu_ms_per_window,
			        (unsigned long long)rows[i].calls);
		fprintf(f, "\n]}\n");
		fclose(f);
	}
	free(x);
	free(rec);
	tg_model_ws_destroy(ws);
	tg_model_destroy(m);
	return 0;
}
