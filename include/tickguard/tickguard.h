/* tickguard.h - the public interface for processes that read tickguard's
 * shared memory: attach to a segment by name, read instrument tick rings,
 * the all-instruments arrival ring, scorer flag rings and the alert ring.
 *
 * This header and libtickguard (pkg-config: tickguard) are all a trading
 * process needs. Everything here is read-only; writers live in shm/.
 * It is C11; C++23 can include it too (<stdatomic.h> maps _Atomic(T) to
 * std::atomic<T>), which is why atomics are spelled _Atomic(T).
 *
 * Ring layout and reader protocol
 * -------------------------------
 * A ring is a header (three cache lines) followed by `capacity` slots of
 * `slot_words` 64-bit words (slot_words is a power of two, so a slot never
 * straddles more cache lines than it must). Word 0 of a slot is its stamp;
 * the record lives in words 1..slot_words-1. All slot words are accessed
 * with atomic loads/stores (relaxed for payload), so no access is a data
 * race in the C11 sense.
 *
 * The ring has exactly one writer. To append record n (0-based) it writes
 * slot n & (capacity-1):
 *   W1 store(slot.stamp, 2n+1, relaxed)      odd: slot is being written
 *   W2 atomic_thread_fence(release)          pairs with reader fence R4
 *   W3 store each payload word, relaxed
 *   W4 store(slot.stamp, 2n+2, release)      pairs with R1' (tg_ring_try_read)
 *   W5 store(ring.head, n+1, release)        pairs with R1 (tg_ring_head)
 * The writer never reads anything a reader writes, so it never waits.
 *
 * Reading records [first, first+count) in place:
 *   R1 h = load(ring.head, acquire)          records < h are complete
 *   R2 (caller) choose first+count <= h, take pointers into the slots
 *   R3 load payload words, relaxed           the caller's work happens here
 *   R4 atomic_thread_fence(acquire)          pairs with writer fence W2
 *   R5 for each slot, load(stamp, relaxed) and require stamp == 2*seq+2
 * Why a validated read is never torn: if any payload load in R3 saw a value
 * stored by a later overwrite (record seq+k*capacity), that store follows
 * the writer's W2 fence, so the W1 store of the overwrite happens-before R5
 * and R5 sees an odd stamp or a larger one: the check fails. If R5 passes,
 * every R3 load saw the record the stamp names. R1 guarantees the record
 * was complete before R3 began. A failed check means the window was
 * overwritten while in use: the reader must discard what it computed.
 *
 * Reading one record `seq` by its stamp alone (tg_ring_try_read), the
 * classic seqlock loop, for a reader that polls the next slot instead of
 * head (the lowest-latency hand-off: stamp and payload share the slot):
 *   R1' s = load(slot.stamp, acquire)        pairs with W4; s < 2seq+2: not
 *                                            written yet, s > 2seq+2: lapped
 *   R3' copy the payload words, relaxed
 *   R4' atomic_thread_fence(acquire)         pairs with W2, as R4
 *   R5' load(slot.stamp, relaxed) == s       else overwritten meanwhile
 *
 * Limits: a reader more than `capacity` records behind loses records; it
 * learns how many from head (tg_ring_lapped). Stamps are 64-bit and never
 * wrap in practice (a garbage seq >= 2^63 is not detected).
 */
#ifndef TICKGUARD_TICKGUARD_H
#define TICKGUARD_TICKGUARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GCC (12+) warns that ThreadSanitizer does not model atomic_thread_fence.
 * Every payload access here is atomic, so TSan has no data race to misjudge
 * when it ignores the fences; the warning is silenced around them only. */
#if defined(__SANITIZE_THREAD__) && defined(__GNUC__) && __GNUC__ >= 12 && !defined(__clang__)
#define TG_TSAN_FENCE_BEGIN                                                                        \
	_Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wtsan\"")
#define TG_TSAN_FENCE_END _Pragma("GCC diagnostic pop")
#else
#define TG_TSAN_FENCE_BEGIN
#define TG_TSAN_FENCE_END
#endif

#define TG_ABI_MAJOR  1
#define TG_ABI_MINOR  0
#define TG_CACHELINE  64
#define TG_SYMBOL_LEN 8 /* ITCH stock symbol, space padded, not terminated */

/* ---- records ---------------------------------------------------------- */

/* A trade tick as a reader sees it (unpacked from a ring slot). */
struct tg_tick {
	uint64_t seq;        /* tick sequence within its instrument, from 0 */
	uint64_t exch_ts_ns; /* exchange timestamp, ns since midnight (ITCH) */
	uint64_t recv_ts_ns; /* gateway receive time, CLOCK_REALTIME ns */
	uint64_t match_no;   /* ITCH match number (0 if none) */
	uint32_t price_e4;   /* price x 10^4, exactly as ITCH carries it */
	uint32_t shares;
	uint16_t instrument; /* instrument id (index into the directory) */
	uint8_t side;        /* 'B' buyer-initiated, 'S' seller-initiated, 0 unknown */
	uint8_t flags;       /* TG_TICK_* */
};

enum {
	TG_TICK_HIDDEN = 1 << 0, /* from a non-displayable trade ('P') */
	TG_TICK_CROSS = 1 << 1,  /* from a cross trade ('Q') */
	TG_TICK_BROKEN = 1 << 2, /* a later 'B' broke this trade */
	TG_TICK_WITHPX = 1 << 3, /* from 'C' (executed with price) */
	TG_TICK_SYNTH = 1 << 4,  /* replayed / synthetic source */
};

/* Tick slot: 8 words. Word 0 stamp, 1 seq, 2 exch_ts_ns, 3 recv_ts_ns,
 * 4 match_no, 5 price_e4 | shares << 32, 6 instrument | side << 16 |
 * flags << 24, 7 reserved. */
#define TG_TICK_SLOT_WORDS 8

/* One entry of the all-instruments arrival ring: instrument `instrument`
 * got tick `tick_seq`. Slot: 4 words. Word 0 stamp, 1 tick_seq,
 * 2 exch_ts_ns, 3 instrument | flags << 16. */
struct tg_arrival {
	uint64_t tick_seq;
	uint64_t exch_ts_ns;
	uint16_t instrument;
	uint8_t flags;
};
#define TG_ARRIVAL_SLOT_WORDS 4

/* A scorer decision about one window (flag ring record). Slot: 16 words,
 * word 0 stamp, then the struct's fields in order, each 64-bit field one
 * word, doubles as their IEEE bits, 32/16/8-bit fields packed little-end
 * first into the following words (see tg_flag_unpack). */
struct tg_flag {
	uint64_t first_seq;  /* first tick of the window */
	uint64_t last_seq;   /* last tick of the window */
	uint64_t exch_ts_ns; /* exchange time of the last tick */
	uint64_t recv_ts_ns; /* gateway receive time of the last tick */
	uint64_t scored_ts_ns;
	double score; /* reconstruction MSE; finite (overflow = DBL_MAX) */
	double threshold;
	uint32_t last_price_e4;
	uint32_t first_price_e4;
	uint16_t instrument;
	uint8_t anomalous;
	uint8_t scorer;
	/* low 32 bits of the epoch of the tick segment the window was read
	 * from (0 = unknown). Tick seqs restart at 0 when the gateway restarts
	 * (a new epoch), so last_seq only orders flags of one ticks_epoch. */
	uint32_t ticks_epoch;
};
#define TG_FLAG_SLOT_WORDS 16

/* An alert event (alert ring record). Slot: 16 words, packed like a flag. */
enum { TG_ALERT_OPEN = 1, TG_ALERT_UPDATE = 2, TG_ALERT_CLOSE = 3 };
struct tg_alert {
	uint64_t alert_id;
	uint64_t first_seq; /* first tick of the first anomalous window */
	uint64_t last_seq;  /* last tick seen by this event */
	uint64_t open_exch_ts_ns;
	uint64_t exch_ts_ns; /* exchange time of the tick that caused this event */
	uint64_t recv_ts_ns; /* gateway receive time of that tick */
	uint64_t emit_ts_ns; /* publisher emit time, CLOCK_REALTIME */
	double peak_score;
	double threshold;
	uint32_t first_price_e4;
	uint32_t last_price_e4;
	uint32_t min_price_e4;
	uint32_t max_price_e4;
	uint32_t windows; /* anomalous windows so far in this episode */
	uint16_t instrument;
	uint8_t event;        /* TG_ALERT_* */
	uint8_t close_reason; /* TG_CLOSE_* on a CLOSE event, else 0 */
};
/* Why an episode closed. */
enum {
	TG_CLOSE_HYSTERESIS = 0, /* stayed below the threshold long enough */
	TG_CLOSE_END = 1,        /* end of input (publisher finishing) */
	TG_CLOSE_TICKS_EPOCH = 2 /* the gateway restarted: its tick seqs restart */
};
#define TG_ALERT_SLOT_WORDS 16

/* ---- rings ------------------------------------------------------------ */

struct tg_ring {
	/* line 0: set at create, immutable afterwards */
	uint64_t capacity;   /* slots, a power of two */
	uint32_t slot_words; /* 64-bit words per slot, a power of two, >= 2 */
	uint32_t rec_kind;   /* TG_REC_* */
	uint64_t reserved0[6];
	/* line 1: written by the writer only (W5); readers load it (R1) */
	_Atomic(uint64_t) head;
	uint64_t reserved1[7];
	/* line 2: reserved (always 0 today). The writer's heartbeat lives in
	 * the segment header (tg_segment_heartbeat_ns), not per ring; this
	 * word keeps the ABI room for a per-ring one. */
	_Atomic(uint64_t) writer_heartbeat_ns;
	uint64_t reserved2[7];
	/* slots follow */
	_Atomic(uint64_t) slots[];
};

enum { TG_REC_TICK = 1, TG_REC_ARRIVAL = 2, TG_REC_FLAG = 3, TG_REC_ALERT = 4 };

/* A window of `count` consecutive records in place: at most two spans
 * because the ring may wrap. */
struct tg_window {
	uint64_t first_seq;
	uint32_t count;
	uint32_t nspans;
	struct {
		const _Atomic(uint64_t) *slot; /* first slot of the span */
		uint32_t count;
	} span[2];
	uint32_t slot_words;
};

/* Records appended so far (R1). Thread-safe, any process, hot path. */
static inline uint64_t tg_ring_head(const struct tg_ring *r)
{
	/* acquire pairs with the writer's W5 release store */
	return atomic_load_explicit(&r->head, memory_order_acquire);
}

static inline const _Atomic(uint64_t) *tg_ring_slot(const struct tg_ring *r, uint64_t seq)
{
	return &r->slots[(seq & (r->capacity - 1)) * r->slot_words];
}

/* How many records a reader at position `next` has lost to overwrite
 * (0 if none). Hot path. */
static inline uint64_t tg_ring_lapped(const struct tg_ring *r, uint64_t next)
{
	uint64_t h = tg_ring_head(r);
	return h > next + r->capacity ? h - r->capacity - next : 0;
}

/* Take the last `n` records in place (steps R1-R2). Returns 0, or -EAGAIN
 * when fewer than n records exist, -EINVAL when n > capacity. The caller
 * reads payload with tg_window_word()/tg_tick_* and must then call
 * tg_ring_window_valid(). Hot path, no syscalls. */
int tg_ring_window_last(const struct tg_ring *r, uint32_t n, struct tg_window *w);
/* Same, for records [first, first+n); -EAGAIN if not yet all written,
 * -ENODATA if already overwritten. */
int tg_ring_window_at(const struct tg_ring *r, uint64_t first, uint32_t n, struct tg_window *w);

/* Steps R4-R5: true if no record of the window was overwritten while it
 * was in use. Hot path. */
static inline bool tg_ring_window_valid(const struct tg_window *w)
{
	/* pairs with the writer's W2 release fence (see the top of this file) */
	TG_TSAN_FENCE_BEGIN
	atomic_thread_fence(memory_order_acquire);
	TG_TSAN_FENCE_END
	uint64_t seq = w->first_seq;
	for (uint32_t s = 0; s < w->nspans; s++) {
		const _Atomic(uint64_t) *p = w->span[s].slot;
		for (uint32_t i = 0; i < w->span[s].count; i++, seq++, p += w->slot_words)
			/* R5: ordered after R3 by the fence above */
			if (atomic_load_explicit(p, memory_order_relaxed) != 2 * seq + 2)
				return false;
	}
	return true;
}

/* Payload word `word` (1-based: word 0 is the stamp) of window record i,
 * relaxed (step R3). Hot path. */
static inline uint64_t tg_window_word(const struct tg_window *w, uint32_t i, uint32_t word)
{
	uint32_t s = i >= w->span[0].count;
	uint32_t k = s ? i - w->span[0].count : i;
	return atomic_load_explicit(&w->span[s].slot[(size_t)k * w->slot_words + word],
	                            memory_order_relaxed);
}

/* Price of tick i of a tick window. Hot path. */
static inline uint32_t tg_window_price_e4(const struct tg_window *w, uint32_t i)
{
	return (uint32_t)tg_window_word(w, i, 5);
}

/* Copy the prices of a tick window into out[0..count) span by span (step
 * R3; validate afterwards). Faster than tg_window_price_e4 per tick. Hot
 * path. */
static inline void tg_window_prices_e4(const struct tg_window *w, uint32_t *out)
{
	for (uint32_t s = 0; s < w->nspans; s++) {
		const _Atomic(uint64_t) *p = w->span[s].slot + 5;
		for (uint32_t i = 0; i < w->span[s].count; i++, p += w->slot_words)
			*out++ = (uint32_t)atomic_load_explicit(p, memory_order_relaxed);
	}
}

/* Copy one record out, validated (the seqlock read loop of one slot).
 * Returns 0, -EAGAIN if record `seq` is not written yet, -ENODATA if it was
 * overwritten. `out` receives slot_words-1 words. Hot path. */
int tg_ring_try_read(const struct tg_ring *r, uint64_t seq, uint64_t *out_words);

/* Unpack helpers (pure functions of the payload words). */
void tg_tick_unpack(const uint64_t *words, struct tg_tick *t);
void tg_arrival_unpack(const uint64_t *words, struct tg_arrival *a);
void tg_flag_unpack(const uint64_t *words, struct tg_flag *f);
void tg_alert_unpack(const uint64_t *words, struct tg_alert *a);
/* Convenience: tg_ring_try_read + unpack of a tick ring. */
int tg_tick_read(const struct tg_ring *r, uint64_t seq, struct tg_tick *t);

/* Per-reader statistics a careful reader keeps (not shared). */
struct tg_reader_stats {
	uint64_t reads;
	uint64_t retries; /* validations that failed */
	uint64_t laps;    /* records lost to overwrite */
};

/* tg_ring_window_valid that also counts the read, or the retry, in `st`.
 * Hot path. */
static inline bool tg_ring_window_valid_count(const struct tg_window *w, struct tg_reader_stats *st)
{
	bool ok = tg_ring_window_valid(w);
	st->reads++;
	st->retries += !ok;
	return ok;
}

/* Advance a reader's position `*next` past records lost to overwrite,
 * counting them in st->laps; returns how many were lost. Hot path. */
static inline uint64_t tg_ring_catch_up(const struct tg_ring *r, uint64_t *next,
                                        struct tg_reader_stats *st)
{
	uint64_t lost = tg_ring_lapped(r, *next);
	*next += lost;
	st->laps += lost;
	return lost;
}

/* ---- segments --------------------------------------------------------- */

/* Segment kinds. */
enum { TG_SEG_TICKS = 1, TG_SEG_FLAGS = 2, TG_SEG_ALERTS = 3 };

/* One entry of the symbol directory of a tick segment. */
struct tg_instrument_info {
	uint16_t id;
	uint16_t stock_locate; /* ITCH locate code */
	char symbol[TG_SYMBOL_LEN + 1];
};

/* A named counter in shared memory, one per cache line. */
struct tg_counter_view {
	const char *name;
	uint64_t value;
};

struct tg_segment; /* opaque attach handle */

/* Attach read-only to segment `name` (e.g. "ticks", "flags.0", "alerts";
 * looked up as tickguard.<name> in the hugetlbfs mount, then /dev/shm; if
 * the environment sets TG_SHM_DIR, only there). Names are 1-63 characters
 * of [A-Za-z0-9._-]. Validates, in this order and before trusting any size:
 *   -ENOENT          no such segment
 *   -EMSGSIZE        file shorter than the header or than the size it states
 *   -EBADMSG         bad magic: not a tickguard segment
 *   -EPROTONOSUPPORT ABI major version differs from this library's
 *   -EPROTO          layout hash differs (record/slot/header layouts)
 *   -EUCLEAN         sizes/offsets inconsistent (corrupt header)
 *   -EOWNERDEAD      writer process gone (pid + start time no longer match)
 *   -EAGAIN          writer has not published it yet: retry
 * Not hot path (syscalls). Thread-safe. */
int tg_segment_attach(const char *name, struct tg_segment **out);
void tg_segment_detach(struct tg_segment *seg);

/* Liveness check for an attached segment: 0 if it is still the current
 * segment of its name and its writer lives; -ESTALE when the name now
 * refers to another file (a restarted writer's new epoch: detach and
 * re-attach), -EOWNERDEAD when the writer died. A stat() and a read of
 * /proc/<pid>/stat: call it from a slow path (e.g. once a second). */
int tg_segment_check(const struct tg_segment *seg);

uint32_t tg_segment_kind(const struct tg_segment *seg);
uint64_t tg_segment_epoch(const struct tg_segment *seg);
int32_t tg_segment_writer_pid(const struct tg_segment *seg);
uint64_t tg_segment_heartbeat_ns(const struct tg_segment *seg);

/* Tick segments: instrument count, directory, rings. */
uint32_t tg_segment_instruments(const struct tg_segment *seg);
int tg_segment_instrument(const struct tg_segment *seg, uint32_t id,
                          struct tg_instrument_info *out);
/* Instrument id for a symbol (space padding optional), or -ENOENT. */
int tg_segment_lookup(const struct tg_segment *seg, const char *symbol);
const struct tg_ring *tg_segment_tick_ring(const struct tg_segment *seg, uint32_t id);
const struct tg_ring *tg_segment_arrival_ring(const struct tg_segment *seg);
/* Flag and alert segments hold one ring. */
const struct tg_ring *tg_segment_ring(const struct tg_segment *seg);

/* Counters: number, and the i-th (name, current value). */
uint32_t tg_segment_counters(const struct tg_segment *seg);
int tg_segment_counter(const struct tg_segment *seg, uint32_t i, struct tg_counter_view *out);

/* Message for a -errno returned by this library (never NULL). */
const char *tg_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
