/* train.h - training the LSTM autoencoder in C: mini-batch BPTT (train_net.h),
 * Adam (adam.h), seeded shuffling, validation, early stopping with restore
 * of the best weights, gradient clipping by global norm, checkpoints with
 * exact resume (checkpoint.h), a progress bar.
 *
 * Determinism: every mini-batch is cut into TG_TRAIN_SHARDS fixed shards;
 * each shard's gradient is summed into its own buffer and the buffers are
 * added in shard order. Threads only decide who computes a shard, so the
 * result is bit-identical for any thread count and any timing, and a
 * resumed run is bit-identical to an uninterrupted one.
 *
 * Data: windows are views into one scaled series: window i is
 * values[starts[i] * features ...] for window * features floats. The caller
 * builds the train/validation split (by time) and the scaler; nothing here
 * sees raw prices.
 *
 * Thread safety: one trainer per thread of control; it runs its own
 * worker threads internally. Not a hot path. */
#ifndef TG_TRAIN_H
#define TG_TRAIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

#define TG_TRAIN_SHARDS     2 /* gradient shards per mini-batch (and max threads) */
#define TG_TRAIN_MAX_EPOCHS 100000

struct tg_train_data {
	const float *values;    /* scaled series, [*][features] */
	const uint64_t *starts; /* window start offsets (in time steps) */
	uint64_t count;
	/* Or, with values NULL, windows made on demand (memory stays at the
	 * raw series): fetch writes window i (window * features floats) into
	 * out. Called from the worker threads at once, so it may only read
	 * shared state. A failing fetch counts as a non-finite loss. */
	int (*fetch)(const void *ctx, uint64_t i, float *out);
	const void *ctx;
};

struct tg_train_params {
	uint32_t batch;               /* mini-batch size (Keras default 32) */
	uint32_t epochs;              /* maximum epochs */
	double lr, beta1, beta2, eps; /* Adam (Keras defaults) */
	double clipnorm;              /* global gradient-norm clip; 0 = off */
	uint32_t patience;            /* early stopping on val loss; 0 = off */
	bool restore_best;            /* end with the weights of the best val loss */
	uint64_t seed;                /* initial weights and shuffling */
	uint32_t threads;             /* 1..TG_TRAIN_SHARDS */
	uint64_t ckpt_every;          /* steps between checkpoints; 0 = none */
	const char *ckpt_path;
	uint64_t stop_after;     /* stop after this global step (tests: "kill"); 0 = off */
	const atomic_bool *stop; /* set asynchronously (SIGINT): checkpoint and stop */
	bool progress;           /* progress bar on stderr (common/progress.h) */
	/* Test hook, the deliberately broken variant: shards = threads, so the
	 * summation order depends on the thread count. Never set in real runs. */
	bool broken_shard_per_thread;
};

struct tg_train_report {
	uint32_t epochs_run;
	uint64_t steps;
	double first_val, best_val, last_val, last_train;
	uint32_t best_epoch; /* 1-based */
	bool stopped_early;  /* patience ran out */
	bool interrupted;    /* stop_after / stop flag: checkpoint written */
	bool resumed;
	uint64_t resumed_at_step;
	double seconds;
};

void tg_train_params_default(struct tg_train_params *p);

struct tg_trainer;
/* The data arrays must outlive the trainer. val may have count 0 (then no
 * early stopping). Weights start from tg_model_init(seed). 0 or -EINVAL
 * (with a reason in err) / -ENOMEM. */
int tg_trainer_create(const struct tg_model_config *cfg, const struct tg_train_params *p,
                      const struct tg_train_data *train, const struct tg_train_data *val,
                      struct tg_trainer **out, char *err, size_t errlen);
void tg_trainer_destroy(struct tg_trainer *t);

/* Continue from the checkpoint at p->ckpt_path. 0, or -errno from
 * tg_ckpt_load (-ENOENT: none; -ESTALE: another config or other data;
 * -EBADMSG: corrupt), which leave the trainer as it was. -EBADMSG after a
 * good load (inconsistent progress fields) may leave it half-restored:
 * destroy it. */
int tg_trainer_resume(struct tg_trainer *t);

/* Train until the epochs are done, patience runs out or a stop is asked.
 * 0 (finished or stopped early), -EINTR (interrupted; checkpoint written if
 * configured), -ERANGE (loss or gradient went non-finite), -errno from
 * checkpoint writing. */
int tg_trainer_run(struct tg_trainer *t, struct tg_train_report *rep);

/* Mean MSE over a data set with the current weights (uses the workers). */
double tg_trainer_eval(struct tg_trainer *t, const struct tg_train_data *d);

/* Current weights (double, model.h order), and their float copy into m
 * (which must have the trainer's config). */
const double *tg_trainer_weights(const struct tg_trainer *t);
size_t tg_trainer_param_count(const struct tg_trainer *t);
int tg_trainer_export(const struct tg_trainer *t, struct tg_model *m);
/* Per-epoch history: n epochs finished; arrays valid until the next run. */
uint32_t tg_trainer_history(const struct tg_trainer *t, const double **train_loss,
                            const double **val_loss);

#endif
