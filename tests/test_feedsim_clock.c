/* test_feedsim_clock.c - feedsim's live clock (feed.h) and the exchange
 * timestamp latency it makes measurable (publisher/latency.h):
 *  - the same synthetic session fed with the source clock and the live
 *    clock: byte-identical messages apart from the 6 timestamp bytes; live
 *    stamps never go backwards, lie between the wall clock before and after
 *    the run (ns since midnight UTC), and decode as ITCH timestamps;
 *  - paced (--speed 1 / --rate) over a real request socket: live stamps
 *    keep the source's relative timing (one per-source offset) to the send
 *    slack, and the schedule's k / rate; without a socket (pcap output)
 *    nothing waits and the stamps are the schedule;
 *  - tg_lat_exch_ns: UTC offset, midnight crossings, replayed clocks;
 *  - the command: --clock validation and --help.
 * No sleeps: pacing waits are the feed's own. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "feedsim/feed.h"
#include "feedsim/replay.h"
#include "feedsim/source.h"
#include "publisher/latency.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"
#include "wire/itch.h"

#define DAY_NS 86400000000000ull

static uint64_t msg_ts(const uint8_t *m)
{
	uint64_t t = 0;
	for (int i = 0; i < 6; i++)
		t = t << 8 | m[5 + i];
	return t;
}

/* Feed a replay of src through a feed with config c (no network unless c
 * asks); returns the feed (caller destroys) with its history. */
static struct tg_feed *feed_all(struct tg_source *src, const struct tg_feed_config *c)
{
	struct tg_replay *r = NULL;
	struct tg_feed *f = NULL;
	TG_CHECK_EQ_I64(tg_replay_open_source(src, TG_REPLAY_TRADES_AE, &r), 0);
	TG_CHECK_EQ_I64(tg_feed_create(c, &f), 0);
	if (r && f)
		TG_CHECK_EQ_I64(tg_feed_run(f, r, NULL, NULL), 0);
	tg_replay_close(r);
	return f;
}

static void t_same_stream(void)
{
	struct tg_synth_config sc;
	tg_synth_config_default(&sc);
	sc.seed = 7;
	sc.instruments = 3;
	sc.trades_per_instrument = tg_test_scale() >= 1 ? 3000 : 400;
	struct tg_source *a = NULL, *b = NULL;
	TG_CHECK_EQ_I64(tg_source_open_synth(&sc, &a), 0);
	TG_CHECK_EQ_I64(tg_source_open_synth(&sc, &b), 0);
	if (!a || !b)
		goto out_src;
	struct tg_feed_config src_c = {.clock = TG_FEED_CLOCK_SOURCE};
	struct tg_feed_config live_c = {.clock = TG_FEED_CLOCK_LIVE};
	struct tg_feed *fs = feed_all(a, &src_c);
	uint64_t before = tg_realtime_ns();
	struct tg_feed *fl = feed_all(b, &live_c);
	uint64_t after = tg_realtime_ns();
	if (!fs || !fl)
		goto out_feed;
	if (before / DAY_NS != after / DAY_NS) {
		tg_feed_destroy(fs);
		tg_feed_destroy(fl);
		tg_source_close(a);
		tg_source_close(b);
		TG_SKIP("the run crossed midnight UTC");
	}
	uint64_t midnight = before - before % DAY_NS;
	struct tg_feed_stats ss, ls;
	tg_feed_get_stats(fs, &ss);
	tg_feed_get_stats(fl, &ls);
	TG_CHECK(ss.msgs > 2 * 3 * sc.trades_per_instrument);
	TG_CHECK_EQ_U64(ls.msgs, ss.msgs);
	TG_CHECK_EQ_U64(ls.packets, ss.packets);
	TG_CHECK_EQ_U64(ls.restamped, ls.msgs);
	TG_CHECK_EQ_U64(ls.stamps_raised, 0);
	TG_CHECK_EQ_U64(ls.unstamped, 0);
	TG_CHECK_EQ_U64(ls.live_midnight_ns, midnight);
	TG_CHECK_EQ_U64(ss.restamped, 0);
	uint64_t prev = 0, diff_bytes = 0, out_of_window = 0, backwards = 0, decode_bad = 0;
	uint64_t lo = before - midnight - 1000000, hi = after - midnight; /* 1 ms: clock pairing */
	for (uint64_t seq = 1; seq <= ss.msgs; seq++) {
		const uint8_t *m1, *m2;
		size_t l1, l2;
		if (tg_feed_history_msg(fs, seq, &m1, &l1) ||
		    tg_feed_history_msg(fl, seq, &m2, &l2) || l1 != l2 || l1 < 11) {
			TG_FAIL("message %llu missing or of different length",
			        (unsigned long long)seq);
			break;
		}
		diff_bytes += memcmp(m1, m2, 5) != 0 || memcmp(m1 + 11, m2 + 11, l1 - 11) != 0;
		uint64_t t = msg_ts(m2);
		backwards += t < prev;
		out_of_window += t < lo || t > hi;
		prev = t;
		struct tg_itch_msg d;
		decode_bad += tg_itch_decode(m2, l2, &d) <= 0 || d.ts_ns != t;
	}
	TG_CHECK_EQ_U64(diff_bytes, 0);
	TG_CHECK_EQ_U64(backwards, 0);
	TG_CHECK_EQ_U64(out_of_window, 0);
	TG_CHECK_EQ_U64(decode_bad, 0);
	/* and the source clock really is the source's: the first trade time
	 * of the synthetic session (09:30), far from now in general */
	const uint8_t *m;
	size_t l;
	TG_CHECK_EQ_I64(tg_feed_history_msg(fs, 1, &m, &l), 0);
	TG_CHECK(msg_ts(m) >= sc.session_start_ns && msg_ts(m) <= sc.session_end_ns);
out_feed:
	tg_feed_destroy(fs);
	tg_feed_destroy(fl);
out_src:
	tg_source_close(a);
	tg_source_close(b);
}

/* 24 trades of two symbols 1-3 ms apart (about 50 ms in all). */
static const char paced_csv[] = "symbol,timestamp,price,size\n"
                                "AAA,34200.000000000,10.00,100\n"
                                "BBB,34200.001000000,20.00,100\n"
                                "AAA,34200.003000000,10.01,100\n"
                                "BBB,34200.005500000,20.01,100\n"
                                "AAA,34200.006000000,10.02,100\n"
                                "AAA,34200.007000000,10.03,100\n"
                                "BBB,34200.009000000,20.02,100\n"
                                "AAA,34200.012000000,10.04,100\n"
                                "BBB,34200.013000000,20.03,100\n"
                                "AAA,34200.015000000,10.05,100\n"
                                "BBB,34200.018000000,20.04,100\n"
                                "AAA,34200.019000000,10.06,100\n"
                                "BBB,34200.021000000,20.05,100\n"
                                "AAA,34200.024000000,10.07,100\n"
                                "BBB,34200.026000000,20.06,100\n"
                                "AAA,34200.027000000,10.08,100\n"
                                "BBB,34200.030000000,20.07,100\n"
                                "AAA,34200.033000000,10.09,100\n"
                                "BBB,34200.034000000,20.08,100\n"
                                "AAA,34200.037000000,10.10,100\n"
                                "BBB,34200.040000000,20.09,100\n"
                                "AAA,34200.042000000,10.11,100\n"
                                "BBB,34200.045000000,20.10,100\n"
                                "AAA,34200.048000000,10.12,100\n";

/* Paced over a request socket (pacing needs a socket): speed 1 keeps the
 * source's spacing, rate R spaces messages 1/R apart. Without a socket
 * (pcap-like output) nothing waits and the stamps are the schedule. */
static void paced(double speed, double rate, bool sock)
{
	struct tg_source *src = NULL;
	TG_CHECK_EQ_I64(tg_source_open_csv_mem(paced_csv, sizeof(paced_csv) - 1, &src), 0);
	if (!src)
		return;
	struct tg_feed_config c = {.clock = TG_FEED_CLOCK_SOURCE,
	                           .retrans = sock ? "127.0.0.1:0" : NULL,
	                           .speed = speed,
	                           .rate = rate};
	struct tg_feed *fs = feed_all(src, &c);
	c.clock = TG_FEED_CLOCK_LIVE;
	struct tg_feed *fl = feed_all(src, &c);
	if (!fs || !fl)
		goto out;
	struct tg_feed_stats ss, ls;
	tg_feed_get_stats(fs, &ss);
	tg_feed_get_stats(fl, &ls);
	TG_CHECK_EQ_U64(ls.msgs, ss.msgs);
	TG_CHECK(ls.msgs >= 48);
	const uint8_t *m;
	size_t l;
	uint64_t s0 = 0, l0 = 0, worst = 0;
	for (uint64_t seq = 1; seq <= ls.msgs; seq++) {
		if (tg_feed_history_msg(fs, seq, &m, &l))
			break;
		uint64_t st = msg_ts(m);
		if (tg_feed_history_msg(fl, seq, &m, &l))
			break;
		uint64_t lt = msg_ts(m);
		if (seq == 1) {
			s0 = st;
			l0 = lt;
		}
		/* the schedule: source time / speed, or (seq-1) / rate */
		double want = rate > 0 ? (double)(seq - 1) * 1e9 / rate : (double)(st - s0) / speed;
		double err = (double)(lt - l0) - want;
		if (err < 0)
			err = -err;
		if (err > (double)worst)
			worst = (uint64_t)err;
	}
	/* within the send slack (20 us) plus clock reads */
	fprintf(stderr, "  paced speed %g rate %g%s: worst |live - schedule| %llu ns\n", speed,
	        rate, sock ? "" : " (no socket)", (unsigned long long)worst);
	TG_CHECK(worst <= 100000);
out:
	tg_feed_destroy(fs);
	tg_feed_destroy(fl);
	tg_source_close(src);
}

static void t_paced_speed(void)
{
	paced(1, 0, true);
}

static void t_paced_rate(void)
{
	paced(0, 2000, true);
}

static void t_paced_capture(void)
{
	paced(1, 0, false);
}

static void t_bad_config(void)
{
	struct tg_feed *f = NULL;
	struct tg_feed_config c = {.clock = 7};
	TG_CHECK_EQ_I64(tg_feed_create(&c, &f), -EINVAL);
	c.clock = TG_FEED_CLOCK_LIVE;
	c.clock_utc_offset_s = 15 * 3600;
	TG_CHECK_EQ_I64(tg_feed_create(&c, &f), -EINVAL);
	c.clock_utc_offset_s = -5 * 3600;
	TG_CHECK_EQ_I64(tg_feed_create(&c, &f), 0);
	tg_feed_destroy(f);
}

static void t_exch_latency(void)
{
	const uint64_t s = 1000000000ull, h = 3600 * s, day0 = 20000 * DAY_NS;
	uint64_t d = 0;
	/* UTC: 10:00:00.000100 wall, 10:00:00 stamp */
	TG_CHECK_EQ_I64(tg_lat_exch_ns(day0 + 10 * h + 100000, 10 * h, 0, h, &d), 0);
	TG_CHECK_EQ_U64(d, 100000);
	/* New York (UTC-5): 15:00:00.0002 UTC is 10:00:00.0002 there */
	TG_CHECK_EQ_I64(tg_lat_exch_ns(day0 + 15 * h + 200000, 10 * h, -5 * 3600, h, &d), 0);
	TG_CHECK_EQ_U64(d, 200000);
	/* stamped 23:59:59.9999, emitted 00:00:00.00005 the next day */
	TG_CHECK_EQ_I64(tg_lat_exch_ns(day0 + DAY_NS + 50000, DAY_NS - 100000, 0, h, &d), 0);
	TG_CHECK_EQ_U64(d, 150000);
	/* a feed that counts on past midnight (24 h + 10 us) */
	TG_CHECK_EQ_I64(tg_lat_exch_ns(day0 + DAY_NS + 50000, DAY_NS + 10000, 0, h, &d), 0);
	TG_CHECK_EQ_U64(d, 40000);
	/* UTC+9 just after local midnight: 15:00:00.001 UTC = 00:00:00.001 */
	TG_CHECK_EQ_I64(tg_lat_exch_ns(day0 + 15 * h + 1000000, 0, 9 * 3600, h, &d), 0);
	TG_CHECK_EQ_U64(d, 1000000);
	/* replayed session (09:30 stamps emitted at 17:00), a future stamp,
	 * and the window's bound */
	TG_CHECK_EQ_I64(tg_lat_exch_ns(day0 + 17 * h, 9 * h + h / 2, 0, h, &d), -ERANGE);
	TG_CHECK_EQ_I64(tg_lat_exch_ns(day0 + 10 * h, 10 * h + s, 0, h, &d), -ERANGE);
	TG_CHECK_EQ_I64(tg_lat_exch_ns(day0 + 11 * h, 10 * h, 0, h, &d), -ERANGE);
	TG_CHECK_EQ_I64(tg_lat_exch_ns(day0 + 11 * h - 1, 10 * h, 0, h, &d), 0);
	TG_CHECK_EQ_U64(d, h - 1);
}

static void t_cli(void)
{
	char bin[512], out[600];
	if (access(tg_test_bin(bin, sizeof(bin)), X_OK))
		TG_SKIP("%s not built", bin);
	snprintf(out, sizeof(out), "build/%s/test-feedsim-clock.out",
	         getenv("TG_MODE") ? getenv("TG_MODE") : "release");
	const char *bad[] = {bin, "feedsim", "--clock", "wall", NULL};
	TG_CHECK_EQ_I64(tg_test_run(bin, bad, out), 2);
	const char *bad_off[] = {bin, "feedsim", "--clock-utc-offset", "99999", NULL};
	TG_CHECK_EQ_I64(tg_test_run(bin, bad_off, out), 2);
	const char *help[] = {bin, "feedsim", "--help", NULL};
	TG_CHECK_EQ_I64(tg_test_run(bin, help, out), 0);
	FILE *f = fopen(out, "r");
	char buf[8192];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	TG_CHECK(strstr(buf, "--clock source|live") != NULL);
}

int main(void)
{
	tg_test_case("same_stream", t_same_stream);
	tg_test_case("paced_speed", t_paced_speed);
	tg_test_case("paced_rate", t_paced_rate);
	tg_test_case("paced_capture", t_paced_capture);
	tg_test_case("bad_config", t_bad_config);
	tg_test_case("exch_latency", t_exch_latency);
	tg_test_case("cli", t_cli);
	return tg_test_done();
}
