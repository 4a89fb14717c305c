/* test_shm_records.c - pack/unpack round trips for every record kind, with
 * extreme values in every field (so a field packed into too few bits or the
 * wrong word shows up), and the documented word positions of a tick. */
#include <float.h>

#include "shm/shm.h"
#include "tests/tg_test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_u64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* i-th test value: all zeros, all ones, then random */
static uint64_t val(int i)
{
	return i == 0 ? 0 : i == 1 ? ~0ull : next_u64();
}

static void t_tick(void)
{
	for (int i = 0; i < 1000; i++) {
		struct tg_tick a =
		                   {
		                       .seq = val(i),
		                       .exch_ts_ns = val(i),
		                       .recv_ts_ns = val(i),
		                       .match_no = val(i),
		                       .price_e4 = (uint32_t)val(i),
		                       .shares = (uint32_t)val(i),
		                       .instrument = (uint16_t)val(i),
		                       .side = (uint8_t)val(i),
		                       .flags = (uint8_t)val(i),
		                   },
		               b;
		uint64_t w[TG_TICK_SLOT_WORDS - 1];
		tg_tick_pack(&a, w);
		tg_tick_unpack(w, &b);
		TG_CHECK_EQ_U64(b.seq, a.seq);
		TG_CHECK_EQ_U64(b.exch_ts_ns, a.exch_ts_ns);
		TG_CHECK_EQ_U64(b.recv_ts_ns, a.recv_ts_ns);
		TG_CHECK_EQ_U64(b.match_no, a.match_no);
		TG_CHECK_EQ_U64(b.price_e4, a.price_e4);
		TG_CHECK_EQ_U64(b.shares, a.shares);
		TG_CHECK_EQ_U64(b.instrument, a.instrument);
		TG_CHECK_EQ_U64(b.side, a.side);
		TG_CHECK_EQ_U64(b.flags, a.flags);
		/* slot word k is w[k-1]: price in word 5 as tickguard.h says */
		TG_CHECK_EQ_U64((uint32_t)w[4], a.price_e4);
		TG_CHECK_EQ_U64(w[5] >> 24 & 0xff, a.flags);
		TG_CHECK_EQ_U64(w[6], 0);
	}
}

static void t_arrival(void)
{
	for (int i = 0; i < 1000; i++) {
		struct tg_arrival a = {.tick_seq = val(i),
		                       .exch_ts_ns = val(i),
		                       .instrument = (uint16_t)val(i),
		                       .flags = (uint8_t)val(i)},
		                  b;
		uint64_t w[TG_ARRIVAL_SLOT_WORDS - 1];
		tg_arrival_pack(&a, w);
		tg_arrival_unpack(w, &b);
		TG_CHECK_EQ_U64(b.tick_seq, a.tick_seq);
		TG_CHECK_EQ_U64(b.exch_ts_ns, a.exch_ts_ns);
		TG_CHECK_EQ_U64(b.instrument, a.instrument);
		TG_CHECK_EQ_U64(b.flags, a.flags);
	}
}

static double dval(int i)
{
	static const double special[] = {0.0, -0.0, DBL_MAX, DBL_MIN, 1e-300, 12345.678};
	if (i < 6)
		return special[i];
	return (double)(next_u64() >> 11) / 9007199254740992.0 * 1e6;
}

static void check_double_bits(double a, double b)
{
	uint64_t x, y;
	memcpy(&x, &a, 8);
	memcpy(&y, &b, 8);
	TG_CHECK_EQ_U64(x, y);
}

static void t_flag(void)
{
	for (int i = 0; i < 1000; i++) {
		struct tg_flag a =
		                   {
		                       .first_seq = val(i),
		                       .last_seq = val(i),
		                       .exch_ts_ns = val(i),
		                       .recv_ts_ns = val(i),
		                       .scored_ts_ns = val(i),
		                       .score = dval(i),
		                       .threshold = dval(i),
		                       .last_price_e4 = (uint32_t)val(i),
		                       .first_price_e4 = (uint32_t)val(i),
		                       .instrument = (uint16_t)val(i),
		                       .anomalous = (uint8_t)val(i),
		                       .scorer = (uint8_t)val(i),
		                       .ticks_epoch = (uint32_t)val(i),
		                   },
		               b;
		uint64_t w[TG_FLAG_SLOT_WORDS - 1];
		tg_flag_pack(&a, w);
		tg_flag_unpack(w, &b);
		TG_CHECK_EQ_U64(b.first_seq, a.first_seq);
		TG_CHECK_EQ_U64(b.last_seq, a.last_seq);
		TG_CHECK_EQ_U64(b.exch_ts_ns, a.exch_ts_ns);
		TG_CHECK_EQ_U64(b.recv_ts_ns, a.recv_ts_ns);
		TG_CHECK_EQ_U64(b.scored_ts_ns, a.scored_ts_ns);
		check_double_bits(b.score, a.score);
		check_double_bits(b.threshold, a.threshold);
		TG_CHECK_EQ_U64(b.last_price_e4, a.last_price_e4);
		TG_CHECK_EQ_U64(b.first_price_e4, a.first_price_e4);
		TG_CHECK_EQ_U64(b.instrument, a.instrument);
		TG_CHECK_EQ_U64(b.anomalous, a.anomalous);
		TG_CHECK_EQ_U64(b.scorer, a.scorer);
		TG_CHECK_EQ_U64(b.ticks_epoch, a.ticks_epoch);
	}
}

static void t_alert(void)
{
	for (int i = 0; i < 1000; i++) {
		struct tg_alert a =
		                    {
		                        .alert_id = val(i),
		                        .first_seq = val(i),
		                        .last_seq = val(i),
		                        .open_exch_ts_ns = val(i),
		                        .exch_ts_ns = val(i),
		                        .recv_ts_ns = val(i),
		                        .emit_ts_ns = val(i),
		                        .peak_score = dval(i),
		                        .threshold = dval(i),
		                        .first_price_e4 = (uint32_t)val(i),
		                        .last_price_e4 = (uint32_t)val(i),
		                        .min_price_e4 = (uint32_t)val(i),
		                        .max_price_e4 = (uint32_t)val(i),
		                        .windows = (uint32_t)val(i),
		                        .instrument = (uint16_t)val(i),
		                        .event = (uint8_t)val(i),
		                        .close_reason = (uint8_t)val(i),
		                    },
		                b;
		uint64_t w[TG_ALERT_SLOT_WORDS - 1];
		tg_alert_pack(&a, w);
		tg_alert_unpack(w, &b);
		TG_CHECK_EQ_U64(b.alert_id, a.alert_id);
		TG_CHECK_EQ_U64(b.first_seq, a.first_seq);
		TG_CHECK_EQ_U64(b.last_seq, a.last_seq);
		TG_CHECK_EQ_U64(b.open_exch_ts_ns, a.open_exch_ts_ns);
		TG_CHECK_EQ_U64(b.exch_ts_ns, a.exch_ts_ns);
		TG_CHECK_EQ_U64(b.recv_ts_ns, a.recv_ts_ns);
		TG_CHECK_EQ_U64(b.emit_ts_ns, a.emit_ts_ns);
		check_double_bits(b.peak_score, a.peak_score);
		check_double_bits(b.threshold, a.threshold);
		TG_CHECK_EQ_U64(b.first_price_e4, a.first_price_e4);
		TG_CHECK_EQ_U64(b.last_price_e4, a.last_price_e4);
		TG_CHECK_EQ_U64(b.min_price_e4, a.min_price_e4);
		TG_CHECK_EQ_U64(b.max_price_e4, a.max_price_e4);
		TG_CHECK_EQ_U64(b.windows, a.windows);
		TG_CHECK_EQ_U64(b.instrument, a.instrument);
		TG_CHECK_EQ_U64(b.event, a.event);
		TG_CHECK_EQ_U64(b.close_reason, a.close_reason);
	}
}

int main(void)
{
	tg_test_case("tick", t_tick);
	tg_test_case("arrival", t_arrival);
	tg_test_case("flag", t_flag);
	tg_test_case("alert", t_alert);
	return tg_test_done();
}
