/* test_wire_pcap.c - the pcap reader and writer: files written by the
 * writer read back (us and ns), captures of the other byte order, VLAN
 * tags, raw-IP link type, and every kind of frame the reader must skip
 * and count (fragments, non-UDP, bad IHL / lengths, short captures), plus
 * corrupt record headers that end the reading. */
#include <unistd.h>

#include "tests/tg_test.h"
#include "wire/pcap.h"

/* A capture in memory: global header + records, either byte order. */
struct mem_pcap {
	uint8_t b[8192];
	size_t len;
	int be;
};

static void put32(struct mem_pcap *p, uint8_t *at, uint32_t v)
{
	if (p->be)
		tg_put_be32(at, v);
	else
		tg_put_le32(at, v);
}

static void pcap_begin(struct mem_pcap *p, int be, int nanos, uint32_t linktype)
{
	memset(p, 0, sizeof(*p));
	p->be = be;
	put32(p, p->b, nanos ? TG_PCAP_MAGIC_NS : TG_PCAP_MAGIC_US);
	if (be) {
		tg_put_be16(p->b + 4, 2);
		tg_put_be16(p->b + 6, 4);
	} else {
		tg_put_le16(p->b + 4, 2);
		tg_put_le16(p->b + 6, 4);
	}
	put32(p, p->b + 16, 65535);
	put32(p, p->b + 20, linktype);
	p->len = 24;
}

static void pcap_add(struct mem_pcap *p, uint32_t sec, uint32_t frac, const void *frame,
                     size_t caplen, size_t origlen)
{
	uint8_t *r = p->b + p->len;
	put32(p, r, sec);
	put32(p, r + 4, frac);
	put32(p, r + 8, (uint32_t)caplen);
	put32(p, r + 12, (uint32_t)origlen);
	memcpy(r + 16, frame, caplen);
	p->len += 16 + caplen;
}

static struct tg_udp_datagram dgram(const void *payload, size_t len)
{
	struct tg_udp_datagram d;
	memset(&d, 0, sizeof(d));
	d.src_ip = 0x0a000001;
	d.dst_ip = 0xe9360c6f; /* 233.54.12.111 */
	d.src_port = 49653;
	d.dst_port = 26477;
	d.ttl = 7;
	d.payload = payload;
	d.len = len;
	return d;
}

static int frame(const char *payload, uint8_t *f)
{
	struct tg_udp_datagram d = dgram(payload, strlen(payload));
	return tg_frame_build_udp(&d, 0x1234, f, 1600);
}

static void t_frame_build_parse(void)
{
	uint8_t f[1600];
	int n = frame("hello", f);
	TG_CHECK_EQ_I64(n, TG_PCAP_UDP_OVERHEAD + 5);
	/* multicast MAC 01:00:5e:36:0c:6f */
	const uint8_t mac[6] = {0x01, 0x00, 0x5e, 0x36, 0x0c, 0x6f};
	TG_CHECK(memcmp(f, mac, 6) == 0);
	/* IPv4 header checksum verifies to 0 */
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += tg_be16(f + 14 + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	TG_CHECK_EQ_U64(s, 0xffff);
	struct tg_udp_datagram d;
	TG_CHECK_EQ_I64(tg_frame_parse_udp(f, (size_t)n, TG_PCAP_LINK_ETHER, &d), 0);
	TG_CHECK_EQ_U64(d.src_ip, 0x0a000001);
	TG_CHECK_EQ_U64(d.dst_ip, 0xe9360c6f);
	TG_CHECK_EQ_U64(d.src_port, 49653);
	TG_CHECK_EQ_U64(d.dst_port, 26477);
	TG_CHECK_EQ_U64(d.ttl, 7);
	TG_CHECK_EQ_U64(d.vlan, 0);
	TG_CHECK_EQ_U64(d.len, 5);
	TG_CHECK(memcmp(d.payload, "hello", 5) == 0);
	/* raw IP link type: same frame without the Ethernet header */
	TG_CHECK_EQ_I64(tg_frame_parse_udp(f + 14, (size_t)n - 14, TG_PCAP_LINK_RAW, &d), 0);
	TG_CHECK_EQ_U64(d.len, 5);
	/* every truncation of the frame is rejected without overread */
	for (int cut = 0; cut < n; cut++) {
		uint8_t *c = malloc((size_t)cut + 1);
		memcpy(c, f, (size_t)cut);
		TG_CHECK_EQ_I64(tg_frame_parse_udp(c, (size_t)cut, TG_PCAP_LINK_ETHER, &d),
		                TG_WIRE_ETRUNC);
		free(c);
	}
	/* Ethernet padding after the IP packet is ignored */
	TG_CHECK_EQ_I64(tg_frame_parse_udp(f, (size_t)n + 10, TG_PCAP_LINK_ETHER, &d), 0);
	TG_CHECK_EQ_U64(d.len, 5);
	struct tg_udp_datagram big = dgram(f, 65508);
	TG_CHECK_EQ_I64(tg_frame_build_udp(&big, 0, f, sizeof(f)), TG_WIRE_EINVAL);
	big.len = 2000;
	TG_CHECK_EQ_I64(tg_frame_build_udp(&big, 0, f, sizeof(f)), TG_WIRE_ESPACE);
}

static void t_frame_rejects(void)
{
	uint8_t f[1600], g[1600];
	int n = frame("payload!", f);
	struct tg_udp_datagram d;
	/* fragments: MF set, or a non-zero offset */
	memcpy(g, f, (size_t)n);
	g[14 + 6] = 0x20;
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_EFRAG);
	memcpy(g, f, (size_t)n);
	g[14 + 7] = 0x01;
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_EFRAG);
	/* DF alone is fine (the builder sets it) */
	TG_CHECK_EQ_U64(f[14 + 6], 0x40);
	/* TCP */
	memcpy(g, f, (size_t)n);
	g[14 + 9] = 6;
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_ENOTUDP);
	/* ARP / IPv6 ethertypes */
	memcpy(g, f, (size_t)n);
	tg_put_be16(g + 12, 0x0806);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_ENOTUDP);
	tg_put_be16(g + 12, 0x86dd);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_ENOTUDP);
	/* IHL < 5, version 6 under ethertype IPv4, total length < IHL */
	memcpy(g, f, (size_t)n);
	g[14] = 0x44;
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_EFORMAT);
	g[14] = 0x65;
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_EFORMAT);
	memcpy(g, f, (size_t)n);
	tg_put_be16(g + 14 + 2, 19);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_EFORMAT);
	/* total length past the capture */
	memcpy(g, f, (size_t)n);
	tg_put_be16(g + 14 + 2, (uint16_t)(n - 14 + 1));
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_ETRUNC);
	/* IHL 15 (60 bytes) swallows the UDP header */
	memcpy(g, f, (size_t)n);
	g[14] = 0x4f;
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_EFORMAT);
	/* IP options (IHL 6) are skipped correctly */
	uint8_t o[1600];
	memcpy(o, f, 34);
	o[14] = 0x46;
	tg_put_be16(o + 14 + 2, (uint16_t)(n - 14 + 4));
	memset(o + 34, 1, 4);
	memcpy(o + 38, f + 34, (size_t)n - 34);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(o, (size_t)n + 4, TG_PCAP_LINK_ETHER, &d), 0);
	TG_CHECK_EQ_U64(d.len, 8);
	TG_CHECK(memcmp(d.payload, "payload!", 8) == 0);
	/* UDP length < 8 or past the IP payload */
	memcpy(g, f, (size_t)n);
	tg_put_be16(g + 34 + 4, 7);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_EFORMAT);
	tg_put_be16(g + 34 + 4, 17);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), TG_WIRE_EFORMAT);
	/* a shorter UDP length than the IP payload is honoured */
	tg_put_be16(g + 34 + 4, 12);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n, TG_PCAP_LINK_ETHER, &d), 0);
	TG_CHECK_EQ_U64(d.len, 4);
	/* unknown link type */
	TG_CHECK_EQ_I64(tg_frame_parse_udp(f, (size_t)n, 105, &d), TG_WIRE_ENOTUDP);
	/* Linux cooked capture: 16-byte header, protocol at 14 */
	uint8_t sll[1600];
	memset(sll, 0, 16);
	tg_put_be16(sll + 14, 0x0800);
	memcpy(sll + 16, f + 14, (size_t)n - 14);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(sll, (size_t)n + 2, TG_PCAP_LINK_SLL, &d), 0);
	TG_CHECK_EQ_U64(d.len, 8);
	TG_CHECK(memcmp(d.payload, "payload!", 8) == 0);
	tg_put_be16(sll + 14, 0x86dd);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(sll, (size_t)n + 2, TG_PCAP_LINK_SLL, &d),
	                TG_WIRE_ENOTUDP);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(sll, 15, TG_PCAP_LINK_SLL, &d), TG_WIRE_ETRUNC);
}

static void t_vlan(void)
{
	uint8_t f[1600], g[1600];
	int n = frame("vlan", f);
	struct tg_udp_datagram d;
	/* one 802.1Q tag, VLAN 141 (as in the real captures) */
	memcpy(g, f, 12);
	tg_put_be16(g + 12, 0x8100);
	tg_put_be16(g + 14, 0x2000 | 141);
	memcpy(g + 16, f + 12, (size_t)n - 12);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n + 4, TG_PCAP_LINK_ETHER, &d), 0);
	TG_CHECK_EQ_U64(d.vlan, 141);
	TG_CHECK(memcmp(d.payload, "vlan", 4) == 0);
	/* QinQ: 802.1ad outer 100, inner 200 */
	memcpy(g, f, 12);
	tg_put_be16(g + 12, 0x88a8);
	tg_put_be16(g + 14, 100);
	tg_put_be16(g + 16, 0x8100);
	tg_put_be16(g + 18, 200);
	memcpy(g + 20, f + 12, (size_t)n - 12);
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, (size_t)n + 8, TG_PCAP_LINK_ETHER, &d), 0);
	TG_CHECK_EQ_U64(d.vlan, 100);
	TG_CHECK_EQ_U64(d.len, 4);
	/* tag cut short */
	TG_CHECK_EQ_I64(tg_frame_parse_udp(g, 16, TG_PCAP_LINK_ETHER, &d), TG_WIRE_ETRUNC);
}

/* The reader over captures of both byte orders and both resolutions, with
 * one frame of every reject kind between good ones. */
static void t_reader_mixed(void)
{
	for (int be = 0; be < 2; be++) {
		for (int nanos = 0; nanos < 2; nanos++) {
			struct mem_pcap p;
			pcap_begin(&p, be, nanos, TG_PCAP_LINK_ETHER);
			uint8_t f[1600], g[1600];
			int n = frame("one", f);
			pcap_add(&p, 1692711000, nanos ? 59094u : 59u, f, (size_t)n, (size_t)n);
			memcpy(g, f, (size_t)n);
			g[14 + 6] = 0x20; /* fragment */
			pcap_add(&p, 1, 0, g, (size_t)n, (size_t)n);
			memcpy(g, f, (size_t)n);
			g[14 + 9] = 1; /* ICMP */
			pcap_add(&p, 1, 0, g, (size_t)n, (size_t)n);
			memcpy(g, f, (size_t)n);
			tg_put_be16(g + 12, 0x0806); /* ARP */
			pcap_add(&p, 1, 0, g, (size_t)n, (size_t)n);
			memcpy(g, f, (size_t)n);
			g[14] = 0x43; /* bad IHL */
			pcap_add(&p, 1, 0, g, (size_t)n, (size_t)n);
			memcpy(g, f, (size_t)n);
			tg_put_be16(g + 34 + 4, 4); /* bad UDP length */
			pcap_add(&p, 1, 0, g, (size_t)n, (size_t)n);
			pcap_add(&p, 1, 0, f, 30, (size_t)n); /* snapped short */
			n = frame("two", f);
			pcap_add(&p, 1692711001, 999999u, f, (size_t)n, (size_t)n);

			struct tg_pcap_reader r;
			TG_CHECK_EQ_I64(tg_pcap_init_mem(&r, p.b, p.len), 0);
			TG_CHECK_EQ_U64(r.swapped, (unsigned)be);
			TG_CHECK_EQ_U64(r.nanos, (unsigned)nanos);
			struct tg_udp_datagram d;
			TG_CHECK_EQ_I64(tg_pcap_next(&r, &d), 1);
			TG_CHECK(memcmp(d.payload, "one", 3) == 0);
			TG_CHECK_EQ_U64(d.ts_ns, 1692711000000059000ull + (nanos ? 94 : 0));
			TG_CHECK_EQ_I64(tg_pcap_next(&r, &d), 1);
			TG_CHECK(memcmp(d.payload, "two", 3) == 0);
			TG_CHECK_EQ_U64(d.ts_ns, 1692711001000000000ull +
			                             (nanos ? 999999ull : 999999000ull));
			TG_CHECK_EQ_I64(tg_pcap_next(&r, &d), 0);
			TG_CHECK_EQ_I64(tg_pcap_next(&r, &d), 0);
			TG_CHECK_EQ_U64(r.c.frames, 8);
			TG_CHECK_EQ_U64(r.c.udp, 2);
			TG_CHECK_EQ_U64(r.c.fragments, 1);
			TG_CHECK_EQ_U64(r.c.not_udp, 1);
			TG_CHECK_EQ_U64(r.c.not_ip, 1);
			TG_CHECK_EQ_U64(r.c.bad_ip, 1);
			TG_CHECK_EQ_U64(r.c.bad_udp, 1);
			TG_CHECK_EQ_U64(r.c.truncated, 1);
		}
	}
}

static void t_reader_corrupt(void)
{
	struct mem_pcap p;
	struct tg_pcap_reader r;
	struct tg_udp_datagram d;
	uint8_t f[1600];
	int n = frame("x", f);
	/* bad magic, short header, unsupported link type */
	pcap_begin(&p, 0, 0, TG_PCAP_LINK_ETHER);
	p.b[0] ^= 1;
	TG_CHECK_EQ_I64(tg_pcap_init_mem(&r, p.b, p.len), TG_WIRE_EFORMAT);
	pcap_begin(&p, 0, 0, TG_PCAP_LINK_ETHER);
	TG_CHECK_EQ_I64(tg_pcap_init_mem(&r, p.b, 23), TG_WIRE_ETRUNC);
	pcap_begin(&p, 0, 0, 105);
	TG_CHECK_EQ_I64(tg_pcap_init_mem(&r, p.b, p.len), TG_WIRE_EFORMAT);
	/* raw IPv4 link type is read */
	pcap_begin(&p, 1, 1, TG_PCAP_LINK_RAW);
	pcap_add(&p, 5, 6, f + 14, (size_t)n - 14, (size_t)n - 14);
	TG_CHECK_EQ_I64(tg_pcap_init_mem(&r, p.b, p.len), 0);
	TG_CHECK_EQ_I64(tg_pcap_next(&r, &d), 1);
	TG_CHECK_EQ_U64(d.ts_ns, 5000000006ull);
	/* every truncation of a file with two records: whole records come out,
	 * then ETRUNC (or a clean 0 exactly on a record boundary) */
	pcap_begin(&p, 0, 1, TG_PCAP_LINK_ETHER);
	pcap_add(&p, 1, 0, f, (size_t)n, (size_t)n);
	pcap_add(&p, 2, 0, f, (size_t)n, (size_t)n);
	for (size_t cut = 24; cut <= p.len; cut++) {
		uint8_t *c = malloc(cut);
		memcpy(c, p.b, cut);
		TG_CHECK_EQ_I64(tg_pcap_init_mem(&r, c, cut), 0);
		int rc, got = 0;
		while ((rc = tg_pcap_next(&r, &d)) > 0)
			got++;
		size_t rec = 16 + (size_t)n;
		int whole = (int)((cut - 24) / rec);
		TG_CHECK_EQ_I64(got, whole);
		TG_CHECK_EQ_I64(rc, (cut - 24) % rec == 0 ? 0 : TG_WIRE_ETRUNC);
		TG_CHECK_EQ_I64(tg_pcap_next(&r, &d), rc); /* sticky */
		free(c);
	}
	/* an absurd caplen ends the reading */
	pcap_begin(&p, 0, 0, TG_PCAP_LINK_ETHER);
	pcap_add(&p, 1, 0, f, (size_t)n, (size_t)n);
	tg_put_le32(p.b + 24 + 8, 0x7fffffff);
	TG_CHECK_EQ_I64(tg_pcap_init_mem(&r, p.b, p.len), 0);
	TG_CHECK_EQ_I64(tg_pcap_next(&r, &d), TG_WIRE_EFORMAT);
	TG_CHECK_EQ_I64(tg_pcap_open(&r, "/nonexistent.pcap"), -ENOENT);
	tg_pcap_close(&r);
}

/* The writer's files read back through the reader (both resolutions). */
static void t_writer_roundtrip(void)
{
	char path[] = "/tmp/tg-wire-pcap-XXXXXX";
	int fd = mkstemp(path);
	TG_CHECK(fd >= 0);
	close(fd);
	for (int nanos = 0; nanos < 2; nanos++) {
		struct tg_pcap_writer w;
		TG_CHECK_EQ_I64(tg_pcap_writer_open(&w, path, nanos), 0);
		uint8_t payload[1472];
		for (int i = 0; i < 100; i++) {
			for (size_t k = 0; k < sizeof(payload); k++)
				payload[k] = (uint8_t)(k + (size_t)i);
			struct tg_udp_datagram d = dgram(payload, (size_t)(i * 14));
			d.ts_ns = 1692711000000000000ull + (uint64_t)i * 1234567ull;
			d.dst_ip = 0x7f000001;
			TG_CHECK_EQ_I64(tg_pcap_write_udp(&w, &d), 0);
		}
		TG_CHECK_EQ_U64(w.frames, 100);
		TG_CHECK_EQ_I64(tg_pcap_writer_close(&w), 0);
		struct tg_pcap_reader r;
		TG_CHECK_EQ_I64(tg_pcap_open(&r, path), 0);
		TG_CHECK_EQ_U64(r.nanos, (unsigned)nanos);
		struct tg_udp_datagram d;
		int i = 0, rc;
		while ((rc = tg_pcap_next(&r, &d)) > 0) {
			TG_CHECK_EQ_U64(d.len, (size_t)(i * 14));
			uint64_t ts = 1692711000000000000ull + (uint64_t)i * 1234567ull;
			TG_CHECK_EQ_U64(d.ts_ns, nanos ? ts : ts / 1000 * 1000);
			TG_CHECK_EQ_U64(d.dst_ip, 0x7f000001);
			TG_CHECK_EQ_U64(d.src_port, 49653);
			int ok = 1;
			for (size_t k = 0; k < d.len; k++)
				ok &= d.payload[k] == (uint8_t)(k + (size_t)i);
			TG_CHECK(ok);
			i++;
		}
		TG_CHECK_EQ_I64(rc, 0);
		TG_CHECK_EQ_I64(i, 100);
		TG_CHECK_EQ_U64(r.c.frames, 100);
		tg_pcap_close(&r);
	}
	unlink(path);
	struct tg_pcap_writer w;
	TG_CHECK_EQ_I64(tg_pcap_writer_open(&w, "/nonexistent/dir/x.pcap", 1), -ENOENT);
}

int main(void)
{
	tg_test_case("frame_build_parse", t_frame_build_parse);
	tg_test_case("frame_rejects", t_frame_rejects);
	tg_test_case("vlan", t_vlan);
	tg_test_case("reader_mixed", t_reader_mixed);
	tg_test_case("reader_corrupt", t_reader_corrupt);
	tg_test_case("writer_roundtrip", t_writer_roundtrip);
	return tg_test_done();
}
