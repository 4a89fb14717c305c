/* feed.c - the MoldUDP64 sender and retransmission server of feedsim (see
 * feed.h). One thread: the send loop waits for each message's due time in
 * ppoll() on the request socket, so requests and heartbeats are served while
 * pacing; as fast as possible, requests are polled every 16 packets. */
#include "feedsim/feed.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "wire/moldudp64.h"
#include "wire/pcap.h"

#define SLACK_NS 20000ull /* a message due this soon is sent without waiting */

struct tg_feed {
	struct tg_feed_config c;
	char session[TG_MOLD_SESSION_LEN];
	int tx_fd, rq_fd;
	struct sockaddr_in dest, rq_addr;
	struct tg_pcap_writer pw;
	int have_pcap;
	uint64_t rng;
	/* history: message seq (from 1) at arena + off[seq-1], 2-byte length first */
	uint8_t *arena;
	size_t arena_len, arena_cap;
	uint64_t *off;
	uint64_t noff, off_cap;
	/* the packet being built, and one held back for reordering */
	uint8_t pkt[65536];
	struct tg_mold_builder b;
	uint8_t held[65536];
	size_t held_len;
	uint64_t held_ts;
	uint64_t pkt_ts; /* exchange time of the packet's first message */
	uint64_t next_hb_ns;
	int ended;       /* end of session sent: idle packets repeat it */
	uint64_t day_ns; /* pcap record time = this + the packet's ITCH time */
	/* live clock: wall time = wall0_ns + (monotonic - mono0_ns); ITCH time
	 * = wall time - midnight_ns; last_stamp keeps stamps in order */
	uint64_t wall0_ns, mono0_ns, midnight_ns, last_stamp;
	uint8_t stamped[256]; /* the restamped copy of the current message */
	struct tg_feed_stats st;
};

#define DAY_NS  86400000000000ull
#define ITCH_TS 5 /* offset of the 6-byte big-endian timestamp in every message */

static double rng_unit(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

static int parse_addr(const char *s, struct sockaddr_in *out)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || end == colon + 1)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (host[0] == 0 || !strcmp(host, "*")) {
		out->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (inet_pton(AF_INET, host, &out->sin_addr) == 1)
		return 0;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res;
	if (getaddrinfo(host, NULL, &hints, &res))
		return -EINVAL;
	out->sin_addr = ((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

static int open_tx(struct tg_feed *f)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (IN_MULTICAST(ntohl(f->dest.sin_addr.s_addr))) {
		int ttl = f->c.ttl > 0 ? f->c.ttl : 1, loop = 1;
		if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)))
			goto fail;
		if (f->c.iface) {
			struct ip_mreqn mr = {0};
			if (inet_pton(AF_INET, f->c.iface, &mr.imr_address) != 1) {
				mr.imr_ifindex = (int)if_nametoindex(f->c.iface);
				if (!mr.imr_ifindex) {
					errno = ENODEV;
					goto fail;
				}
			}
			if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)))
				goto fail;
		}
	} else if (f->c.ttl > 0) {
		if (setsockopt(fd, IPPROTO_IP, IP_TTL, &f->c.ttl, sizeof(f->c.ttl)))
			goto fail;
	}
	/* not connected: an ICMP port unreachable (no receiver yet) must not
	 * fail a later send and lose that packet */
	f->tx_fd = fd;
	return 0;
fail:;
	int e = -errno;
	close(fd);
	return e;
}

static int open_rq(struct tg_feed *f)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	socklen_t len = sizeof(f->rq_addr);
	if (bind(fd, (struct sockaddr *)&f->rq_addr, sizeof(f->rq_addr)) ||
	    getsockname(fd, (struct sockaddr *)&f->rq_addr, &len)) {
		int e = -errno;
		close(fd);
		return e;
	}
	f->rq_fd = fd;
	return 0;
}

int tg_feed_create(const struct tg_feed_config *c, struct tg_feed **out)
{
	if (c->drop < 0 || c->drop > 1 || c->reorder < 0 || c->reorder > 1 || c->speed < 0 ||
	    c->rate < 0 || (c->session && strlen(c->session) > TG_MOLD_SESSION_LEN) ||
	    (c->clock != TG_FEED_CLOCK_SOURCE && c->clock != TG_FEED_CLOCK_LIVE) ||
	    c->clock_utc_offset_s < -14 * 3600 || c->clock_utc_offset_s > 14 * 3600)
		return -EINVAL;
	struct tg_feed *f = calloc(1, sizeof(*f));
	int rc;
	if (!f)
		return -ENOMEM;
	f->c = *c;
	f->tx_fd = f->rq_fd = -1;
	f->day_ns = c->pcap_day_ns;
	if (!f->c.mtu)
		f->c.mtu = TG_MOLD_MTU_PAYLOAD;
	if (!f->c.heartbeat_ns)
		f->c.heartbeat_ns = 1000000000ull;
	if (!f->c.max_reply_packets)
		f->c.max_reply_packets = 16;
	if (f->c.mtu < TG_MOLD_HDR_BYTES + 2 + 64 || f->c.mtu > 65507) {
		rc = -EINVAL;
		goto fail;
	}
	f->rng = c->seed ^ 0x5eed5eed5eedull;
	tg_mold_session_set(f->session, c->session ? c->session : "TICKGUARD");
	if (c->dest) {
		if ((rc = parse_addr(c->dest, &f->dest)) || (rc = open_tx(f)))
			goto fail;
	}
	if (c->retrans) {
		if ((rc = parse_addr(c->retrans, &f->rq_addr)) || (rc = open_rq(f)))
			goto fail;
	}
	if (c->pcap_path) {
		if ((rc = tg_pcap_writer_open(&f->pw, c->pcap_path, true)))
			goto fail;
		f->have_pcap = 1;
	}
	if ((rc = tg_mold_builder_init(&f->b, f->pkt, sizeof(f->pkt), f->c.mtu, f->session, 1)))
		goto fail;
	*out = f;
	return 0;
fail:
	tg_feed_destroy(f);
	return rc;
}

void tg_feed_destroy(struct tg_feed *f)
{
	if (!f)
		return;
	if (f->tx_fd >= 0)
		close(f->tx_fd);
	if (f->rq_fd >= 0)
		close(f->rq_fd);
	if (f->have_pcap)
		tg_pcap_writer_close(&f->pw);
	free(f->arena);
	free(f->off);
	free(f);
}

uint16_t tg_feed_retrans_port(const struct tg_feed *f)
{
	return f->rq_fd >= 0 ? ntohs(f->rq_addr.sin_port) : 0;
}

void tg_feed_get_stats(const struct tg_feed *f, struct tg_feed_stats *st)
{
	*st = f->st;
}

int tg_feed_history_msg(const struct tg_feed *f, uint64_t seq, const uint8_t **msg, size_t *len)
{
	if (seq == 0 || seq > f->noff)
		return -ENOENT;
	const uint8_t *p = f->arena + f->off[seq - 1];
	*len = (size_t)p[0] << 8 | p[1];
	*msg = p + 2;
	return 0;
}

static int history_add(struct tg_feed *f, const uint8_t *msg, size_t len)
{
	if (f->arena_len + len + 2 > f->arena_cap) {
		size_t cap = f->arena_cap ? f->arena_cap * 2 : 1 << 20;
		while (cap < f->arena_len + len + 2)
			cap *= 2;
		uint8_t *na = realloc(f->arena, cap);
		if (!na)
			return -ENOMEM;
		f->arena = na;
		f->arena_cap = cap;
	}
	if (f->noff == f->off_cap) {
		uint64_t cap = f->off_cap ? f->off_cap * 2 : 1 << 16;
		uint64_t *no = realloc(f->off, cap * sizeof(*no));
		if (!no)
			return -ENOMEM;
		f->off = no;
		f->off_cap = cap;
	}
	f->off[f->noff++] = f->arena_len;
	f->arena[f->arena_len] = (uint8_t)(len >> 8);
	f->arena[f->arena_len + 1] = (uint8_t)len;
	memcpy(f->arena + f->arena_len + 2, msg, len);
	f->arena_len += len + 2;
	return 0;
}

/* Put one packet on the wire and/or in the pcap. */
static void emit(struct tg_feed *f, const uint8_t *pkt, size_t len, uint64_t ts_ns)
{
	if (f->tx_fd >= 0) {
		if (sendto(f->tx_fd, pkt, len, 0, (const struct sockaddr *)&f->dest,
		           sizeof(f->dest)) != (ssize_t)len)
			f->st.send_errors++;
		f->next_hb_ns = tg_monotonic_ns() + f->c.heartbeat_ns;
	}
	if (f->have_pcap) {
		struct tg_udp_datagram d = {
		    .ts_ns = f->day_ns + ts_ns,
		    .src_ip = 0x7f000001,
		    .dst_ip = f->tx_fd >= 0 ? ntohl(f->dest.sin_addr.s_addr) : 0x7f000001,
		    .src_port = 26399,
		    .dst_port = f->tx_fd >= 0 ? ntohs(f->dest.sin_port) : 26400,
		    .ttl = (uint8_t)(f->c.ttl > 0 ? f->c.ttl : 64),
		    .payload = pkt,
		    .len = len,
		};
		if (tg_pcap_write_udp(&f->pw, &d))
			f->st.send_errors++;
	}
}

/* Finish the packet being built: history is already written; decide drop
 * or reorder, then emit. */
static void flush_packet(struct tg_feed *f)
{
	if (!tg_mold_builder_count(&f->b))
		return;
	size_t len = tg_mold_builder_finish(&f->b);
	f->st.packets++;
	f->st.bytes += len;
	if (f->c.drop > 0 && rng_unit(&f->rng) < f->c.drop) {
		f->st.dropped++;
	} else if (!f->held_len && f->c.reorder > 0 && rng_unit(&f->rng) < f->c.reorder) {
		f->st.reordered++;
		memcpy(f->held, f->pkt, len);
		f->held_len = len;
		f->held_ts = f->pkt_ts;
	} else {
		emit(f, f->pkt, len, f->pkt_ts);
		if (f->held_len) {
			emit(f, f->held, f->held_len, f->held_ts);
			f->held_len = 0;
		}
	}
	tg_mold_builder_next(&f->b);
}

static void answer(struct tg_feed *f, const struct tg_mold_request *rq,
                   const struct sockaddr_in *to)
{
	uint64_t sent = f->noff;
	if (memcmp(rq->session, f->session, TG_MOLD_SESSION_LEN) || rq->seq == 0 ||
	    rq->seq > sent || rq->count == 0 || rq->count == TG_MOLD_END_OF_SESSION) {
		f->st.bad_requests++;
		return;
	}
	uint64_t seq = rq->seq, end = rq->seq + rq->count;
	if (end > sent + 1)
		end = sent + 1;
	uint8_t pkt[65536];
	for (uint32_t np = 0; seq < end && np < f->c.max_reply_packets; np++) {
		struct tg_mold_builder b;
		tg_mold_builder_init(&b, pkt, sizeof(pkt), f->c.mtu, f->session, seq);
		while (seq < end) {
			const uint8_t *m = NULL;
			size_t len = 0;
			if (tg_feed_history_msg(f, seq, &m, &len) ||
			    tg_mold_builder_append(&b, m, len))
				break;
			seq++;
		}
		size_t len = tg_mold_builder_finish(&b);
		if (sendto(f->rq_fd, pkt, len, 0, (const struct sockaddr *)to, sizeof(*to)) !=
		    (ssize_t)len)
			f->st.send_errors++;
		f->st.resent_packets++;
		f->st.resent_msgs += tg_mold_builder_count(&b);
	}
}

static void serve_requests(struct tg_feed *f)
{
	if (f->rq_fd < 0)
		return;
	for (int i = 0; i < 256; i++) {
		uint8_t buf[64];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(f->rq_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		struct tg_mold_request rq;
		f->st.requests++;
		if (tg_mold_request_decode(buf, (size_t)n, &rq)) {
			f->st.bad_requests++;
			continue;
		}
		answer(f, &rq, &from);
	}
}

static void heartbeat(struct tg_feed *f)
{
	uint8_t pkt[TG_MOLD_HDR_BYTES];
	if (f->ended)
		tg_mold_end_encode(f->session, f->b.seq, pkt, sizeof(pkt));
	else
		tg_mold_heartbeat_encode(f->session, f->b.seq, pkt, sizeof(pkt));
	if (sendto(f->tx_fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)&f->dest,
	           sizeof(f->dest)) != (ssize_t)sizeof(pkt))
		f->st.send_errors++;
	if (f->ended)
		f->st.end_packets++;
	else
		f->st.heartbeats++;
	f->next_hb_ns = tg_monotonic_ns() + f->c.heartbeat_ns;
}

/* Wait until monotonic `deadline`, answering requests and sending
 * heartbeats meanwhile. Returns early if *stop. */
static void wait_until(struct tg_feed *f, uint64_t deadline, const atomic_int *stop)
{
	for (;;) {
		/* relaxed: the flag only asks us to stop; it guards no data
		 * (pairs with the store in the signal handler / test) */
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return;
		uint64_t now = tg_monotonic_ns();
		if (f->tx_fd >= 0 && now >= f->next_hb_ns)
			heartbeat(f);
		if (now >= deadline)
			return;
		uint64_t until = deadline;
		if (f->tx_fd >= 0 && f->next_hb_ns < until)
			until = f->next_hb_ns;
		if (until - now > 100000000ull)
			until = now + 100000000ull; /* see *stop at least every 100 ms */
		struct timespec ts = {.tv_sec = (time_t)((until - now) / 1000000000ull),
		                      .tv_nsec = (long)((until - now) % 1000000000ull)};
		if (f->rq_fd >= 0) {
			struct pollfd p = {.fd = f->rq_fd, .events = POLLIN};
			if (ppoll(&p, 1, &ts, NULL) > 0)
				serve_requests(f);
		} else {
			nanosleep(&ts, NULL);
		}
	}
}

static void send_end(struct tg_feed *f)
{
	uint8_t pkt[TG_MOLD_HDR_BYTES];
	uint32_t n = f->c.end_packets ? f->c.end_packets : 3;
	tg_mold_end_encode(f->session, f->b.seq, pkt, sizeof(pkt));
	for (uint32_t i = 0; i < n; i++) {
		emit(f, pkt, sizeof(pkt), f->pkt_ts);
		f->st.end_packets++;
	}
	f->ended = 1;
}

/* Live clock: pair the wall clock with the monotonic one (the read with the
 * tightest monotonic bracket of three, so a preemption cannot skew it) and
 * find the midnight of the local day (UTC + offset). */
static void live_clock_start(struct tg_feed *f)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 3; i++) {
		uint64_t m0 = tg_monotonic_ns(), w = tg_realtime_ns(), m1 = tg_monotonic_ns();
		if (m1 - m0 < best) {
			best = m1 - m0;
			f->wall0_ns = w;
			f->mono0_ns = m0 + (m1 - m0) / 2;
		}
	}
	int64_t off = f->c.clock_utc_offset_s * 1000000000ll;
	int64_t local = (int64_t)f->wall0_ns + off;
	f->midnight_ns = (uint64_t)(local - local % (int64_t)DAY_NS - off);
	f->day_ns = f->midnight_ns;
	f->last_stamp = 0;
	f->st.live_midnight_ns = f->midnight_ns;
}

/* Live clock: stamp message `msg` with the wall-clock time of monotonic
 * `at_mono` (see feed.h) in a copy; returns the copy and sets *ts. */
static const uint8_t *live_clock_stamp(struct tg_feed *f, const uint8_t *msg, size_t len,
                                       uint64_t at_mono, uint64_t *ts)
{
	if (len < ITCH_TS + 6 || len > sizeof(f->stamped)) {
		f->st.unstamped++;
		return msg;
	}
	/* unsigned wrap-around makes this right when at_mono < mono0 too */
	uint64_t stamp = f->wall0_ns + (at_mono - f->mono0_ns) - f->midnight_ns;
	if (stamp < f->last_stamp) {
		stamp = f->last_stamp;
		f->st.stamps_raised++;
	}
	f->last_stamp = stamp;
	memcpy(f->stamped, msg, len);
	for (int i = 0; i < 6; i++)
		f->stamped[ITCH_TS + i] = (uint8_t)(stamp >> (40 - 8 * i));
	f->st.restamped++;
	*ts = stamp;
	return f->stamped;
}

int tg_feed_run(struct tg_feed *f, struct tg_replay *r, const atomic_int *stop,
                struct tg_progress *prog)
{
	uint64_t start = tg_monotonic_ns(), first_ts = UINT64_MAX, k = 0;
	int rc = 0;
	char suffix[64];
	f->next_hb_ns = start + f->c.heartbeat_ns;
	bool live = f->c.clock == TG_FEED_CLOCK_LIVE;
	if (live)
		live_clock_start(f);
	for (;;) {
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			break;
		const uint8_t *msg;
		uint64_t ts;
		int len = tg_replay_next(r, &msg, &ts);
		if (len <= 0) {
			rc = len;
			break;
		}
		if (first_ts == UINT64_MAX)
			first_ts = ts;
		uint64_t due = 0;
		if (f->c.rate > 0)
			due = start + (uint64_t)((double)k * 1e9 / f->c.rate);
		else if (f->c.speed > 0 && ts > first_ts)
			due = start + (uint64_t)((double)(ts - first_ts) / f->c.speed);
		if (due && (f->tx_fd >= 0 || f->rq_fd >= 0) && due > tg_monotonic_ns() + SLACK_NS) {
			flush_packet(f);
			wait_until(f, due, stop);
		}
		if (live) {
			/* the deadline, or now if earlier (never stamped after
			 * the send); the first message's deadline is the start.
			 * pcap only (no waiting): the deadline, a paced capture */
			uint64_t now = tg_monotonic_ns(), at = now;
			if (f->c.rate > 0 || f->c.speed > 0) {
				at = due ? due : start;
				if (at > now && (f->tx_fd >= 0 || f->rq_fd >= 0))
					at = now;
			}
			msg = live_clock_stamp(f, msg, (size_t)len, at, &ts);
		}
		if ((rc = history_add(f, msg, (size_t)len)))
			break;
		if (!tg_mold_builder_count(&f->b))
			f->pkt_ts = ts;
		rc = tg_mold_builder_append(&f->b, msg, (size_t)len);
		if (rc == TG_WIRE_ESPACE) {
			flush_packet(f);
			f->pkt_ts = ts;
			rc = tg_mold_builder_append(&f->b, msg, (size_t)len);
		}
		if (rc)
			break;
		k++;
		f->st.msgs++;
		f->st.by_type[msg[0]]++;
		if ((f->st.packets & 15) == 0 && tg_mold_builder_count(&f->b) == 1) {
			serve_requests(f);
			if (prog) {
				snprintf(suffix, sizeof(suffix), "pkts %llu",
				         (unsigned long long)f->st.packets);
				tg_progress_update(prog, k, suffix);
			}
		}
	}
	flush_packet(f);
	if (f->held_len) {
		emit(f, f->held, f->held_len, f->held_ts);
		f->held_len = 0;
	}
	send_end(f);
	f->st.next_seq = f->b.seq;
	f->st.elapsed_ns = tg_monotonic_ns() - start;
	if (prog)
		tg_progress_finish(prog, k, "done");
	if (f->rq_fd >= 0 && f->c.linger_ns) {
		uint64_t now = tg_monotonic_ns();
		uint64_t until = f->c.linger_ns == UINT64_MAX || now + f->c.linger_ns < now
		                     ? UINT64_MAX
		                     : now + f->c.linger_ns;
		wait_until(f, until, stop);
	}
	if (f->have_pcap) {
		int e = tg_pcap_writer_close(&f->pw);
		f->have_pcap = 0;
		if (e && !rc)
			rc = e;
	}
	return rc;
}
