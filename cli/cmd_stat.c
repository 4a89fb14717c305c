/* cmd_stat.c - `tickguard stat`: every tickguard segment with its writer,
 * heartbeat age and counters (and, for tick segments, each instrument's
 * tick count), as text or --json. It attaches read-only through the public
 * reader API only, exactly as a trading process would.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tickguard/tickguard.h>

#include "cli/cli.h"
#include "common/tg_common.h"
#include "shm/shm.h"

int tg_cmd_stat(int argc, char **argv);

#define STAT_MAX_SEGMENTS 256
#define STAT_NAME_MAX     64

struct stat_list {
	char name[STAT_MAX_SEGMENTS][STAT_NAME_MAX];
	int32_t pid[STAT_MAX_SEGMENTS];
	bool alive[STAT_MAX_SEGMENTS];
	unsigned n;
};

static void collect(const struct tg_segment_info *info, void *arg)
{
	struct stat_list *l = arg;
	if (info->temporary || l->n == STAT_MAX_SEGMENTS)
		return;
	snprintf(l->name[l->n], STAT_NAME_MAX, "%s", info->name);
	l->pid[l->n] = info->pid;
	l->alive[l->n] = info->alive;
	l->n++;
}

static const char *kind_name(uint32_t k)
{
	const char *name = tg_segment_kind_name(k);
	return name ? name : "unknown";
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* One segment; returns 0 or the attach error. */
static int show(const char *name, int32_t pid, bool alive, bool json, bool first, bool all_instr)
{
	struct tg_segment *seg = NULL;
	int rc = alive ? tg_segment_attach(name, &seg) : -EOWNERDEAD;
	if (json) {
		printf("%s\n  {\"name\": ", first ? "" : ",");
		json_str(name);
		printf(", \"writer_pid\": %d, \"alive\": %s", pid, alive ? "true" : "false");
	} else {
		printf("segment %s  writer pid %d%s", name, pid, alive ? "" : " (dead)");
	}
	if (rc < 0) {
		if (json) {
			printf(", \"error\": ");
			json_str(tg_strerror(rc));
			printf("}");
		} else {
			printf("  [not attached: %s]\n", tg_strerror(rc));
		}
		return rc;
	}
	uint64_t hb = tg_segment_heartbeat_ns(seg), now = tg_realtime_ns();
	double age_ms = hb && now > hb ? (double)(now - hb) / 1e6 : 0.0;
	uint32_t kind = tg_segment_kind(seg);
	if (json)
		printf(", \"kind\": \"%s\", \"epoch\": %llu, \"heartbeat_age_ms\": %.3f, "
		       "\"counters\": {",
		       kind_name(kind), (unsigned long long)tg_segment_epoch(seg), age_ms);
	else
		printf("  kind %s  epoch %llu  heartbeat %.1f ms ago\n", kind_name(kind),
		       (unsigned long long)tg_segment_epoch(seg), age_ms);
	uint32_t nc = tg_segment_counters(seg);
	for (uint32_t i = 0; i < nc; i++) {
		struct tg_counter_view cv;
		if (tg_segment_counter(seg, i, &cv) < 0)
			continue;
		if (json) {
			printf("%s", i ? ", " : "");
			json_str(cv.name);
			printf(": %llu", (unsigned long long)cv.value);
		} else {
			printf("  %-40s %20llu\n", cv.name, (unsigned long long)cv.value);
		}
	}
	if (json)
		printf("}");
	if (kind == TG_SEG_TICKS) {
		uint32_t ni = tg_segment_instruments(seg);
		uint32_t shown = all_instr || ni <= 32 ? ni : 32;
		if (json)
			printf(", \"instruments\": [");
		else
			printf("  instruments: %u%s\n", ni,
			       shown < ni ? " (first 32; --all for every one)" : "");
		for (uint32_t id = 0; id < shown; id++) {
			struct tg_instrument_info info;
			if (tg_segment_instrument(seg, id, &info) < 0)
				continue;
			const struct tg_ring *r = tg_segment_tick_ring(seg, id);
			unsigned long long ticks = r ? (unsigned long long)tg_ring_head(r) : 0;
			if (json) {
				printf("%s{\"id\": %u, \"symbol\": ", id ? ", " : "", id);
				json_str(info.symbol);
				printf(", \"locate\": %u, \"ticks\": %llu}", info.stock_locate,
				       ticks);
			} else {
				printf("    %5u %-8s locate %5u  ticks %llu\n", id, info.symbol,
				       info.stock_locate, ticks);
			}
		}
		const struct tg_ring *ar = tg_segment_arrival_ring(seg);
		if (json)
			printf("], \"arrivals\": %llu",
			       ar ? (unsigned long long)tg_ring_head(ar) : 0ull);
		else
			printf("  arrival records: %llu\n",
			       ar ? (unsigned long long)tg_ring_head(ar) : 0ull);
	} else {
		const struct tg_ring *r = tg_segment_ring(seg);
		if (json)
			printf(", \"records\": %llu",
			       r ? (unsigned long long)tg_ring_head(r) : 0ull);
		else
			printf("  records: %llu\n", r ? (unsigned long long)tg_ring_head(r) : 0ull);
	}
	if (json)
		printf("}");
	tg_segment_detach(seg);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tickguard stat [--json] [--all] [SEGMENT...]\n"
	           "\n"
	           "Print every tickguard segment (or the named ones): writer, heartbeat age,\n"
	           "counters, and for tick segments each instrument's tick count.\n"
	           "\n"
	           "  --json      one JSON document on stdout\n"
	           "  --all       list every instrument (default: the first 32)\n"
	           "  -h, --help  this text\n");
}

int tg_cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, 0, 'j'},
	    {"all", no_argument, 0, 'a'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	bool json = false, all = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "tickguard stat: unknown option '%s' (see --help)\n",
			        argv[optind - 1]);
			return TG_EXIT_USAGE;
		}
	}
	struct stat_list *l = calloc(1, sizeof(*l));
	if (!l) {
		fprintf(stderr, "tickguard stat: out of memory\n");
		return TG_EXIT_FAILURE;
	}
	int rc = tg_segment_list(collect, l);
	if (rc < 0) {
		fprintf(stderr, "tickguard stat: cannot list segments: %s\n", tg_strerror(rc));
		free(l);
		return TG_EXIT_FAILURE;
	}
	int status = 0;
	unsigned shown = 0;
	if (json)
		printf("{\"segments\": [");
	for (int a = optind; a < argc || (a == optind && optind == argc); a++) {
		for (unsigned i = 0; i < l->n; i++) {
			if (a < argc && strcmp(argv[a], l->name[i]) != 0)
				continue;
			show(l->name[i], l->pid[i], l->alive[i], json, shown == 0, all);
			shown++;
		}
		if (a == argc)
			break;
	}
	if (json)
		printf("\n]}\n");
	else if (shown == 0)
		printf("no tickguard segments\n");
	if (optind < argc && shown == 0) {
		fprintf(stderr, "tickguard stat: no segment named '%s'\n", argv[optind]);
		status = TG_EXIT_FAILURE;
	}
	free(l);
	return status;
}
