/* test_remote_request.c - what the remote client puts on the wire, per
 * flavour, against expectations written from the public API documentation:
 *  - Vertex AI online prediction: POST https://{LOCATION}-aiplatform.googleapis.com/v1/
 *    projects/{PROJECT}/locations/{LOCATION}/endpoints/{ENDPOINT_ID}:predict,
 *    "Authorization: Bearer $(gcloud auth print-access-token)",
 *    "Content-Type: application/json", body {"instances": [...]}; the reply
 *    {"predictions": [...], "deployedModelId": ..., "model": ..., ...}.
 *  - TF Serving REST: POST http://host:port/v1/models/${MODEL_NAME}[/versions/
 *    ${VERSION}]:predict, row format {"instances": [...]} -> {"predictions":
 *    [...]}; errors {"error": "<message>"}.
 * Also the reply parser's verdicts and the three token sources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "scorer/auth.h"
#include "scorer/recon.h"
#include "tests/test_remote_srv.h"
#include "tests/tg_test.h"

static void t_url_flavours(void)
{
	char buf[512];
	struct tg_recon_remote_config c = {
	    .flavour = TG_RECON_VERTEX,
	    .project = "my-project",
	    .location = "us-central1",
	    .endpoint_id = "1234567890",
	};
	TG_CHECK(tg_recon_remote_url(&c, buf, sizeof(buf)) > 0);
	TG_CHECK_STR(buf, "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/"
	                  "locations/us-central1/endpoints/1234567890:predict");
	c.location = "europe-west4";
	TG_CHECK(tg_recon_remote_url(&c, buf, sizeof(buf)) > 0);
	TG_CHECK_STR(buf, "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-project/"
	                  "locations/europe-west4/endpoints/1234567890:predict");
	c.endpoint_id = "12/../x"; /* would change the path */
	TG_CHECK_EQ_I64(tg_recon_remote_url(&c, buf, sizeof(buf)), -EINVAL);
	c.endpoint_id = NULL;
	TG_CHECK_EQ_I64(tg_recon_remote_url(&c, buf, sizeof(buf)), -EINVAL);

	c = (struct tg_recon_remote_config){.flavour = TG_RECON_TFSERVING,
	                                    .base_url = "http://localhost:8501/",
	                                    .model_name = "half_plus_two"};
	TG_CHECK(tg_recon_remote_url(&c, buf, sizeof(buf)) > 0);
	TG_CHECK_STR(buf, "http://localhost:8501/v1/models/half_plus_two:predict");
	c.model_version = 3;
	TG_CHECK(tg_recon_remote_url(&c, buf, sizeof(buf)) > 0);
	TG_CHECK_STR(buf, "http://localhost:8501/v1/models/half_plus_two/versions/3:predict");
	c.model_name = "a b";
	TG_CHECK_EQ_I64(tg_recon_remote_url(&c, buf, sizeof(buf)), -EINVAL);

	c = (struct tg_recon_remote_config){.flavour = TG_RECON_URL,
	                                    .url = "http://kserve.local/v1/models/ae:predict"};
	TG_CHECK(tg_recon_remote_url(&c, buf, sizeof(buf)) > 0);
	TG_CHECK_STR(buf, "http://kserve.local/v1/models/ae:predict");
	TG_CHECK_EQ_I64(tg_recon_remote_url(&c, buf, 10), -ENOSPC);
}

static void t_body(void)
{
	char *b = NULL;
	float w1[] = {0.5f, -1.25f, 3.0f, 0.1f, 1e-7f, -0.0f};
	long n = tg_recon_remote_body(w1, 2, 3, 1, &b);
	TG_CHECK(n > 0);
	TG_CHECK_STR(b,
	             "{\"instances\":[[[0.5],[-1.25],[3]],[[0.100000001],[1.00000001e-07],[-0]]]}");
	TG_CHECK_EQ_U64(n, strlen(b));
	free(b);
	float w2[] = {1, 2, 3, 4};
	TG_CHECK(tg_recon_remote_body(w2, 1, 2, 2, &b) > 0);
	TG_CHECK_STR(b, "{\"instances\":[[[1,2],[3,4]]]}");
	free(b);
	/* every float survives the text exactly */
	float w3[60];
	for (int i = 0; i < 60; i++)
		w3[i] = (float)(i * 0.0123456789 - 0.3) / 7.0f;
	TG_CHECK(tg_recon_remote_body(w3, 1, 60, 1, &b) > 0);
	cJSON *root = cJSON_Parse(b);
	cJSON *inst = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "instances"), 0);
	TG_CHECK_EQ_I64(cJSON_GetArraySize(inst), 60);
	int exact = 1;
	for (int i = 0; i < 60; i++)
		exact &=
		    (float)cJSON_GetArrayItem(cJSON_GetArrayItem(inst, i), 0)->valuedouble == w3[i];
	TG_CHECK(exact);
	cJSON_Delete(root);
	free(b);
}

static int parse(const char *body, uint32_t n, uint32_t w, uint32_t f, float *out, double *sc,
                 bool *so, char *why)
{
	return tg_recon_remote_parse(body, strlen(body), n, w, f, out, sc, so, why, 200);
}

static void t_parse(void)
{
	float out[8];
	double sc[4];
	bool so = false;
	char why[200];
	/* TF Serving row format and Vertex AI's extra fields */
	TG_CHECK_EQ_I64(
	    parse("{\"predictions\": [[[0.5], [0.25]], [[1], [2]]]}", 2, 2, 1, out, sc, &so, why),
	    0);
	TG_CHECK(!so);
	TG_CHECK_NEAR(out[1], 0.25, 0, 0);
	TG_CHECK_NEAR(out[3], 2, 0, 0);
	TG_CHECK_EQ_I64(parse("{\"predictions\": [[[7], [8]]], \"deployedModelId\": \"123\", "
	                      "\"model\": \"projects/1/locations/us-central1/models/2\", "
	                      "\"modelDisplayName\": \"ae\", \"modelVersionId\": \"1\"}",
	                      1, 2, 1, out, sc, &so, why),
	                0);
	TG_CHECK_NEAR(out[1], 8, 0, 0);
	/* flat per-instance form for one feature; scores instead of arrays */
	TG_CHECK_EQ_I64(parse("{\"predictions\": [[1.5, 2.5]]}", 1, 2, 1, out, sc, &so, why), 0);
	TG_CHECK_NEAR(out[1], 2.5, 0, 0);
	TG_CHECK_EQ_I64(parse("{\"predictions\": [0.5, 0.75]}", 2, 2, 1, out, sc, &so, why), 0);
	TG_CHECK(so);
	TG_CHECK_NEAR(sc[1], 0.75, 0, 0);

	static const struct {
		const char *body;
		const char *why;
	} bad[] = {
	    {"", "not JSON"},
	    {"{\"predictions\": [[[1],[2]]", "not JSON"},
	    {"[1,2]", "not a JSON object"},
	    {"{\"outputs\": []}", "no \"predictions\""},
	    {"{\"predictions\": [[[1],[2]]]}", "1 predictions for 2 instances"},
	    {"{\"predictions\": [[[1]], [[1],[2]]]}", "prediction 0 is not an array of 2"},
	    {"{\"predictions\": [[[1],[2],[3]], [[1],[2]]]}", "prediction 0"},
	    {"{\"predictions\": [[[1],[\"x\"]], [[1],[2]]]}", "step 1"},
	    {"{\"predictions\": [[[1],[null]], [[1],[2]]]}", "step 1"},
	    {"{\"predictions\": [[[1],[2,3]], [[1],[2]]]}", "step 1"},
	    {"{\"predictions\": [0.5, [[1],[2]]]}", "mix"},
	    {"{\"error\": \"Input to reshape is a tensor with 59 values\"}",
	     "error body: Input to reshape"},
	    {"{\"error\": {\"code\": 429, \"message\": \"Quota exceeded\", \"status\": "
	     "\"RESOURCE_EXHAUSTED\"}}",
	     "RESOURCE_EXHAUSTED 429 Quota exceeded"},
	    {"\x01\x02\xff binary", "not JSON"},
	};
	for (size_t i = 0; i < TG_ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		int rc = parse(bad[i].body, 2, 2, 1, out, sc, &so, why);
		if (rc != -EPROTO || !strstr(why, bad[i].why))
			TG_FAIL("bad reply %zu: rc %d, why \"%s\", wanted \"%s\"", i, rc, why,
			        bad[i].why);
	}
}

static const char *tmpdir(void)
{
	static char d[64];
	if (!d[0]) {
		snprintf(d, sizeof(d), "/tmp/tg_remote_req.XXXXXX");
		if (!mkdtemp(d))
			TG_SKIP("no temporary directory");
	}
	return d;
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	fputs(s, f);
	fclose(f);
}

static void t_auth_sources(void)
{
	char h[9000], why[200], path[128], cmd[300];
	struct tg_auth *a = NULL;
	uint64_t now = 1000000000ull;

	TG_CHECK_EQ_I64(tg_auth_create(TG_AUTH_NONE, NULL, 0, &a), 0);
	TG_CHECK_EQ_I64(tg_auth_header(a, now, h, sizeof(h), why, sizeof(why)), 0);
	tg_auth_destroy(a);

	setenv("TG_REQ_TOKEN", "ya29.abc-DEF_123\n", 1);
	TG_CHECK_EQ_I64(tg_auth_create(TG_AUTH_ENV, "TG_REQ_TOKEN", 0, &a), 0);
	TG_CHECK(tg_auth_header(a, now, h, sizeof(h), why, sizeof(why)) > 0);
	TG_CHECK_STR(h, "Authorization: Bearer ya29.abc-DEF_123");
	tg_auth_destroy(a);

	/* file: re-read when it changes */
	snprintf(path, sizeof(path), "%s/token", tmpdir());
	write_file(path, "first-token\n");
	TG_CHECK_EQ_I64(tg_auth_create(TG_AUTH_FILE, path, 0, &a), 0);
	TG_CHECK(tg_auth_header(a, now, h, sizeof(h), why, sizeof(why)) > 0);
	TG_CHECK_STR(h, "Authorization: Bearer first-token");
	write_file(path, "the-second-token\n");
	TG_CHECK(tg_auth_header(a, now, h, sizeof(h), why, sizeof(why)) > 0);
	TG_CHECK_STR(h, "Authorization: Bearer the-second-token");
	/* a token that would inject a header is refused, and not echoed */
	write_file(path, "evil\r\nX-Injected: 1\n");
	long rc = tg_auth_header(a, now, h, sizeof(h), why, sizeof(why));
	TG_CHECK_EQ_I64(rc, -EBADMSG);
	TG_CHECK(strstr(why, "evil") == NULL);
	tg_auth_destroy(a);

	/* command: run once, re-run only when the refresh time has passed */
	snprintf(path, sizeof(path), "%s/cmdtok", tmpdir());
	write_file(path, "cmd-token-1\n");
	snprintf(cmd, sizeof(cmd), "cat %s", path);
	TG_CHECK_EQ_I64(tg_auth_create(TG_AUTH_COMMAND, cmd, 100, &a), 0);
	TG_CHECK(tg_auth_header(a, now, h, sizeof(h), why, sizeof(why)) > 0);
	TG_CHECK_STR(h, "Authorization: Bearer cmd-token-1");
	write_file(path, "cmd-token-2\n");
	TG_CHECK(tg_auth_header(a, now + 50000000000ull, h, sizeof(h), why, sizeof(why)) > 0);
	TG_CHECK_STR(h, "Authorization: Bearer cmd-token-1"); /* not yet due */
	TG_CHECK(tg_auth_header(a, now + 101000000000ull, h, sizeof(h), why, sizeof(why)) > 0);
	TG_CHECK_STR(h, "Authorization: Bearer cmd-token-2");
	/* the command starts failing: the young token carries on, then it stops */
	unlink(path);
	TG_CHECK(tg_auth_header(a, now + 202000000000ull, h, sizeof(h), why, sizeof(why)) > 0);
	TG_CHECK_STR(h, "Authorization: Bearer cmd-token-2");
	rc = tg_auth_header(a, now + 230000000000ull, h, sizeof(h), why, sizeof(why));
	TG_CHECK_EQ_I64(rc, -EACCES);
	TG_CHECK(strstr(why, "exit status 1") != NULL);
	tg_auth_destroy(a);

	TG_CHECK_EQ_I64(tg_auth_create(TG_AUTH_FILE, NULL, 0, &a), -EINVAL);
}

/* The TF Serving flavour on the wire, captured by the loopback server. */
static void t_on_the_wire(void)
{
	struct fsrv s;
	if (fs_start(&s) < 0)
		TG_SKIP("cannot listen on loopback");
	char base[64], path[128];
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", s.port);
	snprintf(path, sizeof(path), "%s/wiretok", tmpdir());
	write_file(path, "wire-token-42\n");
	const char *extra[] = {"X-Goog-User-Project: my-project", "X-Request-Source: tickguard",
	                       NULL};
	struct tg_recon_remote_config c = {
	    .flavour = TG_RECON_TFSERVING,
	    .base_url = base,
	    .model_name = "ae",
	    .model_version = 3,
	    .headers = extra,
	    .auth = TG_AUTH_FILE,
	    .auth_arg = path,
	    .window = 60,
	    .features = 1,
	    .seed = 1,
	};
	struct tg_recon *r = NULL;
	TG_CHECK_EQ_I64(tg_recon_remote_create(&c, &r), 0);
	float x[2 * 60];
	for (int i = 0; i < 120; i++)
		x[i] = (float)i / 100.0f - 0.5f;
	TG_CHECK_EQ_I64(tg_recon_submit(r, 1, x, 2), 0);
	struct tg_recon_result res;
	int got = 0;
	for (int i = 0; i < 500 && !got; i++) {
		got = tg_recon_poll_burst(r, &res, 1);
		if (!got)
			tg_recon_wait(r, 20000000ull);
	}
	TG_CHECK_EQ_I64(got, 1);
	TG_CHECK_EQ_I64(res.status, 0);
	char *want = NULL;
	long wl = tg_recon_remote_body(x, 2, 60, 1, &want);
	pthread_mutex_lock(&s.mu);
	TG_CHECK_STR(s.method, "POST");
	TG_CHECK_STR(s.path, "/v1/models/ae/versions/3:predict");
	TG_CHECK(strstr(s.headers, "\r\nHost: 127.0.0.1:") != NULL);
	TG_CHECK(strstr(s.headers, "\r\nContent-Type: application/json\r\n") != NULL);
	TG_CHECK(strstr(s.headers, "\r\nAccept: application/json\r\n") != NULL);
	TG_CHECK(strstr(s.headers, "\r\nAuthorization: Bearer wire-token-42\r\n") != NULL);
	TG_CHECK(strstr(s.headers, "\r\nX-Goog-User-Project: my-project\r\n") != NULL);
	TG_CHECK(strstr(s.headers, "\r\nX-Request-Source: tickguard\r\n") != NULL);
	TG_CHECK(strstr(s.headers, "100-continue") == NULL);
	TG_CHECK(strstr(s.headers, "HTTP/1.1\r\n") != NULL);
	TG_CHECK_EQ_U64(s.body_len, (uint64_t)wl);
	TG_CHECK_STR(s.body, want);
	pthread_mutex_unlock(&s.mu);
	free(want);
	tg_recon_destroy(r);

	/* a header with a line break is refused at create */
	const char *evil[] = {"X-A: 1\r\nX-B: 2", NULL};
	c.headers = evil;
	TG_CHECK_EQ_I64(tg_recon_remote_create(&c, &r), -EINVAL);
	fs_stop(&s);
}

static void t_options(void)
{
	struct tg_recon_remote_config c = {0};
	char buf[512];
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "project=p1"), 0);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "location=us-east4"), 0);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "endpoint=987"), 0);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "auth-command=gcloud auth print-access-token"),
	                0);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "timeout-ms=250"), 0);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "retries=0"), 0);
	TG_CHECK(tg_recon_remote_url(&c, buf, sizeof(buf)) > 0);
	TG_CHECK_STR(buf, "https://us-east4-aiplatform.googleapis.com/v1/projects/p1/locations/"
	                  "us-east4/endpoints/987:predict");
	TG_CHECK_EQ_I64(c.auth, TG_AUTH_COMMAND);
	TG_CHECK_STR(c.auth_arg, "gcloud auth print-access-token");
	TG_CHECK_EQ_U64(c.timeout_ms, 250);
	TG_CHECK_EQ_U64(c.max_retries, UINT32_MAX);
	c = (struct tg_recon_remote_config){0};
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "base-url=http://10.0.0.5:8501"), 0);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "model=ae"), 0);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "version=4"), 0);
	TG_CHECK(tg_recon_remote_url(&c, buf, sizeof(buf)) > 0);
	TG_CHECK_STR(buf, "http://10.0.0.5:8501/v1/models/ae/versions/4:predict");
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "colour=blue"), -ENOENT);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "timeout-ms=-1"), -EINVAL);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "timeout-ms=12x"), -EINVAL);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "url"), -EINVAL);
	TG_CHECK_EQ_I64(tg_recon_remote_option(&c, "url="), -EINVAL);
}

int main(void)
{
	tg_test_case("url_flavours", t_url_flavours);
	tg_test_case("body", t_body);
	tg_test_case("parse", t_parse);
	tg_test_case("auth_sources", t_auth_sources);
	tg_test_case("on_the_wire", t_on_the_wire);
	tg_test_case("options", t_options);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir());
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir());
	return tg_test_done();
}
