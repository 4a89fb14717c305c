/* itch.c - ITCH 5.0 decode/encode. One switch per direction, field offsets
 * written out as in the spec's tables so each case can be checked against
 * it line by line; the length check happens once, before any field read. */
#include <stdio.h>
#include <string.h>

#include "wire/itch.h"

const uint8_t tg_itch_types[TG_ITCH_NTYPES] = {'S', 'R', 'H', 'Y', 'L', 'V', 'W', 'K',
                                               'J', 'h', 'A', 'F', 'E', 'C', 'X', 'D',
                                               'U', 'P', 'Q', 'B', 'I', 'N', 'O'};

const uint8_t tg_itch_msg_len[256] = {
    ['S'] = 12, ['R'] = 39, ['H'] = 25, ['Y'] = 20, ['L'] = 26, ['V'] = 35, ['W'] = 12, ['K'] = 28,
    ['J'] = 35, ['h'] = 21, ['A'] = 36, ['F'] = 40, ['E'] = 31, ['C'] = 36, ['X'] = 23, ['D'] = 19,
    ['U'] = 35, ['P'] = 44, ['Q'] = 40, ['B'] = 19, ['I'] = 50, ['N'] = 20, ['O'] = 48,
};

const char *tg_itch_type_name(uint8_t type)
{
	switch (type) {
	case 'S':
		return "System Event";
	case 'R':
		return "Stock Directory";
	case 'H':
		return "Stock Trading Action";
	case 'Y':
		return "Reg SHO Restriction";
	case 'L':
		return "Market Participant Position";
	case 'V':
		return "MWCB Decline Level";
	case 'W':
		return "MWCB Status";
	case 'K':
		return "IPO Quoting Period Update";
	case 'J':
		return "LULD Auction Collar";
	case 'h':
		return "Operational Halt";
	case 'A':
		return "Add Order";
	case 'F':
		return "Add Order (MPID)";
	case 'E':
		return "Order Executed";
	case 'C':
		return "Order Executed With Price";
	case 'X':
		return "Order Cancel";
	case 'D':
		return "Order Delete";
	case 'U':
		return "Order Replace";
	case 'P':
		return "Trade (non-cross)";
	case 'Q':
		return "Cross Trade";
	case 'B':
		return "Broken Trade";
	case 'I':
		return "Net Order Imbalance Indicator";
	case 'N':
		return "Retail Price Improvement Indicator";
	case 'O':
		return "Direct Listing with Capital Raise";
	default:
		return "unknown";
	}
}

/* Body decode, p = message start, length already checked. */
static void itch_body_decode(const uint8_t *p, struct tg_itch_msg *m)
{
	switch (m->type) {
	case 'S':
		m->u.system_event.event_code = (char)p[11];
		break;
	case 'R': {
		struct tg_itch_stock_directory *r = &m->u.stock_directory;
		memcpy(r->stock, p + 11, 8);
		r->market_category = (char)p[19];
		r->financial_status = (char)p[20];
		r->round_lot_size = tg_be32(p + 21);
		r->round_lots_only = (char)p[25];
		r->issue_classification = (char)p[26];
		memcpy(r->issue_subtype, p + 27, 2);
		r->authenticity = (char)p[29];
		r->short_sale_threshold = (char)p[30];
		r->ipo_flag = (char)p[31];
		r->luld_ref_price_tier = (char)p[32];
		r->etp_flag = (char)p[33];
		r->etp_leverage_factor = tg_be32(p + 34);
		r->inverse_indicator = (char)p[38];
		break;
	}
	case 'H': {
		struct tg_itch_trading_action *h = &m->u.trading_action;
		memcpy(h->stock, p + 11, 8);
		h->trading_state = (char)p[19];
		h->reserved = (char)p[20];
		memcpy(h->reason, p + 21, 4);
		break;
	}
	case 'Y':
		memcpy(m->u.reg_sho.stock, p + 11, 8);
		m->u.reg_sho.action = (char)p[19];
		break;
	case 'L': {
		struct tg_itch_mp_position *l = &m->u.mp_position;
		memcpy(l->mpid, p + 11, 4);
		memcpy(l->stock, p + 15, 8);
		l->primary_market_maker = (char)p[23];
		l->market_maker_mode = (char)p[24];
		l->participant_state = (char)p[25];
		break;
	}
	case 'V':
		m->u.mwcb_decline.level1_e8 = tg_be64(p + 11);
		m->u.mwcb_decline.level2_e8 = tg_be64(p + 19);
		m->u.mwcb_decline.level3_e8 = tg_be64(p + 27);
		break;
	case 'W':
		m->u.mwcb_status.breached_level = (char)p[11];
		break;
	case 'K': {
		struct tg_itch_ipo_quoting *k = &m->u.ipo_quoting;
		memcpy(k->stock, p + 11, 8);
		k->release_time_s = tg_be32(p + 19);
		k->release_qualifier = (char)p[23];
		k->ipo_price_e4 = tg_be32(p + 24);
		break;
	}
	case 'J': {
		struct tg_itch_luld_collar *j = &m->u.luld_collar;
		memcpy(j->stock, p + 11, 8);
		j->ref_price_e4 = tg_be32(p + 19);
		j->upper_price_e4 = tg_be32(p + 23);
		j->lower_price_e4 = tg_be32(p + 27);
		j->extension = tg_be32(p + 31);
		break;
	}
	case 'h':
		memcpy(m->u.operational_halt.stock, p + 11, 8);
		m->u.operational_halt.market_code = (char)p[19];
		m->u.operational_halt.action = (char)p[20];
		break;
	case 'A':
	case 'F': {
		struct tg_itch_add_order *a = &m->u.add_order;
		a->order_ref = tg_be64(p + 11);
		a->side = (char)p[19];
		a->shares = tg_be32(p + 20);
		memcpy(a->stock, p + 24, 8);
		a->price_e4 = tg_be32(p + 32);
		if (m->type == 'F')
			memcpy(a->attribution, p + 36, 4);
		else
			memset(a->attribution, 0, 4);
		break;
	}
	case 'E':
		m->u.order_executed.order_ref = tg_be64(p + 11);
		m->u.order_executed.shares = tg_be32(p + 19);
		m->u.order_executed.match_no = tg_be64(p + 23);
		break;
	case 'C': {
		struct tg_itch_order_executed_price *c = &m->u.order_executed_price;
		c->order_ref = tg_be64(p + 11);
		c->shares = tg_be32(p + 19);
		c->match_no = tg_be64(p + 23);
		c->printable = (char)p[31];
		c->price_e4 = tg_be32(p + 32);
		break;
	}
	case 'X':
		m->u.order_cancel.order_ref = tg_be64(p + 11);
		m->u.order_cancel.shares = tg_be32(p + 19);
		break;
	case 'D':
		m->u.order_delete.order_ref = tg_be64(p + 11);
		break;
	case 'U': {
		struct tg_itch_order_replace *u = &m->u.order_replace;
		u->orig_order_ref = tg_be64(p + 11);
		u->new_order_ref = tg_be64(p + 19);
		u->shares = tg_be32(p + 27);
		u->price_e4 = tg_be32(p + 31);
		break;
	}
	case 'P': {
		struct tg_itch_trade *t = &m->u.trade;
		t->order_ref = tg_be64(p + 11);
		t->side = (char)p[19];
		t->shares = tg_be32(p + 20);
		memcpy(t->stock, p + 24, 8);
		t->price_e4 = tg_be32(p + 32);
		t->match_no = tg_be64(p + 36);
		break;
	}
	case 'Q': {
		struct tg_itch_cross_trade *q = &m->u.cross_trade;
		q->shares = tg_be64(p + 11);
		memcpy(q->stock, p + 19, 8);
		q->price_e4 = tg_be32(p + 27);
		q->match_no = tg_be64(p + 31);
		q->cross_type = (char)p[39];
		break;
	}
	case 'B':
		m->u.broken_trade.match_no = tg_be64(p + 11);
		break;
	case 'I': {
		struct tg_itch_noii *n = &m->u.noii;
		n->paired_shares = tg_be64(p + 11);
		n->imbalance_shares = tg_be64(p + 19);
		n->imbalance_direction = (char)p[27];
		memcpy(n->stock, p + 28, 8);
		n->far_price_e4 = tg_be32(p + 36);
		n->near_price_e4 = tg_be32(p + 40);
		n->ref_price_e4 = tg_be32(p + 44);
		n->cross_type = (char)p[48];
		n->price_variation = (char)p[49];
		break;
	}
	case 'N':
		memcpy(m->u.rpii.stock, p + 11, 8);
		m->u.rpii.interest_flag = (char)p[19];
		break;
	case 'O': {
		struct tg_itch_dlcr *o = &m->u.dlcr;
		memcpy(o->stock, p + 11, 8);
		o->open_eligibility = (char)p[19];
		o->min_price_e4 = tg_be32(p + 20);
		o->max_price_e4 = tg_be32(p + 24);
		o->near_price_e4 = tg_be32(p + 28);
		o->near_time = tg_be64(p + 32);
		o->lower_collar_e4 = tg_be32(p + 40);
		o->upper_collar_e4 = tg_be32(p + 44);
		break;
	}
	default:
		break;
	}
}

static void itch_header_decode(const uint8_t *p, struct tg_itch_msg *m)
{
	m->type = p[0];
	m->stock_locate = tg_be16(p + 1);
	m->tracking = tg_be16(p + 3);
	m->ts_ns = tg_be48(p + 5);
}

int tg_itch_decode(const void *buf, size_t len, struct tg_itch_msg *out)
{
	const uint8_t *p = buf;
	if (len == 0)
		return TG_WIRE_EEMPTY;
	size_t want = tg_itch_msg_len[p[0]];
	if (want == 0)
		return TG_WIRE_ETYPE;
	if (len != want)
		return TG_WIRE_ELEN;
	itch_header_decode(p, out);
	itch_body_decode(p, out);
	return (int)want;
}

int tg_itch_decode_stream(const void *buf, size_t avail, struct tg_itch_msg *out)
{
	const uint8_t *p = buf;
	if (avail == 0)
		return TG_WIRE_EEMPTY;
	size_t want = tg_itch_msg_len[p[0]];
	if (want == 0)
		return TG_WIRE_ETYPE;
	if (avail < want)
		return TG_WIRE_ETRUNC;
	itch_header_decode(p, out);
	itch_body_decode(p, out);
	return (int)want;
}

static void itch_body_encode(const struct tg_itch_msg *m, uint8_t *p)
{
	switch (m->type) {
	case 'S':
		p[11] = (uint8_t)m->u.system_event.event_code;
		break;
	case 'R': {
		const struct tg_itch_stock_directory *r = &m->u.stock_directory;
		memcpy(p + 11, r->stock, 8);
		p[19] = (uint8_t)r->market_category;
		p[20] = (uint8_t)r->financial_status;
		tg_put_be32(p + 21, r->round_lot_size);
		p[25] = (uint8_t)r->round_lots_only;
		p[26] = (uint8_t)r->issue_classification;
		memcpy(p + 27, r->issue_subtype, 2);
		p[29] = (uint8_t)r->authenticity;
		p[30] = (uint8_t)r->short_sale_threshold;
		p[31] = (uint8_t)r->ipo_flag;
		p[32] = (uint8_t)r->luld_ref_price_tier;
		p[33] = (uint8_t)r->etp_flag;
		tg_put_be32(p + 34, r->etp_leverage_factor);
		p[38] = (uint8_t)r->inverse_indicator;
		break;
	}
	case 'H': {
		const struct tg_itch_trading_action *h = &m->u.trading_action;
		memcpy(p + 11, h->stock, 8);
		p[19] = (uint8_t)h->trading_state;
		p[20] = (uint8_t)h->reserved;
		memcpy(p + 21, h->reason, 4);
		break;
	}
	case 'Y':
		memcpy(p + 11, m->u.reg_sho.stock, 8);
		p[19] = (uint8_t)m->u.reg_sho.action;
		break;
	case 'L': {
		const struct tg_itch_mp_position *l = &m->u.mp_position;
		memcpy(p + 11, l->mpid, 4);
		memcpy(p + 15, l->stock, 8);
		p[23] = (uint8_t)l->primary_market_maker;
		p[24] = (uint8_t)l->market_maker_mode;
		p[25] = (uint8_t)l->participant_state;
		break;
	}
	case 'V':
		tg_put_be64(p + 11, m->u.mwcb_decline.level1_e8);
		tg_put_be64(p + 19, m->u.mwcb_decline.level2_e8);
		tg_put_be64(p + 27, m->u.mwcb_decline.level3_e8);
		break;
	case 'W':
		p[11] = (uint8_t)m->u.mwcb_status.breached_level;
		break;
	case 'K': {
		const struct tg_itch_ipo_quoting *k = &m->u.ipo_quoting;
		memcpy(p + 11, k->stock, 8);
		tg_put_be32(p + 19, k->release_time_s);
		p[23] = (uint8_t)k->release_qualifier;
		tg_put_be32(p + 24, k->ipo_price_e4);
		break;
	}
	case 'J': {
		const struct tg_itch_luld_collar *j = &m->u.luld_collar;
		memcpy(p + 11, j->stock, 8);
		tg_put_be32(p + 19, j->ref_price_e4);
		tg_put_be32(p + 23, j->upper_price_e4);
		tg_put_be32(p + 27, j->lower_price_e4);
		tg_put_be32(p + 31, j->extension);
		break;
	}
	case 'h':
		memcpy(p + 11, m->u.operational_halt.stock, 8);
		p[19] = (uint8_t)m->u.operational_halt.market_code;
		p[20] = (uint8_t)m->u.operational_halt.action;
		break;
	case 'A':
	case 'F': {
		const struct tg_itch_add_order *a = &m->u.add_order;
		tg_put_be64(p + 11, a->order_ref);
		p[19] = (uint8_t)a->side;
		tg_put_be32(p + 20, a->shares);
		memcpy(p + 24, a->stock, 8);
		tg_put_be32(p + 32, a->price_e4);
		if (m->type == 'F')
			memcpy(p + 36, a->attribution, 4);
		break;
	}
	case 'E':
		tg_put_be64(p + 11, m->u.order_executed.order_ref);
		tg_put_be32(p + 19, m->u.order_executed.shares);
		tg_put_be64(p + 23, m->u.order_executed.match_no);
		break;
	case 'C': {
		const struct tg_itch_order_executed_price *c = &m->u.order_executed_price;
		tg_put_be64(p + 11, c->order_ref);
		tg_put_be32(p + 19, c->shares);
		tg_put_be64(p + 23, c->match_no);
		p[31] = (uint8_t)c->printable;
		tg_put_be32(p + 32, c->price_e4);
		break;
	}
	case 'X':
		tg_put_be64(p + 11, m->u.order_cancel.order_ref);
		tg_put_be32(p + 19, m->u.order_cancel.shares);
		break;
	case 'D':
		tg_put_be64(p + 11, m->u.order_delete.order_ref);
		break;
	case 'U': {
		const struct tg_itch_order_replace *u = &m->u.order_replace;
		tg_put_be64(p + 11, u->orig_order_ref);
		tg_put_be64(p + 19, u->new_order_ref);
		tg_put_be32(p + 27, u->shares);
		tg_put_be32(p + 31, u->price_e4);
		break;
	}
	case 'P': {
		const struct tg_itch_trade *t = &m->u.trade;
		tg_put_be64(p + 11, t->order_ref);
		p[19] = (uint8_t)t->side;
		tg_put_be32(p + 20, t->shares);
		memcpy(p + 24, t->stock, 8);
		tg_put_be32(p + 32, t->price_e4);
		tg_put_be64(p + 36, t->match_no);
		break;
	}
	case 'Q': {
		const struct tg_itch_cross_trade *q = &m->u.cross_trade;
		tg_put_be64(p + 11, q->shares);
		memcpy(p + 19, q->stock, 8);
		tg_put_be32(p + 27, q->price_e4);
		tg_put_be64(p + 31, q->match_no);
		p[39] = (uint8_t)q->cross_type;
		break;
	}
	case 'B':
		tg_put_be64(p + 11, m->u.broken_trade.match_no);
		break;
	case 'I': {
		const struct tg_itch_noii *n = &m->u.noii;
		tg_put_be64(p + 11, n->paired_shares);
		tg_put_be64(p + 19, n->imbalance_shares);
		p[27] = (uint8_t)n->imbalance_direction;
		memcpy(p + 28, n->stock, 8);
		tg_put_be32(p + 36, n->far_price_e4);
		tg_put_be32(p + 40, n->near_price_e4);
		tg_put_be32(p + 44, n->ref_price_e4);
		p[48] = (uint8_t)n->cross_type;
		p[49] = (uint8_t)n->price_variation;
		break;
	}
	case 'N':
		memcpy(p + 11, m->u.rpii.stock, 8);
		p[19] = (uint8_t)m->u.rpii.interest_flag;
		break;
	case 'O': {
		const struct tg_itch_dlcr *o = &m->u.dlcr;
		memcpy(p + 11, o->stock, 8);
		p[19] = (uint8_t)o->open_eligibility;
		tg_put_be32(p + 20, o->min_price_e4);
		tg_put_be32(p + 24, o->max_price_e4);
		tg_put_be32(p + 28, o->near_price_e4);
		tg_put_be64(p + 32, o->near_time);
		tg_put_be32(p + 40, o->lower_collar_e4);
		tg_put_be32(p + 44, o->upper_collar_e4);
		break;
	}
	default:
		break;
	}
}

int tg_itch_encode(const struct tg_itch_msg *m, void *buf, size_t cap)
{
	size_t want = tg_itch_msg_len[m->type];
	if (want == 0)
		return TG_WIRE_ETYPE;
	if (cap < want)
		return TG_WIRE_ESPACE;
	uint8_t *p = buf;
	p[0] = m->type;
	tg_put_be16(p + 1, m->stock_locate);
	tg_put_be16(p + 3, m->tracking);
	tg_put_be48(p + 5, m->ts_ns & 0xFFFFFFFFFFFFull);
	itch_body_encode(m, p);
	return (int)want;
}

void tg_itch_stock_str(const char stock[TG_ITCH_STOCK_LEN], char dst[TG_ITCH_STOCK_LEN + 1])
{
	size_t n = TG_ITCH_STOCK_LEN;
	memcpy(dst, stock, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

void tg_itch_stock_set(char stock[TG_ITCH_STOCK_LEN], const char *name)
{
	size_t n = strnlen(name, TG_ITCH_STOCK_LEN);
	memcpy(stock, name, n);
	memset(stock + n, ' ', TG_ITCH_STOCK_LEN - n);
}

const char *tg_itch_msg_stock(const struct tg_itch_msg *m)
{
	switch (m->type) {
	case 'R':
		return m->u.stock_directory.stock;
	case 'H':
		return m->u.trading_action.stock;
	case 'Y':
		return m->u.reg_sho.stock;
	case 'L':
		return m->u.mp_position.stock;
	case 'K':
		return m->u.ipo_quoting.stock;
	case 'J':
		return m->u.luld_collar.stock;
	case 'h':
		return m->u.operational_halt.stock;
	case 'A':
	case 'F':
		return m->u.add_order.stock;
	case 'P':
		return m->u.trade.stock;
	case 'Q':
		return m->u.cross_trade.stock;
	case 'I':
		return m->u.noii.stock;
	case 'N':
		return m->u.rpii.stock;
	case 'O':
		return m->u.dlcr.stock;
	default:
		return NULL;
	}
}

/* printable copy of a raw alpha field */
static const char *alpha(const char *s, size_t n, char *dst)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[n] = '\0';
	return dst;
}

static char ch(char c)
{
	return (c >= 0x20 && c < 0x7f) ? c : '?';
}

int tg_itch_format(const struct tg_itch_msg *m, char *dst, size_t cap)
{
	char a[16], b[16];
	int n = snprintf(dst, cap, "%c ts=%llu locate=%u track=%u", ch((char)m->type),
	                 (unsigned long long)m->ts_ns, m->stock_locate, m->tracking);
	if (n < 0)
		return n;
	size_t off = (size_t)n < cap ? (size_t)n : cap;
	char *d = dst + off;
	size_t c = cap - off;
	int k = 0;
	switch (m->type) {
	case 'S':
		k = snprintf(d, c, " event=%c", ch(m->u.system_event.event_code));
		break;
	case 'R': {
		const struct tg_itch_stock_directory *r = &m->u.stock_directory;
		k = snprintf(d, c,
		             " stock=%s mkt=%c fin=%c lot=%u lotsonly=%c class=%c sub=%s auth=%c "
		             "ssti=%c ipo=%c luld=%c etp=%c lev=%u inv=%c",
		             alpha(r->stock, 8, a), ch(r->market_category), ch(r->financial_status),
		             r->round_lot_size, ch(r->round_lots_only), ch(r->issue_classification),
		             alpha(r->issue_subtype, 2, b), ch(r->authenticity),
		             ch(r->short_sale_threshold), ch(r->ipo_flag),
		             ch(r->luld_ref_price_tier), ch(r->etp_flag), r->etp_leverage_factor,
		             ch(r->inverse_indicator));
		break;
	}
	case 'H':
		k = snprintf(
		    d, c, " stock=%s state=%c reason=%s", alpha(m->u.trading_action.stock, 8, a),
		    ch(m->u.trading_action.trading_state), alpha(m->u.trading_action.reason, 4, b));
		break;
	case 'Y':
		k = snprintf(d, c, " stock=%s action=%c", alpha(m->u.reg_sho.stock, 8, a),
		             ch(m->u.reg_sho.action));
		break;
	case 'L':
		k = snprintf(
		    d, c, " mpid=%s stock=%s primary=%c mode=%c state=%c",
		    alpha(m->u.mp_position.mpid, 4, b), alpha(m->u.mp_position.stock, 8, a),
		    ch(m->u.mp_position.primary_market_maker),
		    ch(m->u.mp_position.market_maker_mode), ch(m->u.mp_position.participant_state));
		break;
	case 'V':
		k = snprintf(d, c, " l1_e8=%llu l2_e8=%llu l3_e8=%llu",
		             (unsigned long long)m->u.mwcb_decline.level1_e8,
		             (unsigned long long)m->u.mwcb_decline.level2_e8,
		             (unsigned long long)m->u.mwcb_decline.level3_e8);
		break;
	case 'W':
		k = snprintf(d, c, " level=%c", ch(m->u.mwcb_status.breached_level));
		break;
	case 'K':
		k = snprintf(d, c, " stock=%s release_s=%u qual=%c price_e4=%u",
		             alpha(m->u.ipo_quoting.stock, 8, a), m->u.ipo_quoting.release_time_s,
		             ch(m->u.ipo_quoting.release_qualifier), m->u.ipo_quoting.ipo_price_e4);
		break;
	case 'J':
		k = snprintf(d, c, " stock=%s ref_e4=%u upper_e4=%u lower_e4=%u ext=%u",
		             alpha(m->u.luld_collar.stock, 8, a), m->u.luld_collar.ref_price_e4,
		             m->u.luld_collar.upper_price_e4, m->u.luld_collar.lower_price_e4,
		             m->u.luld_collar.extension);
		break;
	case 'h':
		k = snprintf(
		    d, c, " stock=%s market=%c action=%c", alpha(m->u.operational_halt.stock, 8, a),
		    ch(m->u.operational_halt.market_code), ch(m->u.operational_halt.action));
		break;
	case 'A':
	case 'F':
		k = snprintf(d, c, " ref=%llu side=%c shares=%u stock=%s price_e4=%u mpid=%s",
		             (unsigned long long)m->u.add_order.order_ref, ch(m->u.add_order.side),
		             m->u.add_order.shares, alpha(m->u.add_order.stock, 8, a),
		             m->u.add_order.price_e4,
		             m->type == 'F' ? alpha(m->u.add_order.attribution, 4, b) : "-");
		break;
	case 'E':
		k = snprintf(d, c, " ref=%llu shares=%u match=%llu",
		             (unsigned long long)m->u.order_executed.order_ref,
		             m->u.order_executed.shares,
		             (unsigned long long)m->u.order_executed.match_no);
		break;
	case 'C':
		k = snprintf(d, c, " ref=%llu shares=%u match=%llu printable=%c price_e4=%u",
		             (unsigned long long)m->u.order_executed_price.order_ref,
		             m->u.order_executed_price.shares,
		             (unsigned long long)m->u.order_executed_price.match_no,
		             ch(m->u.order_executed_price.printable),
		             m->u.order_executed_price.price_e4);
		break;
	case 'X':
		k = snprintf(d, c, " ref=%llu shares=%u",
		             (unsigned long long)m->u.order_cancel.order_ref,
		             m->u.order_cancel.shares);
		break;
	case 'D':
		k = snprintf(d, c, " ref=%llu", (unsigned long long)m->u.order_delete.order_ref);
		break;
	case 'U':
		k = snprintf(d, c, " orig=%llu new=%llu shares=%u price_e4=%u",
		             (unsigned long long)m->u.order_replace.orig_order_ref,
		             (unsigned long long)m->u.order_replace.new_order_ref,
		             m->u.order_replace.shares, m->u.order_replace.price_e4);
		break;
	case 'P':
		k = snprintf(d, c, " ref=%llu side=%c shares=%u stock=%s price_e4=%u match=%llu",
		             (unsigned long long)m->u.trade.order_ref, ch(m->u.trade.side),
		             m->u.trade.shares, alpha(m->u.trade.stock, 8, a), m->u.trade.price_e4,
		             (unsigned long long)m->u.trade.match_no);
		break;
	case 'Q':
		k = snprintf(d, c, " shares=%llu stock=%s price_e4=%u match=%llu cross=%c",
		             (unsigned long long)m->u.cross_trade.shares,
		             alpha(m->u.cross_trade.stock, 8, a), m->u.cross_trade.price_e4,
		             (unsigned long long)m->u.cross_trade.match_no,
		             ch(m->u.cross_trade.cross_type));
		break;
	case 'B':
		k = snprintf(d, c, " match=%llu", (unsigned long long)m->u.broken_trade.match_no);
		break;
	case 'I':
		k = snprintf(d, c,
		             " paired=%llu imbalance=%llu dir=%c stock=%s far_e4=%u near_e4=%u "
		             "ref_e4=%u cross=%c var=%c",
		             (unsigned long long)m->u.noii.paired_shares,
		             (unsigned long long)m->u.noii.imbalance_shares,
		             ch(m->u.noii.imbalance_direction), alpha(m->u.noii.stock, 8, a),
		             m->u.noii.far_price_e4, m->u.noii.near_price_e4,
		             m->u.noii.ref_price_e4, ch(m->u.noii.cross_type),
		             ch(m->u.noii.price_variation));
		break;
	case 'N':
		k = snprintf(d, c, " stock=%s flag=%c", alpha(m->u.rpii.stock, 8, a),
		             ch(m->u.rpii.interest_flag));
		break;
	case 'O':
		k = snprintf(d, c,
		             " stock=%s elig=%c min_e4=%u max_e4=%u near_e4=%u near_time=%llu "
		             "lower_e4=%u upper_e4=%u",
		             alpha(m->u.dlcr.stock, 8, a), ch(m->u.dlcr.open_eligibility),
		             m->u.dlcr.min_price_e4, m->u.dlcr.max_price_e4,
		             m->u.dlcr.near_price_e4, (unsigned long long)m->u.dlcr.near_time,
		             m->u.dlcr.lower_collar_e4, m->u.dlcr.upper_collar_e4);
		break;
	default:
		break;
	}
	return k < 0 ? k : n + k;
}
