/* cmd_shm.c - `tickguard shm ls|rm`: see which shared-memory segments exist
 * (and whether their writers still live), and remove those of dead writers.
 * Crashed writers leave their segments behind on purpose, so readers and
 * people can still look at them; this is how they go away.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/tg_common.h"
#include "shm/shm.h"

int tg_cmd_shm(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: tickguard shm ls\n"
	        "       tickguard shm rm [--force] NAME...\n"
	        "       tickguard shm rm --stale\n\n"
	        "  ls          list segments (tickguard.* in the hugetlbfs mount and /dev/shm, or\n"
	        "              $TG_SHM_DIR): name, kind, epoch, writer pid and whether it lives\n"
	        "  rm NAME     remove a segment whose writer is dead (--force: even if alive)\n"
	        "  rm --stale  remove every segment whose writer is dead\n");
}

static const char *kind_name(uint32_t k)
{
	const char *name = tg_segment_kind_name(k);
	return name ? name : "?";
}

struct ls_state {
	int n;
	uint64_t now_ns;
};

static void print_row(const struct tg_segment_info *i, void *arg)
{
	struct ls_state *st = arg;
	char hb[32] = "-", size[32];
	if (i->heartbeat_ns && st->now_ns >= i->heartbeat_ns)
		snprintf(hb, sizeof(hb), "%.1fs", (double)(st->now_ns - i->heartbeat_ns) / 1e9);
	if (i->bytes >= 1024 * 1024)
		snprintf(size, sizeof(size), "%.1fM", (double)i->bytes / (1024.0 * 1024.0));
	else
		snprintf(size, sizeof(size), "%.1fK", (double)i->bytes / 1024.0);
	if (st->n++ == 0)
		printf("%-24s %-6s %5s %8s %-6s %-5s %8s %-9s %9s %s\n", "NAME", "KIND", "EPOCH",
		       "PID", "WRITER", "READY", "SIZE", "BACKING", "HEARTBEAT", "STATUS");
	printf("%-24s %-6s %5" PRIu64 " %8d %-6s %-5s %8s %-9s %9s %s\n", i->name,
	       i->status ? "-" : kind_name(i->kind), i->epoch, (int)i->pid,
	       i->alive ? "alive" : "dead", i->ready ? "yes" : "no", size,
	       i->hugetlbfs ? "hugetlbfs" : "shm", hb,
	       i->temporary ? "unfinished create"
	       : i->status  ? tg_strerror(i->status)
	                    : "ok");
}

static int cmd_ls(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "tickguard shm ls: takes no arguments (tickguard shm --help)\n");
		return TG_EXIT_USAGE;
	}
	struct ls_state st = {0, tg_realtime_ns()};
	int rc = tg_segment_list(print_row, &st);
	if (rc < 0) {
		fprintf(stderr, "tickguard shm ls: %s\n", tg_strerror(rc));
		return TG_EXIT_FAILURE;
	}
	if (st.n == 0)
		printf("no tickguard segments\n");
	char dir[256];
	const char *env = getenv("TG_SHM_DIR");
	if (tg_segment_backing(2u << 20, dir, sizeof(dir)) == 1)
		printf("new segments: hugetlbfs %s\n", dir);
	else if (env && *env)
		printf("new segments: %s ($TG_SHM_DIR)\n", dir);
	else
		printf("new segments: %s (no hugetlbfs mount with free huge pages)\n", dir);
	return 0;
}

struct stale_state {
	int removed, failed;
};

static void remove_stale(const struct tg_segment_info *i, void *arg)
{
	struct stale_state *st = arg;
	if (i->alive)
		return;
	int rc = tg_segment_remove(i->name, false);
	if (rc == 0) {
		printf("removed %s (writer pid %d gone)\n", i->path, (int)i->pid);
		st->removed++;
	} else if (rc != -ENOENT) {
		fprintf(stderr, "tickguard shm rm: %s: %s\n", i->name, tg_strerror(rc));
		st->failed++;
	}
}

static int cmd_rm(int argc, char **argv)
{
	bool force = false, stale = false;
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "--force"))
			force = true;
		else if (!strcmp(argv[first], "--stale"))
			stale = true;
		else {
			fprintf(stderr,
			        "tickguard shm rm: unknown option '%s' (tickguard shm --help)\n",
			        argv[first]);
			return TG_EXIT_USAGE;
		}
	}
	if (stale) {
		if (first < argc || force) {
			fprintf(stderr,
			        "tickguard shm rm: --stale takes no names and no --force\n");
			return TG_EXIT_USAGE;
		}
		struct stale_state st = {0, 0};
		int rc = tg_segment_list(remove_stale, &st);
		if (rc < 0) {
			fprintf(stderr, "tickguard shm rm: %s\n", tg_strerror(rc));
			return TG_EXIT_FAILURE;
		}
		if (st.removed == 0 && st.failed == 0)
			printf("no stale segments\n");
		return st.failed ? TG_EXIT_FAILURE : 0;
	}
	if (first >= argc) {
		fprintf(stderr, "tickguard shm rm: name a segment, or use --stale\n");
		return TG_EXIT_USAGE;
	}
	int status = 0;
	for (int i = first; i < argc; i++) {
		int rc = tg_segment_remove(argv[i], force);
		if (rc) {
			fprintf(stderr, "tickguard shm rm: %s: %s\n", argv[i], tg_strerror(rc));
			status = TG_EXIT_FAILURE;
		}
	}
	return status;
}

int tg_cmd_shm(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "tickguard shm: say ls or rm (tickguard shm --help)\n");
		return TG_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
	if (!strcmp(argv[1], "ls"))
		return cmd_ls(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rm"))
		return cmd_rm(argc - 1, argv + 1);
	fprintf(stderr, "tickguard shm: unknown subcommand '%s' (tickguard shm --help)\n", argv[1]);
	return TG_EXIT_USAGE;
}
