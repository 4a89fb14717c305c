/* cmd_run.c - `tickguard run`: the whole pipeline from one config. Trains
 * a model first when none is given (`tickguard train` as a child), then
 * starts gateway, scorer(s), publisher and feedsim as separate processes of
 * this same binary, supervises them (a crashed gateway, scorer or publisher
 * is restarted up to max_restarts times), stops them in pipeline order at
 * the end of the input or on SIGINT/SIGTERM, and prints a summary read from
 * the segments' counters (it keeps every segment incarnation attached so a
 * dead process's counters stay readable). On the synthetic market it also
 * scores the alerts against feedsim's labels. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_config.h"
#include "common/cmdline.h"
#include "common/tg_common.h"
#include "feedsim/source.h"
#include "model/package.h"
#include "publisher/quality.h"
#include "shm/shm.h"
#include "tickguard/tickguard.h"

int tg_cmd_run(int argc, char **argv);

#define RUN_MAX_PROCS 80
#define RUN_MAX_SEGS  256

enum { P_GATEWAY, P_SCORER, P_PUBLISHER, P_FEEDSIM };

struct run_proc {
	char name[32];
	int role, index;
	char args[96][TG_RUN_PATH];
	int nargs;
	pid_t pid;
	uint32_t restarts;
	bool exited, stopping;
	int status; /* last wait status */
};

struct run_seg {
	char name[64];
	struct tg_segment *seg;
};

struct run {
	struct tg_run_config cfg;
	char exe[TG_RUN_PATH];
	char model[TG_RUN_PATH + 16];
	char labels[TG_RUN_PATH + 16];
	char stream[TG_RUN_PATH + 16];
	char jsonl[TG_RUN_PATH + 16];
	uint64_t expected_ticks;
	uint32_t window;
	struct run_proc procs[RUN_MAX_PROCS];
	int nprocs;
	struct run_seg segs[RUN_MAX_SEGS]; /* every incarnation we attached */
	int nsegs;
	uint64_t t0;
	bool feed_done, gateway_done, failed, interrupted, timed_out;
	char fail_reason[256];
	uint32_t restarts_total;
};

static void run_say(const struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void run_say(const struct run *r, const char *fmt, ...)
{
	if (r->cfg.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "run: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void run_fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_fail(struct run *r, const char *fmt, ...)
{
	if (r->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->fail_reason, sizeof(r->fail_reason), fmt, ap);
	va_end(ap);
	r->failed = true;
}

static double run_elapsed(const struct run *r)
{
	return (double)(tg_monotonic_ns() - r->t0) / 1e9;
}

static void run_nap_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static int run_mkdirs(const char *path)
{
	char tmp[TG_RUN_PATH];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0755);
			*p = '/';
		}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static struct run_proc *run_proc_new(struct run *r, int role, int index, const char *name)
{
	struct run_proc *p = &r->procs[r->nprocs++];
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->index = index;
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

static void run_arg(struct run_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_arg(struct run_proc *p, const char *fmt, ...)
{
	va_list ap;
	if (p->nargs >= (int)TG_ARRAY_SIZE(p->args) - 1)
		return; /* cannot happen with the options we pass (< 80) */
	va_start(ap, fmt);
	vsnprintf(p->args[p->nargs++], TG_RUN_PATH, fmt, ap);
	va_end(ap);
}

/* An option and its value: `flag`, then the formatted value. */
static void run_opt(struct run_proc *p, const char *flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void run_opt(struct run_proc *p, const char *flag, const char *fmt, ...)
{
	va_list ap;
	if (p->nargs >= (int)TG_ARRAY_SIZE(p->args) - 2)
		return; /* cannot happen with the options we pass (< 80) */
	snprintf(p->args[p->nargs++], TG_RUN_PATH, "%s", flag);
	va_start(ap, fmt);
	vsnprintf(p->args[p->nargs++], TG_RUN_PATH, fmt, ap);
	va_end(ap);
}

/* The remote client's options for a scorer: one --remote=KEY=VALUE per
 * option set (scorer/recon.h keys), headers, fallback. Nothing if local. */
static void run_remote_args(const struct tg_run_config *c, struct run_proc *p)
{
	const struct {
		const char *key, *val;
	} o[] = {
	    {"url", c->remote_url},
	    {"base-url", c->remote_base_url},
	    {"model", c->remote_model},
	    {"version", c->remote_version},
	    {"project", c->remote_project},
	    {"location", c->remote_location},
	    {"endpoint", c->remote_endpoint},
	    {"auth-env", c->remote_auth_env},
	    {"auth-file", c->remote_auth_file},
	    {"auth-command", c->remote_auth_command},
	    {"auth-refresh-s", c->remote_auth_refresh_s},
	    {"timeout-ms", c->remote_timeout_ms},
	    {"connect-timeout-ms", c->remote_connect_timeout_ms},
	    {"deadline-ms", c->remote_deadline_ms},
	    {"retries", c->remote_retries},
	    {"max-inflight", c->remote_max_inflight},
	    {"max-pending", c->remote_max_pending},
	    {"max-request-bytes", c->remote_max_request_bytes},
	    {"max-reply-bytes", c->remote_max_reply_bytes},
	    {"circuit-failures", c->remote_circuit_failures},
	    {"circuit-open-ms", c->remote_circuit_open_ms},
	};
	bool on = false;
	for (size_t i = 0; i < 7; i++) /* url .. endpoint select remote mode */
		on |= o[i].val[0] != 0;
	if (!on)
		return;
	for (size_t i = 0; i < TG_ARRAY_SIZE(o); i++)
		if (o[i].val[0])
			run_arg(p, "--remote=%s=%s", o[i].key, o[i].val);
	for (const char *h = c->remote_headers; *h;) {
		size_t n = strcspn(h, "\n");
		run_arg(p, "--remote-header=%.*s", (int)n, h);
		h += n + (h[n] != 0);
	}
	if (c->remote_fallback)
		run_arg(p, "--remote-fallback");
}

/* fork + exec this binary with p's args; stdout/stderr to <workdir>/<name>.log
 * (stdout stays ours when the JSON lines go to "-"). */
static int run_spawn(struct run *r, struct run_proc *p)
{
	char log[TG_RUN_PATH + 64];
	snprintf(log, sizeof(log), "%s/%s.log", r->cfg.workdir, p->name);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			bool keep_stdout = p->role == P_PUBLISHER && !strcmp(r->jsonl, "-");
			if (!keep_stdout)
				dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGINT, SIG_IGN); /* the supervisor stops us in order */
		char *argv[52];
		argv[0] = r->exe;
		for (int i = 0; i < p->nargs; i++)
			argv[i + 1] = p->args[i];
		argv[p->nargs + 1] = NULL;
		execv(r->exe, argv);
		_exit(127);
	}
	p->pid = pid;
	p->exited = false;
	p->stopping = false;
	return 0;
}

static struct run_proc *run_find_pid(struct run *r, pid_t pid)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

/* Attach (and keep) the current incarnation of segment `name`; returns it,
 * or NULL if it is not there (yet). */
static struct tg_segment *run_seg(struct run *r, const char *name)
{
	struct tg_segment *cur = NULL;
	for (int i = r->nsegs - 1; i >= 0; i--)
		if (!strcmp(r->segs[i].name, name)) {
			cur = r->segs[i].seg;
			break;
		}
	if (cur && tg_segment_check(cur) != -ESTALE)
		return cur;
	struct tg_segment *s;
	if (tg_segment_attach(name, &s) < 0)
		return cur;
	if (cur && tg_segment_epoch(s) == tg_segment_epoch(cur) &&
	    tg_segment_writer_pid(s) == tg_segment_writer_pid(cur)) {
		tg_segment_detach(s);
		return cur;
	}
	if (r->nsegs == RUN_MAX_SEGS) {
		tg_segment_detach(s);
		return cur;
	}
	snprintf(r->segs[r->nsegs].name, sizeof(r->segs[0].name), "%s", name);
	r->segs[r->nsegs++].seg = s;
	return s;
}

static bool run_counter(const struct tg_segment *s, const char *name, uint64_t *out)
{
	if (!s)
		return false;
	uint32_t n = tg_segment_counters(s);
	for (uint32_t i = 0; i < n; i++) {
		struct tg_counter_view v;
		if (tg_segment_counter(s, i, &v) == 0 && !strcmp(v.name, name)) {
			*out = v.value;
			return true;
		}
	}
	return false;
}

static uint64_t run_ctr(const struct tg_segment *s, const char *name)
{
	uint64_t v = 0;
	run_counter(s, name, &v);
	return v;
}

/* Sum of counter `name` over every incarnation of segments named prefix*. */
static uint64_t run_sum(const struct run *r, const char *prefix, const char *name)
{
	uint64_t t = 0;
	for (int i = 0; i < r->nsegs; i++)
		if (!strncmp(r->segs[i].name, prefix, strlen(prefix)))
			t += run_ctr(r->segs[i].seg, name);
	return t;
}

static struct tg_segment *run_latest(const struct run *r, const char *name)
{
	for (int i = r->nsegs - 1; i >= 0; i--)
		if (!strcmp(r->segs[i].name, name))
			return r->segs[i].seg;
	return NULL;
}

static int run_free_udp_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Run a child to completion (training), forwarding our stop request. */
static int run_child_wait(struct run *r, struct run_proc *p)
{
	if (run_spawn(r, p) < 0)
		return -1;
	int st;
	for (;;) {
		pid_t w = waitpid(p->pid, &st, WNOHANG);
		if (w == p->pid)
			break;
		if (atomic_load_explicit(&tg_stop, memory_order_relaxed) && !p->stopping) {
			kill(p->pid, SIGTERM);
			p->stopping = true;
		}
		run_nap_ms(20);
	}
	p->exited = true;
	p->status = st;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run_parse_tod(const char *s, uint64_t *ns)
{
	unsigned h = 0, m = 0, sec = 0;
	int n = sscanf(s, "%u:%u:%u", &h, &m, &sec);
	if (n < 2 || h > 23 || m > 59 || sec > 59)
		return -EINVAL;
	*ns = ((uint64_t)h * 3600 + m * 60 + sec) * 1000000000ull;
	return 0;
}

static int run_train(struct run *r)
{
	struct tg_run_config *c = &r->cfg;
	snprintf(r->model, sizeof(r->model), "%s/model", c->workdir);
	struct run_proc *p = run_proc_new(r, -1, 0, "train");
	run_arg(p, "train");
	run_opt(p, "--out", "%s", r->model);
	run_arg(p, "--quiet");
	if (c->input[0]) {
		run_opt(p, "--input", "%s", c->input);
		run_opt(p, "--until", "%s", c->train_until);
		run_opt(p, "--val-frac", "%g", c->val_frac);
	} else {
		/* a different market (seed) of the same kind: the run never scores
		 * the data it trained on */
		run_arg(p, "--synthetic");
		run_opt(p, "--synth-seed", "%llu", (unsigned long long)(c->seed + 1000));
		run_opt(p, "--synth-instruments", "%u", c->instruments);
		run_opt(p, "--synth-trades", "%llu", (unsigned long long)c->train_trades);
	}
	for (uint32_t i = 0; i < c->n_train_args; i++)
		run_arg(p, "%s", c->train_args[i]);
	run_say(r, "training a model into %s (log %s/train.log)", r->model, c->workdir);
	uint64_t t = tg_monotonic_ns();
	int rc = run_child_wait(r, p);
	r->nprocs--; /* not supervised */
	if (rc != 0) {
		run_fail(r, "training failed (exit %d, see %s/train.log)", rc, c->workdir);
		return -1;
	}
	run_say(r, "trained in %.1f s", (double)(tg_monotonic_ns() - t) / 1e9);
	return 0;
}

/* File input: the trades after train_until go to a tick CSV that feedsim
 * streams (ITCH over MoldUDP64, like any feed). */
static int run_prepare_stream(struct run *r)
{
	struct tg_source *src;
	int rc = tg_source_open_path(r->cfg.input, &src);
	if (rc < 0) {
		run_fail(r, "cannot read input %s: %s", r->cfg.input, strerror(-rc));
		return -1;
	}
	uint64_t cut;
	if (run_parse_tod(r->cfg.train_until, &cut) < 0) {
		tg_source_close(src);
		run_fail(r, "bad train_until '%s' (HH:MM)", r->cfg.train_until);
		return -1;
	}
	snprintf(r->stream, sizeof(r->stream), "%s/stream.csv", r->cfg.workdir);
	FILE *f = fopen(r->stream, "w");
	if (!f) {
		tg_source_close(src);
		run_fail(r, "cannot write %s: %s", r->stream, strerror(errno));
		return -1;
	}
	fprintf(f, "symbol,timestamp,price,size,side\n");
	uint64_t n = 0, total = 0;
	const struct tg_trade *t = tg_source_trade_array(src, &total);
	for (uint64_t i = 0; i < total; i++) {
		if (t[i].exch_ts_ns < cut)
			continue;
		fprintf(f, "%s,%llu,%u.%04u,%u,%s\n", t[i].symbol,
		        (unsigned long long)t[i].exch_ts_ns, t[i].price_e4 / 10000,
		        t[i].price_e4 % 10000, t[i].shares,
		        t[i].side == 'B'   ? "B"
		        : t[i].side == 'S' ? "S"
		                           : "");
		n++;
	}
	fclose(f);
	tg_source_close(src);
	r->expected_ticks = n;
	run_say(r, "streaming %llu of %llu trades (from %s on) via %s", (unsigned long long)n,
	        (unsigned long long)total, r->cfg.train_until, r->stream);
	return n ? 0 : -1;
}

/* Wait until segment `name` can be attached while `p` lives. */
static int run_await_seg(struct run *r, const char *name, struct run_proc *p, double secs)
{
	uint64_t end = tg_monotonic_ns() + (uint64_t)(secs * 1e9);
	while (tg_monotonic_ns() < end) {
		if (run_seg(r, name))
			return 0;
		int st;
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->exited = true;
			run_fail(r, "%s exited while starting (see %s/%s.log)", p->name,
			         r->cfg.workdir, p->name);
			return -1;
		}
		if (atomic_load_explicit(&tg_stop, memory_order_relaxed))
			return -1;
		run_nap_ms(5);
	}
	run_fail(r, "%s did not create segment %s in %.0f s", p->name, name, secs);
	return -1;
}

static void run_signal_role(struct run *r, int role, int sig)
{
	for (int i = 0; i < r->nprocs; i++) {
		struct run_proc *p = &r->procs[i];
		if (p->role == role && !p->exited && p->pid > 0) {
			kill(p->pid, sig);
			p->stopping = true;
		}
	}
}

static bool run_role_alive(struct run *r, int role)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].role == role && !r->procs[i].exited && r->procs[i].pid > 0)
			return true;
	return false;
}

static void run_reap(struct run *r, bool supervise);

/* SIGTERM a role and wait for it (SIGKILL after `secs`). */
static void run_stop_role(struct run *r, int role, double secs)
{
	run_signal_role(r, role, SIGTERM);
	uint64_t end = tg_monotonic_ns() + (uint64_t)(secs * 1e9);
	while (run_role_alive(r, role)) {
		run_reap(r, false);
		if (tg_monotonic_ns() > end) {
			run_signal_role(r, role, SIGKILL);
			end = UINT64_MAX;
		}
		run_nap_ms(5);
	}
}

static void run_refresh_segs(struct run *r)
{
	run_seg(r, "ticks");
	run_seg(r, "alerts");
	for (uint32_t k = 0; k < r->cfg.scorers; k++) {
		char n[32];
		snprintf(n, sizeof(n), "flags.%u", k);
		run_seg(r, n);
	}
}

/* Collect exited children; with `supervise`, restart crashed ones. */
static void run_reap(struct run *r, bool supervise)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct run_proc *p = run_find_pid(r, pid);
		if (!p)
			continue;
		p->exited = true;
		p->status = st;
		bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (p->role == P_FEEDSIM) {
			if (clean)
				r->feed_done = true;
			else if (!p->stopping)
				run_fail(r, "feedsim failed (see %s/feedsim.log)", r->cfg.workdir);
			continue;
		}
		if (p->stopping || !supervise)
			continue;
		if (p->role == P_GATEWAY && clean) {
			r->gateway_done = true; /* end of session: the end of the input */
			continue;
		}
		char why[64];
		if (WIFSIGNALED(st))
			snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(st));
		else
			snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(st));
		if (p->restarts >= r->cfg.max_restarts) {
			run_fail(r, "%s %s, restart limit %u reached", p->name, why,
			         r->cfg.max_restarts);
			continue;
		}
		p->restarts++;
		r->restarts_total++;
		fprintf(stderr, "run: %s (pid %d) %s; restarting (%u/%u)\n", p->name, (int)pid, why,
		        p->restarts, r->cfg.max_restarts);
		if (run_spawn(r, p) < 0)
			run_fail(r, "cannot restart %s", p->name);
	}
}

static uint64_t run_ring_ticks(const struct tg_segment *ticks)
{
	uint64_t t = 0;
	if (!ticks)
		return 0;
	uint32_t n = tg_segment_instruments(ticks);
	for (uint32_t i = 0; i < n; i++)
		t += tg_ring_head(tg_segment_tick_ring(ticks, i));
	return t;
}

/* ---- detection quality --------------------------------------------------- */

/* Alert episodes as quality spans, keyed by alert id: an open adds one
 * (a repeated open of the same id, re-output by a resuming publisher, is
 * ignored), an update or close stretches its span to its last tick. */
struct run_qalerts {
	struct tg_quality_alert *al;
	uint64_t *ids;
	size_t n, cap;
	uint64_t max_id; /* ids grow: an open above it is new without a search */
	bool nomem;
};

static ssize_t run_qalerts_find(const struct run_qalerts *qa, uint64_t id)
{
	for (size_t i = qa->n; i-- > 0;)
		if (qa->ids[i] == id)
			return (ssize_t)i;
	return -1;
}

static void run_qalerts_add(struct run_qalerts *qa, uint8_t event, uint64_t id, uint16_t instrument,
                            uint64_t last_seq)
{
	if (event == TG_ALERT_OPEN) {
		if (qa->n && id <= qa->max_id && run_qalerts_find(qa, id) >= 0)
			return;
		if (qa->n == qa->cap) {
			size_t cap = qa->cap ? 2 * qa->cap : 1024;
			struct tg_quality_alert *al = realloc(qa->al, cap * sizeof(*al));
			if (al)
				qa->al = al;
			uint64_t *ids = realloc(qa->ids, cap * sizeof(*ids));
			if (ids)
				qa->ids = ids;
			if (!al || !ids) {
				qa->nomem = true;
				return;
			}
			qa->cap = cap;
		}
		qa->ids[qa->n] = id;
		qa->al[qa->n++] = (struct tg_quality_alert){
		    .instrument = instrument, .open_tick = last_seq, .close_tick = last_seq};
		if (id > qa->max_id)
			qa->max_id = id;
		return;
	}
	ssize_t i = run_qalerts_find(qa, id);
	if (i >= 0 && last_seq > qa->al[i].close_tick)
		qa->al[i].close_tick = last_seq;
}

/* From the JSON lines file: complete across publisher restarts (a resumed
 * publisher appends to it). A line cut by a kill is skipped. -1 when there
 * is no file (e.g. --jsonl -). */
static int run_qalerts_jsonl(const struct run *r, struct run_qalerts *qa)
{
	FILE *f = strcmp(r->jsonl, "-") ? fopen(r->jsonl, "r") : NULL;
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0 && !qa->nomem) {
		cJSON *j = cJSON_Parse(line);
		const cJSON *e = cJSON_GetObjectItem(j, "event");
		const cJSON *id = cJSON_GetObjectItem(j, "alert_id");
		const cJSON *in = cJSON_GetObjectItem(j, "instrument");
		const cJSON *seq = cJSON_GetObjectItem(j, "last_seq");
		if (cJSON_IsString(e) && cJSON_IsNumber(id) && cJSON_IsNumber(in) &&
		    cJSON_IsNumber(seq)) {
			uint8_t ev = !strcmp(e->valuestring, "open")    ? TG_ALERT_OPEN
			             : !strcmp(e->valuestring, "close") ? TG_ALERT_CLOSE
			                                                : TG_ALERT_UPDATE;
			run_qalerts_add(qa, ev, (uint64_t)id->valuedouble,
			                (uint16_t)in->valuedouble, (uint64_t)seq->valuedouble);
		}
		cJSON_Delete(j);
	}
	free(line);
	fclose(f);
	return 0;
}

/* From the final alert ring: only the last publisher's events, so a
 * fallback when there is no JSON lines file. */
static void run_qalerts_ring(const struct tg_segment *alerts, struct run_qalerts *qa)
{
	const struct tg_ring *ar = tg_segment_ring(alerts);
	uint64_t h = tg_ring_head(ar);
	uint64_t from = h > ar->capacity ? h - ar->capacity : 0;
	for (uint64_t s = from; s < h && !qa->nomem; s++) {
		uint64_t w[TG_ALERT_SLOT_WORDS - 1];
		if (tg_ring_try_read(ar, s, w) < 0)
			continue;
		struct tg_alert a;
		tg_alert_unpack(w, &a);
		run_qalerts_add(qa, a.event, a.alert_id, a.instrument, a.last_seq);
	}
}

static int run_quality(struct run *r, cJSON *js, struct tg_quality *q)
{
	struct tg_segment *ticks = run_latest(r, "ticks"), *alerts = run_latest(r, "alerts");
	FILE *f = fopen(r->labels, "r");
	if (!f || !ticks || !alerts) {
		if (f)
			fclose(f);
		return -1;
	}
	struct tg_quality_label *lb = calloc(65536, sizeof(*lb));
	size_t nl = 0;
	char line[512];
	while (lb && fgets(line, sizeof(line), f) && nl < 65536) {
		char sym[32], kind[32];
		unsigned long long a, b;
		if (sscanf(line, "%31[^,],%llu,%llu,%31[^,\n]", sym, &a, &b, kind) != 4)
			continue; /* header */
		int id = tg_segment_lookup(ticks, sym);
		int k = tg_anomaly_parse(kind);
		if (id < 0 || k < 0 || k >= TG_QUALITY_KINDS)
			continue;
		/* an interrupted run only answers for what it streamed */
		if (b >= tg_ring_head(tg_segment_tick_ring(ticks, (uint32_t)id)))
			continue;
		lb[nl++] = (struct tg_quality_label){.instrument = (uint16_t)id,
		                                     .kind = (uint8_t)k,
		                                     .first_tick = a,
		                                     .last_tick = b};
	}
	fclose(f);
	struct run_qalerts qa = {0};
	if (run_qalerts_jsonl(r, &qa) < 0)
		run_qalerts_ring(alerts, &qa);
	int rc = lb && !qa.nomem ? tg_quality_eval(lb, nl, qa.al, qa.n, r->window, q) : -1;
	free(lb);
	free(qa.al);
	free(qa.ids);
	if (rc < 0)
		return -1;
	cJSON *jq = cJSON_AddObjectToObject(js, "detection");
	cJSON_AddNumberToObject(jq, "alerts", (double)q->alerts);
	cJSON_AddNumberToObject(jq, "true_alerts", (double)q->true_alerts);
	cJSON_AddNumberToObject(jq, "precision", q->precision);
	cJSON_AddNumberToObject(jq, "labels", (double)q->labels);
	cJSON_AddNumberToObject(jq, "recall", q->recall);
	cJSON *jk = cJSON_AddObjectToObject(jq, "kinds");
	for (int k = 1; k < TG_QUALITY_KINDS; k++) {
		const struct tg_quality_kind *x = &q->kind[k];
		if (!x->labels)
			continue;
		cJSON *o = cJSON_AddObjectToObject(jk, tg_anomaly_name(k));
		cJSON_AddNumberToObject(o, "labels", (double)x->labels);
		cJSON_AddNumberToObject(o, "detected", (double)x->detected);
		cJSON_AddNumberToObject(o, "recall", x->recall);
		cJSON_AddNumberToObject(o, "delay_ticks_mean", x->delay_mean);
		cJSON_AddNumberToObject(o, "delay_ticks_median", x->delay_median);
		cJSON_AddNumberToObject(o, "delay_ticks_max", (double)x->delay_max);
	}
	return 0;
}

/* ---- summary --------------------------------------------------------------- */

/* Is the feed restamped with the wall clock (feedsim --clock live)? auto:
 * when paced, so stamps and exchange-time hysteresis stay meaningful. */
static bool run_clock_live(const struct tg_run_config *c)
{
	return !strcmp(c->clock, "live") ||
	       (!strcmp(c->clock, "auto") && (c->speed > 0 || c->rate > 0));
}

/* Exchange timestamp -> alert emitted: percentiles when the feed was
 * live-clocked and the publisher measured it, else "n/a" with the reason;
 * also gateway receive -> alert emitted, both under "latency" in js. */
/* The scorers' reconstruction backend (remote client counters, summed over
 * the scorers' flag segments) into the summary: JSON always, a line when
 * the scorers went remote. */
static void run_summary_backend(const struct run *r, cJSON *jw)
{
	static const char *const bn[] = {
	    "backend_batches_submitted", "backend_windows_submitted", "backend_windows_scored",
	    "backend_windows_unscored",  "backend_windows_fallback",  "backend_requests",
	    "backend_retries",           "backend_timeouts",          "backend_conn_errors",
	    "backend_http_2xx",          "backend_http_429",          "backend_http_4xx",
	    "backend_http_5xx",          "backend_http_other",        "backend_malformed",
	    "backend_error_bodies",      "backend_auth_failures",     "backend_circuit_open",
	    "backend_bytes_sent",        "backend_bytes_received",    "backend_batches_rejected",
	    "windows_abandoned",         "rounds_inflight_full",      "result_latency_ns",
	};
	cJSON *jb = cJSON_AddObjectToObject(jw, "backend");
	uint64_t v[TG_ARRAY_SIZE(bn)];
	for (size_t i = 0; i < TG_ARRAY_SIZE(bn); i++) {
		v[i] = run_sum(r, "flags.", bn[i]);
		cJSON_AddNumberToObject(jb, bn[i], (double)v[i]);
	}
	uint64_t lat_max = 0;
	for (int i = 0; i < r->nsegs; i++)
		if (!strncmp(r->segs[i].name, "flags.", 6)) {
			uint64_t m = run_ctr(r->segs[i].seg, "result_latency_max_ns");
			lat_max = m > lat_max ? m : lat_max;
		}
	cJSON_AddNumberToObject(jb, "result_latency_max_ns", (double)lat_max);
	if (!v[5]) /* no HTTP request: local model */
		return;
	printf("remote: %llu requests (%llu retries), 2xx %llu, 429 %llu, 4xx %llu, 5xx %llu, "
	       "timeouts %llu, conn errors %llu, malformed %llu, circuit open %llu\n",
	       (unsigned long long)v[5], (unsigned long long)v[6], (unsigned long long)v[9],
	       (unsigned long long)v[10], (unsigned long long)v[11], (unsigned long long)v[12],
	       (unsigned long long)v[7], (unsigned long long)v[8], (unsigned long long)v[14],
	       (unsigned long long)v[17]);
	printf("  windows sent %llu: scored %llu (local fallback %llu), unscored %llu; abandoned "
	       "at exit %llu; batch latency mean %.1f ms, max %.1f ms\n",
	       (unsigned long long)v[1], (unsigned long long)v[2], (unsigned long long)v[4],
	       (unsigned long long)v[3], (unsigned long long)v[21],
	       v[0] ? (double)v[23] / 1e6 / (double)v[0] : 0.0, (double)lat_max / 1e6);
}

static void run_summary_exch_latency(const struct run *r, const struct tg_segment *alerts,
                                     cJSON *js)
{
	cJSON *jl = cJSON_AddObjectToObject(js, "latency");
	bool live = run_clock_live(&r->cfg);
	uint64_t n = run_ctr(alerts, "lat_alert_exch_n");
	uint64_t out = run_ctr(alerts, "lat_alert_exch_out_of_range");
	cJSON_AddStringToObject(jl, "clock", live ? "live" : "source");
	cJSON *jr = cJSON_AddObjectToObject(jl, "recv_to_alert");
	cJSON_AddNumberToObject(jr, "n", (double)run_ctr(alerts, "lat_alert_n"));
	cJSON_AddNumberToObject(jr, "p50_ns", (double)run_ctr(alerts, "lat_alert_recv_p50_ns"));
	cJSON_AddNumberToObject(jr, "p99_ns", (double)run_ctr(alerts, "lat_alert_recv_p99_ns"));
	cJSON_AddNumberToObject(jr, "p999_ns", (double)run_ctr(alerts, "lat_alert_recv_p999_ns"));
	cJSON *je = cJSON_AddObjectToObject(jl, "exch_to_alert");
	cJSON_AddNumberToObject(je, "n", (double)n);
	cJSON_AddNumberToObject(je, "out_of_range", (double)out);
	if (live && n) {
		uint64_t p50 = run_ctr(alerts, "lat_alert_exch_p50_ns");
		uint64_t p99 = run_ctr(alerts, "lat_alert_exch_p99_ns");
		uint64_t p999 = run_ctr(alerts, "lat_alert_exch_p999_ns");
		printf("latency tick -> alert (exchange timestamp -> emitted, %llu alerts, live "
		       "clock): p50 %.1f us, p99 %.1f us, p99.9 %.1f us%s\n",
		       (unsigned long long)n, (double)p50 / 1e3, (double)p99 / 1e3,
		       (double)p999 / 1e3, out ? " (some alerts out of [0, 1 h))" : "");
		cJSON_AddNumberToObject(je, "p50_ns", (double)p50);
		cJSON_AddNumberToObject(je, "p99_ns", (double)p99);
		cJSON_AddNumberToObject(je, "p999_ns", (double)p999);
		return;
	}
	char why[160];
	if (!live)
		snprintf(why, sizeof(why),
		         "the feed replays the source's clock: clock %s, use --clock live",
		         r->cfg.clock);
	else if (out)
		snprintf(why, sizeof(why), "%llu alerts outside [0, 1 h) of the live clock",
		         (unsigned long long)out);
	else
		snprintf(why, sizeof(why), "no alerts");
	printf("latency from exchange timestamps: n/a (%s)\n", why);
	cJSON_AddStringToObject(je, "na", why);
}

static void run_summary(struct run *r, double secs)
{
	cJSON *js = cJSON_CreateObject();
	struct tg_segment *ticks = run_latest(r, "ticks");
	struct tg_segment *alerts = run_latest(r, "alerts");
	uint64_t in_rings = run_ring_ticks(ticks);
	cJSON_AddStringToObject(js, "input", r->cfg.input[0] ? r->cfg.input : "synthetic");
	cJSON_AddStringToObject(js, "model", r->model);
	cJSON_AddNumberToObject(js, "seconds", secs);
	cJSON_AddStringToObject(js, "result",
	                        r->failed        ? "failed"
	                        : r->interrupted ? "interrupted"
	                                         : "ok");
	if (r->failed)
		cJSON_AddStringToObject(js, "error", r->fail_reason);
	cJSON_AddNumberToObject(js, "ticks_sent", (double)r->expected_ticks);
	cJSON_AddNumberToObject(js, "ticks_in_rings", (double)in_rings);
	cJSON_AddNumberToObject(js, "restarts", r->restarts_total);
	cJSON *jr = cJSON_AddObjectToObject(js, "process_restarts");
	for (int i = 0; i < r->nprocs; i++)
		cJSON_AddNumberToObject(jr, r->procs[i].name, r->procs[i].restarts);

	printf("\n== tickguard run summary (%.1f s, %s)\n", secs,
	       r->failed        ? r->fail_reason
	       : r->interrupted ? "interrupted"
	                        : "ok");
	printf("ticks: sent %llu, in rings %llu%s\n", (unsigned long long)r->expected_ticks,
	       (unsigned long long)in_rings,
	       in_rings == r->expected_ticks ? " (all)" : " (MISMATCH)");
	cJSON *jg = cJSON_AddObjectToObject(js, "gateway");
	if (ticks) {
		printf("gateway counters (non-zero):");
		uint32_t n = tg_segment_counters(ticks);
		int col = 0;
		for (uint32_t i = 0; i < n; i++) {
			struct tg_counter_view v;
			if (tg_segment_counter(ticks, i, &v) < 0)
				continue;
			cJSON_AddNumberToObject(jg, v.name, (double)v.value);
			if (v.value) {
				printf("%s%s %llu", col++ % 4 ? ", " : "\n  ", v.name,
				       (unsigned long long)v.value);
			}
		}
		printf("\n");
	}
	static const char *const wn[] = {"windows_ready",     "windows_scored",
	                                 "windows_coalesced", "windows_discarded",
	                                 "windows_unscored",  "windows_rejected",
	                                 "windows_anomalous", "arrivals_lapped",
	                                 "warmup_ticks",      "batches",
	                                 "score_ns",          "cpu_ns",
	                                 "recon_requests",    "recon_fallback_windows",
	                                 "recon_failures"};
	uint64_t wv[TG_ARRAY_SIZE(wn)];
	cJSON *jw = cJSON_AddObjectToObject(js, "scorers");
	for (size_t i = 0; i < TG_ARRAY_SIZE(wn); i++) {
		wv[i] = run_sum(r, "flags.", wn[i]);
		cJSON_AddNumberToObject(jw, wn[i], (double)wv[i]);
	}
	uint64_t accounted = wv[1] + wv[2] + wv[3] + wv[4] + wv[5];
	/* windows a killed scorer had announced but not finished */
	uint64_t in_flight = wv[0] > accounted ? wv[0] - accounted : 0;
	cJSON_AddNumberToObject(jw, "windows_in_flight_at_crash", (double)in_flight);
	int incarnations = 0;
	for (int i = 0; i < r->nsegs; i++)
		incarnations += !strncmp(r->segs[i].name, "flags.", 6);
	cJSON_AddNumberToObject(jw, "incarnations", incarnations);
	cJSON *ji = cJSON_AddArrayToObject(jw, "segments");
	for (int i = 0; i < r->nsegs; i++) {
		if (strncmp(r->segs[i].name, "flags.", 6))
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", r->segs[i].name);
		cJSON_AddNumberToObject(o, "pid", tg_segment_writer_pid(r->segs[i].seg));
		cJSON_AddNumberToObject(o, "epoch", (double)tg_segment_epoch(r->segs[i].seg));
		for (size_t k = 0; k < 6; k++)
			cJSON_AddNumberToObject(o, wn[k], (double)run_ctr(r->segs[i].seg, wn[k]));
		cJSON_AddNumberToObject(o, "finished", (double)run_ctr(r->segs[i].seg, "finished"));
		cJSON_AddItemToArray(ji, o);
	}
	printf("windows: ready %llu = scored %llu + coalesced %llu + discarded %llu + unscored "
	       "%llu + rejected %llu%s\n",
	       (unsigned long long)wv[0], (unsigned long long)wv[1], (unsigned long long)wv[2],
	       (unsigned long long)wv[3], (unsigned long long)wv[4], (unsigned long long)wv[5],
	       in_flight ? "" : " (adds up)");
	if (in_flight)
		printf("  %llu windows were in flight in killed scorers\n",
		       (unsigned long long)in_flight);
	printf("  anomalous %llu, arrivals lapped %llu, batches %llu, %d scorer incarnation(s)\n",
	       (unsigned long long)wv[6], (unsigned long long)wv[7], (unsigned long long)wv[9],
	       incarnations);
	if (wv[1])
		printf("  scoring %.1f us/window (wall), scorer CPU %.1f us/window\n",
		       (double)wv[10] / 1e3 / (double)wv[1], (double)wv[11] / 1e3 / (double)wv[1]);
	cJSON_AddNumberToObject(jw, "cpu_ns_per_scored_window",
	                        wv[1] ? (double)wv[11] / (double)wv[1] : 0);
	run_summary_backend(r, jw);
	cJSON *ja = cJSON_AddObjectToObject(js, "publisher");
	if (alerts) {
		uint32_t n = tg_segment_counters(alerts);
		for (uint32_t i = 0; i < n; i++) {
			struct tg_counter_view v;
			if (tg_segment_counter(alerts, i, &v) == 0)
				cJSON_AddNumberToObject(ja, v.name, (double)v.value);
		}
		printf("alerts: %llu (updates %llu, closes %llu, suppressed in cooldown %llu); "
		       "flags %llu, stale %llu, lost %llu\n",
		       (unsigned long long)run_ctr(alerts, "alerts"),
		       (unsigned long long)run_ctr(alerts, "alert_updates"),
		       (unsigned long long)run_ctr(alerts, "alert_closes"),
		       (unsigned long long)run_ctr(alerts, "suppressed_in_cooldown"),
		       (unsigned long long)run_ctr(alerts, "flags"),
		       (unsigned long long)run_ctr(alerts, "flags_stale"),
		       (unsigned long long)run_ctr(alerts, "flags_lost"));
		printf("scorers seen by the publisher: deaths %llu, restarts %llu, finished %llu\n",
		       (unsigned long long)run_ctr(alerts, "scorer_deaths"),
		       (unsigned long long)run_ctr(alerts, "scorer_restarts"),
		       (unsigned long long)run_ctr(alerts, "scorers_finished"));
		printf(
		    "latency tick -> alert (gateway receive -> emitted, %llu alerts): p50 %.1f us, "
		    "p99 %.1f us, p99.9 %.1f us\n",
		    (unsigned long long)run_ctr(alerts, "lat_alert_n"),
		    (double)run_ctr(alerts, "lat_alert_recv_p50_ns") / 1e3,
		    (double)run_ctr(alerts, "lat_alert_recv_p99_ns") / 1e3,
		    (double)run_ctr(alerts, "lat_alert_recv_p999_ns") / 1e3);
		run_summary_exch_latency(r, alerts, js);
		printf(
		    "latency tick -> decision at the publisher (every window, %llu): p50 %.1f us, "
		    "p99 %.1f us, p99.9 %.1f us\n",
		    (unsigned long long)run_ctr(alerts, "lat_decision_n"),
		    (double)run_ctr(alerts, "lat_decision_recv_p50_ns") / 1e3,
		    (double)run_ctr(alerts, "lat_decision_recv_p99_ns") / 1e3,
		    (double)run_ctr(alerts, "lat_decision_recv_p999_ns") / 1e3);
	}
	struct tg_quality q;
	if (!r->cfg.input[0] && run_quality(r, js, &q) == 0) {
		printf(
		    "detection vs labels (window %u): precision %.3f (%llu of %llu alerts), recall "
		    "%.3f (%llu of %llu)\n",
		    r->window, q.precision, (unsigned long long)q.true_alerts,
		    (unsigned long long)q.alerts, q.recall, (unsigned long long)q.detected,
		    (unsigned long long)q.labels);
		for (int k = 1; k < TG_QUALITY_KINDS; k++)
			if (q.kind[k].labels)
				printf(
				    "  %-12s recall %.3f (%llu/%llu), delay ticks median %.0f mean "
				    "%.1f max %llu\n",
				    tg_anomaly_name(k), q.kind[k].recall,
				    (unsigned long long)q.kind[k].detected,
				    (unsigned long long)q.kind[k].labels, q.kind[k].delay_median,
				    q.kind[k].delay_mean, (unsigned long long)q.kind[k].delay_max);
	}
	printf("alerts as JSON lines: %s; logs in %s/\n", r->jsonl, r->cfg.workdir);
	fflush(stdout);
	if (r->cfg.summary[0]) {
		char *text = cJSON_Print(js);
		FILE *f = fopen(r->cfg.summary, "w");
		if (!f || !text || fputs(text, f) < 0)
			fprintf(stderr, "run: cannot write summary %s\n", r->cfg.summary);
		if (f)
			fclose(f);
		free(text);
	}
	cJSON_Delete(js);
}

/* ---- the pipeline ---------------------------------------------------------- */

static int run_pipeline(struct run *r)
{
	struct tg_run_config *c = &r->cfg;
	int feed_port = run_free_udp_port(), retrans_port = run_free_udp_port();
	if (feed_port < 0 || retrans_port < 0 || feed_port == retrans_port) {
		run_fail(r, "no free UDP port on loopback");
		return -1;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	struct run_proc *gw = run_proc_new(r, P_GATEWAY, 0, "gateway");
	run_arg(gw, "gateway");
	run_arg(gw, "--listen");
	run_arg(gw, "127.0.0.1:%d", feed_port);
	run_arg(gw, "--retransmit");
	run_arg(gw, "127.0.0.1:%d", retrans_port);
	run_opt(gw, "--ring-slots", "%u", c->ring_slots);
	run_arg(gw, "--quiet");
	if (!c->input[0])
		run_arg(gw, "--synthetic");
	if (run_spawn(r, gw) < 0 || run_await_seg(r, "ticks", gw, 20) < 0)
		return -1;

	for (uint32_t k = 0; k < c->scorers; k++) {
		char name[32];
		snprintf(name, sizeof(name), "scorer.%u", k);
		struct run_proc *p = run_proc_new(r, P_SCORER, (int)k, name);
		run_arg(p, "scorer");
		run_opt(p, "--model", "%s", r->model);
		run_opt(p, "--index", "%u", k);
		run_opt(p, "--count", "%u", c->scorers);
		run_opt(p, "--idle", "%s", c->idle);
		run_opt(p, "--batch", "%u", c->batch);
		run_opt(p, "--max-inflight", "%u", c->max_inflight);
		run_remote_args(c, p);
		if (c->core_base >= 0) {
			run_opt(p, "--core", "%ld",
			        (c->core_base + (long)k) % (ncpu > 0 ? ncpu : 1));
		}
		snprintf(name, sizeof(name), "flags.%u", k);
		if (run_spawn(r, p) < 0 || run_await_seg(r, name, p, 60) < 0)
			return -1;
	}

	struct run_proc *pub = run_proc_new(r, P_PUBLISHER, 0, "publisher");
	run_arg(pub, "publisher");
	run_opt(pub, "--jsonl", "%s", r->jsonl);
	run_opt(pub, "--max-scorers", "%u", c->scorers);
	run_opt(pub, "--hyst-windows", "%u", c->hyst_windows);
	run_opt(pub, "--cooldown-windows", "%u", c->cooldown_windows);
	run_opt(pub, "--hyst-ns", "%llu", (unsigned long long)c->hyst_ns);
	run_opt(pub, "--cooldown-ns", "%llu", (unsigned long long)c->cooldown_ns);
	run_opt(pub, "--update-every", "%u", c->update_every);
	run_opt(pub, "--exch-clock", "%s", run_clock_live(c) ? "live" : "replay");
	if (c->udp[0]) {
		run_opt(pub, "--udp", "%s", c->udp);
	}
	if (run_spawn(r, pub) < 0 || run_await_seg(r, "alerts", pub, 20) < 0)
		return -1;

	struct run_proc *fs = run_proc_new(r, P_FEEDSIM, 0, "feedsim");
	run_arg(fs, "feedsim");
	if (c->input[0]) {
		run_opt(fs, "--csv", "%s", r->stream);
	} else {
		run_opt(fs, "--seed", "%llu", (unsigned long long)c->seed);
		run_opt(fs, "--instruments", "%u", c->instruments);
		run_opt(fs, "--trades", "%llu", (unsigned long long)c->trades);
		run_opt(fs, "--anomalies", "%u", c->anomalies);
		run_opt(fs, "--labels", "%s", r->labels);
		r->expected_ticks = (uint64_t)c->instruments * c->trades;
	}
	run_arg(fs, "--dest");
	run_arg(fs, "127.0.0.1:%d", feed_port);
	run_arg(fs, "--retrans");
	run_arg(fs, "127.0.0.1:%d", retrans_port);
	run_opt(fs, "--linger-s", "%d", c->drop > 0 ? 2 : 1);
	if (c->speed > 0) {
		run_opt(fs, "--speed", "%g", c->speed);
	}
	if (c->rate > 0) {
		run_opt(fs, "--rate", "%g", c->rate);
	}
	if (run_clock_live(c)) {
		run_arg(fs, "--clock");
		run_arg(fs, "live");
	}
	if (c->drop > 0) {
		run_opt(fs, "--drop", "%g", c->drop);
	}
	if (run_spawn(r, fs) < 0) {
		run_fail(r, "cannot start feedsim");
		return -1;
	}
	run_say(r, "pipeline up: feedsim -> 127.0.0.1:%d -> gateway -> %u scorer(s) -> publisher",
	        feed_port, c->scorers);

	/* Supervise until the input ends (feedsim done and gateway saw the end
	 * of session), a stop request, a failure or the timeout. */
	double last_progress = 0;
	for (;;) {
		run_reap(r, true);
		run_refresh_segs(r);
		if (r->failed)
			break;
		if (atomic_load_explicit(&tg_stop, memory_order_relaxed)) {
			r->interrupted = true;
			break;
		}
		if (c->timeout_s > 0 && run_elapsed(r) > c->timeout_s) {
			r->timed_out = true;
			run_fail(r, "timeout after %.0f s", c->timeout_s);
			break;
		}
		if (r->gateway_done)
			break;
		double e = run_elapsed(r);
		if (e - last_progress >= 1.0) {
			last_progress = e;
			run_say(r, "%.0f s: ticks %llu/%llu, windows scored %llu, alerts %llu", e,
			        (unsigned long long)run_ring_ticks(run_latest(r, "ticks")),
			        (unsigned long long)r->expected_ticks,
			        (unsigned long long)run_sum(r, "flags.", "windows_scored"),
			        (unsigned long long)run_ctr(run_latest(r, "alerts"), "alerts"));
		}
		run_nap_ms(5);
	}
	return r->failed ? -1 : 0;
}

static void run_shutdown(struct run *r)
{
	/* pipeline order: input first, then the scorers drain what the
	 * gateway announced, then the publisher drains their flags */
	run_stop_role(r, P_FEEDSIM, 5);
	run_stop_role(r, P_GATEWAY, 10);
	run_refresh_segs(r);
	run_stop_role(r, P_SCORER, 20);
	run_refresh_segs(r);
	run_stop_role(r, P_PUBLISHER, 10);
}

int tg_cmd_run(int argc, char **argv)
{
	static struct run R;
	struct run *r = &R;
	memset(r, 0, sizeof(*r));
	tg_run_config_default(&r->cfg);
	char err[256] = "";
	int rc = tg_run_config_flags(&r->cfg, argc, argv, err, sizeof(err));
	if (rc == 1) {
		tg_run_usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "tickguard run: %s (tickguard run --help)\n", err);
		return TG_EXIT_USAGE;
	}
	struct tg_run_config *c = &r->cfg;
	ssize_t n = readlink("/proc/self/exe", r->exe, sizeof(r->exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "tickguard run: cannot find my own binary\n");
		return TG_EXIT_FAILURE;
	}
	r->exe[n] = 0;
	if (run_mkdirs(c->workdir) < 0) {
		fprintf(stderr, "tickguard run: cannot create workdir %s: %s\n", c->workdir,
		        strerror(errno));
		return TG_EXIT_FAILURE;
	}
	if (c->shm_dir[0]) {
		if (run_mkdirs(c->shm_dir) < 0) {
			fprintf(stderr, "tickguard run: cannot create shm dir %s\n", c->shm_dir);
			return TG_EXIT_FAILURE;
		}
		setenv("TG_SHM_DIR", c->shm_dir, 1);
	}
	snprintf(r->labels, sizeof(r->labels), "%s/labels.csv", c->workdir);
	if (c->jsonl[0])
		snprintf(r->jsonl, sizeof(r->jsonl), "%s", c->jsonl);
	else
		snprintf(r->jsonl, sizeof(r->jsonl), "%s/alerts.jsonl", c->workdir);
	tg_stop_on_signals();
	signal(SIGPIPE, SIG_IGN);
	r->t0 = tg_monotonic_ns();

	if (c->model[0])
		snprintf(r->model, sizeof(r->model), "%s", c->model);
	else if (run_train(r) < 0)
		goto out;
	struct tg_detector det;
	char perr[TG_PACKAGE_ERR_LEN];
	if (tg_detector_load(r->model, &det, perr, sizeof(perr)) < 0) {
		run_fail(r, "model package %s: %s", r->model, perr);
		goto out;
	}
	r->window = det.window;
	run_say(r, "model %s: window %u, threshold %.6g", r->model, det.window, det.threshold);
	tg_detector_clear(&det);
	if (c->input[0] && run_prepare_stream(r) < 0)
		goto out;
	run_pipeline(r);
out:
	run_shutdown(r);
	run_reap(r, false);
	run_summary(r, run_elapsed(r));
	/* the run's segments are finished (their writers exited): remove the
	 * names so nobody attaches to a dead pipeline; live ones are kept */
	for (int i = 0; i < r->nsegs; i++) {
		tg_segment_detach(r->segs[i].seg);
		tg_segment_remove(r->segs[i].name, false);
	}
	if (r->failed) {
		fprintf(stderr, "tickguard run: %s\n", r->fail_reason);
		return TG_EXIT_FAILURE;
	}
	return r->interrupted ? 130 : 0;
}
