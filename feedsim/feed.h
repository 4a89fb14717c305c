/* feed.h - feedsim's output: packs a replay's ITCH messages into MoldUDP64
 * packets and sends them over UDP (unicast or multicast) or writes them to
 * a pcap; paces them (real time x N, messages/s, or as fast as possible);
 * sends heartbeats when idle and end-of-session packets at the end; keeps
 * every message it sent and answers MoldUDP64 retransmission requests on a
 * request socket, during the run and for a linger time after it.
 *
 * Retransmission: a request (session, seq, count) for messages that were
 * sent is answered, to the requester's address, with packets holding
 * messages seq .. seq+count-1 (at most max_reply_packets packets; the
 * client asks again for the rest). A request for another session, for
 * seq 0, or beyond what was sent is counted as bad and ignored.
 * For tests it can drop or reorder (delay past the next packet) a seeded
 * fraction of the live packets; retransmissions are never dropped.
 *
 * Clock: by default every message keeps its source's ITCH timestamp
 * (TG_FEED_CLOCK_SOURCE: replay, pcap, backtest). TG_FEED_CLOCK_LIVE
 * restamps each message as it is queued for sending with the wall clock as
 * ITCH time: ns since midnight UTC (+ clock_utc_offset_s; real ITCH uses New
 * York time) of the day the run started, counting on past a midnight. The
 * stamp is the message's pacing deadline (start + source time offset /
 * speed, or k / rate) on the wall clock, or the current time if that is
 * earlier (a message sent early inside the send slack, or unpaced; a
 * pcap-only output does not wait and takes the deadline): so with
 * --speed 1 it is the source time + one fixed per-source offset, relative
 * timing and order are kept, and no stamp is later than its send. Stamps
 * never go backwards (raised ones are counted). The wall clock is read once
 * at the start and followed with CLOCK_MONOTONIC (NTP slewing during a run
 * is not followed). Everything else in the stream is byte-identical; the
 * history (and retransmissions) hold the restamped bytes.
 * Memory: the history holds every message (about 35 bytes each + 8 of
 * index). One feed is run by one thread; stats may be read after run.
 */
#ifndef TG_FEEDSIM_FEED_H
#define TG_FEEDSIM_FEED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/progress.h"
#include "feedsim/replay.h"

struct tg_feed_config {
	const char *session;        /* MoldUDP64 session, <= 10 chars; default "TICKGUARD" */
	size_t mtu;                 /* largest UDP payload; default 1472 */
	const char *dest;           /* "host:port" to send to; NULL = no socket output */
	const char *iface;          /* multicast: interface name or its IPv4 address */
	int ttl;                    /* multicast TTL; default 1 */
	const char *retrans;        /* "host:port" for the request socket (port 0 =
				 any); NULL = none */
	const char *pcap_path;      /* also/instead write every live packet here */
	uint64_t pcap_day_ns;       /* pcap record time = this + the packet's first
				       exchange timestamp (e.g. midnight UTC of the
				       trading day, Unix ns; 0 = 1970-01-01) */
	double speed;               /* > 0: exchange time x speed; 0 = as fast as possible */
	double rate;                /* > 0: messages per second (wins over speed) */
	double drop;                /* fraction of live packets not sent */
	double reorder;             /* fraction of live packets sent after the next */
	uint64_t seed;              /* drop / reorder choice */
	uint64_t heartbeat_ns;      /* idle heartbeat interval; default 1 s */
	uint32_t end_packets;       /* end-of-session packets; default 3 */
	uint64_t linger_ns;         /* keep answering requests after the end;
				  UINT64_MAX = until *stop */
	uint32_t max_reply_packets; /* per request; default 16 */
	int clock;                  /* TG_FEED_CLOCK_SOURCE (0) or TG_FEED_CLOCK_LIVE */
	int64_t clock_utc_offset_s; /* live: time of day = UTC + this, |.| <= 14 h */
};

enum { TG_FEED_CLOCK_SOURCE = 0, TG_FEED_CLOCK_LIVE = 1 };

struct tg_feed_stats {
	uint64_t msgs, packets, bytes;
	uint64_t heartbeats, end_packets;
	uint64_t dropped, reordered;
	uint64_t requests, bad_requests, resent_msgs, resent_packets;
	uint64_t send_errors;
	uint64_t next_seq;
	uint64_t by_type[256];
	uint64_t elapsed_ns;
	/* live clock: Unix ns of the midnight the stamps count from (also the
	 * pcap day), messages restamped, stamps raised to keep them in order,
	 * messages too short to carry a timestamp (sent as they are) */
	uint64_t live_midnight_ns;
	uint64_t restamped, stamps_raised, unstamped;
};

struct tg_feed;

/* Opens the sockets / pcap. -EINVAL bad address or config, -errno. */
int tg_feed_create(const struct tg_feed_config *c, struct tg_feed **out);
void tg_feed_destroy(struct tg_feed *f);
/* Port the request socket is bound to (host order), 0 if none. */
uint16_t tg_feed_retrans_port(const struct tg_feed *f);
/* Send the whole replay, the end of session, then linger. Stops early
 * (with an end of session) when *stop becomes non-zero. prog may be NULL.
 * 0 or the replay's / output's -errno. */
int tg_feed_run(struct tg_feed *f, struct tg_replay *r, const atomic_int *stop,
                struct tg_progress *prog);
void tg_feed_get_stats(const struct tg_feed *f, struct tg_feed_stats *st);
/* Message `seq` (from 1) of the history: its bytes and length. -ENOENT. */
int tg_feed_history_msg(const struct tg_feed *f, uint64_t seq, const uint8_t **msg, size_t *len);

#endif
