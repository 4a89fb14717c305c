/* test_model_tfjs.c - TensorFlow.js as the Keras reference: a package written
 * by tickguard loads in TF.js and predicts the same reconstructions (within
 * 1e-5 relative), and models built and saved by TF.js (Sequential and
 * functional) load here with the same agreement. Needs node and, on first
 * use, the npm registry (npm ci --prefix tests/tfjs); without them it skips.
 * A package with two gates swapped must disagree, so the check can fail.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/package.h"
#include "tests/tg_test.h"

#define TOL_REL 1e-5

static char tmpdir[256];
static int node_ok = -1;

static int probe_node(void)
{
	struct stat st;
	if (system("node --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "node not found\n");
		return 0;
	}
	if (stat("tests/tfjs/node_modules/@tensorflow/tfjs/package.json", &st) == 0)
		return 1;
	if (system("npm ci --prefix tests/tfjs --no-audit --no-fund >/dev/null 2>&1") != 0) {
		fprintf(stderr, "npm ci --prefix tests/tfjs failed (no registry?)\n");
		return 0;
	}
	return 1;
}

static void ensure_node(void)
{
	if (node_ok < 0)
		node_ok = probe_node();
	if (!node_ok)
		TG_SKIP("node or @tensorflow/tfjs unavailable");
}

static void fill_windows(float *x, size_t n, uint64_t seed)
{
	uint64_t s = seed * 2654435761u + 7;
	double v = 0.5;
	for (size_t i = 0; i < n; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		v += ((double)(s >> 11) * 0x1.0p-53 - 0.5) * 0.15;
		if (v < 0 || v > 1)
			v = 0.5;
		x[i] = (float)v;
	}
}

static int write_f32(const char *path, const float *x, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	size_t w = fwrite(x, sizeof(float), n, f);
	fclose(f);
	return w == n ? 0 : -EIO;
}

static int read_f32(const char *path, float *x, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t r = fread(x, sizeof(float), n, f);
	int extra = fgetc(f);
	fclose(f);
	return r == n && extra == EOF ? 0 : -EIO;
}

/* max |a - b| / max |b| (scale-relative; b is the reference). */
static double rel_err(const float *a, const float *b, size_t n)
{
	double d = 0, mag = 0;
	for (size_t i = 0; i < n; i++) {
		d = fmax(d, fabs((double)a[i] - (double)b[i]));
		mag = fmax(mag, fabs((double)b[i]));
	}
	return mag > 0 ? d / mag : d;
}

static int run(const char *cmd)
{
	char full[2048];
	snprintf(full, sizeof(full), "%s >%s/node.log 2>&1", cmd, tmpdir);
	int rc = system(full);
	if (rc != 0) {
		snprintf(full, sizeof(full), "tail -n 20 %s/node.log >&2", tmpdir);
		if (system(full) != 0)
			fprintf(stderr, "(no node log)\n");
	}
	return rc;
}

/* Our fast and reference forward vs TF.js's predictions in tf_out. */
static void compare_all(const struct tg_model *m, const float *x, uint32_t n, const float *tf_out,
                        const char *what)
{
	size_t wn = (size_t)m->cfg.window * m->cfg.features;
	float *fast = malloc(wn * n * sizeof(float)), *ref = malloc(wn * sizeof(float));
	double *sc = malloc(n * sizeof(double));
	struct tg_model_ws *ws = NULL;
	TG_CHECK_EQ_I64(tg_model_ws_create(&m->cfg, n, &ws), 0);
	TG_CHECK_EQ_I64(tg_model_forward_batch(m, ws, x, n, fast, sc), 0);
	double worst_fast = 0, worst_ref = 0, worst_score = 0;
	for (uint32_t b = 0; b < n; b++) {
		TG_CHECK_EQ_I64(tg_model_forward_ref(m, x + b * wn, ref, NULL), 0);
		worst_fast = fmax(worst_fast, rel_err(fast + b * wn, tf_out + b * wn, wn));
		worst_ref = fmax(worst_ref, rel_err(ref, tf_out + b * wn, wn));
		double tf_score = tg_model_mse(x + b * wn, tf_out + b * wn, wn);
		worst_score = fmax(worst_score, fabs(sc[b] - tf_score) / tf_score);
	}
	fprintf(stderr, "%s: max rel diff vs TF.js: fast %.3g, reference %.3g, score %.3g\n", what,
	        worst_fast, worst_ref, worst_score);
	if (!(worst_fast <= TOL_REL))
		TG_FAIL("%s: fast forward differs from TF.js by %.3g > %g", what, worst_fast,
		        TOL_REL);
	if (!(worst_ref <= TOL_REL))
		TG_FAIL("%s: reference forward differs from TF.js by %.3g > %g", what, worst_ref,
		        TOL_REL);
	if (!(worst_score <= 1e-4))
		TG_FAIL("%s: score differs from TF.js by %.3g", what, worst_score);
	tg_model_ws_destroy(ws);
	free(fast);
	free(ref);
	free(sc);
}

/* Write a tickguard package, predict it in TF.js; returns TF.js's output. */
static float *tfjs_predict(const struct tg_model *m, const float *x, uint32_t n, const char *name)
{
	char dir[512], wf[512], of[512], cmd[2048], err[TG_PACKAGE_ERR_LEN] = "";
	size_t wn = (size_t)m->cfg.window * m->cfg.features;
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	snprintf(wf, sizeof(wf), "%s/%s.windows.f32", tmpdir, name);
	snprintf(of, sizeof(of), "%s/%s.out.f32", tmpdir, name);
	int rc = tg_model_save_layers(dir, m, err, sizeof(err));
	if (rc < 0) {
		TG_FAIL("save: %s", err);
		return NULL;
	}
	TG_CHECK_EQ_I64(write_f32(wf, x, wn * n), 0);
	snprintf(cmd, sizeof(cmd), "node tests/tfjs/check.js predict %s %s %u %s", dir, wf, n, of);
	if (run(cmd) != 0) {
		TG_FAIL("TF.js could not load/predict the package written by tickguard (%s)", dir);
		return NULL;
	}
	float *out = malloc(wn * n * sizeof(float));
	TG_CHECK_EQ_I64(read_f32(of, out, wn * n), 0);
	return out;
}

static void tickguard_to_tfjs(const struct tg_model_config *cfg, uint64_t seed, const char *name)
{
	ensure_node();
	struct tg_model *m;
	TG_CHECK_EQ_I64(tg_model_create(cfg, &m), 0);
	tg_model_init(m, seed);
	for (uint32_t k = 0; k < m->n_lstm; k++)
		for (uint32_t j = 0; j < 4 * m->lstm[k].units; j++)
			m->lstm[k].bias[j] += 0.02f * (float)((j * 5 + k) % 7) - 0.06f;
	for (uint32_t f = 0; f < cfg->features; f++)
		m->dense_bias[f] = 0.1f * (float)(f + 1);
	const uint32_t n = 6;
	size_t wn = (size_t)cfg->window * cfg->features;
	float *x = malloc(wn * n * sizeof(float));
	fill_windows(x, wn * n, seed);
	float *tf_out = tfjs_predict(m, x, n, name);
	if (tf_out)
		compare_all(m, x, n, tf_out, name);
	free(tf_out);
	free(x);
	tg_model_destroy(m);
}

static void t_to_tfjs_reference(void)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	tickguard_to_tfjs(&cfg, 11, "ref_relu");
}

static void t_to_tfjs_tanh_2features(void)
{
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	cfg.window = 23;
	cfg.features = 2;
	cfg.act = TG_ACT_TANH;
	cfg.n_enc = 3;
	cfg.enc_units[0] = 24;
	cfg.enc_units[1] = 9;
	cfg.enc_units[2] = 5;
	cfg.n_dec = 2;
	cfg.dec_units[0] = 7;
	cfg.dec_units[1] = 33;
	tickguard_to_tfjs(&cfg, 12, "tanh_2f");
}

/* The check must be able to fail: swap the i and f gate columns of one
 * layer (a classic porting bug) and TF.js must disagree. */
static void t_broken_gate_order_detected(void)
{
	ensure_node();
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	cfg.window = 20;
	struct tg_model *m;
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m), 0);
	tg_model_init(m, 3);
	const uint32_t n = 2;
	float x[40];
	fill_windows(x, 40, 3);
	float *tf_out = tfjs_predict(m, x, n, "broken");
	struct tg_lstm_layer *l = &m->lstm[0];
	uint32_t u = l->units;
	for (uint32_t r = 0; r < l->in + u; r++) /* kernel and recurrent rows */
		for (uint32_t j = 0; j < u; j++) {
			float *row = l->kernel + (size_t)r * 4 * u, t = row[j];
			row[j] = row[u + j];
			row[u + j] = t;
		}
	float rec[40];
	TG_CHECK_EQ_I64(tg_model_forward_ref(m, x, rec, NULL), 0);
	if (tf_out) {
		double e = rel_err(rec, tf_out, 20);
		fprintf(stderr, "swapped gates: rel diff vs TF.js %.3g\n", e);
		TG_CHECK(e > 100 * TOL_REL);
	}
	free(tf_out);
	tg_model_destroy(m);
}

static void tfjs_to_tickguard(const char *kind, uint32_t window, const char *act)
{
	ensure_node();
	char dir[512], wf[512], of[512], cmd[2048], err[TG_PACKAGE_ERR_LEN] = "";
	const uint32_t n = 5;
	snprintf(dir, sizeof(dir), "%s/tfjs_%s", tmpdir, kind);
	snprintf(wf, sizeof(wf), "%s/tfjs_%s.windows.f32", tmpdir, kind);
	snprintf(of, sizeof(of), "%s/tfjs_%s.out.f32", tmpdir, kind);
	float *x = malloc((size_t)window * n * sizeof(float));
	float *tf_out = malloc((size_t)window * n * sizeof(float));
	fill_windows(x, (size_t)window * n, window);
	TG_CHECK_EQ_I64(write_f32(wf, x, (size_t)window * n), 0);
	snprintf(cmd, sizeof(cmd), "node tests/tfjs/check.js build %s %s %u %s %s %u %s", dir, kind,
	         window, act, wf, n, of);
	if (run(cmd) != 0) {
		TG_FAIL("TF.js failed to build/save the %s model", kind);
		goto out;
	}
	TG_CHECK_EQ_I64(read_f32(of, tf_out, (size_t)window * n), 0);
	struct tg_model *m = NULL;
	int rc = tg_model_load_layers(dir, &m, err, sizeof(err));
	if (rc < 0) {
		TG_FAIL("loading the TF.js %s model: %s", kind, err);
		goto out;
	}
	TG_CHECK_EQ_U64(m->cfg.window, window);
	TG_CHECK_EQ_U64(m->n_lstm, 4);
	TG_CHECK_EQ_U64(m->lstm[0].units, 16);
	TG_CHECK_EQ_I64(m->lstm[0].act, strcmp(act, "relu") == 0 ? TG_ACT_RELU : TG_ACT_TANH);
	compare_all(m, x, n, tf_out, kind);
	tg_model_destroy(m);
out:
	free(x);
	free(tf_out);
}

static void t_from_tfjs_sequential(void)
{
	tfjs_to_tickguard("seq", 30, "relu");
}

static void t_from_tfjs_functional(void)
{
	tfjs_to_tickguard("functional", 25, "tanh");
}

/* What Keras 2 (TF >= 2.2) + tensorflowjs_converter write: the topology
 * wrapped in {"keras_version", "model_config"}, an InputLayer first, and
 * cell-scoped weight names ("lstm/lstm_cell/kernel"). Made from our own
 * package by rewriting model.json; TF.js and tickguard must both read it the
 * same way. */
static int keras2_style(const char *dir)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/model.json", dir);
	size_t n;
	char *txt = tg_test_slurp(path, &n);
	if (!txt)
		return errno ? -errno : -EIO;
	cJSON *root = n > 0 ? cJSON_Parse(txt) : NULL;
	free(txt);
	if (!root)
		return -EINVAL;
	cJSON *top = cJSON_DetachItemFromObject(root, "modelTopology");
	cJSON *layers = cJSON_GetObjectItem(cJSON_GetObjectItem(top, "config"), "layers");
	cJSON *first = cJSON_GetObjectItem(cJSON_GetArrayItem(layers, 0), "config");
	cJSON *shape = cJSON_DetachItemFromObject(first, "batch_input_shape");
	cJSON *in = cJSON_CreateObject(), *ic = cJSON_AddObjectToObject(in, "config");
	cJSON_AddStringToObject(in, "class_name", "InputLayer");
	cJSON_AddItemToObject(ic, "batch_input_shape", shape);
	cJSON_AddStringToObject(ic, "dtype", "float32");
	cJSON_AddBoolToObject(ic, "sparse", 0);
	cJSON_AddBoolToObject(ic, "ragged", 0);
	cJSON_AddStringToObject(ic, "name", "lstm_input");
	cJSON_InsertItemInArray(layers, 0, in);
	cJSON *wrap = cJSON_CreateObject();
	cJSON_AddStringToObject(wrap, "keras_version", "2.13.1");
	cJSON_AddStringToObject(wrap, "backend", "tensorflow");
	cJSON_AddItemToObject(wrap, "model_config", top);
	cJSON_AddItemToObject(root, "modelTopology", wrap);
	cJSON *ws = cJSON_GetObjectItem(
	          cJSON_GetArrayItem(cJSON_GetObjectItem(root, "weightsManifest"), 0), "weights"),
	      *w;
	cJSON_ArrayForEach(w, ws)
	{
		const char *name = cJSON_GetObjectItem(w, "name")->valuestring;
		char nn[128];
		const char *slash = strchr(name, '/');
		if (strncmp(name, "lstm", 4) == 0 && slash) {
			snprintf(nn, sizeof(nn), "%.*s/lstm_cell/%s", (int)(slash - name), name,
			         slash + 1);
			cJSON_SetValuestring(cJSON_GetObjectItem(w, "name"), nn);
		}
	}
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	FILE *f = fopen(path, "wb");
	int rc = f && out && fwrite(out, 1, strlen(out), f) == strlen(out) ? 0 : -EIO;
	if (f)
		fclose(f);
	free(out);
	return rc;
}

static void t_keras2_style_both_ways(void)
{
	ensure_node();
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	cfg.window = 24;
	struct tg_model *m, *m2 = NULL;
	TG_CHECK_EQ_I64(tg_model_create(&cfg, &m), 0);
	tg_model_init(m, 21);
	char dir[512], wf[512], of[512], cmd[2048], err[TG_PACKAGE_ERR_LEN] = "";
	snprintf(dir, sizeof(dir), "%s/keras2", tmpdir);
	snprintf(wf, sizeof(wf), "%s/keras2.windows.f32", tmpdir);
	snprintf(of, sizeof(of), "%s/keras2.out.f32", tmpdir);
	TG_CHECK_EQ_I64(tg_model_save_layers(dir, m, err, sizeof(err)), 0);
	TG_CHECK_EQ_I64(keras2_style(dir), 0);
	int rc = tg_model_load_layers(dir, &m2, err, sizeof(err));
	if (rc < 0) {
		TG_FAIL("tickguard cannot load the Keras 2 style package: %s", err);
		tg_model_destroy(m);
		return;
	}
	TG_CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) == 0);
	const uint32_t n = 4;
	float x[4 * 24], tf_out[4 * 24];
	fill_windows(x, 4 * 24, 21);
	TG_CHECK_EQ_I64(write_f32(wf, x, 4 * 24), 0);
	snprintf(cmd, sizeof(cmd), "node tests/tfjs/check.js predict %s %s %u %s", dir, wf, n, of);
	if (run(cmd) != 0)
		TG_FAIL("TF.js could not load the Keras 2 style package");
	else if (read_f32(of, tf_out, 4 * 24) == 0)
		compare_all(m2, x, n, tf_out, "keras2");
	tg_model_destroy(m2);
	tg_model_destroy(m);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tg_tfjs_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	tg_test_case("to_tfjs_reference_arch", t_to_tfjs_reference);
	tg_test_case("to_tfjs_tanh_2features", t_to_tfjs_tanh_2features);
	tg_test_case("broken_gate_order_detected", t_broken_gate_order_detected);
	tg_test_case("from_tfjs_sequential", t_from_tfjs_sequential);
	tg_test_case("from_tfjs_functional", t_from_tfjs_functional);
	tg_test_case("keras2_style_both_ways", t_keras2_style_both_ways);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return tg_test_done();
}
