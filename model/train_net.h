/* train_net.h - the autoencoder as training sees it: a flat double-precision
 * parameter vector in Keras weight order, a forward pass that keeps every
 * activation, and backpropagation through time through every layer
 * (LSTM stack -> last state -> RepeatVector -> LSTM stack -> TimeDistributed
 * Dense). Training runs in double so finite differences can check it to
 * ~1e-7 and so resumed runs are bit-exact; packages store float32.
 *
 * Parameter layout (doubles, in this order, = Keras get_weights() order):
 *   for each LSTM layer (encoder then decoder): kernel [in][4H], recurrent
 *   kernel [H][4H], bias [4H]; gate order i, f, c, o along the 4H axis;
 *   then the Dense kernel [H_last][nfeat] and bias [nfeat].
 * Thread safety: a struct tg_net is immutable after tg_net_layout(); each
 * thread needs its own struct tg_net_work. */
#ifndef TG_TRAIN_NET_H
#define TG_TRAIN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "common/rng.h"

struct tg_net_layer {
	uint32_t in, units;
	size_t off_kernel, off_recurrent, off_bias;
};

struct tg_net {
	struct tg_model_config shape;
	uint32_t nlayers; /* n_enc + n_dec */
	struct tg_net_layer layer[TG_MODEL_MAX_LSTM];
	size_t off_dense_kernel, off_dense_bias;
	size_t nparams;
};

/* The only randomness in training is struct tg_rng (common/rng.h); its state
 * is checkpointed. */

/* Validates the shape and computes the parameter layout. 0 or -EINVAL. */
int tg_net_layout(struct tg_net *net, const struct tg_model_config *shape);

/* Weights are initialised with tg_model_init() (model.h) and widened. */

/* Per-thread activations and gradient scratch for one window. */
struct tg_net_work;
int tg_net_work_create(const struct tg_net *net, struct tg_net_work **out);
void tg_net_work_destroy(struct tg_net_work *wk);

/* Forward one window x[T*nfeat]; returns its MSE. If y is not NULL the
 * reconstruction is written there. The loss can be +inf/NaN on overflow. */
double tg_net_forward(const struct tg_net *net, const double *w, struct tg_net_work *wk,
                      const float *x, float *y);

/* Forward + backward for one window: grad += gscale * d(MSE)/dw.
 * Returns the window's MSE. */
double tg_net_loss_grad(const struct tg_net *net, const double *w, struct tg_net_work *wk,
                        const float *x, double gscale, double *grad);

#endif
