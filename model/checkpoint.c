/* checkpoint.c - write and read training checkpoints (format in
 * checkpoint.h). The whole file is built in memory, checksummed and written
 * atomically (tmp + fsync + rename + fsync of the directory). */
#include "model/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_MAGIC "TGCKPT01"
#define CKPT_HDR   168

uint64_t tg_ckpt_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	if (!h)
		h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static size_t ckpt_size(uint64_t n_params, uint64_t n_hist)
{
	return CKPT_HDR + 8 * (4 * n_params + 2 * n_hist) + 8;
}

static unsigned char *put(unsigned char *p, const void *v, size_t n)
{
	memcpy(p, v, n);
	return p + n;
}

static const unsigned char *get(const unsigned char *p, void *v, size_t n)
{
	memcpy(v, p, n);
	return p + n;
}

static int write_all(int fd, const unsigned char *b, size_t n)
{
	while (n) {
		ssize_t r = write(fd, b, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int tg_ckpt_save(const char *path, const struct tg_ckpt *c)
{
	size_t n = ckpt_size(c->n_params, c->n_history), np = c->n_params * 8;
	unsigned char *buf = malloc(n), *p = buf;
	char *tmp = NULL, *dcopy = NULL;
	int fd = -1, rc;
	if (!buf)
		return -ENOMEM;
	p = put(p, CKPT_MAGIC, 8);
	p = put(p, &c->config_hash, 8);
	p = put(p, &c->n_params, 8);
	p = put(p, &c->epoch, 8);
	p = put(p, &c->step, 8);
	p = put(p, &c->global_step, 8);
	p = put(p, c->rng, 32);
	p = put(p, c->epoch_rng, 32);
	p = put(p, &c->best_val, 8);
	p = put(p, &c->best_epoch, 8);
	p = put(p, &c->wait, 8);
	p = put(p, &c->has_best, 8);
	p = put(p, &c->epoch_loss_sum, 8);
	p = put(p, &c->epoch_loss_n, 8);
	p = put(p, &c->n_history, 8);
	p = put(p, c->w, np);
	p = put(p, c->m, np);
	p = put(p, c->v, np);
	if (c->has_best)
		p = put(p, c->best_w, np);
	else {
		memset(p, 0, np);
		p += np;
	}
	p = put(p, c->hist_train, c->n_history * 8);
	p = put(p, c->hist_val, c->n_history * 8);
	uint64_t h = tg_ckpt_hash(0, buf, (size_t)(p - buf));
	p = put(p, &h, 8);

	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		tmp = NULL;
		rc = -ENOMEM;
		goto out_buf;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out_tmp;
	}
	rc = write_all(fd, buf, n);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (rc)
		goto out_unlink;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	dcopy = strdup(path);
	if (dcopy) {
		int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dcopy);
	}
	free(tmp);
	free(buf);
	return 0;
out_unlink:
	unlink(tmp);
out_tmp:
	free(tmp);
out_buf:
	free(buf);
	return rc;
}

int tg_ckpt_load(const char *path, struct tg_ckpt *c)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	size_t n = (size_t)st.st_size;
	if (n < ckpt_size(0, 0)) {
		close(fd);
		return -EBADMSG;
	}
	unsigned char *buf = malloc(n);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EBADMSG;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (rc)
		goto out;
	uint64_t h;
	memcpy(&h, buf + n - 8, 8);
	if (memcmp(buf, CKPT_MAGIC, 8) || tg_ckpt_hash(0, buf, n - 8) != h) {
		rc = -EBADMSG;
		goto out;
	}
	struct tg_ckpt r;
	const unsigned char *p = buf + 8;
	p = get(p, &r.config_hash, 8);
	p = get(p, &r.n_params, 8);
	p = get(p, &r.epoch, 8);
	p = get(p, &r.step, 8);
	p = get(p, &r.global_step, 8);
	p = get(p, r.rng, 32);
	p = get(p, r.epoch_rng, 32);
	p = get(p, &r.best_val, 8);
	p = get(p, &r.best_epoch, 8);
	p = get(p, &r.wait, 8);
	p = get(p, &r.has_best, 8);
	p = get(p, &r.epoch_loss_sum, 8);
	p = get(p, &r.epoch_loss_n, 8);
	p = get(p, &r.n_history, 8);
	if (r.config_hash != c->config_hash || r.n_params != c->n_params) {
		rc = -ESTALE;
		goto out;
	}
	if (r.n_history > (n / 16) || ckpt_size(r.n_params, r.n_history) != n) {
		rc = -EBADMSG;
		goto out;
	}
	if (r.n_history > c->hist_cap) {
		rc = -EOVERFLOW;
		goto out;
	}
	size_t np = r.n_params * 8;
	p = get(p, c->w, np);
	p = get(p, c->m, np);
	p = get(p, c->v, np);
	p = get(p, c->best_w, np);
	p = get(p, c->hist_train, r.n_history * 8);
	get(p, c->hist_val, r.n_history * 8);
	c->epoch = r.epoch;
	c->step = r.step;
	c->global_step = r.global_step;
	memcpy(c->rng, r.rng, 32);
	memcpy(c->epoch_rng, r.epoch_rng, 32);
	c->best_val = r.best_val;
	c->best_epoch = r.best_epoch;
	c->wait = r.wait;
	c->has_best = r.has_best;
	c->epoch_loss_sum = r.epoch_loss_sum;
	c->epoch_loss_n = r.epoch_loss_n;
	c->n_history = r.n_history;
out:
	free(buf);
	return rc;
}
