/* test_gateway_udp.c - the gateway on real sockets: io_uring multishot
 * receive with a provided buffer ring on UDP loopback (including running
 * out of buffers and oversized datagrams), then `tickguard feedsim`
 * replaying the LOBSTER day as ITCH 5.0 / MoldUDP64 into an in-process
 * gateway: every execution of AAPL, AMZN and GOOG must arrive as exactly
 * one tick with the right instrument, side, price, size and nanosecond
 * timestamp (checked against the source CSVs), with malformed datagrams
 * mixed in; and again with feedsim dropping 1 % of packets, where the
 * gateway must detect the gaps, recover them, and end with identical rings.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/rx.h"
#include "shm/shm.h"
#include "tests/test_net_util.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"

extern char **environ;

static char shm_dir[64];
static atomic_bool stop_flag;

static void on_alarm(int sig)
{
	(void)sig;
	atomic_store_explicit(&stop_flag, true, memory_order_relaxed);
}

static int udp_sender(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static void send_to(int fd, int port, const void *buf, size_t len)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) != (ssize_t)len)
		TG_FAIL("sendto: %s", strerror(errno));
}

static struct tg_rx *uring_open(struct tg_rx_uring_config *cfg)
{
	struct tg_rx *rx = NULL;
	int rc = tg_rx_uring_open(cfg, &rx);
	if (rc == -ENOSYS || rc == -EPERM || rc == -EOPNOTSUPP)
		TG_SKIP("io_uring unavailable: %s", strerror(-rc));
	if (rc < 0)
		TG_FAIL("tg_rx_uring_open: %s", strerror(-rc));
	return rx;
}

/* ---- io_uring receive --------------------------------------------------- */

static void t_uring_loopback(void)
{
	/* 8 buffers for 600 datagrams: the multishot recv runs out of buffers
	 * again and again and must be re-armed without losing anything */
	struct tg_rx_uring_config cfg = {
	    .listen = "127.0.0.1:0", .buffers = 8, .buffer_bytes = 1024, .rcvbuf_bytes = 8u << 20};
	struct tg_rx *rx = uring_open(&cfg);
	if (!rx)
		return;
	int port = tg_rx_uring_port(rx);
	TG_CHECK(port > 0);
	int fd = udp_sender();
	enum { N = 600 };
	uint8_t buf[2048];
	for (uint32_t i = 0; i < N; i++) {
		size_t len = 8 + i % 900;
		memset(buf, (int)(i & 0xff), len);
		memcpy(buf, &i, sizeof(i));
		send_to(fd, port, buf, len);
	}
	send_to(fd, port, buf, 1500); /* larger than a buffer: counted, dropped */
	uint32_t next = 0;
	int spins = 0;
	struct tg_rx_stats st;
	while (next < N && spins < 2000) {
		struct tg_rx_pkt p[16];
		int n = tg_rx_recv_burst(rx, p, 16, 200000000ull);
		if (n < 0) {
			TG_FAIL("recv_burst: %s", strerror(-n));
			break;
		}
		spins += n == 0;
		for (int i = 0; i < n; i++) {
			uint32_t id;
			memcpy(&id, p[i].data, sizeof(id));
			TG_CHECK_EQ_U64(id, next);
			TG_CHECK_EQ_U64(p[i].len, 8 + id % 900);
			TG_CHECK_EQ_U64(p[i].data[p[i].len - 1], id & 0xff);
			TG_CHECK(p[i].recv_ts_ns > 0);
			next++;
		}
		tg_rx_release_burst(rx, p, (unsigned)n);
	}
	TG_CHECK_EQ_U64(next, N);
	/* the oversized one is behind the last good one */
	for (int i = 0; i < 20; i++) {
		tg_rx_stats(rx, &st);
		if (st.rx_truncated)
			break;
		struct tg_rx_pkt p[4];
		int n = tg_rx_recv_burst(rx, p, 4, 50000000ull);
		if (n > 0)
			tg_rx_release_burst(rx, p, (unsigned)n);
	}
	tg_rx_stats(rx, &st);
	TG_CHECK_EQ_U64(st.packets, N);
	TG_CHECK_EQ_U64(st.rx_truncated, 1);
	TG_CHECK(st.rx_no_buffers > 0);
	TG_CHECK(st.rx_rearms > 0);
	TG_CHECK_EQ_U64(st.rx_kernel_drops, 0);
	TG_CHECK(st.rcvbuf_bytes >= 4096);
	close(fd);
	tg_rx_close(rx);
}

/* Multicast join on the loopback interface (skipped where lo has no
 * multicast route, e.g. some containers). */
static void t_uring_multicast(void)
{
	int probe = udp_sender();
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, "239.255.42.7", &a.sin_addr);
	struct in_addr lo = {.s_addr = htonl(INADDR_LOOPBACK)};
	setsockopt(probe, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo));
	int loop = 1;
	setsockopt(probe, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
	struct tg_rx_uring_config cfg = {
	    .listen = "0.0.0.0:0", .group = "239.255.42.7", .iface = "127.0.0.1"};
	struct tg_rx *rx = NULL;
	int rc = tg_rx_uring_open(&cfg, &rx);
	if (rc == -ENODEV || rc == -EADDRNOTAVAIL || rc == -ENOSYS || rc == -EPERM) {
		close(probe);
		TG_SKIP("no multicast on loopback here: %s", strerror(-rc));
	}
	TG_CHECK_EQ_I64(rc, 0);
	if (rc < 0) {
		close(probe);
		return;
	}
	a.sin_port = htons((uint16_t)tg_rx_uring_port(rx));
	uint32_t got = 0;
	for (uint32_t i = 0; i < 10; i++)
		if (sendto(probe, &i, sizeof(i), 0, (struct sockaddr *)&a, sizeof(a)) < 0) {
			int e = errno;
			close(probe);
			tg_rx_close(rx);
			TG_SKIP("cannot send to a multicast group here: %s", strerror(e));
		}
	for (int tries = 0; tries < 20 && got < 10; tries++) {
		struct tg_rx_pkt p[16];
		int n = tg_rx_recv_burst(rx, p, 16, 100000000ull);
		for (int i = 0; i < n; i++) {
			uint32_t v;
			memcpy(&v, p[i].data, sizeof(v));
			TG_CHECK_EQ_U64(v, got);
			got++;
		}
		if (n > 0)
			tg_rx_release_burst(rx, p, (unsigned)n);
	}
	close(probe);
	tg_rx_close(rx);
	if (got == 0)
		TG_SKIP("joined, but loopback does not deliver multicast here");
	TG_CHECK_EQ_U64(got, 10);
}

/* timeout 0 must not wait, and must still see what has arrived */
static void t_uring_nowait(void)
{
	struct tg_rx_uring_config cfg = {.listen = "127.0.0.1:0"};
	struct tg_rx *rx = uring_open(&cfg);
	if (!rx)
		return;
	struct tg_rx_pkt p[4];
	TG_CHECK_EQ_I64(tg_rx_recv_burst(rx, p, 4, 0), 0);
	int fd = udp_sender();
	send_to(fd, tg_rx_uring_port(rx), "abc", 3); /* loopback: queued when sendto returns */
	int n = tg_rx_recv_burst(rx, p, 4, 0);
	TG_CHECK_EQ_I64(n, 1);
	if (n == 1) {
		TG_CHECK_EQ_U64(p[0].len, 3);
		tg_rx_release_burst(rx, p, 1);
	}
	close(fd);
	tg_rx_close(rx);
}

static void t_uring_bad_config(void)
{
	struct tg_rx *rx = NULL;
	struct tg_rx_uring_config cfg = {.listen = "127.0.0.1:notaport"};
	TG_CHECK_EQ_I64(tg_rx_uring_open(&cfg, &rx), -EINVAL);
	cfg.listen = "127.0.0.1:0";
	cfg.group = "10.0.0.1"; /* not multicast */
	TG_CHECK_EQ_I64(tg_rx_uring_open(&cfg, &rx), -EINVAL);
	cfg.group = NULL;
	cfg.buffers = 1000; /* not a power of two */
	TG_CHECK_EQ_I64(tg_rx_uring_open(&cfg, &rx), -EINVAL);
}

/* ---- LOBSTER through feedsim -------------------------------------------- */

static const char *const syms[3] = {"AAPL", "AMZN", "GOOG"};

struct expect {
	uint64_t n[3];
	uint64_t sum[3]; /* order-sensitive checksum per symbol */
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ull;
	return h ^ (h >> 29);
}

static uint64_t tick_hash(uint64_t h, uint64_t ts, uint64_t price, uint64_t size, uint64_t side)
{
	return mix(mix(mix(mix(h, ts), price), size), side);
}

/* "34200.004241176" -> ns, exactly (no floating point) */
static uint64_t parse_ns(const char *s, char **end)
{
	uint64_t sec = strtoull(s, end, 10), frac = 0;
	int digits = 0;
	if (**end == '.') {
		char *p = *end + 1;
		while (*p >= '0' && *p <= '9') {
			if (digits < 9) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				digits++;
			}
			p++;
		}
		*end = p;
	}
	while (digits++ < 9)
		frac *= 10;
	return sec * 1000000000ull + frac;
}

static int lobster_expect(struct expect *e)
{
	memset(e, 0, sizeof(*e));
	for (int s = 0; s < 3; s++) {
		char path[512];
		snprintf(path, sizeof(path),
		         "%s/lobster/%s_2012-06-21_34200000_57600000_message_1.csv",
		         tg_test_data_dir(), syms[s]);
		FILE *f = fopen(path, "r");
		if (!f)
			return -errno;
		char line[256];
		uint64_t h = 1469598103934665603ull;
		while (fgets(line, sizeof(line), f)) {
			char *p;
			uint64_t ts = parse_ns(line, &p);
			long type = strtol(p + 1, &p, 10);
			strtoull(p + 1, &p, 10); /* order id */
			uint64_t size = strtoull(p + 1, &p, 10);
			uint64_t price = strtoull(p + 1, &p, 10);
			long dir = strtol(p + 1, &p, 10);
			if (type != 4 && type != 5)
				continue;
			/* executing a sell order is a buyer-initiated trade */
			uint64_t side = dir == -1 ? 'B' : 'S';
			h = tick_hash(h, ts, price, size, side);
			e->n[s]++;
		}
		fclose(f);
		e->sum[s] = h;
	}
	return 0;
}

static const char *tickguard_bin(char *buf, size_t cap)
{
	return access(tg_test_bin(buf, cap), X_OK) == 0 ? buf : NULL;
}

struct run_result {
	uint64_t n[3], sum[3];
	uint64_t gaps, recovered_msgs, unrecovered, lost, malformed, requests, ticks;
	bool ok;
};

/* feedsim -> UDP loopback -> io_uring -> gateway -> rings. */
/* `how` is "--drop" or "--reorder", applied to fraction `frac` (NULL: none). */
static void run_feed(const char *segment, const char *how, const char *frac, int garbage,
                     struct run_result *res)
{
	memset(res, 0, sizeof(*res));
	char bin[512];
	if (!tickguard_bin(bin, sizeof(bin)))
		TG_SKIP("tickguard binary not built");
	int rport = tg_test_free_udp_port();
	char retrans[64], dest[64];
	snprintf(retrans, sizeof(retrans), "127.0.0.1:%d", rport);
	struct tg_rx_uring_config uc = {.listen = "127.0.0.1:0", .retransmit = retrans};
	struct tg_rx *rx = uring_open(&uc);
	if (!rx)
		return;
	snprintf(dest, sizeof(dest), "127.0.0.1:%d", tg_rx_uring_port(rx));
	struct tg_gateway_config gc = {.segment = segment,
	                               .instruments = 8,
	                               .ring_slots = 1u << 16,
	                               .arrival_slots = 1u << 17,
	                               .orders = 1u << 20,
	                               .seq = {.first_seq = 1}};
	struct tg_gateway *gw = NULL;
	int rc = tg_gateway_create(&gc, &gw);
	if (rc < 0) {
		tg_rx_close(rx);
		TG_SKIP("cannot create segment: %s", strerror(-rc));
	}
	tg_gateway_set_rx(gw, rx);
	/* bad datagrams before the feed starts: counted, nothing else changes */
	int fd = udp_sender();
	int port = tg_rx_uring_port(rx);
	static const uint8_t junk[] = "this is not a MoldUDP64 packet at all";
	for (int i = 0; i < garbage; i++)
		send_to(fd, port, junk, (size_t)(5 + i * 7) % sizeof(junk));
	close(fd);

	char lob[512];
	snprintf(lob, sizeof(lob), "%s/lobster", tg_test_data_dir());
	const char *args[] = {bin,
	                      "feedsim",
	                      lob,
	                      "--dest",
	                      dest,
	                      "--retrans",
	                      retrans,
	                      "--linger-s",
	                      "30",
	                      how ? how : "--drop",
	                      frac ? frac : "0",
	                      "--drop-seed",
	                      "7"};
	enum { NARGS = sizeof(args) / sizeof(args[0]) };
	static char argbuf[NARGS][512]; /* posix_spawn wants char *const[] */
	char *argv[NARGS + 1];
	for (unsigned i = 0; i < NARGS; i++) {
		snprintf(argbuf[i], sizeof(argbuf[i]), "%s", args[i]);
		argv[i] = argbuf[i];
	}
	argv[NARGS] = NULL;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		TG_FAIL("spawn %s: %s", bin, strerror(rc));
		goto out;
	}
	atomic_store(&stop_flag, false);
	signal(SIGALRM, on_alarm);
	alarm(120); /* a hung feed fails the test instead of hanging it */
	rc = tg_gateway_run(gw, rx, &stop_flag);
	alarm(0);
	kill(pid, SIGTERM);
	int status;
	waitpid(pid, &status, 0);
	TG_CHECK_EQ_I64(rc, 0);
	TG_CHECK(tg_gateway_done(gw));
	if (atomic_load(&stop_flag))
		TG_FAIL("gateway did not see the end of the session within 120 s");

	struct tg_segment *seg = tg_gateway_segment(gw);
	for (int s = 0; s < 3; s++) {
		int id = tg_segment_lookup(seg, syms[s]);
		if (id < 0) {
			TG_FAIL("%s not in the directory", syms[s]);
			continue;
		}
		const struct tg_ring *r = tg_segment_tick_ring(seg, (uint32_t)id);
		uint64_t h = 1469598103934665603ull, n = tg_ring_head(r);
		for (uint64_t i = 0; i < n; i++) {
			struct tg_tick t;
			if (tg_tick_read(r, i, &t) != 0) {
				TG_FAIL("%s tick %llu unreadable", syms[s], (unsigned long long)i);
				break;
			}
			if (t.instrument != id || t.seq != i)
				TG_FAIL("%s tick %llu: instrument %u seq %llu", syms[s],
				        (unsigned long long)i, t.instrument,
				        (unsigned long long)t.seq);
			h = tick_hash(h, t.exch_ts_ns, t.price_e4, t.shares, t.side);
		}
		res->n[s] = n;
		res->sum[s] = h;
	}
	res->gaps = tg_gateway_counter(gw, TG_GW_GAPS);
	res->recovered_msgs = tg_gateway_counter(gw, TG_GW_RECOVERED_MSGS);
	res->unrecovered = tg_gateway_counter(gw, TG_GW_UNRECOVERED);
	res->lost = tg_gateway_counter(gw, TG_GW_LOST_MSGS);
	res->malformed = tg_gateway_counter(gw, TG_GW_MALFORMED_PACKETS);
	res->requests = tg_gateway_counter(gw, TG_GW_REQUESTS);
	res->ticks = tg_gateway_counter(gw, TG_GW_TICKS);
	res->ok = true;
	fprintf(stderr, "  %s:", segment);
	static const enum tg_gw_counter show[] = {
	    TG_GW_PACKETS,
	    TG_GW_TICKS,
	    TG_GW_GAPS,
	    TG_GW_GAP_MSGS,
	    TG_GW_RECOVERED,
	    TG_GW_RECOVERED_MSGS,
	    TG_GW_REORDERED_MSGS,
	    TG_GW_LOST_MSGS,
	    TG_GW_REQUESTS,
	    TG_GW_DUP_MSGS,
	    TG_GW_MALFORMED_PACKETS,
	    TG_GW_RX_KERNEL_DROPS,
	    TG_GW_RX_NO_BUFFERS,
	    TG_GW_UNPRICED_EXEC,
	};
	for (unsigned i = 0; i < sizeof(show) / sizeof(show[0]); i++)
		fprintf(stderr, " %s=%llu", tg_gateway_counter_name(show[i]),
		        (unsigned long long)tg_gateway_counter(gw, show[i]));
	fputc('\n', stderr);
out:
	tg_gateway_destroy(gw, true);
	tg_rx_close(rx);
}

static struct run_result clean_run;

static void t_lobster_e2e(void)
{
	struct expect e;
	int rc = lobster_expect(&e);
	if (rc < 0)
		TG_SKIP("LOBSTER files missing in %s/lobster", tg_test_data_dir());
	run_feed("gwtest.lobster", NULL, NULL, 5, &clean_run);
	if (!clean_run.ok)
		return;
	for (int s = 0; s < 3; s++) {
		TG_CHECK_EQ_U64(clean_run.n[s], e.n[s]);
		TG_CHECK_EQ_U64(clean_run.sum[s], e.sum[s]);
	}
	/* the README's counts of executions (types 4 + 5) */
	TG_CHECK_EQ_U64(e.n[0], 23658 + 11332);
	TG_CHECK_EQ_U64(e.n[1], 8974 + 2445);
	TG_CHECK_EQ_U64(e.n[2], 7765 + 3913);
	TG_CHECK_EQ_U64(clean_run.malformed, 5);
	TG_CHECK_EQ_U64(clean_run.lost, 0);
	TG_CHECK_EQ_U64(clean_run.unrecovered, 0);
}

static void t_lobster_loss(void)
{
	if (!clean_run.ok)
		TG_SKIP("needs the loss-free run");
	struct run_result r;
	run_feed("gwtest.loss", "--drop", "0.01", 0, &r);
	if (!r.ok)
		return;
	TG_CHECK(r.gaps > 0);
	TG_CHECK(r.requests > 0);
	TG_CHECK(r.recovered_msgs > 0);
	TG_CHECK_EQ_U64(r.unrecovered, 0);
	TG_CHECK_EQ_U64(r.lost, 0);
	for (int s = 0; s < 3; s++) { /* identical to the loss-free run */
		TG_CHECK_EQ_U64(r.n[s], clean_run.n[s]);
		TG_CHECK_EQ_U64(r.sum[s], clean_run.sum[s]);
	}
}

/* Exit status of `tickguard ARGS...` (stdout/stderr to /dev/null). */
static int run_cli(const char *bin, const char *const *args, unsigned n)
{
	const char *argv[17] = {bin};
	for (unsigned i = 0; i < n && i < 15; i++)
		argv[i + 1] = args[i];
	return tg_test_run(bin, argv, NULL);
}

static void t_cli(void)
{
	char bin[512];
	if (!tickguard_bin(bin, sizeof(bin)))
		TG_SKIP("tickguard binary not built");
	char file[512];
	snprintf(file, sizeof(file), "%s/itch/ex20101224.TEST_ITCH_50", tg_test_data_dir());
	const char *help[] = {"gateway", "--help"};
	TG_CHECK_EQ_I64(run_cli(bin, help, 2), 0);
	const char *none[] = {"gateway"};
	TG_CHECK_EQ_I64(run_cli(bin, none, 1), 2);
	const char *both[] = {"gateway", "--file", file, "--listen", "127.0.0.1:1"};
	TG_CHECK_EQ_I64(run_cli(bin, both, 5), 2);
	const char *badaddr[] = {"gateway", "--listen", "1.2.3"};
	TG_CHECK_EQ_I64(run_cli(bin, badaddr, 3), 2);
	const char *slots[] = {"gateway", "--file", file, "--ring-slots", "1000"};
	TG_CHECK_EQ_I64(run_cli(bin, slots, 5), 2);
	const char *replay[] = {"gateway", "--file", file, "--segment", "gwtest.cli", "--unlink"};
	if (access(file, R_OK) == 0) /* the real sample, when ../shared/data is there */
		TG_CHECK_EQ_I64(run_cli(bin, replay, 6), 0);
	else
		fprintf(stderr, "  (no %s: replay case not run)\n", file);
	const char *missing[] = {"gateway", "--file", "/nonexistent/file.itch"};
	TG_CHECK_EQ_I64(run_cli(bin, missing, 3), 1);
	const char *stat_help[] = {"stat", "--help"};
	TG_CHECK_EQ_I64(run_cli(bin, stat_help, 2), 0);
	const char *stat_json[] = {"stat", "--json"};
	TG_CHECK_EQ_I64(run_cli(bin, stat_json, 2), 0);
	const char *stat_bad[] = {"stat", "--bogus"};
	TG_CHECK_EQ_I64(run_cli(bin, stat_bad, 2), 2);
}

/* The commands themselves: `tickguard gateway --listen` in one process,
 * `tickguard feedsim` in another, started in either order (packets sent
 * before the gateway listens are asked for again: a live gateway expects
 * the session from sequence 1). The gateway exits at the end of the
 * session and its summary line must count every LOBSTER execution. */
static void t_cmd_e2e(void)
{
	char bin[512];
	if (!tickguard_bin(bin, sizeof(bin)))
		TG_SKIP("tickguard binary not built");
	char lob[512], out[600], listen_s[64], retrans[64];
	snprintf(lob, sizeof(lob), "%s/lobster", tg_test_data_dir());
	if (access(lob, R_OK))
		TG_SKIP("no LOBSTER data");
	snprintf(out, sizeof(out), "%s/gateway.out", shm_dir);
	snprintf(listen_s, sizeof(listen_s), "127.0.0.1:%d", tg_test_free_udp_port());
	snprintf(retrans, sizeof(retrans), "127.0.0.1:%d", tg_test_free_udp_port());
	const char *gargs[] = {bin,     "gateway",      "--listen",   listen_s,   "--retransmit",
	                       retrans, "--segment",    "gwtest.cmd", "--unlink", "--instruments",
	                       "8",     "--ring-slots", "65536"};
	const char *fargs[] = {bin,     "feedsim",    lob,  "--dest", listen_s, "--retrans",
	                       retrans, "--linger-s", "20", "--drop", "0.005"};
	enum { NG = sizeof(gargs) / sizeof(gargs[0]), NF = sizeof(fargs) / sizeof(fargs[0]) };
	static char gbuf[NG][512], fbuf[NF][512];
	char *gv[NG + 1], *fv[NF + 1];
	for (unsigned i = 0; i < NG; i++) {
		snprintf(gbuf[i], sizeof(gbuf[i]), "%s", gargs[i]);
		gv[i] = gbuf[i];
	}
	gv[NG] = NULL;
	for (unsigned i = 0; i < NF; i++) {
		snprintf(fbuf[i], sizeof(fbuf[i]), "%s", fargs[i]);
		fv[i] = fbuf[i];
	}
	fv[NF] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t fpid, gpid;
	/* the feed first, on purpose: its first packets reach no one */
	posix_spawn_file_actions_t fnull;
	posix_spawn_file_actions_init(&fnull);
	posix_spawn_file_actions_addopen(&fnull, 1, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawn(&fpid, bin, &fnull, NULL, fv, environ);
	posix_spawn_file_actions_destroy(&fnull);
	if (rc) {
		posix_spawn_file_actions_destroy(&fa);
		TG_FAIL("spawn feedsim: %s", strerror(rc));
		return;
	}
	rc = posix_spawn(&gpid, bin, &fa, NULL, gv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		kill(fpid, SIGTERM);
		waitpid(fpid, NULL, 0);
		TG_FAIL("spawn gateway: %s", strerror(rc));
		return;
	}
	int st = 0;
	waitpid(gpid, &st, 0); /* run-tests.sh's timeout bounds a hang */
	kill(fpid, SIGTERM);
	waitpid(fpid, NULL, 0);
	TG_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	FILE *f = fopen(out, "r");
	char line[512] = "";
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	unlink(out);
	unsigned long long pk = 0, msgs = 0, ticks = 0, bad = 0, gaps = 0, rec = 0, unrec = 0,
	                   lost = 0;
	int n =
	    sscanf(line,
	           "gateway: %llu packets, %llu messages, %llu ticks, %llu malformed, %llu gaps "
	           "(%llu recovered, %llu unrecovered, %llu msgs lost)",
	           &pk, &msgs, &ticks, &bad, &gaps, &rec, &unrec, &lost);
	TG_CHECK_EQ_I64(n, 8);
	TG_CHECK_EQ_U64(ticks, 58087);
	TG_CHECK_EQ_U64(msgs, 248603);
	TG_CHECK_EQ_U64(unrec, 0);
	TG_CHECK_EQ_U64(lost, 0);
	TG_CHECK(gaps > 0);
	fprintf(stderr, "  cmd: %s", line);
}

static void t_lobster_reorder(void)
{
	if (!clean_run.ok)
		TG_SKIP("needs the loss-free run");
	struct run_result r;
	run_feed("gwtest.reorder", "--reorder", "0.02", 0, &r);
	if (!r.ok)
		return;
	TG_CHECK(r.gaps > 0); /* a late packet first looks like a gap */
	TG_CHECK_EQ_U64(r.unrecovered, 0);
	TG_CHECK_EQ_U64(r.lost, 0);
	for (int s = 0; s < 3; s++) {
		TG_CHECK_EQ_U64(r.n[s], clean_run.n[s]);
		TG_CHECK_EQ_U64(r.sum[s], clean_run.sum[s]);
	}
}

int main(void)
{
	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/tg-gwudp-XXXXXX");
	if (mkdtemp(shm_dir))
		setenv("TG_SHM_DIR", shm_dir, 1);
	tg_test_case("uring_loopback", t_uring_loopback);
	tg_test_case("uring_multicast", t_uring_multicast);
	tg_test_case("uring_nowait", t_uring_nowait);
	tg_test_case("uring_bad_config", t_uring_bad_config);
	tg_test_case("cli", t_cli);
	tg_test_case("lobster_e2e", t_lobster_e2e);
	tg_test_case("lobster_loss", t_lobster_loss);
	tg_test_case("lobster_reorder", t_lobster_reorder);
	tg_test_case("cmd_e2e", t_cmd_e2e);
	rmdir(shm_dir);
	return tg_test_done();
}
