/* rx_dpdk.c - DPDK receive backend: rte_eth_rx_burst on the calling (EAL
 * main, pinned with -l) lcore, Ethernet / VLAN / IPv4 / UDP parsed in place
 * with wire/'s frame parser, filtered by destination group and port, then
 * handed to the gateway's ordinary MoldUDP64 path as zero-copy packets.
 * Everything that is not a wanted datagram is counted and freed at once.
 * Retransmission requests leave through an ordinary UDP socket: the
 * request path is rare and needs no bypass.
 */
#include "gateway/rx_dpdk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef TG_HAVE_DPDK

int tg_rx_dpdk_open(const struct tg_rx_dpdk_config *cfg, struct tg_rx **out)
{
	(void)cfg;
	*out = NULL;
	return -ENOTSUP;
}

void tg_rx_dpdk_stats(struct tg_rx *rx, struct tg_rx_dpdk_stats *out)
{
	(void)rx;
	memset(out, 0, sizeof(*out));
}

const char *tg_rx_dpdk_last_error(void)
{
	return "this tickguard was built without DPDK (install libdpdk-dev and rebuild)";
}

#else

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/tg_common.h"
#include "wire/pcap.h"

#define DPDK_BURST   64
#define DPDK_MAXARGS 64

struct rx_dpdk {
	struct tg_rx base;
	uint16_t port;
	uint32_t dst_ip;
	uint16_t dst_port;
	uint64_t idle_end_ns;
	uint64_t last_pkt_ns; /* monotonic; 0 until the first packet */
	struct rte_mempool *pool;
	int tx_fd;
	struct sockaddr_in tx_addr;
	bool tx_ok;
	uint16_t tx_port; /* local port of the request socket: answers come here */
	/* mbufs handed out in the current burst, indexed by tg_rx_pkt.buf_id */
	struct rte_mbuf *held[DPDK_BURST];
	struct tg_rx_stats st;
	struct tg_rx_dpdk_stats dst;
};

/* EAL can be initialised once per process; remember that it was. */
static atomic_bool eal_used;
static char last_error[160];

const char *tg_rx_dpdk_last_error(void)
{
	return last_error[0] ? last_error : "no error";
}

static int dpdk_recv_burst(struct tg_rx *rx, struct tg_rx_pkt *pkts, unsigned max,
                           uint64_t timeout_ns)
{
	struct rx_dpdk *d = (struct rx_dpdk *)rx;
	struct rte_mbuf *m[DPDK_BURST];
	if (max > DPDK_BURST)
		max = DPDK_BURST;
	uint64_t start = 0;
	for (;;) {
		uint16_t n = rte_eth_rx_burst(d->port, 0, m, (uint16_t)max);
		uint64_t now_rt = 0;
		unsigned out = 0;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *mb = m[i];
			struct tg_udp_datagram dg;
			d->dst.frames++;
			if (mb->nb_segs != 1) {
				d->dst.multi_seg++;
				rte_pktmbuf_free(mb);
				continue;
			}
			int rc =
			    tg_frame_parse_udp(rte_pktmbuf_mtod(mb, const uint8_t *),
			                       rte_pktmbuf_data_len(mb), TG_PCAP_LINK_ETHER, &dg);
			if (rc < 0) {
				if (rc == TG_WIRE_ENOTUDP)
					d->dst.not_udp++;
				else if (rc == TG_WIRE_EFRAG)
					d->dst.fragments++;
				else
					d->dst.bad_header++;
				rte_pktmbuf_free(mb);
				continue;
			}
			/* the feed (group, port), or a retransmission answer,
			 * which the server sends to our request socket */
			bool feed = (!d->dst_ip || dg.dst_ip == d->dst_ip) &&
			            (!d->dst_port || dg.dst_port == d->dst_port);
			bool answer = d->tx_port && dg.dst_port == d->tx_port;
			if (!feed && !answer) {
				d->dst.filtered++;
				rte_pktmbuf_free(mb);
				continue;
			}
			if (!now_rt)
				now_rt = tg_realtime_ns();
			d->held[out] = mb;
			pkts[out].data = dg.payload;
			pkts[out].len = (uint32_t)dg.len;
			pkts[out].kind = TG_RX_MOLD;
			pkts[out].buf_id = (uint16_t)out;
			pkts[out].recv_ts_ns = now_rt;
			d->st.packets++;
			d->st.bytes += dg.len;
			out++;
		}
		uint64_t now = tg_monotonic_ns();
		if (out) {
			d->last_pkt_ns = now;
			return (int)out;
		}
		if (d->idle_end_ns && d->last_pkt_ns && now - d->last_pkt_ns >= d->idle_end_ns)
			return -ENODATA;
		if (!start)
			start = now;
		if (now - start >= timeout_ns)
			return 0;
	}
}

static void dpdk_release_burst(struct tg_rx *rx, const struct tg_rx_pkt *pkts, unsigned n)
{
	struct rx_dpdk *d = (struct rx_dpdk *)rx;
	for (unsigned i = 0; i < n; i++) {
		uint16_t id = pkts[i].buf_id;
		if (id < DPDK_BURST && d->held[id]) {
			rte_pktmbuf_free(d->held[id]);
			d->held[id] = NULL;
		}
	}
}

static int dpdk_send(struct tg_rx *rx, const void *buf, size_t len)
{
	struct rx_dpdk *d = (struct rx_dpdk *)rx;
	if (!d->tx_ok)
		return -ENOTSUP;
	ssize_t r =
	    sendto(d->tx_fd, buf, len, 0, (const struct sockaddr *)&d->tx_addr, sizeof(d->tx_addr));
	if (r < 0) {
		d->st.tx_errors++;
		return -errno;
	}
	d->st.tx_packets++;
	return 0;
}

static void dpdk_port_stats(struct rx_dpdk *d)
{
	struct rte_eth_stats es;
	if (rte_eth_stats_get(d->port, &es) == 0) {
		d->dst.port_missed = es.imissed;
		d->dst.port_nombuf = es.rx_nombuf;
		d->st.rx_kernel_drops = es.imissed; /* the NIC's drops play the kernel's role */
		d->st.rx_no_buffers = es.rx_nombuf;
		d->st.rx_errors = es.ierrors;
	}
}

static void dpdk_stats(struct tg_rx *rx, struct tg_rx_stats *out)
{
	struct rx_dpdk *d = (struct rx_dpdk *)rx;
	dpdk_port_stats(d);
	*out = d->st;
	out->file_skipped = d->dst.not_udp + d->dst.fragments + d->dst.bad_header +
	                    d->dst.filtered + d->dst.multi_seg;
}

void tg_rx_dpdk_stats(struct tg_rx *rx, struct tg_rx_dpdk_stats *out)
{
	struct rx_dpdk *d = (struct rx_dpdk *)rx;
	dpdk_port_stats(d);
	*out = d->dst;
}

static void dpdk_close(struct tg_rx *rx)
{
	struct rx_dpdk *d = (struct rx_dpdk *)rx;
	for (unsigned i = 0; i < DPDK_BURST; i++)
		if (d->held[i])
			rte_pktmbuf_free(d->held[i]);
	rte_eth_dev_stop(d->port);
	rte_eth_dev_close(d->port);
	if (d->pool)
		rte_mempool_free(d->pool);
	if (d->tx_fd >= 0)
		close(d->tx_fd);
	free(d);
	/* EAL stays initialised: DPDK cannot be re-initialised in one process. */
}

static const struct tg_rx_ops dpdk_ops = {
    .name = "dpdk",
    .recv_burst = dpdk_recv_burst,
    .release_burst = dpdk_release_burst,
    .send = dpdk_send,
    .stats = dpdk_stats,
    .close = dpdk_close,
};

/* Split "a b c" into argv (in place in `buf`); argv[0] = "tickguard". */
static int split_args(char *buf, char **argv, int max)
{
	int argc = 0;
	argv[argc++] = (char *)"tickguard";
	for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (argc >= max - 1)
			return -E2BIG;
		argv[argc++] = t;
	}
	argv[argc] = NULL;
	return argc;
}

int tg_rx_dpdk_open(const struct tg_rx_dpdk_config *cfg, struct tg_rx **out)
{
	static const struct rte_eth_conf port_conf; /* defaults: no offloads, no RSS */
	char *argbuf = NULL;
	struct rx_dpdk *d = NULL;
	char *argv[DPDK_MAXARGS + 1];
	int rc;

	*out = NULL;
	last_error[0] = 0;
	if (atomic_exchange(&eal_used, true)) {
		snprintf(last_error, sizeof(last_error),
		         "DPDK EAL can be initialised once per process");
		return -EALREADY;
	}
	argbuf = strdup(cfg->eal_args ? cfg->eal_args : "");
	if (!argbuf)
		return -ENOMEM;
	int argc = split_args(argbuf, argv, DPDK_MAXARGS);
	if (argc < 0) {
		rc = argc;
		snprintf(last_error, sizeof(last_error), "too many EAL arguments");
		goto out_args;
	}
	if (rte_eal_init(argc, argv) < 0) {
		rc = rte_errno ? -rte_errno : -EINVAL;
		snprintf(last_error, sizeof(last_error), "EAL init failed: %s",
		         rte_strerror(rte_errno));
		goto out_args;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		rc = -ENOMEM;
		goto out_args;
	}
	d->base.ops = &dpdk_ops;
	d->port = cfg->port;
	d->dst_ip = cfg->dst_ip;
	d->dst_port = cfg->dst_port;
	d->idle_end_ns = cfg->idle_end_ns;
	d->tx_fd = -1;
	if (!rte_eth_dev_is_valid_port(d->port)) {
		rc = -ENODEV;
		snprintf(last_error, sizeof(last_error),
		         "no DPDK port %u (%u available): give a NIC or a --vdev", d->port,
		         rte_eth_dev_count_avail());
		goto out_free;
	}
	int numa = rte_eth_dev_socket_id(d->port);
	if (numa < 0)
		numa = 0;
	d->pool = rte_pktmbuf_pool_create("tg_rx_pool", cfg->mbufs ? cfg->mbufs : 8191, 256, 0,
	                                  RTE_MBUF_DEFAULT_BUF_SIZE, numa);
	if (!d->pool) {
		rc = -rte_errno;
		snprintf(last_error, sizeof(last_error), "mbuf pool: %s", rte_strerror(rte_errno));
		goto out_free;
	}
	/* one tx queue too: some PMDs refuse to start without one */
	rc = rte_eth_dev_configure(d->port, 1, 1, &port_conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(d->port, 0, cfg->rx_desc ? cfg->rx_desc : 1024,
		                            (unsigned)numa, NULL, d->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(d->port, 0, 64, (unsigned)numa, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(d->port);
	if (rc < 0) {
		snprintf(last_error, sizeof(last_error), "port %u setup: %s", d->port,
		         rte_strerror(-rc));
		goto out_pool;
	}
	rte_eth_promiscuous_enable(d->port); /* multicast MACs; failure is harmless */
	if (cfg->retransmit) {
		rc = tg_rx_parse_addr(cfg->retransmit, &d->tx_addr);
		if (rc < 0) {
			snprintf(last_error, sizeof(last_error), "bad --retransmit address");
			goto out_port;
		}
		d->tx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (d->tx_fd < 0) {
			rc = -errno;
			goto out_port;
		}
		struct sockaddr_in local = {.sin_family = AF_INET};
		socklen_t ll = sizeof(local);
		if (bind(d->tx_fd, (const struct sockaddr *)&local, sizeof(local)) < 0 ||
		    getsockname(d->tx_fd, (struct sockaddr *)&local, &ll) < 0) {
			rc = -errno;
			close(d->tx_fd);
			goto out_port;
		}
		d->tx_port = ntohs(local.sin_port);
		d->tx_ok = true;
	}
	free(argbuf);
	*out = &d->base;
	return 0;

out_port:
	rte_eth_dev_stop(d->port);
	rte_eth_dev_close(d->port);
out_pool:
	rte_mempool_free(d->pool);
out_free:
	free(d);
out_args:
	free(argbuf);
	return rc;
}

#endif
