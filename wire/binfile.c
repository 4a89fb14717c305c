/* binfile.c - BinaryFILE reader over an mmap'd file. Framing decisions:
 * a zero prefix takes its length from the type byte (the TEST_ITCH_50
 * quirk), anything else is trusted as framing; every step consumes bytes
 * or ends, so no input can make the reader loop. */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wire/binfile.h"
#include "wire/itch.h"

void tg_binfile_init_mem(struct tg_binfile *f, const void *buf, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->base = buf;
	f->p = buf;
	f->end = f->base + len;
}

int tg_binfile_open(struct tg_binfile *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (st.st_size == 0) {
		tg_binfile_init_mem(f, "", 0);
		goto out_close;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		rc = -errno;
		goto out_close;
	}
	madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
	tg_binfile_init_mem(f, m, (size_t)st.st_size);
	f->map_bytes = (size_t)st.st_size;
out_close:
	close(fd);
	return rc;
}

void tg_binfile_close(struct tg_binfile *f)
{
	if (f->map_bytes)
		munmap((void *)(uintptr_t)f->base, f->map_bytes);
	f->map_bytes = 0;
	f->base = f->p = f->end = NULL;
}

int tg_binfile_next(struct tg_binfile *f, const uint8_t **msg, size_t *len)
{
	if (f->err)
		return f->err;
	size_t room = (size_t)(f->end - f->p);
	if (room == 0)
		return 0;
	if (room < 2)
		return f->err = TG_WIRE_ETRUNC;
	size_t n = tg_be16(f->p);
	bool fixed = false;
	room -= 2;
	if (n == 0) {
		if (room == 0)
			return f->err = TG_WIRE_EEMPTY;
		n = tg_itch_len(f->p[2]);
		if (n == 0)
			return f->err = TG_WIRE_ETYPE;
		fixed = true;
	}
	if (room < n)
		return f->err = TG_WIRE_ETRUNC;
	/* counted only for records actually returned */
	f->zero_len_fixed += fixed;
	f->len_mismatch += !fixed && n != tg_itch_len(f->p[2]);
	*msg = f->p + 2;
	*len = n;
	f->p += 2 + n;
	f->records++;
	return 1;
}

int tg_binfile_record_encode(const void *msg, size_t len, void *buf, size_t cap)
{
	if (len == 0 || len > 0xFFFF)
		return TG_WIRE_EINVAL;
	if (cap < 2 + len)
		return TG_WIRE_ESPACE;
	uint8_t *p = buf;
	tg_put_be16(p, (uint16_t)len);
	memcpy(p + 2, msg, len);
	return (int)(2 + len);
}
