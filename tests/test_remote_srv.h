/* test_remote_srv.h - a fault-injecting HTTP/1.1 server for the remote
 * client tests, on loopback, on plain sockets (so it can misbehave in ways a
 * real server library would not: drop a connection mid-request, send broken
 * JSON, lie about shapes, stream a huge body). One thread accepts; one
 * thread per connection serves keep-alive requests. Each request takes the
 * next action of the script (then the default action) and is recorded
 * (method, path, headers, body of the last one).
 */
#ifndef TEST_REMOTE_SRV_H
#define TEST_REMOTE_SRV_H

#include <arpa/inet.h>
#include <cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum fs_action {
	FS_OK = 0,      /* predictions = instances * 0.5 */
	FS_VERTEX,      /* FS_OK plus Vertex AI's extra fields */
	FS_SCORES,      /* one number per instance: 0.25 */
	FS_FLAT,        /* predictions as [v,...] per instance */
	FS_500,         /* 500 {"error": "..."} (TF Serving) */
	FS_503_GOOGLE,  /* 503 {"error": {"code","message","status"}} */
	FS_429,         /* 429 with Retry-After: 1 */
	FS_400,         /* 400 {"error": "..."} */
	FS_401,         /* 401 Google error body */
	FS_DROP,        /* read the request, close without a reply */
	FS_SLOW,        /* wait slow_ms, then FS_OK */
	FS_MALFORMED,   /* truncated JSON */
	FS_WRONG_COUNT, /* one prediction fewer */
	FS_WRONG_SHAPE, /* each prediction one step short */
	FS_NONNUM,      /* a string among the values */
	FS_ERR_200,     /* 200 with an error body */
	FS_HUGE,        /* 200 with a body of huge_bytes */
	FS_MIXED,       /* scores, then an array for the last instance */
	FS_NEG_SCORE,   /* scores, the last one negative */
};

struct fs_conn_thread {
	pthread_t th;
	int fd;
	struct fsrv *srv;
};

struct fsrv {
	int lfd;
	uint16_t port;
	pthread_t th;
	atomic_int stop; /* set by fs_stop (relaxed is enough: threads poll it) */
	pthread_mutex_t mu;
	enum fs_action script[64];
	int n_script, next;
	enum fs_action dflt;
	atomic_int slow_ms;        /* FS_SLOW delay */
	_Atomic size_t huge_bytes; /* FS_HUGE body size */
	atomic_int requests;       /* requests read */
	atomic_int connections;    /* connections accepted */
	atomic_int busy, max_busy; /* requests being answered now / at most */
	/* last request (under mu) */
	char method[16], path[512], headers[8192];
	char *body;
	size_t body_len;
	struct fs_conn_thread conns[64];
	int n_conns;
};

static inline enum fs_action fs_take(struct fsrv *s)
{
	pthread_mutex_lock(&s->mu);
	enum fs_action a = s->next < s->n_script ? s->script[s->next++] : s->dflt;
	pthread_mutex_unlock(&s->mu);
	return a;
}

static inline void fs_script(struct fsrv *s, enum fs_action dflt, int n, const enum fs_action *a)
{
	pthread_mutex_lock(&s->mu);
	s->dflt = dflt;
	s->n_script = n;
	s->next = 0;
	if (n)
		memcpy(s->script, a, (size_t)n * sizeof(*a));
	pthread_mutex_unlock(&s->mu);
}

static int fs_send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fs_reply(int fd, int code, const char *extra_hdr, const char *body, size_t len)
{
	char h[512];
	const char *reason = code == 200 ? "OK" : code == 429 ? "Too Many Requests" : "Error";
	int n = snprintf(h, sizeof(h),
	                 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%sContent-Length: "
	                 "%zu\r\n\r\n",
	                 code, reason, extra_hdr ? extra_hdr : "", len);
	if (fs_send_all(fd, h, (size_t)n) < 0)
		return -1;
	return fs_send_all(fd, body, len);
}

/* predictions for the instances of body, per action. */
static char *fs_predictions(const char *body, size_t len, enum fs_action a)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	cJSON *inst = root ? cJSON_GetObjectItemCaseSensitive(root, "instances") : NULL;
	cJSON *out = cJSON_CreateObject();
	cJSON *pred = cJSON_AddArrayToObject(out, "predictions");
	int n = cJSON_GetArraySize(inst);
	if (a == FS_WRONG_COUNT)
		n--;
	for (int i = 0; i < n; i++) {
		cJSON *w = cJSON_GetArrayItem(inst, i);
		if (a == FS_SCORES || (a == FS_MIXED && i < n - 1) ||
		    (a == FS_NEG_SCORE && i < n - 1)) {
			cJSON_AddItemToArray(pred, cJSON_CreateNumber(0.25));
			continue;
		}
		if (a == FS_NEG_SCORE) {
			cJSON_AddItemToArray(pred, cJSON_CreateNumber(-1.0));
			continue;
		}
		cJSON *pw = cJSON_CreateArray();
		int steps = cJSON_GetArraySize(w) - (a == FS_WRONG_SHAPE ? 1 : 0);
		for (int t = 0; t < steps; t++) {
			cJSON *st = cJSON_GetArrayItem(w, t);
			double v = cJSON_GetArrayItem(st, 0)->valuedouble;
			float y = (float)v * 0.5f;
			if (a == FS_FLAT) {
				cJSON_AddItemToArray(pw, cJSON_CreateNumber(y));
			} else {
				cJSON *ps = cJSON_CreateArray();
				if (a == FS_NONNUM && i == n - 1 && t == 3)
					cJSON_AddItemToArray(ps, cJSON_CreateString("0.5"));
				else
					cJSON_AddItemToArray(ps, cJSON_CreateNumber(y));
				cJSON_AddItemToArray(pw, ps);
			}
		}
		cJSON_AddItemToArray(pred, pw);
	}
	if (a == FS_VERTEX) {
		cJSON_AddStringToObject(out, "deployedModelId", "1234567890");
		cJSON_AddStringToObject(out, "model", "projects/1/locations/us-central1/models/9");
		cJSON_AddStringToObject(out, "modelDisplayName", "tickguard-ae");
		cJSON_AddStringToObject(out, "modelVersionId", "1");
	}
	char *s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	cJSON_Delete(root);
	return s;
}

static void fs_pause_ms(struct fsrv *s, int ms)
{
	struct timespec now, end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	/* the injected fault itself, not synchronisation; wakes to see stop */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
}

/* Read one request: 1 ok, 0 closed, -1 error/stop. */
static int fs_read_request(struct fsrv *s, int fd, char *hdr, size_t hdr_cap, char **body,
                           size_t *body_len)
{
	size_t n = 0;
	char *end = NULL;
	while (!end) {
		struct pollfd p = {fd, POLLIN, 0};
		int pr = poll(&p, 1, 50);
		if (atomic_load_explicit(&s->stop, memory_order_relaxed))
			return -1;
		if (pr <= 0)
			continue;
		if (n + 1 >= hdr_cap)
			return -1;
		ssize_t r = recv(fd, hdr + n, hdr_cap - 1 - n, 0);
		if (r <= 0)
			return n ? -1 : 0;
		n += (size_t)r;
		hdr[n] = '\0';
		end = strstr(hdr, "\r\n\r\n");
	}
	size_t head = (size_t)(end + 4 - hdr);
	size_t cl = 0;
	const char *c = strcasestr(hdr, "\r\ncontent-length:");
	if (c)
		cl = strtoul(c + 17, NULL, 10);
	char *b = malloc(cl + 1);
	size_t have = n - head < cl ? n - head : cl;
	memcpy(b, hdr + head, have);
	while (have < cl) {
		struct pollfd p = {fd, POLLIN, 0};
		int pr = poll(&p, 1, 50);
		if (atomic_load_explicit(&s->stop, memory_order_relaxed)) {
			free(b);
			return -1;
		}
		if (pr <= 0)
			continue;
		ssize_t r = recv(fd, b + have, cl - have, 0);
		if (r <= 0) {
			free(b);
			return -1;
		}
		have += (size_t)r;
	}
	b[cl] = '\0';
	hdr[head] = '\0';
	*body = b;
	*body_len = cl;
	return 1;
}

static void *fs_conn_main(void *arg)
{
	struct fs_conn_thread *ct = arg;
	struct fsrv *s = ct->srv;
	int fd = ct->fd;
	static const char tf_err[] =
	    "{\"error\": \"Tensor name: input_1 has no shape information\"}";
	static const char g_err[] = "{\"error\": {\"code\": 503, \"message\": \"The service is "
	                            "currently unavailable.\", \"status\": \"UNAVAILABLE\"}}";
	static const char g_401[] = "{\"error\": {\"code\": 401, \"message\": \"Request had "
	                            "invalid authentication credentials.\", \"status\": "
	                            "\"UNAUTHENTICATED\"}}";
	char *hdr = malloc(65536);
	for (;;) {
		char *body = NULL;
		size_t blen = 0;
		if (fs_read_request(s, fd, hdr, 65536, &body, &blen) <= 0)
			break;
		atomic_fetch_add(&s->requests, 1);
		pthread_mutex_lock(&s->mu);
		sscanf(hdr, "%15s %511s", s->method, s->path);
		snprintf(s->headers, sizeof(s->headers), "%s", hdr);
		free(s->body);
		s->body = malloc(blen + 1);
		memcpy(s->body, body, blen + 1);
		s->body_len = blen;
		pthread_mutex_unlock(&s->mu);
		enum fs_action a = fs_take(s);
		int rc = 0, b = atomic_fetch_add(&s->busy, 1) + 1, m = atomic_load(&s->max_busy);
		while (b > m && !atomic_compare_exchange_weak(&s->max_busy, &m, b))
			;
		char *p = NULL;
		switch (a) {
		case FS_SLOW:
			fs_pause_ms(s, atomic_load(&s->slow_ms));
			/* fall through */
		case FS_OK:
		case FS_VERTEX:
		case FS_SCORES:
		case FS_FLAT:
		case FS_WRONG_COUNT:
		case FS_WRONG_SHAPE:
		case FS_NONNUM:
		case FS_MIXED:
		case FS_NEG_SCORE:
			p = fs_predictions(body, blen, a);
			rc = fs_reply(fd, 200, NULL, p, strlen(p));
			break;
		case FS_500:
			rc = fs_reply(fd, 500, NULL, tf_err, strlen(tf_err));
			break;
		case FS_503_GOOGLE:
			rc = fs_reply(fd, 503, NULL, g_err, strlen(g_err));
			break;
		case FS_429:
			rc = fs_reply(fd, 429, "Retry-After: 1\r\n", tf_err, strlen(tf_err));
			break;
		case FS_400:
			rc = fs_reply(fd, 400, NULL, tf_err, strlen(tf_err));
			break;
		case FS_401:
			rc = fs_reply(fd, 401, NULL, g_401, strlen(g_401));
			break;
		case FS_ERR_200:
			rc = fs_reply(fd, 200, NULL, tf_err, strlen(tf_err));
			break;
		case FS_MALFORMED:
			rc = fs_reply(fd, 200, NULL, "{\"predictions\": [[[0.5],[0.25", 28);
			break;
		case FS_HUGE: {
			size_t hb = atomic_load(&s->huge_bytes);
			p = malloc(hb);
			memset(p, ' ', hb);
			memcpy(p, "{\"predictions\":[", 16);
			rc = fs_reply(fd, 200, NULL, p, hb);
			break;
		}
		case FS_DROP:
			rc = -1;
			break;
		}
		atomic_fetch_sub(&s->busy, 1);
		free(p);
		free(body);
		if (rc < 0)
			break;
	}
	free(hdr);
	close(fd);
	return NULL;
}

static void *fs_accept_main(void *arg)
{
	struct fsrv *s = arg;
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		struct pollfd p = {s->lfd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (s->n_conns >= (int)(sizeof(s->conns) / sizeof(s->conns[0]))) {
			close(fd);
			continue;
		}
		atomic_fetch_add(&s->connections, 1);
		struct fs_conn_thread *ct = &s->conns[s->n_conns++];
		ct->fd = fd;
		ct->srv = s;
		pthread_create(&ct->th, NULL, fs_conn_main, ct);
	}
	return NULL;
}

static inline int fs_start(struct fsrv *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->slow_ms = 2000;
	s->huge_bytes = 4u << 20;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s->lfd, 64) < 0 || getsockname(s->lfd, (struct sockaddr *)&a, &al) < 0)
		return -errno;
	s->port = ntohs(a.sin_port);
	return -pthread_create(&s->th, NULL, fs_accept_main, s);
}

static inline void fs_stop(struct fsrv *s)
{
	atomic_store_explicit(&s->stop, 1, memory_order_relaxed);
	pthread_join(s->th, NULL);
	for (int i = 0; i < s->n_conns; i++)
		pthread_join(s->conns[i].th, NULL);
	close(s->lfd);
	free(s->body);
	pthread_mutex_destroy(&s->mu);
}

#endif
