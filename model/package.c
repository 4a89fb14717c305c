/* package.c - model packages: Keras / TensorFlow.js "layers" model.json +
 * float32 LE weight shards, and the detector.json beside them.
 *
 * Writing spells out every layer config (TF.js's own LSTM defaults differ
 * from Keras: hardSigmoid, no unit forget bias), names weights
 * "<layer>/<role>" as TF.js does, and lays shards out in manifest order.
 * Reading accepts what TF.js and Keras (2 and 3) write for this autoencoder
 * shape, matches weights by layer name and role, and rejects anything it
 * cannot honour with a reason, rather than silently computing something
 * else.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "model/package.h"

#ifndef TG_VERSION
#define TG_VERSION "0.1.0"
#endif

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "weight shards are float32 little-endian; add byte swapping for this target"
#endif

#define MAX_JSON_BYTES  (64u << 20)
#define MAX_SHARD_BYTES (1u << 30)
#define SHARD_NAME      "group1-shard1of1.bin"
#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int path_join(char *out, size_t n, const char *dir, const char *name)
{
	int k = snprintf(out, n, "%s/%s", dir, name);
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

/* Whole file into a NUL-terminated buffer. */
static int read_file(const char *path, size_t limit, char **buf, size_t *len)
{
	*buf = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	int rc = -EIO;
	char *b = NULL;
	if (fseek(f, 0, SEEK_END) != 0)
		goto out_close;
	long sz = ftell(f);
	if (sz < 0 || (size_t)sz > limit) {
		rc = sz < 0 ? -EIO : -EFBIG;
		goto out_close;
	}
	rewind(f);
	b = malloc((size_t)sz + 1);
	if (!b) {
		rc = -ENOMEM;
		goto out_close;
	}
	if (fread(b, 1, (size_t)sz, f) != (size_t)sz) {
		free(b);
		goto out_close;
	}
	b[sz] = 0;
	*buf = b;
	*len = (size_t)sz;
	rc = 0;
out_close:
	fclose(f);
	return rc;
}

static int write_file(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return -errno;
	int rc = 0;
	if (len && fwrite(data, 1, len, f) != len)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	/* write-then-rename: a reader never sees half a file */
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc < 0)
		remove(tmp);
	return rc;
}

static int make_dir(const char *dir)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

static const char *act_name(enum tg_act a)
{
	return a == TG_ACT_RELU ? "relu" : "tanh";
}

/* --- writing model.json ---------------------------------------------------- */

static cJSON *initializer(const char *cls, double gain)
{
	cJSON *o = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(o, "config");
	cJSON_AddStringToObject(o, "class_name", cls);
	if (gain > 0)
		cJSON_AddNumberToObject(c, "gain", gain);
	if (strcmp(cls, "Zeros") != 0)
		cJSON_AddNullToObject(c, "seed");
	return o;
}

static void add_nulls(cJSON *c, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cJSON_AddNullToObject(c, names[i]);
}

static cJSON *lstm_json(const struct tg_model *m, uint32_t k, const char *name)
{
	static const char *const nulls[] = {"kernel_regularizer", "recurrent_regularizer",
	                                    "bias_regularizer",   "activity_regularizer",
	                                    "kernel_constraint",  "recurrent_constraint",
	                                    "bias_constraint"};
	const struct tg_lstm_layer *l = &m->lstm[k];
	cJSON *o = cJSON_CreateObject(), *c;
	cJSON_AddStringToObject(o, "class_name", "LSTM");
	c = cJSON_AddObjectToObject(o, "config");
	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddBoolToObject(c, "trainable", 1);
	if (k == 0) {
		cJSON *s = cJSON_AddArrayToObject(c, "batch_input_shape");
		cJSON_AddItemToArray(s, cJSON_CreateNull());
		cJSON_AddItemToArray(s, cJSON_CreateNumber(m->cfg.window));
		cJSON_AddItemToArray(s, cJSON_CreateNumber(m->cfg.features));
	}
	cJSON_AddStringToObject(c, "dtype", "float32");
	cJSON_AddNumberToObject(c, "units", l->units);
	cJSON_AddStringToObject(c, "activation", act_name(l->act));
	cJSON_AddStringToObject(c, "recurrent_activation", "sigmoid");
	cJSON_AddBoolToObject(c, "use_bias", 1);
	cJSON_AddItemToObject(c, "kernel_initializer", initializer("GlorotUniform", 0));
	cJSON_AddItemToObject(c, "recurrent_initializer", initializer("Orthogonal", 1.0));
	cJSON_AddItemToObject(c, "bias_initializer", initializer("Zeros", 0));
	cJSON_AddBoolToObject(c, "unit_forget_bias", 1);
	add_nulls(c, nulls, ARRAY_SIZE(nulls));
	cJSON_AddNumberToObject(c, "dropout", 0);
	cJSON_AddNumberToObject(c, "recurrent_dropout", 0);
	cJSON_AddNumberToObject(c, "implementation", 2);
	cJSON_AddBoolToObject(c, "return_sequences", l->return_sequences);
	cJSON_AddBoolToObject(c, "return_state", 0);
	cJSON_AddBoolToObject(c, "go_backwards", 0);
	cJSON_AddBoolToObject(c, "stateful", 0);
	cJSON_AddBoolToObject(c, "unroll", 0);
	return o;
}

static cJSON *topology_json(const struct tg_model *m, char names[][32])
{
	cJSON *top = cJSON_CreateObject();
	cJSON_AddStringToObject(top, "class_name", "Sequential");
	cJSON *cfg = cJSON_AddObjectToObject(top, "config");
	cJSON_AddStringToObject(cfg, "name", "tickguard_autoencoder");
	cJSON *layers = cJSON_AddArrayToObject(cfg, "layers");
	for (uint32_t k = 0; k < m->n_lstm; k++) {
		cJSON_AddItemToArray(layers, lstm_json(m, k, names[k]));
		if (k == m->cfg.n_enc - 1) {
			cJSON *r = cJSON_CreateObject(), *rc;
			cJSON_AddStringToObject(r, "class_name", "RepeatVector");
			rc = cJSON_AddObjectToObject(r, "config");
			cJSON_AddStringToObject(rc, "name", "repeat_vector");
			cJSON_AddBoolToObject(rc, "trainable", 1);
			cJSON_AddNumberToObject(rc, "n", m->cfg.window);
			cJSON_AddItemToArray(layers, r);
		}
	}
	static const char *const dnulls[] = {"kernel_regularizer", "bias_regularizer",
	                                     "activity_regularizer", "kernel_constraint",
	                                     "bias_constraint"};
	cJSON *td = cJSON_CreateObject(), *tc, *d, *dc;
	cJSON_AddStringToObject(td, "class_name", "TimeDistributed");
	tc = cJSON_AddObjectToObject(td, "config");
	cJSON_AddStringToObject(tc, "name", names[m->n_lstm]);
	cJSON_AddBoolToObject(tc, "trainable", 1);
	d = cJSON_AddObjectToObject(tc, "layer");
	cJSON_AddStringToObject(d, "class_name", "Dense");
	dc = cJSON_AddObjectToObject(d, "config");
	cJSON_AddStringToObject(dc, "name", "dense");
	cJSON_AddBoolToObject(dc, "trainable", 1);
	cJSON_AddNumberToObject(dc, "units", m->cfg.features);
	cJSON_AddStringToObject(dc, "activation", "linear");
	cJSON_AddBoolToObject(dc, "use_bias", 1);
	cJSON_AddItemToObject(dc, "kernel_initializer", initializer("GlorotUniform", 0));
	cJSON_AddItemToObject(dc, "bias_initializer", initializer("Zeros", 0));
	add_nulls(dc, dnulls, ARRAY_SIZE(dnulls));
	cJSON_AddItemToArray(layers, td);
	cJSON_AddStringToObject(top, "keras_version", "tickguard " TG_VERSION);
	cJSON_AddStringToObject(top, "backend", "tensor_flow.js");
	return top;
}

static void layer_names(const struct tg_model *m, char names[][32])
{
	for (uint32_t k = 0; k < m->n_lstm; k++) {
		if (k == 0)
			snprintf(names[k], 32, "lstm");
		else
			snprintf(names[k], 32, "lstm_%u", k);
	}
	snprintf(names[m->n_lstm], 32, "time_distributed");
}

int tg_model_save_layers(const char *dir, const struct tg_model *m, char *err, size_t errlen)
{
	char names[TG_MODEL_MAX_LSTM + 1][32], path[4096];
	struct tg_model_tensor t[3 * TG_MODEL_MAX_LSTM + 2];
	int rc = make_dir(dir);
	if (rc < 0)
		return fail(err, errlen, rc, "cannot create %s: %s", dir, strerror(-rc));
	if (tg_model_check_finite(m) < 0)
		return fail(err, errlen, -EDOM, "model has non-finite weights; not saving");
	layer_names(m, names);
	int nt = tg_model_tensors(m, t, (int)ARRAY_SIZE(t));
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "format", "layers-model");
	cJSON_AddStringToObject(root, "generatedBy", "tickguard " TG_VERSION);
	cJSON_AddNullToObject(root, "convertedBy");
	cJSON_AddItemToObject(root, "modelTopology", topology_json(m, names));
	cJSON *man = cJSON_AddArrayToObject(root, "weightsManifest"), *g = cJSON_CreateObject();
	cJSON_AddItemToArray(man, g);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(g, "paths"), cJSON_CreateString(SHARD_NAME));
	cJSON *ws = cJSON_AddArrayToObject(g, "weights");
	for (int i = 0; i < nt; i++) {
		char wn[96];
		const char *ln = t[i].layer < 0 ? names[m->n_lstm] : names[t[i].layer];
		snprintf(wn, sizeof(wn), "%s/%s", ln, t[i].role);
		cJSON *w = cJSON_CreateObject(), *shape;
		cJSON_AddStringToObject(w, "name", wn);
		shape = cJSON_AddArrayToObject(w, "shape");
		if (t[i].rank == 2)
			cJSON_AddItemToArray(shape, cJSON_CreateNumber(t[i].rows));
		cJSON_AddItemToArray(shape, cJSON_CreateNumber(t[i].cols));
		cJSON_AddStringToObject(w, "dtype", "float32");
		cJSON_AddItemToArray(ws, w);
	}
	char *txt = cJSON_Print(root);
	cJSON_Delete(root);
	if (!txt)
		return fail(err, errlen, -ENOMEM, "out of memory writing model.json");
	/* Shard first, then model.json: a package with a model.json is complete. */
	rc = path_join(path, sizeof(path), dir, SHARD_NAME);
	if (rc == 0)
		rc = write_file(path, m->params, m->n_params * sizeof(float));
	if (rc < 0) {
		free(txt);
		return fail(err, errlen, rc, "cannot write %s/%s: %s", dir, SHARD_NAME,
		            strerror(-rc));
	}
	rc = path_join(path, sizeof(path), dir, "model.json");
	if (rc == 0)
		rc = write_file(path, txt, strlen(txt));
	free(txt);
	if (rc < 0)
		return fail(err, errlen, rc, "cannot write %s/model.json: %s", dir, strerror(-rc));
	return 0;
}

/* --- reading model.json ----------------------------------------------------- */

enum lkind { L_LSTM, L_REPEAT, L_DENSE };

struct player {
	enum lkind kind;
	char name[64];
	uint32_t units; /* LSTM units, Dense units, RepeatVector n */
	enum tg_act act;
	bool return_sequences;
};

struct parsed {
	uint32_t window, features; /* 0 = not given */
	uint32_t n;
	struct player l[2 * TG_MODEL_MAX_LSTM + 4];
};

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Is key absent, null, false or 0? (for options we only support off) */
static bool joff(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return !v || cJSON_IsNull(v) || cJSON_IsFalse(v) ||
	       (cJSON_IsNumber(v) && v->valuedouble == 0);
}

/* Non-negative integer field, or -1. */
static long jint(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9 ||
	    v->valuedouble != floor(v->valuedouble))
		return -1;
	return (long)v->valuedouble;
}

/* Activation may be a string or (Keras 3) a serialized object. */
static const char *jact(const cJSON *c, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsObject(v)) {
		const char *s = jstr(v, "config");
		if (s)
			return s;
		return jstr(v, "class_name");
	}
	return NULL;
}

/* [null, T, F] from batch_input_shape / batch_shape. */
static int input_shape(const cJSON *c, struct parsed *p, char *err, size_t errlen)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "batch_input_shape");
	if (!s)
		s = cJSON_GetObjectItemCaseSensitive(c, "batch_shape");
	if (!s)
		return 0;
	if (!cJSON_IsArray(s) || cJSON_GetArraySize(s) != 3)
		return fail(err, errlen, -EINVAL, "input shape must be [batch, window, features]");
	const cJSON *t = cJSON_GetArrayItem(s, 1), *f = cJSON_GetArrayItem(s, 2);
	if (cJSON_IsNumber(t))
		p->window = (uint32_t)t->valuedouble;
	if (!cJSON_IsNumber(f) || f->valuedouble < 1)
		return fail(err, errlen, -EINVAL, "input features dimension must be a number");
	p->features = (uint32_t)f->valuedouble;
	return 0;
}

static int parse_layer(const cJSON *layer, struct parsed *p, char *err, size_t errlen)
{
	const char *cls = jstr(layer, "class_name");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(layer, "config");
	if (!cls || !cJSON_IsObject(c))
		return fail(err, errlen, -EINVAL, "layer without class_name/config");
	const char *name = jstr(c, "name") ? jstr(c, "name") : jstr(layer, "name");
	int rc = input_shape(c, p, err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(cls, "InputLayer") == 0)
		return 0;
	if (p->n >= ARRAY_SIZE(p->l))
		return fail(err, errlen, -EINVAL, "too many layers");
	struct player *l = &p->l[p->n];
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name ? name : "");
	if (strcmp(cls, "LSTM") == 0) {
		const char *a = jact(c, "activation"), *ra = jact(c, "recurrent_activation");
		long u = jint(c, "units");
		l->kind = L_LSTM;
		if (u < 1 || u > TG_MODEL_MAX_UNITS)
			return fail(err, errlen, -EINVAL, "LSTM %s: bad units", l->name);
		l->units = (uint32_t)u;
		if (!a || (strcmp(a, "relu") != 0 && strcmp(a, "tanh") != 0))
			return fail(err, errlen, -EINVAL,
			            "LSTM %s: activation %s not supported (relu, tanh)", l->name,
			            a ? a : "(missing)");
		l->act = strcmp(a, "relu") == 0 ? TG_ACT_RELU : TG_ACT_TANH;
		if (!ra || strcmp(ra, "sigmoid") != 0)
			return fail(err, errlen, -EINVAL,
			            "LSTM %s: recurrent_activation %s not supported (must be "
			            "spelled out as sigmoid; TF.js defaults to hardSigmoid)",
			            l->name, ra ? ra : "(missing)");
		const cJSON *ub = cJSON_GetObjectItemCaseSensitive(c, "use_bias");
		if (ub && !cJSON_IsTrue(ub))
			return fail(err, errlen, -EINVAL, "LSTM %s: use_bias false not supported",
			            l->name);
		if (!joff(c, "return_state") || !joff(c, "go_backwards") || !joff(c, "stateful") ||
		    !joff(c, "time_major"))
			return fail(err, errlen, -EINVAL,
			            "LSTM %s: return_state/go_backwards/stateful/time_major not "
			            "supported",
			            l->name);
		l->return_sequences =
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "return_sequences"));
	} else if (strcmp(cls, "RepeatVector") == 0) {
		long n = jint(c, "n");
		l->kind = L_REPEAT;
		if (n < 1 || n > TG_MODEL_MAX_WINDOW)
			return fail(err, errlen, -EINVAL, "RepeatVector %s: bad n", l->name);
		l->units = (uint32_t)n;
	} else if (strcmp(cls, "TimeDistributed") == 0 || strcmp(cls, "Dense") == 0) {
		const cJSON *dc = c;
		if (strcmp(cls, "TimeDistributed") == 0) {
			const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "layer");
			const char *icls = jstr(in, "class_name");
			if (!icls || strcmp(icls, "Dense") != 0)
				return fail(err, errlen, -EINVAL,
				            "TimeDistributed %s: only Dense inside is supported",
				            l->name);
			dc = cJSON_GetObjectItemCaseSensitive(in, "config");
		}
		const char *a = jact(dc, "activation");
		long u = jint(dc, "units");
		l->kind = L_DENSE;
		if (u < 1)
			return fail(err, errlen, -EINVAL, "Dense in %s: bad units", l->name);
		l->units = (uint32_t)u;
		if (a && strcmp(a, "linear") != 0)
			return fail(err, errlen, -EINVAL,
			            "Dense in %s: activation %s not supported (linear)", l->name,
			            a);
		const cJSON *ub = cJSON_GetObjectItemCaseSensitive(dc, "use_bias");
		if (ub && !cJSON_IsTrue(ub))
			return fail(err, errlen, -EINVAL,
			            "Dense in %s: use_bias false not supported", l->name);
	} else {
		return fail(err, errlen, -EINVAL, "unknown or unsupported layer class %s (%s)", cls,
		            name ? name : "unnamed");
	}
	p->n++;
	return 0;
}

/* Topology -> parsed layer list. Accepts {modelTopology: ...}, a bare
 * topology, and Keras' {model_config: ...} wrapper. */
static int parse_topology(const cJSON *top, struct parsed *p, char *err, size_t errlen)
{
	const cJSON *mc = cJSON_GetObjectItemCaseSensitive(top, "model_config");
	if (mc)
		top = mc;
	const char *cls = jstr(top, "class_name");
	if (!cls)
		return fail(err, errlen, -EINVAL, "modelTopology has no class_name");
	bool seq = strcmp(cls, "Sequential") == 0;
	if (!seq && strcmp(cls, "Model") != 0 && strcmp(cls, "Functional") != 0)
		return fail(err, errlen, -EINVAL, "model class %s not supported", cls);
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(top, "config");
	const cJSON *layers =
	    cJSON_IsArray(cfg) ? cfg : cJSON_GetObjectItemCaseSensitive(cfg, "layers");
	if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) == 0)
		return fail(err, errlen, -EINVAL, "modelTopology has no layers");
	const cJSON *layer;
	cJSON_ArrayForEach(layer, layers)
	{
		int rc = parse_layer(layer, p, err, errlen);
		if (rc < 0)
			return rc;
	}
	/* Functional models are accepted when their layers form the chain in
	 * list order (the only shape of this autoencoder); Keras lists layers
	 * topologically, and the structure check below catches anything else. */
	return 0;
}

/* Parsed layers -> model config; checks the autoencoder shape. */
static int to_config(const struct parsed *p, struct tg_model_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	uint32_t i = 0;
	for (; i < p->n && p->l[i].kind == L_LSTM; i++) {
		if (cfg->n_enc == TG_MODEL_MAX_LAYERS)
			return fail(err, errlen, -EINVAL, "more than 8 encoder LSTMs");
		cfg->enc_units[cfg->n_enc++] = p->l[i].units;
		bool last = i + 1 < p->n && p->l[i + 1].kind == L_REPEAT;
		if (p->l[i].return_sequences == last)
			return fail(err, errlen, -EINVAL,
			            "LSTM %s: return_sequences must be %s in the encoder",
			            p->l[i].name, last ? "false (last encoder layer)" : "true");
	}
	if (cfg->n_enc == 0 || i >= p->n || p->l[i].kind != L_REPEAT)
		return fail(err, errlen, -EINVAL,
		            "topology must be LSTM+ -> RepeatVector -> LSTM+ -> Dense");
	cfg->window = p->l[i++].units;
	for (; i < p->n && p->l[i].kind == L_LSTM; i++) {
		if (cfg->n_dec == TG_MODEL_MAX_LAYERS)
			return fail(err, errlen, -EINVAL, "more than 8 decoder LSTMs");
		if (!p->l[i].return_sequences)
			return fail(err, errlen, -EINVAL,
			            "LSTM %s: decoder layers need return_sequences true",
			            p->l[i].name);
		cfg->dec_units[cfg->n_dec++] = p->l[i].units;
	}
	if (cfg->n_dec == 0 || i + 1 != p->n || p->l[i].kind != L_DENSE)
		return fail(err, errlen, -EINVAL,
		            "topology must be LSTM+ -> RepeatVector -> LSTM+ -> Dense (last)");
	cfg->features = p->l[i].units;
	if (p->features && p->features != cfg->features)
		return fail(err, errlen, -EINVAL, "input has %u features but Dense outputs %u",
		            p->features, cfg->features);
	if (p->window && p->window != cfg->window)
		return fail(err, errlen, -EINVAL, "input window %u != RepeatVector n %u", p->window,
		            cfg->window);
	cfg->act = p->l[0].act;
	return tg_model_config_check(cfg, err, errlen);
}

struct mweight {
	const char *name;
	size_t offset, count; /* in floats into the concatenated shards */
	uint32_t shape[4];
	int rank;
	bool used;
};

static int shape_matches(const struct mweight *w, const struct tg_model_tensor *t)
{
	if (t->rank == 1)
		return w->rank == 1 && w->shape[0] == t->cols;
	return w->rank == 2 && w->shape[0] == t->rows && w->shape[1] == t->cols;
}

/* Does name end in "/<tok>"? */
static bool ends_with_token(const char *n, const char *tok)
{
	size_t nl = strlen(n), tl = strlen(tok);
	return nl > tl && strcmp(n + nl - tl, tok) == 0 && n[nl - tl - 1] == '/';
}

/* The manifest entry of tensor t of layer `layer`: "<layer>/<role>",
 * "<layer>/<cell>/<role>" (Keras 2 since TF 2.2) or "<layer>/[vars/]<index>"
 * (Keras 3: the tensor's position in the layer). */
static struct mweight *find_weight(struct mweight *w, int nw, const char *layer,
                                   const struct tg_model_tensor *t)
{
	size_t ll = strlen(layer);
	int idx = strcmp(t->role, "kernel") == 0 ? 0 : strcmp(t->role, "bias") == 0 ? 2 : 1;
	char itok[4];
	if (t->layer < 0 && idx == 2)
		idx = 1; /* Dense: kernel, bias */
	snprintf(itok, sizeof(itok), "%d", idx);
	for (int i = 0; i < nw; i++) {
		const char *n = w[i].name;
		if (w[i].used || strncmp(n, layer, ll) != 0 || n[ll] != '/')
			continue;
		if (ends_with_token(n, t->role) || ends_with_token(n, itok))
			return &w[i];
	}
	return NULL;
}

/* Read every shard of the manifest into one float buffer. */
static int read_shards(const char *dir, const cJSON *man, size_t max_bytes, float **out,
                       size_t *n_floats, char *err, size_t errlen)
{
	char *all = NULL;
	size_t len = 0;
	const cJSON *g;
	*out = NULL;
	cJSON_ArrayForEach(g, man)
	{
		const cJSON *paths = cJSON_GetObjectItemCaseSensitive(g, "paths"), *pth;
		if (!cJSON_IsArray(paths))
			goto bad_paths;
		cJSON_ArrayForEach(pth, paths)
		{
			char path[4096], *buf;
			size_t bl;
			if (!cJSON_IsString(pth) || pth->valuestring[0] == '/' ||
			    strstr(pth->valuestring, ".."))
				goto bad_paths;
			int rc = path_join(path, sizeof(path), dir, pth->valuestring);
			if (rc == 0)
				rc = read_file(path, MAX_SHARD_BYTES, &buf, &bl);
			if (rc < 0) {
				free(all);
				return fail(err, errlen, rc, "cannot read weight shard %s: %s",
				            pth->valuestring, strerror(-rc));
			}
			char *na = realloc(all, len + bl + 1);
			if (!na) {
				free(buf);
				free(all);
				return fail(err, errlen, -ENOMEM, "out of memory reading shards");
			}
			all = na;
			if (len + bl > max_bytes) {
				free(buf);
				free(all);
				return fail(err, errlen, -EINVAL,
				            "weight shards hold more than the manifest's %zu bytes",
				            max_bytes);
			}
			memcpy(all + len, buf, bl);
			len += bl;
			free(buf);
		}
	}
	if (len % 4) {
		free(all);
		return fail(err, errlen, -EINVAL, "weight shards total %zu bytes, not float32s",
		            len);
	}
	*out = (float *)(void *)all;
	*n_floats = len / 4;
	return 0;
bad_paths:
	free(all);
	return fail(err, errlen, -EINVAL, "weightsManifest paths must be relative file names");
}

static int load_weights(const char *dir, const cJSON *man, struct tg_model *m, char names[][64],
                        char *err, size_t errlen)
{
	struct mweight w[3 * TG_MODEL_MAX_LSTM + 8];
	int nw = 0, rc;
	size_t off = 0;
	const cJSON *g, *e;
	if (!cJSON_IsArray(man))
		return fail(err, errlen, -EINVAL, "model.json has no weightsManifest array");
	cJSON_ArrayForEach(g, man)
	{
		const cJSON *ws = cJSON_GetObjectItemCaseSensitive(g, "weights");
		if (!cJSON_IsArray(ws))
			return fail(err, errlen, -EINVAL, "weightsManifest group without weights");
		cJSON_ArrayForEach(e, ws)
		{
			if (nw == (int)ARRAY_SIZE(w))
				return fail(err, errlen, -EINVAL, "too many weights in manifest");
			struct mweight *x = &w[nw++];
			memset(x, 0, sizeof(*x));
			x->name = jstr(e, "name");
			const char *dt = jstr(e, "dtype");
			const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape"), *d;
			if (!x->name || !cJSON_IsArray(shape) || cJSON_GetArraySize(shape) > 4)
				return fail(err, errlen, -EINVAL, "bad weightsManifest entry");
			if (cJSON_GetObjectItemCaseSensitive(e, "quantization"))
				return fail(err, errlen, -EINVAL,
				            "%s: quantized weights not supported", x->name);
			if (dt && strcmp(dt, "float32") != 0)
				return fail(err, errlen, -EINVAL,
				            "%s: dtype %s not supported (float32)", x->name, dt);
			x->count = 1;
			cJSON_ArrayForEach(d, shape)
			{
				if (!cJSON_IsNumber(d) || d->valuedouble < 0 ||
				    d->valuedouble > 1e8)
					return fail(err, errlen, -EINVAL, "%s: bad shape", x->name);
				x->shape[x->rank++] = (uint32_t)d->valuedouble;
				x->count *= (uint32_t)d->valuedouble;
				if (x->count > (1u << 28))
					return fail(err, errlen, -EINVAL, "%s: too large", x->name);
			}
			x->offset = off;
			off += x->count;
		}
	}
	float *data;
	size_t nf = 0;
	rc = read_shards(dir, man, off * sizeof(float), &data, &nf, err, errlen);
	if (rc < 0)
		return rc;
	if (nf != off) {
		free(data);
		return fail(err, errlen, -EINVAL,
		            "weight shards hold %zu floats but the manifest describes %zu", nf,
		            off);
	}
	struct tg_model_tensor t[3 * TG_MODEL_MAX_LSTM + 2];
	int nt = tg_model_tensors(m, t, (int)ARRAY_SIZE(t));
	/* Weights are matched by "<layer>/[...]/<role>" (TF.js, Keras 2). A
	 * manifest that names them some other way but holds exactly our tensors
	 * is taken in manifest order (Keras order), shapes still checked. */
	bool by_order = nw == nt;
	for (int i = 0; i < nt && by_order; i++)
		if (find_weight(w, nw, t[i].layer < 0 ? names[m->n_lstm] : names[t[i].layer],
		                &t[i]))
			by_order = false;
	rc = 0;
	for (int i = 0; i < nt && rc == 0; i++) {
		const char *ln = t[i].layer < 0 ? names[m->n_lstm] : names[t[i].layer];
		struct mweight *x = by_order ? &w[i] : find_weight(w, nw, ln, &t[i]);
		if (!x)
			rc = fail(err, errlen, -EINVAL, "weight %s/%s missing from weightsManifest",
			          ln, t[i].role);
		else if (!shape_matches(x, &t[i]))
			rc = fail(err, errlen, -EINVAL,
			          "weight %s: shape does not match layer (%u x %u)", x->name,
			          t[i].rows, t[i].cols);
		else {
			x->used = true;
			memcpy(m->params + t[i].offset, data + x->offset, x->count * sizeof(float));
			for (size_t q = 0; q < x->count && rc == 0; q++)
				if (!isfinite(m->params[t[i].offset + q]))
					rc = fail(err, errlen, -EDOM,
					          "weight %s has a non-finite value at %zu",
					          x->name, q);
		}
	}
	for (int i = 0; i < nw && rc == 0; i++)
		if (!w[i].used)
			rc = fail(err, errlen, -EINVAL, "weight %s does not belong to any layer",
			          w[i].name);
	free(data);
	return rc;
}

int tg_model_load_layers(const char *dir, struct tg_model **out, char *err, size_t errlen)
{
	char path[4096], *txt;
	size_t len;
	*out = NULL;
	int rc = path_join(path, sizeof(path), dir, "model.json");
	if (rc == 0)
		rc = read_file(path, MAX_JSON_BYTES, &txt, &len);
	if (rc < 0)
		return fail(err, errlen, rc, "cannot read %s/model.json: %s", dir, strerror(-rc));
	cJSON *root = cJSON_ParseWithLength(txt, len);
	free(txt);
	if (!root)
		return fail(err, errlen, -EINVAL, "%s/model.json is not valid JSON", dir);
	const char *fmt = jstr(root, "format");
	if (fmt && strcmp(fmt, "layers-model") != 0) {
		rc = fail(err, errlen, -EINVAL, "model.json format %s is not layers-model", fmt);
		goto out_json;
	}
	const cJSON *top = cJSON_GetObjectItemCaseSensitive(root, "modelTopology");
	if (!top) {
		rc = fail(err, errlen, -EINVAL, "model.json has no modelTopology");
		goto out_json;
	}
	struct parsed *p = calloc(1, sizeof(*p));
	if (!p) {
		rc = -ENOMEM;
		goto out_json;
	}
	struct tg_model_config cfg;
	rc = parse_topology(top, p, err, errlen);
	if (rc == 0)
		rc = to_config(p, &cfg, err, errlen);
	struct tg_model *m = NULL;
	if (rc == 0 && (rc = tg_model_create(&cfg, &m)) < 0)
		fail(err, errlen, rc, "cannot create model: %s", strerror(-rc));
	if (rc == 0) {
		char names[TG_MODEL_MAX_LSTM + 1][64];
		for (uint32_t i = 0, k = 0; i < p->n; i++)
			if (p->l[i].kind == L_LSTM) {
				m->lstm[k].act = p->l[i].act;
				snprintf(names[k++], 64, "%s", p->l[i].name);
			} else if (p->l[i].kind == L_DENSE) {
				snprintf(names[m->n_lstm], 64, "%s", p->l[i].name);
			}
		rc = load_weights(dir, cJSON_GetObjectItemCaseSensitive(root, "weightsManifest"), m,
		                  names, err, errlen);
	}
	free(p);
	if (rc < 0)
		tg_model_destroy(m);
	else
		*out = m;
out_json:
	cJSON_Delete(root);
	return rc;
}

/* --- detector.json ------------------------------------------------------------- */

/* cJSON prints 15 significant digits when that round-trips "closely"; a
 * threshold or scaler bound must come back bit-exact, so print 17. */
static cJSON *exact_number(double v)
{
	char b[40];
	if (!isfinite(v))
		return cJSON_CreateNull();
	snprintf(b, sizeof(b), "%.17g", v);
	return cJSON_CreateRaw(b);
}

static void add_exact(cJSON *o, const char *key, double v)
{
	cJSON_AddItemToObject(o, key, exact_number(v));
}

int tg_detector_save(const char *dir, const struct tg_detector *d, char *err, size_t errlen)
{
	char path[4096];
	int rc = make_dir(dir);
	if (rc < 0)
		return fail(err, errlen, rc, "cannot create %s: %s", dir, strerror(-rc));
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "format", "tickguard-detector");
	cJSON_AddNumberToObject(r, "format_version", 1);
	cJSON_AddStringToObject(r, "code_version",
	                        d->code_version[0] ? d->code_version : "tickguard " TG_VERSION);
	char created[32];
	if (d->created[0]) {
		snprintf(created, sizeof(created), "%s", d->created);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	cJSON_AddStringToObject(r, "created", created);
	cJSON_AddStringToObject(r, "model", "model.json");
	cJSON_AddNumberToObject(r, "window", d->window);
	cJSON_AddStringToObject(r, "score", "mse");
	add_exact(r, "threshold", d->threshold);
	add_exact(r, "percentile", d->percentile);
	cJSON *pre = cJSON_AddObjectToObject(r, "preprocessing");
	if (d->scaler) {
		const struct tg_scaler *s = d->scaler;
		cJSON_AddStringToObject(pre, "mode", tg_scale_mode_name(tg_scaler_mode(s)));
		cJSON_AddStringToObject(pre, "scaler", "minmax");
		cJSON_AddBoolToObject(pre, "per_instrument", tg_scaler_per_instrument(s));
		cJSON_AddNumberToObject(pre, "window", tg_scaler_window(s));
		cJSON *gs = cJSON_AddArrayToObject(pre, "groups");
		for (uint32_t i = 0; i < tg_scaler_group_count(s); i++) {
			const struct tg_scaler_group *g = tg_scaler_group(s, i);
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "instrument", g->name);
			add_exact(o, "min", g->min);
			add_exact(o, "max", g->max);
			cJSON_AddNumberToObject(o, "windows", (double)g->n_windows);
			cJSON_AddItemToArray(gs, o);
		}
	}
	if (d->calibrated) {
		const struct tg_calib *c = &d->calib;
		cJSON *sd = cJSON_AddObjectToObject(r, "score_distribution");
		cJSON_AddNumberToObject(sd, "n", (double)c->n);
		add_exact(sd, "min", c->min);
		add_exact(sd, "p50", c->p50);
		add_exact(sd, "p90", c->p90);
		add_exact(sd, "p99", c->p99);
		add_exact(sd, "max", c->max);
		add_exact(sd, "mean", c->mean);
		cJSON *h = cJSON_AddObjectToObject(r, "histogram");
		cJSON_AddStringToObject(h, "bins", c->log_bins ? "log" : "linear");
		add_exact(h, "lo", c->hist_lo);
		add_exact(h, "hi", c->hist_hi);
		cJSON *edges = cJSON_AddArrayToObject(h, "edges");
		cJSON *counts = cJSON_AddArrayToObject(h, "counts");
		for (uint32_t k = 0; k <= c->n_bins; k++)
			cJSON_AddItemToArray(edges, exact_number(tg_calib_bin_edge(c, k)));
		for (uint32_t k = 0; k < c->n_bins; k++)
			cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)c->bins[k]));
	}
	cJSON_AddStringToObject(r, "training", d->training);
	char *txt = cJSON_Print(r);
	cJSON_Delete(r);
	if (!txt)
		return fail(err, errlen, -ENOMEM, "out of memory writing detector.json");
	rc = path_join(path, sizeof(path), dir, "detector.json");
	if (rc == 0)
		rc = write_file(path, txt, strlen(txt));
	free(txt);
	if (rc < 0)
		return fail(err, errlen, rc, "cannot write %s/detector.json: %s", dir,
		            strerror(-rc));
	return 0;
}

void tg_detector_clear(struct tg_detector *d)
{
	tg_scaler_destroy(d->scaler);
	memset(d, 0, sizeof(*d));
}

static bool jnum(const cJSON *o, const char *key, double *v)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
		return false;
	*v = x->valuedouble;
	return true;
}

static int load_scaler(const cJSON *pre, uint32_t window, struct tg_scaler **out, char *err,
                       size_t errlen)
{
	const char *mode = jstr(pre, "mode");
	int m = tg_scale_mode_parse(mode);
	if (m < 0)
		return fail(err, errlen, -EINVAL, "detector.json: unknown preprocessing mode %s",
		            mode ? mode : "(missing)");
	const cJSON *gs = cJSON_GetObjectItemCaseSensitive(pre, "groups"), *g;
	int n = cJSON_GetArraySize(gs);
	if (!cJSON_IsArray(gs) || n < 1 || n > 1000000)
		return fail(err, errlen, -EINVAL, "detector.json: scaler has no groups");
	struct tg_scaler_group *grp = calloc((size_t)n, sizeof(*grp));
	if (!grp)
		return -ENOMEM;
	int i = 0, rc = 0;
	cJSON_ArrayForEach(g, gs)
	{
		const char *name = jstr(g, "instrument");
		double w = 0;
		if (!name || strlen(name) >= TG_SCALER_NAME_LEN || !jnum(g, "min", &grp[i].min) ||
		    !jnum(g, "max", &grp[i].max)) {
			rc = fail(err, errlen, -EINVAL, "detector.json: bad scaler group %d", i);
			break;
		}
		strcpy(grp[i].name, name);
		if (jnum(g, "windows", &w) && w >= 0)
			grp[i].n_windows = (uint64_t)w;
		i++;
	}
	const cJSON *pi = cJSON_GetObjectItemCaseSensitive(pre, "per_instrument");
	if (rc == 0 && (rc = tg_scaler_from_params((enum tg_scale_mode)m, window, cJSON_IsTrue(pi),
	                                           grp, (uint32_t)n, out)) < 0)
		fail(err, errlen, rc,
		     "detector.json: scaler groups invalid (first must be \"*\", min <= max, "
		     "unique names)");
	free(grp);
	return rc;
}

int tg_detector_load(const char *dir, struct tg_detector *d, char *err, size_t errlen)
{
	char path[4096], *txt;
	size_t len;
	memset(d, 0, sizeof(*d));
	int rc = path_join(path, sizeof(path), dir, "detector.json");
	if (rc == 0)
		rc = read_file(path, MAX_JSON_BYTES, &txt, &len);
	if (rc < 0)
		return fail(err, errlen, rc, "cannot read %s/detector.json: %s", dir,
		            strerror(-rc));
	cJSON *r = cJSON_ParseWithLength(txt, len);
	free(txt);
	if (!r)
		return fail(err, errlen, -EINVAL, "%s/detector.json is not valid JSON", dir);
	double w, v;
	const char *fmt = jstr(r, "format");
	rc = -EINVAL;
	if (!fmt || strcmp(fmt, "tickguard-detector") != 0) {
		fail(err, errlen, rc, "detector.json: format is not tickguard-detector");
		goto out;
	}
	if (!jnum(r, "window", &w) || w < 1 || w > TG_MODEL_MAX_WINDOW) {
		fail(err, errlen, rc, "detector.json: bad window");
		goto out;
	}
	d->window = (uint32_t)w;
	if (!jnum(r, "threshold", &d->threshold) || d->threshold < 0 ||
	    !jnum(r, "percentile", &d->percentile)) {
		fail(err, errlen, rc, "detector.json: missing or bad threshold/percentile");
		goto out;
	}
	const cJSON *pre = cJSON_GetObjectItemCaseSensitive(r, "preprocessing");
	if (cJSON_GetObjectItemCaseSensitive(pre, "groups")) {
		rc = load_scaler(pre, d->window, &d->scaler, err, errlen);
		if (rc < 0)
			goto out;
	}
	const cJSON *sd = cJSON_GetObjectItemCaseSensitive(r, "score_distribution");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(r, "histogram");
	if (sd && h) {
		struct tg_calib *c = &d->calib;
		const cJSON *counts = cJSON_GetObjectItemCaseSensitive(h, "counts"), *x;
		int nb = cJSON_GetArraySize(counts);
		const char *bins = jstr(h, "bins");
		rc = -EINVAL;
		if (!jnum(sd, "n", &v) || !jnum(sd, "min", &c->min) || !jnum(sd, "p50", &c->p50) ||
		    !jnum(sd, "p90", &c->p90) || !jnum(sd, "p99", &c->p99) ||
		    !jnum(sd, "max", &c->max) || !jnum(h, "lo", &c->hist_lo) ||
		    !jnum(h, "hi", &c->hist_hi) || nb < 1 || nb > TG_CALIB_BINS_MAX || !bins) {
			fail(err, errlen, rc, "detector.json: bad score_distribution/histogram");
			goto out;
		}
		jnum(sd, "mean", &c->mean);
		c->n = (uint64_t)v;
		c->n_bins = (uint32_t)nb;
		c->log_bins = strcmp(bins, "log") == 0;
		c->percentile = d->percentile;
		c->threshold = d->threshold;
		int k = 0;
		cJSON_ArrayForEach(x, counts)
		{
			c->bins[k++] =
			    cJSON_IsNumber(x) && x->valuedouble > 0 ? (uint64_t)x->valuedouble : 0;
		}
		d->calibrated = true;
	}
	snprintf(d->training, sizeof(d->training), "%s",
	         jstr(r, "training") ? jstr(r, "training") : "");
	snprintf(d->code_version, sizeof(d->code_version), "%s",
	         jstr(r, "code_version") ? jstr(r, "code_version") : "");
	snprintf(d->created, sizeof(d->created), "%s",
	         jstr(r, "created") ? jstr(r, "created") : "");
	rc = 0;
out:
	cJSON_Delete(r);
	if (rc < 0)
		tg_detector_clear(d);
	return rc;
}

int tg_package_save(const char *dir, const struct tg_model *m, const struct tg_detector *d,
                    char *err, size_t errlen)
{
	if (d->window != m->cfg.window)
		return fail(err, errlen, -EINVAL, "detector window %u != model window %u",
		            d->window, m->cfg.window);
	int rc = tg_model_save_layers(dir, m, err, errlen);
	return rc < 0 ? rc : tg_detector_save(dir, d, err, errlen);
}

int tg_package_load(const char *dir, struct tg_model **m, struct tg_detector *d, char *err,
                    size_t errlen)
{
	memset(d, 0, sizeof(*d));
	int rc = tg_model_load_layers(dir, m, err, errlen);
	if (rc < 0)
		return rc;
	rc = tg_detector_load(dir, d, err, errlen);
	if (rc == 0 && d->window != (*m)->cfg.window)
		rc = fail(err, errlen, -EINVAL, "detector.json window %u != model window %u",
		          d->window, (*m)->cfg.window);
	if (rc < 0) {
		tg_detector_clear(d);
		tg_model_destroy(*m);
		*m = NULL;
	}
	return rc;
}
