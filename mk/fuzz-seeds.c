/* fuzz-seeds.c - writes the seed inputs of the wire/ fuzz corpora
 * (tests/fuzz/corpus/{itch,mold,pcap,binfile}) from the project's own
 * encoders with invented values, plus hand-made edge cases. The corpora
 * used to be seeded from the real captures in ../shared/data; those must
 * not be copied into the repository (mk/check-data-copies.c checks), so
 * every seed here is built from scratch: ITCH messages by tg_itch_encode,
 * packets by the MoldUDP64 builder, frames by tg_frame_build_udp, records
 * by tg_binfile_record_encode, and one capture by the pcap writer.
 *
 * Build and run from the repository root (writes OUT/<target>/seed-*):
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude -I. -o build/tools/fuzz-seeds \
 *      mk/fuzz-seeds.c wire/[a-z]*.c && build/tools/fuzz-seeds tests/fuzz/corpus
 * Then grow them with `make fuzz` and keep new finds with `make fuzz-merge`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire/alert.h"
#include "wire/binfile.h"
#include "wire/itch.h"
#include "wire/moldudp64.h"
#include "wire/pcap.h"

static const char *out_root;

static void put(const char *target, const char *name, const void *buf, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/seed-%s", out_root, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(buf, 1, len, f) != len) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* ---- ITCH messages with invented values ------------------------------- */

static uint64_t ts_base = 36000000000000ull + 123456789ull; /* 10:00:00.123 */

static void fill(struct tg_itch_msg *m, uint8_t type, unsigned variant)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->stock_locate = (uint16_t)(7 + variant * 1000);
	m->tracking = (uint16_t)(variant ? 0xfffe : 3);
	m->ts_ns = variant == 2 ? 0xffffffffffffull : ts_base + type * 1111u;
	const char *sym = variant ? "ZQXW" : "TGDEMO";
	uint32_t px = variant == 2 ? 0xffffffffu : 1234500u + type;
	uint64_t big = variant == 2 ? ~0ull : 4242000u + type;
	switch (type) {
	case 'S':
		m->u.system_event.event_code = "OSQMEC"[variant % 6];
		break;
	case 'R': {
		struct tg_itch_stock_directory *r = &m->u.stock_directory;
		tg_itch_stock_set(r->stock, sym);
		r->market_category = variant ? 'G' : 'Q';
		r->financial_status = variant ? ' ' : 'N';
		r->round_lot_size = 100;
		r->round_lots_only = 'N';
		r->issue_classification = 'C';
		memcpy(r->issue_subtype, "Z ", 2);
		r->authenticity = 'T';
		r->short_sale_threshold = 'N';
		r->ipo_flag = ' ';
		r->luld_ref_price_tier = '2';
		r->etp_flag = 'N';
		r->etp_leverage_factor = variant;
		r->inverse_indicator = 'N';
		break;
	}
	case 'H':
		tg_itch_stock_set(m->u.trading_action.stock, sym);
		m->u.trading_action.trading_state = "THPQ"[variant % 4];
		m->u.trading_action.reserved = ' ';
		memcpy(m->u.trading_action.reason, variant ? "LUDP" : "    ", 4);
		break;
	case 'Y':
		tg_itch_stock_set(m->u.reg_sho.stock, sym);
		m->u.reg_sho.action = (char)('0' + variant % 3);
		break;
	case 'L':
		memcpy(m->u.mp_position.mpid, "TGMM", 4);
		tg_itch_stock_set(m->u.mp_position.stock, sym);
		m->u.mp_position.primary_market_maker = variant ? 'N' : 'Y';
		m->u.mp_position.market_maker_mode = "NPSRL"[variant % 5];
		m->u.mp_position.participant_state = "AEWSD"[variant % 5];
		break;
	case 'V':
		m->u.mwcb_decline.level1_e8 = big * 3;
		m->u.mwcb_decline.level2_e8 = big * 2;
		m->u.mwcb_decline.level3_e8 = big;
		break;
	case 'W':
		m->u.mwcb_status.breached_level = (char)('1' + variant % 3);
		break;
	case 'K':
		tg_itch_stock_set(m->u.ipo_quoting.stock, sym);
		m->u.ipo_quoting.release_time_s = 37800 + variant;
		m->u.ipo_quoting.release_qualifier = variant ? 'C' : 'A';
		m->u.ipo_quoting.ipo_price_e4 = px;
		break;
	case 'J':
		tg_itch_stock_set(m->u.luld_collar.stock, sym);
		m->u.luld_collar.ref_price_e4 = px;
		m->u.luld_collar.upper_price_e4 = px + 50000;
		m->u.luld_collar.lower_price_e4 = px - 50000;
		m->u.luld_collar.extension = variant;
		break;
	case 'h':
		tg_itch_stock_set(m->u.operational_halt.stock, sym);
		m->u.operational_halt.market_code = "QBX"[variant % 3];
		m->u.operational_halt.action = variant ? 'T' : 'H';
		break;
	case 'A':
	case 'F':
		m->u.add_order.order_ref = big + 17;
		m->u.add_order.side = variant ? 'S' : 'B';
		m->u.add_order.shares = variant == 2 ? 0xffffffffu : 300;
		tg_itch_stock_set(m->u.add_order.stock, sym);
		m->u.add_order.price_e4 = px;
		if (type == 'F')
			memcpy(m->u.add_order.attribution, "TGXX", 4);
		break;
	case 'E':
		m->u.order_executed.order_ref = big + 17;
		m->u.order_executed.shares = 100 + variant;
		m->u.order_executed.match_no = big * 7;
		break;
	case 'C':
		m->u.order_executed_price.order_ref = big + 17;
		m->u.order_executed_price.shares = 50;
		m->u.order_executed_price.match_no = big * 7 + 1;
		m->u.order_executed_price.printable = variant ? 'N' : 'Y';
		m->u.order_executed_price.price_e4 = px;
		break;
	case 'X':
		m->u.order_cancel.order_ref = big + 17;
		m->u.order_cancel.shares = 25;
		break;
	case 'D':
		m->u.order_delete.order_ref = big + 17;
		break;
	case 'U':
		m->u.order_replace.orig_order_ref = big + 17;
		m->u.order_replace.new_order_ref = big + 18;
		m->u.order_replace.shares = 400;
		m->u.order_replace.price_e4 = px;
		break;
	case 'P':
		m->u.trade.order_ref = 0;
		m->u.trade.side = 'B';
		m->u.trade.shares = 77;
		tg_itch_stock_set(m->u.trade.stock, sym);
		m->u.trade.price_e4 = px;
		m->u.trade.match_no = big * 7 + 2;
		break;
	case 'Q':
		m->u.cross_trade.shares = big;
		tg_itch_stock_set(m->u.cross_trade.stock, sym);
		m->u.cross_trade.price_e4 = px;
		m->u.cross_trade.match_no = big * 7 + 3;
		m->u.cross_trade.cross_type = "OCHI"[variant % 4];
		break;
	case 'B':
		m->u.broken_trade.match_no = big * 7 + 2;
		break;
	case 'I':
		m->u.noii.paired_shares = big;
		m->u.noii.imbalance_shares = variant ? 0 : 1500;
		m->u.noii.imbalance_direction = "BSNOP"[variant % 5];
		tg_itch_stock_set(m->u.noii.stock, sym);
		m->u.noii.far_price_e4 = px;
		m->u.noii.near_price_e4 = px + 100;
		m->u.noii.ref_price_e4 = px - 100;
		m->u.noii.cross_type = "OCHA"[variant % 4];
		m->u.noii.price_variation = variant ? ' ' : 'L';
		break;
	case 'N':
		tg_itch_stock_set(m->u.rpii.stock, sym);
		m->u.rpii.interest_flag = "BSAN"[variant % 4];
		break;
	case 'O':
		tg_itch_stock_set(m->u.dlcr.stock, sym);
		m->u.dlcr.open_eligibility = variant ? 'N' : 'Y';
		m->u.dlcr.min_price_e4 = px - 1000;
		m->u.dlcr.max_price_e4 = px + 1000;
		m->u.dlcr.near_price_e4 = px;
		m->u.dlcr.near_time = ts_base + 5;
		m->u.dlcr.lower_collar_e4 = px - 2000;
		m->u.dlcr.upper_collar_e4 = px + 2000;
		break;
	}
}

static size_t enc(uint8_t type, unsigned variant, uint8_t *buf)
{
	struct tg_itch_msg m;
	fill(&m, type, variant);
	int n = tg_itch_encode(&m, buf, TG_ITCH_MAX_BYTES);
	if (n <= 0) {
		fprintf(stderr, "encode %c failed\n", type);
		exit(1);
	}
	return (size_t)n;
}

static void gen_itch(void)
{
	uint8_t b[TG_ITCH_MAX_BYTES * TG_ITCH_NTYPES + 8], s[4096];
	char name[64];
	size_t sl = 0;
	for (unsigned v = 0; v < 3; v++) {
		for (int i = 0; i < TG_ITCH_NTYPES; i++) {
			uint8_t t = tg_itch_types[i];
			size_t n = enc(t, v, b);
			if (v == 0 || t == 'A' || t == 'R' || t == 'I' || t == 'O' || t == 'Q' ||
			    t == 'V') {
				snprintf(name, sizeof(name), "%s-%c%u", t == 'h' ? "lc" : "type", t,
				         v);
				put("itch", name, b, n);
			}
			if (v == 0) {
				memcpy(s + sl, b, n);
				sl += n;
			}
		}
	}
	put("itch", "stream-all", s, sl);
	put("itch", "stream-trunc", s, sl - 7);
	memcpy(s + sl, "Z123", 4);
	put("itch", "stream-unknown-tail", s, sl + 4);
	size_t n = enc('D', 0, b);
	b[n] = 'D';
	put("itch", "len-long", b, n + 1);
	put("itch", "len-short", b, n - 1);
	put("itch", "type-only", "A", 1);
	put("itch", "empty", "", 0);
	put("itch", "unknown", "z\x00\x01\x02", 4);
}

/* ---- MoldUDP64 packets ------------------------------------------------- */

static char session[TG_MOLD_SESSION_LEN];

static size_t pkt_of(const uint8_t *types, size_t ntypes, unsigned variant, uint64_t seq,
                     uint8_t *out, size_t cap)
{
	struct tg_mold_builder bld;
	uint8_t m[TG_ITCH_MAX_BYTES];
	if (tg_mold_builder_init(&bld, out, cap, TG_MOLD_MTU_PAYLOAD, session, seq) != 0)
		exit(1);
	for (size_t i = 0; i < ntypes; i++) {
		size_t n = enc(types[i], variant, m);
		if (tg_mold_builder_append(&bld, m, n) != 0)
			break;
	}
	return tg_mold_builder_finish(&bld);
}

static void gen_mold(void)
{
	uint8_t p[2048], m[256];
	char name[64];
	tg_mold_session_set(session, "TGSIM0042");
	for (int i = 0; i < TG_ITCH_NTYPES; i++) {
		uint8_t t = tg_itch_types[i];
		size_t n = pkt_of(&t, 1, 0, 1000 + (uint64_t)i, p, sizeof(p));
		snprintf(name, sizeof(name), "%s-%c", t == 'h' ? "lc" : "pkt", t);
		put("mold", name, p, n);
	}
	size_t n = pkt_of(tg_itch_types, TG_ITCH_NTYPES, 1, 77, p, sizeof(p));
	put("mold", "mixed", p, n);
	/* a packet filled to the MTU with adds and executions */
	uint8_t flow[64];
	for (size_t i = 0; i < sizeof(flow); i++)
		flow[i] = "AAEXDPUC"[i % 8];
	n = pkt_of(flow, sizeof(flow), 0, 5000, p, sizeof(p));
	put("mold", "full-mtu", p, n);
	/* the same packet cut inside a block, and with a byte left over */
	put("mold", "cut-block", p, n - 9);
	put("mold", "cut-prefix", p, 21);
	p[n] = 0x5a;
	put("mold", "trailing-byte", p, n + 1);
	/* count claims more blocks than present / fewer than present */
	uint8_t two[2] = {'D', 'X'};
	n = pkt_of(two, 2, 0, 42, p, sizeof(p));
	p[19] = 3;
	put("mold", "count-more", p, n);
	p[19] = 1;
	put("mold", "count-less", p, n);
	/* a zero-length block and a block whose length runs past the packet */
	n = pkt_of(two, 1, 0, 9, p, sizeof(p));
	memcpy(p + n, "\x00\x00", 2);
	p[19] = 2;
	put("mold", "zero-block", p, n + 2);
	p[20] = 0x7f;
	put("mold", "block-overrun", p, n);
	/* heartbeat / end of session (with and without trailing bytes) */
	n = (size_t)tg_mold_heartbeat_encode(session, 31337, p, sizeof(p));
	put("mold", "heartbeat", p, n);
	memcpy(p + n, "xyz", 3);
	put("mold", "heartbeat-trailing", p, n + 3);
	n = (size_t)tg_mold_end_encode(session, 31337, p, sizeof(p));
	put("mold", "end", p, n);
	memcpy(p + n, "\x00\x01\x44", 3);
	put("mold", "end-trailing", p, n + 3);
	/* retransmission request, exact and long */
	struct tg_mold_request rq;
	memcpy(rq.session, session, sizeof(session));
	rq.seq = 12345;
	rq.count = 16;
	n = (size_t)tg_mold_request_encode(&rq, p, sizeof(p));
	put("mold", "request", p, n);
	p[n] = 1;
	put("mold", "request-long", p, n + 1);
	put("mold", "short-header", p, 13);
	put("mold", "empty", "", 0);
	/* sequence numbers near the top of the range */
	n = pkt_of(two, 2, 2, ~0ull - 1, p, sizeof(p));
	put("mold", "seq-top", p, n);
	/* an alert message block from the publisher, then broken variants */
	struct tg_alert a;
	memset(&a, 0, sizeof(a));
	a.instrument = 3;
	a.event = 1;
	a.windows = 12;
	a.first_price_e4 = 1000100;
	a.last_price_e4 = 990000;
	a.min_price_e4 = 985000;
	a.max_price_e4 = 1000500;
	a.alert_id = 9;
	a.first_seq = 100;
	a.last_seq = 160;
	a.open_exch_ts_ns = ts_base;
	a.exch_ts_ns = ts_base + 5000000;
	a.recv_ts_ns = ts_base + 5000100;
	a.emit_ts_ns = ts_base + 5000900;
	a.peak_score = 3.75;
	a.threshold = 2.5;
	int an = tg_alert_msg_encode(&a, "TGDEMO", m, sizeof(m));
	if (an != TG_ALERT_MSG_BYTES)
		exit(1);
	struct tg_mold_builder bld;
	const size_t alen[4] = {TG_ALERT_MSG_BYTES, TG_ALERT_MSG_BYTES + 8, 40, TG_ALERT_MSG_BYTES};
	const char *aname[4] = {"alert", "alert-longer", "alert-short", "alert-version"};
	for (int k = 0; k < 4; k++) {
		uint8_t mm[256];
		memset(mm, 0, sizeof(mm));
		memcpy(mm, m, TG_ALERT_MSG_BYTES);
		if (k == 3)
			mm[1] = 2;
		tg_mold_builder_init(&bld, p, sizeof(p), TG_MOLD_MTU_PAYLOAD, session, 700);
		tg_mold_builder_append(&bld, mm, alen[k]);
		put("mold", aname[k], p, tg_mold_builder_finish(&bld));
	}
}

/* ---- pcap files ------------------------------------------------------- */

struct cap {
	uint8_t b[16384];
	size_t n;
	int be;
};

static void wr32(struct cap *c, uint32_t v)
{
	if (c->be)
		tg_put_be32(c->b + c->n, v);
	else
		tg_put_le32(c->b + c->n, v);
	c->n += 4;
}
static void wr16(struct cap *c, uint16_t v)
{
	if (c->be)
		tg_put_be16(c->b + c->n, v);
	else
		tg_put_le16(c->b + c->n, v);
	c->n += 2;
}

static void cap_start(struct cap *c, int be, uint32_t magic, uint32_t linktype)
{
	c->n = 0;
	c->be = be;
	wr32(c, magic);
	wr16(c, 2);
	wr16(c, 4);
	wr32(c, 0);
	wr32(c, 0);
	wr32(c, 9000); /* snaplen */
	wr32(c, linktype);
}

static uint32_t rec_sec = 1700000000;

static void cap_rec(struct cap *c, const uint8_t *frame, size_t caplen, size_t origlen)
{
	wr32(c, rec_sec++);
	wr32(c, 250000 + (uint32_t)c->n);
	wr32(c, (uint32_t)caplen);
	wr32(c, (uint32_t)origlen);
	memcpy(c->b + c->n, frame, caplen);
	c->n += caplen;
}

static size_t frame_of(uint8_t *f, size_t cap, const uint8_t *payload, size_t len, uint32_t dst,
                       uint16_t ip_id)
{
	struct tg_udp_datagram d;
	memset(&d, 0, sizeof(d));
	d.src_ip = 0x0a141e28; /* 10.20.30.40 */
	d.dst_ip = dst;
	d.src_port = 40001;
	d.dst_port = 31999;
	d.payload = payload;
	d.len = len;
	int n = tg_frame_build_udp(&d, ip_id, f, cap);
	if (n <= 0)
		exit(1);
	return (size_t)n;
}

/* Insert `tag_bytes` of VLAN tags after the MAC addresses. */
static size_t vlan_frame(uint8_t *out, const uint8_t *f, size_t n, int tags)
{
	static const uint16_t tpid[3] = {0x88a8, 0x8100, 0x8100};
	memcpy(out, f, 12);
	size_t o = 12;
	for (int t = 0; t < tags; t++) {
		tg_put_be16(out + o, tpid[tags == 1 ? 1 : t]);
		tg_put_be16(out + o + 2, (uint16_t)(0x2000 | (100 + t)));
		o += 4;
	}
	memcpy(out + o, f + 12, n - 12);
	return n + o - 12;
}

static void gen_pcap(void)
{
	static struct cap c;
	uint8_t pkt[2048], f[2048], g[2100];
	const uint32_t mcast = 0xeffe0a07; /* 239.254.10.7 */
	tg_mold_session_set(session, "TGCAP0007");
	size_t pn = pkt_of(tg_itch_types, 12, 0, 10, pkt, sizeof(pkt));
	size_t fn = frame_of(f, sizeof(f), pkt, pn, mcast, 11);

	const uint32_t magics[2] = {TG_PCAP_MAGIC_US, TG_PCAP_MAGIC_NS};
	for (int be = 0; be < 2; be++) {
		for (int ns = 0; ns < 2; ns++) {
			cap_start(&c, be, magics[ns], TG_PCAP_LINK_ETHER);
			cap_rec(&c, f, fn, fn);
			size_t pn2 = pkt_of(tg_itch_types + 12, 11, 1, 22, pkt, sizeof(pkt));
			size_t fn2 = frame_of(g, sizeof(g), pkt, pn2, 0x7f000001, 12);
			cap_rec(&c, g, fn2, fn2);
			char name[32];
			snprintf(name, sizeof(name), "eth-%s-%s", be ? "be" : "le",
			         ns ? "ns" : "us");
			put("pcap", name, c.b, c.n);
		}
	}
	/* every frame kind once, in one capture (the counters must add up) */
	cap_start(&c, 0, TG_PCAP_MAGIC_NS, TG_PCAP_LINK_ETHER);
	cap_rec(&c, f, fn, fn); /* udp */
	for (int tags = 1; tags <= 3; tags++) {
		size_t vn = vlan_frame(g, f, fn, tags);
		cap_rec(&c, g, vn, vn); /* 1, 2 tags: udp; 3: not ip */
	}
	memcpy(g, f, fn);
	tg_put_be16(g + 12, 0x0806); /* ARP */
	cap_rec(&c, g, 42, 42);
	memcpy(g, f, fn);
	g[14 + 9] = 6; /* TCP */
	cap_rec(&c, g, fn, fn);
	memcpy(g, f, fn);
	tg_put_be16(g + 14 + 6, 0x2000); /* more fragments */
	cap_rec(&c, g, fn, fn);
	tg_put_be16(g + 14 + 6, 0x0010); /* fragment offset */
	cap_rec(&c, g, fn, fn);
	memcpy(g, f, fn);
	g[14] = 0x44; /* IHL 4 */
	cap_rec(&c, g, fn, fn);
	memcpy(g, f, fn);
	g[14] = 0x65; /* version 6 on Ethernet */
	cap_rec(&c, g, fn, fn);
	memcpy(g, f, fn);
	tg_put_be16(g + 14 + 2, 12); /* total length < header */
	cap_rec(&c, g, fn, fn);
	memcpy(g, f, fn);
	tg_put_be16(g + 14 + 20 + 4, 5); /* UDP length < 8 */
	cap_rec(&c, g, fn, fn);
	tg_put_be16(g + 14 + 20 + 4, 0xfff0); /* UDP length past the IP payload */
	cap_rec(&c, g, fn, fn);
	cap_rec(&c, f, 40, fn); /* caplen short of the IP total length */
	cap_rec(&c, f, 10, fn); /* shorter than an Ethernet header */
	cap_rec(&c, f, 16, fn); /* Ethernet header and one IP byte */
	size_t vn = vlan_frame(g, f, fn, 2);
	cap_rec(&c, g, 15, vn); /* cut inside the VLAN tags */
	put("pcap", "all-kinds", c.b, c.n);

	/* IP options (IHL 6) */
	cap_start(&c, 0, TG_PCAP_MAGIC_US, TG_PCAP_LINK_ETHER);
	memcpy(g, f, 34);
	memcpy(g + 34, "\x01\x01\x01\x00", 4);
	memcpy(g + 38, f + 34, fn - 34);
	g[14] = 0x46;
	tg_put_be16(g + 16, (uint16_t)(tg_be16(f + 16) + 4));
	cap_rec(&c, g, fn + 4, fn + 4);
	put("pcap", "ip-options", c.b, c.n);

	/* Linux cooked capture: 16-byte header, then IPv4 */
	cap_start(&c, 0, TG_PCAP_MAGIC_US, TG_PCAP_LINK_SLL);
	memset(g, 0, 16);
	tg_put_be16(g + 2, 1);
	tg_put_be16(g + 4, 6);
	memcpy(g + 6, "\x02\x11\x22\x33\x44\x55", 6);
	tg_put_be16(g + 14, 0x0800);
	memcpy(g + 16, f + 14, fn - 14);
	cap_rec(&c, g, fn + 2, fn + 2);
	tg_put_be16(g + 14, 0x86dd);
	cap_rec(&c, g, fn + 2, fn + 2);
	cap_rec(&c, g, 12, 12);
	put("pcap", "sll", c.b, c.n);

	/* raw IPv4, plus an IPv6 packet (not IP for us) */
	cap_start(&c, 1, TG_PCAP_MAGIC_NS, TG_PCAP_LINK_RAW);
	cap_rec(&c, f + 14, fn - 14, fn - 14);
	memcpy(g, f + 14, fn - 14);
	g[0] = 0x60;
	cap_rec(&c, g, 40, 40);
	cap_rec(&c, g, 0, 0);
	put("pcap", "raw", c.b, c.n);

	/* link type with FCS bits set, and an unsupported link type */
	cap_start(&c, 0, TG_PCAP_MAGIC_US, TG_PCAP_LINK_ETHER | 0x10000000u);
	cap_rec(&c, f, fn, fn);
	put("pcap", "linktype-fcs", c.b, c.n);
	cap_start(&c, 0, TG_PCAP_MAGIC_US, 105);
	cap_rec(&c, f, fn, fn);
	put("pcap", "linktype-bad", c.b, c.n);

	/* broken record headers and files */
	cap_start(&c, 0, TG_PCAP_MAGIC_NS, TG_PCAP_LINK_ETHER);
	cap_rec(&c, f, fn, fn);
	size_t keep = c.n;
	put("pcap", "header-only", c.b, 24);
	put("pcap", "cut-global", c.b, 17);
	put("pcap", "cut-record-header", c.b, keep - fn - 5);
	put("pcap", "cut-frame", c.b, keep - 30);
	wr32(&c, rec_sec);
	wr32(&c, 1);
	wr32(&c, TG_PCAP_MAX_CAPLEN + 1);
	wr32(&c, 64);
	put("pcap", "caplen-huge", c.b, c.n);
	c.n = keep;
	wr32(&c, rec_sec);
	wr32(&c, 2);
	wr32(&c, 5000);
	wr32(&c, 5000);
	put("pcap", "caplen-past-end", c.b, c.n + 20);
	memcpy(c.b, "\x0a\x0d\x0d\x0a", 4); /* pcapng, not read */
	put("pcap", "bad-magic", c.b, keep);
	put("pcap", "empty", "", 0);

	/* one capture from the project's pcap writer (heartbeat, data, end) */
	char path[512];
	snprintf(path, sizeof(path), "%s/pcap/seed-writer", out_root);
	struct tg_pcap_writer w;
	if (tg_pcap_writer_open(&w, path, true) != 0)
		exit(1);
	struct tg_udp_datagram d;
	memset(&d, 0, sizeof(d));
	d.src_ip = 0xc0a80105;
	d.dst_ip = mcast;
	d.src_port = 50123;
	d.dst_port = 31999;
	d.ts_ns = 1700000000123456789ull;
	d.payload = pkt;
	d.len = (size_t)tg_mold_heartbeat_encode(session, 1, pkt, sizeof(pkt));
	tg_pcap_write_udp(&w, &d);
	uint8_t types[5] = {'S', 'R', 'A', 'E', 'P'};
	d.len = pkt_of(types, 5, 0, 1, pkt, sizeof(pkt));
	d.ts_ns += 1000;
	tg_pcap_write_udp(&w, &d);
	d.len = (size_t)tg_mold_end_encode(session, 6, pkt, sizeof(pkt));
	d.ts_ns += 1000;
	tg_pcap_write_udp(&w, &d);
	if (tg_pcap_writer_close(&w) != 0)
		exit(1);
}

/* ---- BinaryFILE ------------------------------------------------------- */

static void gen_binfile(void)
{
	static uint8_t b[8192];
	uint8_t m[TG_ITCH_MAX_BYTES];
	size_t n = 0;
	for (int i = 0; i < TG_ITCH_NTYPES; i++) {
		size_t ml = enc(tg_itch_types[i], 0, m);
		n += (size_t)tg_binfile_record_encode(m, ml, b + n, sizeof(b) - n);
	}
	put("binfile", "all-types", b, n);
	put("binfile", "cut-message", b, n - 11);
	put("binfile", "cut-prefix", b, n + 1 - (size_t)tg_itch_len(tg_itch_types[22]) - 2);
	/* the zero-prefix quirk: every prefix 0, lengths from the type */
	n = 0;
	for (int v = 0; v < 2; v++) {
		for (int i = 0; i < TG_ITCH_NTYPES; i++) {
			size_t ml = enc(tg_itch_types[i], (unsigned)v, m);
			b[n] = b[n + 1] = 0;
			memcpy(b + n + 2, m, ml);
			n += 2 + ml;
		}
	}
	put("binfile", "zero-prefix", b, n);
	put("binfile", "zero-prefix-cut", b, n - 5);
	memcpy(b + n, "\x00\x00", 2);
	put("binfile", "zero-prefix-last", b, n + 2);
	memcpy(b + n, "\x00\x00Q9", 4);
	put("binfile", "zero-prefix-unknown", b, n + 4);
	/* mixed prefixes: right, zero, wrong (longer and shorter) */
	n = 0;
	const uint8_t seq[6] = {'A', 'E', 'X', 'D', 'U', 'P'};
	for (int i = 0; i < 6; i++) {
		size_t ml = enc(seq[i], 1, m);
		uint16_t pre = (uint16_t)(i == 1 ? 0 : i == 2 ? ml + 3 : i == 4 ? ml - 4 : ml);
		tg_put_be16(b + n, pre);
		memset(b + n + 2, 0x20, pre > ml ? pre : ml);
		memcpy(b + n + 2, m, ml);
		n += 2 + (pre ? pre : ml);
	}
	put("binfile", "mixed-prefix", b, n);
	tg_put_be16(b, 0xffff);
	put("binfile", "prefix-huge", b, 40);
	put("binfile", "one-byte", "\x00", 1);
	put("binfile", "empty", "", 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr,
		        "usage: fuzz-seeds OUTDIR  (writes OUTDIR/{itch,mold,pcap,binfile})\n");
		return 2;
	}
	out_root = argv[1];
	gen_itch();
	gen_mold();
	gen_pcap();
	gen_binfile();
	return 0;
}
