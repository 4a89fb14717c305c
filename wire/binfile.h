/* binfile.h - NASDAQ ITCH "BinaryFILE" framing: each message is preceded by
 * a 2-byte big-endian length. Reader (mmap of a file, or a memory buffer)
 * and the one-record encoder.
 *
 * Quirk handled: some files (../shared/data/itch/ex20101224.TEST_ITCH_50)
 * have every length prefix set to 0. A zero prefix is read by taking the
 * length from the message type (tg_itch_len); the reader counts how often
 * it did so (zero_len_fixed) so the caller can warn once. With a zero
 * prefix and an unknown type there is no way to resynchronise: the reader
 * stops with TG_WIRE_ETYPE. A non-zero prefix is trusted for framing (the
 * ITCH decoder then checks it against the type), so a wrong length there
 * costs one message, not the file. The reader never loops: every call
 * either consumes >= 2 bytes or ends (sticky error / EOF).
 *
 * A reader is used by one thread at a time; nothing is shared.
 */
#ifndef TG_WIRE_BINFILE_H
#define TG_WIRE_BINFILE_H

#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

struct tg_binfile {
	const uint8_t *base; /* first byte of the file/buffer */
	const uint8_t *p;    /* next record */
	const uint8_t *end;
	size_t map_bytes; /* > 0 when base is an mmap we own */
	int err;          /* sticky error, 0 if none */
	/* counters */
	uint64_t records;        /* records returned */
	uint64_t zero_len_fixed; /* zero prefixes replaced by the type's length */
	uint64_t len_mismatch;   /* non-zero prefix != type's length (returned anyway) */
};

/* Open and map a file read-only. 0, or -errno from open/fstat/mmap
 * (an empty file is fine: it has no records). Not hot path. */
int tg_binfile_open(struct tg_binfile *f, const char *path);
/* Read from memory the caller keeps alive; never fails. */
void tg_binfile_init_mem(struct tg_binfile *f, const void *buf, size_t len);
/* Unmap (if mapped). Safe on a zeroed struct and twice. */
void tg_binfile_close(struct tg_binfile *f);

/* Next record: returns 1 with *msg / *len (len >= 1) pointing into the
 * file, 0 at a clean end of file, or an error, sticky:
 *   TG_WIRE_ETRUNC  the file ends inside a prefix or a message
 *   TG_WIRE_ETYPE   zero prefix with an unknown type (cannot frame)
 *   TG_WIRE_EEMPTY  zero prefix at the very last byte (no type byte)
 * Hot path (no syscalls: the file is mapped). */
int tg_binfile_next(struct tg_binfile *f, const uint8_t **msg, size_t *len);

/* Byte offset of the next record (for error messages). */
static inline size_t tg_binfile_offset(const struct tg_binfile *f)
{
	return (size_t)(f->p - f->base);
}

/* Encode one record (prefix + message) into buf. Returns 2 + len, or
 * TG_WIRE_ESPACE / TG_WIRE_EINVAL (len 0 or > 65535). */
int tg_binfile_record_encode(const void *msg, size_t len, void *buf, size_t cap);

#endif
