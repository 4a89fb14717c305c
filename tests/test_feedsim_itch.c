/* test_feedsim_itch.c - the ITCH feedsim produces: the LOBSTER day walked
 * with the test's own order map (every execution priceable, trades equal
 * to the source, counts per type), synthetic byte determinism, BinaryFILE
 * and pcap replays, and pcap output read back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feedsim/feed.h"
#include "feedsim/replay.h"
#include "feedsim/source_impl.h"
#include "tests/tg_test.h"
#include "wire/itch.h"
#include "wire/moldudp64.h"
#include "wire/pcap.h"

struct ord {
	uint64_t ref;
	uint32_t price, shares;
	uint16_t locate;
	char side;
	uint8_t used;
};

struct omap {
	struct ord *t;
	size_t mask;
};

static struct ord *ofind(struct omap *m, uint64_t ref)
{
	for (size_t i = (size_t)(ref * 0x9e3779b97f4a7c15ull >> 40) & m->mask;;
	     i = (i + 1) & m->mask)
		if (!m->t[i].used || m->t[i].ref == ref)
			return &m->t[i];
}

/* Walk a replay like a receiver: returns trades priced; checks each against
 * the source's trade array in order. */
static uint64_t walk(struct tg_replay *r, const struct tg_source *s, uint64_t *by_type,
                     uint64_t *unpriceable, uint64_t *mismatch)
{
	struct omap m = {calloc(1 << 20, sizeof(struct ord)), (1 << 20) - 1};
	uint64_t n, k = 0, prev_ts = 0;
	const struct tg_trade *t = tg_source_trade_array(s, &n);
	const uint8_t *msg;
	uint64_t ts;
	int len;
	while ((len = tg_replay_next(r, &msg, &ts)) > 0) {
		struct tg_itch_msg im;
		if (tg_itch_decode(msg, (size_t)len, &im) != len) {
			TG_FAIL("message of type %c does not decode", msg[0]);
			continue;
		}
		by_type[im.type]++;
		if (im.ts_ns < prev_ts)
			TG_FAIL("time goes back at message %c", im.type);
		prev_ts = im.ts_ns;
		struct tg_trade got = {0};
		int trade = 0;
		if (im.type == 'A') {
			struct ord *o = ofind(&m, im.u.add_order.order_ref);
			*o = (struct ord){im.u.add_order.order_ref, im.u.add_order.price_e4,
			                  im.u.add_order.shares,    im.stock_locate,
			                  im.u.add_order.side,      1};
		} else if (im.type == 'X' || im.type == 'D' || im.type == 'E') {
			uint64_t ref = im.type == 'X'   ? im.u.order_cancel.order_ref
			               : im.type == 'D' ? im.u.order_delete.order_ref
			                                : im.u.order_executed.order_ref;
			uint32_t sh = im.type == 'X'   ? im.u.order_cancel.shares
			              : im.type == 'E' ? im.u.order_executed.shares
			                               : 0;
			struct ord *o = ofind(&m, ref);
			if (!o->used || o->shares == 0 || sh > o->shares ||
			    o->locate != im.stock_locate) {
				(*unpriceable)++;
				continue;
			}
			if (im.type == 'E') {
				trade = 1;
				got.price_e4 = o->price;
				got.shares = sh;
				got.side = o->side == 'B' ? 'S' : 'B';
				got.match_no = im.u.order_executed.match_no;
			}
			o->shares = im.type == 'D' ? 0 : o->shares - sh;
		} else if (im.type == 'P') {
			trade = 1;
			got.price_e4 = im.u.trade.price_e4;
			got.shares = im.u.trade.shares;
			got.side = im.u.trade.side == 'B' ? 'S' : 'B';
			got.match_no = im.u.trade.match_no;
			got.flags = TG_TICK_HIDDEN;
		}
		if (!trade)
			continue;
		got.locate = im.stock_locate;
		got.exch_ts_ns = im.ts_ns;
		if (k >= n || got.price_e4 != t[k].price_e4 || got.shares != t[k].shares ||
		    got.side != t[k].side || got.match_no != t[k].match_no ||
		    got.locate != t[k].locate || got.exch_ts_ns != t[k].exch_ts_ns ||
		    got.flags != t[k].flags) {
			if ((*mismatch)++ < 3)
				TG_FAIL("trade %llu: px %u/%u sh %u/%u ts %llu/%llu",
				        (unsigned long long)k, got.price_e4,
				        k < n ? t[k].price_e4 : 0, got.shares,
				        k < n ? t[k].shares : 0, (unsigned long long)got.exch_ts_ns,
				        (unsigned long long)(k < n ? t[k].exch_ts_ns : 0));
		}
		k++;
	}
	TG_CHECK_EQ_I64(len, 0);
	free(m.t);
	return k;
}

static void t_lobster_itch(void)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/lobster", tg_test_data_dir());
	if (access(dir, R_OK))
		TG_SKIP("no LOBSTER data at %s", dir);
	struct tg_source *s;
	struct tg_replay *r;
	TG_CHECK_EQ_I64(tg_source_open_path(dir, &s), 0);
	TG_CHECK_EQ_I64(tg_replay_open_source(s, TG_REPLAY_TRADES_AE, &r), 0);
	uint64_t by[256] = {0}, unpriced = 0, mismatch = 0;
	uint64_t trades = walk(r, s, by, &unpriced, &mismatch);
	struct tg_source_stats st;
	tg_source_get_stats(s, &st);
	/* README table sums: executions 40397 visible, 17690 hidden */
	TG_CHECK_EQ_U64(trades, 23658 + 8974 + 7765 + 11332 + 2445 + 3913);
	TG_CHECK_EQ_U64(by['E'], 23658 + 8974 + 7765);
	TG_CHECK_EQ_U64(by['P'], 11332 + 2445 + 3913);
	TG_CHECK_EQ_U64(by['A'], 54818 + 27845 + 24368 + st.synth_adds);
	TG_CHECK_EQ_U64(by['D'], 28437 + 18235 + 13429);
	TG_CHECK_EQ_U64(by['X'], 252 + 16 + 7);
	TG_CHECK_EQ_U64(by['R'], 3);
	TG_CHECK_EQ_U64(by['S'], 4);
	TG_CHECK_EQ_U64(st.synth_adds, 23102);
	TG_CHECK_EQ_U64(unpriced, 0);
	TG_CHECK_EQ_U64(mismatch, 0);
	TG_CHECK_EQ_U64(tg_replay_total(r), 225494 + 23102 + 3 + 4);
	printf("LOBSTER ITCH: %llu trades priced, A=%llu E=%llu P=%llu D=%llu X=%llu\n",
	       (unsigned long long)trades, (unsigned long long)by['A'], (unsigned long long)by['E'],
	       (unsigned long long)by['P'], (unsigned long long)by['D'],
	       (unsigned long long)by['X']);
	tg_replay_close(r);
	tg_source_close(s);
}

/* FNV-1a of a replay's bytes. */
static uint64_t replay_hash(struct tg_source *s, int style, uint64_t *msgs)
{
	struct tg_replay *r;
	uint64_t h = 1469598103934665603ull;
	const uint8_t *m;
	uint64_t ts;
	int len;
	*msgs = 0;
	if (tg_replay_open_source(s, style, &r))
		return 0;
	while ((len = tg_replay_next(r, &m, &ts)) > 0) {
		for (int i = 0; i < len; i++)
			h = (h ^ m[i]) * 1099511628211ull;
		(*msgs)++;
	}
	tg_replay_close(r);
	return h;
}

static void t_synth_itch(void)
{
	struct tg_synth_config c;
	struct tg_source *a, *b, *d;
	tg_synth_config_default(&c);
	c.trades_per_instrument = 3000;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &a), 0);
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &b), 0);
	c.seed = 2;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &d), 0);
	uint64_t na, nb, nd;
	uint64_t ha = replay_hash(a, TG_REPLAY_TRADES_AE, &na);
	TG_CHECK_EQ_U64(ha, replay_hash(b, TG_REPLAY_TRADES_AE, &nb));
	TG_CHECK(ha != replay_hash(d, TG_REPLAY_TRADES_AE, &nd));
	TG_CHECK_EQ_U64(na, 4 + 8 + 2 * 8 * 3000);
	printf("synthetic seed 1: %llu messages, FNV-1a %016llx\n", (unsigned long long)na,
	       (unsigned long long)ha);
	/* every trade priceable, equal to the source, as A+E and as P */
	for (int style = 0; style < 2; style++) {
		struct tg_replay *r;
		uint64_t by[256] = {0}, unpriced = 0, mismatch = 0;
		TG_CHECK_EQ_I64(tg_replay_open_source(a, style, &r), 0);
		if (style == TG_REPLAY_TRADES_P) /* 'P' ticks are flagged hidden */
			for (uint64_t i = 0; i < a->ntrades; i++)
				a->trades[i].flags = TG_TICK_HIDDEN;
		TG_CHECK_EQ_U64(walk(r, a, by, &unpriced, &mismatch), 8 * 3000);
		TG_CHECK_EQ_U64(unpriced + mismatch, 0);
		tg_replay_close(r);
	}
	tg_source_close(a);
	tg_source_close(b);
	tg_source_close(d);
}

static void t_file_replays(void)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/itch/ex20101224.TEST_ITCH_50", tg_test_data_dir());
	if (access(p, R_OK))
		TG_SKIP("no ITCH data at %s", p);
	struct tg_replay *r;
	const uint8_t *m;
	uint64_t ts, n = 0, trades = 0;
	int len;
	TG_CHECK_EQ_I64(tg_replay_open_binfile(p, &r), 0);
	while ((len = tg_replay_next(r, &m, &ts)) > 0) {
		n++;
		trades += m[0] == 'E' || m[0] == 'C' || m[0] == 'P';
	}
	TG_CHECK_EQ_I64(len, 0);
	struct tg_replay_stats st;
	tg_replay_get_stats(r, &st);
	TG_CHECK_EQ_U64(n, 12012);
	TG_CHECK_EQ_U64(st.zero_len_fixed, 12012);
	printf("BinaryFILE: %llu messages, %llu E/C/P\n", (unsigned long long)n,
	       (unsigned long long)trades);
	tg_replay_close(r);

	/* pcap: the re-framed messages equal the capture's MoldUDP64 blocks */
	snprintf(p, sizeof(p), "%s/itch/moldudp64-pcap/Multiple.Packets.pcap", tg_test_data_dir());
	struct tg_pcap_reader pr;
	uint64_t want = 0, got = 0;
	TG_CHECK_EQ_I64(tg_pcap_open(&pr, p), 0);
	struct tg_udp_datagram d;
	while (tg_pcap_next(&pr, &d) > 0) {
		struct tg_mold_header h;
		if (tg_mold_header_decode(d.payload, d.len, &h) == 0)
			want += tg_mold_msg_count(&h);
	}
	tg_pcap_close(&pr);
	TG_CHECK_EQ_I64(tg_replay_open_pcap(p, &r), 0);
	while ((len = tg_replay_next(r, &m, &ts)) > 0)
		got++;
	TG_CHECK_EQ_I64(len, 0);
	TG_CHECK(want > 1);
	TG_CHECK_EQ_U64(got, want);
	tg_replay_close(r);
}

/* pcap output: read back, every message in sequence, end of session last. */
static void t_pcap_output(void)
{
	struct tg_synth_config c;
	struct tg_source *s;
	struct tg_replay *r;
	struct tg_feed *f;
	char path[] = "/tmp/tg_feedsim_pcapXXXXXX";
	int fd = mkstemp(path);
	close(fd);
	tg_synth_config_default(&c);
	c.instruments = 3;
	c.trades_per_instrument = 2000;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &s), 0);
	TG_CHECK_EQ_I64(tg_replay_open_source(s, TG_REPLAY_TRADES_AE, &r), 0);
	struct tg_feed_config fc = {.pcap_path = path, .drop = 0.1, .seed = 3};
	TG_CHECK_EQ_I64(tg_feed_create(&fc, &f), 0);
	TG_CHECK_EQ_I64(tg_feed_run(f, r, NULL, NULL), 0);
	struct tg_feed_stats st;
	tg_feed_get_stats(f, &st);
	TG_CHECK_EQ_U64(st.msgs, 4 + 3 + 2 * 3 * 2000);
	TG_CHECK(st.dropped > 0);
	struct tg_pcap_reader pr;
	struct tg_udp_datagram d;
	uint64_t msgs = 0, pkts = 0, ends = 0, bad = 0, next = 1;
	TG_CHECK_EQ_I64(tg_pcap_open(&pr, path), 0);
	while (tg_pcap_next(&pr, &d) > 0) {
		struct tg_mold_walk w;
		struct tg_mold_header h;
		const uint8_t *m;
		uint16_t len;
		uint64_t seq;
		pkts++;
		if (tg_mold_walk_init(&w, d.payload, d.len, &h)) {
			bad++;
			continue;
		}
		if (tg_mold_is_end(&h)) {
			ends++;
			TG_CHECK_EQ_U64(h.seq, st.next_seq);
			continue;
		}
		if (h.seq < next)
			bad++;
		next = h.seq;
		while (tg_mold_walk_next(&w, &m, &len, &seq) > 0) {
			const uint8_t *hm;
			size_t hl;
			if (tg_feed_history_msg(f, seq, &hm, &hl) || hl != len ||
			    memcmp(hm, m, len))
				bad++;
			msgs++;
			next = seq + 1;
		}
	}
	tg_pcap_close(&pr);
	unlink(path);
	TG_CHECK_EQ_U64(bad, 0);
	TG_CHECK_EQ_U64(ends, 3);
	TG_CHECK_EQ_U64(pkts, st.packets - st.dropped + 3);
	TG_CHECK(msgs < st.msgs && msgs > st.msgs / 2); /* drops really dropped */
	tg_feed_destroy(f);
	tg_replay_close(r);
	tg_source_close(s);
}

int main(void)
{
	tg_test_case("lobster_itch", t_lobster_itch);
	tg_test_case("synth_itch", t_synth_itch);
	tg_test_case("file_replays", t_file_replays);
	tg_test_case("pcap_output", t_pcap_output);
	return tg_test_done();
}
