/* rx_uring.c - UDP receive through io_uring: one multishot recv fed by a
 * provided buffer ring, so the kernel picks a buffer per datagram and the
 * steady state costs no system call while completions keep coming.
 *
 * liburing 2.3 (Debian 12) has no io_uring_setup_buf_ring, so the buffer
 * ring is mmapped here and registered with io_uring_register_buf_ring. A
 * buffer goes back to the kernel only when the caller releases its burst.
 * When every buffer is in use the kernel ends the multishot with -ENOBUFS;
 * the datagrams wait in the (large) socket buffer and we re-arm: nothing
 * is lost unless the socket buffer itself overflows (counted from
 * SO_MEMINFO's drop count).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "gateway/rx.h"

#define RX_BGID    7
#define RX_UD_RECV 1

struct rx_uring {
	struct tg_rx rx;
	struct io_uring ring;
	bool ring_ok;
	int fd;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *bufs;
	size_t bufs_bytes;
	uint32_t nbufs;
	uint32_t buf_bytes;
	bool armed;
	bool busy_poll;
	struct sockaddr_in retransmit;
	bool have_retransmit;
	struct tg_rx_stats st;
};

int tg_rx_parse_addr(const char *s, struct sockaddr_in *out)
{
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	if (!s || !*s)
		return -EINVAL;
	const char *colon = strrchr(s, ':');
	const char *port_s = colon ? colon + 1 : s;
	char host[64];
	if (colon) {
		size_t n = (size_t)(colon - s);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = 0;
	} else {
		host[0] = 0;
	}
	char *end;
	unsigned long port = strtoul(port_s, &end, 10);
	if (!*port_s || *end || port > 65535)
		return -EINVAL;
	out->sin_port = htons((uint16_t)port);
	if (!host[0])
		out->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (!strcmp(host, "localhost"))
		out->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &out->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static int arm(struct rx_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (!sqe)
		return -EBUSY;
	/* MSG_TRUNC: res is the datagram's real length, so an oversized one
	 * is recognised (and counted) instead of silently cut */
	io_uring_prep_recv_multishot(sqe, u->fd, NULL, 0, MSG_TRUNC);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = RX_BGID;
	io_uring_sqe_set_data64(sqe, RX_UD_RECV);
	int rc = io_uring_submit(&u->ring);
	if (rc < 0)
		return rc;
	u->armed = true;
	return 0;
}

static void give_back(struct rx_uring *u, const uint16_t *ids, unsigned n)
{
	int mask = io_uring_buf_ring_mask(u->nbufs);
	for (unsigned i = 0; i < n; i++)
		io_uring_buf_ring_add(u->br, u->bufs + (size_t)ids[i] * u->buf_bytes, u->buf_bytes,
		                      ids[i], mask, (int)i);
	/* release store of the tail: pairs with the kernel's acquire of it */
	io_uring_buf_ring_advance(u->br, (int)n);
}

static int rx_uring_recv_burst(struct tg_rx *rx, struct tg_rx_pkt *pkts, unsigned max,
                               uint64_t timeout_ns)
{
	struct rx_uring *u = (struct rx_uring *)rx;
	if (!u->armed) {
		int rc = arm(u);
		if (rc < 0)
			return rc;
	}
	struct io_uring_cqe *cqes[256];
	if (max > TG_ARRAY_SIZE(cqes))
		max = TG_ARRAY_SIZE(cqes);
	unsigned got = io_uring_peek_batch_cqe(&u->ring, cqes, max);
	if (got == 0 && !timeout_ns && !u->busy_poll) {
		/* DEFER_TASKRUN posts completions only when we enter the kernel */
		io_uring_get_events(&u->ring);
		got = io_uring_peek_batch_cqe(&u->ring, cqes, max);
	}
	if (got == 0 && timeout_ns) {
		struct io_uring_cqe *cqe;
		int rc;
		if (u->busy_poll) {
			uint64_t until = tg_monotonic_ns() + timeout_ns;
			do
				rc = io_uring_peek_cqe(&u->ring, &cqe);
			while (rc == -EAGAIN && tg_monotonic_ns() < until);
		} else {
			struct __kernel_timespec ts = {
			    .tv_sec = (long long)(timeout_ns / 1000000000u),
			    .tv_nsec = (long long)(timeout_ns % 1000000000u)};
			rc = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);
		}
		if (rc == -ETIME || rc == -EAGAIN || rc == -EINTR)
			return 0;
		if (rc < 0)
			return rc;
		got = io_uring_peek_batch_cqe(&u->ring, cqes, max);
	}
	uint64_t now = got ? tg_realtime_ns() : 0;
	unsigned n = 0;
	uint16_t bad[256];
	unsigned nbad = 0;
	for (unsigned i = 0; i < got; i++) {
		struct io_uring_cqe *c = cqes[i];
		if (!(c->flags & IORING_CQE_F_MORE))
			u->armed = false; /* multishot ended: re-arm on the next call */
		if (c->res < 0) {
			if (c->res == -ENOBUFS)
				u->st.rx_no_buffers++;
			else
				u->st.rx_errors++;
			continue;
		}
		if (!(c->flags & IORING_CQE_F_BUFFER)) {
			u->st.rx_errors++;
			continue;
		}
		uint16_t bid = (uint16_t)(c->flags >> IORING_CQE_BUFFER_SHIFT);
		if ((uint32_t)c->res > u->buf_bytes) {
			u->st.rx_truncated++;
			bad[nbad++] = bid;
			continue;
		}
		pkts[n] = (struct tg_rx_pkt){.data = u->bufs + (size_t)bid * u->buf_bytes,
		                             .len = (uint32_t)c->res,
		                             .kind = TG_RX_MOLD,
		                             .buf_id = bid,
		                             .recv_ts_ns = now};
		u->st.packets++;
		u->st.bytes += (uint32_t)c->res;
		n++;
	}
	io_uring_cq_advance(&u->ring, got);
	if (nbad)
		give_back(u, bad, nbad);
	if (!u->armed) {
		u->st.rx_rearms++;
		int rc = arm(u);
		if (rc < 0 && n == 0)
			return rc;
	}
	return (int)n;
}

static void rx_uring_release_burst(struct tg_rx *rx, const struct tg_rx_pkt *pkts, unsigned n)
{
	struct rx_uring *u = (struct rx_uring *)rx;
	int mask = io_uring_buf_ring_mask(u->nbufs);
	for (unsigned i = 0; i < n; i++)
		io_uring_buf_ring_add(u->br, u->bufs + (size_t)pkts[i].buf_id * u->buf_bytes,
		                      u->buf_bytes, pkts[i].buf_id, mask, (int)i);
	io_uring_buf_ring_advance(u->br, (int)n);
}

static int rx_uring_send(struct tg_rx *rx, const void *buf, size_t len)
{
	struct rx_uring *u = (struct rx_uring *)rx;
	if (!u->have_retransmit)
		return -ENOTSUP;
	/* slow path (a request per gap): a plain sendto is simplest */
	ssize_t rc = sendto(u->fd, buf, len, 0, (const struct sockaddr *)&u->retransmit,
	                    sizeof(u->retransmit));
	if (rc < 0) {
		u->st.tx_errors++;
		return -errno;
	}
	u->st.tx_packets++;
	return 0;
}

static void rx_uring_stats(struct tg_rx *rx, struct tg_rx_stats *out)
{
	struct rx_uring *u = (struct rx_uring *)rx;
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t ml = sizeof(mem);
	if (getsockopt(u->fd, SOL_SOCKET, SO_MEMINFO, mem, &ml) == 0 &&
	    ml >= sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1))
		u->st.rx_kernel_drops = mem[SK_MEMINFO_DROPS];
	*out = u->st;
}

static void rx_uring_close(struct tg_rx *rx)
{
	struct rx_uring *u = (struct rx_uring *)rx;
	if (u->ring_ok) /* cancels the multishot recv and drops the buffer ring */
		io_uring_queue_exit(&u->ring);
	if (u->br)
		munmap(u->br, u->br_bytes);
	if (u->bufs)
		munmap(u->bufs, u->bufs_bytes);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
}

static const struct tg_rx_ops rx_uring_ops = {
    .name = "io_uring",
    .recv_burst = rx_uring_recv_burst,
    .release_burst = rx_uring_release_burst,
    .send = rx_uring_send,
    .stats = rx_uring_stats,
    .close = rx_uring_close,
};

int tg_rx_uring_port(const struct tg_rx *rx)
{
	const struct rx_uring *u = (const struct rx_uring *)rx;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	if (getsockname(u->fd, (struct sockaddr *)&a, &al) < 0)
		return -errno;
	return ntohs(a.sin_port);
}

static int open_socket(struct rx_uring *u, const struct tg_rx_uring_config *cfg)
{
	struct sockaddr_in addr;
	int rc = tg_rx_parse_addr(cfg->listen, &addr);
	if (rc < 0)
		return rc;
	struct in_addr group = {0};
	if (cfg->group) {
		if (inet_pton(AF_INET, cfg->group, &group) != 1 ||
		    !IN_MULTICAST(ntohl(group.s_addr)))
			return -EINVAL;
	}
	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		return -errno;
	int one = 1;
	setsockopt(u->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* as large as allowed: SO_RCVBUFFORCE needs CAP_NET_ADMIN, else the
	 * kernel caps SO_RCVBUF at net.core.rmem_max */
	int want = (int)(cfg->rcvbuf_bytes ? cfg->rcvbuf_bytes : 64u << 20);
	if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) < 0)
		setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	int got = 0;
	socklen_t gl = sizeof(got);
	if (getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0)
		u->st.rcvbuf_bytes = (uint32_t)got;
	if (bind(u->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -errno;
	if (cfg->group) {
		struct ip_mreqn mr = {.imr_multiaddr = group};
		if (cfg->iface && *cfg->iface) {
			struct in_addr ia;
			if (inet_pton(AF_INET, cfg->iface, &ia) == 1)
				mr.imr_address = ia;
			else if (!(mr.imr_ifindex = (int)if_nametoindex(cfg->iface)))
				return -ENODEV;
		}
		if (setsockopt(u->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			return -errno;
	}
	if (cfg->retransmit) {
		rc = tg_rx_parse_addr(cfg->retransmit, &u->retransmit);
		if (rc < 0)
			return rc;
		u->have_retransmit = true;
	}
	return 0;
}

static int setup_buffers(struct rx_uring *u)
{
	/* the ring of buffer descriptors, page aligned as the kernel wants */
	u->br_bytes = (size_t)u->nbufs * sizeof(struct io_uring_buf);
	void *p =
	    mmap(NULL, u->br_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	u->br = p;
	u->bufs_bytes = (size_t)u->nbufs * u->buf_bytes;
	p = mmap(NULL, u->bufs_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		u->bufs = NULL;
		return -ENOMEM;
	}
	u->bufs = p;
	io_uring_buf_ring_init(u->br);
	struct io_uring_buf_reg reg = {
	    .ring_addr = (unsigned long)(uintptr_t)u->br,
	    .ring_entries = u->nbufs,
	    .bgid = RX_BGID,
	};
	int rc = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (rc < 0) {
		munmap(u->br, u->br_bytes);
		u->br = NULL;
		return rc;
	}
	int mask = io_uring_buf_ring_mask(u->nbufs);
	for (uint32_t i = 0; i < u->nbufs; i++)
		io_uring_buf_ring_add(u->br, u->bufs + (size_t)i * u->buf_bytes, u->buf_bytes,
		                      (unsigned short)i, mask, (int)i);
	io_uring_buf_ring_advance(u->br, (int)u->nbufs);
	return 0;
}

int tg_rx_uring_open(const struct tg_rx_uring_config *cfg, struct tg_rx **out)
{
	struct rx_uring *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->rx.ops = &rx_uring_ops;
	u->fd = -1;
	u->nbufs = cfg->buffers ? cfg->buffers : 4096;
	u->buf_bytes = cfg->buffer_bytes ? cfg->buffer_bytes : 2048;
	u->busy_poll = cfg->busy_poll;
	int rc;
	if ((u->nbufs & (u->nbufs - 1)) || u->nbufs > 32768 || u->buf_bytes < 64) {
		rc = -EINVAL;
		goto fail;
	}
	rc = open_socket(u, cfg);
	if (rc < 0)
		goto fail;
	struct io_uring_params p = {0};
	/* One thread submits and reaps. DEFER_TASKRUN: completions are posted
	 * only when we wait, as one batch per wakeup instead of one interrupt
	 * of our task per datagram. Busy polling only peeks, so it needs them
	 * posted eagerly (COOP_TASKRUN). Older kernels: plain setup. */
	p.flags = IORING_SETUP_SINGLE_ISSUER |
	          (cfg->busy_poll ? IORING_SETUP_COOP_TASKRUN : IORING_SETUP_DEFER_TASKRUN);
	unsigned entries = cfg->ring_entries ? cfg->ring_entries : 64;
	rc = io_uring_queue_init_params(entries, &u->ring, &p);
	if (rc == -EINVAL) {
		memset(&p, 0, sizeof(p));
		rc = io_uring_queue_init_params(entries, &u->ring, &p);
	}
	if (rc < 0)
		goto fail;
	u->ring_ok = true;
	rc = setup_buffers(u);
	if (rc < 0)
		goto fail;
	rc = arm(u);
	if (rc < 0)
		goto fail;
	*out = &u->rx;
	return 0;
fail:
	rx_uring_close(&u->rx);
	return rc;
}
