/* test_hugepages.c - the hugetlbfs path for real: reserve 2 MiB pages,
 * mount hugetlbfs, and check that a tick segment then lands on huge pages
 * (found through /proc/mounts, no configuration), is attachable and
 * carries ticks; that a segment larger than the free pages falls back to
 * /dev/shm; and `tickguard hugepages size` arithmetic. Needs root and a
 * kernel that grants pages: otherwise the huge-page cases skip. The mount
 * lives in a private mount namespace; the pool (a global setting) is
 * restored at the end. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cli/hugepages.h"
#include "shm/segment_impl.h"
#include "shm/shm.h"
#include "tests/tg_test.h"

#define HUGETLBFS_MAGIC_ 0x958458f6

static char mnt[64];
static uint64_t old_pages;
static bool mounted;
static bool touched; /* the pool was changed by us */

static void restore(void)
{
	if (mounted) {
		umount(mnt);
		rmdir(mnt);
		mounted = false;
	}
	uint64_t g;
	if (touched)
		tg_hugepages_reserve(2048, old_pages, &g);
	touched = false;
}

static void setup_pool(void)
{
	uint64_t free_pages, granted = 0;
	if (geteuid() != 0)
		TG_SKIP("not root: cannot reserve huge pages");
	if (tg_hugepages_pool(2048, &old_pages, &free_pages) < 0)
		TG_SKIP("no 2 MiB huge page pool in /sys");
	touched = true;
	int rc = tg_hugepages_reserve(2048, old_pages + 16, &granted);
	if (rc < 0 || granted < old_pages + 4) {
		restore();
		TG_SKIP("kernel did not grant huge pages (%s, %llu)", rc < 0 ? strerror(-rc) : "ok",
		        (unsigned long long)granted);
	}
	/* A private mount namespace: the hugetlbfs mount is seen by this
	 * process only (other tickguard processes on the machine keep using
	 * /dev/shm) and disappears with it, even if it is killed. */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		restore();
		TG_SKIP("no private mount namespace: %s", strerror(errno));
	}
	snprintf(mnt, sizeof(mnt), "/tmp/tg-huge.XXXXXX");
	if (!mkdtemp(mnt)) {
		restore();
		TG_SKIP("mkdtemp: %s", strerror(errno));
	}
	rc = tg_hugepages_mount(mnt, 2048);
	if (rc < 0) {
		rmdir(mnt);
		restore();
		TG_SKIP("cannot mount hugetlbfs: %s", strerror(-rc));
	}
	mounted = true;
}

static bool on_hugetlbfs(const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/tickguard.%s", mnt, name);
	struct statfs sf;
	return statfs(p, &sf) == 0 && (unsigned long)sf.f_type == HUGETLBFS_MAGIC_;
}

static void t_segment_on_huge_pages(void)
{
	setup_pool();
	unsetenv("TG_SHM_DIR");
	char dirs[3][TG_DIR_MAX];
	int n = tg__backing_dirs(dirs);
	TG_CHECK(n >= 2);
	/* A small segment: found mount, free pages → hugetlbfs. */
	struct tg_segment_config c = {
	    .name = "tgtest-hp",
	    .kind = TG_SEG_TICKS,
	    .instruments = 4,
	    .ring_slots = 1024,
	    .arrival_slots = 1024,
	};
	struct tg_segment *w = NULL;
	int rc = tg_segment_create(&c, &w);
	TG_CHECK_EQ_I64(rc, 0);
	if (rc == 0) {
		TG_CHECK(on_hugetlbfs("tgtest-hp"));
		TG_CHECK_EQ_I64(tg_segment_add_instrument(w, 1, "AAPL"), 0);
		tg_segment_publish(w);
		uint64_t words[TG_TICK_SLOT_WORDS - 1];
		for (uint64_t i = 0; i < 3000; i++) {
			struct tg_tick t = {
			    .seq = i, .price_e4 = (uint32_t)(1000000 + i), .shares = 100};
			tg_tick_pack(&t, words);
			tg_ring_append(tg_segment_tick_ring_w(w, 0), words);
		}
		struct tg_segment *r = NULL;
		TG_CHECK_EQ_I64(tg_segment_attach("tgtest-hp", &r), 0);
		if (r) {
			struct tg_tick t;
			TG_CHECK_EQ_I64(tg_tick_read(tg_segment_tick_ring(r, 0), 2999, &t), 0);
			TG_CHECK_EQ_U64(t.price_e4, 1000000 + 2999);
			tg_segment_detach(r);
		}
		tg_segment_destroy(w, true);
	}
	/* Larger than every free page: falls back to /dev/shm. */
	c.name = "tgtest-hp-big";
	c.ring_slots = 1u << 16;
	c.instruments = 64; /* 256 MiB of ticks, far more than 16 pages */
	w = NULL;
	rc = tg_segment_create(&c, &w);
	TG_CHECK_EQ_I64(rc, 0);
	if (rc == 0) {
		TG_CHECK(!on_hugetlbfs("tgtest-hp-big"));
		tg_segment_destroy(w, true);
	}
	restore();
}

static void t_sizing(void)
{
	/* 8 instruments x 4096 slots x 64 B = 2 MiB of ticks plus headers and
	 * a 1 Mi-slot arrival ring (32 MiB): must cover the raw bytes. */
	uint64_t b = tg_hugepages_segment_bytes(8, 4096, 1u << 20);
	TG_CHECK(b >= 8ull * 4096 * 64 + (1ull << 20) * 32);
	TG_CHECK(b < 8ull * 4096 * 64 + (1ull << 20) * 32 + (1u << 20));
}

int main(void)
{
	tg_test_case("sizing", t_sizing);
	tg_test_case("segment-on-huge-pages", t_segment_on_huge_pages);
	restore();
	return tg_test_done();
}
