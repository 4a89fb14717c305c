/* scorer.h - one scorer: follows the all-instruments arrival ring of a tick
 * segment, and for every instrument of its shard (id % count == index) with
 * new ticks takes the latest window in place, scales it, batches the ready
 * windows of the shard into one reconstruction call, compares the MSE with
 * the threshold and only then validates the window: an overwritten window
 * is discarded and counted, never flagged. Each decision goes to the
 * scorer's own flag segment ("flags.<index>").
 *
 * The backend is asynchronous (recon.h): a batch is submitted and its
 * result handled by a later poll, so a slow remote endpoint never stops the
 * scorer from following the arrival ring; at most max_inflight batches are
 * outstanding, and while all are, new ticks simply wait (and coalesce) in
 * their instruments. Each window is copied out of its tick ring and
 * validated right after the copy, before submit: a torn copy is discarded
 * then, and a completed score is a valid decision about the ticks
 * [first_seq, last_seq] as they were read, however late it arrives (the
 * flag records that range, and the ticks may be overwritten meanwhile).
 *
 * Accounting (exact when idle, and after tg_scorer_drain):
 *   windows_ready = scored + coalesced + discarded + unscored + rejected
 * and at any poll boundary the difference is windows_in_flight (a gauge)
 * plus the windows waiting in instruments while every batch is out.
 * where a window is "ready" for each announced tick that completes one,
 * "coalesced" when a fresher window of the same instrument was scored in
 * its place (the scorer fell behind, or caught up after a restart),
 * "unscored" when the backend failed, "rejected" when preprocessing refused
 * the prices. Single-threaded: one struct tg_scorer per thread.
 */
#ifndef TG_SCORER_SCORER_H
#define TG_SCORER_SCORER_H

#include <stdbool.h>
#include <stdint.h>

#include "model/preprocess.h"
#include "scorer/recon.h"

enum tg_idle { TG_IDLE_SPIN = 0, TG_IDLE_YIELD = 1, TG_IDLE_SLEEP = 2 };
int tg_idle_parse(const char *name); /* mode or -EINVAL */

struct tg_scorer_config {
	uint32_t index, count;          /* shard index of count */
	const char *ticks_name;         /* tick segment to follow, default "ticks" */
	const char *flags_name;         /* default "flags.<index>" */
	const char *seg_dir;            /* backing dir for the flag segment (NULL: default) */
	uint32_t flag_slots;            /* flag ring slots (power of two), default 1 << 16 */
	uint32_t window;                /* ticks per window (= the model's) */
	double threshold;               /* score > threshold = anomalous */
	const struct tg_scaler *scaler; /* borrowed, frozen */
	struct tg_recon *recon;         /* borrowed reconstruction backend */
	uint32_t max_batch;             /* windows per reconstruction call (<= recon's) */
	uint32_t max_arrivals;          /* arrivals drained per round, default 65536 */
	uint32_t max_inflight;          /* batches outstanding at the backend, default 8 */
	bool no_validate;               /* TESTS ONLY: the broken variant that skips
				     tg_ring_window_valid, to prove tests catch it */
	bool sync_wait;                 /* TESTS ONLY: the old broken variant that waits
				     for each batch's result inside tg_scorer_poll */
};

/* Counters, in this order, in the flag segment (names in scorer.c). */
enum {
	TG_SC_ARRIVALS,        /* arrival records read */
	TG_SC_ARRIVALS_OTHER,  /* of those, other shards' instruments */
	TG_SC_ARRIVALS_LAPPED, /* arrival records lost to overwrite */
	TG_SC_WARMUP,          /* ticks before an instrument's first full window */
	TG_SC_READY,
	TG_SC_SCORED,
	TG_SC_COALESCED,
	TG_SC_DISCARDED,
	TG_SC_UNSCORED,
	TG_SC_REJECTED,
	TG_SC_ANOMALOUS,
	TG_SC_BATCHES,
	TG_SC_BATCH_MAX,
	TG_SC_SCALER_FALLBACK, /* instruments scaled with the pooled group */
	TG_SC_TICKS_REATTACH,  /* tick segment replaced (new epoch) */
	TG_SC_SCORE_NS,        /* time in the scorer's thread: copy, scaling, submit (the
				  local forward pass), decisions; not a remote wait */
	TG_SC_CPU_NS,          /* process CPU time (updated ~10 times a second) */
	TG_SC_RECON_FALLBACK,  /* windows the remote backend left to the local fallback */
	TG_SC_RECON_REQUESTS,  /* remote: HTTP attempts (incl. retries) */
	TG_SC_RECON_FAILURES,  /* remote: timeouts + connection errors + HTTP errors + malformed */
	TG_SC_FINISHED,        /* 1 once the scorer exited cleanly ("finished") */
	/* asynchronous backend (appended: earlier indices stay put) */
	TG_SC_INFLIGHT_WINDOWS, /* gauge: announced windows whose batch is outstanding */
	TG_SC_INFLIGHT_BATCHES, /* gauge: batches outstanding */
	TG_SC_INFLIGHT_FULL,    /* rounds that left windows waiting: all batches busy */
	TG_SC_ABANDONED,        /* windows of batches still outstanding at exit (in unscored) */
	TG_SC_RESULT_NS,        /* sum of submit -> result latencies of the batches */
	TG_SC_RESULT_MAX_NS,    /* the largest of those */
	/* tg_recon_counters of the backend (remote: the client's, incl. its fallback),
	   exported by tg_scorer_housekeep, named "backend_" + the field */
	TG_SC_RECON_FIRST,
	TG_SC_RECON_LAST = TG_SC_RECON_FIRST + 22,
	TG_SC_NCOUNTERS
};
const char *tg_scorer_counter_name(unsigned i);

struct tg_scorer;

/* Create the flag segment and attach to the tick segment (-ENOENT / -EAGAIN
 * while it does not exist yet: call again). Not hot path. */
int tg_scorer_create(const struct tg_scorer_config *cfg, struct tg_scorer **out);
/* Attach to the tick segment if not yet attached: 0 attached, -errno of
 * tg_segment_attach otherwise. */
int tg_scorer_attach(struct tg_scorer *s);
/* One round: drain new arrivals, score the dirty instruments in batches.
 * Returns windows handled (> 0) or 0 when there was nothing to do, or
 * -errno (backend failure that cannot continue). Hot path. */
int tg_scorer_poll(struct tg_scorer *s);
/* Slow path (~every 10-100 ms): heartbeat, CPU counter, tick segment
 * liveness. Returns 0, -EOWNERDEAD when the gateway is gone (input ended),
 * -ESTALE after re-attaching to a new epoch (state reset). */
int tg_scorer_housekeep(struct tg_scorer *s);
/* True when every announced tick is accounted for (nothing dirty, nothing
 * in flight). */
bool tg_scorer_idle(const struct tg_scorer *s);
/* Poll (waiting on the backend) until idle or timeout_ns, then count the
 * windows still outstanding or waiting for a free batch as unscored (and
 * abandoned) so the accounting adds up exactly. Not hot path: shutdown.
 * Returns the windows abandoned. */
uint64_t tg_scorer_drain(struct tg_scorer *s, uint64_t timeout_ns);
uint64_t tg_scorer_counter(const struct tg_scorer *s, unsigned i);
/* Mark a clean exit (the publisher tells a finished scorer from a dead one
 * by this counter). Call after the last poll; abandons (tg_scorer_drain
 * with no wait) whatever is still in flight. */
void tg_scorer_finish(struct tg_scorer *s);
void tg_scorer_destroy(struct tg_scorer *s, bool unlink_flags);

#endif
