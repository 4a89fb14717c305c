/* test_remote_serve.c - remote mode against the real server: the same model
 * served by tg_serve (in process) and by a `tickguard serve` process, both on
 * 127.0.0.1, must give the same scores as the local backend (within 1e-6
 * relative; floats cross the wire as 9 significant digits, so they should
 * be identical). Windows come from real trades (LOBSTER AAPL executions).
 * Also: the server answers every malformed request with a 4xx JSON error,
 * survives a mutation fuzz of valid bodies, and serves status/metadata as
 * TF Serving does. */
#include <curl/curl.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "model/model.h"
#include "model/package.h"
#include "scorer/recon.h"
#include "serve/serve.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"

#define W    60
#define NWIN 200
#define MAXB 64

extern char **environ;

static float windows[NWIN * W];
static uint32_t nwin = NWIN; /* scaled down under sanitizers */
static struct tg_model *model;

/* Real trade prices -> window-relative log prices (x100), NWIN windows. */
static void load_windows(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/lobster/AAPL_2012-06-21_34200000_57600000_message_1.csv",
	         tg_test_data_dir());
	FILE *f = fopen(path, "r");
	static double px[NWIN + W];
	size_t n = 0;
	char line[256];
	while (f && n < NWIN + W && fgets(line, sizeof(line), f)) {
		double t, price;
		long type, id, size, dir;
		if (sscanf(line, "%lf,%ld,%ld,%ld,%lf,%ld", &t, &type, &id, &size, &price, &dir) ==
		        6 &&
		    (type == 4 || type == 5) && price > 0)
			px[n++] = price / 10000.0;
	}
	if (f)
		fclose(f);
	for (; n < NWIN + W; n++) /* no data file: a synthetic walk */
		px[n] = 100.0 + sin(0.05 * (double)n) + 0.01 * (double)(n % 7);
	for (int i = 0; i < NWIN; i++)
		for (int t = 0; t < W; t++)
			windows[i * W + t] = (float)(100.0 * log(px[i + t] / px[i]));
}

static double rel_diff(double a, double b)
{
	return fabs(a - b) / (fabs(b) > 1e-300 ? fabs(b) : 1.0);
}

/* Score all windows through r in batches of `batch`; mse[NWIN]. */
static int score_all(struct tg_recon *r, uint32_t batch, double *mse)
{
	uint32_t done = 0, sent = 0;
	for (uint32_t i = 0; i < nwin; i++)
		mse[i] = NAN;
	uint64_t end = tg_monotonic_ns() + 60000000000ull;
	while (done < nwin && tg_monotonic_ns() < end) {
		while (sent < nwin) {
			uint32_t k = nwin - sent < batch ? nwin - sent : batch;
			if (tg_recon_submit(r, sent, windows + (size_t)sent * W, k) != 0)
				break;
			sent += k;
		}
		struct tg_recon_result res[8];
		int got = tg_recon_poll_burst(r, res, 8);
		for (int j = 0; j < got; j++) {
			if (res[j].status != 0)
				TG_FAIL("batch at %llu: status %d", (unsigned long long)res[j].tag,
				        res[j].status);
			memcpy(mse + res[j].tag, res[j].mse, res[j].count * sizeof(double));
			done += res[j].count;
		}
		if (!got)
			tg_recon_wait(r, 50000000ull);
	}
	return done == nwin ? 0 : -1;
}

static void compare_remote_local(uint16_t port, const char *name)
{
	struct tg_recon_local_config lc = {.model = model, .max_batch = MAXB};
	struct tg_recon *local = NULL;
	TG_CHECK_EQ_I64(tg_recon_local_create(&lc, &local), 0);
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
	struct tg_recon_remote_config rc = {
	    .flavour = TG_RECON_TFSERVING,
	    .base_url = base,
	    .model_name = name,
	    .window = W,
	    .features = 1,
	    .max_batch = MAXB,
	    .timeout_ms = 20000,
	    .seed = 3,
	};
	struct tg_recon *remote = NULL;
	TG_CHECK_EQ_I64(tg_recon_remote_create(&rc, &remote), 0);
	if (!local || !remote)
		goto out;
	static double lm[NWIN], rm[NWIN];
	TG_CHECK_EQ_I64(score_all(local, MAXB, lm), 0);
	const uint32_t batches[] = {1, 8, 64};
	for (size_t b = 0; b < TG_ARRAY_SIZE(batches); b++) {
		TG_CHECK_EQ_I64(score_all(remote, batches[b], rm), 0);
		double worst = 0;
		int identical = 0;
		for (uint32_t i = 0; i < nwin; i++) {
			double d = rel_diff(rm[i], lm[i]);
			worst = d > worst ? d : worst;
			identical += rm[i] == lm[i];
			if (!(d <= 1e-6))
				TG_FAIL("batch %u window %u: remote %.12g local %.12g", batches[b],
				        i, rm[i], lm[i]);
		}
		fprintf(stderr, "batch %u: worst relative difference %.3g, %d/%u identical\n",
		        batches[b], worst, identical, nwin);
	}
	struct tg_recon_counters k;
	tg_recon_counters(remote, &k);
	TG_CHECK_EQ_U64(k.windows_scored, 3 * nwin);
	TG_CHECK_EQ_U64(k.malformed + k.http_4xx + k.http_5xx + k.conn_errors, 0);
out:
	tg_recon_destroy(remote);
	tg_recon_destroy(local);
}

static void t_inprocess_same_scores(void)
{
	struct tg_serve_config sc = {.name = "ae", .model = model, .port = 0};
	struct tg_serve *s = NULL;
	char err[256];
	int rc = tg_serve_start(&sc, &s, err, sizeof(err));
	if (rc < 0)
		TG_SKIP("cannot serve on loopback: %s", err);
	compare_remote_local(tg_serve_port(s), "ae");
	struct tg_serve_stats st;
	tg_serve_stats(s, &st);
	TG_CHECK_EQ_U64(st.predictions, 3 * nwin);
	TG_CHECK_EQ_U64(st.bad_request + st.failed + st.busy, 0);
	tg_serve_stop(s);
}

/* ---- raw requests --------------------------------------------------- */

struct resp {
	char buf[1 << 16];
	size_t len;
};

static size_t collect(char *d, size_t sz, size_t nm, void *ud)
{
	struct resp *r = ud;
	size_t n = sz * nm, room = sizeof(r->buf) - 1 - r->len;
	memcpy(r->buf + r->len, d, n < room ? n : room);
	r->len += n < room ? n : room;
	r->buf[r->len] = '\0';
	return n;
}

static long http(CURL *e, const char *method, const char *url, const char *body, size_t len,
                 struct resp *out)
{
	out->len = 0;
	out->buf[0] = '\0';
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	long code = -1;
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	return code;
}

static char *valid_body(uint32_t n)
{
	char *b = NULL;
	tg_recon_remote_body(windows, n, W, 1, &b);
	return b;
}

static void t_bad_requests(void)
{
	struct tg_serve_config sc = {.name = "ae",
	                             .model = model,
	                             .version = 2,
	                             .max_body_bytes = 120000,
	                             .max_instances = 100};
	struct tg_serve *s = NULL;
	char err[256], url[256], pfx[64];
	if (tg_serve_start(&sc, &s, err, sizeof(err)) < 0)
		TG_SKIP("cannot serve on loopback: %s", err);
	snprintf(pfx, sizeof(pfx), "http://127.0.0.1:%u", tg_serve_port(s));
	CURL *e = curl_easy_init();
	static struct resp r;
	char *ok1 = valid_body(1);
	/* the flat per-instance form [v1, ..., vW] */
	static char flat[4096];
	size_t k = (size_t)snprintf(flat, sizeof(flat), "{\"instances\": [[");
	for (int t = 0; t < W; t++)
		k += (size_t)snprintf(flat + k, sizeof(flat) - k, "%s%.9g", t ? ", " : "",
		                      (double)windows[t]);
	snprintf(flat + k, sizeof(flat) - k, "]]}");
	static const char *bad_bodies[] = {
	    "",
	    "not json",
	    "[]",
	    "{\"instances\": 5}",
	    "{\"instances\": []}",
	    "{\"instances\": [[[1],[2]]]}",
	    "{\"instances\": [[\"a\"]]}",
	    "{\"signature_name\": \"x\"}",
	    "{\"instances\": [{\"a\": 1, \"b\": 2}]}",
	    "\xff\xfe\x00\x01",
	    "{\"instances\": [[[1e999]]]}",
	};
	snprintf(url, sizeof(url), "%s/v1/models/ae:predict", pfx);
	for (size_t i = 0; i < TG_ARRAY_SIZE(bad_bodies); i++) {
		long code = http(e, "POST", url, bad_bodies[i], strlen(bad_bodies[i]), &r);
		if (code != 400 || !strstr(r.buf, "\"error\""))
			TG_FAIL("bad body %zu: HTTP %ld %s", i, code, r.buf);
	}
	/* a value out of float range inside a full-size window */
	static char inf[4096];
	k = (size_t)snprintf(inf, sizeof(inf), "{\"instances\": [[[9e99]");
	for (int t = 1; t < W; t++)
		k += (size_t)snprintf(inf + k, sizeof(inf) - k, ",[%.9g]", (double)windows[t]);
	snprintf(inf + k, sizeof(inf) - k, "]]}");
	TG_CHECK_EQ_I64(http(e, "POST", url, inf, strlen(inf), &r), 400);
	TG_CHECK(strstr(r.buf, "out of float range") != NULL);

	/* the accepted forms */
	TG_CHECK_EQ_I64(http(e, "POST", url, ok1, strlen(ok1), &r), 200);
	TG_CHECK(!strncmp(r.buf, "{\"predictions\":[[[", 18));
	TG_CHECK_EQ_I64(http(e, "POST", url, flat, strlen(flat), &r), 200);
	snprintf(url, sizeof(url), "%s/v1/models/ae/versions/2:predict", pfx);
	TG_CHECK_EQ_I64(http(e, "POST", url, ok1, strlen(ok1), &r), 200);
	snprintf(url, sizeof(url), "%s/v1/models/ae", pfx);
	TG_CHECK_EQ_I64(http(e, "POST", url, ok1, strlen(ok1), &r), 200);
	char *inputs = strdup(ok1);
	memcpy(inputs + 2, "inputs\":   ", 11); /* {"instances": -> {"inputs":    */
	snprintf(url, sizeof(url), "%s/v1/models/ae:predict", pfx);
	TG_CHECK_EQ_I64(http(e, "POST", url, inputs, strlen(inputs), &r), 200);
	TG_CHECK(!strncmp(r.buf, "{\"outputs\":[", 12));
	free(inputs);

	/* limits */
	char *big = valid_body(NWIN); /* > 120000 bytes */
	TG_CHECK(strlen(big) > 120000);
	TG_CHECK_EQ_I64(http(e, "POST", url, big, strlen(big), &r), 413);
	free(big);
	char *many = valid_body(110); /* more than max_instances, within the size */
	TG_CHECK(strlen(many) < 120000);
	TG_CHECK_EQ_I64(http(e, "POST", url, many, strlen(many), &r), 400);
	TG_CHECK(strstr(r.buf, "1..100 windows") != NULL);
	free(many);

	/* paths and methods */
	static const struct {
		const char *method, *path;
		long code;
		const char *has;
	} routes[] = {
	    {"GET", "/v1/models/ae", 200, "\"state\":\"AVAILABLE\""},
	    {"GET", "/v1/models/ae/versions/2", 200, "\"version\":\"2\""},
	    {"GET", "/v1/models/ae/metadata", 200, "\"size\":\"60\""},
	    {"GET", "/v1/models/ae/versions/2/metadata", 200, "serving_default"},
	    {"GET", "/v1/models/other", 404, "Servable not found for request: Latest(other)"},
	    {"POST", "/v1/models/ae/versions/7:predict", 404, "Specific(ae, 7)"},
	    {"GET", "/v1/models/ae:predict", 405, "POST"},
	    {"DELETE", "/v1/models/ae", 405, "GET"},
	    {"GET", "/", 404, "error"},
	    {"GET", "/v1/models/ae/versions/x", 404, "error"},
	    {"POST", "/v1/models/ae:classify", 404, "error"},
	};
	for (size_t i = 0; i < TG_ARRAY_SIZE(routes); i++) {
		snprintf(url, sizeof(url), "%s%s", pfx, routes[i].path);
		int post = !strcmp(routes[i].method, "POST");
		long code =
		    http(e, routes[i].method, url, post ? ok1 : NULL, post ? strlen(ok1) : 0, &r);
		if (code != routes[i].code || !strstr(r.buf, routes[i].has))
			TG_FAIL("%s %s: HTTP %ld %.200s", routes[i].method, routes[i].path, code,
			        r.buf);
	}

	/* mutation fuzz: never a crash, never a 5xx; then it still works */
	uint64_t x = 88172645463325252ull;
	int n_fuzz = (int)(300 * tg_test_scale()) + 20, fivexx = 0;
	char *ok3 = valid_body(1);
	size_t l3 = strlen(ok3);
	char *m = malloc(l3 + 1);
	snprintf(url, sizeof(url), "%s/v1/models/ae:predict", pfx);
	for (int i = 0; i < n_fuzz; i++) {
		memcpy(m, ok3, l3 + 1);
		int edits = 1 + (int)(i % 4);
		for (int j = 0; j < edits; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			static const char alphabet[] = "[]{},:\"0123456789.-eE nulltrue\\";
			m[x % l3] = alphabet[(x >> 32) % (sizeof(alphabet) - 1)];
		}
		size_t len = (i % 5 == 0) ? (size_t)((x >> 20) % l3) : l3; /* truncations */
		long code = http(e, "POST", url, m, len, &r);
		fivexx += code < 200 || code >= 500;
	}
	TG_CHECK_EQ_I64(fivexx, 0);
	TG_CHECK_EQ_I64(http(e, "POST", url, ok3, l3, &r), 200);
	struct tg_serve_stats st;
	tg_serve_stats(s, &st);
	TG_CHECK(st.bad_request >= TG_ARRAY_SIZE(bad_bodies));
	TG_CHECK_EQ_U64(st.failed, 0);
	TG_CHECK_EQ_U64(st.too_large, 1);
	free(m);
	free(ok3);
	free(ok1);
	curl_easy_cleanup(e);
	tg_serve_stop(s);
}

/* ---- the real process ------------------------------------------------- */

static void t_process_same_scores(void)
{
	char bin[512], dir[] = "/tmp/tg_serve_pkg.XXXXXX", err[TG_PACKAGE_ERR_LEN];
	tg_test_bin(bin, sizeof(bin));
	if (access(bin, X_OK) != 0)
		TG_SKIP("%s not built", bin);
	if (!mkdtemp(dir))
		TG_SKIP("no temporary directory");
	int rc = tg_model_save_layers(dir, model, err, sizeof(err));
	TG_CHECK_EQ_I64(rc, 0);
	if (rc < 0) {
		TG_FAIL("save: %s", err);
		return;
	}
	int pfd[2];
	TG_CHECK_EQ_I64(pipe2(pfd, O_CLOEXEC), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	char a_serve[] = "serve", a_model[] = "--model", a_listen[] = "--listen",
	     a_addr[] = "127.0.0.1:0", a_name[] = "--name", a_nm[] = "lstm-ae";
	char *argv[] = {bin, a_serve, a_model, dir, a_listen, a_addr, a_name, a_nm, NULL};
	pid_t pid;
	rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	TG_CHECK_EQ_I64(rc, 0);
	FILE *out = fdopen(pfd[0], "r");
	char line[512] = "";
	unsigned port = 0;
	if (fgets(line, sizeof(line), out)) {
		const char *p = strstr(line, "http://127.0.0.1:");
		if (p)
			port = (unsigned)atoi(p + 17);
	}
	TG_CHECK(port > 0);
	if (port)
		compare_remote_local((uint16_t)port, "lstm-ae");
	kill(pid, SIGTERM);
	int st = 0;
	waitpid(pid, &st, 0);
	TG_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (fgets(line, sizeof(line), out))
		TG_CHECK(strstr(line, "serve: stopped") != NULL);
	fclose(out);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* `tickguard serve` usage: --help exits 0, bad usage exits 2 with one line. */
static int run_cli(const char *bin, char *const argv[])
{
	return tg_test_run(bin, (const char *const *)argv, NULL);
}

static void t_cli_usage(void)
{
	char bin[512];
	tg_test_bin(bin, sizeof(bin));
	if (access(bin, X_OK) != 0)
		TG_SKIP("%s not built", bin);
	char a0[] = "tickguard", a1[] = "serve", help[] = "--help", bogus[] = "--bogus",
	     opt_model[] = "--model", none[] = "/nonexistent/pkg", name[] = "--name", nm[] = "x",
	     listen[] = "--listen", bad[] = "nocolon";
	char *h[] = {a0, a1, help, NULL};
	char *b[] = {a0, a1, bogus, nm, NULL};
	char *m[] = {a0, a1, name, nm, NULL};
	char *l[] = {a0, a1, opt_model, none, name, nm, listen, bad, NULL};
	char *n[] = {a0, a1, opt_model, none, name, nm, NULL};
	TG_CHECK_EQ_I64(run_cli(bin, h), 0);
	TG_CHECK_EQ_I64(run_cli(bin, b), 2);
	TG_CHECK_EQ_I64(run_cli(bin, m), 2);
	TG_CHECK_EQ_I64(run_cli(bin, l), 2);
	TG_CHECK_EQ_I64(run_cli(bin, n), 1); /* usage fine, the model is missing */
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	load_windows();
	if (tg_test_scale() < 1.0)
		nwin = 24;
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	if (tg_model_create(&cfg, &model) < 0) {
		fprintf(stderr, "cannot create the model\n");
		return 1;
	}
	tg_model_init(model, 20260601);
	tg_test_case("inprocess_same_scores", t_inprocess_same_scores);
	tg_test_case("bad_requests", t_bad_requests);
	tg_test_case("process_same_scores", t_process_same_scores);
	tg_test_case("cli_usage", t_cli_usage);
	tg_model_destroy(model);
	curl_global_cleanup();
	return tg_test_done();
}
