/* pcap.h - classic libpcap capture files: a reader that yields the UDP
 * datagrams of Ethernet / 802.1Q VLAN / IPv4 / UDP frames with their
 * timestamps and addresses, and a writer that wraps UDP payloads in such
 * frames (feedsim's pcap output).
 *
 * File format (https://wiki.wireshark.org/Development/LibpcapFileFormat):
 *   global header 24 bytes: magic(4) major(2) minor(2) thiszone(4)
 *     sigfigs(4) snaplen(4) linktype(4)
 *   magic 0xa1b2c3d4 = microsecond timestamps, 0xa1b23c4d = nanosecond; read
 *     byte-swapped it means the file was written on the other byte order.
 *   per record 16 bytes: ts_sec(4) ts_frac(4) caplen(4) origlen(4), then
 *     caplen bytes of frame.
 * Link types read: 1 Ethernet (optionally one or two 802.1Q/802.1ad tags),
 * 101 raw IPv4, 113 Linux cooked (tcpdump -i any). The writer always writes little-endian,
 * nanosecond magic (or microsecond if asked) and Ethernet.
 *
 * The reader skips, and counts, every frame that does not yield a whole
 * UDP datagram: non-IPv4, non-UDP, IPv4 fragments (no reassembly), bad IHL
 * or total length, UDP length past the IP payload, truncated captures
 * (caplen < the frame's lengths). A corrupt record header (caplen larger
 * than the remaining file or than 256 KiB) ends the reading with
 * TG_WIRE_ETRUNC / TG_WIRE_EFORMAT: record boundaries are lost.
 *
 * A reader or writer is used by one thread at a time.
 */
#ifndef TG_WIRE_PCAP_H
#define TG_WIRE_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wire/wire.h"

#define TG_PCAP_MAGIC_US     0xa1b2c3d4u
#define TG_PCAP_MAGIC_NS     0xa1b23c4du
#define TG_PCAP_LINK_ETHER   1
#define TG_PCAP_LINK_RAW     101
#define TG_PCAP_LINK_SLL     113 /* Linux cooked capture v1 */
#define TG_PCAP_MAX_CAPLEN   (256u * 1024u)
#define TG_PCAP_UDP_OVERHEAD 42 /* Ethernet 14 + IPv4 20 + UDP 8 */

/* One UDP datagram. Addresses and ports are in host byte order
 * (0x7f000001 is 127.0.0.1). */
struct tg_udp_datagram {
	uint64_t ts_ns; /* capture time, ns since the Unix epoch */
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t vlan; /* outer VLAN id, 0 if untagged */
	uint8_t ttl;
	const uint8_t *payload; /* points into the capture/frame */
	size_t len;
};

/* Reader counters: every frame lands in exactly one of udp .. truncated. */
struct tg_pcap_counters {
	uint64_t frames;    /* records read */
	uint64_t udp;       /* datagrams returned */
	uint64_t not_ip;    /* not IPv4 (ARP, IPv6, ...) */
	uint64_t not_udp;   /* IPv4 but another protocol */
	uint64_t fragments; /* IPv4 fragments, rejected */
	uint64_t bad_ip;    /* bad version, IHL or total length */
	uint64_t bad_udp;   /* UDP length < 8 or past the IP payload */
	uint64_t truncated; /* caplen shorter than the headers say */
};

struct tg_pcap_reader {
	const uint8_t *base;
	const uint8_t *p;
	const uint8_t *end;
	size_t map_bytes; /* > 0 when base is an mmap we own */
	bool swapped;     /* file byte order differs from ours */
	bool nanos;       /* nanosecond timestamps */
	uint32_t linktype;
	uint32_t snaplen;
	int err; /* sticky error, 0 if none */
	struct tg_pcap_counters c;
};

/* Open and map a file read-only and check its global header. 0, -errno
 * from the system, TG_WIRE_ETRUNC (shorter than 24 bytes), TG_WIRE_EFORMAT
 * (bad magic or unsupported link type). Not hot path. */
int tg_pcap_open(struct tg_pcap_reader *r, const char *path);
/* Same over memory the caller keeps alive. */
int tg_pcap_init_mem(struct tg_pcap_reader *r, const void *buf, size_t len);
/* Unmap; safe on a zeroed struct and twice. */
void tg_pcap_close(struct tg_pcap_reader *r);

/* Next UDP datagram: 1 with *d filled, 0 at a clean end of file, or a
 * sticky error (TG_WIRE_ETRUNC: the file ends inside a record;
 * TG_WIRE_EFORMAT: caplen > TG_PCAP_MAX_CAPLEN). Frames that are not UDP
 * are skipped and counted. No syscalls. */
int tg_pcap_next(struct tg_pcap_reader *r, struct tg_udp_datagram *d);

/* Parse one frame of link type `linktype`. 0 with *d filled (ts_ns left
 * untouched); TG_WIRE_ENOTUDP (not IPv4/UDP), TG_WIRE_EFRAG,
 * TG_WIRE_EFORMAT (bad IPv4/UDP header), TG_WIRE_ETRUNC (frame shorter
 * than its headers). Pure; usable on frames from AF_PACKET or DPDK too. */
int tg_frame_parse_udp(const uint8_t *frame, size_t len, uint32_t linktype,
                       struct tg_udp_datagram *d);

/* Build an Ethernet/IPv4/UDP frame around d->payload into buf (IPv4 header
 * checksum set, UDP checksum 0 = none, DF set, TTL d->ttl or 64 if 0,
 * IP id `ip_id`; destination MAC is the IPv4 multicast MAC for a multicast
 * destination, else a fixed locally administered one). Returns the frame
 * length, TG_WIRE_ESPACE, or TG_WIRE_EINVAL (payload > 65507 bytes). */
int tg_frame_build_udp(const struct tg_udp_datagram *d, uint16_t ip_id, void *buf, size_t cap);

struct tg_pcap_writer {
	FILE *f;
	bool nanos;
	uint16_t ip_id;
	uint64_t frames;
	uint64_t bytes;
};

/* Create (truncate) `path` and write the global header: nanosecond
 * timestamps if `nanos`, else microseconds. 0 or -errno. */
int tg_pcap_writer_open(struct tg_pcap_writer *w, const char *path, bool nanos);
/* Append one datagram as an Ethernet frame (d->ts_ns is the record time).
 * 0, TG_WIRE_EINVAL (payload too big) or -errno (I/O). Buffered stdio. */
int tg_pcap_write_udp(struct tg_pcap_writer *w, const struct tg_udp_datagram *d);
/* Flush and close; 0 or -errno of the first failure. */
int tg_pcap_writer_close(struct tg_pcap_writer *w);

#endif
