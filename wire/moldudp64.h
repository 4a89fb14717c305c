/* moldudp64.h - NASDAQ MoldUDP64 1.0: the downstream packet (a header and
 * length-prefixed message blocks), heartbeats, end of session, request
 * packets for retransmission, and a packet builder.
 *
 * Downstream packet (all big-endian):
 *   0  session(10)        alphanumeric, space padded
 *   10 sequence(8)        sequence number of the first message
 *   18 message_count(2)   0 = heartbeat, 0xFFFF = end of session
 *   20 message blocks:    length(2) + message(length), message_count times
 * Sequence numbers count messages, from 1; a packet with count n carries
 * messages seq .. seq+n-1. A heartbeat and an end of session carry no
 * blocks; their sequence is the next expected one.
 * Request packet (client -> retransmit server), 20 bytes:
 *   session(10) sequence(8) requested_message_count(2)
 *
 * All functions are pure and thread-safe; the walker and builder keep their
 * state in the caller's struct. Decoding never reads past the packet.
 */
#ifndef TG_WIRE_MOLDUDP64_H
#define TG_WIRE_MOLDUDP64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define TG_MOLD_SESSION_LEN    10
#define TG_MOLD_HDR_BYTES      20
#define TG_MOLD_REQUEST_BYTES  20
#define TG_MOLD_HEARTBEAT      0
#define TG_MOLD_END_OF_SESSION 0xFFFFu
#define TG_MOLD_MAX_COUNT      0xFFFEu /* most messages one packet can claim */
/* A UDP payload that fits one 1500-byte Ethernet MTU (IPv4 20 + UDP 8). */
#define TG_MOLD_MTU_PAYLOAD 1472

struct tg_mold_header {
	char session[TG_MOLD_SESSION_LEN]; /* raw bytes, not terminated */
	uint64_t seq;
	uint16_t count;
};

static inline bool tg_mold_is_heartbeat(const struct tg_mold_header *h)
{
	return h->count == TG_MOLD_HEARTBEAT;
}
static inline bool tg_mold_is_end(const struct tg_mold_header *h)
{
	return h->count == TG_MOLD_END_OF_SESSION;
}
/* Number of messages the packet carries (0 for heartbeat and end). */
static inline uint16_t tg_mold_msg_count(const struct tg_mold_header *h)
{
	return h->count == TG_MOLD_END_OF_SESSION ? 0 : h->count;
}

/* Decode the 20-byte header. 0 or TG_WIRE_ETRUNC. Hot path. */
int tg_mold_header_decode(const void *pkt, size_t len, struct tg_mold_header *h);
/* Encode the header into buf. Returns 20 or TG_WIRE_ESPACE. */
int tg_mold_header_encode(const struct tg_mold_header *h, void *buf, size_t cap);

/* Walk the message blocks of a downstream packet:
 *
 *   struct tg_mold_walk w; struct tg_mold_header h;
 *   int rc = tg_mold_walk_init(&w, pkt, len, &h);   // 0 or error
 *   const uint8_t *msg; uint16_t mlen; uint64_t seq;
 *   while ((rc = tg_mold_walk_next(&w, &msg, &mlen, &seq)) > 0)
 *           handle(msg, mlen, seq);
 *   // rc == 0: all count messages seen and nothing left over; rc < 0: the
 *   // packet is malformed from this point (messages already returned are
 *   // intact and may be used; the rest are lost - count them).
 *
 * Init errors: TG_WIRE_ETRUNC (shorter than a header), TG_WIRE_ETRAIL
 * (heartbeat / end of session with bytes after the header). next errors:
 * TG_WIRE_ETRUNC (a length prefix or message runs past the packet),
 * TG_WIRE_ETRAIL (bytes after the last of count messages). A zero-length
 * block is returned as is (mlen 0); the ITCH decoder rejects it. */
struct tg_mold_walk {
	const uint8_t *p;
	const uint8_t *end;
	uint64_t next_seq; /* sequence of the next block */
	uint16_t left;     /* blocks still to return */
	int err;           /* sticky error, 0 if none */
};
int tg_mold_walk_init(struct tg_mold_walk *w, const void *pkt, size_t len,
                      struct tg_mold_header *h);
/* Returns 1 with the next message, 0 at a clean end, or an error (sticky:
 * later calls return it again). Hot path. */
int tg_mold_walk_next(struct tg_mold_walk *w, const uint8_t **msg, uint16_t *len, uint64_t *seq);
/* Blocks not returned (lost if the walk ended in an error). */
static inline uint16_t tg_mold_walk_left(const struct tg_mold_walk *w)
{
	return w->left;
}

/* Request packet: ask for `count` messages starting at `seq`. */
struct tg_mold_request {
	char session[TG_MOLD_SESSION_LEN];
	uint64_t seq;
	uint16_t count;
};
/* Returns 20 or TG_WIRE_ESPACE. */
int tg_mold_request_encode(const struct tg_mold_request *r, void *buf, size_t cap);
/* 0, TG_WIRE_ETRUNC (short) or TG_WIRE_ETRAIL (longer than 20 bytes). */
int tg_mold_request_decode(const void *buf, size_t len, struct tg_mold_request *r);

/* Heartbeat / end of session packets (header only). Return 20 or
 * TG_WIRE_ESPACE. `next_seq` is the sequence of the next message. */
int tg_mold_heartbeat_encode(const char session[TG_MOLD_SESSION_LEN], uint64_t next_seq, void *buf,
                             size_t cap);
int tg_mold_end_encode(const char session[TG_MOLD_SESSION_LEN], uint64_t next_seq, void *buf,
                       size_t cap);

/* Copy a C string into a space-padded 10-byte session field. */
void tg_mold_session_set(char session[TG_MOLD_SESSION_LEN], const char *name);

/* Packet builder (feedsim, publisher, retransmit server): messages are
 * appended until the next one would make the packet exceed `mtu` bytes.
 *
 *   struct tg_mold_builder b;
 *   tg_mold_builder_init(&b, buf, sizeof buf, TG_MOLD_MTU_PAYLOAD, session, 1);
 *   for each message:
 *       if (tg_mold_builder_append(&b, msg, len) == TG_WIRE_ESPACE) {
 *               send(buf, tg_mold_builder_finish(&b));
 *               tg_mold_builder_next(&b);         // next packet, seq continues
 *               tg_mold_builder_append(&b, msg, len);
 *       }
 *   if (tg_mold_builder_count(&b)) send(buf, tg_mold_builder_finish(&b));
 *
 * Zero copy: tg_mold_builder_reserve returns where to encode a message of
 * `len` bytes directly (NULL if it does not fit), then
 * tg_mold_builder_commit(b, len) counts it. */
struct tg_mold_builder {
	uint8_t *buf;
	size_t cap;   /* min(buffer size, mtu) */
	size_t len;   /* bytes used, header included */
	uint64_t seq; /* sequence of the packet's first message */
	uint16_t count;
	char session[TG_MOLD_SESSION_LEN];
};
/* TG_WIRE_EINVAL if the buffer/mtu cannot hold a header. */
int tg_mold_builder_init(struct tg_mold_builder *b, void *buf, size_t buf_bytes, size_t mtu,
                         const char session[TG_MOLD_SESSION_LEN], uint64_t first_seq);
/* 0; TG_WIRE_ESPACE if it does not fit in this packet or the packet holds
 * TG_MOLD_MAX_COUNT messages already (finish and start the next);
 * TG_WIRE_EINVAL if it could never fit (20 + 2 + len > mtu, or len > 65535).
 * Hot path. */
int tg_mold_builder_append(struct tg_mold_builder *b, const void *msg, size_t len);
uint8_t *tg_mold_builder_reserve(struct tg_mold_builder *b, size_t len);
void tg_mold_builder_commit(struct tg_mold_builder *b, size_t len);
/* Write the header (count so far); returns the packet length in bytes. The
 * packet stays in the buffer until tg_mold_builder_next. */
size_t tg_mold_builder_finish(struct tg_mold_builder *b);
/* Start the next packet: seq += count, count = 0. */
void tg_mold_builder_next(struct tg_mold_builder *b);
static inline uint16_t tg_mold_builder_count(const struct tg_mold_builder *b)
{
	return b->count;
}

#endif
