/* segment_attach.c - the reader half of segments: find a segment by name,
 * validate everything in its header before trusting a size (see the error
 * list at tg_segment_attach in tickguard.h), map it read-only, and answer
 * questions about it. Part of libtickguard, so it knows nothing of writers
 * beyond the layout in segment_impl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm/segment_impl.h"
#include "shm/shm.h"

/* FNV-1a over every layout fact a reader depends on. */
static uint64_t fnv1a(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8) {
		h ^= v & 0xff;
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t tg__layout_hash(void)
{
	static const char packing[] =
	    "tick:seq,exch_ts_ns,recv_ts_ns,match_no,price_e4|shares<<32,"
	    "instrument|side<<16|flags<<24,0;arrival:tick_seq,exch_ts_ns,instrument|flags<<16;"
	    "flag:5x64,score,threshold,last_px|first_px<<32,inst|anom<<16|scorer<<24|rsv<<32;"
	    "alert:7x64,peak,threshold,first|last<<32,min|max<<32,windows|inst<<32|event<<48";
	const uint64_t facts[] = {
	    TG_TICK_SLOT_WORDS,
	    TG_ARRIVAL_SLOT_WORDS,
	    TG_FLAG_SLOT_WORDS,
	    TG_ALERT_SLOT_WORDS,
	    sizeof(struct tg_ring),
	    offsetof(struct tg_ring, capacity),
	    offsetof(struct tg_ring, slot_words),
	    offsetof(struct tg_ring, rec_kind),
	    offsetof(struct tg_ring, head),
	    offsetof(struct tg_ring, writer_heartbeat_ns),
	    offsetof(struct tg_ring, slots),
	    sizeof(struct tg_seg_header),
	    offsetof(struct tg_seg_header, kind),
	    offsetof(struct tg_seg_header, layout_hash),
	    offsetof(struct tg_seg_header, writer_pid),
	    offsetof(struct tg_seg_header, instruments_cap),
	    offsetof(struct tg_seg_header, counters_bytes),
	    offsetof(struct tg_seg_header, ready),
	    offsetof(struct tg_seg_header, heartbeat_ns),
	    offsetof(struct tg_seg_header, instruments),
	    sizeof(struct tg_dir_entry),
	    offsetof(struct tg_dir_entry, symbol),
	    sizeof(struct tg_counter_slot),
	    offsetof(struct tg_counter_slot, value),
	    TG_SEG_HEADER_BYTES,
	};
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
		h = fnv1a(h, facts[i]);
	for (const char *p = packing; *p; p++)
		h = fnv1a(h, (unsigned char)*p);
	return h;
}

bool tg__name_valid(const char *name)
{
	if (!name || !*name || name[0] == '.')
		return false;
	size_t n = 0;
	for (const char *p = name; *p; p++, n++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok || n >= TG_SEG_NAME_MAX)
			return false;
	}
	return true;
}

int tg__backing_dirs(char dirs[3][TG_DIR_MAX])
{
	const char *env = getenv("TG_SHM_DIR");
	if (env && *env) {
		snprintf(dirs[0], TG_DIR_MAX, "%s", env);
		return 1;
	}
	int n = 0;
	FILE *f = fopen("/proc/mounts", "re");
	if (f) {
		char line[1024], dev[256], dir[TG_DIR_MAX], type[64];
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%255s %255s %63s", dev, dir, type) == 3 &&
			    !strcmp(type, "hugetlbfs")) {
				snprintf(dirs[n++], TG_DIR_MAX, "%s", dir);
				break;
			}
		}
		fclose(f);
	}
	snprintf(dirs[n++], TG_DIR_MAX, "/dev/shm");
	return n;
}

int tg__proc_start_ticks(int32_t pid, uint64_t *ticks)
{
	char path[64], buf[1024];
	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = 0;
	/* comm (field 2) may hold spaces and parentheses: fields 3.. follow
	 * the last ')'. Field 3 is the state, field 22 the start time. */
	char *p = strrchr(buf, ')');
	if (!p)
		return -ESRCH;
	p++;
	char state = 0;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -ESRCH;
		if (field == 3)
			state = *p;
		if (field == 22) {
			if (state == 'Z' || state == 'X' || state == 'x')
				return -ESRCH; /* exited, not yet reaped */
			*ticks = strtoull(p, NULL, 10);
			return 0;
		}
		while (*p && *p != ' ')
			p++;
	}
	return -ESRCH;
}

bool tg__writer_alive(int32_t pid, uint64_t start_ticks)
{
	uint64_t t;
	return tg__proc_start_ticks(pid, &t) == 0 && t == start_ticks;
}

static bool pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* The one place that turns counts into offsets; create uses it to lay a
 * segment out, attach to check that a header agrees with it. */
int tg__geometry_layout(uint32_t kind, uint32_t cap, uint32_t slots, uint32_t arrival,
                        uint32_t counters, struct tg_seg_header *g)
{
	if (!pow2(slots) || slots < 2 || slots > (1u << 30) || counters > 4096)
		return -EUCLEAN;
	uint64_t off = TG_SEG_HEADER_BYTES;
	g->dir_off = g->dir_bytes = g->arrival_off = g->arrival_bytes = 0;
	if (kind == TG_SEG_TICKS) {
		if (cap == 0 || cap > 65536 || !pow2(arrival) || arrival < 2 ||
		    arrival > (1u << 30))
			return -EUCLEAN;
		g->dir_off = off;
		g->dir_bytes = tg__align64((uint64_t)cap * sizeof(struct tg_dir_entry));
		off += g->dir_bytes;
		g->rings_off = off;
		g->ring_stride = tg__ring_bytes(slots, TG_TICK_SLOT_WORDS);
		g->rings_bytes = (uint64_t)cap * g->ring_stride;
		off += g->rings_bytes;
		g->arrival_off = off;
		g->arrival_bytes = tg__ring_bytes(arrival, TG_ARRIVAL_SLOT_WORDS);
		off += g->arrival_bytes;
	} else if (kind == TG_SEG_FLAGS || kind == TG_SEG_ALERTS) {
		if (cap != 0 || arrival != 0)
			return -EUCLEAN;
		g->rings_off = off;
		g->ring_stride = tg__ring_bytes(slots, TG_FLAG_SLOT_WORDS);
		g->rings_bytes = g->ring_stride;
		off += g->rings_bytes;
	} else {
		return -EUCLEAN;
	}
	g->counters_off = off;
	g->counters_bytes = (uint64_t)counters * sizeof(struct tg_counter_slot);
	off += g->counters_bytes;
	g->total_bytes = off;
	return 0;
}

int tg__geometry_check(const struct tg_seg_header *h, uint64_t file_bytes)
{
	struct tg_seg_header g;
	if (tg__geometry_layout(h->kind, h->instruments_cap, h->ring_slots, h->arrival_slots,
	                        h->counters, &g))
		return -EUCLEAN;
	if (g.dir_off != h->dir_off || g.dir_bytes != h->dir_bytes || g.rings_off != h->rings_off ||
	    g.ring_stride != h->ring_stride || g.rings_bytes != h->rings_bytes ||
	    g.arrival_off != h->arrival_off || g.arrival_bytes != h->arrival_bytes ||
	    g.counters_off != h->counters_off || g.counters_bytes != h->counters_bytes ||
	    g.total_bytes != h->total_bytes || h->header_bytes != TG_SEG_HEADER_BYTES)
		return -EUCLEAN;
	return h->total_bytes <= file_bytes ? 0 : -EMSGSIZE;
}

static const struct tg_ring *ring_at(const struct tg_segment *seg, uint64_t off)
{
	return (const struct tg_ring *)(const void *)(seg->base + off);
}

static bool ring_ok(const struct tg_ring *r, uint64_t slots, uint32_t words, uint32_t kind)
{
	return r->capacity == slots && r->slot_words == words && r->rec_kind == kind;
}

/* Everything after the identity checks: regions, ring headers, names. */
static int validate_regions(const struct tg_segment *seg)
{
	const struct tg_seg_header *h = seg->hdr;
	int rc = tg__geometry_check(h, seg->map_bytes);
	if (rc)
		return rc;
	if (h->kind == TG_SEG_TICKS) {
		for (uint32_t i = 0; i < h->instruments_cap; i++)
			if (!ring_ok(ring_at(seg, h->rings_off + i * h->ring_stride), h->ring_slots,
			             TG_TICK_SLOT_WORDS, TG_REC_TICK))
				return -EUCLEAN;
		if (!ring_ok(ring_at(seg, h->arrival_off), h->arrival_slots, TG_ARRIVAL_SLOT_WORDS,
		             TG_REC_ARRIVAL))
			return -EUCLEAN;
	} else {
		uint32_t kind = h->kind == TG_SEG_FLAGS ? TG_REC_FLAG : TG_REC_ALERT;
		if (!ring_ok(ring_at(seg, h->rings_off), h->ring_slots, TG_FLAG_SLOT_WORDS, kind))
			return -EUCLEAN;
	}
	const struct tg_counter_slot *c =
	    (const struct tg_counter_slot *)(const void *)(seg->base + h->counters_off);
	for (uint32_t i = 0; i < h->counters; i++)
		if (c[i].name[TG_COUNTER_NAME_MAX] != 0)
			return -EUCLEAN;
	return 0;
}

static int attach_path(const char *path, bool orphan, struct tg_segment **out)
{
	int rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	if ((uint64_t)st.st_size < TG_SEG_HEADER_BYTES) {
		rc = -EMSGSIZE;
		goto out_close;
	}
	struct tg_segment *seg = calloc(1, sizeof(*seg));
	if (!seg) {
		rc = -ENOMEM;
		goto out_close;
	}
	seg->map_bytes = (size_t)st.st_size;
	seg->dev = st.st_dev;
	seg->ino = st.st_ino;
	snprintf(seg->path, sizeof(seg->path), "%s", path);
	void *base = mmap(NULL, seg->map_bytes, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		goto out_free;
	}
	seg->base = base;
	seg->hdr = (struct tg_seg_header *)base;
	const struct tg_seg_header *h = seg->hdr;
	/* acquire pairs with the release store in tg_segment_publish. Loaded
	 * before any other field is read, so everything the writer filled
	 * before publishing is visible to the checks below; reported last
	 * (-EAGAIN), after the checks the error list in tickguard.h puts first. */
	bool ready = atomic_load_explicit(&h->ready, memory_order_acquire) != 0;
	if (memcmp(h->magic, TG_SEG_MAGIC, 8) != 0)
		rc = -EBADMSG;
	else if (h->abi_major != TG_ABI_MAJOR)
		rc = -EPROTONOSUPPORT;
	else if (h->layout_hash != tg__layout_hash())
		rc = -EPROTO;
	else if (h->total_bytes > seg->map_bytes)
		rc = -EMSGSIZE;
	else if ((rc = validate_regions(seg)) != 0)
		;
	else if (tg__writer_alive(h->writer_pid, h->writer_start_ticks) == orphan)
		rc = orphan ? -EBUSY : -EOWNERDEAD;
	else if (!ready)
		rc = -EAGAIN;
	else
		rc = 0;
	if (rc)
		goto out_unmap;
	close(fd);
	*out = seg;
	return 0;
out_unmap:
	munmap(seg->base, seg->map_bytes);
out_free:
	free(seg);
out_close:
	close(fd);
	return rc;
}

static int attach_name(const char *name, bool orphan, struct tg_segment **out)
{
	char dirs[3][TG_DIR_MAX], path[TG_PATH_MAX];
	if (!tg__name_valid(name) || !out)
		return -EINVAL;
	int n = tg__backing_dirs(dirs);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/" TG_SEG_PREFIX "%s", dirs[i], name);
		int rc = attach_path(path, orphan, out);
		if (rc != -ENOENT)
			return rc;
	}
	return -ENOENT;
}

int tg_segment_attach(const char *name, struct tg_segment **out)
{
	return attach_name(name, false, out);
}

int tg_segment_attach_orphan(const char *name, struct tg_segment **out)
{
	return attach_name(name, true, out);
}

void tg_segment_detach(struct tg_segment *seg)
{
	if (!seg)
		return;
	munmap(seg->base, seg->map_bytes);
	free(seg->locate_map);
	free(seg);
}

int tg_segment_check(const struct tg_segment *seg)
{
	struct stat st;
	if (stat(seg->path, &st) < 0 || st.st_ino != seg->ino || st.st_dev != seg->dev)
		return -ESTALE;
	if (!tg__writer_alive(seg->hdr->writer_pid, seg->hdr->writer_start_ticks))
		return -EOWNERDEAD;
	return 0;
}

uint32_t tg_segment_kind(const struct tg_segment *seg)
{
	return seg->hdr->kind;
}

uint64_t tg_segment_epoch(const struct tg_segment *seg)
{
	return seg->hdr->epoch;
}

int32_t tg_segment_writer_pid(const struct tg_segment *seg)
{
	return seg->hdr->writer_pid;
}

uint64_t tg_segment_heartbeat_ns(const struct tg_segment *seg)
{
	/* relaxed: a statistic; pairs with the relaxed store in
	 * tg_segment_heartbeat and orders nothing */
	return atomic_load_explicit(&seg->hdr->heartbeat_ns, memory_order_relaxed);
}

uint32_t tg_segment_instruments(const struct tg_segment *seg)
{
	/* acquire pairs with the release store in tg_segment_add_instrument:
	 * every entry counted here is complete */
	uint32_t n = atomic_load_explicit(&seg->hdr->instruments, memory_order_acquire);
	/* the count lives in shared memory and attach validated only the
	 * capacity: never index the directory past it (a corrupt count would
	 * otherwise walk tg_segment_lookup off the mapping) */
	return n < seg->hdr->instruments_cap ? n : seg->hdr->instruments_cap;
}

static const struct tg_dir_entry *dir_entry(const struct tg_segment *seg, uint32_t id)
{
	return (const struct tg_dir_entry *)(const void *)(seg->base + seg->hdr->dir_off) + id;
}

int tg_segment_instrument(const struct tg_segment *seg, uint32_t id, struct tg_instrument_info *out)
{
	if (seg->hdr->kind != TG_SEG_TICKS || id >= tg_segment_instruments(seg))
		return -ENOENT;
	const struct tg_dir_entry *e = dir_entry(seg, id);
	out->id = e->id;
	out->stock_locate = e->stock_locate;
	int n = TG_SYMBOL_LEN;
	while (n > 0 && (e->symbol[n - 1] == ' ' || e->symbol[n - 1] == 0))
		n--;
	memcpy(out->symbol, e->symbol, (size_t)n);
	out->symbol[n] = 0;
	return 0;
}

int tg_segment_lookup(const struct tg_segment *seg, const char *symbol)
{
	char want[TG_SYMBOL_LEN];
	size_t n = strlen(symbol);
	while (n > 0 && symbol[n - 1] == ' ')
		n--;
	if (n == 0 || n > TG_SYMBOL_LEN || seg->hdr->kind != TG_SEG_TICKS)
		return -ENOENT;
	memset(want, ' ', sizeof(want));
	memcpy(want, symbol, n);
	uint32_t count = tg_segment_instruments(seg);
	for (uint32_t i = 0; i < count; i++)
		if (!memcmp(dir_entry(seg, i)->symbol, want, TG_SYMBOL_LEN))
			return (int)i;
	return -ENOENT;
}

const struct tg_ring *tg_segment_tick_ring(const struct tg_segment *seg, uint32_t id)
{
	const struct tg_seg_header *h = seg->hdr;
	if (h->kind != TG_SEG_TICKS || id >= h->instruments_cap)
		return NULL;
	return ring_at(seg, h->rings_off + (uint64_t)id * h->ring_stride);
}

const struct tg_ring *tg_segment_arrival_ring(const struct tg_segment *seg)
{
	return seg->hdr->kind == TG_SEG_TICKS ? ring_at(seg, seg->hdr->arrival_off) : NULL;
}

const struct tg_ring *tg_segment_ring(const struct tg_segment *seg)
{
	return seg->hdr->kind == TG_SEG_TICKS ? NULL : ring_at(seg, seg->hdr->rings_off);
}

uint32_t tg_segment_counters(const struct tg_segment *seg)
{
	return seg->hdr->counters;
}

int tg_segment_counter(const struct tg_segment *seg, uint32_t i, struct tg_counter_view *out)
{
	if (i >= seg->hdr->counters)
		return -ENOENT;
	const struct tg_counter_slot *c =
	    (const struct tg_counter_slot *)(const void *)(seg->base + seg->hdr->counters_off) + i;
	out->name = c->name;
	/* relaxed: a statistic, pairs with the writer's relaxed add */
	out->value = atomic_load_explicit(&c->value, memory_order_relaxed);
	return 0;
}

const char *tg_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case ENOENT:
		return "not found (no such segment, instrument or counter)";
	case EMSGSIZE:
		return "segment file is shorter than its header says (truncated or still being "
		       "created)";
	case EBADMSG:
		return "not a tickguard segment (bad magic number)";
	case EPROTONOSUPPORT:
		return "segment was written by an incompatible tickguard (ABI major version "
		       "differs): rebuild the reader";
	case EPROTO:
		return "segment layout hash differs from this build's record/slot layout: rebuild "
		       "the reader";
	case EUCLEAN:
		return "segment header is corrupt (sizes or offsets inconsistent)";
	case EOWNERDEAD:
		return "the segment's writer process is gone (remove it with `tickguard shm rm`)";
	case EAGAIN:
		return "not there yet (segment not published or record not written): retry";
	case ESTALE:
		return "segment was replaced by a new epoch (writer restarted): re-attach";
	case ENODATA:
		return "record already overwritten (reader fell a ring behind)";
	case EBUSY:
		return "segment belongs to a live writer (use --force to override)";
	case EINVAL:
		return "invalid argument (segment name: 1-63 of [A-Za-z0-9._-])";
	case ENOSPC:
		return "no space: shared memory full or directory full";
	default:
		return strerror(err < 0 ? -err : err);
	}
}
