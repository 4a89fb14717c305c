/* recon_remote.c - the V1 prediction client (Vertex AI, TF Serving, KServe,
 * `tickguard serve`). The caller's thread only copies windows into a
 * preallocated job and hands it over under a short mutex; one I/O thread
 * owns curl (multi interface: keep-alive connection cache, HTTP/2 over TLS
 * where offered), splits jobs into requests of at most max_request_bytes,
 * retries with backoff, parses replies and hands finished jobs back. So a
 * slow or dead endpoint costs the scorer nothing but unscored windows.
 *
 * Failure policy: connection errors, timeouts, 429 and 5xx are retried
 * (exponential backoff with jitter, Retry-After honoured) until max_retries
 * or the batch deadline; other 4xx and malformed replies fail at once.
 * After circuit_failures consecutive connection/timeout/5xx failures the
 * endpoint is marked down for circuit_open_ms: requests fail immediately
 * (to the fallback, if any) instead of piling up; then one probe request
 * decides whether it is back.
 */
#include <cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tg_common.h"
#include "scorer/auth.h"
#include "scorer/recon.h"

/* ---- counters ---------------------------------------------------------- */

#define TG_RECON_COUNTERS(X)                                                                       \
	X(batches_submitted)                                                                       \
	X(batches_rejected)                                                                        \
	X(windows_submitted)                                                                       \
	X(windows_scored)                                                                          \
	X(windows_unscored)                                                                        \
	X(windows_fallback)                                                                        \
	X(requests)                                                                                \
	X(retries)                                                                                 \
	X(timeouts)                                                                                \
	X(conn_errors)                                                                             \
	X(http_2xx)                                                                                \
	X(http_429)                                                                                \
	X(http_4xx)                                                                                \
	X(http_5xx)                                                                                \
	X(http_other)                                                                              \
	X(malformed)                                                                               \
	X(error_bodies)                                                                            \
	X(auth_failures)                                                                           \
	X(circuit_open)                                                                            \
	X(bytes_sent)                                                                              \
	X(bytes_received)                                                                          \
	X(pending)                                                                                 \
	X(inflight)

enum {
#define X(n) C_##n,
	TG_RECON_COUNTERS(X)
#undef X
	    C_COUNT
};

/* ---- growable text buffer ---------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_reserve(struct sbuf *b, size_t more)
{
	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_float(struct sbuf *b, float v)
{
	sb_reserve(b, 32);
	if (b->oom)
		return;
	int n = snprintf(b->p + b->len, 32, "%.9g", (double)v);
	b->len += (size_t)n;
}

static void sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* One window as [[v],[v],...] (features values per step). */
static void sb_window(struct sbuf *b, const float *w, uint32_t window, uint32_t features)
{
	sb_put(b, "[", 1);
	for (uint32_t t = 0; t < window; t++) {
		sb_put(b, t ? ",[" : "[", t ? 2 : 1);
		for (uint32_t f = 0; f < features; f++) {
			if (f)
				sb_put(b, ",", 1);
			sb_float(b, w[(size_t)t * features + f]);
		}
		sb_put(b, "]", 1);
	}
	sb_put(b, "]", 1);
}

#define BODY_HEAD "{\"instances\":["
#define BODY_TAIL "]}"

long tg_recon_remote_body(const float *windows, uint32_t n, uint32_t window, uint32_t features,
                          char **body)
{
	struct sbuf b = {0};
	size_t per = (size_t)window * features;
	sb_put(&b, BODY_HEAD, strlen(BODY_HEAD));
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			sb_put(&b, ",", 1);
		sb_window(&b, windows + i * per, window, features);
	}
	sb_put(&b, BODY_TAIL, strlen(BODY_TAIL));
	if (b.oom) {
		sb_free(&b);
		return -ENOMEM;
	}
	*body = b.p;
	return (long)b.len;
}

/* ---- URL --------------------------------------------------------------- */

static int url_safe(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '/' ||
		    *s == '?' || *s == '#')
			return 0;
	return 1;
}

int tg_recon_remote_url(const struct tg_recon_remote_config *cfg, char *buf, size_t len)
{
	int n;
	switch (cfg->flavour) {
	case TG_RECON_URL:
		if (!cfg->url || !*cfg->url)
			return -EINVAL;
		n = snprintf(buf, len, "%s", cfg->url);
		break;
	case TG_RECON_VERTEX:
		if (!url_safe(cfg->project) || !url_safe(cfg->location) ||
		    !url_safe(cfg->endpoint_id))
			return -EINVAL;
		n = snprintf(buf, len,
		             "https://%s-aiplatform.googleapis.com/v1/projects/%s/locations/%s/"
		             "endpoints/%s:predict",
		             cfg->location, cfg->project, cfg->location, cfg->endpoint_id);
		break;
	case TG_RECON_TFSERVING: {
		if (!cfg->base_url || !*cfg->base_url || !url_safe(cfg->model_name))
			return -EINVAL;
		size_t bl = strlen(cfg->base_url);
		while (bl && cfg->base_url[bl - 1] == '/')
			bl--;
		if (cfg->model_version)
			n = snprintf(buf, len, "%.*s/v1/models/%s/versions/%u:predict", (int)bl,
			             cfg->base_url, cfg->model_name, cfg->model_version);
		else
			n = snprintf(buf, len, "%.*s/v1/models/%s:predict", (int)bl, cfg->base_url,
			             cfg->model_name);
		break;
	}
	default:
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

/* ---- options ------------------------------------------------------------ */

int tg_recon_remote_option(struct tg_recon_remote_config *cfg, const char *kv)
{
	const char *eq = kv ? strchr(kv, '=') : NULL;
	if (!eq || eq == kv)
		return -EINVAL;
	size_t kl = (size_t)(eq - kv);
	const char *v = eq + 1;
#define KEY(k) (kl == sizeof(k) - 1 && !memcmp(kv, k, kl))
	static const struct {
		const char *key;
		size_t off;
	} nums[] = {
	    {"version", offsetof(struct tg_recon_remote_config, model_version)},
	    {"auth-refresh-s", offsetof(struct tg_recon_remote_config, auth_refresh_s)},
	    {"timeout-ms", offsetof(struct tg_recon_remote_config, timeout_ms)},
	    {"connect-timeout-ms", offsetof(struct tg_recon_remote_config, connect_timeout_ms)},
	    {"deadline-ms", offsetof(struct tg_recon_remote_config, deadline_ms)},
	    {"retries", offsetof(struct tg_recon_remote_config, max_retries)},
	    {"max-inflight", offsetof(struct tg_recon_remote_config, max_inflight)},
	    {"max-pending", offsetof(struct tg_recon_remote_config, max_pending)},
	    {"max-request-bytes", offsetof(struct tg_recon_remote_config, max_request_bytes)},
	    {"max-reply-bytes", offsetof(struct tg_recon_remote_config, max_reply_bytes)},
	    {"circuit-failures", offsetof(struct tg_recon_remote_config, circuit_failures)},
	    {"circuit-open-ms", offsetof(struct tg_recon_remote_config, circuit_open_ms)},
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (kl != strlen(nums[i].key) || memcmp(kv, nums[i].key, kl))
			continue;
		char *end;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (!*v || *end || errno || n > UINT32_MAX || *v == '-')
			return -EINVAL;
		/* retries=0 means none (0 in the struct means the default) */
		if (!strcmp(nums[i].key, "retries") && n == 0)
			n = UINT32_MAX;
		if (!strcmp(nums[i].key, "version"))
			cfg->flavour = TG_RECON_TFSERVING;
		memcpy((char *)cfg + nums[i].off, &(uint32_t){(uint32_t)n}, sizeof(uint32_t));
		return 0;
	}
	if (!*v)
		return -EINVAL;
	if (KEY("url")) {
		cfg->flavour = TG_RECON_URL;
		cfg->url = v;
	} else if (KEY("base-url")) {
		cfg->flavour = TG_RECON_TFSERVING;
		cfg->base_url = v;
	} else if (KEY("model")) {
		cfg->flavour = TG_RECON_TFSERVING;
		cfg->model_name = v;
	} else if (KEY("project")) {
		cfg->flavour = TG_RECON_VERTEX;
		cfg->project = v;
	} else if (KEY("location")) {
		cfg->flavour = TG_RECON_VERTEX;
		cfg->location = v;
	} else if (KEY("endpoint")) {
		cfg->flavour = TG_RECON_VERTEX;
		cfg->endpoint_id = v;
	} else if (KEY("auth-env")) {
		cfg->auth = TG_AUTH_ENV;
		cfg->auth_arg = v;
	} else if (KEY("auth-file")) {
		cfg->auth = TG_AUTH_FILE;
		cfg->auth_arg = v;
	} else if (KEY("auth-command")) {
		cfg->auth = TG_AUTH_COMMAND;
		cfg->auth_arg = v;
	} else {
		return -ENOENT;
	}
#undef KEY
	return 0;
}

/* ---- reply parsing ----------------------------------------------------- */

/* A short printable excerpt of outside bytes for an error message. */
static void excerpt(const char *s, size_t len, char *out, size_t out_len)
{
	size_t k = 0;
	for (size_t i = 0; i < len && k + 4 < out_len && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];
		out[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
	}
	if (len > 60 && k + 4 < out_len) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	if (out_len)
		out[k < out_len ? k : out_len - 1] = '\0';
}

/* Outside text in our messages: control bytes become '.', so a server
 * cannot forge log lines. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '.';
}

/* The message of an error body, TF Serving {"error": "..."} or Google
 * {"error": {"code", "message", "status"}}; 1 if it is one. */
static int error_body_message(const cJSON *root, char *out, size_t out_len)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (!e)
		return 0;
	if (cJSON_IsString(e)) {
		snprintf(out, out_len, "%.160s", e->valuestring);
		printable(out);
		return 1;
	}
	if (cJSON_IsObject(e)) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "status");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
		double cd = cJSON_IsNumber(code) ? code->valuedouble : 0.0;
		snprintf(out, out_len, "%.40s%s%d %.160s",
		         cJSON_IsString(st) ? st->valuestring : "", cJSON_IsString(st) ? " " : "",
		         cd > 0 && cd < 1000 ? (int)cd : 0,
		         cJSON_IsString(msg) ? msg->valuestring : "");
		printable(out);
		return 1;
	}
	snprintf(out, out_len, "(error field of unexpected type)");
	return 1;
}

static int num_to_float(const cJSON *v, float *out)
{
	if (!cJSON_IsNumber(v))
		return 0;
	*out = (float)v->valuedouble;
	return 1;
}

int tg_recon_remote_parse(const char *body, size_t len, uint32_t n, uint32_t window,
                          uint32_t features, float *recon, double *scores, bool *scores_only,
                          char *why, size_t why_len)
{
	char ex[80], msg[200];
	int rc = -EPROTO;
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!root) {
		excerpt(body, len, ex, sizeof(ex));
		snprintf(why, why_len, "reply is not JSON (%zu bytes: \"%s\")", len, ex);
		return -EPROTO;
	}
	if (!cJSON_IsObject(root)) {
		snprintf(why, why_len, "reply is not a JSON object");
		goto out;
	}
	if (error_body_message(root, msg, sizeof(msg))) {
		snprintf(why, why_len, "error body: %s", msg);
		goto out;
	}
	const cJSON *pred = cJSON_GetObjectItemCaseSensitive(root, "predictions");
	if (!cJSON_IsArray(pred)) {
		snprintf(why, why_len, "reply has no \"predictions\" array");
		goto out;
	}
	int got = cJSON_GetArraySize(pred);
	if (got != (int)n) {
		snprintf(why, why_len, "reply has %d predictions for %u instances", got, n);
		goto out;
	}
	size_t per = (size_t)window * features;
	int mode = -1; /* 0 reconstructions, 1 scores */
	uint32_t i = 0;
	const cJSON *inst;
	cJSON_ArrayForEach(inst, pred)
	{
		if (cJSON_IsNumber(inst)) {
			if (mode == 0)
				goto mixed;
			mode = 1;
			scores[i++] = inst->valuedouble;
			continue;
		}
		if (mode == 1)
			goto mixed;
		mode = 0;
		if (!cJSON_IsArray(inst) || cJSON_GetArraySize(inst) != (int)window) {
			snprintf(
			    why, why_len,
			    "prediction %u is not an array of %u steps (expected shape [%u,%u])", i,
			    window, window, features);
			goto out;
		}
		float *o = recon + i * per;
		uint32_t t = 0;
		const cJSON *step;
		cJSON_ArrayForEach(step, inst)
		{
			if (features == 1 && cJSON_IsNumber(step)) {
				o[t] = (float)step->valuedouble;
			} else if (cJSON_IsArray(step) &&
			           cJSON_GetArraySize(step) == (int)features) {
				uint32_t f = 0;
				const cJSON *v;
				cJSON_ArrayForEach(v, step)
				{
					if (!num_to_float(v, &o[(size_t)t * features + f])) {
						snprintf(why, why_len,
						         "prediction %u step %u value %u is not a "
						         "number",
						         i, t, f);
						goto out;
					}
					f++;
				}
			} else {
				snprintf(
				    why, why_len,
				    "prediction %u step %u is not %u number(s) (expected shape "
				    "[%u,%u])",
				    i, t, features, window, features);
				goto out;
			}
			t++;
		}
		i++;
	}
	*scores_only = mode == 1;
	rc = 0;
	goto out;
mixed:
	snprintf(why, why_len, "predictions mix numbers and arrays (at %u)", i);
out:
	cJSON_Delete(root);
	return rc;
}

/* ---- the client -------------------------------------------------------- */

struct job {
	uint64_t tag;
	uint32_t n;
	uint32_t parts_left; /* requests not finished (I/O thread) */
	int32_t status;
	uint32_t http_status, attempts, fallback, scored;
	uint64_t submit_ns, deadline_ns, done_ns;
	float *win; /* [max_batch][per] */
	float *rec; /* [max_batch][per] */
	double *mse;
};

struct req {
	struct req *next;
	struct job *job;
	uint32_t first, n;
	uint32_t attempt;
	uint64_t due_ns;
	struct sbuf body;
	struct sbuf reply;
	size_t reply_limit;
	int too_big;
	uint32_t slot; /* index of its easy handle while on the wire */
	CURL *easy;
	struct curl_slist *hdrs;
};

struct remote {
	struct tg_recon base; /* first: the caller's handle */
	struct tg_recon_remote_config cfg;
	char url[2048];
	char url_shown[512]; /* for error messages: no query string */
	char **headers;
	size_t per; /* floats per window */

	/* caller thread */
	struct job *jobs;
	struct job **free_jobs;
	uint32_t n_free;
	struct job **polled;
	uint32_t n_polled;

	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job **subq; /* ring of max_pending */
	uint32_t sub_head, sub_len;
	struct job **doneq;
	uint32_t done_head, done_len;
	uint32_t outstanding; /* submitted, not yet in doneq */
	int stop;
	char last_error[256];

	/* I/O thread */
	pthread_t thread;
	CURLM *multi;
	CURL **easy;         /* max_inflight handles, reused (keep-alive) */
	struct req **onwire; /* [slot]: the request using easy[slot], or NULL */
	uint32_t *slot_free;
	uint32_t n_slot_free;
	struct req *waiting; /* not on the wire: new or retry scheduled */
	uint32_t inflight;
	struct tg_auth *auth;
	uint64_t rng;
	uint32_t consecutive_failures;
	uint64_t circuit_until_ns; /* 0 closed; else down until, then half-open */
	int probe_inflight;

	/* statistics: relaxed atomics. They pair with nothing: each is a
	 * monotonic count (or a gauge) read as an unsynchronised snapshot. */
	_Atomic uint64_t ctr[C_COUNT];
};

static void ctr_add(struct remote *r, int i, uint64_t v)
{
	atomic_fetch_add_explicit(&r->ctr[i], v, memory_order_relaxed);
}

static void ctr_sub(struct remote *r, int i, uint64_t v)
{
	atomic_fetch_sub_explicit(&r->ctr[i], v, memory_order_relaxed);
}

static void set_error(struct remote *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct remote *r, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&r->mu);
	memcpy(r->last_error, buf, sizeof(buf));
	pthread_mutex_unlock(&r->mu);
}

static uint64_t rng_next(struct remote *r)
{
	/* xorshift64* */
	uint64_t x = r->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* A job is complete: hand it to the caller. I/O thread. */
static void job_complete(struct remote *r, struct job *j)
{
	j->done_ns = tg_monotonic_ns();
	uint32_t scored = 0;
	for (uint32_t i = 0; i < j->n; i++)
		scored += !isnan(j->mse[i]);
	j->scored = scored;
	ctr_add(r, C_windows_scored, scored);
	ctr_add(r, C_windows_unscored, j->n - scored);
	ctr_add(r, C_windows_fallback, j->fallback);
	pthread_mutex_lock(&r->mu);
	uint32_t cap = r->cfg.max_pending;
	r->doneq[(r->done_head + r->done_len) % cap] = j;
	r->done_len++;
	r->outstanding--;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void req_free(struct req *q)
{
	sb_free(&q->body);
	sb_free(&q->reply);
	curl_slist_free_all(q->hdrs);
	free(q);
}

/* Finish a request for good: success already wrote mse, failure (status
 * < 0) scores its windows with the fallback or leaves them NaN. */
static void req_finish(struct remote *r, struct req *q, int status)
{
	struct job *j = q->job;
	if (status < 0) {
		if (j->status == 0)
			j->status = status;
		/* a reply rejected half-way may have written some scores */
		for (uint32_t i = 0; i < q->n; i++)
			j->mse[q->first + i] = NAN;
		struct tg_recon *fb = r->cfg.fallback;
		uint32_t done = 0;
		while (fb && done < q->n) {
			uint32_t k = q->n - done;
			if (k > fb->max_batch)
				k = fb->max_batch;
			struct tg_recon_result res;
			if (tg_recon_submit(fb, 0, j->win + (size_t)(q->first + done) * r->per,
			                    k) != 0 ||
			    tg_recon_poll_burst(fb, &res, 1) != 1)
				break;
			for (uint32_t i = 0; i < k; i++) {
				j->mse[q->first + done + i] = res.mse[i];
				j->fallback += !isnan(res.mse[i]);
				if (r->cfg.keep_recon && res.recon)
					memcpy(j->rec + (size_t)(q->first + done + i) * r->per,
					       res.recon + (size_t)i * r->per,
					       r->per * sizeof(float));
			}
			done += k;
		}
	}
	if (--j->parts_left == 0)
		job_complete(r, j);
	req_free(q);
}

/* Reply bytes; a reply over max_reply_bytes aborts the transfer. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct req *q = ud;
	size_t n = size * nmemb;
	if (q->reply.len + n > q->reply_limit) {
		q->too_big = 1;
		return 0; /* abort: CURLE_WRITE_ERROR */
	}
	sb_put(&q->reply, data, n);
	return q->reply.oom ? 0 : n;
}

/* Put one request on the wire. 0 or -errno (then the caller fails it). */
static int req_start(struct remote *r, struct req *q, uint64_t now)
{
	char auth_line[TG_AUTH_TOKEN_MAX + 64];
	char why[200];
	long al = tg_auth_header(r->auth, now, auth_line, sizeof(auth_line), why, sizeof(why));
	if (al < 0) {
		ctr_add(r, C_auth_failures, 1);
		set_error(r, "%s", why);
		return -EACCES;
	}
	curl_slist_free_all(q->hdrs);
	q->hdrs = NULL;
	struct curl_slist *h = NULL, *t;
#define ADDH(s)                                                                                    \
	do {                                                                                       \
		if (!(t = curl_slist_append(h, (s))))                                              \
			goto oom;                                                                  \
		h = t;                                                                             \
	} while (0)
	ADDH("Content-Type: application/json");
	ADDH("Accept: application/json");
	ADDH("Expect:"); /* no 100-continue round trip */
	for (char **x = r->headers; x && *x; x++)
		ADDH(*x);
	if (al > 0)
		ADDH(auth_line);
#undef ADDH
	explicit_bzero(auth_line, sizeof(auth_line));
	q->hdrs = h;
	uint32_t slot = r->slot_free[--r->n_slot_free];
	CURL *e = r->easy[slot];
	q->easy = e;
	q->slot = slot;
	q->reply.len = 0;
	q->reply_limit = r->cfg.max_reply_bytes;
	q->too_big = 0;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdrs);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body.p);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body.len);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	if (curl_multi_add_handle(r->multi, e) != CURLM_OK) {
		r->slot_free[r->n_slot_free++] = slot;
		q->easy = NULL;
		return -EIO;
	}
	r->onwire[slot] = q;
	r->inflight++;
	ctr_add(r, C_inflight, 1);
	ctr_add(r, C_requests, 1);
	ctr_add(r, C_bytes_sent, q->body.len);
	if (q->attempt)
		ctr_add(r, C_retries, 1);
	q->job->attempts++;
	q->attempt++;
	return 0;
oom:
	explicit_bzero(auth_line, sizeof(auth_line));
	curl_slist_free_all(h);
	return -ENOMEM;
}

static void waiting_push(struct remote *r, struct req *q)
{
	q->next = r->waiting;
	r->waiting = q;
}

/* Split a new job into requests within max_request_bytes. */
static void job_split(struct remote *r, struct job *j, uint64_t now)
{
	struct sbuf w = {0};
	struct req *q = NULL;
	size_t head = strlen(BODY_HEAD), tail = strlen(BODY_TAIL);
	j->parts_left = 1; /* guard: held until all parts are queued */
	for (uint32_t i = 0; i < j->n; i++) {
		w.len = 0;
		sb_window(&w, j->win + (size_t)i * r->per, r->base.window, r->base.features);
		if (w.oom)
			break;
		if (q && q->body.len + 1 + w.len + tail > r->cfg.max_request_bytes) {
			sb_put(&q->body, BODY_TAIL, tail);
			waiting_push(r, q);
			q = NULL;
		}
		if (!q) {
			q = calloc(1, sizeof(*q));
			if (!q)
				break;
			q->job = j;
			q->first = i;
			q->due_ns = now;
			sb_put(&q->body, BODY_HEAD, head);
			j->parts_left++;
		} else {
			sb_put(&q->body, ",", 1);
		}
		sb_put(&q->body, w.p, w.len);
		q->n++;
	}
	if (q) {
		sb_put(&q->body, BODY_TAIL, tail);
		waiting_push(r, q);
	}
	sb_free(&w);
	/* windows never placed in a request (out of memory) stay NaN */
	uint32_t placed = 0;
	for (struct req *x = r->waiting; x; x = x->next)
		if (x->job == j)
			placed += x->n;
	if (placed < j->n) {
		if (j->status == 0)
			j->status = -ENOMEM;
		set_error(r, "out of memory building a request");
	}
	/* a window that alone exceeds the limit still goes out alone: the
	 * server will answer 413/400 and that is counted */
	if (--j->parts_left == 0)
		job_complete(r, j);
}

static int retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static int curl_status(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	default:
		return -EIO;
	}
}

/* Failure of one attempt: schedule a retry or finish the request. */
static void attempt_failed(struct remote *r, struct req *q, int status, int retry,
                           uint64_t retry_after_ms, int circuit)
{
	uint64_t now = tg_monotonic_ns();
	if (circuit) {
		if (++r->consecutive_failures >= r->cfg.circuit_failures &&
		    r->cfg.circuit_failures != UINT32_MAX) {
			if (!r->circuit_until_ns)
				set_error(r, "endpoint %s marked down for %u ms after %u failures",
				          r->url_shown, r->cfg.circuit_open_ms,
				          r->consecutive_failures);
			r->circuit_until_ns = now + (uint64_t)r->cfg.circuit_open_ms * 1000000ull;
		}
	}
	/* the endpoint is marked down: no point in retrying now */
	if (r->circuit_until_ns && now < r->circuit_until_ns)
		retry = 0;
	if (retry && q->attempt <= r->cfg.max_retries && r->cfg.max_retries != UINT32_MAX) {
		uint64_t d = (uint64_t)r->cfg.backoff_base_ms
		             << (q->attempt - 1 < 20 ? q->attempt - 1 : 20);
		if (d > r->cfg.backoff_max_ms)
			d = r->cfg.backoff_max_ms;
		/* equal jitter: half fixed, half random, so retries spread out */
		d = d / 2 + (d ? rng_next(r) % (d / 2 + 1) : 0);
		if (retry_after_ms > d)
			d = retry_after_ms;
		uint64_t due = now + d * 1000000ull;
		if (due < q->job->deadline_ns) {
			q->due_ns = due;
			waiting_push(r, q);
			return;
		}
	}
	req_finish(r, q, status);
}

/* The server answered (anything but 5xx): it is up, close the circuit. */
static void endpoint_alive(struct remote *r)
{
	r->consecutive_failures = 0;
	r->circuit_until_ns = 0;
}

static void on_done(struct remote *r, CURL *e, CURLcode cc)
{
	struct req *q = NULL;
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&q);
	curl_multi_remove_handle(r->multi, e);
	r->onwire[q->slot] = NULL;
	r->slot_free[r->n_slot_free++] = q->slot;
	q->easy = NULL;
	r->inflight--;
	ctr_sub(r, C_inflight, 1);
	r->probe_inflight = 0;
	ctr_add(r, C_bytes_received, q->reply.len);
	struct job *j = q->job;
	char why[256], msg[200];

	if (cc != CURLE_OK) {
		if (cc == CURLE_WRITE_ERROR && q->too_big) {
			ctr_add(r, C_malformed, 1);
			endpoint_alive(r);
			set_error(r, "reply from %s larger than %u bytes", r->url_shown,
			          r->cfg.max_reply_bytes);
			req_finish(r, q, -EPROTO);
			return;
		}
		if (cc == CURLE_OPERATION_TIMEDOUT)
			ctr_add(r, C_timeouts, 1);
		else
			ctr_add(r, C_conn_errors, 1);
		set_error(r, "%s: %s (attempt %u)", r->url_shown, curl_easy_strerror(cc),
		          q->attempt);
		attempt_failed(r, q, curl_status(cc), retryable_curl(cc), 0, 1);
		return;
	}
	long code = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	j->http_status = (uint32_t)code;
	if (code >= 200 && code < 300) {
		ctr_add(r, C_http_2xx, 1);
		endpoint_alive(r);
		bool scores_only = false;
		double *sc = j->mse + q->first;
		float *rec = j->rec + (size_t)q->first * r->per;
		int rc = tg_recon_remote_parse(q->reply.p ? q->reply.p : "", q->reply.len, q->n,
		                               r->base.window, r->base.features, rec, sc,
		                               &scores_only, why, sizeof(why));
		if (rc < 0) {
			if (!strncmp(why, "error body", 10))
				ctr_add(r, C_error_bodies, 1);
			ctr_add(r, C_malformed, 1);
			set_error(r, "malformed reply from %s (HTTP %ld): %s", r->url_shown, code,
			          why);
			req_finish(r, q, -EPROTO);
			return;
		}
		if (scores_only) {
			/* an MSE is >= 0; a server's overflow is DBL_MAX like ours */
			for (uint32_t i = 0; i < q->n; i++) {
				if (sc[i] < 0) {
					ctr_add(r, C_malformed, 1);
					set_error(r,
					          "malformed reply from %s: score %u is negative",
					          r->url_shown, i);
					req_finish(r, q, -EPROTO);
					return;
				}
				if (!isfinite(sc[i]))
					sc[i] = DBL_MAX;
			}
		} else {
			for (uint32_t i = 0; i < q->n; i++)
				sc[i] = tg_recon_mse(j->win + (size_t)(q->first + i) * r->per,
				                     rec + (size_t)i * r->per, (uint32_t)r->per);
		}
		req_finish(r, q, 0);
		return;
	}
	/* an HTTP error: explain it from the body if it is an error body */
	msg[0] = '\0';
	cJSON *root = q->reply.len ? cJSON_ParseWithLength(q->reply.p, q->reply.len) : NULL;
	if (root && error_body_message(root, msg, sizeof(msg)))
		ctr_add(r, C_error_bodies, 1);
	else if (q->reply.len)
		excerpt(q->reply.p, q->reply.len, msg, sizeof(msg));
	cJSON_Delete(root);
	set_error(r, "HTTP %ld from %s: %s (attempt %u)", code, r->url_shown, msg, q->attempt);
	if (code == 429) {
		ctr_add(r, C_http_429, 1);
		curl_off_t ra = -1;
		if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK || ra < 0)
			ra = 0;
		endpoint_alive(r);
		attempt_failed(r, q, -EBUSY, 1, (uint64_t)ra * 1000, 0);
	} else if (code >= 500 && code < 600) {
		ctr_add(r, C_http_5xx, 1);
		attempt_failed(r, q, -EIO, 1, 0, 1);
	} else if (code >= 400 && code < 500) {
		ctr_add(r, C_http_4xx, 1);
		endpoint_alive(r);
		if (code == 401)
			tg_auth_invalidate(r->auth);
		req_finish(r, q, code == 401 || code == 403 ? -EACCES : -EIO);
	} else {
		ctr_add(r, C_http_other, 1);
		endpoint_alive(r);
		req_finish(r, q, -EIO);
	}
}

/* Start what is due, fail what is past its deadline or blocked by an open
 * circuit. Returns ms until the next due request (capped). */
static long schedule(struct remote *r, uint64_t now)
{
	long wait_ms = 100;
	struct req **pp = &r->waiting;
	int down = r->circuit_until_ns && now < r->circuit_until_ns;
	while (*pp) {
		struct req *q = *pp;
		if (now >= q->job->deadline_ns) {
			*pp = q->next;
			ctr_add(r, C_timeouts, 1);
			set_error(r, "%s: batch deadline passed before a reply", r->url_shown);
			req_finish(r, q, -ETIMEDOUT);
			continue;
		}
		if (down) {
			*pp = q->next;
			ctr_add(r, C_circuit_open, 1);
			req_finish(r, q, -ECONNREFUSED);
			continue;
		}
		if (q->due_ns > now) {
			long ms = (long)((q->due_ns - now) / 1000000ull) + 1;
			if (ms < wait_ms)
				wait_ms = ms;
			pp = &q->next;
			continue;
		}
		if (r->inflight >= r->cfg.max_inflight) {
			pp = &q->next;
			continue;
		}
		int half_open = r->circuit_until_ns != 0;
		if (half_open && r->probe_inflight) {
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		int rc = req_start(r, q, now);
		if (rc < 0) {
			req_finish(r, q, rc);
			continue;
		}
		if (half_open)
			r->probe_inflight = 1;
	}
	return wait_ms;
}

static void *io_main(void *arg)
{
	struct remote *r = arg;
	uint32_t cap = r->cfg.max_pending;
	struct job **batch = calloc(cap, sizeof(*batch));
	for (;;) {
		uint32_t nb = 0;
		pthread_mutex_lock(&r->mu);
		int stop = r->stop;
		while (r->sub_len && batch) {
			batch[nb++] = r->subq[r->sub_head];
			r->sub_head = (r->sub_head + 1) % cap;
			r->sub_len--;
		}
		pthread_mutex_unlock(&r->mu);
		uint64_t now = tg_monotonic_ns();
		for (uint32_t i = 0; i < nb; i++) {
			if (stop) {
				batch[i]->status = -ECANCELED;
				job_complete(r, batch[i]);
			} else {
				job_split(r, batch[i], now);
			}
		}
		if (stop)
			break;
		long wait_ms = schedule(r, now);
		int running = 0;
		curl_multi_perform(r->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(r->multi, &left)))
			if (m->msg == CURLMSG_DONE)
				on_done(r, m->easy_handle, m->data.result);
		/* retries scheduled or slots freed by on_done: start them now,
		 * and let curl drive new handles before sleeping */
		uint32_t before = r->inflight;
		long w2 = schedule(r, tg_monotonic_ns());
		if (w2 < wait_ms)
			wait_ms = w2;
		if (r->inflight > before)
			wait_ms = 0;
		curl_multi_poll(r->multi, NULL, 0, (int)wait_ms, NULL);
	}
	/* shut down: everything outstanding fails with -ECANCELED */
	for (uint32_t k = 0; k < r->cfg.max_inflight; k++) {
		struct req *q = r->onwire[k];
		if (!q)
			continue;
		curl_multi_remove_handle(r->multi, r->easy[k]);
		r->onwire[k] = NULL;
		r->slot_free[r->n_slot_free++] = k;
		r->inflight--;
		ctr_sub(r, C_inflight, 1);
		req_finish(r, q, -ECANCELED);
	}
	while (r->waiting) {
		struct req *q = r->waiting;
		r->waiting = q->next;
		req_finish(r, q, -ECANCELED);
	}
	free(batch);
	return NULL;
}

/* ---- the caller's side ------------------------------------------------- */

static int remote_submit(struct tg_recon *base, uint64_t tag, const float *windows, uint32_t n)
{
	struct remote *r = (struct remote *)base;
	if (n == 0 || !windows || n > base->max_batch) {
		ctr_add(r, C_batches_rejected, 1);
		return n > base->max_batch ? -E2BIG : -EINVAL;
	}
	if (r->n_free == 0) {
		ctr_add(r, C_batches_rejected, 1);
		return -EAGAIN;
	}
	size_t total = (size_t)n * r->per;
	for (size_t i = 0; i < total; i++)
		if (!isfinite(windows[i])) {
			ctr_add(r, C_batches_rejected, 1);
			return -EINVAL; /* JSON cannot carry it; preprocessing is broken */
		}
	struct job *j = r->free_jobs[--r->n_free];
	memcpy(j->win, windows, total * sizeof(float));
	for (uint32_t i = 0; i < n; i++)
		j->mse[i] = NAN;
	j->tag = tag;
	j->n = n;
	j->status = 0;
	j->http_status = j->attempts = j->fallback = j->scored = 0;
	j->submit_ns = tg_monotonic_ns();
	j->deadline_ns = j->submit_ns + (uint64_t)r->cfg.deadline_ms * 1000000ull;
	pthread_mutex_lock(&r->mu);
	r->subq[(r->sub_head + r->sub_len) % r->cfg.max_pending] = j;
	r->sub_len++;
	r->outstanding++;
	pthread_mutex_unlock(&r->mu);
	ctr_add(r, C_batches_submitted, 1);
	ctr_add(r, C_windows_submitted, n);
	ctr_add(r, C_pending, 1);
	curl_multi_wakeup(r->multi);
	return 0;
}

static int remote_poll_burst(struct tg_recon *base, struct tg_recon_result *res, uint32_t max)
{
	struct remote *r = (struct remote *)base;
	/* the previous poll's arrays are no longer needed */
	ctr_sub(r, C_pending, r->n_polled);
	while (r->n_polled)
		r->free_jobs[r->n_free++] = r->polled[--r->n_polled];
	uint32_t k = 0;
	pthread_mutex_lock(&r->mu);
	while (k < max && r->done_len) {
		r->polled[r->n_polled++] = r->doneq[r->done_head];
		r->done_head = (r->done_head + 1) % r->cfg.max_pending;
		r->done_len--;
		k++;
	}
	pthread_mutex_unlock(&r->mu);
	for (uint32_t i = 0; i < k; i++) {
		struct job *j = r->polled[i];
		res[i] = (struct tg_recon_result){
		    .tag = j->tag,
		    .status = j->status,
		    .count = j->n,
		    .scored = j->scored,
		    .fallback = j->fallback,
		    .http_status = j->http_status,
		    .attempts = j->attempts,
		    .latency_ns = j->done_ns - j->submit_ns,
		    .mse = j->mse,
		    .recon = r->cfg.keep_recon ? j->rec : NULL,
		};
	}
	return (int)k;
}

static int remote_wait(struct tg_recon *base, uint64_t timeout_ns)
{
	struct remote *r = (struct remote *)base;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t end = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + timeout_ns;
	ts.tv_sec = (time_t)(end / 1000000000ull);
	ts.tv_nsec = (long)(end % 1000000000ull);
	int ready;
	pthread_mutex_lock(&r->mu);
	while (!(ready = r->done_len > 0) && r->outstanding > 0)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0)
			break;
	ready = r->done_len > 0;
	pthread_mutex_unlock(&r->mu);
	return ready;
}

static void remote_counters(struct tg_recon *base, struct tg_recon_counters *c)
{
	struct remote *r = (struct remote *)base;
#define X(n) c->n = atomic_load_explicit(&r->ctr[C_##n], memory_order_relaxed);
	TG_RECON_COUNTERS(X)
#undef X
}

static size_t remote_last_error(struct tg_recon *base, char *buf, size_t len)
{
	struct remote *r = (struct remote *)base;
	pthread_mutex_lock(&r->mu);
	int n = snprintf(buf, len, "%s", r->last_error);
	pthread_mutex_unlock(&r->mu);
	return n < 0 ? 0 : (size_t)n;
}

static void remote_free(struct remote *r)
{
	if (r->easy)
		for (uint32_t k = 0; k < r->cfg.max_inflight; k++)
			if (r->easy[k])
				curl_easy_cleanup(r->easy[k]);
	if (r->multi)
		curl_multi_cleanup(r->multi);
	if (r->jobs) {
		for (uint32_t i = 0; i < r->cfg.max_pending; i++) {
			free(r->jobs[i].win);
			free(r->jobs[i].rec);
			free(r->jobs[i].mse);
		}
	}
	for (char **h = r->headers; h && *h; h++)
		free(*h);
	free(r->headers);
	free(r->jobs);
	free(r->free_jobs);
	free(r->polled);
	free(r->subq);
	free(r->doneq);
	free(r->easy);
	free(r->onwire);
	free(r->slot_free);
	tg_auth_destroy(r->auth);
	tg_recon_destroy(r->cfg.fallback);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static void remote_destroy(struct tg_recon *base)
{
	struct remote *r = (struct remote *)base;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_mutex_unlock(&r->mu);
	curl_multi_wakeup(r->multi);
	pthread_join(r->thread, NULL);
	remote_free(r);
}

static const struct tg_recon_ops remote_ops = {
    .submit = remote_submit,
    .poll_burst = remote_poll_burst,
    .wait = remote_wait,
    .counters = remote_counters,
    .last_error = remote_last_error,
    .destroy = remote_destroy,
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

#define DEF(x, v)                                                                                  \
	do {                                                                                       \
		if (!(x))                                                                          \
			(x) = (v);                                                                 \
	} while (0)

int tg_recon_remote_create(const struct tg_recon_remote_config *cfg_in, struct tg_recon **out)
{
	if (!cfg_in || !out || !cfg_in->window || !cfg_in->features)
		return -EINVAL;
	struct tg_recon_remote_config cfg = *cfg_in;
	DEF(cfg.max_batch, 64);
	DEF(cfg.max_pending, 16);
	DEF(cfg.max_inflight, 4);
	DEF(cfg.max_request_bytes, 1500000);
	DEF(cfg.max_reply_bytes, 16u << 20);
	DEF(cfg.connect_timeout_ms, 1000);
	DEF(cfg.timeout_ms, 5000);
	DEF(cfg.deadline_ms, 3 * cfg.timeout_ms);
	DEF(cfg.max_retries, 3);
	DEF(cfg.backoff_base_ms, 50);
	DEF(cfg.backoff_max_ms, 2000);
	DEF(cfg.circuit_failures, 5);
	DEF(cfg.circuit_open_ms, 1000);
	DEF(cfg.seed, tg_monotonic_ns() | 1);
	if (cfg.max_retries == UINT32_MAX)
		cfg.max_retries = 0;
	if (cfg.max_inflight > 256 || cfg.max_pending > 65536)
		return -EINVAL;

	struct remote *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = cfg;
	r->cfg.fallback = NULL; /* owned only once create succeeds */
	r->rng = cfg.seed;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	r->base.ops = &remote_ops;
	r->base.window = cfg.window;
	r->base.features = cfg.features;
	r->base.max_batch = cfg.max_batch;
	r->per = (size_t)cfg.window * cfg.features;
	int rc = tg_recon_remote_url(&cfg, r->url, sizeof(r->url));
	if (rc < 0)
		goto fail;
	/* what error messages show: scheme://host/path, never a query */
	snprintf(r->url_shown, sizeof(r->url_shown), "%.*s", (int)strcspn(r->url, "?#"), r->url);
	rc = -ENOMEM;
	size_t nh = 0;
	while (cfg.headers && cfg.headers[nh])
		nh++;
	if (!(r->headers = calloc(nh + 1, sizeof(char *))))
		goto fail;
	for (size_t i = 0; i < nh; i++) {
		if (strchr(cfg.headers[i], '\n') || strchr(cfg.headers[i], '\r') ||
		    !strchr(cfg.headers[i], ':')) {
			rc = -EINVAL;
			goto fail;
		}
		if (!(r->headers[i] = strdup(cfg.headers[i])))
			goto fail;
	}
	uint32_t np = cfg.max_pending, ni = cfg.max_inflight;
	r->jobs = calloc(np, sizeof(*r->jobs));
	r->free_jobs = calloc(np, sizeof(*r->free_jobs));
	r->polled = calloc(np, sizeof(*r->polled));
	r->subq = calloc(np, sizeof(*r->subq));
	r->doneq = calloc(np, sizeof(*r->doneq));
	r->easy = calloc(ni, sizeof(*r->easy));
	r->onwire = calloc(ni, sizeof(*r->onwire));
	r->slot_free = calloc(ni, sizeof(*r->slot_free));
	if (!r->jobs || !r->free_jobs || !r->polled || !r->subq || !r->doneq || !r->easy ||
	    !r->onwire || !r->slot_free)
		goto fail;
	for (uint32_t i = 0; i < np; i++) {
		struct job *j = &r->jobs[i];
		j->win = malloc((size_t)cfg.max_batch * r->per * sizeof(float));
		j->rec = calloc((size_t)cfg.max_batch * r->per, sizeof(float));
		j->mse = malloc((size_t)cfg.max_batch * sizeof(double));
		if (!j->win || !j->rec || !j->mse)
			goto fail;
		r->free_jobs[r->n_free++] = j;
	}
	rc = tg_auth_create(cfg.auth, cfg.auth_arg, cfg.auth_refresh_s, &r->auth);
	if (rc < 0)
		goto fail;
	rc = -ENOMEM;
	pthread_once(&curl_once, curl_init_once);
	if (!(r->multi = curl_multi_init()))
		goto fail;
	curl_multi_setopt(r->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(r->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)ni);
	curl_multi_setopt(r->multi, CURLMOPT_MAXCONNECTS, (long)ni);
	for (uint32_t k = 0; k < ni; k++) {
		CURL *e = curl_easy_init();
		if (!e)
			goto fail;
		r->easy[k] = e;
		r->slot_free[r->n_slot_free++] = ni - 1 - k;
		curl_easy_setopt(e, CURLOPT_URL, r->url);
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg.connect_timeout_ms);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)cfg.timeout_ms);
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
		curl_easy_setopt(e, CURLOPT_USERAGENT, "tickguard-recon/1");
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(e, CURLOPT_VERBOSE, cfg.verbose_curl ? 1L : 0L);
	}
	if ((rc = -pthread_create(&r->thread, NULL, io_main, r)) != 0)
		goto fail;
	r->cfg.fallback = cfg.fallback;
	*out = &r->base;
	return 0;
fail:
	remote_free(r);
	return rc;
}
