/* train_net.c - forward pass with stored activations and backpropagation
 * through time for the LSTM autoencoder (see train_net.h for the layout).
 * One window at a time: the callers parallelise across windows, never
 * inside one, so the arithmetic order (and so the result) is fixed. */
#include "model/train_net.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- layout and initialisation ----------------------------------------- */

int tg_net_layout(struct tg_net *net, const struct tg_model_config *sh)
{
	if (!sh->window || sh->window > 100000 || !sh->features || sh->features > 1024 ||
	    !sh->n_enc || !sh->n_dec || sh->n_enc > TG_MODEL_MAX_LAYERS ||
	    sh->n_dec > TG_MODEL_MAX_LAYERS || (sh->act != TG_ACT_RELU && sh->act != TG_ACT_TANH))
		return -EINVAL;
	memset(net, 0, sizeof(*net));
	net->shape = *sh;
	net->nlayers = sh->n_enc + sh->n_dec;
	size_t off = 0;
	uint32_t in = sh->features;
	for (uint32_t l = 0; l < net->nlayers; l++) {
		uint32_t h = l < sh->n_enc ? sh->enc_units[l] : sh->dec_units[l - sh->n_enc];
		if (!h || h > 8192)
			return -EINVAL;
		struct tg_net_layer *L = &net->layer[l];
		L->in = in;
		L->units = h;
		L->off_kernel = off;
		off += (size_t)in * 4 * h;
		L->off_recurrent = off;
		off += (size_t)h * 4 * h;
		L->off_bias = off;
		off += (size_t)4 * h;
		in = h;
	}
	net->off_dense_kernel = off;
	off += (size_t)in * sh->features;
	net->off_dense_bias = off;
	off += sh->features;
	net->nparams = off;
	return 0;
}

/* ---- per-thread work space --------------------------------------------- */

struct tg_net_lcache {
	double *gates; /* [T][4H]: i, f, g (candidate after activation), o */
	double *c;     /* [T][H] cell state */
	double *ac;    /* [T][H] act(c) */
	double *h;     /* [T][H] output */
	double *dh;    /* [T][H] dLoss/dh from the layer above */
};

struct tg_net_work {
	struct tg_net_lcache lc[TG_MODEL_MAX_LSTM];
	double *y;   /* [T][nfeat] reconstruction */
	double *dz;  /* [T][4H max] gate gradients of one layer */
	double *dhn; /* [H max] recurrent dh */
	double *dcn; /* [H max] recurrent dc */
	double *dxs; /* [H max] gradient into the repeated vector */
	double *zero;
	void *mem;
};

int tg_net_work_create(const struct tg_net *net, struct tg_net_work **out)
{
	size_t T = net->shape.window, hmax = net->shape.features, total = 0;
	for (uint32_t l = 0; l < net->nlayers; l++) {
		size_t h = net->layer[l].units;
		if (h > hmax)
			hmax = h;
		total += T * h * 8;
	}
	total += T * net->shape.features + T * 4 * hmax + 4 * hmax;
	struct tg_net_work *wk = calloc(1, sizeof(*wk));
	double *m = calloc(total, sizeof(double));
	if (!wk || !m) {
		free(wk);
		free(m);
		return -ENOMEM;
	}
	wk->mem = m;
	for (uint32_t l = 0; l < net->nlayers; l++) {
		size_t h = net->layer[l].units;
		struct tg_net_lcache *c = &wk->lc[l];
		c->gates = m;
		m += T * 4 * h;
		c->c = m;
		m += T * h;
		c->ac = m;
		m += T * h;
		c->h = m;
		m += T * h;
		c->dh = m;
		m += T * h;
	}
	wk->y = m;
	m += T * net->shape.features;
	wk->dz = m;
	m += T * 4 * hmax;
	wk->dhn = m;
	m += hmax;
	wk->dcn = m;
	m += hmax;
	wk->dxs = m;
	m += hmax;
	wk->zero = m;
	*out = wk;
	return 0;
}

void tg_net_work_destroy(struct tg_net_work *wk)
{
	if (!wk)
		return;
	free(wk->mem);
	free(wk);
}

/* ---- forward ------------------------------------------------------------ */

static inline double sigm(double z)
{
	return 1.0 / (1.0 + exp(-z));
}

static inline double act_f(enum tg_act a, double z)
{
	return a == TG_ACT_RELU ? (z > 0 ? z : 0) : tanh(z);
}

/* Derivative of the activation, from its output: relu' = [out > 0]
 * (TensorFlow's relu gradient at 0 is 0), tanh' = 1 - out^2. */
static inline double act_d(enum tg_act a, double out)
{
	return a == TG_ACT_RELU ? (out > 0 ? 1.0 : 0.0) : 1.0 - out * out;
}

/* Dot product with 8 independent partial sums combined in a fixed order:
 * vectorisable without -ffast-math, and the same bits on every run. */
static inline double dot8(const double *a, const double *b, size_t n)
{
	double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	size_t j = 0;
	for (; j + 8 <= n; j += 8)
		for (size_t u = 0; u < 8; u++)
			acc[u] += a[j + u] * b[j + u];
	double s =
	    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	for (; j < n; j++)
		s += a[j] * b[j];
	return s;
}

/* z[0..G) += sum_k x[k] * W[k][0..G), k ascending for every element (the
 * same order as the plain loop), 16 outputs at a time held in registers so
 * z is loaded and stored once instead of once per k. */
static void matvec_acc(double *restrict z, const double *restrict x, size_t nin,
                       const double *restrict W, size_t G)
{
	size_t j = 0;
	for (; j + 16 <= G; j += 16) {
		double acc[16];
		memcpy(acc, z + j, sizeof(acc));
		for (size_t k = 0; k < nin; k++) {
			const double xk = x[k], *wk = W + k * G + j;
			for (size_t u = 0; u < 16; u++)
				acc[u] += xk * wk[u];
		}
		memcpy(z + j, acc, sizeof(acc));
	}
	for (; j < G; j++) {
		double a = z[j];
		for (size_t k = 0; k < nin; k++)
			a += x[k] * W[k * G + j];
		z[j] = a;
	}
}

/* g[k][0..G) += sum_r X[r*xs + k] * dZ[r][0..G), r ascending: the weight
 * gradient of a whole sequence at once, g touched once per (k, block). */
static void outer_acc(double *restrict g, const double *restrict X, size_t xs,
                      const double *restrict dZ, size_t R, size_t nin, size_t G)
{
	for (size_t k = 0; k < nin; k++) {
		double *gk = g + k * G;
		size_t j = 0;
		for (; j + 16 <= G; j += 16) {
			double acc[16];
			memcpy(acc, gk + j, sizeof(acc));
			for (size_t r = 0; r < R; r++) {
				const double xr = X[r * xs + k], *dz = dZ + r * G + j;
				for (size_t u = 0; u < 16; u++)
					acc[u] += xr * dz[u];
			}
			memcpy(gk + j, acc, sizeof(acc));
		}
		for (; j < G; j++) {
			double a = gk[j];
			for (size_t r = 0; r < R; r++)
				a += X[r * xs + k] * dZ[r * G + j];
			gk[j] = a;
		}
	}
}

/* One LSTM layer over T steps. Input step t is x + t*xstride (xstride 0 is
 * RepeatVector: the same vector every step). */
static void lstm_forward(const struct tg_net_layer *L, enum tg_act a, const double *w,
                         const double *x, size_t xstride, size_t T, struct tg_net_lcache *c)
{
	const size_t H = L->units, G = 4 * H;
	const double *W = w + L->off_kernel, *U = w + L->off_recurrent, *b = w + L->off_bias;
	for (size_t t = 0; t < T; t++) {
		double *z = c->gates + t * G;
		const double *xt = x + t * xstride;
		memcpy(z, b, G * sizeof(*z));
		matvec_acc(z, xt, L->in, W, G);
		if (t > 0)
			matvec_acc(z, c->h + (t - 1) * H, H, U, G);
		double *ct = c->c + t * H, *act = c->ac + t * H, *ht = c->h + t * H;
		for (size_t j = 0; j < H; j++) {
			double i = sigm(z[j]), f = sigm(z[H + j]), g = act_f(a, z[2 * H + j]),
			       o = sigm(z[3 * H + j]);
			double cp = t > 0 ? c->c[(t - 1) * H + j] : 0.0;
			double cc = f * cp + i * g;
			z[j] = i;
			z[H + j] = f;
			z[2 * H + j] = g;
			z[3 * H + j] = o;
			ct[j] = cc;
			act[j] = act_f(a, cc);
			ht[j] = o * act[j];
		}
	}
}

static double forward_all(const struct tg_net *net, const double *w, struct tg_net_work *wk,
                          const float *xf)
{
	const struct tg_model_config *sh = &net->shape;
	const size_t T = sh->window, F = sh->features;
	/* Layer 0 reads the float window; convert once into y (reused later). */
	double *xin = wk->y;
	for (size_t i = 0; i < T * F; i++)
		xin[i] = xf[i];
	const double *x = xin;
	size_t xstride = F;
	for (uint32_t l = 0; l < net->nlayers; l++) {
		const struct tg_net_layer *L = &net->layer[l];
		lstm_forward(L, sh->act, w, x, xstride, T, &wk->lc[l]);
		if (l + 1 == sh->n_enc) { /* last state, repeated */
			x = wk->lc[l].h + (T - 1) * L->units;
			xstride = 0;
		} else {
			x = wk->lc[l].h;
			xstride = L->units;
		}
	}
	const size_t HL = net->layer[net->nlayers - 1].units;
	const double *Wd = w + net->off_dense_kernel, *bd = w + net->off_dense_bias;
	const double *hL = wk->lc[net->nlayers - 1].h;
	double loss = 0;
	for (size_t t = 0; t < T; t++) {
		for (size_t f = 0; f < F; f++) {
			double s = bd[f];
			for (size_t k = 0; k < HL; k++)
				s += hL[t * HL + k] * Wd[k * F + f];
			double d = s - (double)xf[t * F + f];
			wk->y[t * F + f] = s;
			loss += d * d;
		}
	}
	return loss / (double)(T * F);
}

double tg_net_forward(const struct tg_net *net, const double *w, struct tg_net_work *wk,
                      const float *x, float *y)
{
	double loss = forward_all(net, w, wk, x);
	if (y)
		for (size_t i = 0; i < (size_t)net->shape.window * net->shape.features; i++)
			y[i] = (float)wk->y[i];
	return loss;
}

/* ---- backward ----------------------------------------------------------- */

/* BPTT through one layer. c->dh holds dLoss/dh_t from above. Gradients of
 * the weights are added into g (already scaled: dh carries gscale). If dx
 * is not NULL, dLoss/dx_t is added into dx + t*xstride (xstride 0 sums,
 * which is the RepeatVector backward). */
static void lstm_backward(const struct tg_net_layer *L, enum tg_act a, const double *w, double *g,
                          const double *x, size_t xstride, size_t T, struct tg_net_lcache *c,
                          struct tg_net_work *wk, double *dx)
{
	const size_t H = L->units, G = 4 * H;
	const double *W = w + L->off_kernel, *U = w + L->off_recurrent;
	double *gW = g + L->off_kernel, *gU = g + L->off_recurrent, *gb = g + L->off_bias;
	double *dhn = wk->dhn, *dcn = wk->dcn;
	memset(dhn, 0, H * sizeof(*dhn));
	memset(dcn, 0, H * sizeof(*dcn));
	for (size_t t = T; t-- > 0;) {
		const double *gt = c->gates + t * G, *act = c->ac + t * H, *dh = c->dh + t * H;
		double *dz = wk->dz + t * G;
		for (size_t j = 0; j < H; j++) {
			double i = gt[j], f = gt[H + j], gg = gt[2 * H + j], o = gt[3 * H + j];
			double cp = t > 0 ? c->c[(t - 1) * H + j] : 0.0;
			double dhj = dh[j] + dhn[j];
			double dc = dhj * o * act_d(a, act[j]) + dcn[j];
			dz[j] = dc * gg * i * (1.0 - i);
			dz[H + j] = dc * cp * f * (1.0 - f);
			dz[2 * H + j] = dc * i * act_d(a, gg);
			dz[3 * H + j] = dhj * act[j] * o * (1.0 - o);
			dcn[j] = dc * f;
		}
		for (size_t j = 0; j < G; j++)
			gb[j] += dz[j];
		if (dx) {
			double *dxt = dx + t * xstride;
			for (size_t k = 0; k < L->in; k++)
				dxt[k] += dot8(W + k * G, dz, G);
		}
		if (t > 0)
			for (size_t k = 0; k < H; k++)
				dhn[k] = dot8(U + k * G, dz, G);
	}
	/* Weight gradients of the whole sequence: dW = X^T dZ, dU = H_{t-1}^T dZ_t. */
	outer_acc(gW, x, xstride, wk->dz, T, L->in, G);
	if (T > 1)
		outer_acc(gU, c->h, H, wk->dz + G, T - 1, H, G);
}

double tg_net_loss_grad(const struct tg_net *net, const double *w, struct tg_net_work *wk,
                        const float *xf, double gscale, double *g)
{
	const struct tg_model_config *sh = &net->shape;
	const size_t T = sh->window, F = sh->features;
	double loss = forward_all(net, w, wk, xf);
	const uint32_t top = net->nlayers - 1;
	const size_t HL = net->layer[top].units;
	const double *Wd = w + net->off_dense_kernel;
	double *gWd = g + net->off_dense_kernel, *gbd = g + net->off_dense_bias;
	struct tg_net_lcache *ct = &wk->lc[top];
	const double k2 = 2.0 * gscale / (double)(T * F);
	for (size_t t = 0; t < T; t++) {
		double *dh = ct->dh + t * HL;
		const double *h = ct->h + t * HL;
		memset(dh, 0, HL * sizeof(*dh));
		for (size_t f = 0; f < F; f++) {
			double dy = k2 * (wk->y[t * F + f] - (double)xf[t * F + f]);
			gbd[f] += dy;
			for (size_t k = 0; k < HL; k++) {
				gWd[k * F + f] += h[k] * dy;
				dh[k] += Wd[k * F + f] * dy;
			}
		}
	}
	/* Layer inputs, recomputed as pointers exactly as in forward_all. The
	 * float window is needed as double for layer 0. */
	for (uint32_t l = net->nlayers; l-- > 0;) {
		const struct tg_net_layer *L = &net->layer[l];
		const double *x;
		size_t xstride;
		double *dx = NULL;
		if (l == 0) {
			/* wk->y is free now: reuse it for the double copy of x. */
			for (size_t i = 0; i < T * F; i++)
				wk->y[i] = xf[i];
			x = wk->y;
			xstride = F;
		} else if (l == sh->n_enc) {
			x = wk->lc[l - 1].h + (T - 1) * net->layer[l - 1].units;
			xstride = 0;
			dx = wk->dxs;
			memset(dx, 0, L->in * sizeof(*dx));
		} else {
			x = wk->lc[l - 1].h;
			xstride = net->layer[l - 1].units;
			dx = wk->lc[l - 1].dh;
			memset(dx, 0, T * xstride * sizeof(*dx));
		}
		lstm_backward(L, sh->act, w, g, x, xstride, T, &wk->lc[l], wk, dx);
		if (l == sh->n_enc) { /* into the encoder's last state only */
			struct tg_net_lcache *ce = &wk->lc[l - 1];
			size_t He = net->layer[l - 1].units;
			memset(ce->dh, 0, T * He * sizeof(double));
			memcpy(ce->dh + (T - 1) * He, wk->dxs, He * sizeof(double));
		}
	}
	return loss;
}
