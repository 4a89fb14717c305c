/* lstm_fast.c - batched, vectorised inference. Per timestep each LSTM layer
 * is one small GEMM, z[B][4u] = init + [x_t, h][B][in+u] @ [kernel;
 * recurrent][in+u][4u] (the two Keras matrices are adjacent in the parameter
 * block, so they already form the stacked matrix), followed by the gate
 * non-linearities on 16-float vectors. The decoder's first layer sees the
 * same repeated vector at every step, so its input projection is computed
 * once per window, not window times. Batches >= 4 copy each layer's matrix
 * into 32-column panels once per call (see pack_panels).
 *
 * Written with GCC vector extensions (16 x float = one AVX-512 register,
 * split in two by the compiler on AVX2) plus explicit FMA, instead of
 * intrinsics throughout, so it builds on any x86-64 with gcc or clang.
 * Float accumulation; exp/sigmoid/tanh are our own polynomials (~2 ulp),
 * NaN-preserving so an overflow inside the network still scores DBL_MAX.
 * Checked against the double reference (lstm.c) and TF.js in tests.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
typedef int v16i __attribute__((vector_size(64)));

#define VL 16

struct tg_model_ws {
	struct tg_model_config cfg;
	uint32_t max_batch;
	uint32_t maxu, maxin;
	float *xh;     /* [B][maxin + maxu]: this step's input then h */
	float *z;      /* [B][4 maxu] gate pre-activations */
	float *c;      /* [B][maxu] cell state */
	float *xproj;  /* [B][4 maxu] decoder layer 0: bias + repeated @ kernel */
	float *seq[2]; /* [T][B][maxu] time-major layer outputs (ping-pong) */
	float *rec;    /* [B][T][F] reconstruction when the caller passes none */
	float *pack;   /* the current layer's weights in panels (batches > 1) */
};

static v16 vload(const float *p)
{
	return *(const v16u *)p;
}

static void vstore(float *p, v16 v)
{
	*(v16u *)p = v;
}

/* a * b + c, fused. GCC does not contract a*b+c into an FMA in ISO C mode
 * (-std=c11 implies -ffp-contract=off), so ask for it explicitly. */
static v16 vfma(v16 a, v16 b, v16 c)
{
#if defined(__AVX512F__)
	return (v16)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__FMA__)
	union {
		v16 v;
		__m256 h[2];
	} x = {a}, y = {b}, z = {c}, r;
	r.h[0] = _mm256_fmadd_ps(x.h[0], y.h[0], z.h[0]);
	r.h[1] = _mm256_fmadd_ps(x.h[1], y.h[1], z.h[1]);
	return r.v;
#else
	return a * b + c;
#endif
}

static v16 vsplat(float x)
{
	return (v16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x};
}

/* NaN-preserving selections: an overflow inside the network (inf - inf)
 * must reach the score as NaN (-> DBL_MAX), not be clamped into a finite,
 * plausible reconstruction. */
static v16 vselect(v16i m, v16 a, v16 b) /* m ? a : b */
{
	return (v16)((m & (v16i)a) | (~m & (v16i)b));
}

static v16 vrelu(v16 x)
{
	return vselect(x < vsplat(0.0f), vsplat(0.0f), x);
}

/* exp(x), x clamped to [-87, 88] (NaN stays NaN): x = n ln2 + r, |r| <= ln2/2, degree-6
 * polynomial for e^r, scale by 2^n through the exponent bits. */
static v16 vexp(v16 x)
{
	x = vselect(x < vsplat(-87.0f), vsplat(-87.0f), x);
	x = vselect(x > vsplat(88.0f), vsplat(88.0f), x);
	const v16 magic = vsplat(12582912.0f); /* 1.5 * 2^23: round to nearest */
	v16 t = vfma(x, vsplat(1.44269504088896341f), magic);
	v16 n = t - magic;
	v16 r = vfma(n, vsplat(-0.693359375f), x);
	r = vfma(n, vsplat(2.12194440e-4f), r);
	v16 p = vsplat(1.0f / 720);
	p = vfma(p, r, vsplat(1.0f / 120));
	p = vfma(p, r, vsplat(1.0f / 24));
	p = vfma(p, r, vsplat(1.0f / 6));
	p = vfma(p, r, vsplat(0.5f));
	p = vfma(p, r, vsplat(1.0f));
	p = vfma(p, r, vsplat(1.0f));
	v16i e = (__builtin_convertvector(n, v16i) + 127) << 23;
	return p * (v16)e;
}

static v16 vsigmoid(v16 x)
{
	return vsplat(1.0f) / (vsplat(1.0f) + vexp(-x));
}

/* tanh: odd polynomial near 0 (where 1 - e^-2|x| would cancel), else
 * (1 - e) / (1 + e) with e = exp(-2|x|), sign restored. */
static v16 vtanh(v16 x)
{
	v16i sign = (v16i)x & (v16i)vsplat(-0.0f);
	v16 ax = (v16)((v16i)x & ~(v16i)vsplat(-0.0f));
	v16 e = vexp(ax * vsplat(-2.0f));
	v16 big = (vsplat(1.0f) - e) / (vsplat(1.0f) + e);
	v16 x2 = ax * ax;
	v16 small = vsplat(62.0f / 2835);
	small = small * x2 - vsplat(17.0f / 315);
	small = small * x2 + vsplat(2.0f / 15);
	small = small * x2 - vsplat(1.0f / 3);
	small = (small * x2) * ax + ax;
	v16i m = ax < vsplat(0.0625f);
	v16 r = (v16)((m & (v16i)small) | (~m & (v16i)big));
	return (v16)((v16i)r | sign);
}

static v16 vact(enum tg_act a, v16 x)
{
	return a == TG_ACT_RELU ? vrelu(x) : vtanh(x);
}

/* Register-blocked kernels: C[r][0 : 16*CV) = init[r][0 : 16*CV) +
 * sum_k A[r][k] * W[k*ldw + 0 : 16*CV) for rows r < RB. W, init and C
 * already point at the block's first column. */
#define GEMM_BLOCK(RB, CV)                                                                         \
	static void gemm_##RB##x##CV(const float *A, size_t lda, const float *W, size_t ldw,       \
	                             size_t K, const float *init, size_t init_ld, float *C,        \
	                             size_t ldc)                                                   \
	{                                                                                          \
		v16 acc[RB][CV];                                                                   \
		_Pragma("GCC unroll 8") for (int r = 0; r < RB; r++)                               \
		    _Pragma("GCC unroll 8") for (int v = 0; v < CV; v++) acc[r][v] =               \
		        vload(init + r * init_ld + v * VL);                                        \
		for (size_t k = 0; k < K; k++) {                                                   \
			const float *w = W + k * ldw;                                              \
			v16 wv[CV];                                                                \
			_Pragma("GCC unroll 8") for (int v = 0; v < CV; v++) wv[v] =               \
			    vload(w + v * VL);                                                     \
			_Pragma("GCC unroll 8") for (int r = 0; r < RB; r++)                       \
			{                                                                          \
				v16 a = vsplat(A[r * lda + k]);                                    \
				_Pragma("GCC unroll 8") for (int v = 0; v < CV; v++) acc[r][v] =   \
				    vfma(a, wv[v], acc[r][v]);                                     \
			}                                                                          \
		}                                                                                  \
		_Pragma("GCC unroll 8") for (int r = 0; r < RB; r++)                               \
		    _Pragma("GCC unroll 8") for (int v = 0; v < CV; v++)                           \
		        vstore(C + r * ldc + v * VL, acc[r][v]);                                   \
	}

GEMM_BLOCK(8, 2)
GEMM_BLOCK(4, 2)
GEMM_BLOCK(2, 2)
GEMM_BLOCK(1, 2)
GEMM_BLOCK(1, 8)
GEMM_BLOCK(1, 4)
GEMM_BLOCK(1, 1)

#define PANEL (2 * VL) /* columns per packed panel */

/* Copy W [K][N] into panels of PANEL columns, each [K][PANEL] contiguous.
 * With N a power of two the rows of an unpacked panel are N*4 bytes apart
 * and all fall into a few L1 sets; packed, a panel (K x 128 bytes, 24 KiB
 * for K = 192) stays in L1 while every row block uses it. The last N %
 * PANEL columns are not packed. */
static void pack_panels(const float *W, size_t K, size_t N, float *dst)
{
	for (size_t p = 0; p + PANEL <= N; p += PANEL)
		for (size_t k = 0; k < K; k++, dst += PANEL)
			memcpy(dst, W + k * N + p, PANEL * sizeof(float));
}

/* Columns [j, N) of every row, unpacked: 16-wide vectors, then scalars. */
static void gemm_tail(const float *A, size_t lda, const float *W, size_t K, size_t N,
                      const float *init, size_t init_ld, float *C, size_t ldc, size_t R, size_t j)
{
	size_t nv = N / VL * VL;
	for (size_t r = 0; r < R; r++) {
		const float *a = A + r * lda, *in = init + r * init_ld;
		float *c = C + r * ldc;
		for (size_t jj = j; jj < nv; jj += VL)
			gemm_1x1(a, lda, W + jj, N, K, in + jj, init_ld, c + jj, ldc);
		for (size_t jj = nv; jj < N; jj++) {
			float s = in[jj];
			for (size_t k = 0; k < K; k++)
				s += a[k] * W[k * N + jj];
			c[jj] = s;
		}
	}
}

/* C[R][N] = init + A[R][K] @ W[K][N]. One row (batch 1) is a matrix-vector
 * product bound by streaming W: wide 1x8 blocks keep 8 FMA chains in
 * flight. Several rows use W packed into panels (packed != NULL, from
 * pack_panels): panels outermost, row blocks of 8 inside, so each panel is
 * read from L2 once per call and from L1 by every row block. */
static void gemm(const float *A, size_t lda, const float *W, const float *packed, size_t K,
                 size_t N, const float *init, size_t init_ld, float *C, size_t ldc, size_t R)
{
	size_t j = 0;
	if (R == 1 || !packed) {
		for (size_t r = 0; r < R; r++) {
			const float *a = A + r * lda, *in = init + r * init_ld;
			float *c = C + r * ldc;
			for (j = 0; j + 8 * VL <= N; j += 8 * VL)
				gemm_1x8(a, lda, W + j, N, K, in + j, init_ld, c + j, ldc);
			for (; j + 4 * VL <= N; j += 4 * VL)
				gemm_1x4(a, lda, W + j, N, K, in + j, init_ld, c + j, ldc);
			gemm_tail(a, lda, W, K, N, in, init_ld, c, ldc, 1, j);
		}
		return;
	}
	for (; j + PANEL <= N; j += PANEL, packed += K * PANEL) {
		for (size_t r0 = 0; r0 < R;) {
			size_t left = R - r0;
			const float *a = A + r0 * lda, *in = init + r0 * init_ld + j;
			float *c = C + r0 * ldc + j;
			if (left >= 8) {
				gemm_8x2(a, lda, packed, PANEL, K, in, init_ld, c, ldc);
				r0 += 8;
			} else if (left >= 4) {
				gemm_4x2(a, lda, packed, PANEL, K, in, init_ld, c, ldc);
				r0 += 4;
			} else if (left >= 2) {
				gemm_2x2(a, lda, packed, PANEL, K, in, init_ld, c, ldc);
				r0 += 2;
			} else {
				gemm_1x2(a, lda, packed, PANEL, K, in, init_ld, c, ldc);
				r0 += 1;
			}
		}
	}
	gemm_tail(A, lda, W, K, N, init, init_ld, C, ldc, R, j);
}

/* Gates of one row: z [4U] -> c [U], h [U] (h may alias nothing in z). */
static void gates(enum tg_act act, uint32_t U, const float *z, float *c, float *h)
{
	uint32_t j = 0;
	for (; j + VL <= U; j += VL) {
		v16 i = vsigmoid(vload(z + j)), f = vsigmoid(vload(z + U + j));
		v16 g = vact(act, vload(z + 2 * U + j)), o = vsigmoid(vload(z + 3 * U + j));
		v16 cn = vfma(f, vload(c + j), i * g);
		vstore(c + j, cn);
		vstore(h + j, o * vact(act, cn));
	}
	if (j < U) { /* tail: pad into full vectors so results match the body */
		float t[6][VL];
		memset(t, 0, sizeof(t));
		uint32_t n = U - j;
		for (uint32_t q = 0; q < 4; q++)
			memcpy(t[q], z + q * U + j, n * sizeof(float));
		memcpy(t[4], c + j, n * sizeof(float));
		v16 i = vsigmoid(vload(t[0])), f = vsigmoid(vload(t[1]));
		v16 g = vact(act, vload(t[2])), o = vsigmoid(vload(t[3]));
		v16 cn = vfma(f, vload(t[4]), i * g);
		vstore(t[4], cn);
		vstore(t[5], o * vact(act, cn));
		memcpy(c + j, t[4], n * sizeof(float));
		memcpy(h + j, t[5], n * sizeof(float));
	}
}

static void *alloc_floats(size_t n)
{
	size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
	void *p = aligned_alloc(64, bytes ? bytes : 64);
	if (p)
		memset(p, 0, bytes ? bytes : 64);
	return p;
}

int tg_model_ws_create(const struct tg_model_config *cfg, uint32_t max_batch,
                       struct tg_model_ws **out)
{
	*out = NULL;
	if (tg_model_config_check(cfg, NULL, 0) < 0 || max_batch < 1 || max_batch > 65536)
		return -EINVAL;
	struct tg_model_ws *ws = calloc(1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	ws->cfg = *cfg;
	ws->max_batch = max_batch;
	ws->maxu = ws->maxin = cfg->features;
	for (uint32_t k = 0; k < cfg->n_enc + cfg->n_dec; k++) {
		uint32_t u = k < cfg->n_enc ? cfg->enc_units[k] : cfg->dec_units[k - cfg->n_enc];
		if (u > ws->maxu)
			ws->maxu = u;
		if (u > ws->maxin)
			ws->maxin = u;
	}
	size_t B = max_batch, T = cfg->window, U = ws->maxu;
	ws->xh = alloc_floats(B * (ws->maxin + U));
	ws->z = alloc_floats(B * 4 * U);
	ws->c = alloc_floats(B * U);
	ws->xproj = alloc_floats(B * 4 * U);
	ws->seq[0] = alloc_floats(T * B * U);
	ws->seq[1] = alloc_floats(T * B * U);
	ws->rec = alloc_floats(B * T * cfg->features);
	ws->pack = alloc_floats((size_t)(ws->maxin + U) * 4 * U);
	if (!ws->xh || !ws->z || !ws->c || !ws->xproj || !ws->seq[0] || !ws->seq[1] || !ws->rec ||
	    !ws->pack) {
		tg_model_ws_destroy(ws);
		return -ENOMEM;
	}
	*out = ws;
	return 0;
}

void tg_model_ws_destroy(struct tg_model_ws *ws)
{
	if (!ws)
		return;
	free(ws->xh);
	free(ws->z);
	free(ws->c);
	free(ws->xproj);
	free(ws->seq[0]);
	free(ws->seq[1]);
	free(ws->rec);
	free(ws->pack);
	free(ws);
}

uint32_t tg_model_ws_max_batch(const struct tg_model_ws *ws)
{
	return ws->max_batch;
}

/* Where a layer reads its input at step t for row b. */
struct seq_in {
	const float *base;
	size_t t_stride, b_stride;
};

int tg_model_forward_batch(const struct tg_model *m, struct tg_model_ws *ws, const float *x,
                           uint32_t n, float *recon, double *scores)
{
	if (n > ws->max_batch || memcmp(&ws->cfg, &m->cfg, sizeof(ws->cfg)) != 0)
		return -EINVAL;
	if (n == 0)
		return 0;
	const uint32_t T = m->cfg.window, F = m->cfg.features, B = n;
	struct seq_in src = {x, F, (size_t)T * F};
	int cur = 0; /* seq buffer the next layer writes */
	for (uint32_t k = 0; k < m->n_lstm; k++) {
		const struct tg_lstm_layer *l = &m->lstm[k];
		const size_t U = l->units, N = 4 * U;
		const bool dec0 = k == m->cfg.n_enc;
		/* decoder layer 0: its input (the repeated vector) sits in xh's h
		 * part from the encoder's last step; project it once. */
		const size_t I = dec0 ? 0 : l->in, ld = I + U;
		if (dec0) {
			size_t pin = m->lstm[k - 1].in + l->in; /* previous xh layout */
			for (uint32_t b = 0; b < B; b++)
				memmove(ws->c + (size_t)b * l->in,
				        ws->xh + (size_t)b * pin + m->lstm[k - 1].in,
				        l->in * sizeof(float));
			gemm(ws->c, l->in, l->kernel, NULL, l->in, N, l->bias, 0, ws->xproj, N, B);
		}
		/* The step's weights: recurrent only for the decoder's first layer,
		 * else [kernel; recurrent]; packed once per call for batches >= 4. */
		const float *Wl = dec0 ? l->recurrent : l->kernel;
		const float *packed = NULL;
		if (B >= 4) { /* below 4 rows the copy costs more than it saves */
			pack_panels(Wl, ld, N, ws->pack);
			packed = ws->pack;
		}
		memset(ws->c, 0, (size_t)B * U * sizeof(float));
		for (uint32_t b = 0; b < B; b++)
			memset(ws->xh + b * ld + I, 0, U * sizeof(float));
		float *out = ws->seq[cur];
		for (uint32_t t = 0; t < T; t++) {
			for (uint32_t b = 0; b < B; b++)
				memcpy(ws->xh + b * ld,
				       src.base + t * src.t_stride + b * src.b_stride,
				       I * sizeof(float));
			gemm(ws->xh, ld, Wl, packed, ld, N, dec0 ? ws->xproj : l->bias,
			     dec0 ? N : 0, ws->z, N, B);
			for (uint32_t b = 0; b < B; b++) {
				float *h = ws->xh + b * ld + I;
				gates(l->act, (uint32_t)U, ws->z + b * N, ws->c + b * U, h);
				if (l->return_sequences)
					memcpy(out + ((size_t)t * B + b) * U, h, U * sizeof(float));
			}
		}
		if (l->return_sequences) {
			src = (struct seq_in){out, (size_t)B * U, U};
			cur ^= 1;
		}
	}
	/* TimeDistributed(Dense(F)) on the last layer's sequence. */
	const uint32_t U = m->lstm[m->n_lstm - 1].units;
	float *rec = recon ? recon : ws->rec;
	for (uint32_t b = 0; b < B; b++)
		for (uint32_t t = 0; t < T; t++) {
			const float *h = src.base + t * src.t_stride + b * src.b_stride;
			for (uint32_t f = 0; f < F; f++) {
				float s = 0;
				for (uint32_t q = 0; q < U; q++)
					s += h[q] * m->dense_kernel[(size_t)q * F + f];
				rec[((size_t)b * T + t) * F + f] = s + m->dense_bias[f];
			}
		}
	if (scores)
		for (uint32_t b = 0; b < B; b++)
			scores[b] = tg_model_mse(x + (size_t)b * T * F, rec + (size_t)b * T * F,
			                         (size_t)T * F);
	return 0;
}

int tg_model_forward(const struct tg_model *m, struct tg_model_ws *ws, const float *x, float *recon,
                     double *score)
{
	return tg_model_forward_batch(m, ws, x, 1, recon, score);
}
