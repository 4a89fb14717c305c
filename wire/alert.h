/* alert.h - the binary alert message the publisher sends over UDP (as a
 * MoldUDP64 message block) and consumers decode: struct tg_alert from
 * include/tickguard/tickguard.h on the wire.
 *
 * Byte order: LITTLE-ENDIAN (unlike ITCH/MoldUDP64): consumers are x86 and
 * ARM hosts that decode with plain loads. Doubles are IEEE-754 binary64
 * bits, little-endian. Fixed layout, no padding:
 *   0  msg_type(1) = 'T'         1  version(1) = 1
 *   2  instrument(2)             4  event(1) TG_ALERT_*   5 close_reason(1)
 *   6  symbol(8) space padded    14 windows(4)
 *   18 first_price_e4(4)         22 last_price_e4(4)
 *   26 min_price_e4(4)           30 max_price_e4(4)
 *   34 reserved(6) = 0
 *   40 alert_id(8)               48 first_seq(8)          56 last_seq(8)
 *   64 open_exch_ts_ns(8)        72 exch_ts_ns(8)         80 recv_ts_ns(8)
 *   88 emit_ts_ns(8)             96 peak_score(8)         104 threshold(8)
 * (112 bytes in total: TG_ALERT_MSG_BYTES.) close_reason is TG_CLOSE_* on a
 * CLOSE event, else 0 (as in struct tg_alert). It took over a byte that was
 * reserved (= 0) in the same version: an older sender's CLOSE decodes as 0,
 * TG_CLOSE_HYSTERESIS.
 * A decoder accepts a longer
 * message of the same version (fields may be appended later) and rejects
 * a shorter one, another type or another version.
 */
#ifndef TG_WIRE_ALERT_H
#define TG_WIRE_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "tickguard/tickguard.h"
#include "wire/wire.h"

#define TG_ALERT_MSG_TYPE    'T'
#define TG_ALERT_MSG_VERSION 1
#define TG_ALERT_MSG_BYTES   112

/* Encode a (and its instrument's symbol, up to 8 chars, may be NULL) into
 * buf. Returns TG_ALERT_MSG_BYTES or TG_WIRE_ESPACE. Pure, hot path. */
int tg_alert_msg_encode(const struct tg_alert *a, const char *symbol, void *buf, size_t cap);

/* Decode; symbol (9 bytes, terminated, trailing spaces removed) may be
 * NULL. 0, TG_WIRE_ETRUNC (short), TG_WIRE_ETYPE (type byte),
 * TG_WIRE_EFORMAT (version). Pure. */
int tg_alert_msg_decode(const void *buf, size_t len, struct tg_alert *a, char symbol[9]);

#endif
