/* episode.c - the alert episode state machine (see episode.h). Idle ->
 * open on an anomalous window; open -> cooldown after the hysteresis below
 * the threshold; cooldown -> idle once both cooldown bounds passed. */
#include "publisher/episode.h"

#include <string.h>

void tg_episode_config_default(struct tg_episode_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->close_below_windows = 5;
	cfg->close_below_ns = 0;
	cfg->cooldown_windows = 10;
	cfg->cooldown_ns = 0;
	cfg->update_every_windows = 16;
}

const char *tg_alert_event_name(uint8_t event)
{
	switch (event) {
	case TG_ALERT_OPEN:
		return "open";
	case TG_ALERT_UPDATE:
		return "update";
	case TG_ALERT_CLOSE:
		return "close";
	}
	return "unknown";
}

static void episode_widen(struct tg_alert *a, const struct tg_flag *f)
{
	uint32_t px[2] = {f->first_price_e4, f->last_price_e4};
	for (int i = 0; i < 2; i++) {
		if (px[i] < a->min_price_e4)
			a->min_price_e4 = px[i];
		if (px[i] > a->max_price_e4)
			a->max_price_e4 = px[i];
	}
}

/* The event as of flag f: the caller's copy of the running alert. */
static int episode_emit(struct tg_episode *e, const struct tg_flag *f, uint8_t event,
                        struct tg_alert *out)
{
	e->cur.last_seq = f->last_seq;
	e->cur.exch_ts_ns = f->exch_ts_ns;
	e->cur.recv_ts_ns = f->recv_ts_ns;
	e->cur.last_price_e4 = f->last_price_e4;
	e->cur.event = event;
	*out = e->cur;
	out->emit_ts_ns = 0;
	return 1;
}

static int episode_open(struct tg_episode *e, const struct tg_flag *f, uint64_t *next_id,
                        struct tg_alert *out, struct tg_episode_stats *st)
{
	memset(&e->cur, 0, sizeof(e->cur));
	e->cur.alert_id = (*next_id)++;
	e->cur.first_seq = f->first_seq;
	e->cur.open_exch_ts_ns = f->exch_ts_ns;
	e->cur.peak_score = f->score;
	e->cur.threshold = f->threshold;
	e->cur.first_price_e4 = f->first_price_e4;
	e->cur.min_price_e4 = UINT32_MAX;
	e->cur.max_price_e4 = 0;
	e->cur.windows = 1;
	e->cur.instrument = f->instrument;
	episode_widen(&e->cur, f);
	e->phase = TG_EPISODE_OPEN;
	e->below_windows = 0;
	e->since_update = 0;
	st->opened++;
	return episode_emit(e, f, TG_ALERT_OPEN, out);
}

static int episode_close(struct tg_episode *e, const struct tg_episode_config *cfg,
                         const struct tg_flag *f, struct tg_alert *out, struct tg_episode_stats *st)
{
	e->phase = TG_EPISODE_COOLDOWN;
	e->cool_windows = 0;
	e->cool_until_ns = f->exch_ts_ns + cfg->cooldown_ns;
	st->closed++;
	return episode_emit(e, f, TG_ALERT_CLOSE, out);
}

int tg_episode_step(struct tg_episode *e, const struct tg_episode_config *cfg,
                    const struct tg_flag *f, uint64_t *next_id, struct tg_alert *out,
                    struct tg_episode_stats *st)
{
	if (e->seen && f->ticks_epoch && e->ticks_epoch && f->ticks_epoch != e->ticks_epoch) {
		/* epochs grow by one per gateway restart; compare mod 2^32 */
		if ((int32_t)(f->ticks_epoch - e->ticks_epoch) < 0) {
			st->stale++; /* a late flag of an older gateway */
			return 0;
		}
		e->seen = false; /* a newer gateway: its seqs start again */
	}
	if (e->seen && f->last_seq <= e->last_seq) {
		st->stale++;
		return 0;
	}
	e->seen = true;
	if (f->ticks_epoch)
		e->ticks_epoch = f->ticks_epoch;
	e->last_seq = f->last_seq;
	st->flags++;
	if (f->anomalous)
		st->anomalous++;

	if (e->phase == TG_EPISODE_COOLDOWN) {
		if (e->cool_windows >= cfg->cooldown_windows && f->exch_ts_ns >= e->cool_until_ns) {
			e->phase = TG_EPISODE_IDLE;
		} else {
			e->cool_windows++;
			if (f->anomalous)
				st->suppressed++;
			return 0;
		}
	}
	if (e->phase == TG_EPISODE_IDLE)
		return f->anomalous ? episode_open(e, f, next_id, out, st) : 0;

	/* open */
	episode_widen(&e->cur, f);
	if (f->anomalous) {
		e->below_windows = 0;
		e->cur.windows++;
		e->since_update++;
		if (f->score > e->cur.peak_score) {
			e->cur.peak_score = f->score;
			if (cfg->update_every_windows &&
			    e->since_update >= cfg->update_every_windows) {
				e->since_update = 0;
				st->updated++;
				return episode_emit(e, f, TG_ALERT_UPDATE, out);
			}
		}
		return 0;
	}
	if (e->below_windows++ == 0)
		e->below_since_ns = f->exch_ts_ns;
	uint32_t need = cfg->close_below_windows ? cfg->close_below_windows : 1;
	if (e->below_windows >= need && f->exch_ts_ns - e->below_since_ns >= cfg->close_below_ns) {
		return episode_close(e, cfg, f, out, st);
	}
	return 0;
}

int tg_episode_epoch(struct tg_episode *e, const struct tg_flag *f, struct tg_alert *out,
                     struct tg_episode_stats *st)
{
	if (!e->seen || !f->ticks_epoch || !e->ticks_epoch ||
	    (int32_t)(f->ticks_epoch - e->ticks_epoch) <= 0)
		return 0;
	int ev = 0;
	if (e->phase == TG_EPISODE_OPEN) {
		e->cur.event = TG_ALERT_CLOSE;
		e->cur.close_reason = TG_CLOSE_TICKS_EPOCH;
		*out = e->cur;
		out->emit_ts_ns = 0;
		st->closed++;
		ev = 1;
	}
	/* the old epoch's cooldown and hysteresis describe ticks that no
	 * longer exist: start idle, ordered by the new epoch's seqs */
	memset(e, 0, sizeof(*e));
	e->ticks_epoch = f->ticks_epoch;
	st->epoch_resets++;
	return ev;
}

int tg_episode_flush(struct tg_episode *e, struct tg_alert *out, struct tg_episode_stats *st)
{
	if (e->phase != TG_EPISODE_OPEN)
		return 0;
	e->phase = TG_EPISODE_COOLDOWN;
	e->cur.event = TG_ALERT_CLOSE;
	e->cur.close_reason = TG_CLOSE_END;
	*out = e->cur;
	out->emit_ts_ns = 0;
	st->closed++;
	return 1;
}
