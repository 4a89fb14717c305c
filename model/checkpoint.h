/* checkpoint.h - the training checkpoint file: everything a stopped run
 * needs to continue exactly as if it had never stopped.
 *
 * Layout (little-endian, x86-64 host order; doubles are IEEE-754 binary64):
 *   0   char[8]  magic "TGCKPT01"
 *   8   u64      config hash (model shape + every hyper-parameter and data
 *                size that changes the trajectory; a mismatch refuses resume)
 *   16  u64      n_params
 *   24  u64      epoch, step (within the epoch), global step (= Adam t)
 *   48  u64[4]   RNG state now, u64[4] RNG state at the start of the epoch
 *                (the epoch's shuffle is regenerated from it on resume)
 *   112 f64      best validation loss, u64 best epoch, u64 epochs without
 *                improvement, u64 has-best flag
 *   144 f64      training-loss sum of the current epoch, u64 windows in it
 *   160 u64      n_history (epochs finished)
 *   168 f64[n_params] weights, m, v, best weights (always present; zeros
 *                without a best), f64[n_history] train loss, val loss
 *   end u64      FNV-1a 64 of every byte before it
 * Written to "<path>.tmp", fsync'd and renamed over <path>: a crash leaves
 * the old checkpoint or the new one, never a torn file. */
#ifndef TG_CHECKPOINT_H
#define TG_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

struct tg_ckpt {
	uint64_t config_hash;
	uint64_t n_params;
	uint64_t epoch, step, global_step;
	uint64_t rng[4], epoch_rng[4];
	double best_val;
	uint64_t best_epoch, wait, has_best;
	double epoch_loss_sum;
	uint64_t epoch_loss_n;
	uint64_t n_history;
	/* Caller-owned arrays: n_params each, and history capacity. */
	double *w, *m, *v, *best_w;
	double *hist_train, *hist_val;
	uint64_t hist_cap;
};

/* 0 or -errno. */
int tg_ckpt_save(const char *path, const struct tg_ckpt *c);
/* Reads into c, whose arrays and hist_cap the caller has set up. Checks the
 * magic, checksum, size, config hash (== c->config_hash on entry) and
 * n_params (== c->n_params on entry). 0, -ENOENT, -EIO, -EBADMSG (torn or
 * corrupt), -ESTALE (written for another config), -EOVERFLOW (history). */
int tg_ckpt_load(const char *path, struct tg_ckpt *c);

/* FNV-1a 64 step, for config hashes. */
uint64_t tg_ckpt_hash(uint64_t h, const void *p, size_t n);

#endif
