/* adam.h - the Adam optimiser with Keras semantics and defaults
 * (lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7; epsilon is added to
 * sqrt(v_hat) the Keras way: w -= lr_t * m / (sqrt(v) + eps) with
 * lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)). Its whole state (t, m, v)
 * is plain data so checkpoints can save and restore it exactly.
 * Not thread-safe: one optimiser per training run. */
#ifndef TG_ADAM_H
#define TG_ADAM_H

#include <stddef.h>
#include <stdint.h>

struct tg_adam_params {
	double lr, beta1, beta2, eps;
};

struct tg_adam {
	struct tg_adam_params p;
	uint64_t t; /* steps taken */
	size_t n;
	double *m, *v;
};

void tg_adam_params_default(struct tg_adam_params *p);
/* 0, -EINVAL (bad hyper-parameters) or -ENOMEM. */
int tg_adam_create(size_t n, const struct tg_adam_params *p, struct tg_adam **out);
void tg_adam_destroy(struct tg_adam *a);
/* One update of w[n] with gradient g[n]. */
void tg_adam_step(struct tg_adam *a, double *w, const double *g);

#endif
