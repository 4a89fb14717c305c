/* rx.h - the gateway's receive backends behind one interface: io_uring
 * sockets (rx_uring.c), capture/file replay (rx_file.c), and room for
 * kernel bypass (rx_dpdk.c, a later issue: it fills the same ops).
 *
 * A backend hands out bursts of packets that point into its own buffers;
 * the caller decodes them in place and gives the burst back with
 * tg_rx_release_burst (zero copy). A packet is either a MoldUDP64 datagram
 * (TG_RX_MOLD: sockets, pcap, DPDK) or one bare ITCH message (TG_RX_ITCH:
 * a BinaryFILE record), so every input meets the same decode path.
 * Retransmission requests go out through the backend (tg_rx_send) so that
 * the answers come back to the socket/port the feed arrives on.
 *
 * A backend object belongs to one thread. recv_burst and release_burst are
 * hot path (no allocation; a socket backend makes at most one syscall per
 * burst, none when completions are already waiting).
 */
#ifndef TG_GATEWAY_RX_H
#define TG_GATEWAY_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tg_rx_kind {
	TG_RX_MOLD = 1, /* a MoldUDP64 downstream packet */
	TG_RX_ITCH = 2, /* one ITCH 5.0 message without framing */
};

struct tg_rx_pkt {
	const uint8_t *data;
	uint32_t len;
	uint16_t kind;       /* enum tg_rx_kind */
	uint16_t buf_id;     /* backend-private (buffer to give back) */
	uint64_t recv_ts_ns; /* CLOCK_REALTIME at receive (capture time for pcap) */
};

/* Backend statistics (cumulative). Socket backends fill the rx_* fields,
 * file backends the file_* fields. */
struct tg_rx_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t rx_kernel_drops; /* datagrams the socket dropped (SO_MEMINFO) */
	uint64_t rx_truncated;    /* datagrams larger than a buffer: dropped */
	uint64_t rx_no_buffers;   /* multishot stopped because every buffer was in use */
	uint64_t rx_rearms;       /* multishot receive re-armed */
	uint64_t rx_errors;       /* other receive errors */
	uint64_t tx_packets;      /* requests sent */
	uint64_t tx_errors;
	uint64_t file_skipped;   /* capture frames that were not UDP datagrams */
	uint64_t file_len_fixed; /* BinaryFILE zero length prefixes read by type */
	int file_err;            /* sticky reader error, 0 if none */
	uint64_t file_pos_bytes; /* how far into the file the reader is */
	uint64_t file_bytes;     /* the file's size */
	uint32_t rcvbuf_bytes;   /* socket receive buffer actually granted */
};

struct tg_rx;

struct tg_rx_ops {
	const char *name;
	/* Up to `max` packets. Waits up to timeout_ns for the first one
	 * (0 = do not wait). Returns the count (0 on timeout), -ENODATA when
	 * the input has ended (files), or another -errno. */
	int (*recv_burst)(struct tg_rx *rx, struct tg_rx_pkt *pkts, unsigned max,
	                  uint64_t timeout_ns);
	/* Give the buffers of a burst back (every packet of it, once). */
	void (*release_burst)(struct tg_rx *rx, const struct tg_rx_pkt *pkts, unsigned n);
	/* Send one datagram to the retransmission server; -ENOTSUP if the
	 * backend cannot (replay). */
	int (*send)(struct tg_rx *rx, const void *buf, size_t len);
	void (*stats)(struct tg_rx *rx, struct tg_rx_stats *out);
	void (*close)(struct tg_rx *rx);
};

struct tg_rx {
	const struct tg_rx_ops *ops;
};

static inline int tg_rx_recv_burst(struct tg_rx *rx, struct tg_rx_pkt *pkts, unsigned max,
                                   uint64_t timeout_ns)
{
	return rx->ops->recv_burst(rx, pkts, max, timeout_ns);
}
static inline void tg_rx_release_burst(struct tg_rx *rx, const struct tg_rx_pkt *pkts, unsigned n)
{
	rx->ops->release_burst(rx, pkts, n);
}
static inline int tg_rx_send(struct tg_rx *rx, const void *buf, size_t len)
{
	return rx->ops->send(rx, buf, len);
}
static inline void tg_rx_stats(struct tg_rx *rx, struct tg_rx_stats *out)
{
	rx->ops->stats(rx, out);
}
static inline void tg_rx_close(struct tg_rx *rx)
{
	if (rx)
		rx->ops->close(rx);
}

/* ---- io_uring sockets (rx_uring.c) ------------------------------------ */

struct tg_rx_uring_config {
	const char *listen;     /* "ADDR:PORT" to bind (ADDR may be 0.0.0.0) */
	const char *group;      /* multicast group to join, or NULL */
	const char *iface;      /* interface name or IPv4 address for the join */
	const char *retransmit; /* "ADDR:PORT" of the retransmission server, or NULL */
	uint32_t rcvbuf_bytes;  /* socket receive buffer wanted (default 64 MiB) */
	uint32_t buffers;       /* provided buffers, power of two (default 4096) */
	uint32_t buffer_bytes;  /* bytes per buffer = largest datagram (default 2048) */
	uint32_t ring_entries;  /* io_uring queue depth (default 64) */
	bool busy_poll;         /* spin on the completion queue instead of sleeping */
};

/* Open a UDP socket as configured, set up an io_uring with a provided
 * buffer ring (mmapped here and registered with io_uring_register_buf_ring)
 * and arm one multishot recv. Errors: -EINVAL bad address, -ENOSYS /
 * -EPERM io_uring unavailable, other -errno from the system. Not hot path. */
int tg_rx_uring_open(const struct tg_rx_uring_config *cfg, struct tg_rx **out);
/* The local port bound (useful with port 0). */
int tg_rx_uring_port(const struct tg_rx *rx);

/* ---- files (rx_file.c) ---------------------------------------------- */

/* Open a pcap capture (UDP payloads are MoldUDP64 packets) or an ITCH
 * BinaryFILE (records are ITCH messages), chosen by the file's magic.
 * Errors from the system or wire/ (e.g. -EPROTO bad pcap header). */
int tg_rx_file_open(const char *path, struct tg_rx **out);

/* Parse "A.B.C.D:PORT" (or ":PORT", "PORT") into a sockaddr_in. */
struct sockaddr_in;
int tg_rx_parse_addr(const char *s, struct sockaddr_in *out);

#endif
