/* shm.h - the writer side of tickguard's shared memory (segments and
 * rings). Readers use include/tickguard/tickguard.h only; writers (gateway,
 * scorer, publisher) include this too. A segment has exactly one writer
 * process; every function here that takes a writable segment or ring must
 * be called from that one writer thread.
 */
#ifndef TG_SHM_H
#define TG_SHM_H

#include <sys/types.h>
#include <tickguard/tickguard.h>

struct tg_segment_config {
	const char *name;                 /* "ticks", "flags.0", "alerts", ... */
	uint32_t kind;                    /* TG_SEG_* */
	uint32_t instruments;             /* TG_SEG_TICKS: directory size and ring count */
	uint32_t ring_slots;              /* slots per ring (power of two) */
	uint32_t arrival_slots;           /* TG_SEG_TICKS: all-instruments ring slots */
	uint32_t counters;                /* number of counters */
	const char *const *counter_names; /* `counters` names, <= 47 chars */
	mode_t mode;                      /* file mode; 0 = 0640 */
	/* Backing directory; NULL = $TG_SHM_DIR if set, else the hugetlbfs
	 * mount if it has free pages for the whole segment, else /dev/shm. */
	const char *dir;
	/* Replace the name even if another live process owns it (otherwise
	 * -EBUSY). */
	bool replace_live;
};

/* Create (or replace, with a new epoch) segment cfg->name, sized and
 * reserved with posix_fallocate, header filled, rings empty. It is built
 * under a temporary name and renamed over cfg->name, so readers of the old
 * one see -ESTALE from tg_segment_check. The segment is not ready for
 * readers until tg_segment_publish(). Errors: -EINVAL bad config, -ENOSPC
 * no room, -EBUSY the name belongs to another live writer, other -errno
 * from the system. Not hot path. */
int tg_segment_create(const struct tg_segment_config *cfg, struct tg_segment **out);
/* Set the ready flag (release) after the writer filled what readers need
 * first (e.g. the directory). */
void tg_segment_publish(struct tg_segment *seg);
/* Unmap; with `unlink_it` also remove the name. */
void tg_segment_destroy(struct tg_segment *seg, bool unlink_it);
/* Writer heartbeat: store CLOCK_REALTIME ns (relaxed). Call ~every ms. */
void tg_segment_heartbeat(struct tg_segment *seg);

/* Tick segments: register instrument (locate, symbol) -> new id, or the
 * existing id if the locate is known; -ENOSPC when the directory is full.
 * Directory entries are published with release stores, so readers see an
 * entry complete once tg_segment_instruments() counts it. */
int tg_segment_add_instrument(struct tg_segment *seg, uint16_t stock_locate, const char *symbol);
struct tg_ring *tg_segment_tick_ring_w(struct tg_segment *seg, uint32_t id);
struct tg_ring *tg_segment_arrival_ring_w(struct tg_segment *seg);
struct tg_ring *tg_segment_ring_w(struct tg_segment *seg);
/* Writable counter i (each on its own cache line). Writer increments with
 * relaxed add; readers load relaxed (a counter is a statistic, it orders
 * nothing). */
_Atomic(uint64_t) *tg_segment_counter_w(struct tg_segment *seg, uint32_t i);

/* Append one record (slot_words-1 payload words) to a ring: steps W1-W5 of
 * the protocol in tickguard.h. Single writer; never blocks. Hot path. */
static inline uint64_t tg_ring_append(struct tg_ring *r, const uint64_t *payload)
{
	uint64_t n = atomic_load_explicit(&r->head, memory_order_relaxed); /* own store */
	_Atomic(uint64_t) *slot = &r->slots[(n & (r->capacity - 1)) * r->slot_words];
	atomic_store_explicit(&slot[0], 2 * n + 1, memory_order_relaxed); /* W1 */
	TG_TSAN_FENCE_BEGIN
	atomic_thread_fence(memory_order_release); /* W2: pairs with reader fence R4 */
	TG_TSAN_FENCE_END
	for (uint32_t i = 1; i < r->slot_words; i++) /* W3 */
		atomic_store_explicit(&slot[i], payload[i - 1], memory_order_relaxed);
	/* W4: pairs with the acquire stamp load in tg_ring_try_read */
	atomic_store_explicit(&slot[0], 2 * n + 2, memory_order_release);
	atomic_store_explicit(&r->head, n + 1, memory_order_release); /* W5: pairs with R1 */
	return n;
}

/* Attach read-only, like tg_segment_attach, to a segment whose writer is
 * dead: how a restarted writer reads what its predecessor left (e.g. the
 * publisher resuming). -EBUSY if the writer lives; other errors as
 * tg_segment_attach (a dead writer's unpublished segment: -EAGAIN). */
int tg_segment_attach_orphan(const char *name, struct tg_segment **out);
/* Pack helpers (inverse of tg_*_unpack). Tick and arrival packing are
 * inline: they run once per trade on the gateway's hot path, and an
 * out-of-line call made the compiler store the struct and reload 32-bit
 * halves as one 64-bit word (a store-forwarding stall per tick). */
static inline void tg_tick_pack(const struct tg_tick *t, uint64_t words[TG_TICK_SLOT_WORDS - 1])
{
	words[0] = t->seq;
	words[1] = t->exch_ts_ns;
	words[2] = t->recv_ts_ns;
	words[3] = t->match_no;
	words[4] = t->price_e4 | (uint64_t)t->shares << 32;
	words[5] = t->instrument | (uint64_t)t->side << 16 | (uint64_t)t->flags << 24;
	words[6] = 0;
}
static inline void tg_arrival_pack(const struct tg_arrival *a,
                                   uint64_t words[TG_ARRIVAL_SLOT_WORDS - 1])
{
	words[0] = a->tick_seq;
	words[1] = a->exch_ts_ns;
	words[2] = a->instrument | (uint64_t)a->flags << 16;
}
void tg_flag_pack(const struct tg_flag *f, uint64_t words[TG_FLAG_SLOT_WORDS - 1]);
void tg_alert_pack(const struct tg_alert *a, uint64_t words[TG_ALERT_SLOT_WORDS - 1]);

/* Where a new segment of `bytes` would be created without cfg->dir: the
 * directory into `dir`; returns 1 if it is a hugetlbfs mount with enough
 * free huge pages, 0 if it is /dev/shm (or $TG_SHM_DIR). Not hot path. */
int tg_segment_backing(uint64_t bytes, char *dir, size_t len);
/* Where a created segment lives: its file path, and whether that is on
 * hugetlbfs (for the one line a writer command prints about its backing).
 * Not hot path. */
const char *tg_segment_path(const struct tg_segment *seg);
bool tg_segment_on_hugetlbfs(const struct tg_segment *seg);

/* What tg_segment_list reports about one file. */
struct tg_segment_info {
	const char *path;
	/* segment name (without "tickguard."), or for leftovers the rest of
	 * the file name, e.g. "ticks.tmp.<pid>" */
	const char *name;
	int status;     /* 0 valid; else the attach error (-EBADMSG...) */
	bool temporary; /* an unfinished create (tickguard.<name>.tmp.<pid>) */
	bool hugetlbfs; /* backed by huge pages */
	bool alive;     /* writer process still runs */
	bool ready;
	int32_t pid;
	uint32_t kind;
	uint64_t epoch;
	uint64_t bytes;
	uint64_t heartbeat_ns;
};

/* List files named tickguard.* in the backing directories, calling fn for
 * each. Returns the number listed or -errno. Not hot path. */
int tg_segment_list(void (*fn)(const struct tg_segment_info *info, void *arg), void *arg);
/* Remove segment `name` (or a leftover file name from tg_segment_list) if
 * its writer is dead, or if `force`. Returns 0, -ENOENT, -EBUSY (writer
 * alive) or -errno. */
int tg_segment_remove(const char *name, bool force);
/* "ticks", "flags" or "alerts" for a TG_SEG_* kind; NULL for another. */
const char *tg_segment_kind_name(uint32_t kind);

#endif
