/* test_feedsim_udp.c - feedsim over real UDP on loopback: a plain socket
 * receives every message of a synthetic session (byte-equal to the feed's
 * history), a retransmission request is answered with the right messages,
 * a bad one is ignored and counted, and with 5 % drops + 5 % reordering a
 * receiver that asks for its gaps ends with the complete stream. The
 * broken variant (same drops, no requests) must be caught by the check. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "feedsim/feed.h"
#include "feedsim/replay.h"
#include "feedsim/source.h"
#include "common/tg_common.h"
#include "tests/tg_test.h"
#include "wire/moldudp64.h"

#define MAXSEQ 20000

struct rx {
	uint8_t (*msg)[64];
	uint8_t *len;
	uint8_t *have;
	uint64_t end_seq; /* next seq from the end of session, 0 until seen */
	uint64_t packets, dups, heartbeats;
};

struct run {
	struct tg_feed *f;
	struct tg_replay *r;
	atomic_int stop;
	int rc;
};

static void *feed_thread(void *arg)
{
	struct run *x = arg;
	x->rc = tg_feed_run(x->f, x->r, &x->stop, NULL);
	return NULL;
}

static int rx_packet(struct rx *rx, const uint8_t *p, size_t n, uint64_t *first_seq)
{
	struct tg_mold_walk w;
	struct tg_mold_header h;
	const uint8_t *m;
	uint16_t len;
	uint64_t seq;
	if (tg_mold_walk_init(&w, p, n, &h))
		return -1;
	rx->packets++;
	*first_seq = h.seq;
	if (tg_mold_is_end(&h)) {
		rx->end_seq = h.seq;
		return 0;
	}
	if (tg_mold_is_heartbeat(&h)) {
		rx->heartbeats++;
		return 0;
	}
	int k = 0;
	while (tg_mold_walk_next(&w, &m, &len, &seq) > 0) {
		if (seq >= MAXSEQ || len > 64)
			return -1;
		if (rx->have[seq])
			rx->dups++;
		memcpy(rx->msg[seq], m, len);
		rx->len[seq] = (uint8_t)len;
		rx->have[seq] = 1;
		k++;
	}
	return k;
}

static uint64_t missing(const struct rx *rx)
{
	uint64_t n = 0;
	for (uint64_t s = 1; s < (rx->end_seq ? rx->end_seq : 1); s++)
		n += !rx->have[s];
	return n + !rx->end_seq;
}

static void request(int fd, const struct sockaddr_in *to, const char *session, uint64_t seq,
                    uint16_t count)
{
	struct tg_mold_request rq;
	uint8_t buf[TG_MOLD_REQUEST_BYTES];
	tg_mold_session_set(rq.session, session);
	rq.seq = seq;
	rq.count = count;
	tg_mold_request_encode(&rq, buf, sizeof(buf));
	sendto(fd, buf, sizeof(buf), 0, (const struct sockaddr *)to, sizeof(*to));
}

/* One session: returns messages missing at the end (0 = complete). */
static uint64_t session(double drop, double reorder, int recover, int explicit_request)
{
	struct tg_synth_config c;
	struct tg_source *s;
	struct run x = {0};
	struct rx rx = {0};
	rx.msg = calloc(MAXSEQ, 64);
	rx.len = calloc(MAXSEQ, 1);
	rx.have = calloc(MAXSEQ, 1);
	tg_synth_config_default(&c);
	c.instruments = 2;
	c.trades_per_instrument = (uint64_t)(1500 * (tg_test_scale() < 1 ? 0.5 : 1));
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &s), 0);
	TG_CHECK_EQ_I64(tg_replay_open_source(s, TG_REPLAY_TRADES_AE, &x.r), 0);
	uint64_t total = tg_replay_total(x.r);

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sz = 8 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t ml = sizeof(me);
	TG_CHECK_EQ_I64(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	getsockname(fd, (struct sockaddr *)&me, &ml);
	char dest[64];
	snprintf(dest, sizeof(dest), "127.0.0.1:%u", ntohs(me.sin_port));
	struct tg_feed_config fc = {
	    .session = "TESTSESS",
	    .dest = dest,
	    .retrans = "127.0.0.1:0",
	    .rate = 200000,
	    .drop = drop,
	    .reorder = reorder,
	    .seed = 11,
	    .heartbeat_ns = 50000000,
	    .end_packets = 1,
	    .linger_ns = UINT64_MAX,
	};
	TG_CHECK_EQ_I64(tg_feed_create(&fc, &x.f), 0);
	if (!x.f)
		return UINT64_MAX;
	struct sockaddr_in rq = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                         .sin_port = htons(tg_feed_retrans_port(x.f))};
	pthread_t th;
	pthread_create(&th, NULL, feed_thread, &x);

	uint8_t buf[2048];
	int rounds = 0;
	uint64_t reply_seq = 0, t_end = 0, t_req = 0, t_start = tg_monotonic_ns();
	int reply_msgs = -1;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t now = tg_monotonic_ns();
		if (now - t_start > 20000000000ull || rounds > 40)
			break; /* fail below */
		if (rx.end_seq && !t_end)
			t_end = now;
		if (rx.end_seq && missing(&rx)) {
			if (!recover && now - t_end > 300000000ull)
				break;
			if (recover && now - t_req > 100000000ull) {
				/* ask for every gap */
				rounds++;
				t_req = now;
				for (uint64_t q = 1; q < rx.end_seq; q++) {
					if (rx.have[q])
						continue;
					uint64_t e = q;
					while (e < rx.end_seq && !rx.have[e] && e - q < 500)
						e++;
					request(fd, &rq, "TESTSESS", q, (uint16_t)(e - q));
					q = e;
				}
			}
		} else if (rx.end_seq) {
			if (explicit_request == 0)
				break;
			if (explicit_request == 1) {
				/* everything arrived: ask for 100..149, and for a bad session */
				request(fd, &rq, "WRONGSESS", 100, 50);
				request(fd, &rq, "TESTSESS", 100, 50);
				explicit_request = 2;
			} else if (reply_msgs >= 0) {
				break;
			}
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		uint64_t first = 0;
		int k = n > 0 ? rx_packet(&rx, buf, (size_t)n, &first) : -1;
		if (explicit_request == 2 && first == 100 && reply_msgs < 0)
			reply_msgs = k, reply_seq = first;
	}
	atomic_store_explicit(&x.stop, 1, memory_order_relaxed); /* pairs with feed.c loads */
	pthread_join(th, NULL);
	TG_CHECK_EQ_I64(x.rc, 0);

	struct tg_feed_stats st;
	tg_feed_get_stats(x.f, &st);
	TG_CHECK_EQ_U64(st.msgs, total);
	TG_CHECK_EQ_U64(rx.end_seq, total + 1);
	uint64_t miss = missing(&rx), diff = 0;
	for (uint64_t q = 1; q <= total && q < MAXSEQ; q++) {
		const uint8_t *hm;
		size_t hl;
		if (rx.have[q] && (tg_feed_history_msg(x.f, q, &hm, &hl) || hl != rx.len[q] ||
		                   memcmp(hm, rx.msg[q], hl)))
			diff++;
	}
	TG_CHECK_EQ_U64(diff, 0);
	if (explicit_request) {
		TG_CHECK_EQ_U64(reply_seq, 100);
		TG_CHECK(reply_msgs >= 1 && reply_msgs <= 50);
		TG_CHECK_EQ_U64(st.bad_requests, 1);
		TG_CHECK(st.resent_msgs >= (uint64_t)reply_msgs);
	}
	if (drop > 0)
		TG_CHECK(st.dropped > 0);
	if (reorder > 0)
		TG_CHECK(st.reordered > 0);
	printf("drop %.2f reorder %.2f recover %d: %llu msgs, %llu packets, dropped %llu, "
	       "reordered %llu, requests %llu, resent %llu, heartbeats seen %llu, missing %llu\n",
	       drop, reorder, recover, (unsigned long long)st.msgs, (unsigned long long)st.packets,
	       (unsigned long long)st.dropped, (unsigned long long)st.reordered,
	       (unsigned long long)st.requests, (unsigned long long)st.resent_msgs,
	       (unsigned long long)rx.heartbeats, (unsigned long long)miss);
	close(fd);
	tg_feed_destroy(x.f);
	tg_replay_close(x.r);
	tg_source_close(s);
	free(rx.msg);
	free(rx.len);
	free(rx.have);
	return miss;
}

static void t_loopback_all(void)
{
	TG_CHECK_EQ_U64(session(0, 0, 1, 1), 0);
}

static void t_drop_reorder_recovered(void)
{
	TG_CHECK_EQ_U64(session(0.05, 0.05, 1, 0), 0);
}

/* Broken variant: the same losses without asking for them must show up. */
static void t_broken_no_recovery_caught(void)
{
	TG_CHECK(session(0.05, 0.05, 0, 0) > 0);
}

/* Pacing: exchange time x speed, or messages/s; heartbeats while idle. */
static void paced(double speed, double rate, uint64_t trades, double want_s, uint64_t *hb_seen)
{
	struct tg_synth_config c;
	struct tg_source *s;
	struct run x = {0};
	tg_synth_config_default(&c);
	c.instruments = 1;
	c.trades_per_instrument = trades;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &s), 0);
	TG_CHECK_EQ_I64(tg_replay_open_source(s, TG_REPLAY_TRADES_AE, &x.r), 0);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sz = 8 << 20; /* the kernel caps it at rmem_max; a busy machine may stall us */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t ml = sizeof(me);
	TG_CHECK_EQ_I64(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	getsockname(fd, (struct sockaddr *)&me, &ml);
	char dest[64];
	snprintf(dest, sizeof(dest), "127.0.0.1:%u", ntohs(me.sin_port));
	struct tg_feed_config fc = {
	    .dest = dest,
	    .speed = speed,
	    .rate = rate,
	    .heartbeat_ns = 20000000,
	    .end_packets = 1,
	};
	TG_CHECK_EQ_I64(tg_feed_create(&fc, &x.f), 0);
	if (!x.f)
		return;
	pthread_t th;
	uint64_t t0 = tg_monotonic_ns(), first = 0, last = 0, msgs = 0;
	pthread_create(&th, NULL, feed_thread, &x);
	uint8_t buf[2048];
	*hb_seen = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			break;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct tg_mold_header h;
		if (n < 0 || tg_mold_header_decode(buf, (size_t)n, &h))
			break;
		if (tg_mold_is_end(&h))
			break;
		if (tg_mold_is_heartbeat(&h)) {
			(*hb_seen)++;
			continue;
		}
		last = tg_monotonic_ns();
		if (!first)
			first = last;
		msgs += h.count;
	}
	pthread_join(th, NULL);
	struct tg_feed_stats st;
	tg_feed_get_stats(x.f, &st);
	TG_CHECK_EQ_U64(st.send_errors, 0);
	TG_CHECK_EQ_U64(st.msgs, tg_replay_total(x.r));
	double span = (double)(last - first) / 1e9;
	TG_CHECK_EQ_U64(msgs, tg_replay_total(x.r));
	TG_CHECK_NEAR(span, want_s, 0.25 * want_s + 0.05, 0);
	printf("paced speed %.0f rate %.0f: %llu msgs over %.3f s (want %.3f), %llu heartbeats, "
	       "%.3f s in all\n",
	       speed, rate, (unsigned long long)msgs, span, want_s, (unsigned long long)*hb_seen,
	       (double)(tg_monotonic_ns() - t0) / 1e9);
	close(fd);
	tg_feed_destroy(x.f);
	tg_replay_close(x.r);
	tg_source_close(s);
}

static void t_paced_speed(void)
{
	uint64_t hb;
	/* 40 trades over a 6.5 h session in ~0.4 s: gaps of ~10 ms, mostly
	 * below the 20 ms heartbeat, but the open/close gaps are not */
	uint64_t n;
	struct tg_synth_config c;
	struct tg_source *s;
	tg_synth_config_default(&c);
	c.instruments = 1;
	c.trades_per_instrument = 40;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &s), 0);
	const struct tg_trade *t = tg_source_trade_array(s, &n);
	double ex_s = (double)(t[n - 1].exch_ts_ns - t[0].exch_ts_ns) / 1e9;
	tg_source_close(s);
	paced(ex_s / 0.4, 0, 40, 0.4, &hb);
	TG_CHECK(hb >= 1);
}

static void t_paced_rate(void)
{
	uint64_t hb;
	/* 2006 messages at 20000/s: 0.1 s */
	paced(0, 20000, 1000, 2005.0 / 20000, &hb);
}

/* Multicast with an interface and TTL: a member of the group on the
 * loopback interface receives the session. Skips when the host cannot
 * route multicast over loopback. */
static void t_multicast(void)
{
	struct tg_synth_config c;
	struct tg_source *s;
	struct run x = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1, sz = 8 << 20;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
	socklen_t ml = sizeof(me);
	TG_CHECK_EQ_I64(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	getsockname(fd, (struct sockaddr *)&me, &ml);
	struct ip_mreq mr;
	inet_pton(AF_INET, "239.255.77.1", &mr.imr_multiaddr);
	inet_pton(AF_INET, "127.0.0.1", &mr.imr_interface);
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		close(fd);
		TG_SKIP("cannot join 239.255.77.1 on loopback");
	}
	tg_synth_config_default(&c);
	c.instruments = 1;
	c.trades_per_instrument = 500;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &s), 0);
	TG_CHECK_EQ_I64(tg_replay_open_source(s, TG_REPLAY_TRADES_AE, &x.r), 0);
	char dest[64];
	snprintf(dest, sizeof(dest), "239.255.77.1:%u", ntohs(me.sin_port));
	struct tg_feed_config fc = {
	    .dest = dest, .iface = "127.0.0.1", .ttl = 1, .rate = 100000, .end_packets = 1};
	int rc = tg_feed_create(&fc, &x.f);
	if (rc) {
		close(fd);
		tg_replay_close(x.r);
		tg_source_close(s);
		TG_SKIP("cannot send multicast via 127.0.0.1: %s", strerror(-rc));
	}
	pthread_t th;
	pthread_create(&th, NULL, feed_thread, &x);
	uint8_t buf[2048];
	uint64_t msgs = 0, end = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 2000) <= 0)
			break;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct tg_mold_header h;
		if (n < 0 || tg_mold_header_decode(buf, (size_t)n, &h))
			break;
		if (tg_mold_is_end(&h)) {
			end = h.seq;
			break;
		}
		msgs += tg_mold_msg_count(&h);
	}
	pthread_join(th, NULL);
	struct tg_feed_stats st;
	tg_feed_get_stats(x.f, &st);
	uint64_t total = tg_replay_total(x.r);
	close(fd);
	tg_feed_destroy(x.f);
	tg_replay_close(x.r);
	tg_source_close(s);
	TG_CHECK_EQ_U64(st.send_errors, 0);
	if (msgs == 0 && !end)
		TG_SKIP("no multicast delivery over loopback on this host");
	TG_CHECK_EQ_U64(msgs, total);
	TG_CHECK_EQ_U64(end, total + 1);
	printf("multicast 239.255.77.1 via 127.0.0.1: %llu messages\n", (unsigned long long)msgs);
}

int main(void)
{
	tg_test_case("multicast", t_multicast);
	tg_test_case("paced_speed", t_paced_speed);
	tg_test_case("paced_rate", t_paced_rate);
	tg_test_case("loopback_all", t_loopback_all);
	tg_test_case("drop_reorder_recovered", t_drop_reorder_recovered);
	tg_test_case("broken_no_recovery_caught", t_broken_no_recovery_caught);
	return tg_test_done();
}
