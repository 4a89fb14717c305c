/* serve.c - the V1 prediction server behind `tickguard serve` (protocol in
 * serve.h). libmicrohttpd runs one thread per connection; a request body is
 * buffered up to max_body_bytes, decoded with cJSON and checked value by
 * value (shape, numbers, finiteness) before any forward pass, so no input
 * can crash it: everything wrong is a 4xx with a JSON reason. Forward passes
 * take one of `concurrency` slots (each owns a model workspace).
 */
#include <arpa/inet.h>
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "serve/serve.h"

struct slot {
	struct tg_model_ws *ws;
	bool busy;
};

struct tg_serve {
	struct tg_serve_config cfg;
	char name[256];
	size_t per;
	struct MHD_Daemon *mhd;
	uint16_t port;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	/* relaxed statistics; they pair with nothing (snapshot counters) */
	_Atomic uint64_t requests, predictions, ok, bad_request, not_found, too_large, busy, failed;
};

struct conn {
	char *body;
	size_t len, cap;
	bool too_big;
};

struct obuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void ob_put(struct obuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8192;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void ob_float(struct obuf *b, float v)
{
	char t[32];
	int n = snprintf(t, sizeof(t), "%.9g", (double)v);
	ob_put(b, t, (size_t)n);
}

static void inc(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

/* Queue a response owning `body` (malloc'd). */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned code, cJSON *root)
{
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!s)
		return MHD_NO;
	return reply(c, code, s, strlen(s));
}

static enum MHD_Result reply_error(struct tg_serve *s, struct MHD_Connection *c, unsigned code,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result reply_error(struct tg_serve *s, struct MHD_Connection *c, unsigned code,
                                   const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	switch (code) {
	case 400:
		inc(&s->bad_request, 1);
		break;
	case 404:
	case 405:
		inc(&s->not_found, 1);
		break;
	case 413:
		inc(&s->too_large, 1);
		break;
	case 503:
		inc(&s->busy, 1);
		break;
	default:
		inc(&s->failed, 1);
	}
	cJSON *root = cJSON_CreateObject();
	if (!root || !cJSON_AddStringToObject(root, "error", msg)) {
		cJSON_Delete(root);
		return MHD_NO;
	}
	return reply_json(c, code, root);
}

enum route { R_NONE, R_MODEL, R_PREDICT, R_METADATA };

/* /v1/models/NAME[/versions/N][:predict|/metadata] -> route; *ver = N or 0. */
static enum route parse_path(const char *url, const char **name, size_t *name_len, long *ver)
{
	static const char pfx[] = "/v1/models/";
	*ver = 0;
	if (strncmp(url, pfx, sizeof(pfx) - 1) != 0)
		return R_NONE;
	const char *p = url + sizeof(pfx) - 1;
	size_t k = strcspn(p, "/:");
	if (k == 0)
		return R_NONE;
	*name = p;
	*name_len = k;
	p += k;
	if (!strncmp(p, "/versions/", 10)) {
		p += 10;
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p || errno || v <= 0 || *p == '+' || *p == '-')
			return R_NONE;
		*ver = v;
		p = end;
	}
	if (!*p)
		return R_MODEL;
	if (!strcmp(p, ":predict"))
		return R_PREDICT;
	if (!strcmp(p, "/metadata"))
		return R_METADATA;
	return R_NONE;
}

static enum MHD_Result reply_status(struct tg_serve *s, struct MHD_Connection *c)
{
	char v[16];
	snprintf(v, sizeof(v), "%u", s->cfg.version);
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "model_version_status");
	cJSON *e = cJSON_CreateObject();
	cJSON_AddItemToArray(arr, e);
	cJSON_AddStringToObject(e, "version", v);
	cJSON_AddStringToObject(e, "state", "AVAILABLE");
	cJSON *st = cJSON_AddObjectToObject(e, "status");
	cJSON_AddStringToObject(st, "error_code", "OK");
	cJSON_AddStringToObject(st, "error_message", "");
	inc(&s->ok, 1);
	return reply_json(c, 200, root);
}

static cJSON *tensor_info(const char *tensor, long d1, long d2)
{
	char b[32];
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "dtype", "DT_FLOAT");
	cJSON *shape = cJSON_AddObjectToObject(t, "tensor_shape");
	cJSON *dim = cJSON_AddArrayToObject(shape, "dim");
	long sizes[3] = {-1, d1, d2};
	for (int i = 0; i < 3; i++) {
		cJSON *d = cJSON_CreateObject();
		snprintf(b, sizeof(b), "%ld", sizes[i]);
		cJSON_AddStringToObject(d, "size", b);
		cJSON_AddStringToObject(d, "name", "");
		cJSON_AddItemToArray(dim, d);
	}
	cJSON_AddFalseToObject(shape, "unknown_rank");
	cJSON_AddStringToObject(t, "name", tensor);
	return t;
}

static enum MHD_Result reply_metadata(struct tg_serve *s, struct MHD_Connection *c)
{
	char v[16];
	snprintf(v, sizeof(v), "%u", s->cfg.version);
	cJSON *root = cJSON_CreateObject();
	cJSON *spec = cJSON_AddObjectToObject(root, "model_spec");
	cJSON_AddStringToObject(spec, "name", s->name);
	cJSON_AddStringToObject(spec, "signature_name", "");
	cJSON_AddStringToObject(spec, "version", v);
	cJSON *md = cJSON_AddObjectToObject(root, "metadata");
	cJSON *sd0 = cJSON_AddObjectToObject(md, "signature_def");
	cJSON *sd = cJSON_AddObjectToObject(sd0, "signature_def");
	cJSON *def = cJSON_AddObjectToObject(sd, "serving_default");
	cJSON *in = cJSON_AddObjectToObject(def, "inputs");
	cJSON_AddItemToObject(
	    in, "input_1",
	    tensor_info("serving_default_input_1:0", s->cfg.window, s->cfg.features));
	cJSON *out = cJSON_AddObjectToObject(def, "outputs");
	cJSON_AddItemToObject(
	    out, "time_distributed",
	    tensor_info("StatefulPartitionedCall:0", s->cfg.window, s->cfg.features));
	cJSON_AddStringToObject(def, "method_name", "tensorflow/serving/predict");
	inc(&s->ok, 1);
	return reply_json(c, 200, root);
}

/* One instance into x[per]: [[v..F]..W], [v..W] when F == 1, or an object
 * with one member holding either. 0, or -1 with why. */
static int decode_instance(const struct tg_serve *s, const cJSON *inst, uint32_t i, float *x,
                           char *why, size_t wl)
{
	uint32_t W = s->cfg.window, F = s->cfg.features;
	if (cJSON_IsObject(inst)) {
		if (cJSON_GetArraySize(inst) != 1) {
			snprintf(why, wl, "instance %u: an object instance must have one input", i);
			return -1;
		}
		inst = inst->child;
	}
	if (!cJSON_IsArray(inst) || cJSON_GetArraySize(inst) != (int)W) {
		snprintf(why, wl, "instance %u: expected an array of %u timesteps (shape [%u,%u])",
		         i, W, W, F);
		return -1;
	}
	uint32_t t = 0;
	const cJSON *step;
	cJSON_ArrayForEach(step, inst)
	{
		if (F == 1 && cJSON_IsNumber(step)) {
			x[t] = (float)step->valuedouble;
		} else if (cJSON_IsArray(step) && cJSON_GetArraySize(step) == (int)F) {
			uint32_t f = 0;
			const cJSON *v;
			cJSON_ArrayForEach(v, step)
			{
				if (!cJSON_IsNumber(v)) {
					snprintf(why, wl, "instance %u step %u: not a number", i,
					         t);
					return -1;
				}
				x[(size_t)t * F + f++] = (float)v->valuedouble;
			}
		} else {
			snprintf(why, wl, "instance %u step %u: expected %u number(s)", i, t, F);
			return -1;
		}
		for (uint32_t f = 0; f < F; f++)
			if (!isfinite(x[(size_t)t * F + f])) {
				snprintf(why, wl, "instance %u step %u: value out of float range",
				         i, t);
				return -1;
			}
		t++;
	}
	return 0;
}

static struct slot *slot_take(struct tg_serve *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += 10;
	struct slot *got = NULL;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		for (uint32_t i = 0; i < s->cfg.concurrency && !got; i++)
			if (!s->slots[i].busy)
				got = &s->slots[i];
		if (got) {
			got->busy = true;
			break;
		}
		if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return got;
}

static void slot_give(struct tg_serve *s, struct slot *sl)
{
	pthread_mutex_lock(&s->mu);
	sl->busy = false;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static enum MHD_Result predict(struct tg_serve *s, struct MHD_Connection *c, struct conn *st)
{
	char why[256];
	cJSON *root = cJSON_ParseWithLength(st->body ? st->body : "", st->len);
	if (!root)
		return reply_error(s, c, 400, "request body is not valid JSON");
	enum MHD_Result mr;
	const char *out_key = "predictions";
	const cJSON *inst = cJSON_GetObjectItemCaseSensitive(root, "instances");
	if (!inst) {
		inst = cJSON_GetObjectItemCaseSensitive(root, "inputs");
		out_key = "outputs";
	}
	if (!cJSON_IsObject(root) || !cJSON_IsArray(inst)) {
		cJSON_Delete(root);
		return reply_error(s, c, 400,
		                   "request must be a JSON object with an \"instances\" array");
	}
	int n = cJSON_GetArraySize(inst);
	if (n == 0 || n > (int)s->cfg.max_instances) {
		cJSON_Delete(root);
		return reply_error(s, c, 400, "\"instances\" must hold 1..%u windows, not %d",
		                   s->cfg.max_instances, n);
	}
	float *x = malloc((size_t)n * s->per * sizeof(float));
	float *y = malloc((size_t)n * s->per * sizeof(float));
	if (!x || !y) {
		free(x);
		free(y);
		cJSON_Delete(root);
		return reply_error(s, c, 503, "out of memory");
	}
	uint32_t i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, inst)
	{
		if (decode_instance(s, e, i, x + i * s->per, why, sizeof(why)) < 0) {
			free(x);
			free(y);
			cJSON_Delete(root);
			return reply_error(s, c, 400, "%s", why);
		}
		i++;
	}
	cJSON_Delete(root);
	struct slot *sl = slot_take(s);
	if (!sl) {
		free(x);
		free(y);
		return reply_error(s, c, 503, "server busy: no free inference slot");
	}
	int rc = 0;
	for (uint32_t off = 0; off < (uint32_t)n && rc == 0; off += s->cfg.batch) {
		uint32_t k = (uint32_t)n - off < s->cfg.batch ? (uint32_t)n - off : s->cfg.batch;
		rc = s->cfg.model ? tg_model_forward_batch(s->cfg.model, sl->ws, x + off * s->per,
		                                           k, y + off * s->per, NULL)
		                  : s->cfg.forward(s->cfg.forward_ctx, x + off * s->per, k,
		                                   y + off * s->per);
	}
	slot_give(s, sl);
	free(x);
	if (rc < 0) {
		free(y);
		return reply_error(s, c, 500, "forward pass failed: %s", strerror(-rc));
	}
	struct obuf b = {0};
	ob_put(&b, "{\"", 2);
	ob_put(&b, out_key, strlen(out_key));
	ob_put(&b, "\":[", 3);
	for (i = 0; i < (uint32_t)n; i++) {
		const float *r = y + i * s->per;
		ob_put(&b, i ? ",[" : "[", i ? 2 : 1);
		for (uint32_t t = 0; t < s->cfg.window; t++) {
			ob_put(&b, t ? ",[" : "[", t ? 2 : 1);
			for (uint32_t f = 0; f < s->cfg.features; f++) {
				if (f)
					ob_put(&b, ",", 1);
				ob_float(&b, r[(size_t)t * s->cfg.features + f]);
			}
			ob_put(&b, "]", 1);
		}
		ob_put(&b, "]", 1);
	}
	ob_put(&b, "]}", 2);
	free(y);
	if (b.oom) {
		free(b.p);
		return reply_error(s, c, 503, "out of memory");
	}
	inc(&s->ok, 1);
	inc(&s->predictions, (uint64_t)n);
	mr = reply(c, 200, b.p, b.len);
	return mr;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct tg_serve *s = cls;
	struct conn *st = *con_cls;
	(void)version;
	if (!st) {
		if (!(st = calloc(1, sizeof(*st))))
			return MHD_NO;
		*con_cls = st;
		inc(&s->requests, 1);
		if (!strcmp(method, "POST")) {
			const char *cl =
			    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
			if (cl && strtoull(cl, NULL, 10) > s->cfg.max_body_bytes)
				st->too_big = true;
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (st->too_big)
			return MHD_YES;
		if (st->len + n > s->cfg.max_body_bytes) {
			st->too_big = true;
			free(st->body);
			st->body = NULL;
			st->len = st->cap = 0;
			return MHD_YES;
		}
		if (st->len + n + 1 > st->cap) {
			size_t cap = st->cap ? st->cap * 2 : 65536;
			while (cap < st->len + n + 1)
				cap *= 2;
			char *p = realloc(st->body, cap);
			if (!p) {
				st->too_big = true;
				return MHD_YES;
			}
			st->body = p;
			st->cap = cap;
		}
		memcpy(st->body + st->len, upload, n);
		st->len += n;
		return MHD_YES;
	}
	const char *name = NULL;
	size_t name_len = 0;
	long ver = 0;
	enum route rt = parse_path(url, &name, &name_len, &ver);
	if (rt == R_NONE)
		return reply_error(s, c, 404, "no such endpoint (try POST /v1/models/%s:predict)",
		                   s->name);
	if (name_len != strlen(s->name) || memcmp(name, s->name, name_len) != 0) {
		int nl = (int)(name_len > 64 ? 64 : name_len);
		if (ver)
			return reply_error(s, c, 404,
			                   "Servable not found for request: Specific(%.*s, %ld)",
			                   nl, name, ver);
		return reply_error(s, c, 404, "Servable not found for request: Latest(%.*s)", nl,
		                   name);
	}
	if (ver && (unsigned long)ver != s->cfg.version)
		return reply_error(s, c, 404, "Servable not found for request: Specific(%s, %ld)",
		                   s->name, ver);
	bool post = !strcmp(method, "POST"), get = !strcmp(method, "GET");
	if (rt == R_PREDICT || (rt == R_MODEL && post)) {
		if (!post)
			return reply_error(s, c, 405, "predict needs POST");
		if (st->too_big)
			return reply_error(s, c, 413, "request body larger than %u bytes",
			                   s->cfg.max_body_bytes);
		return predict(s, c, st);
	}
	if (!get)
		return reply_error(s, c, 405, "this endpoint needs GET");
	return rt == R_METADATA ? reply_metadata(s, c) : reply_status(s, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct conn *st = *con_cls;
	if (st) {
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

uint16_t tg_serve_port(const struct tg_serve *s)
{
	return s->port;
}

void tg_serve_stats(const struct tg_serve *s, struct tg_serve_stats *st)
{
	struct tg_serve *m = (struct tg_serve *)(uintptr_t)s;
#define L(f) st->f = atomic_load_explicit(&m->f, memory_order_relaxed)
	L(requests);
	L(predictions);
	L(ok);
	L(bad_request);
	L(not_found);
	L(too_large);
	L(busy);
	L(failed);
#undef L
}

void tg_serve_stop(struct tg_serve *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	if (s->slots)
		for (uint32_t i = 0; i < s->cfg.concurrency; i++)
			tg_model_ws_destroy(s->slots[i].ws);
	free(s->slots);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int tg_serve_start(const struct tg_serve_config *cfg, struct tg_serve **out, char *err,
                   size_t errlen)
{
	if (!cfg || !cfg->name || !*cfg->name || strlen(cfg->name) >= 256 ||
	    strpbrk(cfg->name, "/: ") || (!cfg->model && !cfg->forward)) {
		snprintf(err, errlen, "serve: need a model and a name without '/', ':' or spaces");
		return -EINVAL;
	}
	struct tg_serve *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	snprintf(s->name, sizeof(s->name), "%s", cfg->name);
	s->cfg.name = s->name;
	if (cfg->model) {
		s->cfg.window = cfg->model->cfg.window;
		s->cfg.features = cfg->model->cfg.features;
	}
#define DEF(x, v)                                                                                  \
	if (!(x))                                                                                  \
	(x) = (v)
	DEF(s->cfg.version, 1);
	DEF(s->cfg.concurrency, 2);
	DEF(s->cfg.max_connections, 64);
	DEF(s->cfg.max_body_bytes, 16u << 20);
	DEF(s->cfg.max_instances, 4096);
	DEF(s->cfg.batch, 64);
	DEF(s->cfg.timeout_s, 60);
#undef DEF
	s->per = (size_t)s->cfg.window * s->cfg.features;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rc = -EINVAL;
	if (!s->per) {
		snprintf(err, errlen, "serve: window and features must be > 0");
		goto fail;
	}
	rc = -ENOMEM;
	if (!(s->slots = calloc(s->cfg.concurrency, sizeof(*s->slots))))
		goto fail;
	for (uint32_t i = 0; cfg->model && i < s->cfg.concurrency; i++)
		if ((rc = tg_model_ws_create(&cfg->model->cfg, s->cfg.batch, &s->slots[i].ws)) <
		    0) {
			snprintf(err, errlen, "serve: cannot create a model workspace: %s",
			         strerror(-rc));
			goto fail;
		}
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	const char *host = cfg->host && *cfg->host ? cfg->host : "127.0.0.1";
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai) {
		snprintf(err, errlen, "serve: cannot resolve listen address %.100s", host);
		rc = -EINVAL;
		goto fail;
	}
	struct sockaddr_in sin;
	memcpy(&sin, ai->ai_addr, sizeof(sin));
	freeaddrinfo(ai);
	sin.sin_port = htons(cfg->port);
	s->mhd = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
	    cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sin,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg.max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, s, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, errlen, "serve: cannot listen on %.100s:%u (in use or not allowed)",
		         host, cfg->port);
		rc = -EADDRINUSE;
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : cfg->port;
	*out = s;
	return 0;
fail:
	tg_serve_stop(s);
	return rc;
}
