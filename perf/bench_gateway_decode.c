/* bench_gateway_decode.c - ITCH decode + order map + tick rings, messages
 * per second on one core, over the LOBSTER-derived stream held in memory
 * (feedsim writes the day to a pcap once; its MoldUDP64 message blocks are
 * copied into one buffer). Rows: decode alone (wire/), and the gateway's
 * whole per-message path (decode, directory, order map, trade -> tick +
 * arrival record, counters). Time is the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), so a pass preempted on a shared machine is not
 * charged for the time it did not run; cache pollution by neighbours still
 * is. Prints a table and writes $TG_BENCH_DIR/bench_gateway_decode.json.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "gateway/gateway.h"
#include "wire/itch.h"
#include "wire/moldudp64.h"
#include "wire/pcap.h"

struct stream {
	uint8_t *buf; /* records: len(1) + message */
	size_t bytes;
	uint64_t msgs;
	uint8_t *pkts; /* MoldUDP64 packets: len(2, host order) + packet */
	size_t pkt_bytes;
	uint64_t npkts;
};

static int load(const char *pcap, struct stream *s)
{
	struct tg_pcap_reader r;
	int rc = tg_pcap_open(&r, pcap);
	if (rc < 0)
		return rc;
	size_t cap = 64u << 20;
	s->buf = malloc(cap);
	s->bytes = 0;
	s->msgs = 0;
	s->pkts = malloc(cap);
	s->pkt_bytes = 0;
	s->npkts = 0;
	if (!s->buf || !s->pkts)
		return -ENOMEM;
	struct tg_udp_datagram d;
	while (tg_pcap_next(&r, &d) == 1) {
		struct tg_mold_walk w;
		struct tg_mold_header h;
		if (tg_mold_walk_init(&w, d.payload, d.len, &h) < 0)
			continue;
		if (d.len <= 65535 && s->pkt_bytes + 2 + d.len <= cap) {
			uint16_t l16 = (uint16_t)d.len;
			memcpy(s->pkts + s->pkt_bytes, &l16, 2);
			memcpy(s->pkts + s->pkt_bytes + 2, d.payload, d.len);
			s->pkt_bytes += 2 + d.len;
			s->npkts++;
		}
		const uint8_t *m;
		uint16_t ml;
		uint64_t sq;
		while (tg_mold_walk_next(&w, &m, &ml, &sq) > 0) {
			if (ml == 0 || ml > 255 || s->bytes + 1 + ml > cap)
				continue;
			s->buf[s->bytes++] = (uint8_t)ml;
			memcpy(s->buf + s->bytes, m, ml);
			s->bytes += ml;
			s->msgs++;
		}
	}
	tg_pcap_close(&r);
	return 0;
}

static int make_pcap(const char *path)
{
	char lob[512];
	const char *data = getenv("TG_DATA_DIR");
	snprintf(lob, sizeof(lob), "%s/lobster", data && *data ? data : "../shared/data");
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execl("build/release/bin/tickguard", "tickguard", "feedsim", lob, "--pcap", path,
		      (char *)NULL);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return 0;
}

static double decode_only(const struct stream *s, uint64_t *sink)
{
	uint64_t t0 = tg_clock_ns(CLOCK_THREAD_CPUTIME_ID), acc = 0;
	for (size_t off = 0; off < s->bytes;) {
		size_t len = s->buf[off];
		struct tg_itch_msg m;
		if (tg_itch_decode(s->buf + off + 1, len, &m) > 0)
			acc += m.type + m.ts_ns;
		off += 1 + len;
	}
	*sink += acc;
	return (double)(tg_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0);
}

static struct tg_gateway *bench_gateway(void)
{
	struct tg_gateway_config gc = {.segment = "bench.gwdecode",
	                               .instruments = 8,
	                               .ring_slots = 1u << 16,
	                               .arrival_slots = 1u << 17,
	                               .orders = 1u << 20};
	struct tg_gateway *gw;
	return tg_gateway_create(&gc, &gw) < 0 ? NULL : gw;
}

/* Whole packets: framing check (+ prefetch), session tracking, decode,
 * book, rings - what the receive loop runs per datagram. */
static double packet_path(const struct stream *s, uint64_t *ticks)
{
	struct tg_gateway *gw = bench_gateway();
	if (!gw)
		return -1;
	struct tg_rx_pkt p = {.kind = TG_RX_MOLD, .recv_ts_ns = tg_realtime_ns()};
	uint64_t t0 = tg_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (size_t off = 0; off < s->pkt_bytes;) {
		uint16_t len;
		memcpy(&len, s->pkts + off, 2);
		p.data = s->pkts + off + 2;
		p.len = len;
		tg_gateway_packet(gw, &p);
		off += 2 + (size_t)len;
	}
	double ns = (double)(tg_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0);
	*ticks = tg_gateway_counter(gw, TG_GW_TICKS);
	tg_gateway_destroy(gw, true);
	return ns;
}

static double gateway_path(const struct stream *s, uint64_t *ticks)
{
	struct tg_gateway *gw = bench_gateway();
	if (!gw)
		return -1;
	uint64_t recv_ts = tg_realtime_ns();
	uint64_t t0 = tg_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (size_t off = 0; off < s->bytes;) {
		size_t len = s->buf[off];
		tg_gateway_itch(gw, s->buf + off + 1, (uint32_t)len, recv_ts);
		off += 1 + len;
	}
	double ns = (double)(tg_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0);
	*ticks = tg_gateway_counter(gw, TG_GW_TICKS);
	tg_gateway_destroy(gw, true);
	return ns;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	char dir[] = "/dev/shm/tg-bench-gw-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("TG_SHM_DIR", dir, 1);
	char pcap[600];
	snprintf(pcap, sizeof(pcap), "%s/lobster.pcap", dir);
	struct stream s;
	if (make_pcap(pcap) < 0 || load(pcap, &s) < 0 || s.msgs == 0) {
		fprintf(stderr, "bench_gateway_decode: could not build the LOBSTER stream "
		                "(needs build/release/bin/tickguard and ../shared/data/lobster)\n");
		unlink(pcap);
		rmdir(dir);
		return 1;
	}
	unlink(pcap);
	enum { PASSES = 15 };
	double dec[PASSES], full[PASSES], pk[PASSES];
	uint64_t sink = 0, ticks = 0, pticks = 0;
	for (int p = 0; p < PASSES; p++) {
		dec[p] = decode_only(&s, &sink);
		full[p] = gateway_path(&s, &ticks);
		pk[p] = packet_path(&s, &pticks);
	}
	if (pticks != ticks)
		fprintf(stderr,
		        "bench_gateway_decode: packet path made %llu ticks, message path %llu\n",
		        (unsigned long long)pticks, (unsigned long long)ticks);
	qsort(dec, PASSES, sizeof(double), cmp_d);
	qsort(full, PASSES, sizeof(double), cmp_d);
	qsort(pk, PASSES, sizeof(double), cmp_d);
	struct {
		const char *name;
		double best, median;
	} rows[] = {
	    {"itch_decode", (double)s.msgs * 1e9 / dec[0], (double)s.msgs * 1e9 / dec[PASSES / 2]},
	    {"decode+book+rings", (double)s.msgs * 1e9 / full[0],
	     (double)s.msgs * 1e9 / full[PASSES / 2]},
	    {"packets->rings", (double)s.msgs * 1e9 / pk[0], (double)s.msgs * 1e9 / pk[PASSES / 2]},
	};
	enum { NROWS = sizeof(rows) / sizeof(rows[0]) };
	printf("gateway decode path, LOBSTER 2012-06-21 AAPL+AMZN+GOOG as ITCH: %llu messages, "
	       "%llu ticks, %d passes, one core (thread CPU time)\n",
	       (unsigned long long)s.msgs, (unsigned long long)ticks, PASSES);
	printf("%-20s %14s %14s %10s\n", "path", "best msgs/s", "median msgs/s", "ns/msg");
	for (unsigned i = 0; i < NROWS; i++)
		printf("%-20s %14.0f %14.0f %10.2f\n", rows[i].name, rows[i].best, rows[i].median,
		       1e9 / rows[i].median);
	printf("packets->rings: %llu MoldUDP64 packets through tg_gateway_packet (framing, "
	       "session tracking, order-slot prefetch, decode, book, rings)\n"
	       "target: >= 30 M msgs/s\n",
	       (unsigned long long)s.npkts);
	const char *bd = getenv("TG_BENCH_DIR");
	if (bd && *bd) {
		char jp[600];
		snprintf(jp, sizeof(jp), "%s/bench_gateway_decode.json", bd);
		FILE *jf = fopen(jp, "w");
		if (jf) {
			fprintf(
			    jf,
			    "{\"bench\": \"gateway_decode\", \"messages\": %llu, \"ticks\": %llu, "
			    "\"target_msgs_per_s\": 30000000, \"rows\": [",
			    (unsigned long long)s.msgs, (unsigned long long)ticks);
			for (unsigned i = 0; i < NROWS; i++)
				fprintf(jf,
				        "%s\n {\"path\": \"%s\", \"best_msgs_per_s\": %.0f, "
				        "\"median_msgs_per_s\": %.0f}",
				        i ? "," : "", rows[i].name, rows[i].best, rows[i].median);
			fprintf(jf, "\n]}\n");
			fclose(jf);
		}
	}
	free(s.buf);
	free(s.pkts);
	rmdir(dir);
	return sink == 42 ? 2 : 0; /* keeps the decode loop's result alive */
}
