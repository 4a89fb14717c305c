/* test_wire_itch.c - the ITCH 5.0 codec on its own: the length table
 * against the spec, encode -> decode of every type with every field set to
 * a distinct value, and each kind of malformed input rejected with its own
 * code without reading past the buffer (buffers are exact-size heap copies,
 * so ASan catches any overread). */
#include "tests/tg_test.h"
#include "wire/itch.h"

/* The spec's table (ITCH 5.0, section 1.x message lengths). */
static const struct {
	char type;
	size_t len;
} spec_len[] = {{'S', 12}, {'R', 39}, {'H', 25}, {'Y', 20}, {'L', 26}, {'V', 35},
                {'W', 12}, {'K', 28}, {'J', 35}, {'h', 21}, {'A', 36}, {'F', 40},
                {'E', 31}, {'C', 36}, {'X', 23}, {'D', 19}, {'U', 35}, {'P', 44},
                {'Q', 40}, {'B', 19}, {'I', 50}, {'N', 20}, {'O', 48}};

static void t_lengths(void)
{
	TG_CHECK_EQ_U64(sizeof(spec_len) / sizeof(spec_len[0]), TG_ITCH_NTYPES);
	size_t known = 0;
	for (int t = 0; t < 256; t++)
		known += tg_itch_len((uint8_t)t) != 0;
	TG_CHECK_EQ_U64(known, TG_ITCH_NTYPES);
	for (size_t i = 0; i < TG_ITCH_NTYPES; i++) {
		TG_CHECK_EQ_U64(tg_itch_len((uint8_t)spec_len[i].type), spec_len[i].len);
		TG_CHECK_EQ_U64(tg_itch_types[i], (uint8_t)spec_len[i].type);
		TG_CHECK(strcmp(tg_itch_type_name(tg_itch_types[i]), "unknown") != 0);
	}
	TG_CHECK_STR(tg_itch_type_name('Z'), "unknown");
}

/* Fill every byte after the header with a distinct pattern, decode, check
 * re-encoding gives the same bytes (so every byte is covered by a field),
 * and spot-check fields at their spec offsets. */
static void t_roundtrip_bytes(void)
{
	for (size_t i = 0; i < TG_ITCH_NTYPES; i++) {
		uint8_t t = tg_itch_types[i];
		size_t n = tg_itch_len(t);
		uint8_t *buf = malloc(n);
		buf[0] = t;
		for (size_t k = 1; k < n; k++)
			buf[k] = (uint8_t)(k * 37 + t);
		struct tg_itch_msg m;
		memset(&m, 0xa5, sizeof(m));
		TG_CHECK_EQ_I64(tg_itch_decode(buf, n, &m), n);
		TG_CHECK_EQ_U64(m.type, t);
		TG_CHECK_EQ_U64(m.stock_locate, (uint32_t)buf[1] << 8 | buf[2]);
		TG_CHECK_EQ_U64(m.tracking, (uint32_t)buf[3] << 8 | buf[4]);
		TG_CHECK_EQ_U64(m.ts_ns, tg_be48(buf + 5));
		uint8_t out[TG_ITCH_MAX_BYTES + 8];
		memset(out, 0xee, sizeof(out));
		TG_CHECK_EQ_I64(tg_itch_encode(&m, out, sizeof(out)), n);
		if (memcmp(out, buf, n) != 0)
			TG_FAIL("type %c: re-encoded bytes differ", t);
		TG_CHECK_EQ_U64(out[n], 0xee); /* wrote nothing past the length */
		/* stream decoding agrees */
		struct tg_itch_msg m2;
		TG_CHECK_EQ_I64(tg_itch_decode_stream(buf, n, &m2), n);
		TG_CHECK_EQ_U64(m2.ts_ns, m.ts_ns);
		free(buf);
	}
}

static struct tg_itch_msg mk(uint8_t type, uint16_t locate, uint64_t ts)
{
	struct tg_itch_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.stock_locate = locate;
	m.tracking = (uint16_t)(locate * 3 + 1);
	m.ts_ns = ts;
	return m;
}

static int rt(const struct tg_itch_msg *in, struct tg_itch_msg *out)
{
	uint8_t buf[TG_ITCH_MAX_BYTES];
	int n = tg_itch_encode(in, buf, sizeof(buf));
	if (n < 0)
		return n;
	uint8_t *exact = malloc((size_t)n);
	memcpy(exact, buf, (size_t)n);
	memset(out, 0, sizeof(*out));
	int rc = tg_itch_decode(exact, (size_t)n, out);
	free(exact);
	TG_CHECK_EQ_U64(out->type, in->type);
	TG_CHECK_EQ_U64(out->stock_locate, in->stock_locate);
	TG_CHECK_EQ_U64(out->tracking, in->tracking);
	TG_CHECK_EQ_U64(out->ts_ns, in->ts_ns);
	return rc;
}

#define RT_EQ(f)  TG_CHECK_EQ_U64(o.u.f, m.u.f)
#define RT_EQA(f) TG_CHECK(memcmp(o.u.f, m.u.f, sizeof(m.u.f)) == 0)

/* Field-level round trip of every type with extreme values (max widths:
 * 48-bit timestamp, 64-bit refs, Price(8)). */
static void t_roundtrip_fields(void)
{
	const uint64_t ts = 86399999999999ull, big = 0xfedcba9876543210ull;
	struct tg_itch_msg m, o;

	m = mk('S', 0, ts);
	m.u.system_event.event_code = 'C';
	TG_CHECK_EQ_I64(rt(&m, &o), 12);
	RT_EQ(system_event.event_code);

	m = mk('R', 65535, 1);
	tg_itch_stock_set(m.u.stock_directory.stock, "ZVZZT");
	m.u.stock_directory.market_category = 'Q';
	m.u.stock_directory.financial_status = 'D';
	m.u.stock_directory.round_lot_size = 4000000000u;
	m.u.stock_directory.round_lots_only = 'Y';
	m.u.stock_directory.issue_classification = 'C';
	memcpy(m.u.stock_directory.issue_subtype, "ZZ", 2);
	m.u.stock_directory.authenticity = 'T';
	m.u.stock_directory.short_sale_threshold = 'N';
	m.u.stock_directory.ipo_flag = ' ';
	m.u.stock_directory.luld_ref_price_tier = '2';
	m.u.stock_directory.etp_flag = 'Y';
	m.u.stock_directory.etp_leverage_factor = 3;
	m.u.stock_directory.inverse_indicator = 'Y';
	TG_CHECK_EQ_I64(rt(&m, &o), 39);
	RT_EQA(stock_directory.stock);
	RT_EQ(stock_directory.market_category);
	RT_EQ(stock_directory.financial_status);
	RT_EQ(stock_directory.round_lot_size);
	RT_EQ(stock_directory.round_lots_only);
	RT_EQ(stock_directory.issue_classification);
	RT_EQA(stock_directory.issue_subtype);
	RT_EQ(stock_directory.authenticity);
	RT_EQ(stock_directory.short_sale_threshold);
	RT_EQ(stock_directory.ipo_flag);
	RT_EQ(stock_directory.luld_ref_price_tier);
	RT_EQ(stock_directory.etp_flag);
	RT_EQ(stock_directory.etp_leverage_factor);
	RT_EQ(stock_directory.inverse_indicator);

	m = mk('H', 7, ts);
	tg_itch_stock_set(m.u.trading_action.stock, "AAPL");
	m.u.trading_action.trading_state = 'H';
	m.u.trading_action.reserved = ' ';
	memcpy(m.u.trading_action.reason, "LUDP", 4);
	TG_CHECK_EQ_I64(rt(&m, &o), 25);
	RT_EQA(trading_action.stock);
	RT_EQ(trading_action.trading_state);
	RT_EQ(trading_action.reserved);
	RT_EQA(trading_action.reason);

	m = mk('Y', 8, ts);
	tg_itch_stock_set(m.u.reg_sho.stock, "MSFT");
	m.u.reg_sho.action = '2';
	TG_CHECK_EQ_I64(rt(&m, &o), 20);
	RT_EQA(reg_sho.stock);
	RT_EQ(reg_sho.action);

	m = mk('L', 9, ts);
	memcpy(m.u.mp_position.mpid, "GSCO", 4);
	tg_itch_stock_set(m.u.mp_position.stock, "GOOG");
	m.u.mp_position.primary_market_maker = 'Y';
	m.u.mp_position.market_maker_mode = 'P';
	m.u.mp_position.participant_state = 'S';
	TG_CHECK_EQ_I64(rt(&m, &o), 26);
	RT_EQA(mp_position.mpid);
	RT_EQA(mp_position.stock);
	RT_EQ(mp_position.primary_market_maker);
	RT_EQ(mp_position.market_maker_mode);
	RT_EQ(mp_position.participant_state);

	m = mk('V', 0, ts);
	m.u.mwcb_decline.level1_e8 = 351234567800000ull; /* 3,512,345.678 */
	m.u.mwcb_decline.level2_e8 = big;
	m.u.mwcb_decline.level3_e8 = 1;
	TG_CHECK_EQ_I64(rt(&m, &o), 35);
	RT_EQ(mwcb_decline.level1_e8);
	RT_EQ(mwcb_decline.level2_e8);
	RT_EQ(mwcb_decline.level3_e8);

	m = mk('W', 0, ts);
	m.u.mwcb_status.breached_level = '3';
	TG_CHECK_EQ_I64(rt(&m, &o), 12);
	RT_EQ(mwcb_status.breached_level);

	m = mk('K', 10, ts);
	tg_itch_stock_set(m.u.ipo_quoting.stock, "NEWCO");
	m.u.ipo_quoting.release_time_s = 86399;
	m.u.ipo_quoting.release_qualifier = 'A';
	m.u.ipo_quoting.ipo_price_e4 = 250000;
	TG_CHECK_EQ_I64(rt(&m, &o), 28);
	RT_EQA(ipo_quoting.stock);
	RT_EQ(ipo_quoting.release_time_s);
	RT_EQ(ipo_quoting.release_qualifier);
	RT_EQ(ipo_quoting.ipo_price_e4);

	m = mk('J', 11, ts);
	tg_itch_stock_set(m.u.luld_collar.stock, "ZXZZT");
	m.u.luld_collar.ref_price_e4 = 133400;
	m.u.luld_collar.upper_price_e4 = 140100;
	m.u.luld_collar.lower_price_e4 = 109200;
	m.u.luld_collar.extension = 4294967295u;
	TG_CHECK_EQ_I64(rt(&m, &o), 35);
	RT_EQA(luld_collar.stock);
	RT_EQ(luld_collar.ref_price_e4);
	RT_EQ(luld_collar.upper_price_e4);
	RT_EQ(luld_collar.lower_price_e4);
	RT_EQ(luld_collar.extension);

	m = mk('h', 12, ts);
	tg_itch_stock_set(m.u.operational_halt.stock, "IBM");
	m.u.operational_halt.market_code = 'X';
	m.u.operational_halt.action = 'T';
	TG_CHECK_EQ_I64(rt(&m, &o), 21);
	RT_EQA(operational_halt.stock);
	RT_EQ(operational_halt.market_code);
	RT_EQ(operational_halt.action);

	for (int f = 0; f < 2; f++) {
		m = mk(f ? 'F' : 'A', 13, ts);
		m.u.add_order.order_ref = big;
		m.u.add_order.side = 'S';
		m.u.add_order.shares = 4294967295u;
		tg_itch_stock_set(m.u.add_order.stock, "ABCDEFGHIJ"); /* cut to 8 */
		m.u.add_order.price_e4 = 4294967295u;
		if (f)
			memcpy(m.u.add_order.attribution, "UBSS", 4);
		TG_CHECK_EQ_I64(rt(&m, &o), f ? 40 : 36);
		RT_EQ(add_order.order_ref);
		RT_EQ(add_order.side);
		RT_EQ(add_order.shares);
		RT_EQA(add_order.stock);
		RT_EQ(add_order.price_e4);
		RT_EQA(add_order.attribution);
		TG_CHECK(memcmp(o.u.add_order.stock, "ABCDEFGH", 8) == 0);
	}

	m = mk('E', 14, ts);
	m.u.order_executed.order_ref = big;
	m.u.order_executed.shares = 100;
	m.u.order_executed.match_no = big >> 1;
	TG_CHECK_EQ_I64(rt(&m, &o), 31);
	RT_EQ(order_executed.order_ref);
	RT_EQ(order_executed.shares);
	RT_EQ(order_executed.match_no);

	m = mk('C', 15, ts);
	m.u.order_executed_price.order_ref = 42;
	m.u.order_executed_price.shares = 7;
	m.u.order_executed_price.match_no = big;
	m.u.order_executed_price.printable = 'N';
	m.u.order_executed_price.price_e4 = 4411700;
	TG_CHECK_EQ_I64(rt(&m, &o), 36);
	RT_EQ(order_executed_price.order_ref);
	RT_EQ(order_executed_price.shares);
	RT_EQ(order_executed_price.match_no);
	RT_EQ(order_executed_price.printable);
	RT_EQ(order_executed_price.price_e4);

	m = mk('X', 16, ts);
	m.u.order_cancel.order_ref = big;
	m.u.order_cancel.shares = 99;
	TG_CHECK_EQ_I64(rt(&m, &o), 23);
	RT_EQ(order_cancel.order_ref);
	RT_EQ(order_cancel.shares);

	m = mk('D', 17, ts);
	m.u.order_delete.order_ref = big;
	TG_CHECK_EQ_I64(rt(&m, &o), 19);
	RT_EQ(order_delete.order_ref);

	m = mk('U', 18, ts);
	m.u.order_replace.orig_order_ref = big;
	m.u.order_replace.new_order_ref = big - 1;
	m.u.order_replace.shares = 300;
	m.u.order_replace.price_e4 = 1062600;
	TG_CHECK_EQ_I64(rt(&m, &o), 35);
	RT_EQ(order_replace.orig_order_ref);
	RT_EQ(order_replace.new_order_ref);
	RT_EQ(order_replace.shares);
	RT_EQ(order_replace.price_e4);

	m = mk('P', 19, ts);
	m.u.trade.order_ref = 0;
	m.u.trade.side = 'B';
	m.u.trade.shares = 27;
	tg_itch_stock_set(m.u.trade.stock, "QCOM");
	m.u.trade.price_e4 = 1115300;
	m.u.trade.match_no = big;
	TG_CHECK_EQ_I64(rt(&m, &o), 44);
	RT_EQ(trade.order_ref);
	RT_EQ(trade.side);
	RT_EQ(trade.shares);
	RT_EQA(trade.stock);
	RT_EQ(trade.price_e4);
	RT_EQ(trade.match_no);

	m = mk('Q', 20, ts);
	m.u.cross_trade.shares = big;
	tg_itch_stock_set(m.u.cross_trade.stock, "PTGX");
	m.u.cross_trade.price_e4 = 195600;
	m.u.cross_trade.match_no = 255561;
	m.u.cross_trade.cross_type = 'C';
	TG_CHECK_EQ_I64(rt(&m, &o), 40);
	RT_EQ(cross_trade.shares);
	RT_EQA(cross_trade.stock);
	RT_EQ(cross_trade.price_e4);
	RT_EQ(cross_trade.match_no);
	RT_EQ(cross_trade.cross_type);

	m = mk('B', 21, ts);
	m.u.broken_trade.match_no = big;
	TG_CHECK_EQ_I64(rt(&m, &o), 19);
	RT_EQ(broken_trade.match_no);

	m = mk('I', 22, ts);
	m.u.noii.paired_shares = big;
	m.u.noii.imbalance_shares = big >> 3;
	m.u.noii.imbalance_direction = 'S';
	tg_itch_stock_set(m.u.noii.stock, "MDC");
	m.u.noii.far_price_e4 = 1;
	m.u.noii.near_price_e4 = 2;
	m.u.noii.ref_price_e4 = 3;
	m.u.noii.cross_type = 'H';
	m.u.noii.price_variation = 'C';
	TG_CHECK_EQ_I64(rt(&m, &o), 50);
	RT_EQ(noii.paired_shares);
	RT_EQ(noii.imbalance_shares);
	RT_EQ(noii.imbalance_direction);
	RT_EQA(noii.stock);
	RT_EQ(noii.far_price_e4);
	RT_EQ(noii.near_price_e4);
	RT_EQ(noii.ref_price_e4);
	RT_EQ(noii.cross_type);
	RT_EQ(noii.price_variation);

	m = mk('N', 23, ts);
	tg_itch_stock_set(m.u.rpii.stock, "SPY");
	m.u.rpii.interest_flag = 'A';
	TG_CHECK_EQ_I64(rt(&m, &o), 20);
	RT_EQA(rpii.stock);
	RT_EQ(rpii.interest_flag);

	m = mk('O', 24, ts);
	tg_itch_stock_set(m.u.dlcr.stock, "DLCR");
	m.u.dlcr.open_eligibility = 'Y';
	m.u.dlcr.min_price_e4 = 100000;
	m.u.dlcr.max_price_e4 = 200000;
	m.u.dlcr.near_price_e4 = 150000;
	m.u.dlcr.near_time = big;
	m.u.dlcr.lower_collar_e4 = 135000;
	m.u.dlcr.upper_collar_e4 = 165000;
	TG_CHECK_EQ_I64(rt(&m, &o), 48);
	RT_EQA(dlcr.stock);
	RT_EQ(dlcr.open_eligibility);
	RT_EQ(dlcr.min_price_e4);
	RT_EQ(dlcr.max_price_e4);
	RT_EQ(dlcr.near_price_e4);
	RT_EQ(dlcr.near_time);
	RT_EQ(dlcr.lower_collar_e4);
	RT_EQ(dlcr.upper_collar_e4);

	/* timestamps are 48 bits on the wire */
	m = mk('D', 1, 0xffff000000000001ull);
	uint8_t b[19];
	TG_CHECK_EQ_I64(tg_itch_encode(&m, b, sizeof(b)), 19);
	TG_CHECK_EQ_I64(tg_itch_decode(b, sizeof(b), &o), 19);
	TG_CHECK_EQ_U64(o.ts_ns, 1);
}

/* Big-endian layout pinned by hand for one message. */
static void t_known_bytes(void)
{
	struct tg_itch_msg m = mk('E', 0x1234, 0x010203040506ull);
	m.tracking = 0xabcd;
	m.u.order_executed.order_ref = 0x1122334455667788ull;
	m.u.order_executed.shares = 0x99aabbcc;
	m.u.order_executed.match_no = 0x0102030405060708ull;
	uint8_t b[31];
	const uint8_t want[31] = {'E',  0x12, 0x34, 0xab, 0xcd, 1,    2,    3,    4,    5,    6,
	                          0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	                          0xcc, 1,    2,    3,    4,    5,    6,    7,    8};
	TG_CHECK_EQ_I64(tg_itch_encode(&m, b, sizeof(b)), 31);
	TG_CHECK(memcmp(b, want, 31) == 0);
	char line[256];
	tg_itch_format(&m, line, sizeof(line));
	TG_CHECK(strstr(line, "shares=2578103244") != NULL);
}

static int dec_exact(const uint8_t *src, size_t len, int stream)
{
	uint8_t *b = calloc(1, len ? len : 1);
	if (len)
		memcpy(b, src, len);
	struct tg_itch_msg m;
	int rc = stream ? tg_itch_decode_stream(b, len, &m) : tg_itch_decode(b, len, &m);
	free(b);
	return rc;
}

static void t_malformed(void)
{
	uint8_t b[64];
	memset(b, 0, sizeof(b));
	/* empty */
	TG_CHECK_EQ_I64(dec_exact(b, 0, 0), TG_WIRE_EEMPTY);
	TG_CHECK_EQ_I64(dec_exact(b, 0, 1), TG_WIRE_EEMPTY);
	/* unknown types: everything not in the table */
	for (int t = 0; t < 256; t++) {
		if (tg_itch_len((uint8_t)t))
			continue;
		b[0] = (uint8_t)t;
		TG_CHECK_EQ_I64(dec_exact(b, 20, 0), TG_WIRE_ETYPE);
		TG_CHECK_EQ_I64(dec_exact(b, 1, 1), TG_WIRE_ETYPE);
	}
	/* every type, every wrong length 1..63, framed and streamed */
	for (size_t i = 0; i < TG_ITCH_NTYPES; i++) {
		uint8_t t = tg_itch_types[i];
		size_t n = tg_itch_len(t);
		b[0] = t;
		for (size_t len = 1; len < sizeof(b); len++) {
			int rc = dec_exact(b, len, 0);
			if (len == n)
				TG_CHECK_EQ_I64(rc, n);
			else if (rc != TG_WIRE_ELEN)
				TG_FAIL("type %c len %zu: %d (%s)", t, len, rc,
				        tg_wire_strerror(rc));
			rc = dec_exact(b, len, 1);
			if (len >= n)
				TG_CHECK_EQ_I64(rc, n);
			else if (rc != TG_WIRE_ETRUNC)
				TG_FAIL("stream type %c len %zu: %d", t, len, rc);
		}
	}
	/* the codes are distinct and have reasons */
	TG_CHECK(TG_WIRE_ELEN != TG_WIRE_ETRUNC && TG_WIRE_ETYPE != TG_WIRE_ELEN &&
	         TG_WIRE_EEMPTY != TG_WIRE_ETRUNC);
	TG_CHECK(strstr(tg_wire_strerror(TG_WIRE_ELEN), "length") != NULL);
	TG_CHECK(strstr(tg_wire_strerror(TG_WIRE_ETYPE), "unknown") != NULL);
	TG_CHECK(strstr(tg_wire_strerror(TG_WIRE_ETRUNC), "truncated") != NULL);
	TG_CHECK(tg_wire_err_index(TG_WIRE_ELEN) != tg_wire_err_index(TG_WIRE_ETRUNC));
	TG_CHECK_EQ_U64(tg_wire_err_index(-12345), 0);
	/* encode: unknown type, too small a buffer writes nothing */
	struct tg_itch_msg m = mk('Z', 0, 0);
	TG_CHECK_EQ_I64(tg_itch_encode(&m, b, sizeof(b)), TG_WIRE_ETYPE);
	m = mk('I', 0, 0);
	memset(b, 0x77, sizeof(b));
	TG_CHECK_EQ_I64(tg_itch_encode(&m, b, 49), TG_WIRE_ESPACE);
	TG_CHECK_EQ_U64(b[0], 0x77);
}

static void t_stock_helpers(void)
{
	char s[8], out[9];
	tg_itch_stock_set(s, "BRK.A");
	TG_CHECK(memcmp(s, "BRK.A   ", 8) == 0);
	tg_itch_stock_str(s, out);
	TG_CHECK_STR(out, "BRK.A");
	tg_itch_stock_set(s, "");
	tg_itch_stock_str(s, out);
	TG_CHECK_STR(out, "");
	struct tg_itch_msg m = mk('D', 0, 0);
	TG_CHECK(tg_itch_msg_stock(&m) == NULL);
	m = mk('P', 0, 0);
	TG_CHECK(tg_itch_msg_stock(&m) == m.u.trade.stock);
}

int main(void)
{
	tg_test_case("lengths", t_lengths);
	tg_test_case("roundtrip_bytes", t_roundtrip_bytes);
	tg_test_case("roundtrip_fields", t_roundtrip_fields);
	tg_test_case("known_bytes", t_known_bytes);
	tg_test_case("malformed", t_malformed);
	tg_test_case("stock_helpers", t_stock_helpers);
	return tg_test_done();
}
