/* test_scorer_remote.c - `tickguard scorer` processes in remote mode, every
 * part real: a tick segment written here from real trades (LOBSTER AAPL),
 * a model package saved here, `tickguard serve` or the fault-injecting
 * server of test_remote_srv.h on loopback.
 *  - same_decisions: a remote scorer (through `tickguard serve`) and a local
 *    one on the same ticks publish the same windows with the same scores
 *    (1e-6 relative) and the same decisions.
 *  - slow_server_keeps_consuming: while a 3 s reply is pending, the scorer's
 *    consumed-arrivals counter keeps up with new ticks; the broken variant
 *    (--test-sync-wait, the old synchronous wait) must be caught by it.
 *  - endpoint_down / endpoint_down_fallback: nothing listens; the scorer
 *    stays alive, counts the windows it could not score (or scores them
 *    with the local fallback), and its accounting adds up.
 *  - async_accounting (in process, a stand-in backend whose results the
 *    test releases): ticks keep being consumed while every batch is out,
 *    windows wait and coalesce, late results are published as decisions
 *    about the ticks as they were read (even once overwritten), and the
 *    accounting adds up with windows_in_flight, and exactly after a drain.
 * Waiting is on the scorers' shared-memory counters (a condition with a
 * deadline), never a fixed sleep. */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/run_config.h"
#include "common/tg_common.h"
#include "model/model.h"
#include "model/package.h"
#include "scorer/scorer.h"
#include "shm/shm.h"
#include "tests/test_remote_srv.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"

#define NI 4 /* instruments */

extern char **environ;

static char shm_dir[64], pkg_dir[64] = "/tmp/tg_screm.XXXXXX", bin[512];
static uint32_t W;                 /* the model's window */
static uint32_t prices[NI * 2000]; /* price_e4 series per instrument */
static uint32_t nprices = 2000;
static bool real_prices; /* LOBSTER AAPL found (else a synthetic walk) */

/* ---- fixtures ------------------------------------------------------------ */

static void load_prices(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/lobster/AAPL_2012-06-21_34200000_57600000_message_1.csv",
	         tg_test_data_dir());
	FILE *f = fopen(path, "r");
	size_t n = 0;
	char line[256];
	while (f && n < NI * 2000 && fgets(line, sizeof(line), f)) {
		double t, price;
		long type, id, size, dir;
		if (sscanf(line, "%lf,%ld,%ld,%ld,%lf,%ld", &t, &type, &id, &size, &price, &dir) ==
		        6 &&
		    (type == 4 || type == 5) && price > 0)
			prices[n++] = (uint32_t)price;
	}
	if (f)
		fclose(f);
	real_prices = n == NI * 2000;
	for (; n < NI * 2000; n++) /* no data: a synthetic walk around $585 */
		prices[n] = (uint32_t)(5850000 + 20000 * sin(0.05 * (double)n) + 100 * (n % 7));
}

/* A small model (trains nothing: seeded weights) with a MinMax scaler on
 * raw prices over the data's range, saved as a package. */
static int make_package(void)
{
	struct tg_model_config mc;
	tg_model_config_default(&mc);
	mc.n_enc = 2;
	mc.enc_units[0] = 16;
	mc.enc_units[1] = 8;
	mc.n_dec = 2;
	mc.dec_units[0] = 8;
	mc.dec_units[1] = 16;
	W = mc.window;
	struct tg_model *m = NULL;
	if (tg_model_create(&mc, &m) < 0)
		return -1;
	tg_model_init(m, 20261203);
	uint32_t lo = UINT32_MAX, hi = 0;
	for (uint32_t i = 0; i < NI * nprices; i++) {
		lo = prices[i] < lo ? prices[i] : lo;
		hi = prices[i] > hi ? prices[i] : hi;
	}
	struct tg_scaler_group g = {
	    .name = "*", .min = lo / 1e4 - 0.5, .max = hi / 1e4 + 0.5, .n_windows = 1};
	struct tg_detector det = {
	    .window = W, .threshold = 0.14, /* scores here: 0.06..0.38 */ .percentile = 99};
	char err[TG_PACKAGE_ERR_LEN] = "";
	int rc = tg_scaler_from_params(TG_SCALE_MINMAX_RAW, W, false, &g, 1, &det.scaler);
	if (rc == 0 && !mkdtemp(pkg_dir))
		rc = -errno;
	if (rc == 0)
		rc = tg_package_save(pkg_dir, m, &det, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "package: %d %s\n", rc, err);
	tg_detector_clear(&det);
	tg_model_destroy(m);
	return rc;
}

struct ticks {
	struct tg_segment *seg;
	uint64_t next[NI];
	uint64_t written; /* arrivals */
};

static int ticks_open(struct ticks *t)
{
	memset(t, 0, sizeof(*t));
	struct tg_segment_config tc = {.name = "ticks",
	                               .kind = TG_SEG_TICKS,
	                               .instruments = NI,
	                               .ring_slots = 256,
	                               .arrival_slots = 1u << 14};
	int rc = tg_segment_create(&tc, &t->seg);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < NI; i++) {
		char sym[9];
		snprintf(sym, sizeof(sym), "AAPL%u", i);
		tg_segment_add_instrument(t->seg, (uint16_t)(i + 1), sym);
	}
	tg_segment_publish(t->seg);
	return 0;
}

static void ticks_close(struct ticks *t)
{
	tg_segment_destroy(t->seg, true);
}

/* One tick of instrument id (its next real trade price) and its arrival. */
static void tick(struct ticks *t, uint16_t id)
{
	struct tg_tick k = {0};
	k.seq = t->next[id]++;
	k.exch_ts_ns = 34200000000000ull + k.seq * 1000;
	k.recv_ts_ns = 1700000000000000000ull + k.seq;
	k.price_e4 = prices[id * nprices + k.seq % nprices];
	k.shares = 100;
	k.instrument = id;
	uint64_t w[TG_TICK_SLOT_WORDS - 1];
	tg_tick_pack(&k, w);
	tg_ring_append(tg_segment_tick_ring_w(t->seg, id), w);
	struct tg_arrival a = {.tick_seq = k.seq, .exch_ts_ns = k.exch_ts_ns, .instrument = id};
	uint64_t aw[TG_ARRIVAL_SLOT_WORDS - 1];
	tg_arrival_pack(&a, aw);
	tg_ring_append(tg_segment_arrival_ring_w(t->seg), aw);
	t->written++;
}

/* `tickguard scorer ARGS...`, output to <pkg>/<log>. */
static pid_t spawn_tg(const char *log, const char *const *args)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", pkg_dir, log);
	const char *argv[48] = {bin};
	int n = 1;
	for (; args[n - 1] && n < 47; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	return tg_test_spawn(bin, argv, path);
}

/* SIGTERM, reap: the exit status (128+ for a signal, -1 if none). */
static int stop_proc(pid_t pid)
{
	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	return tg_test_wait(pid);
}

static bool alive(pid_t pid)
{
	int st;
	return pid > 0 && waitpid(pid, &st, WNOHANG) == 0;
}

static void pause_us(long us)
{
	struct timespec ts = {0, us * 1000};
	nanosleep(&ts, NULL);
}

/* Attach a scorer's flag segment once it exists (the scorer loads the
 * model first). */
static struct tg_segment *flags_attach(const char *name, pid_t pid)
{
	uint64_t end = tg_monotonic_ns() + 30000000000ull;
	struct tg_segment *s = NULL;
	while (tg_segment_attach(name, &s) < 0) {
		if (tg_monotonic_ns() > end || !alive(pid))
			return NULL;
		pause_us(1000); /* polling for the file to appear */
	}
	return s;
}

static uint64_t ctr(const struct tg_segment *s, const char *name)
{
	uint32_t n = tg_segment_counters(s);
	for (uint32_t i = 0; i < n; i++) {
		struct tg_counter_view v;
		if (tg_segment_counter(s, i, &v) == 0 && !strcmp(v.name, name))
			return v.value;
	}
	TG_FAIL("no counter %s", name);
	return 0;
}

static uint64_t accounted(const struct tg_segment *s)
{
	return ctr(s, "windows_scored") + ctr(s, "windows_coalesced") +
	       ctr(s, "windows_discarded") + ctr(s, "windows_unscored") +
	       ctr(s, "windows_rejected");
}

/* The scorer read `arrivals` arrivals and settled every window they made. */
static bool settled(const struct tg_segment *s, uint64_t arrivals)
{
	return ctr(s, "arrivals") == arrivals && ctr(s, "windows_ready") == accounted(s) &&
	       ctr(s, "windows_in_flight") == 0;
}

/* Poll cond(s, arg) until true or timeout_ms. */
static bool wait_for(bool (*cond)(const struct tg_segment *, uint64_t), const struct tg_segment *s,
                     uint64_t arg, uint64_t timeout_ms)
{
	uint64_t end = tg_monotonic_ns() + timeout_ms * 1000000ull;
	while (!cond(s, arg)) {
		if (tg_monotonic_ns() > end)
			return false;
		pause_us(200);
	}
	return true;
}

static bool arrivals_at(const struct tg_segment *s, uint64_t n)
{
	return ctr(s, "arrivals") >= n;
}

/* ---- same decisions, local and remote ----------------------------------- */

struct decision {
	double score;
	bool anomalous, seen;
};

/* Flags of segment s into d[instrument][first_seq]; the count. */
static int read_decisions(const struct tg_segment *s, struct decision *d, uint32_t per)
{
	const struct tg_ring *r = tg_segment_ring(s);
	uint64_t words[TG_FLAG_SLOT_WORDS - 1];
	int n = 0;
	for (uint64_t q = 0; q < tg_ring_head(r); q++) {
		struct tg_flag f;
		if (tg_ring_try_read(r, q, words) != 0)
			continue;
		tg_flag_unpack(words, &f);
		TG_CHECK(f.instrument < NI && f.first_seq < per);
		TG_CHECK_EQ_U64(f.last_seq, f.first_seq + W - 1);
		if (f.instrument >= NI || f.first_seq >= per)
			continue;
		struct decision *x = &d[f.instrument * per + f.first_seq];
		TG_CHECK(!x->seen);
		*x = (struct decision){f.score, f.anomalous, true};
		n++;
	}
	return n;
}

/* `tickguard serve` on the package: its pid, the port in *port. */
static pid_t start_serve(unsigned *port)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	char a_serve[] = "serve", a_model[] = "--model", a_listen[] = "--listen",
	     a_addr[] = "127.0.0.1:0", a_name[] = "--name", a_nm[] = "ae";
	char *argv[] = {bin, a_serve, a_model, pkg_dir, a_listen, a_addr, a_name, a_nm, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	*port = 0;
	if (rc != 0) {
		close(pfd[0]);
		return -1;
	}
	FILE *out = fdopen(pfd[0], "r");
	char line[512];
	if (fgets(line, sizeof(line), out)) {
		const char *p = strstr(line, "http://127.0.0.1:");
		if (p)
			*port = (unsigned)atoi(p + 17);
	}
	fclose(out);
	return pid;
}

static void t_same_decisions(void)
{
	unsigned port;
	pid_t srv = start_serve(&port);
	TG_CHECK(srv > 0 && port > 0);
	if (srv <= 0 || !port) {
		stop_proc(srv);
		return;
	}
	struct ticks t;
	TG_CHECK_EQ_I64(ticks_open(&t), 0);
	char base[80];
	snprintf(base, sizeof(base), "base-url=http://127.0.0.1:%u", port);
	const char *la[] = {"scorer",  "--model", pkg_dir, "--flags",
	                    "flags.L", "--batch", "8",     NULL};
	const char *ra[] = {
	    "scorer",   "--model", pkg_dir,    "--flags",  "flags.R",  "--batch",          "8",
	    "--remote", base,      "--remote", "model=ae", "--remote", "timeout-ms=20000", NULL};
	pid_t lp = spawn_tg("local.log", la), rp = spawn_tg("remote.log", ra);
	struct tg_segment *ls = flags_attach("flags.L", lp), *rs = flags_attach("flags.R", rp);
	TG_CHECK(ls && rs);
	uint32_t K = tg_test_scale() < 1.0 ? 8 : 40; /* windows per instrument */
	if (ls && rs) {
		for (uint32_t k = 0; k + 1 < W; k++) /* warm-up: no window yet */
			for (uint16_t id = 0; id < NI; id++)
				tick(&t, id);
		for (uint32_t k = 0; k < K; k++) {
			/* one tick each, then both settle: one window per tick */
			for (uint16_t id = 0; id < NI; id++)
				tick(&t, id);
			bool ok = wait_for(settled, ls, t.written, 20000) &&
			          wait_for(settled, rs, t.written, 20000);
			TG_CHECK(ok);
			if (!ok)
				break;
		}
		static struct decision dl[NI * 64], dr[NI * 64];
		memset(dl, 0, sizeof(dl));
		memset(dr, 0, sizeof(dr));
		int nl = read_decisions(ls, dl, 64), nr = read_decisions(rs, dr, 64);
		TG_CHECK_EQ_I64(nl, NI * K);
		TG_CHECK_EQ_I64(nr, NI * K);
		TG_CHECK_EQ_U64(ctr(rs, "windows_scored"), NI * K);
		TG_CHECK_EQ_U64(ctr(rs, "windows_coalesced"), 0);
		double worst = 0;
		int same = 0, anom = 0;
		for (uint32_t i = 0; i < NI * 64; i++) {
			if (!dl[i].seen && !dr[i].seen)
				continue;
			TG_CHECK(dl[i].seen && dr[i].seen);
			double d =
			    fabs(dl[i].score - dr[i].score) / fmax(fabs(dl[i].score), 1e-300);
			worst = d > worst ? d : worst;
			same += dl[i].score == dr[i].score;
			anom += dl[i].anomalous;
			TG_CHECK_EQ_I64(dl[i].anomalous, dr[i].anomalous);
		}
		fprintf(stderr,
		        "  %d windows: %d identical scores, worst relative diff %.3g, %d "
		        "anomalous\n",
		        nl, same, worst, anom);
		TG_CHECK(worst <= 1e-6);
		/* the decisions are not all alike (the fixed threshold is set
		 * for the real prices' scores, 0.06..0.38) */
		if (real_prices)
			TG_CHECK(anom > 0 && anom < nl);
		fprintf(stderr, "  remote: %llu batches, batch latency max %.2f ms\n",
		        (unsigned long long)ctr(rs, "batches"),
		        (double)ctr(rs, "result_latency_max_ns") / 1e6);
	}
	TG_CHECK_EQ_I64(stop_proc(lp), 0);
	TG_CHECK_EQ_I64(stop_proc(rp), 0);
	if (rs) {
		TG_CHECK_EQ_U64(ctr(rs, "finished"), 1);
		TG_CHECK(ctr(rs, "backend_http_2xx") > 0);
		TG_CHECK_EQ_U64(ctr(rs, "backend_windows_scored"), NI * K);
		TG_CHECK_EQ_U64(ctr(rs, "windows_ready"), accounted(rs));
		tg_segment_detach(rs);
	}
	if (ls)
		tg_segment_detach(ls);
	TG_CHECK_EQ_I64(stop_proc(srv), 0);
	ticks_close(&t);
}

/* ---- slow server ------------------------------------------------------------ */

/* Whether the scorer kept consuming arrivals while a slow reply was
 * pending. sync_wait: the broken variant. */
static bool slow_run(bool sync_wait)
{
	struct fsrv srv;
	if (fs_start(&srv) != 0) {
		TG_FAIL("cannot start the test server");
		return false;
	}
	atomic_store(&srv.slow_ms, 3000);
	fs_script(&srv, FS_SLOW, 0, NULL);
	struct ticks t;
	TG_CHECK_EQ_I64(ticks_open(&t), 0);
	char url[96];
	snprintf(url, sizeof(url), "url=http://127.0.0.1:%u/v1/models/ae:predict", srv.port);
	const char *a[] = {"scorer",
	                   "--model",
	                   pkg_dir,
	                   "--flags",
	                   "flags.S",
	                   "--batch",
	                   "4",
	                   "--remote",
	                   url,
	                   "--remote",
	                   "timeout-ms=20000",
	                   "--max-inflight",
	                   "2",
	                   "--drain-ms",
	                   "0",
	                   sync_wait ? "--test-sync-wait" : NULL,
	                   NULL};
	pid_t p = spawn_tg(sync_wait ? "slow-sync.log" : "slow.log", a);
	struct tg_segment *s = flags_attach("flags.S", p);
	bool advanced = false, pending = false;
	TG_CHECK(s != NULL);
	if (s) {
		for (uint32_t k = 0; k < W; k++) /* instrument 0: one window */
			tick(&t, 0);
		uint64_t end = tg_monotonic_ns() + 20000000000ull;
		while (atomic_load(&srv.requests) < 1 && tg_monotonic_ns() < end)
			pause_us(1000); /* polling for the request to reach the server */
		TG_CHECK(atomic_load(&srv.requests) >= 1);
		/* The reply is now pending for 3 s: 200 more ticks must be read
		 * within 1 s, while it still is. */
		for (uint32_t k = 0; k < 50; k++)
			for (uint16_t id = 0; id < NI; id++)
				tick(&t, id);
		advanced = wait_for(arrivals_at, s, t.written, 1000);
		pending = atomic_load(&srv.busy) > 0;
		fprintf(stderr,
		        "  %s: arrivals %llu of %llu after 1 s, reply pending %d, windows in "
		        "flight %llu\n",
		        sync_wait ? "synchronous (broken)" : "asynchronous",
		        (unsigned long long)ctr(s, "arrivals"), (unsigned long long)t.written,
		        pending, (unsigned long long)ctr(s, "windows_in_flight"));
	}
	TG_CHECK(alive(p));
	TG_CHECK_EQ_I64(stop_proc(p), 0);
	if (s) {
		/* drained with no wait: what was outstanding is unscored, it adds up */
		TG_CHECK_EQ_U64(ctr(s, "finished"), 1);
		TG_CHECK_EQ_U64(ctr(s, "windows_in_flight"), 0);
		TG_CHECK_EQ_U64(ctr(s, "windows_ready"), accounted(s));
		if (!sync_wait)
			TG_CHECK(ctr(s, "windows_abandoned") > 0);
		tg_segment_detach(s);
	}
	fs_stop(&srv);
	ticks_close(&t);
	return advanced && pending;
}

static void t_slow_server_keeps_consuming(void)
{
	TG_CHECK(slow_run(false));
}

static void t_broken_sync_caught(void)
{
	TG_CHECK(!slow_run(true));
}

/* ---- endpoint down ---------------------------------------------------------- */

static unsigned closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	unsigned port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd); /* nothing listens there now */
	return port;
}

/* The endpoint failed and the exported client counters caught up with
 * the scorer's own (housekeeping exports them every 10 ms). */
static bool backend_failed(const struct tg_segment *s, uint64_t unused)
{
	(void)unused;
	return ctr(s, "backend_conn_errors") + ctr(s, "backend_circuit_open") > 0 &&
	       ctr(s, "backend_windows_scored") + ctr(s, "backend_windows_unscored") ==
	           ctr(s, "windows_scored") + ctr(s, "windows_unscored");
}

static void down_run(bool fallback)
{
	struct ticks t;
	TG_CHECK_EQ_I64(ticks_open(&t), 0);
	char url[96];
	snprintf(url, sizeof(url), "url=http://127.0.0.1:%u/v1/models/ae:predict", closed_port());
	const char *a[] = {"scorer",
	                   "--model",
	                   pkg_dir,
	                   "--flags",
	                   "flags.D",
	                   "--batch",
	                   "4",
	                   "--remote",
	                   url,
	                   "--remote",
	                   "retries=1",
	                   "--remote",
	                   "deadline-ms=500",
	                   "--remote",
	                   "connect-timeout-ms=200",
	                   fallback ? "--remote-fallback" : NULL,
	                   NULL};
	pid_t p = spawn_tg(fallback ? "down-fb.log" : "down.log", a);
	struct tg_segment *s = flags_attach("flags.D", p);
	TG_CHECK(s != NULL);
	uint32_t K = 10;
	if (s) {
		for (uint32_t k = 0; k + 1 < W; k++)
			for (uint16_t id = 0; id < NI; id++)
				tick(&t, id);
		for (uint32_t k = 0; k < K; k++) {
			for (uint16_t id = 0; id < NI; id++)
				tick(&t, id);
			TG_CHECK(wait_for(settled, s, t.written, 20000));
		}
		TG_CHECK(wait_for(backend_failed, s, 0, 5000));
		TG_CHECK(alive(p));
		uint64_t ready = ctr(s, "windows_ready"), scored = ctr(s, "windows_scored"),
		         unscored = ctr(s, "windows_unscored"), coal = ctr(s, "windows_coalesced");
		fprintf(stderr,
		        "  %s: ready %llu, scored %llu, unscored %llu, coalesced %llu, "
		        "conn errors %llu, circuit open %llu, fallback %llu\n",
		        fallback ? "fallback" : "no fallback", (unsigned long long)ready,
		        (unsigned long long)scored, (unsigned long long)unscored,
		        (unsigned long long)coal, (unsigned long long)ctr(s, "backend_conn_errors"),
		        (unsigned long long)ctr(s, "backend_circuit_open"),
		        (unsigned long long)ctr(s, "backend_windows_fallback"));
		TG_CHECK_EQ_U64(ready, NI * K);
		TG_CHECK_EQ_U64(ready, accounted(s));
		TG_CHECK_EQ_U64(ctr(s, "windows_discarded") + ctr(s, "windows_rejected"), 0);
		if (fallback) {
			TG_CHECK_EQ_U64(unscored, 0);
			TG_CHECK_EQ_U64(scored + coal, ready);
			TG_CHECK_EQ_U64(ctr(s, "backend_windows_fallback"), scored);
			TG_CHECK_EQ_U64(ctr(s, "backend_windows_unscored"), 0);
		} else {
			TG_CHECK_EQ_U64(scored, 0);
			TG_CHECK_EQ_U64(unscored + coal, ready);
			TG_CHECK(unscored > 0);
			TG_CHECK_EQ_U64(ctr(s, "backend_windows_unscored"), unscored);
		}
		TG_CHECK(ctr(s, "recon_failures") > 0 || ctr(s, "backend_circuit_open") > 0);
	}
	TG_CHECK_EQ_I64(stop_proc(p), 0);
	if (s) {
		TG_CHECK_EQ_U64(ctr(s, "finished"), 1);
		tg_segment_detach(s);
	}
	ticks_close(&t);
}

static void t_endpoint_down(void)
{
	down_run(false);
}

static void t_endpoint_down_fallback(void)
{
	down_run(true);
}

/* ---- asynchronous accounting, in process ------------------------------- */

/* A backend that holds every batch until the test releases it. */
struct held {
	struct tg_recon base;
	uint64_t tag[8];
	uint32_t count[8];
	uint32_t n, release;
	double mse[16];
	struct tg_recon_counters c;
};

static int held_submit(struct tg_recon *r, uint64_t tag, const float *w, uint32_t n)
{
	struct held *h = (struct held *)r;
	(void)w;
	if (h->n >= 8)
		return -EAGAIN;
	h->tag[h->n] = tag;
	h->count[h->n++] = n;
	h->c.windows_submitted += n;
	return 0;
}

static int held_poll(struct tg_recon *r, struct tg_recon_result *res, uint32_t max)
{
	struct held *h = (struct held *)r;
	uint32_t k = 0;
	while (k < max && h->release && h->n) {
		res[k] = (struct tg_recon_result){
		    .tag = h->tag[0], .count = h->count[0], .scored = h->count[0], .mse = h->mse};
		h->c.windows_scored += h->count[0];
		memmove(h->tag, h->tag + 1, --h->n * sizeof(h->tag[0]));
		memmove(h->count, h->count + 1, h->n * sizeof(h->count[0]));
		h->release--;
		k++;
	}
	return (int)k;
}

static int held_wait(struct tg_recon *r, uint64_t ns)
{
	(void)ns;
	return ((struct held *)r)->release > 0;
}

static void held_counters(struct tg_recon *r, struct tg_recon_counters *c)
{
	*c = ((struct held *)r)->c;
}

static size_t held_last_error(struct tg_recon *r, char *buf, size_t len)
{
	(void)r;
	(void)buf;
	(void)len;
	return 0;
}

static void held_destroy(struct tg_recon *r)
{
	(void)r;
}

static const struct tg_recon_ops held_ops = {held_submit,   held_poll,       held_wait,
                                             held_counters, held_last_error, held_destroy};

#define AW 8 /* window of this case */

static uint64_t sctr(struct tg_scorer *s, unsigned i)
{
	return tg_scorer_counter(s, i);
}

static uint64_t saccounted(struct tg_scorer *s)
{
	return sctr(s, TG_SC_SCORED) + sctr(s, TG_SC_COALESCED) + sctr(s, TG_SC_DISCARDED) +
	       sctr(s, TG_SC_UNSCORED) + sctr(s, TG_SC_REJECTED);
}

static void t_async_accounting(void)
{
	struct ticks t;
	TG_CHECK_EQ_I64(ticks_open(&t), 0);
	struct held h = {.base = {.ops = &held_ops, .window = AW, .features = 1, .max_batch = 4}};
	for (int i = 0; i < 16; i++)
		h.mse[i] = 0.5;
	struct tg_scaler_group g = {.name = "*", .min = 0, .max = 1000, .n_windows = 1};
	struct tg_scaler *sc = NULL;
	TG_CHECK_EQ_I64(tg_scaler_from_params(TG_SCALE_MINMAX_RAW, AW, false, &g, 1, &sc), 0);
	struct tg_scorer_config cfg = {.count = 1,
	                               .flags_name = "flags.A",
	                               .window = AW,
	                               .threshold = 4.0,
	                               .scaler = sc,
	                               .recon = &h.base,
	                               .max_batch = 4,
	                               .max_inflight = 2};
	struct tg_scorer *s = NULL;
	TG_CHECK_EQ_I64(tg_scorer_create(&cfg, &s), 0);
	if (!s || !sc)
		goto out;
	TG_CHECK_EQ_I64(tg_scorer_attach(s), 0);
	for (int k = 0; k < AW; k++) /* one window each: batch 1 */
		for (uint16_t id = 0; id < NI; id++)
			tick(&t, id);
	tg_scorer_poll(s);
	for (uint16_t id = 0; id < NI; id++) /* batch 2 */
		tick(&t, id);
	tg_scorer_poll(s);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_READY), 8);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_INFLIGHT_WINDOWS), 8);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_INFLIGHT_BATCHES), 2);
	TG_CHECK_EQ_U64(saccounted(s), 0);
	/* every batch out: ticks are still consumed, their windows wait */
	for (int k = 0; k < 3; k++)
		for (uint16_t id = 0; id < NI; id++)
			tick(&t, id);
	tg_scorer_poll(s);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_ARRIVALS), t.written);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_READY), 20);
	TG_CHECK(sctr(s, TG_SC_INFLIGHT_FULL) >= 1);
	TG_CHECK(!tg_scorer_idle(s));
	/* batch 1 completes: decided; the waiting windows go out as batch 3,
	 * 3 per instrument, 2 of them coalesced */
	h.release = 1;
	tg_scorer_poll(s);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_SCORED), 4);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_COALESCED), 8);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_INFLIGHT_WINDOWS), 8);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_READY), saccounted(s) + sctr(s, TG_SC_INFLIGHT_WINDOWS));
	/* batch 2's windows are overwritten before its result comes: it is
	 * still a valid decision about ticks [1, 8] as read */
	for (int k = 0; k < 300; k++)
		tick(&t, 0);
	h.release = 2;
	tg_scorer_poll(s); /* batches 2, 3 decided; instrument 0 goes out again */
	TG_CHECK_EQ_U64(sctr(s, TG_SC_SCORED), 12);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_INFLIGHT_WINDOWS), 1);
	struct tg_segment *fs = NULL;
	TG_CHECK_EQ_I64(tg_segment_attach("flags.A", &fs), 0);
	int late = 0;
	if (fs) {
		const struct tg_ring *r = tg_segment_ring(fs);
		uint64_t words[TG_FLAG_SLOT_WORDS - 1];
		for (uint64_t q = 0; q < tg_ring_head(r); q++) {
			struct tg_flag f;
			if (tg_ring_try_read(r, q, words) != 0)
				continue;
			tg_flag_unpack(words, &f);
			TG_CHECK_EQ_U64(f.last_seq, f.first_seq + AW - 1);
			if (f.instrument == 0 && f.first_seq == 1) {
				late++;
				TG_CHECK_EQ_U64(f.last_price_e4, prices[AW]);
				TG_CHECK_NEAR(f.score, 0.5, 0, 0);
			}
		}
		tg_segment_detach(fs);
	}
	TG_CHECK_EQ_I64(late, 1);
	/* shutdown with a batch out: abandoned, counted unscored, adds up */
	TG_CHECK_EQ_U64(tg_scorer_drain(s, 0), 1);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_ABANDONED), 1);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_INFLIGHT_WINDOWS), 0);
	TG_CHECK(tg_scorer_idle(s));
	TG_CHECK_EQ_U64(sctr(s, TG_SC_READY), saccounted(s));
	TG_CHECK_EQ_U64(sctr(s, TG_SC_UNSCORED), 1);
	h.release = 1; /* its late result is ignored */
	TG_CHECK_EQ_I64(tg_scorer_poll(s), 0);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_SCORED), 12);
	tg_scorer_housekeep(s);
	TG_CHECK_EQ_U64(sctr(s, TG_SC_RECON_FIRST + 2), h.c.windows_submitted);
out:
	tg_scorer_destroy(s, true);
	tg_scaler_destroy(sc);
	ticks_close(&t);
}

/* ---- usage ------------------------------------------------------------------ */

static int run_status(const char *const *args)
{
	return tg_test_wait(spawn_tg("usage.log", args));
}

static void t_usage(void)
{
	const char *help[] = {"scorer", "--help", NULL};
	const char *key[] = {"scorer", "--model", pkg_dir, "--remote", "colour=blue", NULL};
	const char *inc[] = {"scorer", "--model", pkg_dir, "--remote", "model=ae", NULL};
	const char *num[] = {"scorer", "--model", pkg_dir, "--remote", "timeout-ms=soon", NULL};
	const char *fb[] = {"scorer", "--model", pkg_dir, "--remote-fallback", NULL};
	const char *hdr[] = {"scorer",    "--model",         pkg_dir,    "--remote-url",
	                     "http://x/", "--remote-header", "no-colon", NULL};
	TG_CHECK_EQ_I64(run_status(help), 0);
	TG_CHECK_EQ_I64(run_status(key), 2);
	TG_CHECK_EQ_I64(run_status(inc), 2);
	TG_CHECK_EQ_I64(run_status(num), 2);
	TG_CHECK_EQ_I64(run_status(fb), 2);
	TG_CHECK_EQ_I64(run_status(hdr), 2);
}

/* `tickguard run`'s remote options: file and flags, headers appended,
 * numbers checked (the scorer checks the rest at start). */
static void t_run_config_remote(void)
{
	char path[128], err[256] = "";
	snprintf(path, sizeof(path), "%s/run.json", pkg_dir);
	FILE *f = fopen(path, "w");
	TG_CHECK(f != NULL);
	if (!f)
		return;
	fputs("{\"remote_project\": \"p1\", \"remote_location\": \"us-central1\", "
	      "\"remote_endpoint\": \"123\", \"remote_auth_command\": \"gcloud auth "
	      "print-access-token\", \"remote_headers\": [\"X-A: 1\", \"X-B: 2\"], "
	      "\"remote_timeout_ms\": 750, \"remote_fallback\": false, \"max_inflight\": 4}",
	      f);
	fclose(f);
	struct tg_run_config c;
	tg_run_config_default(&c);
	TG_CHECK(c.remote_fallback);
	TG_CHECK_EQ_U64(c.max_inflight, 8);
	char a0[] = "run", a1[] = "--config", a3[] = "--remote-headers", a4[] = "X-C: 3",
	     a5[] = "--remote-retries=0";
	char *argv[] = {a0, a1, path, a3, a4, a5};
	TG_CHECK_EQ_I64(tg_run_config_flags(&c, 6, argv, err, sizeof(err)), 0);
	TG_CHECK_STR(c.remote_project, "p1");
	TG_CHECK_STR(c.remote_endpoint, "123");
	TG_CHECK_STR(c.remote_auth_command, "gcloud auth print-access-token");
	TG_CHECK_STR(c.remote_headers, "X-A: 1\nX-B: 2\nX-C: 3");
	TG_CHECK_STR(c.remote_timeout_ms, "750");
	TG_CHECK_STR(c.remote_retries, "0");
	TG_CHECK(!c.remote_fallback);
	TG_CHECK_EQ_U64(c.max_inflight, 4);
	char b1[] = "--remote-timeout-ms", b2[] = "soon";
	char *bad[] = {a0, b1, b2};
	TG_CHECK_EQ_I64(tg_run_config_flags(&c, 3, bad, err, sizeof(err)), -EINVAL);
	char h2[] = "no colon";
	char *badh[] = {a0, a3, h2};
	TG_CHECK_EQ_I64(tg_run_config_flags(&c, 3, badh, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	tg_test_bin(bin, sizeof(bin));
	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/tgtest-screm-%d", (int)getpid());
	mkdir(shm_dir, 0700);
	setenv("TG_SHM_DIR", shm_dir, 1);
	load_prices();
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "%s not built: skipping\n", bin);
		return 77;
	}
	if (make_package() < 0) {
		fprintf(stderr, "cannot write the model package\n");
		return 1;
	}
	tg_test_case("usage", t_usage);
	tg_test_case("run_config_remote", t_run_config_remote);
	tg_test_case("async_accounting", t_async_accounting);
	tg_test_case("same_decisions", t_same_decisions);
	tg_test_case("slow_server_keeps_consuming", t_slow_server_keeps_consuming);
	tg_test_case("broken_sync_caught", t_broken_sync_caught);
	tg_test_case("endpoint_down", t_endpoint_down);
	tg_test_case("endpoint_down_fallback", t_endpoint_down_fallback);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", shm_dir, pkg_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	return tg_test_done();
}
