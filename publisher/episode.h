/* episode.h - turning per-window scorer decisions into alert episodes, one
 * instrument at a time. Pure logic (no I/O, no clocks, no allocation) so it
 * can be tested exhaustively and replayed offline.
 *
 * An episode opens when a window's score crosses the threshold (OPEN event),
 * is updated while windows stay above (an UPDATE event on a new peak, rate
 * limited), and closes once the instrument has stayed below the threshold
 * for a hysteresis of `close_below_windows` windows AND `close_below_ns` of
 * exchange time (CLOSE event). A cooldown then follows: anomalous windows
 * in it are counted as suppressed, never opened. One market event = one
 * alert id. Times are exchange timestamps from the flags, so a replay gives
 * the same episodes as the live run.
 *
 * Tick epochs: tick seqs restart at 0 when the gateway restarts, so a flag's
 * last_seq only orders flags of the same ticks_epoch (tg_flag). A flag of a
 * newer epoch starts the instrument afresh (tg_episode_epoch closes an open
 * episode with TG_CLOSE_TICKS_EPOCH first); one of an older epoch (a late
 * flag of the previous gateway) is stale. Epoch 0 means unknown: seqs only.
 */
#ifndef TG_PUBLISHER_EPISODE_H
#define TG_PUBLISHER_EPISODE_H

#include <stdbool.h>
#include <stdint.h>
#include <tickguard/tickguard.h>

struct tg_episode_config {
	uint32_t close_below_windows;  /* hysteresis in windows (>= 1) */
	uint64_t close_below_ns;       /* and in exchange time (0 = none) */
	uint32_t cooldown_windows;     /* after a close (0 = none) */
	uint64_t cooldown_ns;          /* after a close, exchange time */
	uint32_t update_every_windows; /* UPDATE on a new peak at most every N
					  anomalous windows; 0 = no UPDATEs */
};

/* Defaults: close after 5 windows below, no cooldown in ns, 10 windows. */
void tg_episode_config_default(struct tg_episode_config *cfg);

enum { TG_EPISODE_IDLE = 0, TG_EPISODE_OPEN = 1, TG_EPISODE_COOLDOWN = 2 };

/* Per-instrument state; zero-initialised = idle, nothing seen. */
struct tg_episode {
	struct tg_alert cur; /* the running alert (valid while OPEN) */
	uint64_t last_seq;   /* last tick of the last accepted flag */
	uint64_t below_since_ns;
	uint64_t cool_until_ns;
	uint32_t below_windows;
	uint32_t cool_windows;
	uint32_t since_update;
	uint32_t ticks_epoch; /* of the last accepted flag (0 = unknown) */
	uint8_t phase;
	bool seen;
};

struct tg_episode_stats {
	uint64_t flags;     /* flags accepted */
	uint64_t stale;     /* flags at or behind an already seen tick (e.g.
				re-scored after a scorer restart): ignored */
	uint64_t anomalous; /* anomalous windows accepted */
	uint64_t opened;    /* = alerts */
	uint64_t updated;
	uint64_t closed;
	uint64_t suppressed;   /* anomalous windows inside a cooldown */
	uint64_t epoch_resets; /* instruments restarted by a newer tick epoch */
};

/* Feed one flag of this instrument. Returns 1 when an event was written to
 * *out (every field but emit_ts_ns filled), else 0. *next_id supplies alert
 * ids (incremented on OPEN). Hot path, no side effects beyond the args. */
int tg_episode_step(struct tg_episode *e, const struct tg_episode_config *cfg,
                    const struct tg_flag *f, uint64_t *next_id, struct tg_alert *out,
                    struct tg_episode_stats *st);

/* Call before tg_episode_step for each flag: if f comes from a newer tick
 * epoch than the instrument's last flag, reset the instrument (seqs start
 * again) and, if an episode is open, close it: returns 1 with that CLOSE
 * event (close_reason TG_CLOSE_TICKS_EPOCH) in *out, else 0. Without this
 * call tg_episode_step still accepts the new epoch's seqs but lets an open
 * episode run on. Hot path. */
int tg_episode_epoch(struct tg_episode *e, const struct tg_flag *f, struct tg_alert *out,
                     struct tg_episode_stats *st);

/* End of input: close an open episode now (CLOSE event). Returns 0 or 1. */
int tg_episode_flush(struct tg_episode *e, struct tg_alert *out, struct tg_episode_stats *st);

const char *tg_alert_event_name(uint8_t event);

#endif
