/* cmd_feedsim.c - `tickguard feedsim`: pick a source, replay it as ITCH 5.0
 * in MoldUDP64 over UDP or into a pcap, serve retransmissions, and print a
 * summary. Everything else lives in the library (source, replay, feed). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "common/cmdline.h"
#include "feedsim/feed.h"
#include "feedsim/replay.h"
#include "feedsim/source.h"
#include "wire/itch.h"
#include "wire/pcap.h"

int tg_cmd_feedsim(int argc, char **argv);

static void usage(FILE *o)
{
	fprintf(
	    o,
	    "usage: tickguard feedsim [SOURCE...] [options]\n"
	    "Replay a source as NASDAQ ITCH 5.0 in MoldUDP64 over UDP (or into a pcap).\n"
	    "\n"
	    "SOURCE (none = the synthetic market):\n"
	    "  DIR | X_message_N.csv...  LOBSTER message files (orphan orders get an Add)\n"
	    "  FILE.csv                  tick CSV: symbol,timestamp,price,size[,side]\n"
	    "  FILE.pcap                 MoldUDP64 payloads of a capture, re-framed\n"
	    "  FILE (other)              ITCH 5.0 BinaryFILE (2-byte length + message)\n"
	    "  --csv FILE / --itch FILE / --pcap-in FILE   force the kind\n"
	    "Synthetic market:\n"
	    "  --seed N (1)  --instruments N (8)  --trades N per instrument (20000)\n"
	    "  --anomalies N per instrument (6)  --labels FILE  ground truth CSV:\n"
	    "    symbol,first_tick,last_tick,kind,first_ts_ns,last_ts_ns\n"
	    "  --trades-as ae|p          trades as Add+Execute (default) or 'P'\n"
	    "Output:\n"
	    "  --dest HOST:PORT          UDP destination, unicast or multicast (127.0.0.1:26400)\n"
	    "  --iface NAME|ADDR  --ttl N   multicast interface and TTL (1)\n"
	    "  --retrans HOST:PORT|none  retransmission request socket (0.0.0.0:26401)\n"
	    "  --pcap FILE               write the packets to a pcap instead of sending\n"
	    "  --session NAME  --mtu BYTES (1472)\n"
	    "  --date YYYY-MM-DD         pcap times: that midnight (UTC) + exchange time\n"
	    "                            (LOBSTER: from the file name; default 1970-01-01)\n"
	    "  --speed N                 exchange time x N (default: as fast as possible)\n"
	    "  --rate MSGS               messages per second\n"
	    "  --clock source|live       ITCH timestamps: the source's (default), or the\n"
	    "                            wall clock at send, ns since midnight UTC of the\n"
	    "                            start day (deadline-based: order and relative\n"
	    "                            timing kept; labels' *_ts_ns stay source time)\n"
	    "  --clock-utc-offset S      live: time of day = UTC + S seconds (0)\n"
	    "  --drop F  --reorder F  --drop-seed N   lose / reorder a fraction of packets\n"
	    "  --heartbeat-ms N (1000)  --linger-s S (2; -1 = until Ctrl-C)\n");
}

static int parse_dbl(const char *s, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return !*s || *end ? -1 : 0;
}

/* "YYYY-MM-DD" -> midnight UTC in Unix ns. */
static int parse_date(const char *s, uint64_t *ns)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || (*end && *end != '_'))
		return -1;
	time_t t = timegm(&tm);
	if (t < 0)
		return -1;
	*ns = (uint64_t)t * 1000000000ull;
	return 0;
}

/* The trading day in a LOBSTER file name (SYM_YYYY-MM-DD_...). */
static void date_from_name(const char *path, uint64_t *ns)
{
	const char *base = strrchr(path, '/');
	const char *u = strchr(base ? base + 1 : path, '_');
	if (u)
		parse_date(u + 1, ns);
}

enum { K_AUTO, K_CSV, K_ITCH, K_PCAP };

static int guess_kind(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return K_AUTO;
	const char *dot = strrchr(path, '.');
	if (strstr(path, "_message_"))
		return K_AUTO;
	FILE *f = fopen(path, "rb");
	uint8_t h[4] = {0};
	size_t n = f ? fread(h, 1, 4, f) : 0;
	if (f)
		fclose(f);
	if (n == 4) {
		uint32_t m = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
		             (uint32_t)h[3] << 24;
		uint32_t sw = __builtin_bswap32(m);
		if (m == TG_PCAP_MAGIC_US || m == TG_PCAP_MAGIC_NS || sw == TG_PCAP_MAGIC_US ||
		    sw == TG_PCAP_MAGIC_NS)
			return K_PCAP;
		if (h[0] == 0 && tg_itch_len(h[2]))
			return K_ITCH;
	}
	if (dot && (!strcmp(dot, ".itch") || strstr(dot, "ITCH")))
		return K_ITCH;
	return K_CSV;
}

static void print_rejects(const struct tg_source *s, const char *const *files)
{
	const struct tg_reject *rj;
	struct tg_source_stats st;
	size_t n = tg_source_rejects(s, &rj);
	tg_source_get_stats(s, &st);
	for (size_t i = 0; i < n && i < 20; i++)
		fprintf(stderr, "feedsim: %s:%llu: rejected: %s\n", files[rj[i].file],
		        (unsigned long long)rj[i].line, rj[i].reason);
	if (st.rejected > 20)
		fprintf(stderr, "feedsim: ... %llu rejected lines in all\n",
		        (unsigned long long)st.rejected);
}

int tg_cmd_feedsim(int argc, char **argv)
{
	struct tg_synth_config sc;
	struct tg_feed_config fc = {0};
	const char *files[256];
	const char *labels = NULL;
	uint32_t nfiles = 0;
	int kind = K_AUTO, style = TG_REPLAY_TRADES_AE, have_dest = 0, have_date = 0;
	double linger_s = 2;
	uint64_t v;
	tg_synth_config_default(&sc);
	fc.dest = "127.0.0.1:26400";
	fc.retrans = "0.0.0.0:26401";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (a[0] != '-' || a[1] == 0) {
			if (nfiles == 256)
				return tg_cli_usage_err("feedsim", "too many input files at '%s'",
				                        a);
			files[nfiles++] = a;
			continue;
		}
		if (!val)
			return tg_cli_usage_err("feedsim", "option %s is unknown or needs a value",
			                        a);
		i++;
		if (!strcmp(a, "--csv") || !strcmp(a, "--itch") || !strcmp(a, "--pcap-in")) {
			if (nfiles == 256)
				return tg_cli_usage_err("feedsim", "too many input files at '%s'",
				                        val);
			files[nfiles++] = val;
			kind = a[2] == 'c' ? K_CSV : a[2] == 'i' ? K_ITCH : K_PCAP;
		} else if (!strcmp(a, "--seed")) {
			if (tg_parse_u64(val, 10, UINT64_MAX, &sc.seed))
				return tg_cli_usage_err("feedsim",
				                        "--seed wants an integer, not '%s'", val);
		} else if (!strcmp(a, "--instruments")) {
			if (tg_parse_u64(val, 10, UINT64_MAX, &v) || v == 0 || v > 1000)
				return tg_cli_usage_err(
				    "feedsim", "--instruments wants 1..1000, not '%s'", val);
			sc.instruments = (uint32_t)v;
		} else if (!strcmp(a, "--trades")) {
			if (tg_parse_u64(val, 10, UINT64_MAX, &v) || v == 0 || v > 100000000)
				return tg_cli_usage_err(
				    "feedsim", "--trades wants 1..100000000, not '%s'", val);
			sc.trades_per_instrument = v;
		} else if (!strcmp(a, "--anomalies")) {
			if (tg_parse_u64(val, 10, UINT64_MAX, &v) || v > 64)
				return tg_cli_usage_err("feedsim",
				                        "--anomalies wants 0..64, not '%s'", val);
			sc.anomalies = (uint32_t)v;
		} else if (!strcmp(a, "--labels")) {
			labels = val;
		} else if (!strcmp(a, "--trades-as")) {
			if (strcmp(val, "ae") && strcmp(val, "p"))
				return tg_cli_usage_err("feedsim",
				                        "--trades-as wants ae or p, not '%s'", val);
			style = val[0] == 'p' ? TG_REPLAY_TRADES_P : TG_REPLAY_TRADES_AE;
		} else if (!strcmp(a, "--dest")) {
			fc.dest = val;
			have_dest = 1;
		} else if (!strcmp(a, "--iface")) {
			fc.iface = val;
		} else if (!strcmp(a, "--ttl")) {
			if (tg_parse_u64(val, 10, UINT64_MAX, &v) || v == 0 || v > 255)
				return tg_cli_usage_err("feedsim", "--ttl wants 1..255, not '%s'",
				                        val);
			fc.ttl = (int)v;
		} else if (!strcmp(a, "--retrans")) {
			fc.retrans = strcmp(val, "none") ? val : NULL;
		} else if (!strcmp(a, "--pcap")) {
			fc.pcap_path = val;
		} else if (!strcmp(a, "--date")) {
			if (parse_date(val, &fc.pcap_day_ns))
				return tg_cli_usage_err("feedsim",
				                        "--date wants YYYY-MM-DD, not '%s'", val);
			have_date = 1;
		} else if (!strcmp(a, "--session")) {
			if (strlen(val) > 10)
				return tg_cli_usage_err(
				    "feedsim", "--session is at most 10 characters: '%s'", val);
			fc.session = val;
		} else if (!strcmp(a, "--mtu")) {
			if (tg_parse_u64(val, 10, UINT64_MAX, &v) || v < 128 || v > 65507)
				return tg_cli_usage_err("feedsim",
				                        "--mtu wants 128..65507, not '%s'", val);
			fc.mtu = v;
		} else if (!strcmp(a, "--speed")) {
			if (parse_dbl(val, &fc.speed) || !(fc.speed > 0))
				return tg_cli_usage_err(
				    "feedsim", "--speed wants a positive number, not '%s'", val);
		} else if (!strcmp(a, "--rate")) {
			if (parse_dbl(val, &fc.rate) || !(fc.rate > 0))
				return tg_cli_usage_err(
				    "feedsim", "--rate wants a positive number, not '%s'", val);
		} else if (!strcmp(a, "--clock")) {
			if (strcmp(val, "source") && strcmp(val, "live"))
				return tg_cli_usage_err(
				    "feedsim", "--clock wants source or live, not '%s'", val);
			fc.clock = val[0] == 'l' ? TG_FEED_CLOCK_LIVE : TG_FEED_CLOCK_SOURCE;
		} else if (!strcmp(a, "--clock-utc-offset")) {
			char *end;
			errno = 0;
			long long o = strtoll(val, &end, 10);
			if (!*val || *end || errno || o < -14 * 3600 || o > 14 * 3600)
				return tg_cli_usage_err(
				    "feedsim",
				    "--clock-utc-offset wants seconds in -50400..50400, not "
				    "'%s'",
				    val);
			fc.clock_utc_offset_s = o;
		} else if (!strcmp(a, "--drop")) {
			if (parse_dbl(val, &fc.drop) || !(fc.drop >= 0 && fc.drop <= 1))
				return tg_cli_usage_err(
				    "feedsim", "--drop wants a fraction 0..1, not '%s'", val);
		} else if (!strcmp(a, "--reorder")) {
			if (parse_dbl(val, &fc.reorder) || !(fc.reorder >= 0 && fc.reorder <= 1))
				return tg_cli_usage_err(
				    "feedsim", "--reorder wants a fraction 0..1, not '%s'", val);
		} else if (!strcmp(a, "--drop-seed")) {
			if (tg_parse_u64(val, 10, UINT64_MAX, &fc.seed))
				return tg_cli_usage_err(
				    "feedsim", "--drop-seed wants an integer, not '%s'", val);
		} else if (!strcmp(a, "--heartbeat-ms")) {
			if (tg_parse_u64(val, 10, UINT64_MAX, &v) || v == 0)
				return tg_cli_usage_err(
				    "feedsim", "--heartbeat-ms wants a positive integer, not '%s'",
				    val);
			fc.heartbeat_ns = v * 1000000ull;
		} else if (!strcmp(a, "--linger-s")) {
			if (parse_dbl(val, &linger_s) || (linger_s < 0 && linger_s != -1))
				return tg_cli_usage_err(
				    "feedsim", "--linger-s wants seconds >= 0 or -1, not '%s'",
				    val);
		} else {
			return tg_cli_usage_err("feedsim", "unknown option '%s'", a);
		}
	}
	if (fc.pcap_path && !have_dest) {
		fc.dest = NULL; /* pcap only */
		fc.retrans = NULL;
	}
	fc.linger_ns = linger_s < 0 ? UINT64_MAX : (uint64_t)(linger_s * 1e9);

	/* open the input */
	struct tg_source *src = NULL;
	struct tg_replay *rp = NULL;
	int rc;
	if (nfiles && kind == K_AUTO)
		kind = guess_kind(files[0]);
	if (nfiles && !have_date && kind == K_AUTO)
		date_from_name(files[0], &fc.pcap_day_ns);
	if (nfiles == 0) {
		rc = tg_source_open_synth(&sc, &src);
	} else if (kind == K_ITCH || kind == K_PCAP) {
		if (nfiles > 1)
			return tg_cli_usage_err(
			    "feedsim", "one ITCH or pcap file at a time, got more after '%s'",
			    files[0]);
		rc = kind == K_ITCH ? tg_replay_open_binfile(files[0], &rp)
		                    : tg_replay_open_pcap(files[0], &rp);
	} else if (kind == K_CSV) {
		if (nfiles > 1)
			return tg_cli_usage_err(
			    "feedsim", "one CSV file at a time, got more after '%s'", files[0]);
		rc = tg_source_open_csv(files[0], &src);
	} else if (nfiles == 1) {
		rc = tg_source_open_path(files[0], &src);
	} else {
		rc = tg_source_open_lobster(files, nfiles, &src);
	}
	if (rc) {
		fprintf(stderr, "tickguard feedsim: cannot read %s: %s\n",
		        nfiles ? files[0] : "the synthetic market", strerror(-rc));
		return TG_EXIT_FAILURE;
	}
	if (src) {
		struct tg_source_stats st;
		tg_source_get_stats(src, &st);
		if (nfiles)
			print_rejects(src, files);
		fprintf(stderr, "feedsim: %u instruments, %llu trades", tg_source_instruments(src),
		        (unsigned long long)tg_source_trades(src));
		if (tg_source_kind(src) == TG_SOURCE_LOBSTER)
			fprintf(stderr,
			        ", %llu events, %llu orphan orders (%llu refs, %llu executions) "
			        "-> %llu synthesised Adds",
			        (unsigned long long)st.events, (unsigned long long)st.orphan_orders,
			        (unsigned long long)st.orphan_refs,
			        (unsigned long long)st.orphan_execs,
			        (unsigned long long)st.synth_adds);
		if (st.rejected)
			fprintf(stderr, ", %llu lines rejected", (unsigned long long)st.rejected);
		if (st.reordered)
			fprintf(stderr, ", %llu rows out of time order (sorted)",
			        (unsigned long long)st.reordered);
		fprintf(stderr, "\n");
		uint32_t ni = tg_source_instruments(src);
		if (ni <= 16) {
			fprintf(stderr, "feedsim: trades by instrument (locate):");
			for (uint32_t i = 0; i < ni; i++)
				fprintf(stderr, " %s(%u)=%llu", tg_source_symbol(src, i), i + 1,
				        (unsigned long long)tg_source_instrument_trades(src, i));
			fprintf(stderr, "\n");
		}
		if (labels) {
			const struct tg_label *l;
			size_t nl = tg_source_labels(src, &l);
			if ((rc = tg_source_write_labels(src, labels))) {
				fprintf(stderr, "tickguard feedsim: cannot write %s: %s\n", labels,
				        strerror(-rc));
				tg_source_close(src);
				return TG_EXIT_FAILURE;
			}
			fprintf(stderr, "feedsim: %zu labels -> %s\n", nl, labels);
		}
		rc = tg_replay_open_source(src, style, &rp);
		if (rc) {
			tg_source_close(src);
			fprintf(stderr, "tickguard feedsim: %s\n", strerror(-rc));
			return TG_EXIT_FAILURE;
		}
	}

	struct tg_feed *feed = NULL;
	rc = tg_feed_create(&fc, &feed);
	if (rc) {
		fprintf(stderr, "tickguard feedsim: cannot open the output (%s%s%s): %s\n",
		        fc.dest ? fc.dest : "", fc.retrans ? ", retransmit " : "",
		        fc.retrans ? fc.retrans : "", strerror(-rc));
		tg_replay_close(rp);
		tg_source_close(src);
		return TG_EXIT_FAILURE;
	}
	if (fc.clock == TG_FEED_CLOCK_LIVE)
		fprintf(stderr,
		        "feedsim: live clock: ITCH time = wall clock at send, ns since midnight "
		        "(UTC%+lld s)\n",
		        (long long)fc.clock_utc_offset_s);
	if (tg_feed_retrans_port(feed))
		fprintf(stderr, "feedsim: answering retransmission requests on port %u\n",
		        tg_feed_retrans_port(feed));
	tg_stop_on_signals();

	struct tg_progress prog;
	tg_progress_start(&prog, "feedsim", tg_replay_total(rp));
	rc = tg_feed_run(feed, rp, &tg_stop, &prog);

	struct tg_feed_stats fs;
	struct tg_replay_stats rs;
	tg_feed_get_stats(feed, &fs);
	tg_replay_get_stats(rp, &rs);
	double secs = (double)fs.elapsed_ns / 1e9;
	printf("feedsim: %llu messages in %llu packets (%llu bytes) to %s in %.3f s "
	       "(%.0f msgs/s); next seq %llu\n",
	       (unsigned long long)fs.msgs, (unsigned long long)fs.packets,
	       (unsigned long long)fs.bytes,
	       fc.pcap_path ? fc.pcap_path
	       : fc.dest    ? fc.dest
	                    : "nowhere",
	       secs, secs > 0 ? (double)fs.msgs / secs : 0.0, (unsigned long long)fs.next_seq);
	printf("feedsim: by type:");
	for (int t = 0; t < 256; t++)
		if (fs.by_type[t])
			printf(" %c=%llu", t, (unsigned long long)fs.by_type[t]);
	printf("\nfeedsim: dropped %llu, reordered %llu, heartbeats %llu, end-of-session %llu, "
	       "requests %llu (bad %llu), resent %llu msgs in %llu packets, send errors %llu\n",
	       (unsigned long long)fs.dropped, (unsigned long long)fs.reordered,
	       (unsigned long long)fs.heartbeats, (unsigned long long)fs.end_packets,
	       (unsigned long long)fs.requests, (unsigned long long)fs.bad_requests,
	       (unsigned long long)fs.resent_msgs, (unsigned long long)fs.resent_packets,
	       (unsigned long long)fs.send_errors);
	if (fc.clock == TG_FEED_CLOCK_LIVE)
		printf("feedsim: live clock from midnight %llu (Unix ns): %llu restamped, %llu "
		       "raised to keep order, %llu too short to stamp\n",
		       (unsigned long long)fs.live_midnight_ns, (unsigned long long)fs.restamped,
		       (unsigned long long)fs.stamps_raised, (unsigned long long)fs.unstamped);
	if (rs.skipped_packets || rs.bad_records || rs.zero_len_fixed)
		printf("feedsim: input: %llu non-MoldUDP64 datagrams skipped, %llu bad records, "
		       "%llu zero length prefixes fixed from the type\n",
		       (unsigned long long)rs.skipped_packets, (unsigned long long)rs.bad_records,
		       (unsigned long long)rs.zero_len_fixed);
	tg_feed_destroy(feed);
	tg_replay_close(rp);
	tg_source_close(src);
	if (rc) {
		fprintf(stderr, "tickguard feedsim: stopped: %s\n", strerror(-rc));
		return TG_EXIT_FAILURE;
	}
	return 0;
}
