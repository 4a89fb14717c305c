/* cmd_scorer.c - `tickguard scorer`: one scorer process, pinned to a core,
 * scoring its shard of the tick segment into flags.<index> until SIGINT /
 * SIGTERM (then it drains what was announced and exits). The model runs
 * locally, or remotely (V1 predict: Vertex AI, TF Serving, KServe,
 * `tickguard serve`) with every client option of recon.h on the command
 * line, and optionally the local model as the fallback. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
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
#include "model/package.h"
#include "scorer/recon.h"
#include "scorer/scorer.h"
#include "tickguard/tickguard.h"

int tg_cmd_scorer(int argc, char **argv);

static void sc_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: tickguard scorer --model DIR [options]\n"
	    "  score one shard of the tick segment's instruments into flag segment flags.<K>\n"
	    "  --model DIR        model package (model.json + shards + detector.json)\n"
	    "  --index K          this scorer's shard (default 0)\n"
	    "  --count N          number of scorers / shards (default 1)\n"
	    "  --ticks NAME       tick segment (default ticks)\n"
	    "  --flags NAME       flag segment (default flags.K)\n"
	    "  --core C           pin to CPU C (-1: do not pin; default -1)\n"
	    "  --idle MODE        spin | yield | sleep (default sleep)\n"
	    "  --sleep-us N       sleep per idle round (default 50)\n"
	    "  --batch N          windows per reconstruction call (default 32)\n"
	    "  --threshold X      override the package's threshold\n"
	    "  --flag-slots N     flag ring slots, power of two (default 65536)\n"
	    "  --exit-at-eof      exit once the gateway is gone and all is scored\n"
	    "  --max-inflight N   batches outstanding at the backend (default 8); while all\n"
	    "                     are, new ticks wait and coalesce (the scorer never blocks)\n"
	    "  --drain-ms N       at exit, wait this long for outstanding batches; the rest\n"
	    "                     count as unscored (default 2000)\n"
	    "remote reconstruction (any of these selects it; V1 :predict protocol):\n"
	    "  --remote-url URL   full predict URL (same as --remote url=URL)\n"
	    "  --remote KEY=VAL   a client option, repeatable:\n"
	    "      url=URL                 full predict URL\n"
	    "      project=P location=L endpoint=E   Vertex AI endpoint\n"
	    "      base-url=URL model=NAME [version=N]  TF Serving / KServe V1 / tickguard serve\n"
	    "      auth-env=VAR            bearer token from environment variable VAR\n"
	    "      auth-file=PATH          bearer token from a file (re-read when it changes)\n"
	    "      auth-command=CMD        bearer token printed by CMD (sh -c), e.g.\n"
	    "                              'gcloud auth print-access-token'\n"
	    "      auth-refresh-s=N        re-run the command after N s (3000)\n"
	    "      connect-timeout-ms=N    (1000)   timeout-ms=N  per attempt (5000)\n"
	    "      deadline-ms=N           per batch incl. retries (3 x timeout-ms)\n"
	    "      retries=N               retries of retryable failures (3; 0 = none)\n"
	    "      max-inflight=N          HTTP requests on the wire (4)\n"
	    "      max-pending=N           batches the client holds (16; caps --max-inflight)\n"
	    "      max-request-bytes=N     request body limit, batches split (1572864)\n"
	    "      max-reply-bytes=N       larger replies are malformed (16777216)\n"
	    "      circuit-failures=N      consecutive failures that mark the endpoint down (5)\n"
	    "      circuit-open-ms=N       how long it stays down before a probe (1000)\n"
	    "  --remote-header H  extra request header 'Name: value', repeatable (max 16)\n"
	    "  --remote-fallback  windows the endpoint could not score go to the local model\n"
	    "                     (otherwise they are counted as unscored)\n"
	    "  --test-sync-wait   TESTS ONLY: wait for each batch inside the poll (the old,\n"
	    "                     blocking scorer), to prove the tests catch it\n");
}

static void sc_idle(int mode, uint32_t sleep_us)
{
	if (mode == TG_IDLE_SPIN)
		__builtin_ia32_pause();
	else if (mode == TG_IDLE_YIELD)
		sched_yield();
	else {
		struct timespec ts = {0, (long)sleep_us * 1000};
		nanosleep(&ts, NULL);
	}
}

int tg_cmd_scorer(int argc, char **argv)
{
	const char *model_dir = NULL, *ticks = "ticks", *flags = NULL;
	uint32_t index = 0, count = 1, batch = 32, sleep_us = 50, flag_slots = 1u << 16;
	int core = -1, idle = TG_IDLE_SLEEP;
	uint32_t max_inflight = 8, drain_ms = 2000, nheaders = 0;
	bool exit_at_eof = false, have_thr = false, fallback = false, sync_wait = false;
	bool remote_on = false;
	struct tg_recon_remote_config remote = {.flavour = TG_RECON_URL};
	const char *headers[17] = {0};
	double thr = 0;
	static const struct option opts[] = {
	    {"model", required_argument, 0, 'm'},
	    {"index", required_argument, 0, 'k'},
	    {"count", required_argument, 0, 'n'},
	    {"ticks", required_argument, 0, 't'},
	    {"flags", required_argument, 0, 'f'},
	    {"core", required_argument, 0, 'c'},
	    {"idle", required_argument, 0, 'i'},
	    {"sleep-us", required_argument, 0, 's'},
	    {"batch", required_argument, 0, 'b'},
	    {"threshold", required_argument, 0, 'T'},
	    {"flag-slots", required_argument, 0, 'F'},
	    {"exit-at-eof", no_argument, 0, 'e'},
	    {"remote-url", required_argument, 0, 'R'},
	    {"remote", required_argument, 0, 'O'},
	    {"remote-header", required_argument, 0, 'H'},
	    {"remote-fallback", no_argument, 0, 'L'},
	    {"max-inflight", required_argument, 0, 'I'},
	    {"drain-ms", required_argument, 0, 'D'},
	    {"test-sync-wait", no_argument, 0, 'S'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	optind = 1;
	opterr = 0; /* we print the one line */
	int o, li = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &li)) != -1) {
		int bad = 0;
		char *end;
		switch (o) {
		case 'm':
			model_dir = optarg;
			break;
		case 'k':
			bad = tg_parse_u32(optarg, 0, &index);
			break;
		case 'n':
			bad = tg_parse_u32(optarg, 0, &count);
			break;
		case 't':
			ticks = optarg;
			break;
		case 'f':
			flags = optarg;
			break;
		case 'c':
			core = atoi(optarg);
			break;
		case 'i':
			idle = tg_idle_parse(optarg);
			bad = idle < 0;
			break;
		case 's':
			bad = tg_parse_u32(optarg, 0, &sleep_us);
			break;
		case 'b':
			bad = tg_parse_u32(optarg, 0, &batch) || batch == 0;
			break;
		case 'F':
			bad = tg_parse_u32(optarg, 0, &flag_slots);
			break;
		case 'T':
			thr = strtod(optarg, &end);
			bad = *end != 0;
			have_thr = true;
			break;
		case 'e':
			exit_at_eof = true;
			break;
		case 'R':
			remote.flavour = TG_RECON_URL;
			remote.url = optarg;
			remote_on = true;
			break;
		case 'O': {
			int orc = tg_recon_remote_option(&remote, optarg);
			if (orc == -ENOENT) {
				fprintf(stderr,
				        "tickguard scorer: unknown --remote key in '%s' (tickguard "
				        "scorer --help)\n",
				        optarg);
				return TG_EXIT_USAGE;
			}
			bad = orc < 0;
			remote_on = true;
			break;
		}
		case 'H':
			bad = nheaders >= 16 || !strchr(optarg, ':');
			if (!bad)
				headers[nheaders++] = optarg;
			break;
		case 'I':
			bad = tg_parse_u32(optarg, 0, &max_inflight) || max_inflight == 0 ||
			      max_inflight > 256;
			break;
		case 'D':
			bad = tg_parse_u32(optarg, 0, &drain_ms);
			break;
		case 'S':
			sync_wait = true;
			break;
		case 'L':
			fallback = true;
			break;
		case 'h':
			sc_usage(stdout);
			return 0;
		default:
			fprintf(stderr,
			        "tickguard scorer: unknown or incomplete option '%s' (tickguard "
			        "scorer --help)\n",
			        argv[optind - 1]);
			return TG_EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "tickguard scorer: bad value '%s' for --%s\n", optarg,
			        opts[li].name);
			return TG_EXIT_USAGE;
		}
	}
	if (optind < argc || !model_dir || count == 0 || index >= count) {
		fprintf(stderr, "tickguard scorer: %s (tickguard scorer --help)\n",
		        !model_dir      ? "--model DIR is required"
		        : optind < argc ? "unexpected argument"
		                        : "--index must be below --count");
		return TG_EXIT_USAGE;
	}
	if (remote_on) {
		char url[1024];
		remote.window = 2; /* the URL does not depend on the shape */
		if (tg_recon_remote_url(&remote, url, sizeof(url)) < 0) {
			fprintf(stderr,
			        "tickguard scorer: incomplete remote endpoint: give url=, or "
			        "project= location= endpoint=, or base-url= model= (tickguard "
			        "scorer --help)\n");
			return TG_EXIT_USAGE;
		}
	} else if (fallback || nheaders) {
		fprintf(stderr, "tickguard scorer: --remote-fallback and --remote-header need a "
		                "remote endpoint (tickguard scorer --help)\n");
		return TG_EXIT_USAGE;
	}

	if (core >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(core, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			fprintf(stderr,
			        "tickguard scorer: cannot pin to CPU %d (%s), running unpinned\n",
			        core, strerror(errno));
	}

	char err[TG_PACKAGE_ERR_LEN] = "";
	struct tg_model *model = NULL;
	struct tg_detector det;
	int rc = tg_package_load(model_dir, &model, &det, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard scorer: cannot load model package %s: %s\n", model_dir,
		        err);
		return TG_EXIT_FAILURE;
	}
	int status = TG_EXIT_FAILURE;
	struct tg_recon *recon = NULL;
	struct tg_scorer *s = NULL;
	if (!det.scaler) {
		fprintf(stderr, "tickguard scorer: %s has no scaler in detector.json\n", model_dir);
		goto out_model;
	}
	/* the local backend: the model itself, or the remote's fallback (then
	 * called from the remote's I/O thread only) */
	struct tg_recon_local_config lc = {.model = model, .max_batch = batch};
	rc = 0;
	if (!remote_on || fallback)
		rc = tg_recon_local_create(&lc, &recon);
	if (rc == 0 && remote_on) {
		remote.window = det.window;
		remote.features = 1;
		remote.max_batch = batch;
		if (nheaders)
			remote.headers = headers;
		if (!remote.max_pending)
			remote.max_pending = max_inflight > 16 ? max_inflight : 16;
		if (max_inflight > remote.max_pending)
			max_inflight = remote.max_pending;
		remote.fallback = recon; /* owned by the remote backend from here */
		recon = NULL;
		rc = tg_recon_remote_create(&remote, &recon);
		if (rc < 0)
			tg_recon_destroy(remote.fallback);
	}
	if (rc < 0) {
		fprintf(stderr, "tickguard scorer: %s reconstruction: %s\n",
		        remote_on ? "remote" : "local", strerror(-rc));
		goto out_model;
	}
	struct tg_scorer_config cfg = {
	    .index = index,
	    .count = count,
	    .ticks_name = ticks,
	    .flags_name = flags,
	    .flag_slots = flag_slots,
	    .window = det.window,
	    .threshold = have_thr ? thr : det.threshold,
	    .scaler = det.scaler,
	    .recon = recon,
	    .max_batch = batch,
	    .max_inflight = max_inflight,
	    .sync_wait = sync_wait,
	};
	rc = tg_scorer_create(&cfg, &s);
	if (rc < 0) {
		fprintf(stderr, "tickguard scorer: cannot create flag segment: %s\n",
		        tg_strerror(rc));
		goto out_recon;
	}

	tg_stop_on_signals();

	uint64_t next_house = 0;
	bool eof = false;
	while (!atomic_load_explicit(&tg_stop, memory_order_relaxed)) {
		if (tg_scorer_attach(s) < 0) {
			sc_idle(TG_IDLE_SLEEP, 2000);
			continue;
		}
		int n = tg_scorer_poll(s);
		if (n < 0) {
			fprintf(stderr, "tickguard scorer: reconstruction failed: %s\n",
			        strerror(-n));
			goto out_scorer;
		}
		uint64_t now = tg_monotonic_ns();
		if (now >= next_house) {
			next_house = now + 10000000ull;
			eof = tg_scorer_housekeep(s) == -EOWNERDEAD;
		}
		if (n == 0) {
			if (eof && exit_at_eof && tg_scorer_idle(s))
				break;
			sc_idle(idle, sleep_us);
		}
	}
	/* Drain what the gateway announced and what is in flight; bounded, as
	 * a live gateway may keep announcing and an endpoint may not answer. */
	tg_scorer_drain(s, (uint64_t)drain_ms * 1000000ull);
	tg_scorer_finish(s);
	status = 0;
out_scorer:
	tg_scorer_destroy(s, false);
out_recon:
	tg_recon_destroy(recon);
out_model:
	tg_detector_clear(&det);
	tg_model_destroy(model);
	return status;
}
