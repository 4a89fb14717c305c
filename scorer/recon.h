/* recon.h - the reconstruction backend interface of the scorer: hand over a
 * batch of preprocessed windows, collect reconstruction MSE scores later.
 * One interface, one .c per backend: recon_local.c runs the model in the
 * caller's thread; recon_remote.c speaks the V1 prediction protocol (Vertex
 * AI, TF Serving, KServe, `tickguard serve`) from its own I/O thread, so a
 * slow or dead endpoint never stalls the scorer.
 *
 * Protocol for the caller (one thread per struct tg_recon):
 *   tg_recon_submit(r, tag, windows, n)   copies the windows; never blocks;
 *                                         -EAGAIN when max_pending batches
 *                                         are already outstanding
 *   tg_recon_poll_burst(r, res, max)      completed batches, never blocks
 *   tg_recon_counters(r, &c)              counters (remote: any thread)
 * Every submitted batch produces exactly one result (at destroy, those
 * still outstanding are counted as unscored): result.status is 0 when the
 * backend scored every window, otherwise the first failure (-ETIMEDOUT,
 * -ECONNREFUSED, -EPROTO malformed reply, -EIO HTTP error, -EACCES auth,
 * -EBUSY throttled...). Windows the endpoint could not score are scored by
 * the local fallback if configured (result.fallback), else have mse = NaN
 * (result.scored < result.count). A scored window's mse is always finite
 * (overflow -> DBL_MAX).
 *
 * Windows are float32, preprocessed (scaled), laid out [n][window][features]
 * (features = 1 for prices), the same as the model's input.
 */
#ifndef TG_SCORER_RECON_H
#define TG_SCORER_RECON_H

/* TG_RECON_API_READY */

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tg_recon;
struct tg_model; /* model/model.h */

/* One completed batch. The mse (and recon) arrays belong to the backend and
 * stay valid until the next tg_recon_poll_burst() or tg_recon_destroy(). */
struct tg_recon_result {
	uint64_t tag;         /* the caller's tag from tg_recon_submit */
	int32_t status;       /* 0 or the first failure, -errno */
	uint32_t count;       /* windows in the batch */
	uint32_t scored;      /* windows with a finite mse */
	uint32_t fallback;    /* of those, scored by the local fallback */
	uint32_t http_status; /* last HTTP status seen (remote), 0 if none */
	uint32_t attempts;    /* HTTP attempts spent on this batch (remote) */
	uint64_t latency_ns;  /* submit -> result ready (CLOCK_MONOTONIC) */
	const double *mse;    /* [count], NaN = unscored */
	const float *recon;   /* [count][window][features] if keep_recon, else NULL */
};

/* Counters: monotonic unless marked gauge. Every window submitted ends up
 * in exactly one of windows_scored (incl. windows_fallback) or
 * windows_unscored, once its batch has completed (destroy completes all). */
struct tg_recon_counters {
	uint64_t batches_submitted;
	uint64_t batches_rejected; /* submit returned -EAGAIN/-E2BIG/-EINVAL */
	uint64_t windows_submitted;
	uint64_t windows_scored;   /* finite mse delivered (incl. fallback) */
	uint64_t windows_unscored; /* delivered with NaN */
	uint64_t windows_fallback; /* scored by the local fallback model */
	uint64_t requests;         /* HTTP attempts started (incl. retries) */
	uint64_t retries;          /* attempts that were retries */
	uint64_t timeouts;         /* connect or total timeout hit */
	uint64_t conn_errors;      /* refused, reset, dropped, DNS, TLS... */
	uint64_t http_2xx;
	uint64_t http_429;
	uint64_t http_4xx; /* other than 429 */
	uint64_t http_5xx;
	uint64_t http_other;     /* 1xx/3xx and anything unexpected */
	uint64_t malformed;      /* replies rejected: bad JSON, count, shape, non-numbers,
				    error body on 2xx, too large */
	uint64_t error_bodies;   /* {"error": ...} bodies seen (any status) */
	uint64_t auth_failures;  /* token could not be obtained */
	uint64_t circuit_open;   /* requests not attempted: endpoint marked down */
	uint64_t bytes_sent;     /* request bodies */
	uint64_t bytes_received; /* reply bodies */
	uint64_t pending;        /* gauge: batches submitted and not yet recycled (the last
				    poll's results count until the next poll) */
	uint64_t inflight;       /* gauge: HTTP requests on the wire */
};

/* Backend vtable; backends embed struct tg_recon first. Callers use the
 * tg_recon_* wrappers below. */
struct tg_recon_ops {
	int (*submit)(struct tg_recon *r, uint64_t tag, const float *windows, uint32_t n);
	int (*poll_burst)(struct tg_recon *r, struct tg_recon_result *res, uint32_t max);
	int (*wait)(struct tg_recon *r, uint64_t timeout_ns);
	void (*counters)(struct tg_recon *r, struct tg_recon_counters *c);
	size_t (*last_error)(struct tg_recon *r, char *buf, size_t len);
	void (*destroy)(struct tg_recon *r);
};

struct tg_recon {
	const struct tg_recon_ops *ops;
	uint32_t window;    /* timesteps per window */
	uint32_t features;  /* values per timestep */
	uint32_t max_batch; /* windows per submit */
};

/* Submit n (1..max_batch) windows under `tag`. Copies them (the caller may
 * reuse its buffer at once). Never blocks. 0, -EAGAIN (too many batches
 * pending: poll first), -E2BIG (n > max_batch), -EINVAL. Not thread-safe
 * against other submit/poll calls on the same r. */
static inline int tg_recon_submit(struct tg_recon *r, uint64_t tag, const float *windows,
                                  uint32_t n)
{
	return r->ops->submit(r, tag, windows, n);
}

/* Up to max completed batches into res[]; returns the count (0 if none),
 * never blocks. Invalidates the arrays of the previous poll. */
static inline int tg_recon_poll_burst(struct tg_recon *r, struct tg_recon_result *res, uint32_t max)
{
	return r->ops->poll_burst(r, res, max);
}

/* Block up to timeout_ns until a result is ready to poll (not for the tick
 * path: for drains, tests and tools). 1 ready, 0 timed out / nothing pending. */
static inline int tg_recon_wait(struct tg_recon *r, uint64_t timeout_ns)
{
	return r->ops->wait(r, timeout_ns);
}

/* Snapshot of the counters. Remote: any thread (relaxed atomics); local:
 * the owning thread only. */
static inline void tg_recon_counters(struct tg_recon *r, struct tg_recon_counters *c)
{
	r->ops->counters(r, c);
}

/* The last failure explained in one line (never contains a token); returns
 * its length, 0 if none. Remote: any thread; local: the owning thread. */
static inline size_t tg_recon_last_error(struct tg_recon *r, char *buf, size_t len)
{
	return r->ops->last_error(r, buf, len);
}

/* Stop, fail what is still outstanding (status -ECANCELED, counted as
 * unscored), free. NULL is fine. */
static inline void tg_recon_destroy(struct tg_recon *r)
{
	if (r)
		r->ops->destroy(r);
}

/* Reconstruction MSE of one window: mean over window*features of
 * (x - y)^2, accumulated in double; never NaN: non-finite -> DBL_MAX. Both
 * backends use this, so local and remote scores agree exactly when the
 * reconstructions do. */
static inline double tg_recon_mse(const float *x, const float *y, uint32_t n)
{
	double s = 0.0;
	for (uint32_t i = 0; i < n; i++) {
		double d = (double)x[i] - (double)y[i];
		s += d * d;
	}
	s /= (double)n;
	return isfinite(s) ? s : DBL_MAX;
}

/* ---- local backend (recon_local.c) ---------------------------------- */

/* Batched forward: reconstruct n windows in -> out ([n][window][features]
 * each). Returns 0 or -errno. Called from one thread at a time per ctx. */
typedef int (*tg_recon_forward_fn)(void *ctx, const float *in, uint32_t n, float *out);

struct tg_recon_local_config {
	struct tg_model *model;      /* the model (model/model.h), or NULL and: */
	tg_recon_forward_fn forward; /* any batched forward (tests, stand-ins) */
	void *forward_ctx;
	uint32_t window;      /* with forward: timesteps (with model: taken from it) */
	uint32_t features;    /* with forward: values per timestep */
	uint32_t max_batch;   /* windows per submit; 0 = 64 */
	uint32_t max_pending; /* batches submitted, not polled; 0 = 16 */
	bool keep_recon;      /* deliver reconstructions in results */
};

/* Local model in the caller's thread: submit runs the forward pass at once
 * (so it costs the inference time) and the result is ready to poll. */
int tg_recon_local_create(const struct tg_recon_local_config *cfg, struct tg_recon **out);

/* ---- remote backend (recon_remote.c) -------------------------------- */

enum tg_recon_flavour {
	TG_RECON_URL = 0,   /* cfg.url is the full predict URL */
	TG_RECON_VERTEX,    /* https://LOC-aiplatform.googleapis.com/v1/projects/P/locations/LOC/
			     endpoints/E:predict */
	TG_RECON_TFSERVING, /* BASE/v1/models/NAME[/versions/N]:predict (TF Serving, KServe V1,
			       tickguard serve) */
};

enum tg_auth_source {
	TG_AUTH_NONE = 0,
	TG_AUTH_ENV,     /* token in environment variable auth_arg (read at create) */
	TG_AUTH_FILE,    /* token in file auth_arg, re-read when it changes */
	TG_AUTH_COMMAND, /* token printed by command auth_arg (/bin/sh -c), e.g.
			    "gcloud auth print-access-token"; re-run before expiry */
};

struct tg_recon_remote_config {
	enum tg_recon_flavour flavour;
	const char *url;            /* TG_RECON_URL */
	const char *project;        /* TG_RECON_VERTEX */
	const char *location;       /* TG_RECON_VERTEX, e.g. "us-central1" */
	const char *endpoint_id;    /* TG_RECON_VERTEX */
	const char *base_url;       /* TG_RECON_TFSERVING: "http://127.0.0.1:8501" */
	const char *model_name;     /* TG_RECON_TFSERVING */
	uint32_t model_version;     /* TG_RECON_TFSERVING: 0 = latest (no /versions/) */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated */

	enum tg_auth_source auth;
	const char *auth_arg;    /* env var name, file path or command */
	uint32_t auth_refresh_s; /* command tokens: re-run after; 0 = 3000 */

	uint32_t window, features;   /* shape of a window (required) */
	uint32_t max_batch;          /* windows per submit; 0 = 64 */
	uint32_t max_pending;        /* batches outstanding; 0 = 16 */
	uint32_t max_inflight;       /* HTTP requests on the wire; 0 = 4 */
	uint32_t max_request_bytes;  /* request body limit; a batch is split; 0 = 1.5 MB */
	uint32_t max_reply_bytes;    /* larger replies are malformed; 0 = 16 MB */
	uint32_t connect_timeout_ms; /* 0 = 1000 */
	uint32_t timeout_ms;         /* per attempt, total; 0 = 5000 */
	uint32_t deadline_ms;        /* per batch incl. retries; 0 = 3 * timeout_ms */
	uint32_t max_retries;        /* 0 = 3; UINT32_MAX = none */
	uint32_t backoff_base_ms;    /* first retry delay (x2 each, jitter); 0 = 50 */
	uint32_t backoff_max_ms;     /* cap of that delay; 0 = 2000 (a longer Retry-After is
						 honoured while the deadline allows) */
	uint32_t circuit_failures;   /* consecutive failed requests that mark the endpoint
					down; 0 = 5; UINT32_MAX = never */
	uint32_t circuit_open_ms;    /* how long it stays down before a probe; 0 = 1000 */
	bool keep_recon;             /* deliver reconstructions in results */
	bool verbose_curl;           /* CURLOPT_VERBOSE (debugging; may print headers) */
	struct tg_recon *fallback;   /* local recon for windows the endpoint could not
					score, or NULL; owned (destroyed) by the remote */
	uint64_t seed;               /* jitter PRNG seed; 0 = from the clock */
};

/* Remote endpoint: an I/O thread (curl multi, keep-alive, HTTP/2 where the
 * server offers it over TLS) sends each batch as one or more requests of at
 * most max_request_bytes, up to max_inflight at a time, retrying connection
 * errors, timeouts, 429 (Retry-After honoured) and 5xx with exponential
 * backoff and jitter until deadline_ms; other 4xx fail at once. */
int tg_recon_remote_create(const struct tg_recon_remote_config *cfg, struct tg_recon **out);

/* Set one option from "key=value" (a command-line --remote flag or a config
 * entry); cfg keeps a pointer into `kv`, which must outlive it (argv does).
 * Keys: url, base-url, model, version, project, location, endpoint,
 * auth-env, auth-file, auth-command, auth-refresh-s, timeout-ms,
 * connect-timeout-ms, deadline-ms, retries, max-inflight, max-pending,
 * max-request-bytes, max-reply-bytes, circuit-failures, circuit-open-ms.
 * url selects TG_RECON_URL, project/location/endpoint TG_RECON_VERTEX,
 * base-url/model/version TG_RECON_TFSERVING. 0, -ENOENT unknown key,
 * -EINVAL bad value or no '='. */
int tg_recon_remote_option(struct tg_recon_remote_config *cfg, const char *kv);

/* Request building, exposed for tests and `--dry-run` tools (no I/O).
 * The predict URL for cfg into buf: length, or -ENOSPC / -EINVAL. */
int tg_recon_remote_url(const struct tg_recon_remote_config *cfg, char *buf, size_t len);
/* The request body {"instances": [[[p1],...,[pW]], ...]} for n windows,
 * malloc'd and NUL-terminated into *body (caller frees); its length or
 * -ENOMEM. Floats are printed with 9 significant digits (exact round trip). */
long tg_recon_remote_body(const float *windows, uint32_t n, uint32_t window, uint32_t features,
                          char **body);
/* Parse a reply body for n windows of window*features. On success returns
 * 0 and either fills recon[n][window][features] (*scores_only = false) or,
 * when the server returns one number per instance, scores[n] (*scores_only
 * = true). Otherwise -EPROTO with the reason in why (at most a short excerpt
 * of the body). Accepts [[v],...] and [v,...] per instance when features ==
 * 1, and ignores extra top-level fields (Vertex's deployedModelId...). */
int tg_recon_remote_parse(const char *body, size_t len, uint32_t n, uint32_t window,
                          uint32_t features, float *recon, double *scores, bool *scores_only,
                          char *why, size_t why_len);

#endif
