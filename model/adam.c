/* adam.c - Adam, written from the update rule Keras documents (see adam.h). */
#include "model/adam.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

void tg_adam_params_default(struct tg_adam_params *p)
{
	p->lr = 1e-3;
	p->beta1 = 0.9;
	p->beta2 = 0.999;
	p->eps = 1e-7;
}

int tg_adam_create(size_t n, const struct tg_adam_params *p, struct tg_adam **out)
{
	if (!n || !(p->lr > 0) || !(p->beta1 >= 0 && p->beta1 < 1) ||
	    !(p->beta2 >= 0 && p->beta2 < 1) || !(p->eps >= 0))
		return -EINVAL;
	struct tg_adam *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->m = calloc(n, sizeof(double));
	a->v = calloc(n, sizeof(double));
	if (!a->m || !a->v) {
		tg_adam_destroy(a);
		return -ENOMEM;
	}
	a->p = *p;
	a->n = n;
	*out = a;
	return 0;
}

void tg_adam_destroy(struct tg_adam *a)
{
	if (!a)
		return;
	free(a->m);
	free(a->v);
	free(a);
}

void tg_adam_step(struct tg_adam *a, double *w, const double *g)
{
	a->t++;
	const double b1 = a->p.beta1, b2 = a->p.beta2;
	const double alpha =
	    a->p.lr * sqrt(1.0 - pow(b2, (double)a->t)) / (1.0 - pow(b1, (double)a->t));
	for (size_t i = 0; i < a->n; i++) {
		a->m[i] += (g[i] - a->m[i]) * (1.0 - b1);
		a->v[i] += (g[i] * g[i] - a->v[i]) * (1.0 - b2);
		w[i] -= a->m[i] * alpha / (sqrt(a->v[i]) + a->p.eps);
	}
}
