/* segment_create.c - the writer half of segments: lay a segment out, reserve
 * its memory up front (posix_fallocate, so a full tmpfs fails here and not
 * as a SIGBUS in the hot path), build it under a temporary name and rename
 * it over the old one (a writer restart is a new file with epoch + 1, so
 * attached readers notice by inode), and clean up after dead writers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "shm/segment_impl.h"
#include "shm/shm.h"

#define HUGETLBFS_MAGIC 0x958458f6

/* What a segment file's header says, read with pread (no mapping), for
 * replacement, listing and removal. Returns 0 or an attach-style error. */
static int peek_header(const char *path, struct tg_seg_header *h, uint64_t *file_bytes, bool *huge)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	struct statfs sf;
	int rc = 0;
	memset(h, 0, sizeof(*h));
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	*file_bytes = (uint64_t)st.st_size;
	*huge = fstatfs(fd, &sf) == 0 && (unsigned long)sf.f_type == HUGETLBFS_MAGIC;
	if ((uint64_t)st.st_size < TG_SEG_HEADER_BYTES ||
	    pread(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h))
		rc = -EMSGSIZE;
	else if (memcmp(h->magic, TG_SEG_MAGIC, 8) != 0)
		rc = -EBADMSG;
	else if (h->abi_major != TG_ABI_MAJOR)
		rc = -EPROTONOSUPPORT;
	else if (h->layout_hash != tg__layout_hash())
		rc = -EPROTO;
	else
		rc = tg__geometry_check(h, *file_bytes);
out:
	close(fd);
	return rc;
}

/* Largest epoch among the existing files named `name` (0 if none), and
 * -EBUSY if one of them belongs to another live process. */
static int existing_epoch(char dirs[3][TG_DIR_MAX], int ndirs, const char *name, bool replace_live,
                          uint64_t *epoch)
{
	*epoch = 0;
	for (int i = 0; i < ndirs; i++) {
		char path[TG_PATH_MAX];
		struct tg_seg_header h;
		uint64_t bytes;
		bool huge;
		snprintf(path, sizeof(path), "%s/" TG_SEG_PREFIX "%s", dirs[i], name);
		if (peek_header(path, &h, &bytes, &huge) == -ENOENT)
			continue;
		if (memcmp(h.magic, TG_SEG_MAGIC, 8) != 0)
			continue;
		if (h.epoch > *epoch)
			*epoch = h.epoch;
		if (!replace_live && h.writer_pid != getpid() &&
		    tg__writer_alive(h.writer_pid, h.writer_start_ticks))
			return -EBUSY;
	}
	return 0;
}

static uint64_t round_up(uint64_t x, uint64_t to)
{
	return (x + to - 1) / to * to;
}

/* Free huge pages a hugetlbfs mount can hand out, in bytes: its own limit
 * if it was mounted with one, else the system's free (unreserved) pages of
 * its page size. */
static uint64_t huge_free_bytes(const struct statfs *sf)
{
	uint64_t bsize = (uint64_t)sf->f_bsize;
	if (sf->f_blocks > 0 && sf->f_blocks != (fsblkcnt_t)-1)
		return (uint64_t)sf->f_bavail * bsize;
	char path[128];
	unsigned long long free_pages = 0, resv_pages = 0;
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%llukB/free_hugepages",
	         (unsigned long long)(bsize / 1024));
	FILE *f = fopen(path, "re");
	if (!f || fscanf(f, "%llu", &free_pages) != 1)
		free_pages = 0;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%llukB/resv_hugepages",
	         (unsigned long long)(bsize / 1024));
	f = fopen(path, "re");
	if (!f || fscanf(f, "%llu", &resv_pages) != 1)
		resv_pages = 0;
	if (f)
		fclose(f);
	return free_pages > resv_pages ? (free_pages - resv_pages) * bsize : 0;
}

int tg_segment_backing(uint64_t bytes, char *dir, size_t len)
{
	char dirs[3][TG_DIR_MAX];
	int n = tg__backing_dirs(dirs);
	struct statfs sf;
	bool huge = statfs(dirs[0], &sf) == 0 && (unsigned long)sf.f_type == HUGETLBFS_MAGIC &&
	            huge_free_bytes(&sf) >= round_up(bytes, (uint64_t)sf.f_bsize);
	snprintf(dir, len, "%s", huge ? dirs[0] : dirs[n - 1]);
	return huge;
}

/* Size and reserve a new file at `tmp`; 0 or -errno. */
static int reserve(const char *tmp, mode_t mode, uint64_t bytes, int *fd_out)
{
	unlink(tmp); /* a leftover of an earlier process with our pid */
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int rc = fchmod(fd, mode) < 0 ? -errno : 0; /* not narrowed by umask */
	/* A size limit that cannot fit fails before fallocate starts taking
	 * (and then giving back) pages other processes need. */
	struct statfs sf;
	if (!rc && fstatfs(fd, &sf) == 0 && sf.f_blocks > 0 && sf.f_blocks != (fsblkcnt_t)-1 &&
	    bytes / (uint64_t)sf.f_bsize > (uint64_t)sf.f_bavail)
		rc = -ENOSPC;
	if (!rc)
		rc = -posix_fallocate(fd, 0, (off_t)bytes);
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

static void ring_init(unsigned char *base, uint64_t off, uint64_t slots, uint32_t words,
                      uint32_t kind)
{
	struct tg_ring *r = (struct tg_ring *)(void *)(base + off);
	r->capacity = slots;
	r->slot_words = words;
	r->rec_kind = kind;
	/* the file is zero-filled: head 0 and every stamp 0 (never written) */
}

int tg_segment_create(const struct tg_segment_config *cfg, struct tg_segment **out)
{
	if (!cfg || !out || !tg__name_valid(cfg->name))
		return -EINVAL;
	bool ticks = cfg->kind == TG_SEG_TICKS;
	struct tg_seg_header g;
	memset(&g, 0, sizeof(g));
	if (tg__geometry_layout(cfg->kind, ticks ? cfg->instruments : 0, cfg->ring_slots,
	                        ticks ? cfg->arrival_slots : 0, cfg->counters, &g))
		return -EINVAL;
	for (uint32_t i = 0; i < cfg->counters && cfg->counter_names; i++)
		if (!cfg->counter_names[i] || strlen(cfg->counter_names[i]) > TG_COUNTER_NAME_MAX)
			return -EINVAL;
	uint64_t start_ticks;
	int rc = tg__proc_start_ticks(getpid(), &start_ticks);
	if (rc)
		return rc;
	mode_t mode = cfg->mode ? cfg->mode : 0640;

	/* Backing: the caller's dir, else hugetlbfs with room, else /dev/shm. */
	char dirs[3][TG_DIR_MAX];
	int ndirs = tg__backing_dirs(dirs);
	char dir[TG_DIR_MAX];
	bool auto_huge = false;
	uint64_t bytes = g.total_bytes;
	if (cfg->dir) {
		snprintf(dir, sizeof(dir), "%s", cfg->dir);
		snprintf(dirs[ndirs++], TG_DIR_MAX, "%s", cfg->dir);
	} else {
		snprintf(dir, sizeof(dir), "%s", dirs[0]);
	}
	struct statfs sf;
	if (statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == HUGETLBFS_MAGIC) {
		bytes = round_up(g.total_bytes, (uint64_t)sf.f_bsize);
		if (!cfg->dir && huge_free_bytes(&sf) >= bytes) {
			auto_huge = true;
		} else if (!cfg->dir) { /* not enough free huge pages */
			snprintf(dir, sizeof(dir), "%s", dirs[ndirs - 1]);
			bytes = g.total_bytes;
		}
	}
	uint64_t old_epoch;
	rc = existing_epoch(dirs, ndirs, cfg->name, cfg->replace_live, &old_epoch);
	if (rc)
		return rc;

	char tmp[TG_PATH_MAX], path[TG_PATH_MAX];
	int fd = -1;
	snprintf(tmp, sizeof(tmp), "%s/" TG_SEG_PREFIX "%s.tmp.%d", dir, cfg->name, (int)getpid());
	rc = reserve(tmp, mode, bytes, &fd);
	if (rc && auto_huge) { /* the one fallback: huge pages ran out */
		snprintf(dir, sizeof(dir), "%s", dirs[ndirs - 1]);
		snprintf(tmp, sizeof(tmp), "%s/" TG_SEG_PREFIX "%s.tmp.%d", dir, cfg->name,
		         (int)getpid());
		bytes = g.total_bytes;
		rc = reserve(tmp, mode, bytes, &fd);
	}
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/" TG_SEG_PREFIX "%s", dir, cfg->name);

	struct tg_segment *seg = calloc(1, sizeof(*seg));
	if (!seg) {
		rc = -ENOMEM;
		goto out_unlink;
	}
	if (ticks && !(seg->locate_map = calloc(65536, sizeof(uint16_t)))) {
		rc = -ENOMEM;
		goto out_free;
	}
	/* MAP_POPULATE: the writer's page tables are filled here, at create,
	 * so the hot path (append) never takes a page fault; the pages are
	 * already reserved by posix_fallocate above. */
	void *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		goto out_free;
	}
	seg->base = base;
	seg->map_bytes = bytes;
	seg->hdr = (struct tg_seg_header *)base;
	seg->writable = true;
	snprintf(seg->path, sizeof(seg->path), "%s", path);

	struct tg_seg_header *h = seg->hdr;
	memcpy(h->magic, TG_SEG_MAGIC, 8);
	h->abi_major = TG_ABI_MAJOR;
	h->abi_minor = TG_ABI_MINOR;
	h->kind = cfg->kind;
	h->layout_hash = tg__layout_hash();
	h->total_bytes = g.total_bytes;
	h->epoch = old_epoch + 1;
	h->writer_pid = getpid();
	h->header_bytes = TG_SEG_HEADER_BYTES;
	h->writer_start_ticks = start_ticks;
	h->create_ts_ns = tg_realtime_ns();
	h->instruments_cap = ticks ? cfg->instruments : 0;
	h->ring_slots = cfg->ring_slots;
	h->arrival_slots = ticks ? cfg->arrival_slots : 0;
	h->counters = cfg->counters;
	h->dir_off = g.dir_off;
	h->dir_bytes = g.dir_bytes;
	h->rings_off = g.rings_off;
	h->ring_stride = g.ring_stride;
	h->rings_bytes = g.rings_bytes;
	h->arrival_off = g.arrival_off;
	h->arrival_bytes = g.arrival_bytes;
	h->counters_off = g.counters_off;
	h->counters_bytes = g.counters_bytes;
	if (ticks) {
		for (uint32_t i = 0; i < h->instruments_cap; i++)
			ring_init(seg->base, h->rings_off + i * h->ring_stride, h->ring_slots,
			          TG_TICK_SLOT_WORDS, TG_REC_TICK);
		ring_init(seg->base, h->arrival_off, h->arrival_slots, TG_ARRIVAL_SLOT_WORDS,
		          TG_REC_ARRIVAL);
	} else {
		ring_init(seg->base, h->rings_off, h->ring_slots, TG_FLAG_SLOT_WORDS,
		          cfg->kind == TG_SEG_FLAGS ? TG_REC_FLAG : TG_REC_ALERT);
	}
	struct tg_counter_slot *c = (struct tg_counter_slot *)(void *)(seg->base + h->counters_off);
	for (uint32_t i = 0; i < h->counters; i++) {
		if (cfg->counter_names)
			snprintf(c[i].name, sizeof(c[i].name), "%s", cfg->counter_names[i]);
		else
			snprintf(c[i].name, sizeof(c[i].name), "counter%u", i);
	}

	/* Make it visible under its name (not ready yet), then drop any file
	 * of the same name in the other backing directory. */
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto out_unmap;
	}
	struct stat st;
	if (fstat(fd, &st) == 0) {
		seg->dev = st.st_dev;
		seg->ino = st.st_ino;
	}
	for (int i = 0; i < ndirs; i++) {
		char other[TG_PATH_MAX];
		snprintf(other, sizeof(other), "%s/" TG_SEG_PREFIX "%s", dirs[i], cfg->name);
		if (strcmp(other, path) != 0)
			unlink(other);
	}
	close(fd);
	*out = seg;
	return 0;
out_unmap:
	munmap(seg->base, seg->map_bytes);
out_free:
	free(seg->locate_map);
	free(seg);
out_unlink:
	unlink(tmp);
	close(fd);
	return rc;
}

void tg_segment_publish(struct tg_segment *seg)
{
	tg_segment_heartbeat(seg);
	/* release pairs with the acquire load of `ready` in attach: everything
	 * written before (header, directory, counters) is visible to readers */
	atomic_store_explicit(&seg->hdr->ready, 1, memory_order_release);
}

void tg_segment_destroy(struct tg_segment *seg, bool unlink_it)
{
	if (!seg)
		return;
	struct stat st;
	if (unlink_it && seg->writable && stat(seg->path, &st) == 0 && st.st_ino == seg->ino &&
	    st.st_dev == seg->dev)
		unlink(seg->path); /* only if it is still ours, not a newer epoch */
	tg_segment_detach(seg);
}

void tg_segment_heartbeat(struct tg_segment *seg)
{
	/* relaxed: a statistic; pairs with the relaxed load in
	 * tg_segment_heartbeat_ns */
	atomic_store_explicit(&seg->hdr->heartbeat_ns, tg_realtime_ns(), memory_order_relaxed);
}

int tg_segment_add_instrument(struct tg_segment *seg, uint16_t stock_locate, const char *symbol)
{
	if (!seg->writable || seg->hdr->kind != TG_SEG_TICKS || !symbol)
		return -EINVAL;
	if (seg->locate_map[stock_locate])
		return seg->locate_map[stock_locate] - 1;
	/* relaxed: our own earlier store, this is the only writer */
	uint32_t n = atomic_load_explicit(&seg->hdr->instruments, memory_order_relaxed);
	if (n >= seg->hdr->instruments_cap)
		return -ENOSPC;
	struct tg_dir_entry *e = (struct tg_dir_entry *)(void *)(seg->base + seg->hdr->dir_off) + n;
	size_t len = strnlen(symbol, TG_SYMBOL_LEN);
	e->id = (uint16_t)n;
	e->stock_locate = stock_locate;
	memset(e->symbol, ' ', TG_SYMBOL_LEN);
	memcpy(e->symbol, symbol, len);
	seg->locate_map[stock_locate] = (uint16_t)(n + 1);
	/* release pairs with the acquire load in tg_segment_instruments: the
	 * entry is complete before it is counted */
	atomic_store_explicit(&seg->hdr->instruments, n + 1, memory_order_release);
	return (int)n;
}

static struct tg_ring *ring_w(struct tg_segment *seg, uint64_t off)
{
	return (struct tg_ring *)(void *)(seg->base + off);
}

struct tg_ring *tg_segment_tick_ring_w(struct tg_segment *seg, uint32_t id)
{
	const struct tg_seg_header *h = seg->hdr;
	if (!seg->writable || h->kind != TG_SEG_TICKS || id >= h->instruments_cap)
		return NULL;
	return ring_w(seg, h->rings_off + (uint64_t)id * h->ring_stride);
}

struct tg_ring *tg_segment_arrival_ring_w(struct tg_segment *seg)
{
	if (!seg->writable || seg->hdr->kind != TG_SEG_TICKS)
		return NULL;
	return ring_w(seg, seg->hdr->arrival_off);
}

struct tg_ring *tg_segment_ring_w(struct tg_segment *seg)
{
	if (!seg->writable || seg->hdr->kind == TG_SEG_TICKS)
		return NULL;
	return ring_w(seg, seg->hdr->rings_off);
}

_Atomic uint64_t *tg_segment_counter_w(struct tg_segment *seg, uint32_t i)
{
	if (!seg->writable || i >= seg->hdr->counters)
		return NULL;
	return &((struct tg_counter_slot *)(void *)(seg->base + seg->hdr->counters_off))[i].value;
}

/* Writer pid of an unfinished create, from its name "<name>.tmp.<pid>". */
static int32_t tmp_pid(const char *name)
{
	const char *p = strstr(name, ".tmp.");
	return p ? (int32_t)strtol(p + 5, NULL, 10) : 0;
}

static void describe(const char *dir, const char *file, struct tg_segment_info *info, char *path,
                     size_t path_len)
{
	struct tg_seg_header h;
	uint64_t bytes = 0;
	bool huge = false;
	snprintf(path, path_len, "%s/%s", dir, file);
	memset(info, 0, sizeof(*info));
	info->path = path;
	info->name = file + strlen(TG_SEG_PREFIX);
	info->temporary = strstr(info->name, ".tmp.") != NULL;
	info->status = peek_header(path, &h, &bytes, &huge);
	info->bytes = bytes;
	info->hugetlbfs = huge;
	if (memcmp(h.magic, TG_SEG_MAGIC, 8) == 0) {
		info->pid = h.writer_pid;
		info->alive = tg__writer_alive(h.writer_pid, h.writer_start_ticks);
		info->kind = h.kind;
		info->epoch = h.epoch;
		info->ready = atomic_load_explicit(&h.ready, memory_order_relaxed); /* a copy */
		info->heartbeat_ns = atomic_load_explicit(&h.heartbeat_ns, memory_order_relaxed);
	} else if (info->temporary) {
		uint64_t t;
		info->pid = tmp_pid(info->name);
		info->alive = tg__proc_start_ticks(info->pid, &t) == 0;
	}
}

int tg_segment_list(void (*fn)(const struct tg_segment_info *info, void *arg), void *arg)
{
	char dirs[3][TG_DIR_MAX], path[TG_PATH_MAX];
	int n = tg__backing_dirs(dirs), listed = 0;
	for (int i = 0; i < n; i++) {
		DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, TG_SEG_PREFIX, strlen(TG_SEG_PREFIX)) != 0 ||
			    !de->d_name[strlen(TG_SEG_PREFIX)])
				continue;
			struct tg_segment_info info;
			describe(dirs[i], de->d_name, &info, path, sizeof(path));
			fn(&info, arg);
			listed++;
		}
		closedir(d);
	}
	return listed;
}

int tg_segment_remove(const char *name, bool force)
{
	char dirs[3][TG_DIR_MAX], file[TG_PATH_MAX], path[TG_PATH_MAX];
	if (!tg__name_valid(name))
		return -EINVAL;
	int n = tg__backing_dirs(dirs), removed = 0;
	snprintf(file, sizeof(file), TG_SEG_PREFIX "%s", name);
	for (int i = 0; i < n; i++) {
		struct tg_segment_info info;
		describe(dirs[i], file, &info, path, sizeof(path));
		if (info.status == -ENOENT)
			continue;
		if (info.alive && !force)
			return -EBUSY;
		if (unlink(path) < 0)
			return -errno;
		removed++;
	}
	return removed ? 0 : -ENOENT;
}

const char *tg_segment_kind_name(uint32_t kind)
{
	switch (kind) {
	case TG_SEG_TICKS:
		return "ticks";
	case TG_SEG_FLAGS:
		return "flags";
	case TG_SEG_ALERTS:
		return "alerts";
	}
	return NULL;
}

const char *tg_segment_path(const struct tg_segment *seg)
{
	return seg->path;
}

bool tg_segment_on_hugetlbfs(const struct tg_segment *seg)
{
	struct statfs sf;
	return statfs(seg->path, &sf) == 0 && (unsigned long)sf.f_type == HUGETLBFS_MAGIC;
}
