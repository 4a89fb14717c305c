/* cmd_gateway.c - `tickguard gateway`: receive a MoldUDP64/ITCH feed (io_uring
 * socket, or a pcap / BinaryFILE replay) into the tick segment until
 * SIGINT/SIGTERM, the end of the session, or the end of the file. Prints one
 * line per unrecoverable gap and a one-line summary at the end.
 */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "cli/cli.h"
#include "common/cmdline.h"
#include "common/progress.h"
#include "gateway/gateway.h"
#include "gateway/rx_dpdk.h"
#include "shm/shm.h"
#include "wire/wire.h"

int tg_cmd_gateway(int argc, char **argv);

static atomic_bool gw_stop;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&gw_stop, true, memory_order_relaxed);
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: tickguard gateway --listen ADDR:PORT [--group MCAST [--iface IF]]\n"
	    "                         [--retransmit ADDR:PORT] [options]\n"
	    "       tickguard gateway --file CAPTURE.pcap|FILE.itch [options]\n"
	    "       tickguard gateway --dpdk 'EAL ARGS' [--group MCAST] [--dst-port P]\n"
	    "                         [--retransmit ADDR:PORT] [options]\n"
	    "\n"
	    "Receive NASDAQ ITCH 5.0 over MoldUDP64 (io_uring) or replay a file, keep\n"
	    "the order book, and append every trade to its instrument's tick ring.\n"
	    "\n"
	    "  --listen ADDR:PORT     UDP address to bind (0.0.0.0:PORT for any)\n"
	    "  --group MCAST          multicast group to join\n"
	    "  --iface IF             interface (name or IPv4 address) for the join\n"
	    "  --retransmit ADDR:PORT MoldUDP64 retransmission server for gaps\n"
	    "  --file F               replay a pcap or ITCH BinaryFILE instead\n"
	    "  --dpdk 'EAL ARGS'      kernel bypass: DPDK EAL arguments, e.g. '-l 1 -a "
	    "0000:3b:00.0'\n"
	    "                         or, without NIC/hugepages, '--no-huge --no-pci --no-shconf\n"
	    "                         -l 0 --vdev=net_pcap0,rx_pcap=F' (or ,iface=lo)\n"
	    "  --dpdk-port N          DPDK port id (default 0)\n"
	    "  --dst-port P           DPDK: keep only UDP to port P (--group filters the address)\n"
	    "  --idle-end-ms N        DPDK: input ends after N ms without packets (pcap vdev)\n"
	    "  --segment NAME         tick segment name (default ticks)\n"
	    "  --instruments N        directory size (default 256)\n"
	    "  --ring-slots N         ticks kept per instrument, power of two (default 4096)\n"
	    "  --arrival-slots N      arrival ring slots, power of two (default 1048576)\n"
	    "  --orders N             live orders the book can hold (default 2097152)\n"
	    "  --timeout-ms N         retransmission timeout (default 20)\n"
	    "  --retries N            requests per gap before it is lost (default 5)\n"
	    "  --join-late            start at the first sequence seen (default: from 1)\n"
	    "  --busy-poll            spin on the completion queue (lowest latency)\n"
	    "  --rcvbuf BYTES         socket receive buffer (default 64 MiB)\n"
	    "  --synthetic            mark ticks TG_TICK_SYNTH (replayed data)\n"
	    "  --unlink               remove the segment on exit\n"
	    "  --hold                 keep the segment alive after the input ends, until\n"
	    "                         SIGINT/SIGTERM (for readers and `tickguard stat`)\n"
	    "  -q, --quiet            no summary line\n"
	    "  -h, --help             this text\n");
}

static void on_event(void *ctx, enum tg_gw_event ev, const char *session, uint64_t seq,
                     uint64_t count)
{
	(void)ctx;
	if (ev == TG_GW_EV_LOST)
		fprintf(stderr,
		        "tickguard gateway: session '%s': messages %llu..%llu unrecoverable "
		        "(%llu lost; retransmission gave up)\n",
		        session, (unsigned long long)seq, (unsigned long long)(seq + count - 1),
		        (unsigned long long)count);
}

/* --file: a progress bar over the file's bytes (stderr, terminals only). */
static void on_burst(void *ctx, struct tg_gateway *gw, struct tg_rx *rx)
{
	struct tg_progress *p = ctx;
	struct tg_rx_stats st;
	tg_rx_stats(rx, &st);
	if (p->total == 0 && st.file_bytes)
		p->total = st.file_bytes;
	char suffix[64];
	snprintf(suffix, sizeof(suffix), "ticks %llu",
	         (unsigned long long)tg_gateway_counter(gw, TG_GW_TICKS));
	tg_progress_update(p, st.file_pos_bytes, suffix);
}

int tg_cmd_gateway(int argc, char **argv)
{
	enum {
		O_LISTEN = 256,
		O_GROUP,
		O_IFACE,
		O_RETRANS,
		O_FILE,
		O_SEGMENT,
		O_INSTR,
		O_SLOTS,
		O_ASLOTS,
		O_ORDERS,
		O_TIMEOUT,
		O_RETRIES,
		O_JOIN,
		O_BUSY,
		O_RCVBUF,
		O_SYNTH,
		O_UNLINK,
		O_HOLD,
		O_DPDK,
		O_DPDK_PORT,
		O_DST_PORT,
		O_IDLE_END,
	};
	static const struct option opts[] = {
	    {"listen", required_argument, 0, O_LISTEN},
	    {"group", required_argument, 0, O_GROUP},
	    {"iface", required_argument, 0, O_IFACE},
	    {"retransmit", required_argument, 0, O_RETRANS},
	    {"file", required_argument, 0, O_FILE},
	    {"segment", required_argument, 0, O_SEGMENT},
	    {"instruments", required_argument, 0, O_INSTR},
	    {"ring-slots", required_argument, 0, O_SLOTS},
	    {"arrival-slots", required_argument, 0, O_ASLOTS},
	    {"orders", required_argument, 0, O_ORDERS},
	    {"timeout-ms", required_argument, 0, O_TIMEOUT},
	    {"retries", required_argument, 0, O_RETRIES},
	    {"join-late", no_argument, 0, O_JOIN},
	    {"busy-poll", no_argument, 0, O_BUSY},
	    {"rcvbuf", required_argument, 0, O_RCVBUF},
	    {"synthetic", no_argument, 0, O_SYNTH},
	    {"unlink", no_argument, 0, O_UNLINK},
	    {"hold", no_argument, 0, O_HOLD},
	    {"dpdk", required_argument, 0, O_DPDK},
	    {"dpdk-port", required_argument, 0, O_DPDK_PORT},
	    {"dst-port", required_argument, 0, O_DST_PORT},
	    {"idle-end-ms", required_argument, 0, O_IDLE_END},
	    {"quiet", no_argument, 0, 'q'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	struct tg_gateway_config gc = {.on_event = on_event};
	struct tg_rx_uring_config uc = {0};
	struct tg_rx_dpdk_config dc = {0};
	const char *file = NULL;
	bool join_late = false, unlink_it = false, quiet = false, hold = false;
	uint64_t v = 0;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		const char *bad = NULL;
		switch (c) {
		case O_LISTEN:
			uc.listen = optarg;
			break;
		case O_GROUP:
			uc.group = optarg;
			break;
		case O_IFACE:
			uc.iface = optarg;
			break;
		case O_RETRANS:
			uc.retransmit = optarg;
			break;
		case O_FILE:
			file = optarg;
			break;
		case O_SEGMENT:
			gc.segment = optarg;
			break;
		case O_INSTR:
			if (tg_parse_u64(optarg, 0, 65535, &v) || !v)
				bad = "--instruments wants 1..65535";
			gc.instruments = (uint32_t)v;
			break;
		case O_SLOTS:
			if (tg_parse_u64(optarg, 0, 1u << 30, &v) || !v || (v & (v - 1)))
				bad = "--ring-slots wants a power of two";
			gc.ring_slots = (uint32_t)v;
			break;
		case O_ASLOTS:
			if (tg_parse_u64(optarg, 0, 1u << 30, &v) || !v || (v & (v - 1)))
				bad = "--arrival-slots wants a power of two";
			gc.arrival_slots = (uint32_t)v;
			break;
		case O_ORDERS:
			if (tg_parse_u64(optarg, 0, 1ull << 32, &v) || !v)
				bad = "--orders wants a positive count";
			gc.orders = v;
			break;
		case O_TIMEOUT:
			if (tg_parse_u64(optarg, 0, 600000, &v) || !v)
				bad = "--timeout-ms wants 1..600000";
			gc.seq.timeout_ns = v * 1000000ull;
			break;
		case O_RETRIES:
			if (tg_parse_u64(optarg, 0, 1000, &v) || !v)
				bad = "--retries wants 1..1000";
			gc.seq.retries = (uint32_t)v;
			break;
		case O_JOIN:
			join_late = true;
			break;
		case O_BUSY:
			uc.busy_poll = true;
			break;
		case O_RCVBUF:
			if (tg_parse_u64(optarg, 0, 1u << 31, &v) || v < 4096)
				bad = "--rcvbuf wants bytes >= 4096";
			uc.rcvbuf_bytes = (uint32_t)v;
			break;
		case O_SYNTH:
			gc.tick_flags |= TG_TICK_SYNTH;
			break;
		case O_UNLINK:
			unlink_it = true;
			break;
		case O_HOLD:
			hold = true;
			break;
		case O_DPDK:
			dc.eal_args = optarg;
			break;
		case O_DPDK_PORT:
			if (tg_parse_u64(optarg, 0, 65535, &v))
				bad = "--dpdk-port wants 0..65535";
			dc.port = (uint16_t)v;
			break;
		case O_DST_PORT:
			if (tg_parse_u64(optarg, 0, 65535, &v))
				bad = "--dst-port wants 0..65535";
			dc.dst_port = (uint16_t)v;
			break;
		case O_IDLE_END:
			if (tg_parse_u64(optarg, 0, 3600000, &v))
				bad = "--idle-end-ms wants 0..3600000";
			dc.idle_end_ns = v * 1000000ull;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(
			    stderr,
			    "tickguard gateway: unknown or incomplete option '%s' (see --help)\n",
			    argv[optind - 1]);
			return TG_EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "tickguard gateway: %s (got '%s')\n", bad, optarg);
			return TG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tickguard gateway: unexpected argument '%s' (see --help)\n",
		        argv[optind]);
		return TG_EXIT_USAGE;
	}
	bool dpdk = dc.eal_args != NULL;
	if ((file != NULL) + (uc.listen != NULL) + dpdk != 1) {
		fprintf(stderr,
		        "tickguard gateway: give exactly one of --listen, --file or --dpdk\n");
		return TG_EXIT_USAGE;
	}
	if (file && (uc.group || uc.retransmit)) {
		fprintf(stderr, "tickguard gateway: --group/--retransmit do not apply to --file\n");
		return TG_EXIT_USAGE;
	}
	if (dpdk) {
		/* the DPDK backend filters on the group itself and sends gap
		 * requests from an ordinary socket */
		struct sockaddr_in g;
		if (uc.group && tg_rx_parse_addr(uc.group, &g) < 0) {
			fprintf(stderr,
			        "tickguard gateway: --group wants an IPv4 address (got '%s')\n",
			        uc.group);
			return TG_EXIT_USAGE;
		}
		dc.dst_ip = uc.group ? ntohl(g.sin_addr.s_addr) : 0;
		dc.retransmit = uc.retransmit;
		uc.retransmit = NULL;
	}
	struct sockaddr_in sa_check;
	if (uc.listen && tg_rx_parse_addr(uc.listen, &sa_check) < 0) {
		fprintf(stderr, "tickguard gateway: --listen wants ADDR:PORT (got '%s')\n",
		        uc.listen);
		return TG_EXIT_USAGE;
	}
	if (uc.retransmit && tg_rx_parse_addr(uc.retransmit, &sa_check) < 0) {
		fprintf(stderr, "tickguard gateway: --retransmit wants ADDR:PORT (got '%s')\n",
		        uc.retransmit);
		return TG_EXIT_USAGE;
	}
	/* a capture usually starts mid-session; a live feed is asked for from 1 */
	gc.seq.first_seq = (file || join_late) ? 0 : 1;

	struct tg_rx *rx = NULL;
	int rc = file   ? tg_rx_file_open(file, &rx)
	         : dpdk ? tg_rx_dpdk_open(&dc, &rx)
	                : tg_rx_uring_open(&uc, &rx);
	if (rc < 0 && dpdk) {
		fprintf(stderr, "tickguard gateway: cannot start DPDK: %s\n",
		        tg_rx_dpdk_last_error());
		return TG_EXIT_FAILURE;
	}
	if (rc < 0) {
		fprintf(stderr, "tickguard gateway: cannot open %s '%s': %s\n",
		        file ? "file" : "socket", file ? file : uc.listen, strerror(-rc));
		return TG_EXIT_FAILURE;
	}
	struct tg_progress prog;
	if (file) {
		tg_progress_start(&prog, "replay", 0);
		gc.on_burst = on_burst;
		gc.burst_ctx = &prog;
	}
	struct tg_gateway *gw;
	rc = tg_gateway_create(&gc, &gw);
	if (rc < 0) {
		fprintf(stderr, "tickguard gateway: cannot create segment '%s': %s\n",
		        gc.segment ? gc.segment : "ticks", tg_strerror(rc));
		tg_rx_close(rx);
		return TG_EXIT_FAILURE;
	}
	if (!quiet) {
		/* one line about the backing: huge pages, or the fallback */
		const struct tg_segment *seg = tg_gateway_segment(gw);
		if (tg_segment_on_hugetlbfs(seg))
			fprintf(stderr, "gateway: segment %s on huge pages\n",
			        tg_segment_path(seg));
		else
			fprintf(stderr,
			        "gateway: segment %s on ordinary pages (no hugetlbfs mount with "
			        "free pages: see tickguard hugepages)\n",
			        tg_segment_path(seg));
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = tg_gateway_run(gw, rx, &gw_stop);
	tg_gateway_flush(gw);
	if (file) {
		struct tg_rx_stats ps;
		tg_rx_stats(rx, &ps);
		tg_progress_finish(&prog, ps.file_pos_bytes, NULL);
	}
	/* --hold: keep the segment (and its writer) alive for readers and
	 * `tickguard stat` until a signal */
	while (hold && !atomic_load_explicit(&gw_stop, memory_order_relaxed)) {
		struct timespec ts = {.tv_nsec = 100000000};
		nanosleep(&ts, NULL);
		tg_gateway_publish(gw);
	}
	struct tg_rx_stats st;
	tg_rx_stats(rx, &st);
	int status = 0;
	if (rc < 0) {
		fprintf(stderr, "tickguard gateway: receive failed: %s\n", strerror(-rc));
		status = TG_EXIT_FAILURE;
	} else if (st.file_err) {
		fprintf(stderr,
		        "tickguard gateway: '%s' is damaged (%s); replayed what came before\n",
		        file, tg_wire_strerror(st.file_err));
		status = TG_EXIT_FAILURE;
	}
	if (!quiet)
		printf("gateway: %llu packets, %llu messages, %llu ticks, %llu malformed, "
		       "%llu gaps (%llu recovered, %llu unrecovered, %llu msgs lost)\n",
		       (unsigned long long)tg_gateway_counter(gw, TG_GW_PACKETS),
		       (unsigned long long)tg_gateway_counter(gw, TG_GW_MESSAGES),
		       (unsigned long long)tg_gateway_counter(gw, TG_GW_TICKS),
		       (unsigned long long)(tg_gateway_counter(gw, TG_GW_MALFORMED_PACKETS) +
		                            tg_gateway_counter(gw, TG_GW_MALFORMED_MSGS)),
		       (unsigned long long)tg_gateway_counter(gw, TG_GW_GAPS),
		       (unsigned long long)tg_gateway_counter(gw, TG_GW_RECOVERED),
		       (unsigned long long)tg_gateway_counter(gw, TG_GW_UNRECOVERED),
		       (unsigned long long)tg_gateway_counter(gw, TG_GW_LOST_MSGS));
	tg_gateway_destroy(gw, unlink_it);
	tg_rx_close(rx);
	return status;
}
