/* test_remote_faults.c - the remote reconstruction client against a
 * fault-injecting server on loopback (test_remote_srv.h): slow replies,
 * dropped connections, 500/503, 429 with Retry-After, 4xx, malformed JSON,
 * wrong counts and shapes, non-numbers, huge bodies, a dead endpoint. For
 * each: the right status and counters, and submit/poll never block longer
 * than a small bound. The bound checker is itself checked against a
 * deliberately blocking backend, so this test can fail. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tg_common.h"
#include "scorer/recon.h"
#include "tests/test_remote_srv.h"
#include "tests/tg_test.h"

#define W 60

static struct fsrv srv;

/* the longest a submit or poll may take: generous for a loaded 2-core
 * machine, far below what a blocking client costs (timeouts, Retry-After
 * and slow replies here are 300 ms and more; the broken variant 500 ms) */
static uint64_t poll_bound_ns(void)
{
	return 100000000ull;
}

static void fill(float *x, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n * W; i++)
		x[i] = (float)sin(0.1 * (i + 7 * seed)) * 0.8f + 0.1f;
}

static void base_cfg(struct tg_recon_remote_config *c, uint16_t port, char *url, size_t ul)
{
	snprintf(url, ul, "http://127.0.0.1:%u", port);
	*c = (struct tg_recon_remote_config){
	    .flavour = TG_RECON_TFSERVING,
	    .base_url = url,
	    .model_name = "ae",
	    .window = W,
	    .features = 1,
	    .max_batch = 32,
	    .connect_timeout_ms = 500,
	    .timeout_ms = 1000,
	    .backoff_base_ms = 10,
	    .backoff_max_ms = 40,
	    .seed = 42,
	};
}

struct outcome {
	struct tg_recon_result res;
	double mse[32];
	uint64_t max_call_ns; /* longest submit/poll call */
	int got;
};

/* Submit one batch and poll until its result, timing every call. */
static void run_batch(struct tg_recon *r, const float *x, uint32_t n, uint64_t tag,
                      struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	uint64_t t0 = tg_monotonic_ns();
	int rc = tg_recon_submit(r, tag, x, n);
	o->max_call_ns = tg_monotonic_ns() - t0;
	TG_CHECK_EQ_I64(rc, 0);
	uint64_t end = tg_monotonic_ns() + 20000000000ull;
	while (!o->got && tg_monotonic_ns() < end) {
		uint64_t a = tg_monotonic_ns();
		int k = tg_recon_poll_burst(r, &o->res, 1);
		uint64_t d = tg_monotonic_ns() - a;
		if (d > o->max_call_ns)
			o->max_call_ns = d;
		if (k == 1) {
			o->got = 1;
			memcpy(o->mse, o->res.mse, n * sizeof(double));
			break;
		}
		tg_recon_wait(r, 20000000ull);
	}
	TG_CHECK(o->got);
	TG_CHECK_EQ_U64(o->res.tag, tag);
	TG_CHECK_EQ_U64(o->res.count, n);
}

static struct tg_recon *client(struct tg_recon_remote_config *c)
{
	struct tg_recon *r = NULL;
	int rc = tg_recon_remote_create(c, &r);
	TG_CHECK_EQ_I64(rc, 0);
	return r;
}

static int too_slow(const struct outcome *o)
{
	return o->max_call_ns > poll_bound_ns();
}

static void check_fast(const struct outcome *o)
{
	if (too_slow(o))
		TG_FAIL("a submit/poll call took %.3f ms (bound %.1f ms)", o->max_call_ns / 1e6,
		        poll_bound_ns() / 1e6);
}

/* One fault case: script, one batch of n windows, expected status. */
static void fault_case(const enum fs_action *script, int ns, enum fs_action dflt,
                       struct tg_recon_remote_config *c, uint32_t n, int want_status,
                       struct outcome *o, struct tg_recon_counters *k)
{
	fs_script(&srv, dflt, ns, script);
	struct tg_recon *r = client(c);
	if (!r)
		return;
	float x[32 * W];
	fill(x, n, 3);
	run_batch(r, x, n, 77, o);
	TG_CHECK_EQ_I64(o->res.status, want_status);
	check_fast(o);
	tg_recon_counters(r, k);
	TG_CHECK_EQ_U64(k->windows_scored + k->windows_unscored, n);
	if (want_status == 0) {
		TG_CHECK_EQ_U64(o->res.scored, n);
		for (uint32_t i = 0; i < n; i++) {
			float y[W];
			for (int t = 0; t < W; t++)
				y[t] = x[i * W + t] * 0.5f;
			TG_CHECK_NEAR(o->mse[i], tg_recon_mse(x + i * W, y, W), 0, 0);
		}
	} else {
		TG_CHECK_EQ_U64(o->res.scored, 0);
		TG_CHECK(isnan(o->mse[0]));
		TG_CHECK_EQ_U64(k->windows_unscored, n);
	}
	tg_recon_destroy(r);
}

static void t_ok_keepalive(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	fs_script(&srv, FS_OK, 0, NULL);
	int conns0 = atomic_load(&srv.connections);
	struct tg_recon *r = client(&c);
	float x[8 * W];
	struct outcome o;
	for (int b = 0; b < 5; b++) {
		fill(x, 8, (uint32_t)b);
		run_batch(r, x, 8, (uint64_t)b, &o);
		TG_CHECK_EQ_I64(o.res.status, 0);
		TG_CHECK_EQ_U64(o.res.scored, 8);
		check_fast(&o);
	}
	struct tg_recon_counters k;
	tg_recon_counters(r, &k);
	TG_CHECK_EQ_U64(k.requests, 5);
	TG_CHECK_EQ_U64(k.http_2xx, 5);
	TG_CHECK_EQ_U64(k.windows_scored, 40);
	TG_CHECK_EQ_U64(k.retries, 0);
	TG_CHECK(k.bytes_sent > 5 * 8 * W * 4);
	/* persistent connection: five requests, one connection */
	TG_CHECK_EQ_I64(atomic_load(&srv.connections) - conns0, 1);
	tg_recon_destroy(r);
}

static void t_reply_forms(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	struct outcome o;
	struct tg_recon_counters k;
	enum fs_action v[] = {FS_VERTEX}, f[] = {FS_FLAT}, s[] = {FS_SCORES};
	fault_case(v, 1, FS_OK, &c, 4, 0, &o, &k);
	TG_CHECK_EQ_U64(k.malformed, 0);
	fault_case(f, 1, FS_OK, &c, 4, 0, &o, &k);
	TG_CHECK_EQ_U64(k.malformed, 0);
	/* keep_recon hands out the reconstructions themselves */
	c.keep_recon = true;
	fs_script(&srv, FS_OK, 0, NULL);
	struct tg_recon *r = client(&c);
	float x[4 * W];
	fill(x, 4, 1);
	run_batch(r, x, 4, 1, &o);
	TG_CHECK(o.res.recon != NULL);
	int same = 1;
	for (int i = 0; o.res.recon && i < 4 * W; i++)
		same &= o.res.recon[i] == x[i] * 0.5f;
	TG_CHECK(same);
	tg_recon_destroy(r);
	c.keep_recon = false;

	fs_script(&srv, FS_OK, 1, s);
	r = client(&c);
	run_batch(r, x, 4, 1, &o);
	TG_CHECK_EQ_I64(o.res.status, 0);
	TG_CHECK_NEAR(o.mse[3], 0.25, 0, 0);
	tg_recon_destroy(r);
}

static void t_retry_5xx(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	struct outcome o;
	struct tg_recon_counters k;
	enum fs_action s1[] = {FS_500};
	fault_case(s1, 1, FS_OK, &c, 5, 0, &o, &k);
	TG_CHECK_EQ_U64(k.http_5xx, 1);
	TG_CHECK_EQ_U64(k.retries, 1);
	TG_CHECK_EQ_U64(k.requests, 2);
	TG_CHECK_EQ_U64(k.error_bodies, 1);
	TG_CHECK_EQ_U64(o.res.attempts, 2);

	/* always 503 (Google error body): max_retries then give up */
	c.max_retries = 2;
	fs_script(&srv, FS_503_GOOGLE, 0, NULL);
	struct tg_recon *r = client(&c);
	float x[3 * W];
	fill(x, 3, 2);
	run_batch(r, x, 3, 9, &o);
	TG_CHECK_EQ_I64(o.res.status, -EIO);
	TG_CHECK_EQ_U64(o.res.http_status, 503);
	check_fast(&o);
	tg_recon_counters(r, &k);
	TG_CHECK_EQ_U64(k.requests, 3);
	TG_CHECK_EQ_U64(k.retries, 2);
	TG_CHECK_EQ_U64(k.http_5xx, 3);
	TG_CHECK_EQ_U64(k.windows_unscored, 3);
	char why[256];
	tg_recon_last_error(r, why, sizeof(why));
	TG_CHECK(strstr(why, "UNAVAILABLE") != NULL);
	TG_CHECK(strstr(why, "HTTP 503") != NULL);
	tg_recon_destroy(r);
}

static void t_429_retry_after(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	c.deadline_ms = 5000;
	struct outcome o;
	struct tg_recon_counters k;
	enum fs_action s1[] = {FS_429};
	fault_case(s1, 1, FS_OK, &c, 2, 0, &o, &k);
	TG_CHECK_EQ_U64(k.http_429, 1);
	TG_CHECK_EQ_U64(k.retries, 1);
	/* Retry-After: 1 honoured although backoff_max_ms is 40 */
	if (o.res.latency_ns < 990000000ull)
		TG_FAIL("retry after %.3f s, Retry-After asked for 1 s", o.res.latency_ns / 1e9);
}

static void t_no_retry_4xx_malformed(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	struct outcome o;
	struct tg_recon_counters k;
	char why[256];
	static const struct {
		enum fs_action a;
		int status;
		const char *why;
	} cases[] = {
	    {FS_400, -EIO, "no shape information"},
	    {FS_MALFORMED, -EPROTO, "not JSON"},
	    {FS_WRONG_COUNT, -EPROTO, "3 predictions for 4 instances"},
	    {FS_WRONG_SHAPE, -EPROTO, "expected shape [60,1]"},
	    {FS_NONNUM, -EPROTO, "not"},
	    {FS_ERR_200, -EPROTO, "error body"},
	    {FS_MIXED, -EPROTO, "mix numbers and arrays"},
	    {FS_NEG_SCORE, -EPROTO, "score 3 is negative"},
	};
	for (size_t i = 0; i < TG_ARRAY_SIZE(cases); i++) {
		fs_script(&srv, cases[i].a, 0, NULL);
		struct tg_recon *r = client(&c);
		float x[4 * W];
		fill(x, 4, 5);
		run_batch(r, x, 4, i, &o);
		TG_CHECK_EQ_I64(o.res.status, cases[i].status);
		check_fast(&o);
		tg_recon_counters(r, &k);
		TG_CHECK_EQ_U64(k.requests, 1); /* never retried */
		TG_CHECK_EQ_U64(k.windows_unscored, 4);
		if (cases[i].a == FS_400) {
			TG_CHECK_EQ_U64(k.http_4xx, 1);
			TG_CHECK_EQ_U64(k.malformed, 0);
		} else {
			TG_CHECK_EQ_U64(k.malformed, 1);
		}
		tg_recon_last_error(r, why, sizeof(why));
		if (!strstr(why, cases[i].why))
			TG_FAIL("case %zu: last error \"%s\" does not say \"%s\"", i, why,
			        cases[i].why);
		tg_recon_destroy(r);
	}
}

static void t_huge_body(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	c.max_reply_bytes = 1u << 20;
	srv.huge_bytes = 4u << 20;
	struct outcome o;
	struct tg_recon_counters k;
	fault_case(NULL, 0, FS_HUGE, &c, 2, -EPROTO, &o, &k);
	TG_CHECK_EQ_U64(k.malformed, 1);
	TG_CHECK_EQ_U64(k.requests, 1);
	TG_CHECK(k.bytes_received <= (1u << 20));
}

static void t_drop_then_ok(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	struct outcome o;
	struct tg_recon_counters k;
	enum fs_action s1[] = {FS_DROP};
	fault_case(s1, 1, FS_OK, &c, 3, 0, &o, &k);
	TG_CHECK_EQ_U64(k.conn_errors, 1);
	TG_CHECK_EQ_U64(k.retries, 1);
}

static void t_slow_timeout(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	c.timeout_ms = 300;
	c.max_retries = UINT32_MAX; /* no retries */
	srv.slow_ms = 1500;
	struct outcome o;
	struct tg_recon_counters k;
	fault_case(NULL, 0, FS_SLOW, &c, 2, -ETIMEDOUT, &o, &k);
	TG_CHECK_EQ_U64(k.timeouts, 1);
	TG_CHECK_EQ_U64(k.requests, 1);
	TG_CHECK(o.res.latency_ns >= 290000000ull); /* and no reply: the server waits 1.5 s */
}

static void t_inflight_parallel(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	c.max_inflight = 4;
	c.timeout_ms = 10000; /* the point is overlap, not speed, on a busy machine */
	srv.slow_ms = 300;
	fs_script(&srv, FS_SLOW, 0, NULL);
	atomic_store(&srv.max_busy, 0);
	struct tg_recon *r = client(&c);
	float x[4 * W];
	fill(x, 4, 9);
	uint64_t max_call = 0;
	for (int b = 0; b < 4; b++) {
		uint64_t t0 = tg_monotonic_ns();
		TG_CHECK_EQ_I64(tg_recon_submit(r, (uint64_t)b, x, 4), 0);
		uint64_t d = tg_monotonic_ns() - t0;
		max_call = d > max_call ? d : max_call;
	}
	struct tg_recon_result res[4];
	int got = 0;
	uint64_t end = tg_monotonic_ns() + 10000000000ull;
	while (got < 4 && tg_monotonic_ns() < end) {
		uint64_t t0 = tg_monotonic_ns();
		int k = tg_recon_poll_burst(r, res, 4);
		uint64_t d = tg_monotonic_ns() - t0;
		max_call = d > max_call ? d : max_call;
		for (int i = 0; i < k; i++)
			TG_CHECK_EQ_I64(res[i].status, 0);
		got += k;
		if (!k)
			tg_recon_wait(r, 20000000ull);
	}
	TG_CHECK_EQ_I64(got, 4);
	if (max_call > poll_bound_ns())
		TG_FAIL("a call took %.3f ms", max_call / 1e6);
	/* the four requests were on the wire together, not one after another */
	TG_CHECK(atomic_load(&srv.max_busy) >= 2);
	tg_recon_destroy(r);
}

static void t_split_payload(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	c.max_request_bytes = 3000; /* a window is ~700-900 bytes of JSON */
	struct outcome o;
	struct tg_recon_counters k;
	fault_case(NULL, 0, FS_OK, &c, 16, 0, &o, &k);
	TG_CHECK(k.requests >= 5);
	TG_CHECK_EQ_U64(k.requests, k.http_2xx);
	TG_CHECK(k.bytes_sent / k.requests <= 3000);
}

/* stand-in local model for the fallback: y = 0.5 x, like the server */
static int half_forward(void *ctx, const float *in, uint32_t n, float *out)
{
	(void)ctx;
	for (uint32_t i = 0; i < n * W; i++)
		out[i] = in[i] * 0.5f;
	return 0;
}

static uint16_t dead_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &al);
	close(fd); /* nobody listens there now */
	return ntohs(a.sin_port);
}

static void t_endpoint_down(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, dead_port(), url, sizeof(url));
	c.circuit_failures = 3;
	c.circuit_open_ms = 60000;
	struct tg_recon *r = client(&c);
	float x[4 * W];
	fill(x, 4, 1);
	struct outcome o;
	for (int b = 0; b < 6; b++) {
		run_batch(r, x, 4, (uint64_t)b, &o);
		TG_CHECK_EQ_I64(o.res.status, -ECONNREFUSED);
		TG_CHECK_EQ_U64(o.res.scored, 0);
		check_fast(&o);
	}
	struct tg_recon_counters k;
	tg_recon_counters(r, &k);
	TG_CHECK_EQ_U64(k.windows_unscored, 24);
	TG_CHECK_EQ_U64(k.windows_scored, 0);
	TG_CHECK_EQ_U64(k.conn_errors, 3); /* then the circuit opened */
	TG_CHECK_EQ_U64(k.circuit_open, 5);
	tg_recon_destroy(r);

	/* the same with a local fallback: everything scored, counted */
	struct tg_recon_local_config lc = {
	    .forward = half_forward, .window = W, .features = 1, .max_batch = 8};
	struct tg_recon *fb = NULL;
	TG_CHECK_EQ_I64(tg_recon_local_create(&lc, &fb), 0);
	c.fallback = fb;
	c.max_retries = 1;
	r = client(&c);
	for (int b = 0; b < 3; b++) {
		run_batch(r, x, 4, (uint64_t)b, &o);
		TG_CHECK_EQ_I64(o.res.status, -ECONNREFUSED);
		TG_CHECK_EQ_U64(o.res.scored, 4);
		TG_CHECK_EQ_U64(o.res.fallback, 4);
		float y[W];
		for (int t = 0; t < W; t++)
			y[t] = x[t] * 0.5f;
		TG_CHECK_NEAR(o.mse[0], tg_recon_mse(x, y, W), 0, 0);
	}
	tg_recon_counters(r, &k);
	TG_CHECK_EQ_U64(k.windows_fallback, 12);
	TG_CHECK_EQ_U64(k.windows_scored, 12);
	TG_CHECK_EQ_U64(k.windows_unscored, 0);
	tg_recon_destroy(r); /* destroys the fallback too */
}

/* 5xx opens the circuit; after circuit_open_ms one probe finds the server
 * back and scoring resumes. */
static void t_circuit_recovers(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	c.circuit_failures = 2;
	c.circuit_open_ms = 200;
	c.max_retries = UINT32_MAX;
	enum fs_action s2[] = {FS_503_GOOGLE, FS_503_GOOGLE};
	fs_script(&srv, FS_OK, 2, s2);
	struct tg_recon *r = client(&c);
	float x[2 * W];
	fill(x, 2, 4);
	struct outcome o;
	run_batch(r, x, 2, 0, &o);
	TG_CHECK_EQ_I64(o.res.status, -EIO);
	run_batch(r, x, 2, 1, &o);
	TG_CHECK_EQ_I64(o.res.status, -EIO);
	uint64_t t0 = tg_monotonic_ns();
	int fast_fails = 0;
	for (uint64_t tag = 2; tg_monotonic_ns() - t0 < 3000000000ull; tag++) {
		run_batch(r, x, 2, tag, &o);
		check_fast(&o);
		if (o.res.status == 0)
			break;
		TG_CHECK_EQ_I64(o.res.status, -ECONNREFUSED);
		fast_fails++;
		tg_recon_wait(r, 5000000ull);
	}
	uint64_t waited = tg_monotonic_ns() - t0;
	TG_CHECK_EQ_I64(o.res.status, 0);
	TG_CHECK(fast_fails > 0);
	TG_CHECK(waited >= 150000000ull);
	struct tg_recon_counters k;
	tg_recon_counters(r, &k);
	TG_CHECK_EQ_U64(k.requests, 3); /* two 503s and the probe: nothing while down */
	TG_CHECK_EQ_U64(k.circuit_open, (uint64_t)fast_fails);
	run_batch(r, x, 2, 999, &o); /* closed again */
	TG_CHECK_EQ_I64(o.res.status, 0);
	tg_recon_destroy(r);
}

static void t_auth_401_no_token_leak(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	setenv("TG_TEST_TOKEN", "ya29.SECRET-token-value", 1);
	c.auth = TG_AUTH_ENV;
	c.auth_arg = "TG_TEST_TOKEN";
	struct outcome o;
	struct tg_recon_counters k;
	fault_case(NULL, 0, FS_401, &c, 2, -EACCES, &o, &k);
	TG_CHECK_EQ_U64(k.http_4xx, 1);
	TG_CHECK_EQ_U64(k.requests, 1);
	pthread_mutex_lock(&srv.mu);
	TG_CHECK(strstr(srv.headers, "Authorization: Bearer ya29.SECRET-token-value\r\n") != NULL);
	pthread_mutex_unlock(&srv.mu);

	/* the explanation names the failure, never the token */
	struct tg_recon *r = client(&c);
	fs_script(&srv, FS_401, 0, NULL);
	float x[2 * W];
	fill(x, 2, 1);
	run_batch(r, x, 2, 1, &o);
	char why[256];
	TG_CHECK(tg_recon_last_error(r, why, sizeof(why)) > 0);
	TG_CHECK(strstr(why, "UNAUTHENTICATED") != NULL);
	TG_CHECK(strstr(why, "SECRET") == NULL);
	tg_recon_destroy(r);

	/* missing variable: counted auth failure, not a crash */
	c.auth_arg = "TG_TEST_TOKEN_UNSET";
	r = client(&c);
	run_batch(r, x, 2, 2, &o);
	TG_CHECK_EQ_I64(o.res.status, -EACCES);
	tg_recon_counters(r, &k);
	TG_CHECK_EQ_U64(k.auth_failures, 1);
	TG_CHECK_EQ_U64(k.requests, 0);
	tg_recon_destroy(r);
}

static void t_backpressure_and_destroy(void)
{
	char url[64];
	struct tg_recon_remote_config c;
	base_cfg(&c, srv.port, url, sizeof(url));
	c.max_pending = 3;
	srv.slow_ms = 5000;
	fs_script(&srv, FS_SLOW, 0, NULL);
	struct tg_recon *r = client(&c);
	float x[2 * W];
	fill(x, 2, 1);
	for (int b = 0; b < 3; b++)
		TG_CHECK_EQ_I64(tg_recon_submit(r, (uint64_t)b, x, 2), 0);
	uint64_t t0 = tg_monotonic_ns();
	TG_CHECK_EQ_I64(tg_recon_submit(r, 3, x, 2), -EAGAIN);
	TG_CHECK_EQ_I64(tg_recon_submit(r, 4, x, 33), -E2BIG);
	TG_CHECK(tg_monotonic_ns() - t0 < poll_bound_ns());
	struct tg_recon_counters k;
	tg_recon_counters(r, &k);
	TG_CHECK_EQ_U64(k.batches_rejected, 2);
	TG_CHECK_EQ_U64(k.pending, 3);
	/* destroy does not wait for the slow server */
	t0 = tg_monotonic_ns();
	tg_recon_destroy(r);
	TG_CHECK(tg_monotonic_ns() - t0 < 1000000000ull);
	srv.slow_ms = 2000;
}

/* A deliberately broken backend whose poll blocks like a synchronous HTTP
 * client would: the bound checker above must catch it. */
static int blk_submit(struct tg_recon *r, uint64_t tag, const float *w, uint32_t n)
{
	(void)r, (void)tag, (void)w, (void)n;
	return 0;
}
static double blk_mse[4];
static int blk_poll(struct tg_recon *r, struct tg_recon_result *res, uint32_t max)
{
	(void)r, (void)max;
	struct timespec ts = {0, 500000000}; /* "waiting for the server" */
	nanosleep(&ts, NULL);
	*res = (struct tg_recon_result){.tag = 5, .count = 4, .scored = 4, .mse = blk_mse};
	return 1;
}
static int blk_wait(struct tg_recon *r, uint64_t t)
{
	(void)r, (void)t;
	return 1;
}
static void blk_counters(struct tg_recon *r, struct tg_recon_counters *c)
{
	(void)r;
	memset(c, 0, sizeof(*c));
}
static size_t blk_err(struct tg_recon *r, char *b, size_t l)
{
	(void)r, (void)b, (void)l;
	return 0;
}
static void blk_destroy(struct tg_recon *r)
{
	(void)r;
}

static void t_checker_catches_blocking(void)
{
	static const struct tg_recon_ops ops = {blk_submit,   blk_poll, blk_wait,
	                                        blk_counters, blk_err,  blk_destroy};
	struct tg_recon r = {.ops = &ops, .window = W, .features = 1, .max_batch = 4};
	float x[4 * W] = {0};
	struct outcome o;
	run_batch(&r, x, 4, 5, &o);
	TG_CHECK(too_slow(&o)); /* the blocking poll is caught */
}

int main(void)
{
	if (fs_start(&srv) < 0) {
		fprintf(stderr, "cannot start the loopback test server\n");
		return 77;
	}
	tg_test_case("checker_catches_blocking", t_checker_catches_blocking);
	tg_test_case("ok_keepalive", t_ok_keepalive);
	tg_test_case("reply_forms", t_reply_forms);
	tg_test_case("retry_5xx", t_retry_5xx);
	tg_test_case("429_retry_after", t_429_retry_after);
	tg_test_case("no_retry_4xx_malformed", t_no_retry_4xx_malformed);
	tg_test_case("huge_body", t_huge_body);
	tg_test_case("drop_then_ok", t_drop_then_ok);
	tg_test_case("slow_timeout", t_slow_timeout);
	tg_test_case("inflight_parallel", t_inflight_parallel);
	tg_test_case("split_payload", t_split_payload);
	tg_test_case("endpoint_down", t_endpoint_down);
	tg_test_case("circuit_recovers", t_circuit_recovers);
	tg_test_case("auth_401_no_token_leak", t_auth_401_no_token_leak);
	tg_test_case("backpressure_and_destroy", t_backpressure_and_destroy);
	fs_stop(&srv);
	return tg_test_done();
}
