/* bench_dpdk.c - packets/s and messages/s from a capture through decode
 * and the order map into the tick rings, on one core, by three receive
 * paths in the same run over the same feedsim capture (synthetic market):
 *
 *   file      rx_file: the capture mmapped, no driver at all (the ceiling)
 *   dpdk      DPDK net_pcap PMD (rx_pcap=, --no-huge): rte_eth_rx_burst,
 *             mbufs, frame parsing, then the same gateway path
 *   io_uring  a sender thread replays the capture's datagrams over loopback
 *             UDP as fast as it can; multishot recv + buffer ring. Here the
 *             kernel's UDP path and the sender share the 2 cores, so this
 *             row is a floor; its losses are printed, not hidden.
 *
 * Each path runs 5 times; medians are reported. Wall time runs from the
 * first packet to the end-of-session packet. DPDK initialises once per
 * process, so each DPDK run is a forked child reporting through a pipe.
 * Table + $TG_BENCH_DIR/bench_dpdk.json.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "gateway/gateway.h"
#include "gateway/rx_dpdk.h"
#include "wire/pcap.h"

extern char **environ;

#define RUNS 5

struct result {
	double secs;
	uint64_t packets, messages, ticks, lost_msgs;
};

static atomic_bool stop_flag;
static char pcap_path[256];

static const struct tg_gateway_config base_cfg = {
    .instruments = 64,
    .ring_slots = 1u << 14,
    .arrival_slots = 1u << 20,
    .orders = 1u << 22,
};

static void collect(struct tg_gateway *gw, uint64_t t0, struct result *r)
{
	r->secs = (double)(tg_monotonic_ns() - t0) / 1e9;
	r->packets = tg_gateway_counter(gw, TG_GW_PACKETS);
	r->messages = tg_gateway_counter(gw, TG_GW_MESSAGES);
	r->ticks = tg_gateway_counter(gw, TG_GW_TICKS);
	r->lost_msgs = tg_gateway_counter(gw, TG_GW_LOST_MSGS);
}

/* First packet starts the clock: on_burst runs after each burst. */
static uint64_t first_ns;
static void on_burst(void *ctx, struct tg_gateway *gw, struct tg_rx *rx)
{
	(void)ctx;
	(void)gw;
	(void)rx;
	if (!first_ns)
		first_ns = tg_monotonic_ns();
}

static int run_gateway(struct tg_rx *rx, const char *seg, uint64_t first_seq, struct result *r)
{
	struct tg_gateway_config gc = base_cfg;
	gc.segment = seg;
	gc.seq.first_seq = first_seq;
	gc.on_burst = on_burst;
	struct tg_gateway *gw;
	int rc = tg_gateway_create(&gc, &gw);
	if (rc < 0)
		return rc;
	first_ns = 0;
	uint64_t t0 = tg_monotonic_ns();
	rc = tg_gateway_run(gw, rx, &stop_flag);
	collect(gw, first_ns ? first_ns : t0, r);
	tg_gateway_destroy(gw, true);
	return rc;
}

static int run_file(struct result *r)
{
	struct tg_rx *rx;
	int rc = tg_rx_file_open(pcap_path, &rx);
	if (rc < 0)
		return rc;
	rc = run_gateway(rx, "bench-file", 1, r);
	tg_rx_close(rx);
	return rc;
}

static int run_dpdk(struct result *r)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		char eal[600];
		snprintf(eal, sizeof(eal),
		         "--no-huge --no-pci --no-shconf -m 512 -l 1 --log-level=error "
		         "--file-prefix=tgb%d --vdev=net_pcap0,rx_pcap=%s",
		         (int)getpid(), pcap_path);
		struct tg_rx_dpdk_config dc = {
		    .eal_args = eal, .mbufs = 65535, .rx_desc = 4096, .idle_end_ns = 500000000ull};
		struct tg_rx *rx;
		struct result cr = {0};
		int rc = tg_rx_dpdk_open(&dc, &rx);
		if (rc == 0) {
			rc = run_gateway(rx, "bench-dpdk", 1, &cr);
			tg_rx_close(rx);
		} else {
			fprintf(stderr, "dpdk: %s\n", tg_rx_dpdk_last_error());
		}
		cr.secs = rc < 0 ? -1 : cr.secs;
		ssize_t w = write(pfd[1], &cr, sizeof(cr));
		_exit(w == sizeof(cr) ? 0 : 1);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], r, sizeof(*r));
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	return n == sizeof(*r) && r->secs >= 0 ? 0 : -ENOTSUP;
}

struct sender {
	int port;
};

static void *send_main(void *arg)
{
	struct sender *s = arg;
	struct tg_pcap_reader pr;
	if (tg_pcap_open(&pr, pcap_path) < 0)
		return NULL;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sb = 64 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		tg_pcap_close(&pr);
		return NULL;
	}
	struct tg_udp_datagram d;
	while (tg_pcap_next(&pr, &d) == 1)
		while (send(fd, d.payload, d.len, 0) < 0 && errno == ENOBUFS)
			;
	close(fd);
	tg_pcap_close(&pr);
	return NULL;
}

static int run_uring(struct result *r)
{
	struct tg_rx_uring_config uc = {.listen = "127.0.0.1:0", .rcvbuf_bytes = 256u << 20};
	struct tg_rx *rx;
	int rc = tg_rx_uring_open(&uc, &rx);
	if (rc < 0)
		return rc;
	struct sender s = {.port = tg_rx_uring_port(rx)};
	pthread_t th;
	pthread_create(&th, NULL, send_main, &s);
	/* no retransmission server: losses stay losses (counted) */
	struct tg_gateway_config gc = base_cfg;
	gc.segment = "bench-uring";
	gc.seq.first_seq = 1;
	gc.seq.timeout_ns = 1000000;
	gc.seq.retries = 1;
	gc.on_burst = on_burst;
	struct tg_gateway *gw;
	rc = tg_gateway_create(&gc, &gw);
	if (rc == 0) {
		first_ns = 0;
		alarm(60);
		rc = tg_gateway_run(gw, rx, &stop_flag);
		alarm(0);
		collect(gw, first_ns, r);
		tg_gateway_destroy(gw, true);
	}
	pthread_join(th, NULL);
	tg_rx_close(rx);
	return rc;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void on_alarm(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, true);
}

int main(void)
{
	const char *bindir = getenv("TG_BIN");
	char bin[300];
	snprintf(bin, sizeof(bin), "%s/tickguard",
	         bindir && *bindir ? bindir : "build/release/bin");
	snprintf(pcap_path, sizeof(pcap_path), "/tmp/tg-bench-dpdk-%d.pcap", (int)getpid());
	signal(SIGALRM, on_alarm);
	char *argv[] = {bin,
	                (char *)(uintptr_t) "feedsim",
	                (char *)(uintptr_t) "--instruments",
	                (char *)(uintptr_t) "16",
	                (char *)(uintptr_t) "--trades",
	                (char *)(uintptr_t) "40000",
	                (char *)(uintptr_t) "--pcap",
	                pcap_path,
	                NULL};
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int st = 0;
	if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0 ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_dpdk: cannot make the capture with %s\n", bin);
		return 1;
	}
	static const char *names[] = {"file", "dpdk", "io_uring"};
	int (*fns[])(struct result *) = {run_file, run_dpdk, run_uring};
	struct result med[3] = {{0}};
	bool ok[3] = {false, false, false};
	double mpps[3][RUNS], mmps[3][RUNS];
	/* interleave the paths so that machine noise hits them alike */
	for (int k = 0; k < RUNS; k++)
		for (int p = 0; p < 3; p++) {
			struct result r = {0};
			if (fns[p](&r) < 0 || r.secs <= 0) {
				mpps[p][k] = mmps[p][k] = 0;
				continue;
			}
			ok[p] = true;
			med[p] = r;
			mpps[p][k] = (double)r.packets / r.secs / 1e6;
			mmps[p][k] = (double)r.messages / r.secs / 1e6;
		}
	unlink(pcap_path);
	printf("\n%-9s %10s %10s %12s %12s %12s\n", "path", "packets", "messages", "Mpkt/s(med)",
	       "Mmsg/s(med)", "lost msgs");
	FILE *j = NULL;
	const char *dir = getenv("TG_BENCH_DIR");
	char jp[400];
	snprintf(jp, sizeof(jp), "%s/bench_dpdk.json", dir && *dir ? dir : "build/bench");
	j = fopen(jp, "w");
	if (j)
		fprintf(j, "{\n  \"benchmark\": \"bench_dpdk\",\n  \"runs\": %d,\n  \"paths\": [\n",
		        RUNS);
	for (int p = 0; p < 3; p++) {
		if (!ok[p]) {
			printf("%-9s unavailable here\n", names[p]);
			continue;
		}
		qsort(mpps[p], RUNS, sizeof(double), cmp_d);
		qsort(mmps[p], RUNS, sizeof(double), cmp_d);
		printf("%-9s %10llu %10llu %12.3f %12.2f %12llu\n", names[p],
		       (unsigned long long)med[p].packets, (unsigned long long)med[p].messages,
		       mpps[p][RUNS / 2], mmps[p][RUNS / 2], (unsigned long long)med[p].lost_msgs);
		if (j)
			fprintf(j,
			        "    {\"path\": \"%s\", \"packets\": %llu, \"messages\": %llu, "
			        "\"ticks\": %llu, \"mpkt_per_s_median\": %.4f, "
			        "\"mmsg_per_s_median\": %.3f, \"lost_msgs\": %llu}%s\n",
			        names[p], (unsigned long long)med[p].packets,
			        (unsigned long long)med[p].messages,
			        (unsigned long long)med[p].ticks, mpps[p][RUNS / 2],
			        mmps[p][RUNS / 2], (unsigned long long)med[p].lost_msgs,
			        p < 2 ? "," : "");
	}
	if (j) {
		fprintf(j, "  ]\n}\n");
		fclose(j);
		printf("wrote %s\n", jp);
	}
	return ok[0] && ok[1] ? 0 : 1;
}
