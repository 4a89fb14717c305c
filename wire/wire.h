/* wire.h - what every codec in wire/ shares: big-endian and little-endian
 * loads/stores of exact widths, and the error codes with their reasons.
 *
 * wire/ is pure: no allocation on decode paths, no I/O except the file
 * readers/writers (binfile.h, pcap.h), no printing, no global state. Every
 * decoder takes (buffer, length) and never reads outside it.
 *
 * Errors are negative errno values, one meaning each across wire/ so a
 * caller can count rejects by reason (tg_wire_err_index) and print one line
 * (tg_wire_strerror):
 *   TG_WIRE_ETRUNC  -ENODATA          buffer ends before the message/packet does
 *   TG_WIRE_ELEN    -EBADMSG          a length field disagrees with the type
 *   TG_WIRE_ETYPE   -EPROTONOSUPPORT  unknown message type
 *   TG_WIRE_EEMPTY  -ENOMSG           zero-length message
 *   TG_WIRE_ESPACE  -ENOSPC           output buffer (or packet MTU) too small
 *   TG_WIRE_EFORMAT -EPROTO           bad header field (magic, version, IHL...)
 *   TG_WIRE_EFRAG   -EMSGSIZE         IPv4 fragment (reassembly unsupported)
 *   TG_WIRE_ENOTUDP -EPFNOSUPPORT     frame is not Ethernet/IPv4/UDP
 *   TG_WIRE_ETRAIL  -EOVERFLOW        bytes left over after the last message
 *   TG_WIRE_EINVAL  -EINVAL           bad argument from the caller
 */
#ifndef TG_WIRE_H
#define TG_WIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TG_WIRE_ETRUNC  (-ENODATA)
#define TG_WIRE_ELEN    (-EBADMSG)
#define TG_WIRE_ETYPE   (-EPROTONOSUPPORT)
#define TG_WIRE_EEMPTY  (-ENOMSG)
#define TG_WIRE_ESPACE  (-ENOSPC)
#define TG_WIRE_EFORMAT (-EPROTO)
#define TG_WIRE_EFRAG   (-EMSGSIZE)
#define TG_WIRE_ENOTUDP (-EPFNOSUPPORT)
#define TG_WIRE_ETRAIL  (-EOVERFLOW)
#define TG_WIRE_EINVAL  (-EINVAL)

/* Number of distinct wire error reasons (for per-reason counter arrays). */
#define TG_WIRE_NERR 11

/* One-line reason for an error returned by wire/ (any -errno accepted;
 * never NULL). Thread-safe. */
const char *tg_wire_strerror(int err);

/* Counter index for an error: 1..TG_WIRE_NERR-1 for the codes above, 0 for
 * anything else. Thread-safe, hot path. */
unsigned tg_wire_err_index(int err);

/* Short name of counter index i ("truncated", "length", ...). */
const char *tg_wire_err_name(unsigned i);

/* ---- byte order: unaligned, exact width ------------------------------- */

static inline uint16_t tg_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}
static inline uint32_t tg_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
/* ITCH timestamps: 6 bytes, nanoseconds since midnight. */
static inline uint64_t tg_be48(const uint8_t *p)
{
	return (uint64_t)tg_be16(p) << 32 | tg_be32(p + 2);
}
static inline uint64_t tg_be64(const uint8_t *p)
{
	return (uint64_t)tg_be32(p) << 32 | tg_be32(p + 4);
}
static inline void tg_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void tg_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void tg_put_be48(uint8_t *p, uint64_t v)
{
	tg_put_be16(p, (uint16_t)(v >> 32));
	tg_put_be32(p + 2, (uint32_t)v);
}
static inline void tg_put_be64(uint8_t *p, uint64_t v)
{
	tg_put_be32(p, (uint32_t)(v >> 32));
	tg_put_be32(p + 4, (uint32_t)v);
}

static inline uint16_t tg_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}
static inline uint32_t tg_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t tg_le64(const uint8_t *p)
{
	return tg_le32(p) | (uint64_t)tg_le32(p + 4) << 32;
}
static inline void tg_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void tg_put_le32(uint8_t *p, uint32_t v)
{
	tg_put_le16(p, (uint16_t)v);
	tg_put_le16(p + 2, (uint16_t)(v >> 16));
}
static inline void tg_put_le64(uint8_t *p, uint64_t v)
{
	tg_put_le32(p, (uint32_t)v);
	tg_put_le32(p + 4, (uint32_t)(v >> 32));
}

#endif
