/* test_publisher_episode.c - the alert episode state machine: open on the
 * first anomalous window, one alert per market event, hysteresis in windows
 * and in exchange time, cooldown suppression, stale flags after a scorer
 * restart, prices and peak tracked, flush at end of input. */
#include "publisher/episode.h"
#include "publisher/quality.h"
#include "tests/tg_test.h"

struct fixture {
	struct tg_episode e;
	struct tg_episode_config cfg;
	struct tg_episode_stats st;
	uint64_t next_id;
	uint64_t seq;
	struct tg_alert ev[256];
	int nev;
};

static void fx_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	tg_episode_config_default(&fx->cfg);
	fx->cfg.cooldown_windows = 0;
	fx->next_id = 1;
	fx->seq = 59;
}

/* One window ending at the next tick, score s, 1 ms of exchange time apart. */
static void fx_feed(struct fixture *fx, double score, uint32_t price)
{
	struct tg_flag f = {0};
	f.last_seq = fx->seq;
	f.first_seq = fx->seq - 59;
	f.exch_ts_ns = 1000000ull * fx->seq;
	f.recv_ts_ns = f.exch_ts_ns + 7;
	f.score = score;
	f.threshold = 1.0;
	f.anomalous = score > 1.0;
	f.first_price_e4 = 100000;
	f.last_price_e4 = price;
	f.instrument = 3;
	fx->seq++;
	struct tg_alert a;
	if (tg_episode_step(&fx->e, &fx->cfg, &f, &fx->next_id, &a, &fx->st) && fx->nev < 256)
		fx->ev[fx->nev++] = a;
}

static void fx_feed_n(struct fixture *fx, int n, double score)
{
	for (int i = 0; i < n; i++)
		fx_feed(fx, score, 100000);
}

static void t_quiet(void)
{
	struct fixture fx;
	fx_init(&fx);
	fx_feed_n(&fx, 1000, 0.5);
	TG_CHECK_EQ_U64(fx.nev, 0);
	TG_CHECK_EQ_U64(fx.st.flags, 1000);
	TG_CHECK_EQ_U64(fx.st.opened, 0);
}

static void t_one_event_one_alert(void)
{
	struct fixture fx;
	fx_init(&fx);
	fx.cfg.update_every_windows = 0;
	fx_feed_n(&fx, 10, 0.2);
	fx_feed_n(&fx, 60, 3.0); /* a spike stays in 60 consecutive windows */
	fx_feed_n(&fx, 20, 0.2);
	TG_CHECK_EQ_U64(fx.nev, 2);
	TG_CHECK_EQ_U64(fx.ev[0].event, TG_ALERT_OPEN);
	TG_CHECK_EQ_U64(fx.ev[0].alert_id, 1);
	TG_CHECK_EQ_U64(fx.ev[0].last_seq, 59 + 10);
	TG_CHECK_EQ_U64(fx.ev[0].first_seq, 10);
	TG_CHECK_EQ_U64(fx.ev[0].windows, 1);
	TG_CHECK_EQ_U64(fx.ev[1].event, TG_ALERT_CLOSE);
	TG_CHECK_EQ_U64(fx.ev[1].alert_id, 1);
	TG_CHECK_EQ_U64(fx.ev[1].windows, 60);
	/* closes on the 5th window below (default hysteresis) */
	TG_CHECK_EQ_U64(fx.ev[1].last_seq, 59 + 10 + 60 + 4);
	TG_CHECK_EQ_U64(fx.ev[1].open_exch_ts_ns, fx.ev[0].exch_ts_ns);
	TG_CHECK_EQ_U64(fx.st.opened, 1);
	TG_CHECK_EQ_U64(fx.st.closed, 1);
	TG_CHECK_EQ_U64(fx.st.anomalous, 60);
}

static void t_hysteresis_bridges_dips(void)
{
	struct fixture fx;
	fx_init(&fx);
	fx.cfg.update_every_windows = 0;
	fx.cfg.close_below_windows = 5;
	for (int k = 0; k < 10; k++) { /* flickering around the threshold */
		fx_feed_n(&fx, 3, 2.0);
		fx_feed_n(&fx, 4, 0.9);
	}
	TG_CHECK_EQ_U64(fx.nev, 1);
	fx_feed_n(&fx, 5, 0.9);
	TG_CHECK_EQ_U64(fx.nev, 2);
	TG_CHECK_EQ_U64(fx.ev[1].event, TG_ALERT_CLOSE);
	TG_CHECK_EQ_U64(fx.ev[1].windows, 30);
}

static void t_hysteresis_ns(void)
{
	struct fixture fx;
	fx_init(&fx);
	fx.cfg.close_below_windows = 1;
	fx.cfg.close_below_ns = 20 * 1000000ull; /* flags are 1 ms apart */
	fx_feed_n(&fx, 1, 5.0);
	fx_feed_n(&fx, 20, 0.1);
	TG_CHECK_EQ_U64(fx.nev, 1);
	fx_feed_n(&fx, 1, 0.1); /* the 21st window below is 20 ms after the first */
	TG_CHECK_EQ_U64(fx.nev, 2);
	TG_CHECK_EQ_U64(fx.ev[1].event, TG_ALERT_CLOSE);
}

static void t_cooldown(void)
{
	struct fixture fx;
	fx_init(&fx);
	fx.cfg.close_below_windows = 1;
	fx.cfg.cooldown_windows = 10;
	fx.cfg.cooldown_ns = 0;
	fx_feed_n(&fx, 2, 5.0);
	fx_feed_n(&fx, 1, 0.1); /* close */
	TG_CHECK_EQ_U64(fx.nev, 2);
	fx_feed_n(&fx, 10, 5.0); /* inside the cooldown: suppressed */
	TG_CHECK_EQ_U64(fx.nev, 2);
	TG_CHECK_EQ_U64(fx.st.suppressed, 10);
	fx_feed_n(&fx, 1, 5.0); /* cooldown over: a new alert */
	TG_CHECK_EQ_U64(fx.nev, 3);
	TG_CHECK_EQ_U64(fx.ev[2].event, TG_ALERT_OPEN);
	TG_CHECK_EQ_U64(fx.ev[2].alert_id, 2);

	/* cooldown in exchange time as well: both bounds must pass */
	fx_init(&fx);
	fx.cfg.close_below_windows = 1;
	fx.cfg.cooldown_windows = 1;
	fx.cfg.cooldown_ns = 50 * 1000000ull;
	fx_feed_n(&fx, 1, 5.0);
	fx_feed_n(&fx, 1, 0.1);
	fx_feed_n(&fx, 49, 5.0);
	TG_CHECK_EQ_U64(fx.nev, 2);
	fx_feed_n(&fx, 1, 5.0);
	TG_CHECK_EQ_U64(fx.nev, 3);
}

static void t_updates_on_new_peak(void)
{
	struct fixture fx;
	fx_init(&fx);
	fx.cfg.update_every_windows = 4;
	fx_feed(&fx, 2.0, 100000);
	for (int i = 0; i < 20; i++) /* rising score: update every 4 windows */
		fx_feed(&fx, 3.0 + i, 100000 + (uint32_t)i * 100);
	TG_CHECK_EQ_U64(fx.st.updated, 5);
	TG_CHECK_EQ_U64(fx.ev[1].event, TG_ALERT_UPDATE);
	TG_CHECK_NEAR(fx.ev[1].peak_score, 6.0, 0, 0);
	TG_CHECK_EQ_U64(fx.ev[1].alert_id, fx.ev[0].alert_id);
	fx_feed_n(&fx, 30, 4.0); /* above but no new peak: no update */
	TG_CHECK_EQ_U64(fx.st.updated, 5);
	fx_feed_n(&fx, 5, 0.1);
	struct tg_alert *c = &fx.ev[fx.nev - 1];
	TG_CHECK_EQ_U64(c->event, TG_ALERT_CLOSE);
	TG_CHECK_NEAR(c->peak_score, 22.0, 0, 0);
	TG_CHECK_EQ_U64(c->max_price_e4, 100000 + 19 * 100);
	TG_CHECK_EQ_U64(c->min_price_e4, 100000);
	TG_CHECK_EQ_U64(c->first_price_e4, 100000);
}

static void t_stale_flags_ignored(void)
{
	struct fixture fx;
	fx_init(&fx);
	fx_feed_n(&fx, 5, 5.0);
	uint64_t before = fx.st.flags;
	fx.seq -= 3; /* a restarted scorer re-scores windows already seen */
	fx_feed_n(&fx, 3, 5.0);
	TG_CHECK_EQ_U64(fx.st.stale, 3);
	TG_CHECK_EQ_U64(fx.st.flags, before);
	TG_CHECK_EQ_U64(fx.nev, 1);
}

static void t_flush(void)
{
	struct fixture fx;
	fx_init(&fx);
	struct tg_alert a;
	TG_CHECK_EQ_U64(tg_episode_flush(&fx.e, &a, &fx.st), 0);
	fx_feed_n(&fx, 3, 5.0);
	TG_CHECK_EQ_U64(tg_episode_flush(&fx.e, &a, &fx.st), 1);
	TG_CHECK_EQ_U64(a.event, TG_ALERT_CLOSE);
	TG_CHECK_EQ_U64(a.windows, 3);
	TG_CHECK_EQ_U64(tg_episode_flush(&fx.e, &a, &fx.st), 0);
	TG_CHECK_STR(tg_alert_event_name(TG_ALERT_CLOSE), "close");
}

static void t_quality(void)
{
	struct tg_quality_label l[] = {
	    {.instrument = 0, .kind = 1, .first_tick = 100, .last_tick = 101},
	    {.instrument = 0, .kind = 2, .first_tick = 500, .last_tick = 559},
	    {.instrument = 1, .kind = 1, .first_tick = 100, .last_tick = 100},
	};
	struct tg_quality_alert a[] = {
	    {.instrument = 0, .open_tick = 103, .close_tick = 170}, /* spike, delay 3 */
	    {.instrument = 0, .open_tick = 600, .close_tick = 640}, /* level shift, delay 100 */
	    {.instrument = 1, .open_tick = 300, .close_tick = 310}, /* false: too late */
	    {.instrument = 2, .open_tick = 100, .close_tick = 110}, /* false: other instrument */
	};
	struct tg_quality q;
	TG_CHECK_EQ_I64(tg_quality_eval(l, 3, a, 4, 60, &q), 0);
	TG_CHECK_EQ_U64(q.alerts, 4);
	TG_CHECK_EQ_U64(q.true_alerts, 2);
	TG_CHECK_NEAR(q.precision, 0.5, 0, 0);
	TG_CHECK_EQ_U64(q.kind[1].labels, 2);
	TG_CHECK_EQ_U64(q.kind[1].detected, 1);
	TG_CHECK_NEAR(q.kind[1].recall, 0.5, 0, 0);
	TG_CHECK_NEAR(q.kind[1].delay_mean, 3, 0, 0);
	TG_CHECK_EQ_U64(q.kind[2].detected, 1);
	TG_CHECK_EQ_U64(q.kind[2].delay_max, 100);
	TG_CHECK_NEAR(q.recall, 2.0 / 3.0, 1e-12, 0);
	/* an alert opened before the label but spanning it counts, delay 0 */
	struct tg_quality_alert early = {.instrument = 1, .open_tick = 90, .close_tick = 120};
	TG_CHECK_EQ_I64(tg_quality_eval(l + 2, 1, &early, 1, 60, &q), 0);
	TG_CHECK_EQ_U64(q.kind[1].detected, 1);
	TG_CHECK_NEAR(q.kind[1].delay_median, 0, 0, 0);
	TG_CHECK_EQ_I64(tg_quality_eval(l, 3, NULL, 0, 60, &q), 0);
	TG_CHECK_NEAR(q.precision, 0, 0, 0);
	TG_CHECK_NEAR(q.recall, 0, 0, 0);
}

int main(void)
{
	tg_test_case("quality", t_quality);
	tg_test_case("quiet", t_quiet);
	tg_test_case("one_event_one_alert", t_one_event_one_alert);
	tg_test_case("hysteresis_bridges_dips", t_hysteresis_bridges_dips);
	tg_test_case("hysteresis_ns", t_hysteresis_ns);
	tg_test_case("cooldown", t_cooldown);
	tg_test_case("updates_on_new_peak", t_updates_on_new_peak);
	tg_test_case("stale_flags_ignored", t_stale_flags_ignored);
	tg_test_case("flush", t_flush);
	return tg_test_done();
}
