/* test_shm_segment.c - segment create/attach and every attach error: each
 * validation failure is produced for real (short file, zeroed file, header
 * fields altered in a live segment, a writer process that exited) and must
 * give its own error code and message. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/segment_impl.h"
#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/tg_test.h"

static const char *const counter_names[] = {"ticks_in", "dropped_no_room", "gaps"};

static struct tg_segment_config ticks_cfg(const char *name)
{
	struct tg_segment_config c = {
	    .name = name,
	    .kind = TG_SEG_TICKS,
	    .instruments = 8,
	    .ring_slots = 64,
	    .arrival_slots = 256,
	    .counters = 3,
	    .counter_names = counter_names,
	};
	return c;
}

static struct tg_segment *make_ticks(const char *name, bool publish)
{
	struct tg_segment_config c = ticks_cfg(name);
	struct tg_segment *w = NULL;
	int rc = tg_segment_create(&c, &w);
	TG_CHECK_EQ_I64(rc, 0);
	if (rc)
		TG_SKIP("cannot create a segment: %s", tg_strerror(rc));
	if (publish)
		tg_segment_publish(w);
	return w;
}

static void path_of(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/tickguard.%s", tg_shm_test_dir, name);
}

static void t_create_attach(void)
{
	struct tg_segment *w = make_ticks("basic", false);
	TG_CHECK_EQ_I64(tg_segment_add_instrument(w, 13, "AAPL"), 0);
	TG_CHECK_EQ_I64(tg_segment_add_instrument(w, 7, "GOOG"), 1);
	TG_CHECK_EQ_I64(tg_segment_add_instrument(w, 13, "AAPL"), 0); /* known locate */
	tg_segment_publish(w);
	atomic_fetch_add_explicit(tg_segment_counter_w(w, 1), 5, memory_order_relaxed);

	struct tg_segment *r = NULL;
	TG_CHECK_EQ_I64(tg_segment_attach("basic", &r), 0);
	if (!r)
		return;
	TG_CHECK_EQ_U64(tg_segment_kind(r), TG_SEG_TICKS);
	TG_CHECK_EQ_U64(tg_segment_epoch(r), 1);
	TG_CHECK_EQ_I64(tg_segment_writer_pid(r), getpid());
	TG_CHECK(tg_segment_heartbeat_ns(r) > 0);
	TG_CHECK_EQ_U64(tg_segment_instruments(r), 2);
	TG_CHECK_EQ_I64(tg_segment_lookup(r, "GOOG"), 1);
	TG_CHECK_EQ_I64(tg_segment_lookup(r, "GOOG    "), 1);
	TG_CHECK_EQ_I64(tg_segment_lookup(r, "MSFT"), -ENOENT);
	struct tg_instrument_info info;
	TG_CHECK_EQ_I64(tg_segment_instrument(r, 0, &info), 0);
	TG_CHECK_STR(info.symbol, "AAPL");
	TG_CHECK_EQ_U64(info.stock_locate, 13);
	TG_CHECK_EQ_I64(tg_segment_instrument(r, 2, &info), -ENOENT);
	TG_CHECK(tg_segment_tick_ring(r, 7) != NULL);
	TG_CHECK(tg_segment_tick_ring(r, 8) == NULL);
	TG_CHECK(tg_segment_arrival_ring(r) != NULL);
	TG_CHECK(tg_segment_ring(r) == NULL);
	TG_CHECK_EQ_U64(tg_segment_tick_ring(r, 0)->capacity, 64);
	TG_CHECK_EQ_U64(tg_segment_arrival_ring(r)->capacity, 256);
	TG_CHECK_EQ_U64(tg_segment_counters(r), 3);
	struct tg_counter_view cv;
	TG_CHECK_EQ_I64(tg_segment_counter(r, 1, &cv), 0);
	TG_CHECK_STR(cv.name, "dropped_no_room");
	TG_CHECK_EQ_U64(cv.value, 5);
	TG_CHECK_EQ_I64(tg_segment_counter(r, 3, &cv), -ENOENT);
	TG_CHECK_EQ_I64(tg_segment_check(r), 0);
	/* rings are 64-byte aligned so a tick slot is exactly one cache line */
	TG_CHECK_EQ_U64((uintptr_t)tg_segment_tick_ring(r, 3)->slots % 64, 0);

	/* file: mode 0640, reserved up front (blocks allocated) */
	char p[TG_PATH_MAX];
	struct stat st;
	path_of("basic", p, sizeof(p));
	TG_CHECK_EQ_I64(stat(p, &st), 0);
	TG_CHECK_EQ_U64(st.st_mode & 0777, 0640);
	TG_CHECK((uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size);
	tg_segment_detach(r);
	tg_segment_destroy(w, true);
	TG_CHECK_EQ_I64(stat(p, &st), -1);
}

static void t_mode_and_config(void)
{
	struct tg_segment_config c = ticks_cfg("mode");
	c.mode = 0600;
	struct tg_segment *w = NULL;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	char p[TG_PATH_MAX];
	struct stat st;
	path_of("mode", p, sizeof(p));
	TG_CHECK_EQ_I64(stat(p, &st), 0);
	TG_CHECK_EQ_U64(st.st_mode & 0777, 0600);
	tg_segment_destroy(w, true);

	struct tg_segment_config bad = ticks_cfg("bad");
	bad.ring_slots = 100; /* not a power of two */
	TG_CHECK_EQ_I64(tg_segment_create(&bad, &w), -EINVAL);
	bad = ticks_cfg("../escape");
	TG_CHECK_EQ_I64(tg_segment_create(&bad, &w), -EINVAL);
	bad = ticks_cfg("bad");
	bad.instruments = 0;
	TG_CHECK_EQ_I64(tg_segment_create(&bad, &w), -EINVAL);
	bad = ticks_cfg("bad");
	bad.kind = 99;
	TG_CHECK_EQ_I64(tg_segment_create(&bad, &w), -EINVAL);
	const char *long_name[] = {"a-counter-name-that-is-far-too-long-to-fit-in-its-line", "x",
	                           "y"};
	bad = ticks_cfg("bad");
	bad.counter_names = long_name;
	TG_CHECK_EQ_I64(tg_segment_create(&bad, &w), -EINVAL);

	/* directory full */
	c = ticks_cfg("full");
	c.instruments = 2;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	TG_CHECK_EQ_I64(tg_segment_add_instrument(w, 1, "A"), 0);
	TG_CHECK_EQ_I64(tg_segment_add_instrument(w, 2, "B"), 1);
	TG_CHECK_EQ_I64(tg_segment_add_instrument(w, 3, "C"), -ENOSPC);
	tg_segment_destroy(w, true);
}

/* More than the backing filesystem holds: -ENOSPC at create, no file left
 * (never a SIGBUS later). Skips on a filesystem without a size limit. */
static void t_no_space(void)
{
	struct statfs sf;
	TG_CHECK_EQ_I64(statfs(tg_shm_test_dir, &sf), 0);
	if (sf.f_blocks == 0)
		TG_SKIP("%s has no size limit", tg_shm_test_dir);
	uint64_t fs_bytes = (uint64_t)sf.f_blocks * (uint64_t)sf.f_bsize;
	struct tg_segment_config c = ticks_cfg("huge");
	c.instruments = 65536;
	c.ring_slots = 1u << 20; /* 64 MiB per ring, 4 TiB in all */
	if ((uint64_t)c.instruments * c.ring_slots * 64 <= fs_bytes)
		TG_SKIP("%s is larger than 4 TiB", tg_shm_test_dir);
	struct tg_segment *w = NULL;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), -ENOSPC);
	TG_CHECK(w == NULL);
	DIR *d = opendir(tg_shm_test_dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		if (strstr(de->d_name, "huge"))
			TG_FAIL("left behind: %s", de->d_name);
	if (d)
		closedir(d);
}

static void t_not_found(void)
{
	struct tg_segment *r = NULL;
	TG_CHECK_EQ_I64(tg_segment_attach("nothing-here", &r), -ENOENT);
	TG_CHECK_EQ_I64(tg_segment_attach("../etc/passwd", &r), -EINVAL);
	TG_CHECK_EQ_I64(tg_segment_attach("", &r), -EINVAL);
	TG_CHECK(r == NULL);
}

static void t_not_ready(void)
{
	struct tg_segment *w = make_ticks("notready", false), *r = NULL;
	TG_CHECK_EQ_I64(tg_segment_attach("notready", &r), -EAGAIN);
	tg_segment_publish(w);
	TG_CHECK_EQ_I64(tg_segment_attach("notready", &r), 0);
	tg_segment_detach(r);
	tg_segment_destroy(w, true);
}

static void write_file(const char *name, const void *data, size_t len)
{
	char p[TG_PATH_MAX];
	path_of(name, p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	TG_CHECK(fd >= 0);
	TG_CHECK_EQ_I64(write(fd, data, len), (int64_t)len);
	close(fd);
}

static void t_short_file(void)
{
	struct tg_segment *r = NULL;
	char junk[100] = {0};
	write_file("short", junk, sizeof(junk));
	TG_CHECK_EQ_I64(tg_segment_attach("short", &r), -EMSGSIZE);

	/* a real header whose file was cut after the header page */
	struct tg_segment *w = make_ticks("cut", true);
	write_file("cut2", w->base, TG_SEG_HEADER_BYTES);
	TG_CHECK_EQ_I64(tg_segment_attach("cut2", &r), -EMSGSIZE);
	tg_segment_destroy(w, true);
}

static void t_bad_magic(void)
{
	static char zeros[8192];
	struct tg_segment *r = NULL;
	write_file("zeros", zeros, sizeof(zeros));
	TG_CHECK_EQ_I64(tg_segment_attach("zeros", &r), -EBADMSG);
}

/* Alter one header field of a live, published segment, attach, restore. */
static void t_version_layout_geometry(void)
{
	struct tg_segment *w = make_ticks("alter", true), *r = NULL;
	struct tg_seg_header *h = w->hdr;

	h->abi_major++;
	TG_CHECK_EQ_I64(tg_segment_attach("alter", &r), -EPROTONOSUPPORT);
	h->abi_major--;
	h->abi_minor++; /* a newer minor is compatible */
	TG_CHECK_EQ_I64(tg_segment_attach("alter", &r), 0);
	tg_segment_detach(r);
	h->abi_minor--;

	h->layout_hash ^= 1;
	TG_CHECK_EQ_I64(tg_segment_attach("alter", &r), -EPROTO);
	h->layout_hash ^= 1;

	h->ring_stride += 64;
	TG_CHECK_EQ_I64(tg_segment_attach("alter", &r), -EUCLEAN);
	h->ring_stride -= 64;

	h->ring_slots = 1u << 30; /* consistent with nothing in the file */
	TG_CHECK_EQ_I64(tg_segment_attach("alter", &r), -EUCLEAN);
	h->ring_slots = 64;

	h->total_bytes += 1ull << 40;
	TG_CHECK_EQ_I64(tg_segment_attach("alter", &r), -EMSGSIZE);
	h->total_bytes -= 1ull << 40;

	struct tg_ring *ring = tg_segment_tick_ring_w(w, 5);
	ring->capacity = 32;
	TG_CHECK_EQ_I64(tg_segment_attach("alter", &r), -EUCLEAN);
	ring->capacity = 64;

	TG_CHECK_EQ_I64(tg_segment_attach("alter", &r), 0);
	tg_segment_detach(r);
	tg_segment_destroy(w, true);
}

/* Child creates and publishes `name`, then waits for a byte (or EOF) on
 * `go` before exiting without cleanup, as a crash would. */
static pid_t spawn_writer(const char *name, int *go_fd)
{
	int ready[2], go[2];
	if (pipe(ready) || pipe(go))
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		struct tg_segment_config c = ticks_cfg(name);
		struct tg_segment *w;
		char ok = tg_segment_create(&c, &w) == 0;
		if (ok)
			tg_segment_publish(w);
		if (write(ready[1], &ok, 1) != 1)
			_exit(2);
		char b;
		if (read(go[0], &b, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	char ok = 0;
	TG_CHECK_EQ_I64(read(ready[0], &ok, 1), 1);
	TG_CHECK_EQ_I64(ok, 1);
	close(ready[0]);
	*go_fd = go[1];
	return pid;
}

static void t_dead_writer(void)
{
	int go;
	pid_t pid = spawn_writer("dead", &go);
	struct tg_segment *r = NULL;
	TG_CHECK_EQ_I64(tg_segment_attach("dead", &r), 0);
	TG_CHECK_EQ_I64(tg_segment_check(r), 0);
	close(go); /* the writer exits */
	siginfo_t si;
	/* wait until it is a zombie, without reaping: a zombie is dead too */
	TG_CHECK_EQ_I64(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	TG_CHECK_EQ_I64(tg_segment_check(r), -EOWNERDEAD);
	struct tg_segment *r2 = NULL;
	TG_CHECK_EQ_I64(tg_segment_attach("dead", &r2), -EOWNERDEAD);
	int status;
	TG_CHECK_EQ_I64(waitpid(pid, &status, 0), pid);
	TG_CHECK_EQ_I64(tg_segment_check(r), -EOWNERDEAD);
	TG_CHECK_EQ_I64(tg_segment_attach("dead", &r2), -EOWNERDEAD);
	tg_segment_detach(r);
}

struct list_seen {
	int dead, live, total;
};

static void on_list(const struct tg_segment_info *i, void *arg)
{
	struct list_seen *s = arg;
	s->total++;
	if (!strcmp(i->name, "stale")) {
		s->dead += !i->alive;
		TG_CHECK_EQ_I64(i->status, 0);
		TG_CHECK(i->ready);
		TG_CHECK_EQ_U64(i->kind, TG_SEG_TICKS);
		TG_CHECK_EQ_U64(i->epoch, 1);
	}
	if (!strcmp(i->name, "owned"))
		s->live += i->alive;
}

static void t_busy_list_remove(void)
{
	int go_live, go_dead;
	pid_t live = spawn_writer("owned", &go_live);
	pid_t dead = spawn_writer("stale", &go_dead);
	close(go_dead);
	int status;
	TG_CHECK_EQ_I64(waitpid(dead, &status, 0), dead);

	/* another live process owns "owned": no silent takeover */
	struct tg_segment_config c = ticks_cfg("owned");
	struct tg_segment *w = NULL;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), -EBUSY);

	struct list_seen s = {0};
	TG_CHECK(tg_segment_list(on_list, &s) >= 2);
	TG_CHECK_EQ_I64(s.dead, 1);
	TG_CHECK_EQ_I64(s.live, 1);

	TG_CHECK_EQ_I64(tg_segment_remove("owned", false), -EBUSY);
	TG_CHECK_EQ_I64(tg_segment_remove("stale", false), 0);
	TG_CHECK_EQ_I64(tg_segment_remove("stale", false), -ENOENT);

	c.replace_live = true;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	TG_CHECK_EQ_U64(w->hdr->epoch, 2);
	tg_segment_destroy(w, false);
	TG_CHECK_EQ_I64(tg_segment_remove("owned", true), 0); /* ours, alive: force */
	close(go_live);
	TG_CHECK_EQ_I64(waitpid(live, &status, 0), live);
}

static void t_flag_and_alert_segments(void)
{
	struct tg_segment_config c = {
	    .name = "flags.0", .kind = TG_SEG_FLAGS, .ring_slots = 16, .counters = 1};
	struct tg_segment *w = NULL, *r = NULL;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	if (!w)
		return;
	TG_CHECK(tg_segment_tick_ring_w(w, 0) == NULL);
	struct tg_ring *ring = tg_segment_ring_w(w);
	TG_CHECK(ring != NULL);
	struct tg_flag f = {.first_seq = 10,
	                    .last_seq = 69,
	                    .score = 0.25,
	                    .instrument = 3,
	                    .anomalous = 1},
	               g;
	uint64_t words[TG_FLAG_SLOT_WORDS - 1];
	tg_flag_pack(&f, words);
	tg_ring_append(ring, words);
	tg_segment_publish(w);
	TG_CHECK_EQ_I64(tg_segment_attach("flags.0", &r), 0);
	if (!r)
		return;
	TG_CHECK_EQ_U64(tg_segment_kind(r), TG_SEG_FLAGS);
	TG_CHECK(tg_segment_tick_ring(r, 0) == NULL);
	TG_CHECK(tg_segment_arrival_ring(r) == NULL);
	TG_CHECK_EQ_U64(tg_segment_instruments(r), 0);
	const struct tg_ring *rr = tg_segment_ring(r);
	TG_CHECK_EQ_U64(rr->rec_kind, TG_REC_FLAG);
	TG_CHECK_EQ_I64(tg_ring_try_read(rr, 0, words), 0);
	tg_flag_unpack(words, &g);
	TG_CHECK_EQ_U64(g.last_seq, 69);
	TG_CHECK_EQ_U64(g.anomalous, 1);
	TG_CHECK_NEAR(g.score, 0.25, 0, 0);
	struct tg_counter_view cv;
	TG_CHECK_EQ_I64(tg_segment_counter(r, 0, &cv), 0);
	TG_CHECK_STR(cv.name, "counter0");
	tg_segment_detach(r);
	tg_segment_destroy(w, true);

	c.name = "alerts";
	c.kind = TG_SEG_ALERTS;
	TG_CHECK_EQ_I64(tg_segment_create(&c, &w), 0);
	tg_segment_publish(w);
	TG_CHECK_EQ_I64(tg_segment_attach("alerts", &r), 0);
	if (r) {
		TG_CHECK_EQ_U64(tg_segment_ring(r)->rec_kind, TG_REC_ALERT);
		tg_segment_detach(r);
	}
	tg_segment_destroy(w, true);
}

static void t_strerror(void)
{
	static const int errs[] = {ENOENT,     EMSGSIZE, EBADMSG, EPROTONOSUPPORT, EPROTO, EUCLEAN,
	                           EOWNERDEAD, EAGAIN,   ESTALE,  ENODATA,         EBUSY};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		TG_CHECK(tg_strerror(-errs[i]) != NULL);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(tg_strerror(-errs[i]), tg_strerror(-errs[j])))
				TG_FAIL("errors %d and %d share a message", errs[i], errs[j]);
	}
	TG_CHECK(strstr(tg_strerror(-EOWNERDEAD), "writer") != NULL);
	TG_CHECK(tg_strerror(-EIO) != NULL);
}

/* The hugetlbfs backing needs a mount with free pages: skip without one. */
static void t_hugetlbfs(void)
{
	char dirs[3][TG_DIR_MAX];
	unsetenv("TG_SHM_DIR");
	int n = tg__backing_dirs(dirs);
	setenv("TG_SHM_DIR", tg_shm_test_dir, 1);
	if (n < 2)
		TG_SKIP("no hugetlbfs mount");
	struct tg_segment_config c = ticks_cfg("tgtest-huge");
	c.dir = dirs[0];
	struct tg_segment *w = NULL;
	int rc = tg_segment_create(&c, &w);
	if (rc == -ENOSPC || rc == -ENOMEM)
		TG_SKIP("hugetlbfs mount %s has no free pages", dirs[0]);
	TG_CHECK_EQ_I64(rc, 0);
	if (w) {
		TG_CHECK_EQ_U64(w->map_bytes % (2u << 20), 0);
		tg_segment_destroy(w, true);
	}
}

int main(void)
{
	tg_shm_test_setup();
	tg_test_case("create-attach", t_create_attach);
	tg_test_case("mode-and-config", t_mode_and_config);
	tg_test_case("no-space", t_no_space);
	tg_test_case("not-found", t_not_found);
	tg_test_case("not-ready", t_not_ready);
	tg_test_case("short-file", t_short_file);
	tg_test_case("bad-magic", t_bad_magic);
	tg_test_case("version-layout-geometry", t_version_layout_geometry);
	tg_test_case("dead-writer", t_dead_writer);
	tg_test_case("busy-list-remove", t_busy_list_remove);
	tg_test_case("flag-and-alert-segments", t_flag_and_alert_segments);
	tg_test_case("strerror", t_strerror);
	tg_test_case("hugetlbfs", t_hugetlbfs);
	return tg_test_done();
}
