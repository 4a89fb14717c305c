/* model.h - the LSTM autoencoder: structure, parameters, initialisation and
 * inference. Pure compute: no I/O, no globals, no printing.
 *
 * Architecture (Keras semantics, every size configurable):
 *   Input(window, features)
 *   -> LSTM(enc[0], return_sequences) ... -> LSTM(enc[n_enc-1])   (last one: final h only)
 *   -> RepeatVector(window)
 *   -> LSTM(dec[0], return_sequences) ... -> LSTM(dec[n_dec-1], return_sequences)
 *   -> TimeDistributed(Dense(features, linear))
 * The reference design is window 60, features 1, enc {128, 64}, dec {64, 128}, relu.
 *
 * One LSTM step (Keras LSTMCell, gate order i, f, c, o along the 4u axis):
 *   z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias        (z: [4u])
 *   i = sigmoid(z_i)  f = sigmoid(z_f)  g = act(z_c)  o = sigmoid(z_o)
 *   c_t = f * c_{t-1} + i * g          h_t = o * act(c_t)       h_0 = c_0 = 0
 * act is relu or tanh; the recurrent activation is always the exact sigmoid.
 *
 * Parameters live in ONE contiguous float block (tg_model.params), in the
 * Keras weightsManifest order: for each LSTM layer kernel [in][4u],
 * recurrent_kernel [u][4u], bias [4u]; then dense kernel [u_last][features],
 * dense bias [features]. All row-major. Training keeps gradients and Adam
 * moments as parallel blocks of n_params floats with the same layout.
 *
 * Thread safety: a model is read-only during inference; any number of
 * threads may run forward passes on one model, each with its own workspace.
 */
#ifndef TG_MODEL_H
#define TG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_MODEL_MAX_LAYERS 8 /* per side (encoder, decoder) */
#define TG_MODEL_MAX_LSTM   (2 * TG_MODEL_MAX_LAYERS)
#define TG_MODEL_MAX_WINDOW 4096
#define TG_MODEL_MAX_UNITS  4096

enum tg_act {
	TG_ACT_RELU = 0,
	TG_ACT_TANH = 1,
};

struct tg_model_config {
	uint32_t window;   /* timesteps per window (RepeatVector n) */
	uint32_t features; /* values per timestep (1: the price series) */
	uint32_t n_enc, n_dec;
	uint32_t enc_units[TG_MODEL_MAX_LAYERS];
	uint32_t dec_units[TG_MODEL_MAX_LAYERS];
	enum tg_act act; /* activation of every LSTM layer */
};

struct tg_lstm_layer {
	uint32_t in, units;
	bool return_sequences;
	enum tg_act act;
	float *kernel;    /* [in][4*units]    points into tg_model.params */
	float *recurrent; /* [units][4*units] */
	float *bias;      /* [4*units] */
	size_t offset;    /* of kernel, in floats from params */
};

struct tg_model {
	struct tg_model_config cfg;
	uint32_t n_lstm; /* n_enc + n_dec; lstm[0..n_enc) encoder */
	struct tg_lstm_layer lstm[TG_MODEL_MAX_LSTM];
	float *dense_kernel; /* [units of last LSTM][features] */
	float *dense_bias;   /* [features] */
	float *params;       /* all weights, manifest order (64-byte aligned) */
	size_t n_params;
};

/* One weight tensor of the manifest, for packages and optimisers. */
struct tg_model_tensor {
	int layer;           /* LSTM index 0..n_lstm-1, or -1 for the dense layer */
	const char *role;    /* "kernel", "recurrent_kernel" or "bias" */
	uint32_t rows, cols; /* shape [rows, cols]; a bias is [1, cols] -> rank 1 */
	int rank;
	size_t offset; /* in floats from params */
	size_t count;
};

/* The reference design: 60, 1, {128, 64}, {64, 128}, relu. */
void tg_model_config_default(struct tg_model_config *cfg);
/* 0, or -EINVAL with a reason in err (may be NULL). */
int tg_model_config_check(const struct tg_model_config *cfg, char *err, size_t errlen);
/* Number of float parameters for cfg (0 if cfg is invalid). */
size_t tg_model_config_param_count(const struct tg_model_config *cfg);
/* Multiply-adds x2 per window, counted the naive way (29.6 M for the default). */
double tg_model_config_flops(const struct tg_model_config *cfg);

/* Allocate a model with all parameters zero. 0 or -EINVAL/-ENOMEM. */
int tg_model_create(const struct tg_model_config *cfg, struct tg_model **out);
void tg_model_destroy(struct tg_model *m);
/* Deep copy (same config, same weights). */
int tg_model_clone(const struct tg_model *m, struct tg_model **out);

/* Keras initialisation, deterministic for a seed: glorot-uniform kernels
 * (LSTM and dense), orthogonal recurrent kernels, zero biases except the
 * forget-gate slice of each LSTM bias = 1 (unit_forget_bias). */
void tg_model_init(struct tg_model *m, uint64_t seed);

/* The manifest: fills up to max tensors, returns how many there are
 * (3 * n_lstm + 2). */
int tg_model_tensors(const struct tg_model *m, struct tg_model_tensor *out, int max);
/* 0 if every parameter is finite, else -EDOM. */
int tg_model_check_finite(const struct tg_model *m);

/* Reconstruction score: mean squared error over n values, accumulated in
 * double. Always finite: NaN or overflow anywhere gives DBL_MAX. */
double tg_model_mse(const float *x, const float *recon, size_t n);

/* --- Reference forward (the oracle) -------------------------------------
 * Plain loops, straight from the equations above, double accumulation.
 * x: [window][features] (scaled), recon: [window][features] (may be NULL),
 * *score: MSE (may be NULL). Allocates scratch; NOT for the hot path.
 * 0 or -ENOMEM. */
int tg_model_forward_ref(const struct tg_model *m, const float *x, float *recon, double *score);

/* --- Fast forward ---------------------------------------------------------
 * Batched and vectorised, float accumulation; agrees with the reference to
 * ~1e-5 relative. A workspace holds all scratch for batches up to max_batch:
 * the hot path allocates nothing. A workspace belongs to one thread and to
 * models of the config it was created for. */
struct tg_model_ws;
int tg_model_ws_create(const struct tg_model_config *cfg, uint32_t max_batch,
                       struct tg_model_ws **out);
void tg_model_ws_destroy(struct tg_model_ws *ws);
uint32_t tg_model_ws_max_batch(const struct tg_model_ws *ws);

/* Forward n windows: x [n][window][features] -> recon [n][window][features]
 * (may be NULL) and scores[n] (may be NULL). n <= max_batch.
 * Hot path: no allocation, no locks. Batches >= 4 copy the weights into the
 * workspace (panels, ~1 MB for the reference design) once per call.
 * 0 or -EINVAL (n too large, or the workspace was made for another config). */
int tg_model_forward_batch(const struct tg_model *m, struct tg_model_ws *ws, const float *x,
                           uint32_t n, float *recon, double *scores);
/* Convenience: one window through the fast path. */
int tg_model_forward(const struct tg_model *m, struct tg_model_ws *ws, const float *x, float *recon,
                     double *score);

/* TG_MODEL_API_READY */

#endif
