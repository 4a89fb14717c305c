/* test_wire_alert.c - the publisher's binary alert message: every field of
 * struct tg_alert survives a round trip, the little-endian layout is pinned
 * at a few offsets, and short / foreign / future-version input is refused. */
#include "tests/tg_test.h"
#include "wire/alert.h"

static struct tg_alert sample(void)
{
	struct tg_alert a;
	memset(&a, 0, sizeof(a));
	a.alert_id = 0x0102030405060708ull;
	a.first_seq = 11;
	a.last_seq = 72;
	a.open_exch_ts_ns = 34200000000000ull;
	a.exch_ts_ns = 34200123456789ull;
	a.recv_ts_ns = 1692711000123456789ull;
	a.emit_ts_ns = 1692711000123460000ull;
	a.peak_score = 0.0123456789;
	a.threshold = 1e-3;
	a.first_price_e4 = 5851200;
	a.last_price_e4 = 5600000;
	a.min_price_e4 = 5590000;
	a.max_price_e4 = 5851300;
	a.windows = 9;
	a.instrument = 2;
	a.event = TG_ALERT_UPDATE;
	return a;
}

static void t_roundtrip(void)
{
	struct tg_alert a = sample(), b;
	uint8_t buf[TG_ALERT_MSG_BYTES + 8];
	TG_CHECK_EQ_I64(tg_alert_msg_encode(&a, "AAPL", buf, sizeof(buf)), TG_ALERT_MSG_BYTES);
	char sym[9];
	TG_CHECK_EQ_I64(tg_alert_msg_decode(buf, TG_ALERT_MSG_BYTES, &b, sym), 0);
	TG_CHECK_STR(sym, "AAPL");
	TG_CHECK_EQ_U64(b.alert_id, a.alert_id);
	TG_CHECK_EQ_U64(b.first_seq, a.first_seq);
	TG_CHECK_EQ_U64(b.last_seq, a.last_seq);
	TG_CHECK_EQ_U64(b.open_exch_ts_ns, a.open_exch_ts_ns);
	TG_CHECK_EQ_U64(b.exch_ts_ns, a.exch_ts_ns);
	TG_CHECK_EQ_U64(b.recv_ts_ns, a.recv_ts_ns);
	TG_CHECK_EQ_U64(b.emit_ts_ns, a.emit_ts_ns);
	TG_CHECK(b.peak_score == a.peak_score);
	TG_CHECK(b.threshold == a.threshold);
	TG_CHECK_EQ_U64(b.first_price_e4, a.first_price_e4);
	TG_CHECK_EQ_U64(b.last_price_e4, a.last_price_e4);
	TG_CHECK_EQ_U64(b.min_price_e4, a.min_price_e4);
	TG_CHECK_EQ_U64(b.max_price_e4, a.max_price_e4);
	TG_CHECK_EQ_U64(b.windows, a.windows);
	TG_CHECK_EQ_U64(b.instrument, a.instrument);
	TG_CHECK_EQ_U64(b.event, a.event);
	TG_CHECK_EQ_U64(b.close_reason, 0);
	/* layout: little-endian at the documented offsets */
	TG_CHECK_EQ_U64(buf[0], 'T');
	TG_CHECK_EQ_U64(buf[1], 1);
	TG_CHECK_EQ_U64(buf[2], 2);
	TG_CHECK_EQ_U64(buf[4], TG_ALERT_UPDATE);
	TG_CHECK_EQ_U64(buf[5], 0);
	TG_CHECK(memcmp(buf + 6, "AAPL    ", 8) == 0);
	TG_CHECK_EQ_U64(buf[40], 0x08);
	TG_CHECK_EQ_U64(buf[47], 0x01);
	TG_CHECK_EQ_U64(tg_le32(buf + 18), 5851200);
	/* longer (future fields) is accepted; NULL symbol is fine */
	TG_CHECK_EQ_I64(tg_alert_msg_decode(buf, sizeof(buf), &b, NULL), 0);
	TG_CHECK_EQ_I64(tg_alert_msg_encode(&a, NULL, buf, sizeof(buf)), TG_ALERT_MSG_BYTES);
	TG_CHECK_EQ_I64(tg_alert_msg_decode(buf, TG_ALERT_MSG_BYTES, &b, sym), 0);
	TG_CHECK_STR(sym, "");
	/* a CLOSE carries its reason in byte 5 */
	static const uint8_t reasons[] = {TG_CLOSE_HYSTERESIS, TG_CLOSE_END, TG_CLOSE_TICKS_EPOCH};
	for (size_t i = 0; i < sizeof(reasons); i++) {
		a.event = TG_ALERT_CLOSE;
		a.close_reason = reasons[i];
		TG_CHECK_EQ_I64(tg_alert_msg_encode(&a, "AAPL", buf, sizeof(buf)),
		                TG_ALERT_MSG_BYTES);
		TG_CHECK_EQ_U64(buf[4], TG_ALERT_CLOSE);
		TG_CHECK_EQ_U64(buf[5], reasons[i]);
		TG_CHECK_EQ_I64(tg_alert_msg_decode(buf, TG_ALERT_MSG_BYTES, &b, sym), 0);
		TG_CHECK_EQ_U64(b.event, TG_ALERT_CLOSE);
		TG_CHECK_EQ_U64(b.close_reason, reasons[i]);
		TG_CHECK_EQ_U64(b.alert_id, a.alert_id);
	}
}

static void t_rejects(void)
{
	struct tg_alert a = sample(), b;
	uint8_t buf[TG_ALERT_MSG_BYTES];
	TG_CHECK_EQ_I64(tg_alert_msg_encode(&a, "X", buf, sizeof(buf) - 1), TG_WIRE_ESPACE);
	tg_alert_msg_encode(&a, "X", buf, sizeof(buf));
	for (size_t len = 0; len < TG_ALERT_MSG_BYTES; len++) {
		uint8_t *c = malloc(len + 1);
		memcpy(c, buf, len);
		TG_CHECK_EQ_I64(tg_alert_msg_decode(c, len, &b, NULL), TG_WIRE_ETRUNC);
		free(c);
	}
	buf[0] = 'A';
	TG_CHECK_EQ_I64(tg_alert_msg_decode(buf, sizeof(buf), &b, NULL), TG_WIRE_ETYPE);
	buf[0] = 'T';
	buf[1] = 2;
	TG_CHECK_EQ_I64(tg_alert_msg_decode(buf, sizeof(buf), &b, NULL), TG_WIRE_EFORMAT);
}

int main(void)
{
	tg_test_case("roundtrip", t_roundtrip);
	tg_test_case("rejects", t_rejects);
	return tg_test_done();
}
