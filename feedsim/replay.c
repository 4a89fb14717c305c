/* replay.c - turns a source or a file into the ITCH message stream feedsim
 * sends (the mapping is specified in replay.h). Messages are encoded one at
 * a time into a small buffer with wire/'s encoder, so a whole day never has
 * to exist as ITCH bytes twice. */
#include "feedsim/replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feedsim/source_impl.h"
#include "wire/binfile.h"
#include "wire/itch.h"
#include "wire/moldudp64.h"
#include "wire/pcap.h"

enum { R_SOURCE = 1, R_BINFILE = 2, R_PCAP = 3 };
enum { P_START, P_DIR, P_HOURS, P_EVENTS, P_CLOSE, P_END, P_DONE };

struct tg_replay {
	int kind;
	int err;
	struct tg_replay_stats st;
	uint8_t buf[TG_ITCH_MAX_BYTES];
	/* source */
	struct tg_source *src;
	int style;
	int phase;
	uint64_t idx;
	int half; /* trades as A+E: 0 = Add next, 1 = Execute next */
	uint64_t first_ts, last_ts;
	/* files */
	struct tg_binfile bf;
	struct tg_pcap_reader pr;
	struct tg_mold_walk walk;
	int in_packet;
};

int tg_replay_open_source(struct tg_source *src, int trade_style, struct tg_replay **out)
{
	struct tg_replay *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->kind = R_SOURCE;
	r->src = src;
	r->style = trade_style;
	if (src->kind == TG_SOURCE_LOBSTER && src->nevents) {
		r->first_ts = src->events[0].ts_ns;
		r->last_ts = src->events[src->nevents - 1].ts_ns;
	} else if (src->ntrades) {
		r->first_ts = src->trades[0].exch_ts_ns;
		r->last_ts = src->trades[src->ntrades - 1].exch_ts_ns;
	}
	*out = r;
	return 0;
}

int tg_replay_open_binfile(const char *path, struct tg_replay **out)
{
	struct tg_replay *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	int rc = tg_binfile_open(&r->bf, path);
	if (rc) {
		free(r);
		return rc;
	}
	r->kind = R_BINFILE;
	*out = r;
	return 0;
}

int tg_replay_open_pcap(const char *path, struct tg_replay **out)
{
	struct tg_replay *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	int rc = tg_pcap_open(&r->pr, path);
	if (rc) {
		free(r);
		return rc;
	}
	r->kind = R_PCAP;
	*out = r;
	return 0;
}

void tg_replay_close(struct tg_replay *r)
{
	if (!r)
		return;
	if (r->kind == R_BINFILE)
		tg_binfile_close(&r->bf);
	if (r->kind == R_PCAP)
		tg_pcap_close(&r->pr);
	free(r);
}

uint64_t tg_replay_total(const struct tg_replay *r)
{
	if (r->kind != R_SOURCE)
		return 0;
	const struct tg_source *s = r->src;
	uint64_t body = s->kind == TG_SOURCE_LOBSTER     ? s->nevents
	                : r->style == TG_REPLAY_TRADES_P ? s->ntrades
	                                                 : 2 * s->ntrades;
	return 4 + s->ninst + body;
}

void tg_replay_get_stats(const struct tg_replay *r, struct tg_replay_stats *st)
{
	*st = r->st;
}

static void hdr(struct tg_itch_msg *m, uint8_t type, uint16_t locate, uint64_t ts)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->stock_locate = locate;
	m->ts_ns = ts;
}

static void system_event(struct tg_itch_msg *m, char code, uint64_t ts)
{
	hdr(m, TG_ITCH_SYSTEM_EVENT, 0, ts);
	m->u.system_event.event_code = code;
}

static void directory(struct tg_replay *r, struct tg_itch_msg *m, uint32_t i)
{
	struct tg_itch_stock_directory *d = &m->u.stock_directory;
	hdr(m, TG_ITCH_STOCK_DIRECTORY, (uint16_t)(i + 1), r->first_ts);
	tg_itch_stock_set(d->stock, r->src->symbols[i]);
	d->market_category = 'Q';
	d->financial_status = 'N';
	d->round_lot_size = 100;
	d->round_lots_only = 'N';
	d->issue_classification = 'C';
	d->issue_subtype[0] = 'Z';
	d->issue_subtype[1] = ' ';
	d->authenticity = r->src->kind == TG_SOURCE_SYNTH ? 'T' : 'P';
	d->short_sale_threshold = 'N';
	d->ipo_flag = 'N';
	d->luld_ref_price_tier = '1';
	d->etp_flag = 'N';
	d->etp_leverage_factor = 0;
	d->inverse_indicator = 'N';
}

static void lobster_event(struct tg_replay *r, struct tg_itch_msg *m, const struct tg_lob_event *e)
{
	const struct tg_source *s = r->src;
	uint16_t loc = (uint16_t)(e->instrument + 1);
	const char *sym = s->symbols[e->instrument];
	switch (e->type) {
	case TG_LOB_ADD:
	case TG_LOB_SYNTH_ADD:
		hdr(m, TG_ITCH_ADD_ORDER, loc, e->ts_ns);
		m->u.add_order.order_ref = e->order_id;
		m->u.add_order.side = e->dir > 0 ? 'B' : 'S';
		m->u.add_order.shares = e->shares;
		tg_itch_stock_set(m->u.add_order.stock, sym);
		m->u.add_order.price_e4 = (uint32_t)e->price_e4;
		break;
	case TG_LOB_CANCEL:
		hdr(m, TG_ITCH_ORDER_CANCEL, loc, e->ts_ns);
		m->u.order_cancel.order_ref = e->order_id;
		m->u.order_cancel.shares = e->shares;
		break;
	case TG_LOB_DELETE:
		hdr(m, TG_ITCH_ORDER_DELETE, loc, e->ts_ns);
		m->u.order_delete.order_ref = e->order_id;
		break;
	case TG_LOB_EXEC:
		hdr(m, TG_ITCH_ORDER_EXECUTED, loc, e->ts_ns);
		m->u.order_executed.order_ref = e->order_id;
		m->u.order_executed.shares = e->shares;
		m->u.order_executed.match_no = s->trades[e->trade].match_no;
		break;
	case TG_LOB_HIDDEN:
		hdr(m, TG_ITCH_TRADE, loc, e->ts_ns);
		m->u.trade.order_ref = e->order_id;
		m->u.trade.side = e->dir > 0 ? 'B' : 'S';
		m->u.trade.shares = e->shares;
		tg_itch_stock_set(m->u.trade.stock, sym);
		m->u.trade.price_e4 = (uint32_t)e->price_e4;
		m->u.trade.match_no = s->trades[e->trade].match_no;
		break;
	default: /* TG_LOB_HALT */
		hdr(m, TG_ITCH_TRADING_ACTION, loc, e->ts_ns);
		tg_itch_stock_set(m->u.trading_action.stock, sym);
		m->u.trading_action.trading_state = e->price_e4 < 0    ? 'H'
		                                    : e->price_e4 == 0 ? 'Q'
		                                                       : 'T';
		m->u.trading_action.reserved = ' ';
		memcpy(m->u.trading_action.reason, "    ", 4);
		break;
	}
}

/* Trades as A+E (half 0, 1) or P. Order refs: trade index + 1. */
static void trade_msg(struct tg_replay *r, struct tg_itch_msg *m, const struct tg_trade *t)
{
	char resting = t->side == 'B' ? 'S' : 'B';
	if (r->style == TG_REPLAY_TRADES_P) {
		hdr(m, TG_ITCH_TRADE, t->locate, t->exch_ts_ns);
		m->u.trade.order_ref = 0;
		m->u.trade.side = resting;
		m->u.trade.shares = t->shares;
		tg_itch_stock_set(m->u.trade.stock, t->symbol);
		m->u.trade.price_e4 = t->price_e4;
		m->u.trade.match_no = t->match_no;
	} else if (r->half == 0) {
		hdr(m, TG_ITCH_ADD_ORDER, t->locate, t->exch_ts_ns);
		m->u.add_order.order_ref = r->idx + 1;
		m->u.add_order.side = resting;
		m->u.add_order.shares = t->shares;
		tg_itch_stock_set(m->u.add_order.stock, t->symbol);
		m->u.add_order.price_e4 = t->price_e4;
	} else {
		hdr(m, TG_ITCH_ORDER_EXECUTED, t->locate, t->exch_ts_ns);
		m->u.order_executed.order_ref = r->idx + 1;
		m->u.order_executed.shares = t->shares;
		m->u.order_executed.match_no = t->match_no;
	}
}

/* Fill m with the next message of a source stream; 0 at the end. */
static int source_next(struct tg_replay *r, struct tg_itch_msg *m)
{
	struct tg_source *s = r->src;
	for (;;) {
		switch (r->phase) {
		case P_START:
			system_event(m, 'O', r->first_ts);
			r->phase = P_DIR;
			r->idx = 0;
			return 1;
		case P_DIR:
			if (r->idx < s->ninst) {
				directory(r, m, (uint32_t)r->idx++);
				return 1;
			}
			r->phase = P_HOURS;
			continue;
		case P_HOURS:
			system_event(m, 'Q', r->first_ts);
			r->phase = P_EVENTS;
			r->idx = 0;
			return 1;
		case P_EVENTS:
			if (s->kind == TG_SOURCE_LOBSTER) {
				if (r->idx < s->nevents) {
					lobster_event(r, m, &s->events[r->idx++]);
					return 1;
				}
			} else if (r->idx < s->ntrades) {
				trade_msg(r, m, &s->trades[r->idx]);
				if (r->style == TG_REPLAY_TRADES_P || r->half == 1) {
					r->half = 0;
					r->idx++;
				} else {
					r->half = 1;
				}
				return 1;
			}
			r->phase = P_CLOSE;
			continue;
		case P_CLOSE:
			system_event(m, 'M', r->last_ts);
			r->phase = P_END;
			return 1;
		case P_END:
			system_event(m, 'E', r->last_ts);
			r->phase = P_DONE;
			return 1;
		default:
			return 0;
		}
	}
}

static int file_next(struct tg_replay *r, const uint8_t **msg, size_t *len)
{
	if (r->kind == R_BINFILE) {
		int rc = tg_binfile_next(&r->bf, msg, len);
		r->st.zero_len_fixed = r->bf.zero_len_fixed;
		return rc;
	}
	for (;;) {
		if (r->in_packet) {
			uint16_t l;
			uint64_t seq;
			int rc = tg_mold_walk_next(&r->walk, msg, &l, &seq);
			if (rc > 0) {
				*len = l;
				return 1;
			}
			if (rc < 0)
				r->st.bad_records++;
			r->in_packet = 0;
		}
		struct tg_udp_datagram d;
		int rc = tg_pcap_next(&r->pr, &d);
		if (rc <= 0)
			return rc;
		struct tg_mold_header h;
		if (tg_mold_walk_init(&r->walk, d.payload, d.len, &h)) {
			r->st.skipped_packets++;
			continue;
		}
		r->in_packet = 1;
	}
}

int tg_replay_next(struct tg_replay *r, const uint8_t **msg, uint64_t *ts_ns)
{
	if (r->err)
		return r->err;
	if (r->kind == R_SOURCE) {
		struct tg_itch_msg m;
		if (!source_next(r, &m))
			return 0;
		int n = tg_itch_encode(&m, r->buf, sizeof(r->buf));
		if (n < 0)
			return r->err = n;
		*msg = r->buf;
		*ts_ns = m.ts_ns;
		r->st.msgs++;
		r->st.by_type[r->buf[0]]++;
		return n;
	}
	for (;;) {
		const uint8_t *p;
		size_t len;
		int rc = file_next(r, &p, &len);
		if (rc < 0) {
			r->st.bad_records++;
			return r->err = rc;
		}
		if (rc == 0)
			return 0;
		if (len == 0 || len > 65535) {
			r->st.bad_records++;
			continue;
		}
		*msg = p;
		*ts_ns = len >= TG_ITCH_HDR_BYTES ? tg_be48(p + 5) : 0;
		r->st.msgs++;
		r->st.by_type[p[0]]++;
		return (int)len;
	}
}
