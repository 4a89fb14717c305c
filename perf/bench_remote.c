/* bench_remote.c - what remote reconstruction costs next to local: the
 * reference model (60, 128/64/64/128) served by a `tickguard serve` process
 * on loopback (in-process tg_serve if the binary is not built), driven by
 * the remote backend, at batch 1, 8 and 64, beside the local backend in the
 * same run. Latency = submit -> result per batch with one batch
 * outstanding; throughput also with 4 batches in flight. Table on stdout,
 * JSON into $TG_BENCH_DIR/bench_remote.json. */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "model/model.h"
#include "model/package.h"
#include "scorer/recon.h"
#include "serve/serve.h"

#define W      60
#define NWIN   4096
#define MAXLAT 100000

extern char **environ;

static float windows[NWIN * W];
static uint64_t lat[MAXLAT];

struct row {
	const char *mode;
	uint32_t batch, inflight;
	double windows_per_s, us_per_window, p50_us, p99_us;
	uint64_t windows;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Run batches of `batch` for about `secs`, at most `depth` outstanding. */
static int run(struct tg_recon *r, const char *mode, uint32_t batch, uint32_t depth, double secs,
               struct row *out)
{
	uint64_t t0 = tg_monotonic_ns(), end = t0 + (uint64_t)(secs * 1e9);
	uint64_t windows_done = 0, n_lat = 0, next = 0;
	uint32_t outstanding = 0;
	int failed = 0;
	for (;;) {
		uint64_t now = tg_monotonic_ns();
		while (outstanding < depth && now < end) {
			uint64_t off = (next * batch) % (NWIN - batch);
			if (tg_recon_submit(r, next, windows + off * W, batch) != 0)
				break;
			next++;
			outstanding++;
		}
		if (!outstanding)
			break;
		struct tg_recon_result res[16];
		int got = tg_recon_poll_burst(r, res, 16);
		for (int i = 0; i < got; i++) {
			outstanding--;
			if (res[i].status != 0) {
				failed++;
				continue;
			}
			windows_done += res[i].count;
			if (n_lat < MAXLAT)
				lat[n_lat++] = res[i].latency_ns;
		}
		if (!got)
			tg_recon_wait(r, 1000000000ull);
	}
	double el = (double)(tg_monotonic_ns() - t0) / 1e9;
	qsort(lat, n_lat, sizeof(lat[0]), cmp_u64);
	*out = (struct row){
	    .mode = mode,
	    .batch = batch,
	    .inflight = depth,
	    .windows = windows_done,
	    .windows_per_s = (double)windows_done / el,
	    .us_per_window = el * 1e6 / (double)(windows_done ? windows_done : 1),
	    .p50_us = n_lat ? (double)lat[n_lat / 2] / 1e3 : 0,
	    .p99_us = n_lat ? (double)lat[(n_lat * 99) / 100] / 1e3 : 0,
	};
	return failed ? -EIO : 0;
}

static pid_t spawn_server(const char *bin, const char *dir, uint16_t *port, FILE **outp)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	char a0[512], a1[] = "serve", a2[] = "--model", a4[] = "--listen", a5[] = "127.0.0.1:0",
	              a6[] = "--name", a7[] = "ae", a3[256];
	snprintf(a0, sizeof(a0), "%s", bin);
	snprintf(a3, sizeof(a3), "%s", dir);
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		return -1;
	}
	FILE *f = fdopen(pfd[0], "r");
	char line[512];
	const char *p;
	if (!fgets(line, sizeof(line), f) || !(p = strstr(line, "http://127.0.0.1:"))) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		fclose(f);
		return -1;
	}
	*port = (uint16_t)atoi(p + 17);
	*outp = f;
	return pid;
}

int main(void)
{
	const char *bdir = getenv("TG_BENCH_DIR");
	double secs = getenv("TG_BENCH_SECS") ? atof(getenv("TG_BENCH_SECS")) : 1.0;
	for (int i = 0; i < NWIN * W; i++)
		windows[i] = (float)(0.5 + 0.4 * sin(0.07 * i) + 0.05 * sin(1.3 * i));
	struct tg_model_config mc;
	tg_model_config_default(&mc);
	struct tg_model *m = NULL;
	if (tg_model_create(&mc, &m) < 0)
		return 1;
	tg_model_init(m, 7);

	/* the server: a real `tickguard serve` process if built */
	char dir[] = "/tmp/tg_bench_remote.XXXXXX", err[256], bin[512];
	const char *bd = getenv("TG_BIN");
	snprintf(bin, sizeof(bin), "%s/tickguard", bd && *bd ? bd : "build/release/bin");
	uint16_t port = 0;
	pid_t pid = -1;
	FILE *srv_out = NULL;
	struct tg_serve *inproc = NULL;
	const char *server = "tickguard serve (process)";
	if (access(bin, X_OK) == 0 && mkdtemp(dir) &&
	    tg_model_save_layers(dir, m, err, sizeof(err)) == 0)
		pid = spawn_server(bin, dir, &port, &srv_out);
	if (pid <= 0) {
		struct tg_serve_config sc = {.name = "ae", .model = m};
		if (tg_serve_start(&sc, &inproc, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_remote: no server: %s\n", err);
			return 1;
		}
		port = tg_serve_port(inproc);
		server = "tg_serve (in process)";
	}

	struct row rows[16];
	int nr = 0, rc = 0;
	const uint32_t batches[] = {1, 8, 64};
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
	for (size_t b = 0; b < 3; b++) {
		struct tg_recon_local_config lc = {.model = m, .max_batch = 64};
		struct tg_recon *l = NULL;
		if (tg_recon_local_create(&lc, &l) == 0) {
			rc |= run(l, "local", batches[b], 1, secs, &rows[nr++]);
			tg_recon_destroy(l);
		}
		struct tg_recon_remote_config c = {.flavour = TG_RECON_TFSERVING,
		                                   .base_url = base,
		                                   .model_name = "ae",
		                                   .window = W,
		                                   .features = 1,
		                                   .max_batch = 64,
		                                   .max_inflight = 4,
		                                   .timeout_ms = 30000};
		struct tg_recon *r = NULL;
		if (tg_recon_remote_create(&c, &r) == 0) {
			rc |= run(r, "remote", batches[b], 1, secs, &rows[nr++]);
			rc |= run(r, "remote", batches[b], 4, secs, &rows[nr++]);
			tg_recon_destroy(r);
		}
	}
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		fclose(srv_out);
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_remote: could not remove %s\n", dir);
	}
	tg_serve_stop(inproc);

	printf("remote reconstruction, model 60x1 enc 128,64 dec 64,128, server: %s, loopback\n",
	       server);
	printf("%-7s %6s %9s %13s %12s %11s %11s\n", "mode", "batch", "in-flight", "windows/s",
	       "us/window", "p50 us", "p99 us");
	for (int i = 0; i < nr; i++)
		printf("%-7s %6u %9u %13.0f %12.1f %11.1f %11.1f\n", rows[i].mode, rows[i].batch,
		       rows[i].inflight, rows[i].windows_per_s, rows[i].us_per_window,
		       rows[i].p50_us, rows[i].p99_us);
	if (bdir && *bdir) {
		char path[512];
		snprintf(path, sizeof(path), "%s/bench_remote.json", bdir);
		FILE *f = fopen(path, "w");
		if (f) {
			fprintf(f,
			        "{\"bench\": \"remote\", \"server\": \"%s\", \"model\": "
			        "\"60x1 enc [128,64] dec [64,128] relu\", \"results\": [",
			        server);
			for (int i = 0; i < nr; i++)
				fprintf(f,
				        "%s\n {\"mode\": \"%s\", \"batch\": %u, \"in_flight\": %u, "
				        "\"windows\": %llu, \"windows_per_s\": %.1f, "
				        "\"us_per_window\": %.2f, \"latency_p50_us\": %.1f, "
				        "\"latency_p99_us\": %.1f}",
				        i ? "," : "", rows[i].mode, rows[i].batch, rows[i].inflight,
				        (unsigned long long)rows[i].windows, rows[i].windows_per_s,
				        rows[i].us_per_window, rows[i].p50_us, rows[i].p99_us);
			fprintf(f, "\n]}\n");
			fclose(f);
		}
	}
	tg_model_destroy(m);
	if (rc)
		fprintf(stderr, "bench_remote: some batches failed\n");
	return rc ? 1 : 0;
}
