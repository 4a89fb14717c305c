/* records.c - record <-> slot words. The word layouts are documented next
 * to each record in tickguard.h and covered by the layout hash
 * (segment_attach.c); change one and the other together.
 */
#include <string.h>

#include "common/tg_common.h"
#include "shm/shm.h"

void tg_tick_unpack(const uint64_t *words, struct tg_tick *t)
{
	t->seq = words[0];
	t->exch_ts_ns = words[1];
	t->recv_ts_ns = words[2];
	t->match_no = words[3];
	t->price_e4 = (uint32_t)words[4];
	t->shares = (uint32_t)(words[4] >> 32);
	t->instrument = (uint16_t)words[5];
	t->side = (uint8_t)(words[5] >> 16);
	t->flags = (uint8_t)(words[5] >> 24);
}

void tg_arrival_unpack(const uint64_t *words, struct tg_arrival *a)
{
	a->tick_seq = words[0];
	a->exch_ts_ns = words[1];
	a->instrument = (uint16_t)words[2];
	a->flags = (uint8_t)(words[2] >> 16);
}

void tg_flag_pack(const struct tg_flag *f, uint64_t words[TG_FLAG_SLOT_WORDS - 1])
{
	memset(words, 0, (TG_FLAG_SLOT_WORDS - 1) * sizeof(uint64_t));
	words[0] = f->first_seq;
	words[1] = f->last_seq;
	words[2] = f->exch_ts_ns;
	words[3] = f->recv_ts_ns;
	words[4] = f->scored_ts_ns;
	words[5] = tg_double_bits(f->score);
	words[6] = tg_double_bits(f->threshold);
	words[7] = f->last_price_e4 | (uint64_t)f->first_price_e4 << 32;
	words[8] = f->instrument | (uint64_t)f->anomalous << 16 | (uint64_t)f->scorer << 24 |
	           (uint64_t)f->ticks_epoch << 32;
}

void tg_flag_unpack(const uint64_t *words, struct tg_flag *f)
{
	f->first_seq = words[0];
	f->last_seq = words[1];
	f->exch_ts_ns = words[2];
	f->recv_ts_ns = words[3];
	f->scored_ts_ns = words[4];
	f->score = tg_bits_double(words[5]);
	f->threshold = tg_bits_double(words[6]);
	f->last_price_e4 = (uint32_t)words[7];
	f->first_price_e4 = (uint32_t)(words[7] >> 32);
	f->instrument = (uint16_t)words[8];
	f->anomalous = (uint8_t)(words[8] >> 16);
	f->scorer = (uint8_t)(words[8] >> 24);
	f->ticks_epoch = (uint32_t)(words[8] >> 32);
}

void tg_alert_pack(const struct tg_alert *a, uint64_t words[TG_ALERT_SLOT_WORDS - 1])
{
	memset(words, 0, (TG_ALERT_SLOT_WORDS - 1) * sizeof(uint64_t));
	words[0] = a->alert_id;
	words[1] = a->first_seq;
	words[2] = a->last_seq;
	words[3] = a->open_exch_ts_ns;
	words[4] = a->exch_ts_ns;
	words[5] = a->recv_ts_ns;
	words[6] = a->emit_ts_ns;
	words[7] = tg_double_bits(a->peak_score);
	words[8] = tg_double_bits(a->threshold);
	words[9] = a->first_price_e4 | (uint64_t)a->last_price_e4 << 32;
	words[10] = a->min_price_e4 | (uint64_t)a->max_price_e4 << 32;
	words[11] = a->windows | (uint64_t)a->instrument << 32 | (uint64_t)a->event << 48 |
	            (uint64_t)a->close_reason << 56;
}

void tg_alert_unpack(const uint64_t *words, struct tg_alert *a)
{
	a->alert_id = words[0];
	a->first_seq = words[1];
	a->last_seq = words[2];
	a->open_exch_ts_ns = words[3];
	a->exch_ts_ns = words[4];
	a->recv_ts_ns = words[5];
	a->emit_ts_ns = words[6];
	a->peak_score = tg_bits_double(words[7]);
	a->threshold = tg_bits_double(words[8]);
	a->first_price_e4 = (uint32_t)words[9];
	a->last_price_e4 = (uint32_t)(words[9] >> 32);
	a->min_price_e4 = (uint32_t)words[10];
	a->max_price_e4 = (uint32_t)(words[10] >> 32);
	a->windows = (uint32_t)words[11];
	a->instrument = (uint16_t)(words[11] >> 32);
	a->event = (uint8_t)(words[11] >> 48);
	a->close_reason = (uint8_t)(words[11] >> 56);
}
