/* cmd_hugepages.c - `tickguard hugepages`: see, size, reserve and release
 * the huge pages that tickguard's segments (hugetlbfs) and DPDK use.
 *
 * Reserving writes /sys/kernel/mm/hugepages/hugepages-<size>kB/nr_hugepages
 * and mounts hugetlbfs (mount(2)), so it needs root; the kernel may grant
 * fewer pages than asked when memory is fragmented, and we say so. Sizing
 * follows the tick segment layout: 64-byte tick slots per instrument ring,
 * 32-byte arrival slots, plus headers (rounded up generously).
 */
#include <errno.h>
#include <getopt.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/hugepages.h"

int tg_cmd_hugepages(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: tickguard hugepages status\n"
	    "       tickguard hugepages size --instruments N --ring-slots S [--arrival-slots A]\n"
	    "       tickguard hugepages reserve --pages N [--page-kb 2048] [--mount DIR]\n"
	    "       tickguard hugepages release [--page-kb 2048] [--mount DIR]\n"
	    "\n"
	    "status   huge pages per size (total, free) and hugetlbfs mounts\n"
	    "size     bytes and 2 MiB pages a tick segment of that shape needs\n"
	    "reserve  set the pool to N pages and mount hugetlbfs at DIR\n"
	    "         (default /dev/hugepages); needs root\n"
	    "release  unmount DIR and set the pool back to 0 pages\n");
}

static int read_u64(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	unsigned long long x;
	int ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -EIO;
	*v = x;
	return 0;
}

static int write_u64(const char *path, uint64_t v)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	int ok = fprintf(f, "%llu\n", (unsigned long long)v) > 0;
	if (fclose(f) != 0 || !ok)
		return -EIO;
	return 0;
}

int tg_hugepages_pool(unsigned page_kb, uint64_t *total, uint64_t *free_pages)
{
	char p[160];
	snprintf(p, sizeof(p), "/sys/kernel/mm/hugepages/hugepages-%ukB/nr_hugepages", page_kb);
	int rc = read_u64(p, total);
	if (rc < 0)
		return rc;
	snprintf(p, sizeof(p), "/sys/kernel/mm/hugepages/hugepages-%ukB/free_hugepages", page_kb);
	return read_u64(p, free_pages);
}

int tg_hugepages_reserve(unsigned page_kb, uint64_t pages, uint64_t *granted)
{
	char p[160];
	snprintf(p, sizeof(p), "/sys/kernel/mm/hugepages/hugepages-%ukB/nr_hugepages", page_kb);
	int rc = write_u64(p, pages);
	if (rc < 0)
		return rc;
	return read_u64(p, granted);
}

int tg_hugepages_mount(const char *dir, unsigned page_kb)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	char opts[64];
	snprintf(opts, sizeof(opts), "pagesize=%uK,mode=1770", page_kb);
	if (mount("hugetlbfs", dir, "hugetlbfs", 0, opts) < 0)
		return -errno;
	return 0;
}

uint64_t tg_hugepages_segment_bytes(uint64_t instruments, uint64_t ring_slots,
                                    uint64_t arrival_slots)
{
	const uint64_t ring_hdr = 3 * 64, tick_slot = 64, arrival_slot = 32;
	uint64_t b = 64 * 1024; /* segment header, region table, counters */
	b += instruments * 64;  /* directory entries */
	b += instruments * (ring_hdr + ring_slots * tick_slot);
	b += ring_hdr + arrival_slots * arrival_slot;
	return b;
}

static void status(void)
{
	static const unsigned sizes[] = {2048, 1048576};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t t = 0, f = 0;
		if (tg_hugepages_pool(sizes[i], &t, &f) == 0)
			printf("%7u kB pages: %llu total, %llu free\n", sizes[i],
			       (unsigned long long)t, (unsigned long long)f);
	}
	FILE *m = setmntent("/proc/mounts", "r");
	int n = 0;
	if (m) {
		struct mntent *e;
		while ((e = getmntent(m)))
			if (!strcmp(e->mnt_type, "hugetlbfs")) {
				printf("hugetlbfs mounted at %s (%s)\n", e->mnt_dir, e->mnt_opts);
				n++;
			}
		endmntent(m);
	}
	if (!n)
		printf("no hugetlbfs mount: segments use /dev/shm\n");
}

int tg_cmd_hugepages(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"instruments", required_argument, 0, 'i'},
	    {"ring-slots", required_argument, 0, 's'},
	    {"arrival-slots", required_argument, 0, 'a'},
	    {"pages", required_argument, 0, 'n'},
	    {"page-kb", required_argument, 0, 'k'},
	    {"mount", required_argument, 0, 'm'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	uint64_t instruments = 0, slots = 0, arrival = 1u << 20, pages = 0;
	unsigned page_kb = 2048;
	const char *dir = "/dev/hugepages";
	int c;
	if (argc < 2) {
		usage(stderr);
		return TG_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(stdout);
		return 0;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end = NULL;
		unsigned long long v = 0;
		if (c != 'm' && c != 'h' && optarg) {
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || !end || *end) {
				fprintf(stderr, "tickguard hugepages: bad number '%s'\n", optarg);
				return TG_EXIT_USAGE;
			}
		}
		switch (c) {
		case 'i':
			instruments = v;
			break;
		case 's':
			slots = v;
			break;
		case 'a':
			arrival = v;
			break;
		case 'n':
			pages = v;
			break;
		case 'k':
			page_kb = (unsigned)v;
			break;
		case 'm':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return TG_EXIT_USAGE;
		}
	}
	if (!strcmp(sub, "status")) {
		status();
		return 0;
	}
	if (!strcmp(sub, "size")) {
		if (!instruments || !slots) {
			fprintf(stderr,
			        "tickguard hugepages size: give --instruments and --ring-slots\n");
			return TG_EXIT_USAGE;
		}
		uint64_t b = tg_hugepages_segment_bytes(instruments, slots, arrival);
		uint64_t pb = (uint64_t)page_kb * 1024;
		printf("tick segment: %llu instruments x %llu slots x 64 B + %llu arrival slots x "
		       "32 B "
		       "= %.1f MiB = %llu pages of %u kB\n",
		       (unsigned long long)instruments, (unsigned long long)slots,
		       (unsigned long long)arrival, (double)b / 1048576.0,
		       (unsigned long long)((b + pb - 1) / pb), page_kb);
		return 0;
	}
	if (!strcmp(sub, "reserve")) {
		if (!pages) {
			fprintf(stderr, "tickguard hugepages reserve: give --pages N\n");
			return TG_EXIT_USAGE;
		}
		uint64_t got = 0;
		int rc = tg_hugepages_reserve(page_kb, pages, &got);
		if (rc < 0) {
			fprintf(stderr,
			        "tickguard hugepages: cannot set the %u kB pool: %s (root?)\n",
			        page_kb, strerror(-rc));
			return TG_EXIT_FAILURE;
		}
		if (got < pages)
			fprintf(stderr,
			        "tickguard hugepages: asked %llu pages, kernel granted %llu\n",
			        (unsigned long long)pages, (unsigned long long)got);
		rc = tg_hugepages_mount(dir, page_kb);
		if (rc < 0 && rc != -EBUSY) {
			fprintf(stderr, "tickguard hugepages: cannot mount hugetlbfs at %s: %s\n",
			        dir, strerror(-rc));
			return TG_EXIT_FAILURE;
		}
		printf("%llu pages of %u kB reserved, hugetlbfs at %s\n", (unsigned long long)got,
		       page_kb, dir);
		return 0;
	}
	if (!strcmp(sub, "release")) {
		if (umount(dir) < 0 && errno != EINVAL && errno != ENOENT)
			fprintf(stderr, "tickguard hugepages: umount %s: %s\n", dir,
			        strerror(errno));
		uint64_t got = 0;
		int rc = tg_hugepages_reserve(page_kb, 0, &got);
		if (rc < 0) {
			fprintf(stderr, "tickguard hugepages: cannot set the pool: %s\n",
			        strerror(-rc));
			return TG_EXIT_FAILURE;
		}
		printf("released; %llu pages of %u kB remain in use\n", (unsigned long long)got,
		       page_kb);
		return 0;
	}
	fprintf(stderr, "tickguard hugepages: unknown subcommand '%s' (see --help)\n", sub);
	return TG_EXIT_USAGE;
}
