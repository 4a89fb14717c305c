/* bench_wire.c - wire/ codec throughput on one core over real messages
 * held in memory: the 12,012 messages of ../shared/data/itch/
 * ex20101224.TEST_ITCH_50, (1) decoded from the BinaryFILE, (2) framed
 * into MoldUDP64 packets of <= 1472 bytes and walked + decoded per packet
 * (the gateway's path without sockets), (3) encoded. Prints a table and
 * writes $TG_BENCH_DIR/bench_wire.json. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tg_common.h"
#include "wire/binfile.h"
#include "wire/itch.h"
#include "wire/moldudp64.h"

struct row {
	const char *name;
	double msgs_per_s;
	double ns_per_msg;
	uint64_t msgs;
};

static uint64_t sink;

static void report(struct row *r, const char *name, uint64_t msgs, uint64_t ns)
{
	r->name = name;
	r->msgs = msgs;
	r->msgs_per_s = (double)msgs * 1e9 / (double)ns;
	r->ns_per_msg = (double)ns / (double)msgs;
}

int main(void)
{
	const char *dd = getenv("TG_DATA_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/itch/ex20101224.TEST_ITCH_50",
	         dd && *dd ? dd : "../shared/data");
	struct tg_binfile f;
	int rc = tg_binfile_open(&f, path);
	if (rc < 0) {
		fprintf(stderr, "bench_wire: %s: %s\n", path, tg_wire_strerror(rc));
		return 1;
	}
	/* messages + packets in memory */
	size_t nmsg = 0, cap = 16384;
	const uint8_t **msgs = malloc(cap * sizeof(*msgs));
	size_t *lens = malloc(cap * sizeof(*lens));
	const uint8_t *m;
	size_t n;
	while (tg_binfile_next(&f, &m, &n) > 0 && nmsg < cap) {
		msgs[nmsg] = m;
		lens[nmsg++] = n;
	}
	size_t pkt_cap = 2048;
	uint8_t *pkts = malloc(pkt_cap * TG_MOLD_MTU_PAYLOAD);
	size_t *plen = malloc(pkt_cap * sizeof(*plen)), npkt = 0;
	char sess[TG_MOLD_SESSION_LEN];
	tg_mold_session_set(sess, "BENCH");
	struct tg_mold_builder b;
	tg_mold_builder_init(&b, pkts, TG_MOLD_MTU_PAYLOAD, TG_MOLD_MTU_PAYLOAD, sess, 1);
	for (size_t i = 0; i < nmsg; i++) {
		if (tg_mold_builder_append(&b, msgs[i], lens[i]) == TG_WIRE_ESPACE) {
			plen[npkt++] = tg_mold_builder_finish(&b);
			tg_mold_builder_init(&b, pkts + npkt * TG_MOLD_MTU_PAYLOAD,
			                     TG_MOLD_MTU_PAYLOAD, TG_MOLD_MTU_PAYLOAD, sess,
			                     b.seq + b.count);
			tg_mold_builder_append(&b, msgs[i], lens[i]);
		}
	}
	plen[npkt++] = tg_mold_builder_finish(&b);

	const uint64_t reps = 400;
	struct row rows[3];
	struct tg_itch_msg im;
	uint64_t t0 = tg_monotonic_ns();
	for (uint64_t r = 0; r < reps; r++) {
		struct tg_binfile bf;
		tg_binfile_init_mem(&bf, f.base, (size_t)(f.end - f.base));
		while (tg_binfile_next(&bf, &m, &n) > 0) {
			if (tg_itch_decode(m, n, &im) > 0)
				sink += im.ts_ns;
		}
	}
	report(&rows[0], "binfile+decode", reps * nmsg, tg_monotonic_ns() - t0);

	t0 = tg_monotonic_ns();
	for (uint64_t r = 0; r < reps; r++) {
		for (size_t p = 0; p < npkt; p++) {
			struct tg_mold_walk w;
			struct tg_mold_header h;
			uint16_t ml;
			uint64_t seq;
			tg_mold_walk_init(&w, pkts + p * TG_MOLD_MTU_PAYLOAD, plen[p], &h);
			while (tg_mold_walk_next(&w, &m, &ml, &seq) > 0)
				if (tg_itch_decode(m, ml, &im) > 0)
					sink += im.ts_ns ^ seq;
		}
	}
	report(&rows[1], "mold_walk+decode", reps * nmsg, tg_monotonic_ns() - t0);

	/* decode once, then time encoding */
	struct tg_itch_msg *dec = malloc(nmsg * sizeof(*dec));
	for (size_t i = 0; i < nmsg; i++)
		tg_itch_decode(msgs[i], lens[i], &dec[i]);
	uint8_t out[TG_ITCH_MAX_BYTES];
	t0 = tg_monotonic_ns();
	for (uint64_t r = 0; r < reps; r++)
		for (size_t i = 0; i < nmsg; i++) {
			dec[i].tracking = (uint16_t)r;
			sink += (uint64_t)tg_itch_encode(&dec[i], out, sizeof(out)) + out[5];
		}
	report(&rows[2], "encode", reps * nmsg, tg_monotonic_ns() - t0);

	printf("wire codecs, %zu ITCH messages (TEST_ITCH_50) x %" PRIu64
	       ", %zu MoldUDP64 packets, "
	       "1 core\n",
	       nmsg, reps, npkt);
	printf("%-18s %14s %10s\n", "path", "msgs/s", "ns/msg");
	for (int i = 0; i < 3; i++)
		printf("%-18s %14.0f %10.2f\n", rows[i].name, rows[i].msgs_per_s,
		       rows[i].ns_per_msg);
	const char *dir = getenv("TG_BENCH_DIR");
	if (dir && *dir) {
		char jp[4096];
		snprintf(jp, sizeof(jp), "%s/bench_wire.json", dir);
		FILE *jf = fopen(jp, "w");
		if (!jf) {
			fprintf(stderr, "bench_wire: cannot write %s\n", jp);
			return 1;
		}
		fprintf(
		    jf,
		    "{\"bench\": \"bench_wire\", \"messages\": %zu, \"packets\": %zu, \"rows\": [",
		    nmsg, npkt);
		for (int i = 0; i < 3; i++)
			fprintf(
			    jf,
			    "%s\n {\"path\": \"%s\", \"msgs_per_s\": %.0f, \"ns_per_msg\": %.3f}",
			    i ? "," : "", rows[i].name, rows[i].msgs_per_s, rows[i].ns_per_msg);
		fprintf(jf, "\n]}\n");
		fclose(jf);
	}
	free(dec);
	free(pkts);
	free(plen);
	free(msgs);
	free(lens);
	tg_binfile_close(&f);
	return sink == 42; /* keeps the work observable */
}
