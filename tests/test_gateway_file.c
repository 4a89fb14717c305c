/* test_gateway_file.c - the gateway's decode path without a network: the
 * order map against a reference model, the MoldUDP64 sequence tracker
 * (gaps, duplicates, reordering, retransmission timers, loss), real
 * captures and the real ITCH BinaryFILE through rx_file into tick rings
 * (checked against an independent decode of the same file), and malformed
 * packets that must be counted while the gateway keeps going.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/ordermap.h"
#include "gateway/rx.h"
#include "gateway/seqtrack.h"
#include "shm/shm.h"
#include "tests/tg_test.h"
#include "wire/binfile.h"
#include "wire/itch.h"
#include "wire/moldudp64.h"
#include "wire/pcap.h"

static char shm_dir[64];

static void shm_dir_make(void)
{
	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/tg-gwtest-XXXXXX");
	if (!mkdtemp(shm_dir))
		snprintf(shm_dir, sizeof(shm_dir), "/tmp");
	setenv("TG_SHM_DIR", shm_dir, 1);
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- order map against a plain array ------------------------------------ */

/* refs r * stride: stride 1 is ITCH's dense numbering (whole blocks of 64
 * share a run of slots), 7919 the sparse refs of a few symbols, 64 puts
 * every ref at offset 0 of its block (the worst case for the block hash) */
static void ordermap_vs_model(uint64_t stride)
{
	struct tg_ordermap m;
	TG_CHECK_EQ_I64(tg_ordermap_create(&m, 1000), 0);
	enum { NREF = 2500 };
	static uint32_t ref_shares[NREF]; /* 0 = absent */
	memset(ref_shares, 0, sizeof(ref_shares));
	uint64_t live = 0, full = 0;
	long iters = (long)(400000 * tg_test_scale()) + 1000;
	for (long i = 0; i < iters; i++) {
		uint64_t r = rng() % NREF;
		uint64_t ref = r * stride;
		struct tg_order *o = tg_ordermap_find(&m, ref);
		if ((o != NULL) != (ref_shares[r] != 0)) {
			TG_FAIL("iteration %ld ref %llu: map %d model %u", i,
			        (unsigned long long)ref, o != NULL, ref_shares[r]);
			break;
		}
		if (o) {
			TG_CHECK_EQ_U64(o->shares, ref_shares[r]);
			TG_CHECK_EQ_U64(tg_order_price_e4(o), 100 + r);
			if (rng() % 4 == 0) {
				tg_ordermap_remove(&m, o);
				ref_shares[r] = 0;
				live--;
			}
		} else {
			uint32_t sh = (uint32_t)(rng() % 1000) + 1;
			int rc = tg_ordermap_add(&m, ref, (rng() & 1) ? 'S' : 'B',
			                         100 + (uint32_t)r, sh);
			if (rc == -ENOSPC) {
				full++;
				continue;
			}
			TG_CHECK_EQ_I64(rc, 0);
			ref_shares[r] = sh;
			live++;
		}
		TG_CHECK_EQ_U64(m.count, live);
	}
	TG_CHECK(full > 0); /* the map filled up and refused, never grew */
	tg_ordermap_destroy(&m);
}

/* No pile-ups: clustered and strided refs (every ref at block offset 0,
 * refs a power of two apart, refs in dense clusters far apart) must still
 * spread over the table. Checks the longest and the mean distance of an
 * order from its home slot at load 1/2. Clusters legitimately cost up to
 * about a block (64 slots): a cluster is a run of slots, and runs that
 * land near each other queue (measured: mean 53, longest 296 for clusters
 * of 37); a plain `ref & mask` home fails the strided cases by thousands. */
static void ordermap_probe_bound(uint64_t stride, uint64_t cluster)
{
	struct tg_ordermap m;
	enum { N = 1 << 14 };
	TG_CHECK_EQ_I64(tg_ordermap_create(&m, N), 0);
	for (uint64_t i = 0; i < N; i++) {
		/* `cluster` consecutive refs, then a jump of `stride` */
		uint64_t ref = (i / cluster) * stride + i % cluster + 1;
		TG_CHECK_EQ_I64(tg_ordermap_add(&m, ref, 'B', 100, 1), 0);
	}
	uint64_t worst = 0, sum = 0;
	for (uint64_t s = 0; s <= m.mask; s++) {
		if (m.slots[s].ref == TG_ORDER_EMPTY)
			continue;
		uint64_t d = (s - tg_ordermap_home(&m, m.slots[s].ref)) & m.mask;
		sum += d;
		if (d > worst)
			worst = d;
	}
	if (worst > 1024 || sum > 96 * (uint64_t)N)
		TG_FAIL("stride %llu cluster %llu: longest probe %llu, mean %.2f",
		        (unsigned long long)stride, (unsigned long long)cluster,
		        (unsigned long long)worst, (double)sum / N);
	tg_ordermap_destroy(&m);
}

static void t_ordermap(void)
{
	ordermap_vs_model(1);
	ordermap_vs_model(64);
	ordermap_vs_model(7919);
	ordermap_probe_bound(1, 1);
	ordermap_probe_bound(64, 1);
	ordermap_probe_bound(4096, 1);
	ordermap_probe_bound(1ull << 20, 1);
	ordermap_probe_bound(1ull << 32, 1);
	ordermap_probe_bound(2649, 1);
	ordermap_probe_bound(1ull << 24, 37);
	ordermap_probe_bound(1ull << 16, 100);
}

/* ---- sequence tracker ------------------------------------------------- */

struct seq_sink {
	uint64_t next; /* next message expected by the sink */
	uint64_t delivered;
	int order_errors;
	uint64_t req_seq[64];
	uint32_t req_cnt[64];
	unsigned nreq;
	uint64_t lost_seq, lost_cnt;
};

static void sink_deliver(void *ctx, const uint8_t *block, uint32_t len, uint64_t seq,
                         uint32_t count, uint32_t skip)
{
	struct seq_sink *s = ctx;
	(void)block;
	(void)len;
	if (seq + skip != s->next)
		s->order_errors++;
	s->next = seq + count;
	s->delivered += count - skip;
}

static int sink_request(void *ctx, uint64_t seq, uint32_t count)
{
	struct seq_sink *s = ctx;
	if (s->nreq < 64) {
		s->req_seq[s->nreq] = seq;
		s->req_cnt[s->nreq] = count;
	}
	s->nreq++;
	return 0;
}

static void sink_lost(void *ctx, uint64_t seq, uint64_t count)
{
	struct seq_sink *s = ctx;
	s->lost_seq = seq;
	s->lost_cnt = count;
	s->next = seq + count;
}

static void seq_setup(struct tg_seqtrack *t, struct seq_sink *s)
{
	memset(s, 0, sizeof(*s));
	s->next = 1;
	struct tg_seqtrack_config cfg = {.first_seq = 1,
	                                 .buffer_packets = 8,
	                                 .retries = 3,
	                                 .request_delay_ns = 1000,
	                                 .timeout_ns = 100000};
	struct tg_seqtrack_ops ops = {
	    .deliver = sink_deliver, .request = sink_request, .on_lost = sink_lost, .ctx = s};
	TG_CHECK_EQ_I64(tg_seqtrack_init(t, &cfg, &ops), 0);
}

static const uint8_t dummy[16];

static void t_seq_inorder_dup(void)
{
	struct tg_seqtrack t;
	struct seq_sink s;
	seq_setup(&t, &s);
	tg_seqtrack_packet(&t, 1, 3, dummy, 1, 0);
	tg_seqtrack_packet(&t, 4, 2, dummy, 1, 0);
	tg_seqtrack_packet(&t, 1, 3, dummy, 1, 0); /* duplicate */
	tg_seqtrack_packet(&t, 5, 3, dummy, 1, 0); /* overlaps by one */
	TG_CHECK_EQ_U64(s.delivered, 7);
	TG_CHECK_EQ_U64(s.order_errors, 0);
	TG_CHECK_EQ_U64(t.st.dup_packets, 1);
	TG_CHECK_EQ_U64(t.st.dup_msgs, 4);
	TG_CHECK_EQ_U64(t.st.gaps, 0);
	tg_seqtrack_packet(&t, 8, 0xFFFF, NULL, 0, 0); /* end of session */
	TG_CHECK(tg_seqtrack_done(&t));
	tg_seqtrack_fini(&t);
}

static void t_seq_reorder(void)
{
	struct tg_seqtrack t;
	struct seq_sink s;
	seq_setup(&t, &s);
	tg_seqtrack_packet(&t, 1, 2, dummy, 1, 0);
	tg_seqtrack_packet(&t, 5, 2, dummy, 1, 10); /* 3,4 missing */
	tg_seqtrack_packet(&t, 3, 2, dummy, 1, 20); /* arrives late, before any request */
	TG_CHECK_EQ_U64(s.delivered, 6);
	TG_CHECK_EQ_U64(s.order_errors, 0);
	TG_CHECK_EQ_U64(t.st.gaps, 1);
	TG_CHECK_EQ_U64(t.st.reordered_pkts, 1);
	TG_CHECK_EQ_U64(t.st.reordered_msgs, 2);
	TG_CHECK_EQ_U64(tg_seqtrack_poll(&t, 1000000), UINT64_MAX);
	TG_CHECK_EQ_U64(s.nreq, 0);
	tg_seqtrack_fini(&t);
}

static void t_seq_recover(void)
{
	struct tg_seqtrack t;
	struct seq_sink s;
	seq_setup(&t, &s);
	tg_seqtrack_packet(&t, 1, 2, dummy, 1, 0);
	tg_seqtrack_packet(&t, 6, 2, dummy, 1, 0);  /* 3..5 missing */
	tg_seqtrack_packet(&t, 10, 1, dummy, 1, 0); /* 8..9 missing */
	TG_CHECK_EQ_U64(t.nholes, 2);
	tg_seqtrack_poll(&t, 500); /* before the reorder window: no request */
	TG_CHECK_EQ_U64(s.nreq, 0);
	tg_seqtrack_poll(&t, 2000);
	TG_CHECK_EQ_U64(s.nreq, 2);
	TG_CHECK_EQ_U64(s.req_seq[0], 3);
	TG_CHECK_EQ_U64(s.req_cnt[0], 3);
	TG_CHECK_EQ_U64(s.req_seq[1], 8);
	TG_CHECK_EQ_U64(s.req_cnt[1], 2);
	/* the retransmission repacks: one packet 3..9 covering both holes */
	tg_seqtrack_packet(&t, 3, 7, dummy, 1, 3000);
	TG_CHECK_EQ_U64(s.delivered, 10);
	TG_CHECK_EQ_U64(s.next, 11);
	TG_CHECK_EQ_U64(s.order_errors, 0);
	TG_CHECK_EQ_U64(t.st.gaps_recovered, 2);
	TG_CHECK_EQ_U64(t.st.recovered_msgs, 5);
	TG_CHECK_EQ_U64(t.st.dup_msgs, 2); /* 6,7 were buffered already */
	TG_CHECK_EQ_U64(t.nholes, 0);
	TG_CHECK_EQ_U64(t.st.gap_msgs, t.st.recovered_msgs + t.st.reordered_msgs + t.st.lost_msgs);
	tg_seqtrack_fini(&t);
}

static void t_seq_lost(void)
{
	struct tg_seqtrack t;
	struct seq_sink s;
	seq_setup(&t, &s);
	tg_seqtrack_packet(&t, 1, 1, dummy, 1, 0);
	tg_seqtrack_packet(&t, 4, 0, NULL, 0, 0);      /* heartbeat: 2,3 exist */
	tg_seqtrack_packet(&t, 5, 0xFFFF, NULL, 0, 0); /* end: 4 too */
	TG_CHECK(!tg_seqtrack_done(&t));
	uint64_t now = 0;
	for (int i = 0; i < 10 && !tg_seqtrack_done(&t); i++) {
		now += 200000;
		tg_seqtrack_poll(&t, now);
	}
	TG_CHECK(tg_seqtrack_done(&t));
	TG_CHECK_EQ_U64(s.nreq, 3); /* retries */
	TG_CHECK_EQ_U64(s.lost_seq, 2);
	TG_CHECK_EQ_U64(s.lost_cnt, 3);
	TG_CHECK_EQ_U64(t.st.gaps_unrecovered, 1);
	TG_CHECK_EQ_U64(t.st.lost_msgs, 3);
	tg_seqtrack_fini(&t);
}

/* A 5000-message outage and a server that answers 10 messages per
 * request: the tracker must ask again as soon as each answer is in, not
 * one timeout later, and never give up while answers keep coming. */
static void t_seq_big_gap(void)
{
	struct tg_seqtrack t;
	struct seq_sink s;
	memset(&s, 0, sizeof(s));
	s.next = 1;
	struct tg_seqtrack_config cfg = {
	    .first_seq = 1, .retries = 3, .request_delay_ns = 200000, .timeout_ns = 20000000};
	struct tg_seqtrack_ops ops = {
	    .deliver = sink_deliver, .request = sink_request, .on_lost = sink_lost, .ctx = &s};
	TG_CHECK_EQ_I64(tg_seqtrack_init(&t, &cfg, &ops), 0);
	tg_seqtrack_packet(&t, 1, 1, dummy, 1, 0);
	tg_seqtrack_packet(&t, 5002, 0xFFFF, NULL, 0, 0); /* end: 2..5001 missing */
	uint64_t now = 0;
	while (!tg_seqtrack_done(&t) && now < 60000000000ull) {
		now += 100000;
		s.nreq = 0;
		tg_seqtrack_poll(&t, now);
		for (unsigned q = 0; q < s.nreq && q < 64; q++)
			for (uint32_t m = 0; m < 10 && m < s.req_cnt[q]; m++)
				tg_seqtrack_packet(&t, s.req_seq[q] + m, 1, dummy, 1, now);
	}
	TG_CHECK(tg_seqtrack_done(&t));
	TG_CHECK_EQ_U64(s.delivered, 5001);
	TG_CHECK_EQ_U64(t.st.lost_msgs, 0);
	TG_CHECK_EQ_U64(t.st.requests, 500);
	TG_CHECK(now < 1000000000ull); /* 500 timeouts would be 10 s */
	tg_seqtrack_fini(&t);
}

static void t_seq_random(void)
{
	/* A shuffled, duplicated, lossy stream with a perfect retransmitter:
	 * every message must come out once, in order. */
	struct tg_seqtrack t;
	struct seq_sink s;
	memset(&s, 0, sizeof(s));
	s.next = 1;
	struct tg_seqtrack_config cfg = {.first_seq = 1, .buffer_packets = 64, .retries = 50};
	struct tg_seqtrack_ops ops = {
	    .deliver = sink_deliver, .request = sink_request, .on_lost = sink_lost, .ctx = &s};
	TG_CHECK_EQ_I64(tg_seqtrack_init(&t, &cfg, &ops), 0);
	uint64_t npk = (uint64_t)(20000 * tg_test_scale()) + 200, seq = 1, now = 0;
	uint64_t pend_seq[16];
	uint32_t pend_cnt[16];
	unsigned npend = 0;
	for (uint64_t i = 0; i < npk; i++) {
		uint32_t cnt = (uint32_t)(rng() % 5) + 1;
		uint64_t r = rng() % 100;
		if (r < 3) {
			/* lost */
		} else if (r < 10 && npend < 16) {
			pend_seq[npend] = seq; /* delayed */
			pend_cnt[npend++] = cnt;
		} else {
			tg_seqtrack_packet(&t, seq, cnt, dummy, 1, now);
			if (r < 13)
				tg_seqtrack_packet(&t, seq, cnt, dummy, 1, now);
		}
		if (npend && rng() % 4 == 0) {
			unsigned k = (unsigned)(rng() % npend);
			tg_seqtrack_packet(&t, pend_seq[k], pend_cnt[k], dummy, 1, now);
			pend_seq[k] = pend_seq[--npend];
			pend_cnt[k] = pend_cnt[npend];
		}
		seq += cnt;
		now += 50000;
		s.nreq = 0;
		tg_seqtrack_poll(&t, now);
		for (unsigned q = 0; q < s.nreq && q < 64; q++) /* answer in 1-message packets */
			for (uint32_t m = 0; m < s.req_cnt[q]; m++)
				tg_seqtrack_packet(&t, s.req_seq[q] + m, 1, dummy, 1, now);
	}
	while (npend) {
		npend--;
		tg_seqtrack_packet(&t, pend_seq[npend], pend_cnt[npend], dummy, 1, now);
	}
	tg_seqtrack_packet(&t, seq, 0xFFFF, NULL, 0, now);
	for (int i = 0; i < 100 && !tg_seqtrack_done(&t); i++) {
		now += 50000000;
		s.nreq = 0;
		tg_seqtrack_poll(&t, now);
		for (unsigned q = 0; q < s.nreq && q < 64; q++)
			tg_seqtrack_packet(&t, s.req_seq[q], s.req_cnt[q], dummy, 1, now);
	}
	TG_CHECK(tg_seqtrack_done(&t));
	TG_CHECK_EQ_U64(s.delivered, seq - 1);
	TG_CHECK_EQ_U64(s.order_errors, 0);
	TG_CHECK_EQ_U64(t.st.lost_msgs, 0);
	TG_CHECK(t.st.gaps > 0);
	TG_CHECK(t.st.dup_packets > 0);
	TG_CHECK(t.st.reordered_pkts > 0);
	TG_CHECK_EQ_U64(t.st.gap_msgs, t.st.recovered_msgs + t.st.reordered_msgs);
	tg_seqtrack_fini(&t);
}

/* ---- real files through rx_file ----------------------------------------- */

static struct tg_gateway *gw_new(const char *name, uint32_t slots)
{
	struct tg_gateway_config cfg = {.segment = name,
	                                .instruments = 64,
	                                .ring_slots = slots,
	                                .arrival_slots = 1u << 15,
	                                .orders = 1u << 16,
	                                .match_slots = 1u << 14};
	struct tg_gateway *gw = NULL;
	int rc = tg_gateway_create(&cfg, &gw);
	if (rc < 0)
		TG_SKIP("cannot create a segment in %s: %s", shm_dir, strerror(-rc));
	return gw;
}

static int replay(struct tg_gateway *gw, const char *path)
{
	struct tg_rx *rx;
	int rc = tg_rx_file_open(path, &rx);
	if (rc < 0)
		return rc;
	atomic_bool stop = false;
	rc = tg_gateway_run(gw, rx, &stop);
	tg_rx_close(rx);
	return rc;
}

static void t_binfile(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/itch/ex20101224.TEST_ITCH_50", tg_test_data_dir());
	if (access(path, R_OK))
		TG_SKIP("%s missing", path);
	struct tg_gateway *gw = gw_new("gwtest.bin", 1u << 14);
	TG_CHECK_EQ_I64(replay(gw, path), 0);
	/* independent decode of the same file: what the rings must hold */
	struct tg_binfile f;
	TG_CHECK_EQ_I64(tg_binfile_open(&f, path), 0);
	const uint8_t *msg;
	size_t len;
	uint64_t n = 0, n_p = 0, n_e = 0, checked = 0;
	uint64_t next_seq[64] = {0};
	struct tg_segment *seg = tg_gateway_segment(gw);
	while (tg_binfile_next(&f, &msg, &len) == 1) {
		struct tg_itch_msg m;
		if (tg_itch_decode(msg, len, &m) < 0)
			continue;
		n++;
		n_e += m.type == 'E';
		if (m.type != 'P')
			continue;
		n_p++;
		char sym[9];
		tg_itch_stock_str(m.u.trade.stock, sym);
		int id = tg_segment_lookup(seg, sym);
		if (id < 0 || id >= 64) {
			TG_FAIL("symbol %s not in the directory", sym);
			break;
		}
		/* P ticks interleave with E ticks: find the next P tick */
		const struct tg_ring *r = tg_segment_tick_ring(seg, (uint32_t)id);
		struct tg_tick t;
		do
			TG_CHECK_EQ_I64(tg_tick_read(r, next_seq[id]++, &t), 0);
		while (!(t.flags & TG_TICK_HIDDEN) && next_seq[id] < tg_ring_head(r));
		TG_CHECK_EQ_U64(t.price_e4, m.u.trade.price_e4);
		TG_CHECK_EQ_U64(t.shares, m.u.trade.shares);
		TG_CHECK_EQ_U64(t.exch_ts_ns, m.ts_ns);
		TG_CHECK_EQ_U64(t.match_no, m.u.trade.match_no);
		TG_CHECK_EQ_U64(t.instrument, (uint64_t)id);
		checked++;
	}
	tg_binfile_close(&f);
	TG_CHECK_EQ_U64(n, 12012);
	TG_CHECK_EQ_U64(n_p, 5000);
	TG_CHECK_EQ_U64(checked, 5000);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_MESSAGES), 12012);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_MALFORMED_MSGS), 0);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_FILE_LEN_FIXED), 12012);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_MSG_P), 5000);
	/* every trade is a tick, or an 'E' the book could not price (counted) */
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_TICKS) +
	                    tg_gateway_counter(gw, TG_GW_UNPRICED_EXEC),
	                n_p + n_e);
	TG_CHECK_EQ_U64(tg_ring_head(tg_segment_arrival_ring(seg)),
	                tg_gateway_counter(gw, TG_GW_TICKS));
	tg_gateway_destroy(gw, true);
}

/* Each capture holds the message type its name says; trade captures
 * become ticks equal to the decoded messages. */
static void t_pcaps(void)
{
	static const struct {
		const char *file;
		char type;
	} caps[] = {
	    {"AddOrderNoMPID.pcap", 'A'},
	    {"AddOrderWithMPID.pcap", 'F'},
	    {"CrossTrade.pcap", 'Q'},
	    {"LULDAuctionCollar.pcap", 'J'},
	    {"MarketParticipantPosition.pcap", 'L'},
	    {"NetOrderImbalanceIndicator.pcap", 'I'},
	    {"NonCrossTrade.pcap", 'P'},
	    {"OrderCancel.pcap", 'X'},
	    {"OrderDelete.pcap", 'D'},
	    {"OrderExecuted.pcap", 'E'},
	    {"OrderExecutedWithPrice.pcap", 'C'},
	    {"OrderReplace.pcap", 'U'},
	    {"RegSHORestriction.pcap", 'Y'},
	    {"StockTradingAction.pcap", 'H'},
	    {"SystemEvent.pcap", 'S'},
	    {"Multiple.Packets.pcap", 0},
	};
	unsigned done = 0;
	int failed_before = 0;
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/itch/moldudp64-pcap/%s", tg_test_data_dir(),
		         caps[i].file);
		if (access(path, R_OK))
			continue;
		struct tg_gateway *gw = gw_new("gwtest.pcap", 1024);
		TG_CHECK_EQ_I64(replay(gw, path), 0);
		/* independent walk of the capture */
		struct tg_pcap_reader pr;
		TG_CHECK_EQ_I64(tg_pcap_open(&pr, path), 0);
		struct tg_udp_datagram d;
		uint64_t msgs = 0, of_type = 0, trades = 0, arr_next = 0, checked_ticks = 0;
		static uint8_t known_loc[65536];
		memset(known_loc, 0, sizeof(known_loc));
		struct {
			uint64_t ref;
			uint32_t price, shares;
		} book[256];
		unsigned nbook = 0;
		while (tg_pcap_next(&pr, &d) == 1) {
			struct tg_mold_walk w;
			struct tg_mold_header h;
			if (tg_mold_walk_init(&w, d.payload, d.len, &h) < 0)
				continue;
			const uint8_t *msg;
			uint16_t ml;
			uint64_t sq;
			while (tg_mold_walk_next(&w, &msg, &ml, &sq) > 0) {
				struct tg_itch_msg m;
				msgs++;
				if (tg_itch_decode(msg, ml, &m) < 0)
					continue;
				of_type += m.type == caps[i].type;
				if (m.type == 'P' || (m.type == 'Q' && m.u.cross_trade.shares) ||
				    (m.type == 'C' && m.u.order_executed_price.printable == 'Y'))
					trades++;
				/* expected tick, in arrival order, from an independent decode */
				uint32_t xp = 0, xs = 0;
				uint64_t xm = 0;
				bool tick = false;
				if (m.type == 'A' || m.type == 'F' || m.type == 'R' ||
				    m.type == 'P' || m.type == 'Q')
					known_loc[m.stock_locate] = 1;
				if ((m.type == 'A' || m.type == 'F') && nbook < 256) {
					book[nbook].ref = m.u.add_order.order_ref;
					book[nbook].price = m.u.add_order.price_e4;
					book[nbook++].shares = m.u.add_order.shares;
				}
				if (m.type == 'P') {
					tick = true;
					xp = m.u.trade.price_e4;
					xs = m.u.trade.shares;
					xm = m.u.trade.match_no;
				} else if (m.type == 'Q' && m.u.cross_trade.shares) {
					tick = true;
					xp = m.u.cross_trade.price_e4;
					xs = (uint32_t)m.u.cross_trade.shares;
					xm = m.u.cross_trade.match_no;
				} else if (m.type == 'C' &&
				           m.u.order_executed_price.printable == 'Y' &&
				           known_loc[m.stock_locate]) {
					tick = true;
					xp = m.u.order_executed_price.price_e4;
					xs = m.u.order_executed_price.shares;
					xm = m.u.order_executed_price.match_no;
				} else if (m.type == 'E') {
					for (unsigned k = 0; k < nbook; k++)
						if (book[k].ref == m.u.order_executed.order_ref &&
						    book[k].shares) {
							tick = true;
							xp = book[k].price;
							xs = m.u.order_executed.shares;
							xm = m.u.order_executed.match_no;
							book[k].shares -= xs < book[k].shares
							                      ? xs
							                      : book[k].shares;
						}
				}
				if (!tick)
					continue;
				struct tg_segment *sg = tg_gateway_segment(gw);
				uint64_t aw[TG_ARRIVAL_SLOT_WORDS - 1];
				struct tg_arrival ar;
				struct tg_tick t;
				if (tg_ring_try_read(tg_segment_arrival_ring(sg), arr_next++, aw) !=
				    0) {
					TG_FAIL("no arrival record %llu",
					        (unsigned long long)arr_next - 1);
					continue;
				}
				tg_arrival_unpack(aw, &ar);
				TG_CHECK_EQ_I64(
				    tg_tick_read(tg_segment_tick_ring(sg, ar.instrument),
				                 ar.tick_seq, &t),
				    0);
				TG_CHECK_EQ_U64(t.price_e4, xp);
				TG_CHECK_EQ_U64(t.shares, xs);
				TG_CHECK_EQ_U64(t.match_no, xm);
				TG_CHECK_EQ_U64(t.exch_ts_ns, m.ts_ns);
				checked_ticks++;
			}
		}
		tg_pcap_close(&pr);
		TG_CHECK_EQ_U64(checked_ticks, tg_gateway_counter(gw, TG_GW_TICKS));
		if (checked_ticks)
			fprintf(stderr, "  %s: %llu ticks checked field by field\n", caps[i].file,
			        (unsigned long long)checked_ticks);
		if (caps[i].type)
			TG_CHECK(of_type > 0);
		TG_CHECK(msgs > 0);
		TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_MESSAGES), msgs);
		TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_MALFORMED_MSGS), 0);
		TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_MALFORMED_PACKETS), 0);
		/* a capture cannot be asked for what it missed: every gap in it
		 * is reported lost (Multiple.Packets.pcap skips 4.2 M messages) */
		TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_LOST_MSGS),
		                tg_gateway_counter(gw, TG_GW_GAP_MSGS));
		TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_PENDING_MSGS), 0);
		/* every trade is a tick, or counted: an 'E' of an order the
		 * capture never added, a 'C' of a stock it never named */
		TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_TICKS) +
		                    tg_gateway_counter(gw, TG_GW_UNPRICED_EXEC) +
		                    tg_gateway_counter(gw, TG_GW_UNKNOWN_INSTRUMENT),
		                trades + tg_gateway_counter(gw, TG_GW_MSG_E));
		if (tg_test_st.failed_checks > failed_before)
			fprintf(stderr, "  (in %s)\n", caps[i].file);
		failed_before = tg_test_st.failed_checks;
		tg_gateway_destroy(gw, true);
		done++;
	}
	if (!done)
		TG_SKIP("no captures in %s/itch/moldudp64-pcap", tg_test_data_dir());
}

/* ---- malformed packets ------------------------------------------------ */

static size_t mold_packet(uint8_t *buf, size_t cap, uint64_t seq, const struct tg_itch_msg *m,
                          unsigned n)
{
	char session[TG_MOLD_SESSION_LEN];
	tg_mold_session_set(session, "BADTEST");
	struct tg_mold_builder b;
	tg_mold_builder_init(&b, buf, cap, cap, session, seq);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = tg_mold_builder_reserve(&b, tg_itch_len(m[i].type));
		tg_itch_encode(&m[i], p, tg_itch_len(m[i].type));
		tg_mold_builder_commit(&b, tg_itch_len(m[i].type));
	}
	return tg_mold_builder_finish(&b);
}

static void t_malformed(void)
{
	struct tg_gateway *gw = gw_new("gwtest.bad", 1024);
	struct tg_itch_msg m[2] = {0};
	m[0].type = 'P';
	m[0].stock_locate = 5;
	m[0].ts_ns = 1000;
	m[0].u.trade = (struct tg_itch_trade){
	    .order_ref = 1, .side = 'B', .shares = 100, .price_e4 = 1234500, .match_no = 9};
	tg_itch_stock_set(m[0].u.trade.stock, "TEST");
	m[1] = m[0];
	m[1].u.trade.match_no = 10;
	uint8_t good[256], bad[256];
	size_t glen = mold_packet(good, sizeof(good), 1, m, 2);
	struct tg_rx_pkt p = {.data = bad, .kind = TG_RX_MOLD};
	/* truncated inside the second message */
	memcpy(bad, good, glen);
	p.len = (uint32_t)glen - 5;
	tg_gateway_packet(gw, &p);
	/* header only, claims 2 messages */
	p.len = TG_MOLD_HDR_BYTES;
	tg_gateway_packet(gw, &p);
	/* shorter than a header */
	p.len = 7;
	tg_gateway_packet(gw, &p);
	/* trailing garbage after the last message */
	memcpy(bad, good, glen);
	bad[glen] = 0x55;
	p.len = (uint32_t)glen + 1;
	tg_gateway_packet(gw, &p);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_MALFORMED_PACKETS), 4);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_TICKS), 0);
	/* framing fine, but a message of the wrong length / unknown type */
	memcpy(bad, good, glen);
	bad[TG_MOLD_HDR_BYTES + 2] = 'Z'; /* first message's type */
	p.len = (uint32_t)glen;
	tg_gateway_packet(gw, &p);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_BAD_TYPE), 1);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_TICKS), 1); /* the second one */
	/* the good packet again: message 1 new, message 2 a duplicate */
	p.data = good;
	tg_gateway_packet(gw, &p);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_TICKS), 1);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_DUP_MSGS), 2);
	/* still running: the next packet is processed normally */
	m[0].u.trade.match_no = 11;
	m[1].u.trade.match_no = 12;
	glen = mold_packet(good, sizeof(good), 3, m, 2);
	p.len = (uint32_t)glen;
	tg_gateway_packet(gw, &p);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_TICKS), 3);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_MALFORMED_MSGS), 1);
	tg_gateway_destroy(gw, true);
}

/* ---- the book: every message kind, one by one ------------------------- */

static void feed(struct tg_gateway *gw, struct tg_itch_msg *m)
{
	uint8_t buf[64];
	m->ts_ns += 1000;
	int n = tg_itch_encode(m, buf, sizeof(buf));
	TG_CHECK(n > 0);
	if (n > 0)
		tg_gateway_itch(gw, buf, (uint32_t)n, 42);
}

static void last_tick(struct tg_gateway *gw, uint32_t id, struct tg_tick *t)
{
	const struct tg_ring *r = tg_segment_tick_ring(tg_gateway_segment(gw), id);
	memset(t, 0, sizeof(*t));
	uint64_t h = tg_ring_head(r);
	TG_CHECK(h > 0);
	if (h)
		TG_CHECK_EQ_I64(tg_tick_read(r, h - 1, t), 0);
}

static void t_book(void)
{
	struct tg_gateway *gw = gw_new("gwtest.book", 1024);
	struct tg_itch_msg m = {.type = 'R', .stock_locate = 7};
	tg_itch_stock_set(m.u.stock_directory.stock, "ACME");
	feed(gw, &m);
	int id = tg_segment_lookup(tg_gateway_segment(gw), "ACME");
	TG_CHECK_EQ_I64(id, 0);
	struct tg_tick t;
	/* resting sell 100 @ 10.0000 */
	m = (struct tg_itch_msg){.type = 'A', .stock_locate = 7, .ts_ns = m.ts_ns};
	m.u.add_order = (struct tg_itch_add_order){
	    .order_ref = 1001, .side = 'S', .shares = 100, .price_e4 = 100000};
	tg_itch_stock_set(m.u.add_order.stock, "ACME");
	feed(gw, &m);
	/* E 30: a trade at the resting price, buyer-initiated */
	m.type = 'E';
	m.u.order_executed =
	    (struct tg_itch_order_executed){.order_ref = 1001, .shares = 30, .match_no = 501};
	feed(gw, &m);
	last_tick(gw, 0, &t);
	TG_CHECK_EQ_U64(t.price_e4, 100000);
	TG_CHECK_EQ_U64(t.shares, 30);
	TG_CHECK_EQ_U64(t.side, 'B');
	TG_CHECK_EQ_U64(t.match_no, 501);
	TG_CHECK_EQ_U64(t.exch_ts_ns, m.ts_ns);
	TG_CHECK_EQ_U64(t.recv_ts_ns, 42);
	TG_CHECK_EQ_U64(t.flags, 0);
	/* X 20 leaves 50; C 10 printable at its own price; C 5 not printable */
	m.type = 'X';
	m.u.order_cancel = (struct tg_itch_order_cancel){.order_ref = 1001, .shares = 20};
	feed(gw, &m);
	m.type = 'C';
	m.u.order_executed_price = (struct tg_itch_order_executed_price){
	    .order_ref = 1001, .shares = 10, .match_no = 502, .printable = 'Y', .price_e4 = 100100};
	feed(gw, &m);
	last_tick(gw, 0, &t);
	TG_CHECK_EQ_U64(t.price_e4, 100100);
	TG_CHECK_EQ_U64(t.shares, 10);
	TG_CHECK_EQ_U64(t.flags, TG_TICK_WITHPX);
	m.u.order_executed_price.printable = 'N';
	m.u.order_executed_price.shares = 5;
	m.u.order_executed_price.match_no = 503;
	feed(gw, &m);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_TICKS), 2);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_NONPRINTABLE), 1);
	/* U: 35 left move to ref 1002 at 9.9900, still a sell */
	m.type = 'U';
	m.u.order_replace = (struct tg_itch_order_replace){
	    .orig_order_ref = 1001, .new_order_ref = 1002, .shares = 35, .price_e4 = 99900};
	feed(gw, &m);
	m.type = 'E';
	m.u.order_executed =
	    (struct tg_itch_order_executed){.order_ref = 1002, .shares = 35, .match_no = 504};
	feed(gw, &m);
	last_tick(gw, 0, &t);
	TG_CHECK_EQ_U64(t.price_e4, 99900);
	TG_CHECK_EQ_U64(t.shares, 35);
	TG_CHECK_EQ_U64(t.side, 'B');
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_ORDERS_LIVE), 0); /* fully executed */
	/* the old ref is gone: an E on it cannot be priced, and is counted */
	m.u.order_executed.order_ref = 1001;
	m.u.order_executed.match_no = 505;
	feed(gw, &m);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_UNPRICED_EXEC), 1);
	/* D of an unknown order: counted */
	m.type = 'D';
	m.u.order_delete.order_ref = 999;
	feed(gw, &m);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_UNKNOWN_ORDER), 2);
	/* P: hidden buy order matched -> seller-initiated */
	m.type = 'P';
	m.u.trade = (struct tg_itch_trade){
	    .order_ref = 0, .side = 'B', .shares = 7, .price_e4 = 100200, .match_no = 506};
	tg_itch_stock_set(m.u.trade.stock, "ACME");
	feed(gw, &m);
	last_tick(gw, 0, &t);
	TG_CHECK_EQ_U64(t.side, 'S');
	TG_CHECK_EQ_U64(t.flags, TG_TICK_HIDDEN);
	/* Q: zero shares skipped, else a cross tick */
	m.type = 'Q';
	m.u.cross_trade = (struct tg_itch_cross_trade){
	    .shares = 0, .price_e4 = 100300, .match_no = 507, .cross_type = 'O'};
	tg_itch_stock_set(m.u.cross_trade.stock, "ACME");
	feed(gw, &m);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_CROSS_ZERO), 1);
	m.u.cross_trade.shares = 1000;
	m.u.cross_trade.match_no = 508;
	feed(gw, &m);
	last_tick(gw, 0, &t);
	TG_CHECK_EQ_U64(t.shares, 1000);
	TG_CHECK_EQ_U64(t.flags, TG_TICK_CROSS);
	uint64_t ticks = tg_gateway_counter(gw, TG_GW_TICKS);
	TG_CHECK_EQ_U64(ticks, 5);
	/* B breaks match 504 (tick seq 2): an arrival record flagged broken */
	m.type = 'B';
	m.u.broken_trade.match_no = 504;
	feed(gw, &m);
	m.u.broken_trade.match_no = 123456; /* never traded */
	feed(gw, &m);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_BROKEN), 1);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_BROKEN_UNKNOWN), 1);
	const struct tg_ring *ar = tg_segment_arrival_ring(tg_gateway_segment(gw));
	TG_CHECK_EQ_U64(tg_ring_head(ar), ticks + 1);
	uint64_t aw[TG_ARRIVAL_SLOT_WORDS - 1];
	struct tg_arrival a = {0};
	TG_CHECK_EQ_I64(tg_ring_try_read(ar, ticks, aw), 0);
	tg_arrival_unpack(aw, &a);
	TG_CHECK_EQ_U64(a.tick_seq, 2);
	TG_CHECK_EQ_U64(a.instrument, 0);
	TG_CHECK_EQ_U64(a.flags, TG_TICK_BROKEN);
	TG_CHECK_EQ_U64(tg_ring_head(tg_segment_tick_ring(tg_gateway_segment(gw), 0)), ticks);
	tg_gateway_destroy(gw, true);
}

/* Every committed wire fuzz input (MoldUDP64 packets and ITCH messages),
 * then random mutations of real captured packets, through the gateway's
 * packet path in exact-size heap buffers (ASan catches any overread): it
 * must count, never crash, and keep its books consistent. */
static uint64_t replay_corpus(struct tg_gateway *gw, const char *target, uint16_t kind)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", target);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	uint64_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char path[600];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (e->d_name[0] == '.' || stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_size > 65536)
			continue;
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		size_t len = (size_t)st.st_size;
		uint8_t *buf = malloc(len ? len : 1);
		if (buf && fread(buf, 1, len, f) == len) {
			struct tg_rx_pkt p = {.data = buf, .len = (uint32_t)len, .kind = kind};
			tg_gateway_packet(gw, &p);
			n++;
		}
		free(buf);
		fclose(f);
	}
	closedir(d);
	return n;
}

static void t_fuzz_packets(void)
{
	struct tg_gateway *gw = gw_new("gwtest.fuzz", 1024);
	uint64_t n = replay_corpus(gw, "mold", TG_RX_MOLD) + replay_corpus(gw, "itch", TG_RX_ITCH);
	/* seeds: the payloads of a few real captures */
	static const char *const seeds[] = {"Multiple.Packets.pcap", "NonCrossTrade.pcap",
	                                    "OrderExecutedWithPrice.pcap", "AddOrderNoMPID.pcap"};
	uint8_t seed[8][2048];
	size_t seed_len[8];
	unsigned nseed = 0;
	for (unsigned i = 0; i < 4; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/itch/moldudp64-pcap/%s", tg_test_data_dir(),
		         seeds[i]);
		struct tg_pcap_reader pr;
		if (tg_pcap_open(&pr, path) < 0)
			continue;
		struct tg_udp_datagram dg;
		while (nseed < 8 && tg_pcap_next(&pr, &dg) == 1)
			if (dg.len <= sizeof(seed[0])) {
				memcpy(seed[nseed], dg.payload, dg.len);
				seed_len[nseed++] = dg.len;
			}
		tg_pcap_close(&pr);
	}
	long iters = nseed ? (long)(30000 * tg_test_scale()) + 100 : 0;
	for (long it = 0; it < iters; it++) {
		unsigned k = (unsigned)(rng() % nseed);
		size_t len = seed_len[k];
		if (rng() % 4 == 0)
			len = (size_t)(rng() % (len + 1)); /* truncate */
		uint8_t *buf = malloc(len ? len : 1);
		memcpy(buf, seed[k], len);
		for (unsigned f = (unsigned)(rng() % 5); f > 0 && len; f--)
			buf[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
		if (len > 20 && rng() % 2) /* keep sessions few, sequences plausible */
			memcpy(buf, seed[k], 18);
		struct tg_rx_pkt p = {.data = buf, .len = (uint32_t)len, .kind = TG_RX_MOLD};
		tg_gateway_packet(gw, &p);
		free(buf);
		n++;
		if (it % 1000 == 0)
			tg_gateway_poll(gw, (uint64_t)it * 1000000ull);
	}
	tg_gateway_flush(gw);
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_PACKETS), n);
	TG_CHECK(tg_gateway_counter(gw, TG_GW_MALFORMED_PACKETS) > 0);
	TG_CHECK(tg_gateway_counter(gw, TG_GW_TICKS) <= tg_gateway_counter(gw, TG_GW_TRADES));
	TG_CHECK_EQ_U64(tg_gateway_counter(gw, TG_GW_PENDING_MSGS), 0);
	/* the ring holds exactly the ticks counted */
	struct tg_segment *seg = tg_gateway_segment(gw);
	uint64_t sum = 0;
	for (uint32_t i = 0; i < tg_segment_instruments(seg); i++)
		sum += tg_ring_head(tg_segment_tick_ring(seg, i));
	TG_CHECK_EQ_U64(sum, tg_gateway_counter(gw, TG_GW_TICKS));
	tg_gateway_destroy(gw, true);
}

int main(void)
{
	shm_dir_make();
	tg_test_case("ordermap_vs_model", t_ordermap);
	tg_test_case("seq_inorder_dup", t_seq_inorder_dup);
	tg_test_case("seq_reorder", t_seq_reorder);
	tg_test_case("seq_recover", t_seq_recover);
	tg_test_case("seq_lost", t_seq_lost);
	tg_test_case("seq_big_gap", t_seq_big_gap);
	tg_test_case("seq_random", t_seq_random);
	tg_test_case("binfile_ex20101224", t_binfile);
	tg_test_case("pcaps", t_pcaps);
	tg_test_case("book", t_book);
	tg_test_case("malformed", t_malformed);
	tg_test_case("fuzz_packets", t_fuzz_packets);
	rmdir(shm_dir);
	return tg_test_done();
}
