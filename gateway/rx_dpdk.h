/* rx_dpdk.h - the kernel-bypass receive backend: DPDK poll-mode drivers
 * (a real NIC, or a virtual device such as net_pcap / net_af_packet) behind
 * the same tg_rx interface as io_uring and files (gateway/rx.h).
 *
 * Built only when pkg-config finds libdpdk (TG_HAVE_DPDK); elsewhere
 * tg_rx_dpdk_open() returns -ENOTSUP so the command can say so.
 */
#ifndef TG_GATEWAY_RX_DPDK_H
#define TG_GATEWAY_RX_DPDK_H

#include <stdint.h>

#include "gateway/rx.h"

struct tg_rx_dpdk_config {
	/* EAL arguments, space separated, e.g. "--no-huge --no-pci --no-shconf
	 * -l 1 --vdev=net_pcap0,rx_pcap=FILE". argv[0] is supplied here. */
	const char *eal_args;
	uint16_t port;          /* ethdev port id (default 0) */
	uint16_t rx_desc;       /* receive descriptors (default 1024) */
	uint32_t mbufs;         /* mbuf pool size (default 8191) */
	uint32_t dst_ip;        /* keep only datagrams to this IPv4 address (host
				  order), e.g. the multicast group; 0 = any */
	uint16_t dst_port;      /* keep only this UDP destination port; 0 = any */
	const char *retransmit; /* "ADDR:PORT" for gap requests (plain UDP socket) */
	/* With a finite source (a pcap vdev) the port never says "end"; after
	 * the first packet, this long without one is the end of input
	 * (-ENODATA). 0 = never. */
	uint64_t idle_end_ns;
};

/* Counters beyond struct tg_rx_stats. */
struct tg_rx_dpdk_stats {
	uint64_t frames;      /* mbufs received from the port */
	uint64_t not_udp;     /* not IPv4/UDP (ARP, IPv6, other protocols) */
	uint64_t fragments;   /* IPv4 fragments (no reassembly): rejected */
	uint64_t bad_header;  /* malformed or truncated IPv4/UDP headers */
	uint64_t filtered;    /* UDP to another group or port */
	uint64_t multi_seg;   /* chained mbufs: rejected */
	uint64_t port_missed; /* rte_eth_stats imissed (NIC drops) */
	uint64_t port_nombuf; /* rte_eth_stats rx_nombuf */
};

/* Initialise EAL (once per process), set up the port with one receive
 * queue and an mbuf pool, start it. Errors: -ENOTSUP without DPDK,
 * -EINVAL bad arguments, -ENODEV no such port, -EALREADY EAL already used
 * by an earlier open in this process, other -errno. Not hot path. */
int tg_rx_dpdk_open(const struct tg_rx_dpdk_config *cfg, struct tg_rx **out);
void tg_rx_dpdk_stats(struct tg_rx *rx, struct tg_rx_dpdk_stats *out);
/* A human-readable reason for the last open failure (EAL's own message is
 * on stderr already). */
const char *tg_rx_dpdk_last_error(void);

#endif
