/* moldudp64.c - MoldUDP64 packet header, block walker, request packets and
 * the packet builder. The walker checks each length prefix against the
 * bytes that remain before handing out a pointer, so a lying prefix costs
 * the rest of that packet and never a read past it. */
#include <string.h>

#include "wire/moldudp64.h"

int tg_mold_header_decode(const void *pkt, size_t len, struct tg_mold_header *h)
{
	const uint8_t *p = pkt;
	if (len < TG_MOLD_HDR_BYTES)
		return TG_WIRE_ETRUNC;
	memcpy(h->session, p, TG_MOLD_SESSION_LEN);
	h->seq = tg_be64(p + 10);
	h->count = tg_be16(p + 18);
	return 0;
}

int tg_mold_header_encode(const struct tg_mold_header *h, void *buf, size_t cap)
{
	uint8_t *p = buf;
	if (cap < TG_MOLD_HDR_BYTES)
		return TG_WIRE_ESPACE;
	memcpy(p, h->session, TG_MOLD_SESSION_LEN);
	tg_put_be64(p + 10, h->seq);
	tg_put_be16(p + 18, h->count);
	return TG_MOLD_HDR_BYTES;
}

int tg_mold_walk_init(struct tg_mold_walk *w, const void *pkt, size_t len, struct tg_mold_header *h)
{
	int rc = tg_mold_header_decode(pkt, len, h);
	w->p = (const uint8_t *)pkt + (rc == 0 ? TG_MOLD_HDR_BYTES : 0);
	w->end = (const uint8_t *)pkt + len;
	w->next_seq = rc == 0 ? h->seq : 0;
	w->left = rc == 0 ? tg_mold_msg_count(h) : 0;
	if (rc == 0 && w->left == 0 && w->p != w->end)
		rc = TG_WIRE_ETRAIL;
	w->err = rc;
	return rc;
}

int tg_mold_walk_next(struct tg_mold_walk *w, const uint8_t **msg, uint16_t *len, uint64_t *seq)
{
	if (w->err)
		return w->err;
	if (w->left == 0) {
		if (w->p != w->end)
			return w->err = TG_WIRE_ETRAIL;
		return 0;
	}
	size_t room = (size_t)(w->end - w->p);
	if (room < 2)
		return w->err = TG_WIRE_ETRUNC;
	uint16_t n = tg_be16(w->p);
	if (room - 2 < n)
		return w->err = TG_WIRE_ETRUNC;
	*msg = w->p + 2;
	*len = n;
	*seq = w->next_seq++;
	w->p += 2 + (size_t)n;
	w->left--;
	return 1;
}

int tg_mold_request_encode(const struct tg_mold_request *r, void *buf, size_t cap)
{
	struct tg_mold_header h;
	memcpy(h.session, r->session, TG_MOLD_SESSION_LEN);
	h.seq = r->seq;
	h.count = r->count;
	return tg_mold_header_encode(&h, buf, cap);
}

int tg_mold_request_decode(const void *buf, size_t len, struct tg_mold_request *r)
{
	struct tg_mold_header h;
	int rc = tg_mold_header_decode(buf, len, &h);
	if (rc < 0)
		return rc;
	if (len > TG_MOLD_REQUEST_BYTES)
		return TG_WIRE_ETRAIL;
	memcpy(r->session, h.session, TG_MOLD_SESSION_LEN);
	r->seq = h.seq;
	r->count = h.count;
	return 0;
}

static int mold_empty_encode(const char session[TG_MOLD_SESSION_LEN], uint64_t next_seq,
                             uint16_t count, void *buf, size_t cap)
{
	struct tg_mold_header h;
	memcpy(h.session, session, TG_MOLD_SESSION_LEN);
	h.seq = next_seq;
	h.count = count;
	return tg_mold_header_encode(&h, buf, cap);
}

int tg_mold_heartbeat_encode(const char session[TG_MOLD_SESSION_LEN], uint64_t next_seq, void *buf,
                             size_t cap)
{
	return mold_empty_encode(session, next_seq, TG_MOLD_HEARTBEAT, buf, cap);
}

int tg_mold_end_encode(const char session[TG_MOLD_SESSION_LEN], uint64_t next_seq, void *buf,
                       size_t cap)
{
	return mold_empty_encode(session, next_seq, TG_MOLD_END_OF_SESSION, buf, cap);
}

void tg_mold_session_set(char session[TG_MOLD_SESSION_LEN], const char *name)
{
	size_t n = strnlen(name, TG_MOLD_SESSION_LEN);
	memcpy(session, name, n);
	memset(session + n, ' ', TG_MOLD_SESSION_LEN - n);
}

int tg_mold_builder_init(struct tg_mold_builder *b, void *buf, size_t buf_bytes, size_t mtu,
                         const char session[TG_MOLD_SESSION_LEN], uint64_t first_seq)
{
	size_t cap = buf_bytes < mtu ? buf_bytes : mtu;
	if (cap < TG_MOLD_HDR_BYTES)
		return TG_WIRE_EINVAL;
	b->buf = buf;
	b->cap = cap;
	b->len = TG_MOLD_HDR_BYTES;
	b->seq = first_seq;
	b->count = 0;
	memcpy(b->session, session, TG_MOLD_SESSION_LEN);
	return 0;
}

uint8_t *tg_mold_builder_reserve(struct tg_mold_builder *b, size_t len)
{
	if (len > 0xFFFF || b->count >= TG_MOLD_MAX_COUNT || b->cap - b->len < 2 + len)
		return NULL;
	return b->buf + b->len + 2;
}

void tg_mold_builder_commit(struct tg_mold_builder *b, size_t len)
{
	tg_put_be16(b->buf + b->len, (uint16_t)len);
	b->len += 2 + len;
	b->count++;
}

int tg_mold_builder_append(struct tg_mold_builder *b, const void *msg, size_t len)
{
	if (len > 0xFFFF || TG_MOLD_HDR_BYTES + 2 + len > b->cap)
		return TG_WIRE_EINVAL;
	uint8_t *dst = tg_mold_builder_reserve(b, len);
	if (!dst)
		return TG_WIRE_ESPACE;
	memcpy(dst, msg, len);
	tg_mold_builder_commit(b, len);
	return 0;
}

size_t tg_mold_builder_finish(struct tg_mold_builder *b)
{
	struct tg_mold_header h;
	memcpy(h.session, b->session, TG_MOLD_SESSION_LEN);
	h.seq = b->seq;
	h.count = b->count;
	tg_mold_header_encode(&h, b->buf, b->cap);
	return b->len;
}

void tg_mold_builder_next(struct tg_mold_builder *b)
{
	b->seq += b->count;
	b->count = 0;
	b->len = TG_MOLD_HDR_BYTES;
}
