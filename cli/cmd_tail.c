/* cmd_tail.c - `tickguard tail`: print alert events live from the
 * shared-memory alert ring, as a trading process would see them (attach
 * read-only, follow the ring head, re-attach when the publisher restarts,
 * count what was lost to overwrite). The tick segment (symbols) is
 * re-checked too: a restarted gateway replaces it. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/cmdline.h"
#include "common/tg_common.h"
#include "publisher/episode.h"
#include "publisher/publisher.h"
#include "tickguard/tickguard.h"

int tg_cmd_tail(int argc, char **argv);

static void tail_usage(FILE *f)
{
	fprintf(f, "usage: tickguard tail [options]\n"
	           "  print alert events live from the alert ring\n"
	           "  --alerts NAME     alert segment (default alerts)\n"
	           "  --ticks NAME      tick segment, for symbols (default ticks)\n"
	           "  --from-start      print the events already in the ring first\n"
	           "  --json            one JSON object per line (the publisher's format)\n"
	           "  --count N         exit after N events\n"
	           "  --exit-when-idle  exit once the publisher is gone and all is printed\n");
}

static void tail_nap(void)
{
	struct timespec ts = {0, 200000};
	nanosleep(&ts, NULL);
}

int tg_cmd_tail(int argc, char **argv)
{
	const char *alerts = "alerts", *ticks_name = "ticks";
	bool from_start = false, json = false, exit_idle = false;
	unsigned long long count = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			tail_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--from-start")) {
			from_start = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--exit-when-idle")) {
			exit_idle = true;
		} else if ((!strcmp(a, "--alerts") || !strcmp(a, "--ticks") ||
		            !strcmp(a, "--count")) &&
		           i + 1 < argc) {
			const char *v = argv[++i];
			if (!strcmp(a, "--alerts"))
				alerts = v;
			else if (!strcmp(a, "--ticks"))
				ticks_name = v;
			else {
				char *end;
				count = strtoull(v, &end, 10);
				if (*end || !count) {
					fprintf(stderr, "tickguard tail: bad --count '%s'\n", v);
					return TG_EXIT_USAGE;
				}
			}
		} else {
			fprintf(stderr,
			        "tickguard tail: unknown option '%s' (tickguard tail --help)\n", a);
			return TG_EXIT_USAGE;
		}
	}
	tg_stop_on_signals();

	struct tg_segment *seg = NULL, *ticks = NULL;
	const struct tg_ring *ring = NULL;
	uint64_t next = 0, printed = 0, lost = 0, polls = 0;
	bool said_waiting = false;
	int exit_rc = 0;
	while (!atomic_load_explicit(&tg_stop, memory_order_relaxed)) {
		if (!seg) {
			int rc = tg_segment_attach(alerts, &seg);
			if (rc < 0) {
				seg = NULL;
				if (rc == -EOWNERDEAD && exit_idle)
					break;
				if (!said_waiting)
					fprintf(stderr,
					        "tickguard tail: waiting for segment %s (%s)\n",
					        alerts, tg_strerror(rc));
				said_waiting = true;
				tail_nap();
				continue;
			}
			/* a tick segment has no single ring (tg_segment_ring is NULL) */
			if (tg_segment_kind(seg) != TG_SEG_ALERTS) {
				fprintf(stderr,
				        "tickguard tail: segment %s is not an alert segment\n",
				        alerts);
				tg_segment_detach(seg);
				seg = NULL;
				exit_rc = TG_EXIT_FAILURE;
				break;
			}
			ring = tg_segment_ring(seg);
			uint64_t h = tg_ring_head(ring);
			next = from_start ? (h > ring->capacity ? h - ring->capacity : 0) : h;
			from_start = true; /* a re-attach (new epoch) starts at its beginning */
		}
		uint64_t h = tg_ring_head(ring);
		if (next == h) {
			if ((++polls & 1023) == 0) {
				/* a restarted gateway replaces the tick segment (its
				 * ids may differ): look symbols up in the new one */
				if (ticks && tg_segment_check(ticks) == -ESTALE) {
					tg_segment_detach(ticks);
					ticks = NULL;
				}
				int rc = tg_segment_check(seg);
				if (rc == -ESTALE || (rc == -EOWNERDEAD && !exit_idle)) {
					tg_segment_detach(seg);
					seg = NULL;
					continue;
				}
				if (rc == -EOWNERDEAD && exit_idle && tg_ring_head(ring) == next)
					break;
			}
			tail_nap();
			continue;
		}
		uint64_t w[TG_ALERT_SLOT_WORDS - 1];
		int rc = tg_ring_try_read(ring, next, w);
		if (rc == -ENODATA) {
			uint64_t skip = tg_ring_lapped(ring, next);
			skip = skip ? skip : 1;
			lost += skip;
			next += skip;
			continue;
		}
		if (rc < 0)
			continue;
		next++;
		struct tg_alert a;
		tg_alert_unpack(w, &a);
		if (!ticks && tg_segment_attach(ticks_name, &ticks) < 0)
			ticks = NULL;
		char sym[TG_SYMBOL_LEN + 1] = "";
		struct tg_instrument_info info;
		if (ticks && tg_segment_instrument(ticks, a.instrument, &info) == 0) {
			memcpy(sym, info.symbol, TG_SYMBOL_LEN);
			for (int k = TG_SYMBOL_LEN - 1; k >= 0 && (sym[k] == ' ' || !sym[k]); k--)
				sym[k] = 0;
		}
		if (json) {
			char line[1024];
			if (tg_alert_json(&a, sym, line, sizeof(line)) > 0)
				fputs(line, stdout);
		} else {
			uint64_t s = a.exch_ts_ns / 1000000000ull;
			printf("%-6s #%-5llu %-8s %02u:%02u:%02u.%06u ticks %llu..%llu  score %.4g "
			       "(peak %.4g, thr %.4g)  px %u.%04u [%u.%04u..%u.%04u]  windows %u\n",
			       tg_alert_event_name(a.event), (unsigned long long)a.alert_id,
			       sym[0] ? sym : "?", (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
			       (unsigned)(s % 60), (unsigned)(a.exch_ts_ns % 1000000000ull / 1000),
			       (unsigned long long)a.first_seq, (unsigned long long)a.last_seq,
			       a.peak_score, a.peak_score, a.threshold, a.last_price_e4 / 10000,
			       a.last_price_e4 % 10000, a.min_price_e4 / 10000,
			       a.min_price_e4 % 10000, a.max_price_e4 / 10000,
			       a.max_price_e4 % 10000, a.windows);
		}
		fflush(stdout);
		if (count && ++printed >= count)
			break;
	}
	if (lost)
		fprintf(stderr, "tickguard tail: %llu events lost to ring overwrite\n",
		        (unsigned long long)lost);
	if (ticks)
		tg_segment_detach(ticks);
	if (seg)
		tg_segment_detach(seg);
	return exit_rc;
}
