/* test_gateway_dpdk_rings.c - the DPDK receive path fills the tick rings
 * exactly as the other backends do, for the whole LOBSTER day:
 *
 *  reference  feedsim writes the day as a pcap; rx_file replays it into
 *             segment "ref" (this process, kept alive as its writer)
 *  pcap-vdev  a child replays the same pcap through DPDK net_pcap
 *             (--no-huge --no-pci) into "dpdk", then compares every ring
 *             with "ref", tick by tick (all fields but the receive time)
 *  live-lo    a child receives `tickguard feedsim` live on loopback through
 *             net_pcap iface=lo, with feedsim dropping 1 % of packets: gaps
 *             are recovered through an ordinary UDP request socket, and the
 *             rings must again equal "ref"
 *
 * EAL starts once per process, hence the children. Skips where DPDK is not
 * built in or cannot start (no privilege for iface=lo, etc.). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/rx_dpdk.h"
#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/test_net_util.h"
#include "tests/tg_test.h"

extern char **environ;

enum { CHILD_OK = 0, CHILD_DIFF = 1, CHILD_SKIP = 77 };

static char pcap_path[300];
static char bin[512];
static struct tg_gateway *ref_gw;
static atomic_bool stop_flag;

static const struct tg_gateway_config base_cfg = {
    .instruments = 8,
    .ring_slots = 1u << 16,
    .arrival_slots = 1u << 18,
    .orders = 1u << 20,
};

static int run_cmd(const char *const args[])
{
	char *argv[32];
	int n = 0;
	for (; args[n] && n < 31; n++)
		argv[n] = strdup(args[n]); /* posix_spawn wants char *const[] */
	argv[n] = NULL;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < n; i++)
		free(argv[i]);
	if (rc)
		return -rc;
	return pid;
}

/* Compare every tick ring of segment `got` with the reference. Returns the
 * number of differences (printing the first few) and the ticks compared. */
static int compare_with_ref(const struct tg_segment *got, uint64_t *ticks)
{
	const struct tg_segment *ref = tg_gateway_segment(ref_gw);
	int diffs = 0;
	*ticks = 0;
	uint32_t n = tg_segment_instruments(ref);
	if (tg_segment_instruments(got) != n) {
		fprintf(stderr, "instrument count %u vs %u\n", tg_segment_instruments(got), n);
		return 1;
	}
	for (uint32_t id = 0; id < n; id++) {
		struct tg_instrument_info a, b;
		tg_segment_instrument(ref, id, &a);
		int gid = tg_segment_lookup(got, a.symbol);
		if (gid < 0 || tg_segment_instrument(got, (uint32_t)gid, &b) < 0) {
			fprintf(stderr, "%s missing\n", a.symbol);
			diffs++;
			continue;
		}
		const struct tg_ring *ra = tg_segment_tick_ring(ref, id);
		const struct tg_ring *rb = tg_segment_tick_ring(got, (uint32_t)gid);
		uint64_t ha = tg_ring_head(ra), hb = tg_ring_head(rb);
		if (ha != hb) {
			fprintf(stderr, "%s: %llu ticks vs %llu\n", a.symbol,
			        (unsigned long long)hb, (unsigned long long)ha);
			diffs++;
		}
		uint64_t from = ha > ra->capacity ? ha - ra->capacity : 0;
		for (uint64_t s = from; s < ha && s < hb; s++) {
			struct tg_tick x, y;
			if (tg_tick_read(ra, s, &x) || tg_tick_read(rb, s, &y)) {
				diffs++;
				continue;
			}
			(*ticks)++;
			if (x.seq != y.seq || x.exch_ts_ns != y.exch_ts_ns ||
			    x.price_e4 != y.price_e4 || x.shares != y.shares || x.side != y.side ||
			    x.flags != y.flags || x.match_no != y.match_no) {
				if (diffs < 5)
					fprintf(stderr,
					        "%s tick %llu differs: price %u/%u ts %llu/%llu\n",
					        a.symbol, (unsigned long long)s, y.price_e4,
					        x.price_e4, (unsigned long long)y.exch_ts_ns,
					        (unsigned long long)x.exch_ts_ns);
				diffs++;
			}
		}
	}
	return diffs;
}

/* Child: DPDK with `eal` into segment `name`; feed process args optional. */
static int dpdk_child(const char *name, const char *eal, uint16_t dst_port, const char *retrans,
                      const char *const feed_argv[], uint64_t first_seq)
{
	struct tg_rx_dpdk_config dc = {
	    .eal_args = eal,
	    .dst_port = dst_port,
	    .retransmit = retrans,
	    .idle_end_ns = feed_argv ? 0 : 300000000ull,
	};
	struct tg_rx *rx;
	int rc = tg_rx_dpdk_open(&dc, &rx);
	if (rc < 0) {
		fprintf(stderr, "DPDK: %s\n", tg_rx_dpdk_last_error());
		return CHILD_SKIP;
	}
	struct tg_gateway_config gc = base_cfg;
	gc.segment = name;
	gc.seq.first_seq = first_seq;
	struct tg_gateway *gw;
	rc = tg_gateway_create(&gc, &gw);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot create the gateway: %s\n", name, tg_strerror(rc));
		return CHILD_DIFF;
	}
	pid_t feed = 0;
	if (feed_argv) {
		feed = run_cmd(feed_argv);
		if (feed < 0) {
			fprintf(stderr, "%s: cannot start feedsim: %s\n", name, strerror(-feed));
			return CHILD_DIFF;
		}
	}
	alarm(120);
	rc = tg_gateway_run(gw, rx, &stop_flag);
	alarm(0);
	if (feed > 0) {
		kill(feed, SIGTERM);
		waitpid(feed, NULL, 0);
	}
	uint64_t ticks = 0;
	int diffs = compare_with_ref(tg_gateway_segment(gw), &ticks);
	struct tg_rx_dpdk_stats ds;
	tg_rx_dpdk_stats(rx, &ds);
	printf("%s: rc %d, %llu ticks compared, %d differences; frames %llu filtered %llu "
	       "not_udp %llu; gaps %llu recovered msgs %llu unrecovered %llu\n",
	       name, rc, (unsigned long long)ticks, diffs, (unsigned long long)ds.frames,
	       (unsigned long long)ds.filtered, (unsigned long long)ds.not_udp,
	       (unsigned long long)tg_gateway_counter(gw, TG_GW_GAPS),
	       (unsigned long long)tg_gateway_counter(gw, TG_GW_RECOVERED_MSGS),
	       (unsigned long long)tg_gateway_counter(gw, TG_GW_UNRECOVERED));
	fflush(stdout);
	bool ok =
	    rc == 0 && diffs == 0 && ticks > 0 && tg_gateway_counter(gw, TG_GW_UNRECOVERED) == 0;
	if (feed_argv && tg_gateway_counter(gw, TG_GW_GAPS) == 0) {
		fprintf(stderr, "no gap seen although feedsim dropped packets\n");
		ok = false;
	}
	tg_gateway_destroy(gw, true);
	tg_rx_close(rx);
	return ok ? CHILD_OK : CHILD_DIFF;
}

static int wait_child(pid_t pid)
{
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void t_reference(void)
{
	const char *dir = getenv("TG_BIN");
	snprintf(bin, sizeof(bin), "%s/tickguard", dir && *dir ? dir : "build/release/bin");
	if (access(bin, X_OK) != 0)
		TG_SKIP("%s not built", bin);
	char lob[400];
	snprintf(lob, sizeof(lob), "%s/lobster", tg_test_data_dir());
	if (access(lob, R_OK) != 0)
		TG_SKIP("no %s", lob);
	snprintf(pcap_path, sizeof(pcap_path), "%s/lobster.pcap", tg_shm_test_dir);
	const char *argv[] = {bin, "feedsim", lob, "--pcap", pcap_path, NULL};
	pid_t pid = run_cmd(argv);
	TG_CHECK(pid > 0);
	if (pid <= 0 || wait_child(pid) != 0)
		TG_SKIP("feedsim could not write the pcap");
	struct tg_gateway_config gc = base_cfg;
	gc.segment = "ref";
	gc.seq.first_seq = 1;
	TG_CHECK_EQ_I64(tg_gateway_create(&gc, &ref_gw), 0);
	struct tg_rx *rx;
	TG_CHECK_EQ_I64(tg_rx_file_open(pcap_path, &rx), 0);
	if (!ref_gw || !rx)
		return;
	TG_CHECK_EQ_I64(tg_gateway_run(ref_gw, rx, &stop_flag), 0);
	tg_rx_close(rx);
	/* every LOBSTER execution (types 4 and 5) of the three symbols */
	TG_CHECK_EQ_U64(tg_gateway_counter(ref_gw, TG_GW_TICKS), 58087);
}

static void t_pcap_vdev(void)
{
	if (!ref_gw)
		TG_SKIP("no reference rings");
	char eal[700];
	snprintf(eal, sizeof(eal),
	         "--no-huge --no-pci --no-shconf -m 128 -l 0 --log-level=error "
	         "--file-prefix=tgr%d --vdev=net_pcap0,rx_pcap=%s",
	         (int)getpid(), pcap_path);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(dpdk_child("dpdk", eal, 0, NULL, NULL, 1));
	int code = wait_child(pid);
	if (code == CHILD_SKIP)
		TG_SKIP("DPDK unavailable here");
	TG_CHECK_EQ_I64(code, CHILD_OK);
}

static void t_live_loopback(void)
{
	if (!ref_gw)
		TG_SKIP("no reference rings");
	int port = tg_test_free_udp_port(), rport = tg_test_free_udp_port();
	char dest[64], retrans[64], lob[400], eal[300];
	snprintf(dest, sizeof(dest), "127.0.0.1:%d", port);
	snprintf(retrans, sizeof(retrans), "127.0.0.1:%d", rport);
	snprintf(lob, sizeof(lob), "%s/lobster", tg_test_data_dir());
	snprintf(eal, sizeof(eal),
	         "--no-huge --no-pci --no-shconf -m 128 -l 0 --log-level=error "
	         "--file-prefix=tgl%d --vdev=net_pcap0,iface=lo",
	         (int)getpid());
	/* paced so that libpcap's capture buffer keeps up; what it still loses
	 * is recovered like the deliberate drops */
	const char *feed[] = {bin,     "feedsim",    lob,      "--dest", dest,   "--retrans",
	                      retrans, "--rate",     "400000", "--drop", "0.01", "--drop-seed",
	                      "3",     "--linger-s", "30",     NULL};
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(dpdk_child("dpdk-lo", eal, (uint16_t)port, retrans, feed, 1));
	int code = wait_child(pid);
	if (code == CHILD_SKIP)
		TG_SKIP("DPDK net_pcap on lo unavailable here");
	TG_CHECK_EQ_I64(code, CHILD_OK);
}

static void on_alarm(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, true);
}

int main(void)
{
	tg_shm_test_setup();
	signal(SIGALRM, on_alarm);
	tg_test_case("reference-rx-file", t_reference);
	tg_test_case("dpdk-pcap-vdev-equals-reference", t_pcap_vdev);
	tg_test_case("dpdk-live-loopback-equals-reference", t_live_loopback);
	if (ref_gw)
		tg_gateway_destroy(ref_gw, true);
	return tg_test_done();
}
