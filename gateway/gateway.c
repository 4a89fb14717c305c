/* gateway.c - MoldUDP64 sessions -> ITCH 5.0 -> order map -> tick rings.
 * The flow and the broken-trade convention are described in gateway.h.
 * Counters are kept in a private array on the hot path and copied to the
 * segment (relaxed stores; the gateway is their only writer) after every
 * burst, so the hot path never touches a shared cache line for them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "gateway/gateway.h"
#include "gateway/ordermap.h"
#include "shm/shm.h"
#include "wire/itch.h"
#include "wire/moldudp64.h"

#define GW_MAX_SESSIONS   4
#define GW_NO_ID          0xFFFFu
#define GW_PREFETCH_AHEAD 32  /* messages: order-slot prefetch distance */
#define GW_WALK_MAX       256 /* block offsets remembered per packet (framing walk) */
#define GW_STATS_EVERY    (100 * 1000 * 1000ull) /* backend stats: a syscall */

static const char *const counter_names[TG_GW_NCOUNTERS] = {
#define TG_GW_COUNTER(id, name) name,
#include "gateway/counters.def"
#undef TG_GW_COUNTER
};

const char *tg_gateway_counter_name(unsigned i)
{
	return i < TG_GW_NCOUNTERS ? counter_names[i] : "?";
}

struct gw_session {
	struct tg_gateway *gw;
	char id[TG_MOLD_SESSION_LEN];
	bool end_reported;
	struct tg_seqtrack t;
};

/* A trade we may have to mark broken later: match_no -> (instrument, seq). */
struct gw_match {
	uint64_t match_no;
	uint64_t seq_instr; /* tick seq << 16 | instrument */
};

struct tg_gateway {
	struct tg_gateway_config cfg;
	struct tg_segment *seg;
	struct tg_ring *arrival;
	struct tg_ring **rings; /* by instrument id */
	_Atomic uint64_t *shm_ctr[TG_GW_NCOUNTERS];
	uint64_t c[TG_GW_NCOUNTERS];
	struct tg_ordermap orders;
	struct gw_match *matches;
	uint64_t match_mask;
	struct tg_rx *rx;
	uint64_t now_mono_ns; /* set per burst / poll: the seqtrack clock */
	uint64_t recv_ts_ns;  /* of the packet being delivered */
	uint64_t last_stats_ns;
	unsigned nsessions;
	unsigned last_session;
	struct gw_session sessions[GW_MAX_SESSIONS];
	/* The framing walk of the packet being handled records where each
	 * block starts, so deliver need not walk the length chain again:
	 * valid while walk_pkt is that packet's data (NULL otherwise). */
	const uint8_t *walk_pkt;
	uint32_t walk_n;
	uint32_t walk_off[GW_WALK_MAX];
	uint8_t type_ctr[256];      /* message type -> counter index, 0 = none */
	uint8_t prefetch_type[256]; /* types that name an order: 1, 2 if it may go */
	uint16_t loc2id[65536];     /* stock locate -> instrument id, GW_NO_ID */
};

/* ---- directory ---------------------------------------------------------- */

static uint16_t instrument_register(struct tg_gateway *gw, uint16_t locate, const char *stock,
                                    bool implicit)
{
	char sym[TG_ITCH_STOCK_LEN + 1];
	tg_itch_stock_str(stock, sym);
	int id = tg_segment_add_instrument(gw->seg, locate, sym);
	if (id < 0) {
		gw->c[TG_GW_DIRECTORY_FULL]++;
		return GW_NO_ID;
	}
	if (gw->loc2id[locate] == GW_NO_ID) {
		gw->loc2id[locate] = (uint16_t)id;
		gw->rings[id] = tg_segment_tick_ring_w(gw->seg, (uint32_t)id);
		gw->c[TG_GW_INSTRUMENTS]++;
		if (implicit)
			gw->c[TG_GW_DIRECTORY_IMPLICIT]++;
	} else {
		struct tg_instrument_info info;
		if (tg_segment_instrument(gw->seg, (uint32_t)id, &info) == 0 &&
		    strcmp(info.symbol, sym) != 0)
			gw->c[TG_GW_DIRECTORY_MISMATCH]++;
	}
	return (uint16_t)id;
}

/* Instrument of `locate`; a message that names its stock registers an
 * instrument the directory ('R') never announced (captures often lack it). */
static inline uint16_t instrument_of(struct tg_gateway *gw, uint16_t locate, const char *stock)
{
	uint16_t id = gw->loc2id[locate];
	if (id == GW_NO_ID && stock)
		id = instrument_register(gw, locate, stock, true);
	return id;
}

/* ---- trades ----------------------------------------------------------- */

/* Rings are written strictly in order, one fresh cache line (or half of
 * one) per record, and the line's previous contents are not in cache: its
 * first store misses, the store buffer drains in order, and every store
 * behind it waits. Asking for the line a few records ahead (with write
 * intent) turns that into a hit. Touches no slot: the protocol is
 * tg_ring_append's. */
#define GW_RING_AHEAD_BYTES 256
static inline void ring_prefetch(const struct tg_ring *r)
{
	uint64_t n = atomic_load_explicit(&r->head, memory_order_relaxed) +
	             GW_RING_AHEAD_BYTES / (r->slot_words * sizeof(uint64_t));
	__builtin_prefetch(&r->slots[(n & (r->capacity - 1)) * r->slot_words], 1);
}

static void trade(struct tg_gateway *gw, uint16_t locate, uint64_t ts_ns, const char *stock,
                  uint32_t price_e4, uint32_t shares, uint8_t side, uint64_t match_no,
                  uint8_t flags)
{
	gw->c[TG_GW_TRADES]++;
	uint16_t id = instrument_of(gw, locate, stock);
	if (id == GW_NO_ID) {
		gw->c[TG_GW_UNKNOWN_INSTRUMENT]++;
		return;
	}
	struct tg_ring *r = gw->rings[id];
	struct tg_tick t = {
	    .seq = atomic_load_explicit(&r->head, memory_order_relaxed), /* own store */
	    .exch_ts_ns = ts_ns,
	    .recv_ts_ns = gw->recv_ts_ns,
	    .match_no = match_no,
	    .price_e4 = price_e4,
	    .shares = shares,
	    .instrument = id,
	    .side = side,
	    .flags = (uint8_t)(flags | gw->cfg.tick_flags),
	};
	uint64_t w[TG_TICK_SLOT_WORDS - 1];
	tg_tick_pack(&t, w);
	uint64_t seq = tg_ring_append(r, w);
	struct tg_arrival a = {
	    .tick_seq = seq, .exch_ts_ns = ts_ns, .instrument = id, .flags = t.flags};
	uint64_t aw[TG_ARRIVAL_SLOT_WORDS - 1];
	tg_arrival_pack(&a, aw);
	tg_ring_append(gw->arrival, aw);
	ring_prefetch(r);
	ring_prefetch(gw->arrival);
	if (match_no) {
		struct gw_match *mm = &gw->matches[match_no & gw->match_mask];
		mm->match_no = match_no;
		mm->seq_instr = seq << 16 | id;
	}
	gw->c[TG_GW_TICKS]++;
}

static void broken(struct tg_gateway *gw, uint64_t ts_ns, uint64_t match_no)
{
	struct gw_match *mm = &gw->matches[match_no & gw->match_mask];
	if (mm->match_no != match_no || match_no == 0) {
		gw->c[TG_GW_BROKEN_UNKNOWN]++;
		return;
	}
	struct tg_arrival a = {.tick_seq = mm->seq_instr >> 16,
	                       .exch_ts_ns = ts_ns,
	                       .instrument = (uint16_t)mm->seq_instr,
	                       .flags = (uint8_t)(TG_TICK_BROKEN | gw->cfg.tick_flags)};
	uint64_t aw[TG_ARRIVAL_SLOT_WORDS - 1];
	tg_arrival_pack(&a, aw);
	tg_ring_append(gw->arrival, aw);
	mm->match_no = 0; /* a trade is broken once */
	gw->c[TG_GW_BROKEN]++;
}

/* The aggressor is the opposite of the resting order's side. */
static inline uint8_t aggressor(uint8_t resting_side)
{
	return resting_side == 'B' ? 'S' : resting_side == 'S' ? 'B' : 0;
}

static inline void reduce(struct tg_gateway *gw, struct tg_order *o, uint32_t shares)
{
	if (shares >= o->shares) {
		if (shares > o->shares)
			gw->c[TG_GW_ORDER_OVERFILL]++;
		tg_ordermap_remove(&gw->orders, o);
	} else {
		o->shares -= shares;
	}
}

/* always_inline: out of line, GCC keeps one copy and the Add path pays a
 * call plus spills around the order-slot load (measured on the fused walk:
 * packets->rings median 28.3 -> 30.8 M msgs/s when inlined). */
__attribute__((always_inline)) static inline void add_order(struct tg_gateway *gw, uint16_t locate,
                                                            uint64_t ref, uint8_t side,
                                                            uint32_t price_e4, uint32_t shares,
                                                            const char *stock)
{
	if (stock)
		instrument_of(gw, locate, stock);
	int rc = tg_ordermap_add(&gw->orders, ref, side, price_e4, shares);
	if (rc == -EEXIST)
		gw->c[TG_GW_DUP_ORDER]++;
	else if (rc == -ERANGE)
		gw->c[TG_GW_BAD_PRICE]++;
	else if (rc < 0)
		gw->c[TG_GW_ORDER_MAP_FULL]++;
}

/* ---- ITCH ------------------------------------------------------------- */

static void count_reject(struct tg_gateway *gw, int err)
{
	switch (err) {
	case TG_WIRE_ETRUNC:
		gw->c[TG_GW_BAD_TRUNCATED]++;
		break;
	case TG_WIRE_ELEN:
		gw->c[TG_GW_BAD_LENGTH]++;
		break;
	case TG_WIRE_ETYPE:
		gw->c[TG_GW_BAD_TYPE]++;
		break;
	case TG_WIRE_EEMPTY:
		gw->c[TG_GW_BAD_EMPTY]++;
		break;
	case TG_WIRE_ETRAIL:
		gw->c[TG_GW_BAD_TRAILING]++;
		break;
	default:
		break;
	}
}

/* The order-book and trade messages are read field by field in place
 * (offsets of the ITCH 5.0 specification, the same wire/itch.h documents;
 * the length check is tg_itch_decode's: a message is exactly its type's
 * length). Everything else goes through tg_itch_decode. This keeps the
 * hot path from filling a 100-byte union per message; the LOBSTER and
 * capture tests compare its results with tg_itch_decode's, field by field. */
/* the body of tg_gateway_itch, inlined into deliver's loop */
__attribute__((always_inline)) static inline void itch_one(struct tg_gateway *gw, const uint8_t *p,
                                                           uint32_t len)
{
	gw->c[TG_GW_MESSAGES]++;
	uint8_t type = len ? p[0] : 0;
	if (len == 0 || tg_itch_len(type) != len) {
		struct tg_itch_msg m;
		int rc = tg_itch_decode(p, len, &m); /* fails: gives the reason */
		gw->c[TG_GW_MALFORMED_MSGS]++;
		count_reject(gw, rc < 0 ? rc : TG_WIRE_ELEN);
		return;
	}
	gw->c[gw->type_ctr[type]]++;
	uint16_t locate = tg_be16(p + 1);
	struct tg_order *o;
	switch (type) {
	case TG_ITCH_ADD_ORDER:
	case TG_ITCH_ADD_ORDER_MPID: /* ref 11, side 19, shares 20, stock 24, price 32 */
		add_order(gw, locate, tg_be64(p + 11), p[19], tg_be32(p + 32), tg_be32(p + 20),
		          (const char *)p + 24);
		break;
	case TG_ITCH_ORDER_EXECUTED: { /* ref 11, shares 19, match 23 */
		o = tg_ordermap_find(&gw->orders, tg_be64(p + 11));
		if (!o) { /* 'E' has no price: without the order there is no trade to print */
			gw->c[TG_GW_UNKNOWN_ORDER]++;
			gw->c[TG_GW_UNPRICED_EXEC]++;
			break;
		}
		uint32_t shares = tg_be32(p + 19);
		trade(gw, locate, tg_be48(p + 5), NULL, tg_order_price_e4(o), shares,
		      aggressor(tg_order_side(o)), tg_be64(p + 23), 0);
		reduce(gw, o, shares);
		break;
	}
	case TG_ITCH_ORDER_EXECUTED_PRICE: { /* ref 11, shares 19, match 23, printable 31, price 32 */
		o = tg_ordermap_find(&gw->orders, tg_be64(p + 11));
		uint32_t shares = tg_be32(p + 19);
		if (!o)
			gw->c[TG_GW_UNKNOWN_ORDER]++;
		if (p[31] == 'Y')
			trade(gw, locate, tg_be48(p + 5), NULL, tg_be32(p + 32), shares,
			      o ? aggressor(tg_order_side(o)) : 0, tg_be64(p + 23), TG_TICK_WITHPX);
		else
			gw->c[TG_GW_NONPRINTABLE]++;
		if (o)
			reduce(gw, o, shares);
		break;
	}
	case TG_ITCH_ORDER_CANCEL: /* ref 11, cancelled shares 19 */
		o = tg_ordermap_find(&gw->orders, tg_be64(p + 11));
		if (o)
			reduce(gw, o, tg_be32(p + 19));
		else
			gw->c[TG_GW_UNKNOWN_ORDER]++;
		break;
	case TG_ITCH_ORDER_DELETE: /* ref 11 */
		o = tg_ordermap_find(&gw->orders, tg_be64(p + 11));
		if (o)
			tg_ordermap_remove(&gw->orders, o);
		else
			gw->c[TG_GW_UNKNOWN_ORDER]++;
		break;
	case TG_ITCH_ORDER_REPLACE: { /* orig 11, new 19, shares 27, price 31 */
		o = tg_ordermap_find(&gw->orders, tg_be64(p + 11));
		if (!o) {
			gw->c[TG_GW_UNKNOWN_ORDER]++;
			break;
		}
		uint8_t side = tg_order_side(o);
		tg_ordermap_remove(&gw->orders, o);
		add_order(gw, locate, tg_be64(p + 19), side, tg_be32(p + 31), tg_be32(p + 27),
		          NULL);
		break;
	}
	case TG_ITCH_TRADE: /* ref 11, side 19, shares 20, stock 24, price 32, match 36 */
		trade(gw, locate, tg_be48(p + 5), (const char *)p + 24, tg_be32(p + 32),
		      tg_be32(p + 20), aggressor(p[19]), tg_be64(p + 36), TG_TICK_HIDDEN);
		break;
	case TG_ITCH_CROSS_TRADE: { /* shares(8) 11, stock 19, price 27, match 31 */
		uint64_t shares = tg_be64(p + 11);
		if (shares == 0) {
			gw->c[TG_GW_CROSS_ZERO]++;
			break;
		}
		trade(gw, locate, tg_be48(p + 5), (const char *)p + 19, tg_be32(p + 27),
		      shares > UINT32_MAX ? UINT32_MAX : (uint32_t)shares, 0, tg_be64(p + 31),
		      TG_TICK_CROSS);
		break;
	}
	case TG_ITCH_BROKEN_TRADE: /* match 11 */
		broken(gw, tg_be48(p + 5), tg_be64(p + 11));
		break;
	case TG_ITCH_STOCK_DIRECTORY: { /* stock 11 */
		struct tg_itch_msg m;
		if (tg_itch_decode(p, len, &m) > 0)
			instrument_register(gw, m.stock_locate, m.u.stock_directory.stock, false);
		break;
	}
	default: /* counted by type; nothing else to do for the book */
		break;
	}
}

void tg_gateway_itch(struct tg_gateway *gw, const uint8_t *p, uint32_t len, uint64_t recv_ts_ns)
{
	gw->recv_ts_ns = recv_ts_ns;
	itch_one(gw, p, len);
}

/* ---- MoldUDP64 ---------------------------------------------------------- */

/* A F E C X D U carry their order reference right after the common header.
 * always_inline is load-bearing: out of line, GCC's pure-const pass finds
 * the function free of side effects (a prefetch is none) and deletes every
 * call, prefetch and all. */
__attribute__((always_inline)) static inline void prefetch_order(const struct tg_gateway *gw,
                                                                 const uint8_t *msg, uint16_t len)
{
	if (len < TG_ITCH_HDR_BYTES + 8)
		return;
	uint8_t kind = gw->prefetch_type[msg[0]];
	if (!kind)
		return;
	const struct tg_ordermap *m = &gw->orders;
	uint64_t home = tg_ordermap_home(m, tg_be64(msg + TG_ITCH_HDR_BYTES));
	__builtin_prefetch(&m->slots[home]);
	/* a removal reads the slot after the order's (backward shift): the
	 * next cache line when the order's slot ends its line */
	uint64_t next = (home + 1) & m->mask;
	if (kind == 2 && (next & (64 / sizeof(struct tg_order) - 1)) == 0)
		__builtin_prefetch(&m->slots[next]);
}

/* Messages skip.. of a packet whose framing tg_gateway_packet has checked
 * (so the blocks are walked here without checks). A second cursor runs
 * GW_PREFETCH_AHEAD messages ahead and prefetches the order-map slot each
 * of them names, so the book's cache misses (one per Add on a sparse feed)
 * overlap instead of queueing one by one. A buffered packet's
 * messages carry the receive time of the packet that released them.
 * When pkt is the packet tg_gateway_packet just walked (walk_pkt), its
 * block offsets are reused and its first GW_PREFETCH_AHEAD prefetches
 * were already issued during that walk; otherwise (a packet released from
 * the seqtrack pool, or more than GW_WALK_MAX messages) the blocks are
 * walked again here. */
static void deliver(void *ctx, const uint8_t *pkt, uint32_t len, uint64_t seq, uint32_t count,
                    uint32_t skip)
{
	struct gw_session *s = ctx;
	struct tg_gateway *gw = s->gw;
	(void)seq;
	(void)len;
	if (pkt == gw->walk_pkt && count == gw->walk_n) {
		/* the framing walk's offsets: no length chain to follow */
		const uint32_t *off = gw->walk_off;
		uint32_t a = skip > GW_PREFETCH_AHEAD ? skip : GW_PREFETCH_AHEAD; /* walk did < */
		for (; a < count && a < skip + GW_PREFETCH_AHEAD; a++)
			prefetch_order(gw, pkt + off[a] + 2, tg_be16(pkt + off[a]));
		for (uint32_t i = skip; i < count; i++) {
			if (a < count) {
				prefetch_order(gw, pkt + off[a] + 2, tg_be16(pkt + off[a]));
				a++;
			}
			const uint8_t *p = pkt + off[i];
			itch_one(gw, p + 2, tg_be16(p)); /* recv_ts_ns: the packet's */
		}
		return;
	}
	const uint8_t *p = pkt + TG_MOLD_HDR_BYTES, *ahead = p;
	uint32_t a = 0;
	for (; a < count && a < skip + GW_PREFETCH_AHEAD; a++) {
		if (a >= skip)
			prefetch_order(gw, ahead + 2, tg_be16(ahead));
		ahead += 2 + (size_t)tg_be16(ahead);
	}
	for (uint32_t i = 0; i < count; i++) {
		if (a < count) {
			uint16_t alen = tg_be16(ahead);
			prefetch_order(gw, ahead + 2, alen);
			ahead += 2 + (size_t)alen;
			a++;
		}
		uint16_t mlen = tg_be16(p);
		if (i >= skip)
			tg_gateway_itch(gw, p + 2, mlen, gw->recv_ts_ns);
		p += 2 + (size_t)mlen;
	}
}

static int request(void *ctx, uint64_t seq, uint32_t count)
{
	struct gw_session *s = ctx;
	if (!s->gw->rx)
		return -ENOTSUP;
	struct tg_mold_request r = {.seq = seq, .count = (uint16_t)count};
	memcpy(r.session, s->id, sizeof(r.session));
	uint8_t buf[TG_MOLD_REQUEST_BYTES];
	int n = tg_mold_request_encode(&r, buf, sizeof(buf));
	if (n < 0)
		return n;
	return tg_rx_send(s->gw->rx, buf, (size_t)n);
}

static void on_lost(void *ctx, uint64_t seq, uint64_t count)
{
	struct gw_session *s = ctx;
	struct tg_gateway *gw = s->gw;
	if (gw->cfg.on_event) {
		char id[TG_MOLD_SESSION_LEN + 1];
		memcpy(id, s->id, TG_MOLD_SESSION_LEN);
		id[TG_MOLD_SESSION_LEN] = 0;
		gw->cfg.on_event(gw->cfg.event_ctx, TG_GW_EV_LOST, id, seq, count);
	}
}

static struct gw_session *session_of(struct tg_gateway *gw, const char id[TG_MOLD_SESSION_LEN])
{
	struct gw_session *s = &gw->sessions[gw->last_session];
	if (gw->nsessions && !memcmp(s->id, id, TG_MOLD_SESSION_LEN))
		return s;
	for (unsigned i = 0; i < gw->nsessions; i++)
		if (!memcmp(gw->sessions[i].id, id, TG_MOLD_SESSION_LEN)) {
			gw->last_session = i;
			return &gw->sessions[i];
		}
	if (gw->nsessions == GW_MAX_SESSIONS)
		return NULL;
	/* a new session: once per session, so allocating here is fine */
	s = &gw->sessions[gw->nsessions];
	s->gw = gw;
	memcpy(s->id, id, TG_MOLD_SESSION_LEN);
	struct tg_seqtrack_ops ops = {
	    .deliver = deliver, .request = request, .on_lost = on_lost, .ctx = s};
	if (tg_seqtrack_init(&s->t, &gw->cfg.seq, &ops) < 0)
		return NULL;
	gw->last_session = gw->nsessions++;
	gw->c[TG_GW_SESSIONS]++;
	if (gw->cfg.on_event) {
		char sid[TG_MOLD_SESSION_LEN + 1];
		memcpy(sid, id, TG_MOLD_SESSION_LEN);
		sid[TG_MOLD_SESSION_LEN] = 0;
		gw->cfg.on_event(gw->cfg.event_ctx, TG_GW_EV_NEW_SESSION, sid, 0, 0);
	}
	return s;
}

void tg_gateway_packet(struct tg_gateway *gw, const struct tg_rx_pkt *pkt)
{
	gw->c[TG_GW_PACKETS]++;
	gw->c[TG_GW_BYTES] += pkt->len;
	if (pkt->kind == TG_RX_ITCH) {
		tg_gateway_itch(gw, pkt->data, pkt->len, pkt->recv_ts_ns);
		return;
	}
	/* Check the framing of the whole packet before it is tracked: a
	 * malformed packet is dropped as a whole, so its messages become a
	 * gap that retransmission can fill with a good copy. The walk also
	 * records each block's offset for deliver and issues the first
	 * GW_PREFETCH_AHEAD order-slot prefetches (deliver keeps the rest
	 * that far ahead), so a packet's first messages do not start cold.
	 * The walk below is a chain of dependent loads (each block's length
	 * says where the next one starts) over a buffer fresh from the NIC:
	 * ask for all of its cache lines at once so the chain does not miss
	 * line after line. */
	for (uint32_t off = 0; off < pkt->len; off += 64)
		__builtin_prefetch(pkt->data + off);
	struct tg_mold_walk w;
	struct tg_mold_header h;
	int rc = tg_mold_walk_init(&w, pkt->data, pkt->len, &h);
	if (rc == 0 && tg_mold_msg_count(&h)) {
		/* the block walk of tg_mold_walk_next, inline: same checks,
		 * same reasons (a 2-byte length, then that many bytes) */
		const uint8_t *p = w.p, *end = w.end;
		bool rec = h.count <= GW_WALK_MAX;
		for (uint32_t i = 0; i < h.count && rc == 0; i++) {
			if (end - p < 2) {
				rc = TG_WIRE_ETRUNC;
			} else {
				uint16_t mlen = tg_be16(p);
				if ((size_t)(end - p) - 2 < mlen)
					rc = TG_WIRE_ETRUNC;
				if (rec)
					gw->walk_off[i] = (uint32_t)(p - pkt->data);
				/* the first order-slot prefetches start here, so
				 * they overlap the rest of this walk */
				if (rc == 0 && i < GW_PREFETCH_AHEAD)
					prefetch_order(gw, p + 2, mlen);
				p += 2 + (size_t)mlen;
			}
		}
		if (rc == 0 && p != end)
			rc = TG_WIRE_ETRAIL;
		if (rc == 0 && rec) {
			gw->walk_pkt = pkt->data;
			gw->walk_n = h.count;
		}
	}
	if (rc < 0) {
		gw->c[TG_GW_MALFORMED_PACKETS]++;
		count_reject(gw, rc);
		return;
	}
	gw->recv_ts_ns = pkt->recv_ts_ns;
	if (h.seq == 0) { /* MoldUDP64 counts from 1: 0 means unsequenced */
		gw->c[TG_GW_UNSEQUENCED_PACKETS]++;
		if (tg_mold_msg_count(&h)) {
			struct gw_session tmp = {.gw = gw};
			deliver(&tmp, pkt->data, pkt->len, 0, h.count, 0);
		}
		gw->walk_pkt = NULL;
		return;
	}
	struct gw_session *s = session_of(gw, h.session);
	if (!s) {
		gw->c[TG_GW_SESSION_OVERFLOW]++;
		gw->walk_pkt = NULL;
		return;
	}
	tg_seqtrack_packet(&s->t, h.seq, h.count, pkt->data, pkt->len, gw->now_mono_ns);
	gw->walk_pkt = NULL;
}

/* ---- timers, counters, lifecycle -------------------------------------- */

static void sum_seq_stats(struct tg_gateway *gw)
{
	struct tg_seqtrack_stats sum = {0};
	uint64_t pending = 0;
	for (unsigned i = 0; i < gw->nsessions; i++) {
		const struct tg_seqtrack_stats *s = &gw->sessions[i].t.st;
		sum.heartbeats += s->heartbeats;
		sum.end_of_session += s->end_of_session;
		sum.gaps += s->gaps;
		sum.gap_msgs += s->gap_msgs;
		sum.gaps_recovered += s->gaps_recovered;
		sum.recovered_msgs += s->recovered_msgs;
		sum.gaps_unrecovered += s->gaps_unrecovered;
		sum.lost_msgs += s->lost_msgs;
		sum.reordered_pkts += s->reordered_pkts;
		sum.reordered_msgs += s->reordered_msgs;
		sum.dup_packets += s->dup_packets;
		sum.dup_msgs += s->dup_msgs;
		sum.requests += s->requests;
		sum.request_errors += s->request_errors;
		sum.buffer_overflow += s->buffer_overflow;
		pending += tg_seqtrack_pending(&gw->sessions[i].t);
	}
	uint64_t *c = gw->c;
	c[TG_GW_HEARTBEATS] = sum.heartbeats;
	c[TG_GW_END_OF_SESSION] = sum.end_of_session;
	c[TG_GW_GAPS] = sum.gaps;
	c[TG_GW_GAP_MSGS] = sum.gap_msgs;
	c[TG_GW_RECOVERED] = sum.gaps_recovered;
	c[TG_GW_RECOVERED_MSGS] = sum.recovered_msgs;
	c[TG_GW_UNRECOVERED] = sum.gaps_unrecovered;
	c[TG_GW_LOST_MSGS] = sum.lost_msgs;
	c[TG_GW_REORDERED_PKTS] = sum.reordered_pkts;
	c[TG_GW_REORDERED_MSGS] = sum.reordered_msgs;
	c[TG_GW_DUP_PACKETS] = sum.dup_packets;
	c[TG_GW_DUP_MSGS] = sum.dup_msgs;
	c[TG_GW_REQUESTS] = sum.requests;
	c[TG_GW_REQUEST_ERRORS] = sum.request_errors;
	c[TG_GW_REORDER_OVERFLOW] = sum.buffer_overflow;
	c[TG_GW_PENDING_MSGS] = pending;
	c[TG_GW_ORDERS_LIVE] = gw->orders.count;
}

static void rx_stats(struct tg_gateway *gw)
{
	if (!gw->rx)
		return;
	struct tg_rx_stats st;
	tg_rx_stats(gw->rx, &st);
	gw->c[TG_GW_RX_KERNEL_DROPS] = st.rx_kernel_drops;
	gw->c[TG_GW_RX_TRUNCATED] = st.rx_truncated;
	gw->c[TG_GW_RX_NO_BUFFERS] = st.rx_no_buffers;
	gw->c[TG_GW_RX_ERRORS] = st.rx_errors;
	gw->c[TG_GW_FILE_SKIPPED] = st.file_skipped;
	gw->c[TG_GW_FILE_LEN_FIXED] = st.file_len_fixed;
}

void tg_gateway_publish(struct tg_gateway *gw)
{
	sum_seq_stats(gw);
	for (unsigned i = 0; i < TG_GW_NCOUNTERS; i++)
		/* relaxed: a counter is a statistic and orders nothing */
		atomic_store_explicit(gw->shm_ctr[i], gw->c[i], memory_order_relaxed);
	tg_segment_heartbeat(gw->seg);
}

uint64_t tg_gateway_poll(struct tg_gateway *gw, uint64_t now_mono_ns)
{
	gw->now_mono_ns = now_mono_ns;
	uint64_t next = UINT64_MAX;
	for (unsigned i = 0; i < gw->nsessions; i++) {
		struct gw_session *s = &gw->sessions[i];
		uint64_t n = tg_seqtrack_poll(&s->t, now_mono_ns);
		if (n < next)
			next = n;
		if (!s->end_reported && tg_seqtrack_done(&s->t)) {
			s->end_reported = true;
			if (gw->cfg.on_event) {
				char sid[TG_MOLD_SESSION_LEN + 1];
				memcpy(sid, s->id, TG_MOLD_SESSION_LEN);
				sid[TG_MOLD_SESSION_LEN] = 0;
				gw->cfg.on_event(gw->cfg.event_ctx, TG_GW_EV_SESSION_END, sid,
				                 s->t.end_seq, 0);
			}
		}
	}
	if (now_mono_ns - gw->last_stats_ns >= GW_STATS_EVERY) {
		gw->last_stats_ns = now_mono_ns;
		rx_stats(gw);
	}
	tg_gateway_publish(gw);
	return next;
}

void tg_gateway_flush(struct tg_gateway *gw)
{
	for (unsigned i = 0; i < gw->nsessions; i++)
		tg_seqtrack_flush(&gw->sessions[i].t);
	rx_stats(gw);
	tg_gateway_publish(gw);
}

bool tg_gateway_done(const struct tg_gateway *gw)
{
	if (!gw->nsessions)
		return false;
	for (unsigned i = 0; i < gw->nsessions; i++)
		if (!tg_seqtrack_done(&gw->sessions[i].t))
			return false;
	return true;
}

uint64_t tg_gateway_counter(struct tg_gateway *gw, enum tg_gw_counter c)
{
	sum_seq_stats(gw);
	return (unsigned)c < TG_GW_NCOUNTERS ? gw->c[c] : 0;
}

struct tg_segment *tg_gateway_segment(struct tg_gateway *gw)
{
	return gw->seg;
}

void tg_gateway_set_rx(struct tg_gateway *gw, struct tg_rx *rx)
{
	gw->rx = rx;
}

int tg_gateway_run(struct tg_gateway *gw, struct tg_rx *rx, const atomic_bool *stop)
{
	struct tg_rx_pkt pkts[64];
	uint64_t wait_ns = 0;
	tg_gateway_set_rx(gw, rx);
	while (!atomic_load_explicit(stop, memory_order_relaxed)) {
		/* wake at least every 50 ms: heartbeat, stop flag, stats */
		uint64_t timeout = wait_ns < 50000000ull ? wait_ns : 50000000ull;
		int n = tg_rx_recv_burst(rx, pkts, TG_ARRAY_SIZE(pkts), timeout ? timeout : 1);
		if (n == -ENODATA) {
			tg_gateway_flush(gw);
			return 0;
		}
		if (n < 0 && n != -EINTR)
			return n;
		gw->now_mono_ns = tg_monotonic_ns();
		for (int i = 0; i < n; i++)
			tg_gateway_packet(gw, &pkts[i]);
		if (n > 0)
			tg_rx_release_burst(rx, pkts, (unsigned)n);
		wait_ns = tg_gateway_poll(gw, gw->now_mono_ns);
		if (gw->cfg.on_burst)
			gw->cfg.on_burst(gw->cfg.burst_ctx, gw, rx);
		if (tg_gateway_done(gw))
			return 0;
	}
	return 0;
}

/* Map every page of a ring now (MADV_POPULATE_WRITE, Linux >= 5.14; older
 * kernels refuse and the pages fault in later), so the hot path never
 * takes a page fault on its first visit to a slot. */
static void prefault(const void *p, size_t bytes)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p & ~(page - 1);
	uintptr_t e = ((uintptr_t)p + bytes + page - 1) & ~(page - 1);
	madvise((void *)a, e - a, MADV_POPULATE_WRITE);
}

static void prefault_ring(const struct tg_ring *r)
{
	prefault(r, sizeof(*r) + r->capacity * r->slot_words * sizeof(uint64_t));
}

int tg_gateway_create(const struct tg_gateway_config *cfg, struct tg_gateway **out)
{
	struct tg_gateway *gw = calloc(1, sizeof(*gw));
	if (!gw)
		return -ENOMEM;
	gw->cfg = *cfg;
	if (!gw->cfg.segment)
		gw->cfg.segment = "ticks";
	if (!gw->cfg.instruments)
		gw->cfg.instruments = 256;
	if (!gw->cfg.ring_slots)
		gw->cfg.ring_slots = 4096;
	if (!gw->cfg.arrival_slots)
		gw->cfg.arrival_slots = 1u << 20;
	if (!gw->cfg.orders)
		gw->cfg.orders = 2u << 20;
	if (!gw->cfg.match_slots)
		gw->cfg.match_slots = 1u << 20;
	int rc = -EINVAL;
	if (gw->cfg.match_slots & (gw->cfg.match_slots - 1) || gw->cfg.instruments > 65535)
		goto fail_cfg;
	memset(gw->loc2id, 0xff, sizeof(gw->loc2id));
	static const struct {
		uint8_t type;
		uint8_t ctr;
	} types[] = {
	    {'S', TG_GW_MSG_S}, {'R', TG_GW_MSG_R}, {'H', TG_GW_MSG_H}, {'Y', TG_GW_MSG_Y},
	    {'L', TG_GW_MSG_L}, {'V', TG_GW_MSG_V}, {'W', TG_GW_MSG_W}, {'K', TG_GW_MSG_K},
	    {'J', TG_GW_MSG_J}, {'h', TG_GW_MSG_h}, {'A', TG_GW_MSG_A}, {'F', TG_GW_MSG_F},
	    {'E', TG_GW_MSG_E}, {'C', TG_GW_MSG_C}, {'X', TG_GW_MSG_X}, {'D', TG_GW_MSG_D},
	    {'U', TG_GW_MSG_U}, {'P', TG_GW_MSG_P}, {'Q', TG_GW_MSG_Q}, {'B', TG_GW_MSG_B},
	    {'I', TG_GW_MSG_I}, {'N', TG_GW_MSG_N}, {'O', TG_GW_MSG_O},
	};
	/* index 0 (packets) is never a type: unknown types land on BAD_TYPE
	 * before this table is used, so 0 stays unused */
	for (unsigned i = 0; i < TG_ARRAY_SIZE(types); i++)
		gw->type_ctr[types[i].type] = types[i].ctr;
	for (const char *t = "AFECXDU"; *t; t++) /* 2: may remove the order */
		gw->prefetch_type[(uint8_t)*t] = *t == 'A' || *t == 'F' ? 1 : 2;
	rc = tg_ordermap_create(&gw->orders, gw->cfg.orders);
	if (rc < 0)
		goto fail_cfg;
	rc = -ENOMEM;
	gw->matches = malloc(gw->cfg.match_slots * sizeof(*gw->matches));
	if (!gw->matches)
		goto fail_orders;
	/* written now, so the hot path never faults a fresh page in */
	memset(gw->matches, 0, gw->cfg.match_slots * sizeof(*gw->matches));
	gw->match_mask = gw->cfg.match_slots - 1;
	gw->rings = calloc(gw->cfg.instruments, sizeof(*gw->rings));
	if (!gw->rings)
		goto fail_matches;
	struct tg_segment_config sc = {
	    .name = gw->cfg.segment,
	    .kind = TG_SEG_TICKS,
	    .instruments = gw->cfg.instruments,
	    .ring_slots = gw->cfg.ring_slots,
	    .arrival_slots = gw->cfg.arrival_slots,
	    .counters = TG_GW_NCOUNTERS,
	    .counter_names = counter_names,
	    .dir = gw->cfg.segment_dir,
	};
	rc = tg_segment_create(&sc, &gw->seg);
	if (rc < 0)
		goto fail_rings;
	gw->arrival = tg_segment_arrival_ring_w(gw->seg);
	prefault_ring(gw->arrival);
	for (uint32_t i = 0; i < gw->cfg.instruments; i++)
		prefault_ring(tg_segment_tick_ring_w(gw->seg, i));
	for (unsigned i = 0; i < TG_GW_NCOUNTERS; i++)
		gw->shm_ctr[i] = tg_segment_counter_w(gw->seg, i);
	tg_segment_publish(gw->seg);
	tg_gateway_publish(gw);
	*out = gw;
	return 0;
fail_rings:
	free(gw->rings);
fail_matches:
	free(gw->matches);
fail_orders:
	tg_ordermap_destroy(&gw->orders);
fail_cfg:
	free(gw);
	return rc;
}

void tg_gateway_destroy(struct tg_gateway *gw, bool unlink_it)
{
	if (!gw)
		return;
	for (unsigned i = 0; i < gw->nsessions; i++)
		tg_seqtrack_fini(&gw->sessions[i].t);
	tg_segment_destroy(gw->seg, unlink_it);
	free(gw->rings);
	free(gw->matches);
	tg_ordermap_destroy(&gw->orders);
	free(gw);
}
