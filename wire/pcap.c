/* pcap.c - classic pcap reader (mmap, either byte order, us or ns stamps)
 * and writer, and the Ethernet/VLAN/IPv4/UDP frame parser and builder.
 * The parser checks every length against the captured bytes before it
 * uses it; frames that give no whole datagram are sorted into one counter
 * each, so a capture's content is accounted for exactly. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wire/pcap.h"

enum frame_kind { F_UDP, F_NOT_IP, F_NOT_UDP, F_FRAG, F_BAD_IP, F_BAD_UDP, F_TRUNC };

static enum frame_kind frame_classify(const uint8_t *f, size_t len, uint32_t linktype,
                                      struct tg_udp_datagram *d)
{
	size_t off = 0;
	d->vlan = 0;
	if (linktype == TG_PCAP_LINK_ETHER) {
		if (len < 14)
			return F_TRUNC;
		uint16_t et = tg_be16(f + 12);
		off = 14;
		for (int tags = 0; (et == 0x8100 || et == 0x88a8) && tags < 2; tags++) {
			if (len < off + 4)
				return F_TRUNC;
			if (tags == 0)
				d->vlan = tg_be16(f + off) & 0x0fff;
			et = tg_be16(f + off + 2);
			off += 4;
		}
		if (et != 0x0800)
			return F_NOT_IP;
	} else if (linktype == TG_PCAP_LINK_SLL) {
		/* Linux cooked capture (tcpdump -i any): 16-byte header,
		 * protocol (ethertype) at offset 14 */
		if (len < 16)
			return F_TRUNC;
		if (tg_be16(f + 14) != 0x0800)
			return F_NOT_IP;
		off = 16;
	} else if (linktype != TG_PCAP_LINK_RAW) {
		return F_NOT_IP;
	}
	const uint8_t *ip = f + off;
	size_t room = len - off;
	if (room < 1)
		return F_TRUNC;
	if (ip[0] >> 4 != 4)
		return linktype == TG_PCAP_LINK_RAW ? F_NOT_IP : F_BAD_IP;
	if (room < 20)
		return F_TRUNC;
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;
	size_t total = tg_be16(ip + 2);
	if (hl < 20 || total < hl)
		return F_BAD_IP;
	if (room < total)
		return F_TRUNC;
	uint16_t frag = tg_be16(ip + 6);
	if (frag & 0x3fff) /* MF flag or a non-zero offset */
		return F_FRAG;
	if (ip[9] != 17)
		return F_NOT_UDP;
	if (total - hl < 8)
		return F_BAD_UDP;
	const uint8_t *udp = ip + hl;
	size_t ulen = tg_be16(udp + 4);
	if (ulen < 8 || ulen > total - hl)
		return F_BAD_UDP;
	d->ttl = ip[8];
	d->src_ip = tg_be32(ip + 12);
	d->dst_ip = tg_be32(ip + 16);
	d->src_port = tg_be16(udp);
	d->dst_port = tg_be16(udp + 2);
	d->payload = udp + 8;
	d->len = ulen - 8;
	return F_UDP;
}

int tg_frame_parse_udp(const uint8_t *frame, size_t len, uint32_t linktype,
                       struct tg_udp_datagram *d)
{
	switch (frame_classify(frame, len, linktype, d)) {
	case F_UDP:
		return 0;
	case F_NOT_IP:
	case F_NOT_UDP:
		return TG_WIRE_ENOTUDP;
	case F_FRAG:
		return TG_WIRE_EFRAG;
	case F_BAD_IP:
	case F_BAD_UDP:
		return TG_WIRE_EFORMAT;
	case F_TRUNC:
	default:
		return TG_WIRE_ETRUNC;
	}
}

#define HOST_BE (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)

/* The file is big-endian when it is swapped on a little-endian host or
 * native on a big-endian one. */
static uint32_t rd32(const struct tg_pcap_reader *r, const uint8_t *p)
{
	return r->swapped != HOST_BE ? tg_be32(p) : tg_le32(p);
}

int tg_pcap_init_mem(struct tg_pcap_reader *r, const void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->base = buf;
	r->p = buf;
	r->end = r->base + len;
	if (len < 24)
		return r->err = TG_WIRE_ETRUNC;
	uint32_t le = tg_le32(r->base), be = tg_be32(r->base);
	if (le == TG_PCAP_MAGIC_US || le == TG_PCAP_MAGIC_NS) {
		r->swapped = HOST_BE;
		r->nanos = le == TG_PCAP_MAGIC_NS;
	} else if (be == TG_PCAP_MAGIC_US || be == TG_PCAP_MAGIC_NS) {
		r->swapped = !HOST_BE;
		r->nanos = be == TG_PCAP_MAGIC_NS;
	} else {
		return r->err = TG_WIRE_EFORMAT;
	}
	r->snaplen = rd32(r, r->base + 16);
	r->linktype = rd32(r, r->base + 20) & 0x0fffffff; /* upper bits: FCS info */
	if (r->linktype != TG_PCAP_LINK_ETHER && r->linktype != TG_PCAP_LINK_RAW &&
	    r->linktype != TG_PCAP_LINK_SLL)
		return r->err = TG_WIRE_EFORMAT;
	r->p = r->base + 24;
	return 0;
}

int tg_pcap_open(struct tg_pcap_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (st.st_size < 24) {
		rc = TG_WIRE_ETRUNC;
		goto out_close;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		rc = -errno;
		goto out_close;
	}
	rc = tg_pcap_init_mem(r, m, (size_t)st.st_size);
	r->map_bytes = (size_t)st.st_size;
	if (rc < 0)
		tg_pcap_close(r);
out_close:
	close(fd);
	return rc;
}

void tg_pcap_close(struct tg_pcap_reader *r)
{
	if (r->map_bytes)
		munmap((void *)(uintptr_t)r->base, r->map_bytes);
	r->map_bytes = 0;
	r->base = r->p = r->end = NULL;
}

int tg_pcap_next(struct tg_pcap_reader *r, struct tg_udp_datagram *d)
{
	while (!r->err) {
		size_t room = (size_t)(r->end - r->p);
		if (room == 0)
			return 0;
		if (room < 16)
			return r->err = TG_WIRE_ETRUNC;
		uint64_t sec = rd32(r, r->p), frac = rd32(r, r->p + 4);
		uint32_t caplen = rd32(r, r->p + 8);
		if (caplen > TG_PCAP_MAX_CAPLEN)
			return r->err = TG_WIRE_EFORMAT;
		if (room - 16 < caplen)
			return r->err = TG_WIRE_ETRUNC;
		const uint8_t *frame = r->p + 16;
		r->p += 16 + (size_t)caplen;
		r->c.frames++;
		switch (frame_classify(frame, caplen, r->linktype, d)) {
		case F_UDP:
			r->c.udp++;
			d->ts_ns = sec * 1000000000u + (r->nanos ? frac : frac * 1000u);
			return 1;
		case F_NOT_IP:
			r->c.not_ip++;
			break;
		case F_NOT_UDP:
			r->c.not_udp++;
			break;
		case F_FRAG:
			r->c.fragments++;
			break;
		case F_BAD_IP:
			r->c.bad_ip++;
			break;
		case F_BAD_UDP:
			r->c.bad_udp++;
			break;
		case F_TRUNC:
			r->c.truncated++;
			break;
		}
	}
	return r->err;
}

static uint16_t ip_checksum(const uint8_t *h, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += tg_be16(h + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int tg_frame_build_udp(const struct tg_udp_datagram *d, uint16_t ip_id, void *buf, size_t cap)
{
	if (d->len > 65507)
		return TG_WIRE_EINVAL;
	size_t n = TG_PCAP_UDP_OVERHEAD + d->len;
	if (cap < n)
		return TG_WIRE_ESPACE;
	uint8_t *f = buf;
	if ((d->dst_ip >> 28) == 0xe) { /* 224.0.0.0/4 -> 01:00:5e + low 23 bits */
		f[0] = 0x01;
		f[1] = 0x00;
		f[2] = 0x5e;
		f[3] = (uint8_t)((d->dst_ip >> 16) & 0x7f);
		f[4] = (uint8_t)(d->dst_ip >> 8);
		f[5] = (uint8_t)d->dst_ip;
	} else {
		memcpy(f, "\x02\x00\x00\x00\x00\x01", 6);
	}
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x02", 6);
	tg_put_be16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	ip[1] = 0;
	tg_put_be16(ip + 2, (uint16_t)(20 + 8 + d->len));
	tg_put_be16(ip + 4, ip_id);
	tg_put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = d->ttl ? d->ttl : 64;
	ip[9] = 17;
	tg_put_be16(ip + 10, 0);
	tg_put_be32(ip + 12, d->src_ip);
	tg_put_be32(ip + 16, d->dst_ip);
	tg_put_be16(ip + 10, ip_checksum(ip, 20));
	uint8_t *udp = ip + 20;
	tg_put_be16(udp, d->src_port);
	tg_put_be16(udp + 2, d->dst_port);
	tg_put_be16(udp + 4, (uint16_t)(8 + d->len));
	tg_put_be16(udp + 6, 0);
	if (d->len)
		memcpy(udp + 8, d->payload, d->len);
	return (int)n;
}

int tg_pcap_writer_open(struct tg_pcap_writer *w, const char *path, bool nanos)
{
	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "wbe");
	if (!w->f)
		return -errno;
	w->nanos = nanos;
	uint8_t h[24];
	tg_put_le32(h, nanos ? TG_PCAP_MAGIC_NS : TG_PCAP_MAGIC_US);
	tg_put_le16(h + 4, 2);
	tg_put_le16(h + 6, 4);
	tg_put_le32(h + 8, 0);
	tg_put_le32(h + 12, 0);
	tg_put_le32(h + 16, 65535);
	tg_put_le32(h + 20, TG_PCAP_LINK_ETHER);
	if (fwrite(h, sizeof(h), 1, w->f) != 1) {
		int rc = -errno;
		fclose(w->f);
		w->f = NULL;
		return rc ? rc : -EIO;
	}
	return 0;
}

int tg_pcap_write_udp(struct tg_pcap_writer *w, const struct tg_udp_datagram *d)
{
	uint8_t rec[16 + TG_PCAP_UDP_OVERHEAD + 65507];
	int n = tg_frame_build_udp(d, w->ip_id, rec + 16, sizeof(rec) - 16);
	if (n < 0)
		return n;
	uint64_t sec = d->ts_ns / 1000000000u, ns = d->ts_ns % 1000000000u;
	tg_put_le32(rec, (uint32_t)sec);
	tg_put_le32(rec + 4, (uint32_t)(w->nanos ? ns : ns / 1000u));
	tg_put_le32(rec + 8, (uint32_t)n);
	tg_put_le32(rec + 12, (uint32_t)n);
	if (fwrite(rec, 16 + (size_t)n, 1, w->f) != 1)
		return errno ? -errno : -EIO;
	w->ip_id++;
	w->frames++;
	w->bytes += 16 + (size_t)n;
	return 0;
}

int tg_pcap_writer_close(struct tg_pcap_writer *w)
{
	if (!w->f)
		return 0;
	int rc = 0;
	if (fflush(w->f) != 0)
		rc = -errno;
	if (fclose(w->f) != 0 && rc == 0)
		rc = -errno;
	w->f = NULL;
	return rc;
}
