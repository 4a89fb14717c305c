/* segment_impl.h - the on-disk (in-memory) layout of a segment, private to
 * shm/. A segment file is: one 4 KiB header page, then its regions, each
 * 64-byte aligned, in this order: symbol directory, tick rings (one per
 * directory slot, `ring_stride` apart), the arrival ring, counters. Flag and
 * alert segments have no directory and one ring. The layout hash below
 * covers every size and offset a reader relies on, so a reader built from
 * other headers refuses to attach instead of misreading.
 *
 * Publication: the writer fills the header's identity and geometry lines in
 * a private temporary file, renames it to its name (that makes it visible),
 * and readers attach only after `ready` is set with a release store
 * (tg_segment_publish), which pairs with the acquire load in attach.
 */
#ifndef TG_SHM_SEGMENT_IMPL_H
#define TG_SHM_SEGMENT_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <tickguard/tickguard.h>

#define TG_SEG_MAGIC        "TGSHMSEG"
#define TG_SEG_HEADER_BYTES 4096u
#define TG_SEG_NAME_MAX     63 /* characters of a segment name */
#define TG_SEG_PREFIX       "tickguard."
#define TG_COUNTER_NAME_MAX 47
#define TG_DIR_MAX          256  /* a backing directory path */
#define TG_PATH_MAX         1024 /* a segment file path */

struct tg_seg_header {
	/* line 0: identity, written before the file has its name, immutable */
	char magic[8]; /* TG_SEG_MAGIC, not terminated */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t kind; /* TG_SEG_* */
	uint64_t layout_hash;
	uint64_t total_bytes; /* bytes the writer reserved (file may be larger) */
	uint64_t epoch;       /* 1 + epoch of the segment this one replaced */
	int32_t writer_pid;
	uint32_t header_bytes;
	uint64_t writer_start_ticks; /* /proc/<pid>/stat field 22 */
	uint64_t create_ts_ns;       /* CLOCK_REALTIME */
	/* geometry, immutable */
	uint32_t instruments_cap; /* directory slots = tick rings */
	uint32_t ring_slots;      /* slots per tick ring (or of the one ring) */
	uint32_t arrival_slots;
	uint32_t counters;
	uint64_t dir_off, dir_bytes;
	uint64_t rings_off, ring_stride, rings_bytes;
	uint64_t arrival_off, arrival_bytes;
	uint64_t counters_off, counters_bytes;
	uint64_t reserved1[6];
	/* own line: set last by the writer (release, tg_segment_publish);
	 * attach loads it (acquire) before trusting what the writer filled */
	_Alignas(64) _Atomic uint32_t ready;
	/* own line: writer heartbeat, CLOCK_REALTIME ns, relaxed both sides (a
	 * statistic: it orders nothing) */
	_Alignas(64) _Atomic uint64_t heartbeat_ns;
	/* own line: directory entries published so far; the writer's release
	 * store pairs with the reader's acquire load (tg_segment_instruments) */
	_Alignas(64) _Atomic uint32_t instruments;
};

/* A directory entry; written once before `instruments` counts it. */
struct tg_dir_entry {
	uint16_t id;
	uint16_t stock_locate;
	uint32_t reserved;
	char symbol[TG_SYMBOL_LEN]; /* space padded */
};

/* A counter: name and value on one cache line. */
struct tg_counter_slot {
	char name[TG_COUNTER_NAME_MAX + 1]; /* NUL terminated */
	uint64_t reserved;
	_Atomic uint64_t value;
};

struct tg_segment {
	unsigned char *base;
	size_t map_bytes;
	struct tg_seg_header *hdr;
	dev_t dev;
	ino_t ino;
	bool writable;
	uint16_t *locate_map; /* writer only: stock locate -> id + 1 */
	char path[TG_PATH_MAX];
};

_Static_assert(sizeof(struct tg_seg_header) <= TG_SEG_HEADER_BYTES, "header fits its page");
_Static_assert(sizeof(struct tg_counter_slot) == TG_CACHELINE, "one counter per line");
_Static_assert(sizeof(struct tg_dir_entry) == 16, "directory entry size");
_Static_assert(sizeof(struct tg_ring) == 3 * TG_CACHELINE, "ring header is three lines");

/* Internal helpers shared by the reader and writer halves (tg__ = not API). */
uint64_t tg__layout_hash(void);
bool tg__name_valid(const char *name);
/* Backing directories to search, in order: TG_SHM_DIR alone if set, else
 * the first hugetlbfs mount (if any) and /dev/shm. Returns how many. */
int tg__backing_dirs(char dirs[3][TG_DIR_MAX]);
/* Start time (clock ticks since boot) of a live, non-zombie process, or
 * -ESRCH if there is none with that pid. */
int tg__proc_start_ticks(int32_t pid, uint64_t *ticks);
bool tg__writer_alive(int32_t pid, uint64_t start_ticks);
/* Lay out a segment from its counts: fills g's offsets and total_bytes;
 * -EUCLEAN if the counts are out of range. */
int tg__geometry_layout(uint32_t kind, uint32_t cap, uint32_t slots, uint32_t arrival,
                        uint32_t counters, struct tg_seg_header *g);
/* Geometry checks shared by create (computing) and attach (validating):
 * returns 0 or -EUCLEAN. */
int tg__geometry_check(const struct tg_seg_header *h, uint64_t file_bytes);

static inline uint64_t tg__align64(uint64_t x)
{
	return (x + 63) & ~(uint64_t)63;
}

static inline uint64_t tg__ring_bytes(uint64_t slots, uint32_t slot_words)
{
	return tg__align64(sizeof(struct tg_ring) + slots * slot_words * 8);
}

#endif
