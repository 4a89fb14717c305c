/* serve.h - `tickguard serve`: a model served over the V1 prediction
 * protocol of TensorFlow Serving / KServe V1 / Vertex AI custom containers,
 * so remote mode is testable here and a scorer fleet can share servers.
 *
 *   POST /v1/models/NAME[:predict]               {"instances": [...]}
 *   POST /v1/models/NAME/versions/N:predict      -> {"predictions": [...]}
 *   GET  /v1/models/NAME[/versions/N]            model_version_status
 *   GET  /v1/models/NAME[/versions/N]/metadata   signature (input/output shape)
 * An instance is one preprocessed window [[p1],...,[pW]] (or [p1,...,pW]
 * when features == 1); a prediction is its reconstruction, same shape.
 * {"inputs": [...]} (TF Serving's columnar form) is answered with
 * {"outputs": [...]}. Errors are {"error": "..."} with 400 (bad request),
 * 404 (unknown model/version/path), 405, 413 (body too large), 503 (busy).
 *
 * One thread per connection (libmicrohttpd), at most max_connections; at
 * most `concurrency` forward passes at a time, each with its own workspace.
 */
#ifndef TG_SERVE_H
#define TG_SERVE_H

#include <stddef.h>
#include <stdint.h>

struct tg_model;
struct tg_serve;

/* A thread-safe batched forward for tests and stand-ins: in/out are
 * [n][window][features]. 0 or -errno. */
typedef int (*tg_serve_forward_fn)(void *ctx, const float *in, uint32_t n, float *out);

struct tg_serve_config {
	const char *name;             /* model name in the URL (required) */
	uint32_t version;             /* served version; 0 = 1 */
	const struct tg_model *model; /* the model, or NULL and forward: */
	tg_serve_forward_fn forward;
	void *forward_ctx;
	uint32_t window, features; /* with forward (with model: from it) */
	const char *host;          /* listen address; NULL = "127.0.0.1" */
	uint16_t port;             /* 0 = any free port (see tg_serve_port) */
	uint32_t concurrency;      /* forward passes at a time; 0 = 2 */
	uint32_t max_connections;  /* 0 = 64 */
	uint32_t max_body_bytes;   /* 0 = 16 MB */
	uint32_t max_instances;    /* per request; 0 = 4096 */
	uint32_t batch;            /* windows per forward call; 0 = 64 */
	uint32_t timeout_s;        /* idle connection timeout; 0 = 60 */
};

struct tg_serve_stats {
	uint64_t requests;
	uint64_t predictions; /* instances answered */
	uint64_t ok;          /* 2xx */
	uint64_t bad_request; /* 400 */
	uint64_t not_found;   /* 404/405 */
	uint64_t too_large;   /* 413 */
	uint64_t busy;        /* 503: no forward slot within the wait bound */
	uint64_t failed;      /* 500 */
};

/* Start serving (threads run until stop). 0 or -errno (-EADDRINUSE,
 * -EINVAL, -ENOMEM, -EIO) with a reason in err. */
int tg_serve_start(const struct tg_serve_config *cfg, struct tg_serve **out, char *err,
                   size_t errlen);
/* The bound TCP port. */
uint16_t tg_serve_port(const struct tg_serve *s);
/* Counters snapshot; any thread. */
void tg_serve_stats(const struct tg_serve *s, struct tg_serve_stats *st);
/* Stop accepting, finish, free. NULL is fine. */
void tg_serve_stop(struct tg_serve *s);

#endif
