/* cmd_publisher.c - `tickguard publisher`: the publisher process. Follows
 * every flags.* segment, emits alert events to the "alerts" segment, UDP
 * and JSON lines, until SIGINT/SIGTERM (then drains, closes open episodes
 * and sends the MoldUDP64 end of session). Scorer arrivals, restarts and
 * deaths are reported on stderr, one line each. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cmdline.h"
#include "common/tg_common.h"
#include "publisher/publisher.h"

int tg_cmd_publisher(int argc, char **argv);

static void pub_usage(FILE *f)
{
	fprintf(
	    f, "usage: tickguard publisher [options]\n"
	       "  merge the scorers' flag rings into alert episodes; emit them to the alert\n"
	       "  ring, UDP (MoldUDP64-framed binary alerts) and JSON lines\n"
	       "  --alerts NAME          alert segment (default alerts)\n"
	       "  --ticks NAME           tick segment, for symbols (default ticks)\n"
	       "  --flags-prefix P       flag segments P0, P1, ... (default flags.)\n"
	       "  --max-scorers N        scorer slots to follow (default 64)\n"
	       "  --alert-slots N        alert ring slots, power of two (default 65536)\n"
	       "  --udp ADDR:PORT        send alerts there (unicast or multicast)\n"
	       "  --ttl N                multicast TTL (default 1)\n"
	       "  --iface ADDR           IPv4 address of the multicast interface\n"
	       "  --session NAME         MoldUDP64 session (default TGALERTS)\n"
	       "  --jsonl FILE           JSON lines to FILE ('-' = stdout)\n"
	       "  --hyst-windows N       close after N windows below threshold (default 5)\n"
	       "  --hyst-ns N            ... and N ns of exchange time below (default 0)\n"
	       "  --cooldown-windows N   windows after a close before a new alert (default 10)\n"
	       "  --cooldown-ns N        exchange ns after a close before a new alert (default 0)\n"
	       "  --update-every N       update event on a new peak at most every N windows\n"
	       "                         (0 = no updates; default 16)\n"
	       "  --exch-utc-offset S    exchange time of day = UTC + S seconds (latency)\n"
	       "  --exch-clock auto|live|replay  is the feed's ITCH time a live clock? replay:\n"
	       "                         no exchange-timestamp latency (auto: if in [0, 1 h))\n");
}

static void pub_log_stderr(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "tickguard publisher: %s\n", line);
}

int tg_cmd_publisher(int argc, char **argv)
{
	struct tg_publisher_config cfg = {0};
	tg_episode_config_default(&cfg.episode);
	const char *jsonl = NULL;
	static const struct option opts[] = {
	    {"alerts", required_argument, 0, 'a'},
	    {"ticks", required_argument, 0, 't'},
	    {"flags-prefix", required_argument, 0, 'f'},
	    {"max-scorers", required_argument, 0, 'n'},
	    {"alert-slots", required_argument, 0, 'S'},
	    {"udp", required_argument, 0, 'u'},
	    {"ttl", required_argument, 0, 'T'},
	    {"iface", required_argument, 0, 'i'},
	    {"session", required_argument, 0, 's'},
	    {"jsonl", required_argument, 0, 'j'},
	    {"hyst-windows", required_argument, 0, 'w'},
	    {"hyst-ns", required_argument, 0, 'W'},
	    {"cooldown-windows", required_argument, 0, 'c'},
	    {"cooldown-ns", required_argument, 0, 'C'},
	    {"update-every", required_argument, 0, 'U'},
	    {"exch-utc-offset", required_argument, 0, 'o'},
	    {"exch-clock", required_argument, 0, 'X'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	optind = 1;
	opterr = 0; /* we print the one line */
	int o, li = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &li)) != -1) {
		uint64_t v = 0;
		int bad = 0;
		switch (o) {
		case 'a':
			cfg.alerts_name = optarg;
			break;
		case 't':
			cfg.ticks_name = optarg;
			break;
		case 'f':
			cfg.flags_prefix = optarg;
			break;
		case 'u':
			cfg.udp_dest = optarg;
			break;
		case 'i':
			cfg.udp_iface = optarg;
			break;
		case 's':
			cfg.session = optarg;
			break;
		case 'j':
			jsonl = optarg;
			break;
		case 'o':
			cfg.exch_utc_offset_s = atoll(optarg);
			break;
		case 'X':
			if (!strcmp(optarg, "auto"))
				cfg.exch_clock = TG_PUB_EXCH_CLOCK_AUTO;
			else if (!strcmp(optarg, "live"))
				cfg.exch_clock = TG_PUB_EXCH_CLOCK_LIVE;
			else if (!strcmp(optarg, "replay"))
				cfg.exch_clock = TG_PUB_EXCH_CLOCK_REPLAY;
			else
				bad = 1;
			break;
		case 'n':
		case 'S':
		case 'T':
		case 'w':
		case 'W':
		case 'c':
		case 'C':
		case 'U':
			bad = tg_parse_u64(optarg, 0, UINT64_MAX, &v) < 0 ||
			      v > UINT32_MAX * (o == 'W' || o == 'C' ? 1000000000ull : 1ull);
			if (o == 'n')
				cfg.max_scorers = (uint32_t)v;
			if (o == 'S')
				cfg.alert_slots = (uint32_t)v;
			if (o == 'T')
				cfg.udp_ttl = (int)v;
			if (o == 'w')
				cfg.episode.close_below_windows = (uint32_t)v;
			if (o == 'W')
				cfg.episode.close_below_ns = v;
			if (o == 'c')
				cfg.episode.cooldown_windows = (uint32_t)v;
			if (o == 'C')
				cfg.episode.cooldown_ns = v;
			if (o == 'U')
				cfg.episode.update_every_windows = (uint32_t)v;
			break;
		case 'h':
			pub_usage(stdout);
			return 0;
		default:
			fprintf(stderr,
			        "tickguard publisher: unknown or incomplete option '%s' (tickguard "
			        "publisher --help)\n",
			        argv[optind - 1]);
			return TG_EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "tickguard publisher: bad value '%s' for --%s\n", optarg,
			        opts[li].name);
			return TG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tickguard publisher: unexpected argument '%s'\n", argv[optind]);
		return TG_EXIT_USAGE;
	}
	if (cfg.episode.close_below_windows == 0) {
		fprintf(stderr, "tickguard publisher: --hyst-windows must be at least 1\n");
		return TG_EXIT_USAGE;
	}
	FILE *jf = NULL;
	if (jsonl) {
		/* append: a publisher resuming its crashed predecessor (see
		 * publisher.h) continues the file; a fresh start truncates below */
		jf = strcmp(jsonl, "-") ? fopen(jsonl, "a") : stdout;
		if (!jf) {
			fprintf(stderr, "tickguard publisher: cannot open %s: %s\n", jsonl,
			        strerror(errno));
			return TG_EXIT_FAILURE;
		}
	}
	cfg.jsonl = jf;
	cfg.log = pub_log_stderr;
	struct tg_publisher *p;
	int rc = tg_publisher_create(&cfg, &p);
	if (rc < 0) {
		fprintf(stderr, "tickguard publisher: cannot start: %s\n",
		        rc == -EINVAL ? "bad --udp/--iface address" : strerror(-rc));
		if (jf && jf != stdout)
			fclose(jf);
		return rc == -EINVAL ? TG_EXIT_USAGE : TG_EXIT_FAILURE;
	}
	if (jf && jf != stdout && !tg_publisher_resumed(p) && ftruncate(fileno(jf), 0) < 0 &&
	    errno != EINVAL) {
		fprintf(stderr, "tickguard publisher: cannot truncate %s: %s\n", jsonl,
		        strerror(errno));
		tg_publisher_destroy(p, true);
		fclose(jf);
		return TG_EXIT_FAILURE;
	}
	tg_stop_on_signals();
	signal(SIGPIPE, SIG_IGN);

	uint64_t next_scan = 0;
	while (!atomic_load_explicit(&tg_stop, memory_order_relaxed)) {
		uint64_t now = tg_monotonic_ns();
		if (now >= next_scan) {
			tg_publisher_rescan(p);
			next_scan = now + 20000000ull;
		}
		if (tg_publisher_poll(p, 4096) == 0) {
			struct timespec ts = {0, 50000};
			nanosleep(&ts, NULL);
		}
	}
	tg_publisher_rescan(p);
	tg_publisher_finish(p);
	tg_publisher_destroy(p, false);
	if (jf && jf != stdout)
		fclose(jf);
	return 0;
}
