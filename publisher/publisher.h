/* publisher.h - the publisher: attaches to every scorer's flag segment
 * (flags.0 .. flags.<max-1>; scorers come and go), merges their decisions,
 * runs the per-instrument alert episodes (episode.h) and emits each event
 * to the shared-memory alert ring, UDP (binary alert messages in sequenced
 * MoldUDP64 packets, unicast or multicast) and JSON lines.
 *
 * JSON line fields (one object per event, one line each):
 *   event ("open"|"update"|"close"), alert_id, instrument, symbol,
 *   first_seq, last_seq, open_exch_ts_ns, exch_ts_ns, recv_ts_ns,
 *   emit_ts_ns, open_time, time (exchange time of day HH:MM:SS.nnnnnnnnn),
 *   peak_score, threshold, first_price, last_price, min_price, max_price
 *   (dollars, 4 decimals), windows, latency_recv_ns (emit - gateway receive),
 *   close_reason ("hysteresis"|"end"|"ticks_epoch", close events only)
 *
 * Restart: the alert segment's counters double as the publisher's journal.
 * After each flag it stores, per scorer slot, which flag segment (writer pid
 * and epoch) it follows and how many flags of it it consumed, plus the next
 * alert id, the next MoldUDP64 sequence number and how many ring events
 * were fully output. A publisher that starts while its predecessor's alert
 * segment is still there (writer dead, never finished) and at least one of
 * the recorded flag segments is still live resumes: it continues alert ids,
 * UDP sequence numbers and the cumulative counters, rebuilds each
 * instrument's episode from the last event of it in the old alert ring
 * (open, or closed and cooling down), re-outputs (UDP, JSONL) ring events
 * whose output had not finished, and reads each still-live flag segment
 * from its recorded position; a flag segment replaced meanwhile (a
 * restarted scorer) is read from its start, as a first start would. The new
 * alert ring starts empty (readers re-attach to the new epoch; the old
 * ring's events are not copied, so they see no duplicates). Otherwise it
 * starts afresh. Limits: a kill while one event is being output (between
 * its ring append and the journal store) outputs that one event again on
 * resume (same alert id: detectable); the flag being processed at the kill
 * may be counted again (as stale); a rebuilt episode restarts its
 * hysteresis/cooldown window counts at the resume point; an episode whose
 * last event was overwritten in the old ring is unknown (starts idle);
 * latency percentiles cover the new process only; flags a replaced scorer
 * segment held beyond the recorded position are lost uncounted.
 *
 * Single-threaded: one publisher per process (the alert segment has one
 * writer). Library: never prints; notable events (a scorer attached,
 * replaced, died) go to cfg.log.
 */
#ifndef TG_PUBLISHER_PUBLISHER_H
#define TG_PUBLISHER_PUBLISHER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "publisher/episode.h"
#include "tickguard/tickguard.h"

struct tg_publisher_config {
	const char *alerts_name;  /* default "alerts" */
	const char *ticks_name;   /* for symbols, default "ticks" */
	const char *flags_prefix; /* default "flags." */
	const char *seg_dir;      /* backing dir of the alert segment (NULL: default) */
	uint32_t max_scorers;     /* flags.0 .. flags.<max-1>, default 64 */
	uint32_t alert_slots;     /* alert ring slots, default 1 << 16 */
	struct tg_episode_config episode;
	const char *udp_dest;      /* "ADDR:PORT" (unicast or multicast) or NULL */
	int udp_ttl;               /* multicast TTL, default 1 */
	const char *udp_iface;     /* IPv4 address of the multicast interface, or NULL */
	const char *session;       /* MoldUDP64 session, default "TGALERTS" */
	FILE *jsonl;               /* JSON lines out (borrowed), or NULL */
	int64_t exch_utc_offset_s; /* exchange time of day = UTC + this (for the
				      exchange-timestamp latency), default 0 */
	/* is the feed's ITCH time a live clock? AUTO (default): measure the
	 * exchange-timestamp latency when it lies in [0, 1 h) (a real feed);
	 * LIVE: the feed is restamped live (feedsim --clock live), same check;
	 * REPLAY: the feed replays a historical/synthetic day, never measured
	 * (a replayed time of day can fall in the window by chance) */
	int exch_clock;
	void (*log)(void *arg, const char *line);
	void *log_arg;
};

enum {
	TG_PUB_FLAGS,       /* flags read */
	TG_PUB_FLAGS_STALE, /* at or behind a tick already seen (restart) */
	TG_PUB_FLAGS_LOST,  /* lost to overwrite of a flag ring */
	TG_PUB_ANOMALOUS,
	TG_PUB_ALERTS, /* episodes opened = alerts */
	TG_PUB_UPDATES,
	TG_PUB_CLOSES,
	TG_PUB_SUPPRESSED, /* anomalous windows inside a cooldown */
	TG_PUB_EVENTS,     /* events emitted (ring appends) */
	TG_PUB_SCORERS,    /* gauge: flag segments attached and live */
	TG_PUB_ATTACHES,
	TG_PUB_REATTACHES, /* a scorer replaced its segment (restart) */
	TG_PUB_DEATHS,     /* a scorer died without finishing */
	TG_PUB_FINISHED,   /* a scorer exited cleanly */
	TG_PUB_UDP_PACKETS,
	TG_PUB_UDP_ERRORS,
	TG_PUB_JSONL_LINES,
	TG_PUB_JSONL_ERRORS,
	TG_PUB_LAT_N,        /* alert latency samples (open events) */
	TG_PUB_LAT_RECV_P50, /* ns, gateway receive -> alert emitted */
	TG_PUB_LAT_RECV_P99,
	TG_PUB_LAT_RECV_P999,
	TG_PUB_LAT_RECV_MAX,
	TG_PUB_LAT_EXCH_N,   /* samples with a plausible exchange clock */
	TG_PUB_LAT_EXCH_P50, /* ns, exchange timestamp -> alert emitted */
	TG_PUB_LAT_EXCH_P99,
	TG_PUB_LAT_EXCH_P999,
	TG_PUB_LAT_EXCH_OUT, /* exchange latency outside [0, 1 h): replayed clock */
	TG_PUB_DEC_N,        /* every flag: gateway receive -> publisher decision */
	TG_PUB_DEC_P50,
	TG_PUB_DEC_P99,
	TG_PUB_DEC_P999,
	TG_PUB_LAT_EXCH_REPLAY, /* alerts not measured: the feed replays its clock */
	TG_PUB_EXCH_CLOCK,      /* gauge: exch_clock (0 auto, 1 live, 2 replay) */
	TG_PUB_EPOCH_RESETS,    /* instruments restarted by a new tick epoch */
	TG_PUB_RESUMES,         /* times this alert stream resumed after a crash */
	/* resume state (see "Restart" above), not statistics: */
	TG_PUB_RESUME_NEXT_ID,     /* next alert id */
	TG_PUB_RESUME_TICKS_EPOCH, /* newest flag ticks_epoch seen */
	TG_PUB_RESUME_UDP_SEQ,     /* next MoldUDP64 sequence number */
	TG_PUB_RESUME_OUT,         /* ring events whose UDP/JSONL output is done */
	TG_PUB_FINISHED_CLEAN,     /* 1 once tg_publisher_finish ran */
	/* then, per scorer slot k < max_scorers, two counters:
	 * resume_src<k>_id   = writer pid << 32 | low 32 bits of the flag
	 *                      segment epoch (0 = none)
	 * resume_src<k>_next = flags of that segment consumed */
	TG_PUB_NCOUNTERS
};
enum { TG_PUB_EXCH_CLOCK_AUTO = 0, TG_PUB_EXCH_CLOCK_LIVE = 1, TG_PUB_EXCH_CLOCK_REPLAY = 2 };
const char *tg_publisher_counter_name(unsigned i);

struct tg_publisher;

int tg_publisher_create(const struct tg_publisher_config *cfg, struct tg_publisher **out);
/* Read and process up to `budget` flags across the attached scorers.
 * Returns flags processed (0 = nothing new). Hot path. */
int tg_publisher_poll(struct tg_publisher *p, uint32_t budget);
/* Slow path (~every 10-100 ms): attach new flag segments, follow restarts,
 * report dead scorers, heartbeat, refresh latency counters. */
void tg_publisher_rescan(struct tg_publisher *p);
/* End: drain every attached ring, close open episodes, send end of session.
 * Further polls are allowed but pointless. */
void tg_publisher_finish(struct tg_publisher *p);
uint64_t tg_publisher_counter(const struct tg_publisher *p, unsigned i);
/* Did create resume a crashed predecessor's alert stream (see above)? */
bool tg_publisher_resumed(const struct tg_publisher *p);
void tg_publisher_destroy(struct tg_publisher *p, bool unlink_alerts);

/* Format one alert event as a JSON line (with '\n') into buf: length, or
 * -ENOSPC. symbol may be NULL/empty. Pure. */
int tg_alert_json(const struct tg_alert *a, const char *symbol, char *buf, size_t len);

#endif
