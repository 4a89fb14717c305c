/* test_gateway_dpdk.c - the DPDK receive backend without a NIC or
 * hugepages: EAL with --no-huge --no-pci and a net_pcap virtual device
 * replaying each real MoldUDP64 capture must hand the gateway exactly the
 * UDP payloads that wire/'s pcap reader finds in the same file, in order,
 * byte for byte. EAL initialises once per process, so each capture is
 * replayed in a forked child. Skips where DPDK is not built in or EAL
 * cannot start here. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/rx_dpdk.h"
#include "tests/tg_test.h"
#include "wire/pcap.h"

enum { CHILD_OK = 0, CHILD_MISMATCH = 1, CHILD_SKIP = 77 };

/* In the child: replay `path` through DPDK and compare with the reader. */
static int replay_one(const char *path)
{
	struct tg_pcap_reader r;
	if (tg_pcap_open(&r, path) < 0)
		return CHILD_MISMATCH;
	char args[2048];
	snprintf(args, sizeof(args),
	         "--no-huge --no-pci --no-shconf -m 64 -l 0 --log-level=error "
	         "--file-prefix=tgtest%d --vdev=net_pcap0,rx_pcap=%s",
	         (int)getpid(), path);
	struct tg_rx_dpdk_config cfg = {.eal_args = args, .idle_end_ns = 100000000ull};
	struct tg_rx *rx;
	int rc = tg_rx_dpdk_open(&cfg, &rx);
	if (rc == -ENOTSUP)
		return CHILD_SKIP;
	if (rc < 0) {
		fprintf(stderr, "dpdk open: %s\n", tg_rx_dpdk_last_error());
		return CHILD_SKIP;
	}
	int bad = 0;
	uint64_t got = 0, want = 0;
	struct tg_udp_datagram d;
	for (;;) {
		struct tg_rx_pkt pk[32];
		int n = tg_rx_recv_burst(rx, pk, 32, 1000000000ull);
		if (n == -ENODATA || n == 0)
			break;
		if (n < 0) {
			bad++;
			break;
		}
		for (int i = 0; i < n; i++) {
			got++;
			if (tg_pcap_next(&r, &d) != 1) {
				fprintf(stderr, "%s: DPDK gave an extra datagram\n", path);
				bad++;
				continue;
			}
			want++;
			if (d.len != pk[i].len || memcmp(d.payload, pk[i].data, d.len) != 0) {
				fprintf(stderr, "%s: datagram %llu differs (len %zu vs %u)\n", path,
				        (unsigned long long)got, d.len, pk[i].len);
				bad++;
			}
		}
		tg_rx_release_burst(rx, pk, (unsigned)n);
	}
	while (tg_pcap_next(&r, &d) == 1) {
		want++;
		fprintf(stderr, "%s: DPDK missed datagram %llu\n", path, (unsigned long long)want);
		bad++;
	}
	struct tg_rx_dpdk_stats ds;
	tg_rx_dpdk_stats(rx, &ds);
	printf("%s: %llu datagrams, frames %llu, not_udp %llu, frags %llu\n", path,
	       (unsigned long long)got, (unsigned long long)ds.frames,
	       (unsigned long long)ds.not_udp, (unsigned long long)ds.fragments);
	fflush(stdout);
	tg_rx_close(rx);
	tg_pcap_close(&r);
	return bad || got == 0 ? CHILD_MISMATCH : CHILD_OK;
}

static void t_real_captures(void)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/itch/moldudp64-pcap", tg_test_data_dir());
	DIR *dh = opendir(dir);
	if (!dh)
		TG_SKIP("no %s", dir);
	int files = 0, skipped = 0;
	struct dirent *e;
	while ((e = readdir(dh))) {
		if (!strstr(e->d_name, ".pcap"))
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0)
			_exit(replay_one(path));
		int st = 0;
		waitpid(pid, &st, 0);
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (code == CHILD_SKIP) {
			skipped++;
			continue;
		}
		files++;
		if (code != CHILD_OK)
			TG_FAIL("%s: DPDK replay differs from the pcap reader (child %d)",
			        e->d_name, code);
	}
	closedir(dh);
	if (files == 0)
		TG_SKIP("DPDK unavailable here (%d captures skipped)", skipped);
	TG_CHECK_EQ_U64(files, 23);
}

int main(void)
{
	tg_test_case("dpdk-pcap-vdev-matches-reader", t_real_captures);
	return tg_test_done();
}
