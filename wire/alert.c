/* alert.c - struct tg_alert <-> the 112-byte little-endian alert message
 * (layout in alert.h). Explicit byte stores, so the result does not depend
 * on the host's struct padding or byte order. */
#include <string.h>

#include "common/tg_common.h"
#include "wire/alert.h"

int tg_alert_msg_encode(const struct tg_alert *a, const char *symbol, void *buf, size_t cap)
{
	if (cap < TG_ALERT_MSG_BYTES)
		return TG_WIRE_ESPACE;
	uint8_t *p = buf;
	memset(p, 0, TG_ALERT_MSG_BYTES);
	p[0] = TG_ALERT_MSG_TYPE;
	p[1] = TG_ALERT_MSG_VERSION;
	tg_put_le16(p + 2, a->instrument);
	p[4] = a->event;
	p[5] = a->close_reason;
	size_t n = symbol ? strnlen(symbol, 8) : 0;
	memset(p + 6, ' ', 8);
	memcpy(p + 6, symbol ? symbol : "", n);
	tg_put_le32(p + 14, a->windows);
	tg_put_le32(p + 18, a->first_price_e4);
	tg_put_le32(p + 22, a->last_price_e4);
	tg_put_le32(p + 26, a->min_price_e4);
	tg_put_le32(p + 30, a->max_price_e4);
	tg_put_le64(p + 40, a->alert_id);
	tg_put_le64(p + 48, a->first_seq);
	tg_put_le64(p + 56, a->last_seq);
	tg_put_le64(p + 64, a->open_exch_ts_ns);
	tg_put_le64(p + 72, a->exch_ts_ns);
	tg_put_le64(p + 80, a->recv_ts_ns);
	tg_put_le64(p + 88, a->emit_ts_ns);
	tg_put_le64(p + 96, tg_double_bits(a->peak_score));
	tg_put_le64(p + 104, tg_double_bits(a->threshold));
	return TG_ALERT_MSG_BYTES;
}

int tg_alert_msg_decode(const void *buf, size_t len, struct tg_alert *a, char symbol[9])
{
	const uint8_t *p = buf;
	if (len < 2)
		return TG_WIRE_ETRUNC;
	if (p[0] != TG_ALERT_MSG_TYPE)
		return TG_WIRE_ETYPE;
	if (p[1] != TG_ALERT_MSG_VERSION)
		return TG_WIRE_EFORMAT;
	if (len < TG_ALERT_MSG_BYTES)
		return TG_WIRE_ETRUNC;
	memset(a, 0, sizeof(*a));
	a->instrument = tg_le16(p + 2);
	a->event = p[4];
	a->close_reason = p[5];
	a->windows = tg_le32(p + 14);
	a->first_price_e4 = tg_le32(p + 18);
	a->last_price_e4 = tg_le32(p + 22);
	a->min_price_e4 = tg_le32(p + 26);
	a->max_price_e4 = tg_le32(p + 30);
	a->alert_id = tg_le64(p + 40);
	a->first_seq = tg_le64(p + 48);
	a->last_seq = tg_le64(p + 56);
	a->open_exch_ts_ns = tg_le64(p + 64);
	a->exch_ts_ns = tg_le64(p + 72);
	a->recv_ts_ns = tg_le64(p + 80);
	a->emit_ts_ns = tg_le64(p + 88);
	a->peak_score = tg_bits_double(tg_le64(p + 96));
	a->threshold = tg_bits_double(tg_le64(p + 104));
	if (symbol) {
		size_t n = 8;
		memcpy(symbol, p + 6, 8);
		while (n > 0 && (symbol[n - 1] == ' ' || symbol[n - 1] == '\0'))
			n--;
		symbol[n] = '\0';
	}
	return 0;
}
