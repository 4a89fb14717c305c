/* cmd_model.c - `tickguard model info|check <package>`: what an operator
 * asks of a model package before deploying it. info prints the topology,
 * preprocessing, threshold and score distribution; check loads it with full
 * validation and runs the fast kernels against the reference oracle on
 * seeded windows, so a bad build or a bad package is caught before a scorer
 * starts with it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/package.h"

int tg_cmd_model(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f, "usage: tickguard model info <package-dir>\n"
	           "       tickguard model check <package-dir> [--windows N]\n\n"
	           "info   print the network, preprocessing, threshold and score distribution\n"
	           "check  validate the package and compare the fast forward with the reference\n"
	           "       on N seeded windows (default 8); exit 1 if they differ by > 1e-4\n"
	           "A package is a directory with model.json (Keras/TF.js layers format), its\n"
	           "weight shard(s) and, for info's detector part, detector.json.\n");
}

static void print_info(const char *dir, const struct tg_model *m, const struct tg_detector *d,
                       bool have_det)
{
	const struct tg_model_config *c = &m->cfg;
	printf("package      %s\n", dir);
	printf("network      Input(%u,%u)", c->window, c->features);
	for (uint32_t k = 0; k < m->n_lstm; k++) {
		if (k == c->n_enc)
			printf(" -> RepeatVector(%u)", c->window);
		printf(" -> LSTM(%u,%s%s)", m->lstm[k].units,
		       m->lstm[k].act == TG_ACT_RELU ? "relu" : "tanh",
		       m->lstm[k].return_sequences ? ",seq" : "");
	}
	printf(" -> TimeDistributed(Dense(%u))\n", c->features);
	printf("parameters   %zu (%.1f KiB float32), %.2f MFLOP/window\n", m->n_params,
	       (double)m->n_params * 4 / 1024, tg_model_config_flops(c) / 1e6);
	if (!have_det) {
		printf("detector     none (no detector.json: a bare Keras/TF.js model)\n");
		return;
	}
	if (d->scaler) {
		const struct tg_scaler *s = d->scaler;
		printf("preprocess   %s, MinMax %s, %u group(s)\n",
		       tg_scale_mode_name(tg_scaler_mode(s)),
		       tg_scaler_per_instrument(s) ? "per instrument" : "pooled",
		       tg_scaler_group_count(s));
		for (uint32_t i = 0; i < tg_scaler_group_count(s) && i < 10; i++) {
			const struct tg_scaler_group *g = tg_scaler_group(s, i);
			printf("  %-8s min %.9g max %.9g (%llu windows)\n", g->name, g->min, g->max,
			       (unsigned long long)g->n_windows);
		}
	}
	printf("threshold    %.9g (p%g of held-out scores)\n", d->threshold, d->percentile);
	if (d->calibrated) {
		const struct tg_calib *k = &d->calib;
		printf("scores       n %llu  min %.4g  p50 %.4g  p90 %.4g  p99 %.4g  max %.4g\n",
		       (unsigned long long)k->n, k->min, k->p50, k->p90, k->p99, k->max);
		uint64_t top = 1;
		for (uint32_t b = 0; b < k->n_bins; b++)
			if (k->bins[b] > top)
				top = k->bins[b];
		for (uint32_t b = 0; b < k->n_bins; b++) {
			int w = (int)(40 * k->bins[b] / top);
			printf("  [%10.4g, %10.4g) %8llu %.*s\n", tg_calib_bin_edge(k, b),
			       tg_calib_bin_edge(k, b + 1), (unsigned long long)k->bins[b], w,
			       "########################################");
		}
	}
	printf("training     %s\n", d->training[0] ? d->training : "(not described)");
	printf("written by   %s at %s\n", d->code_version, d->created);
}

static int check(const struct tg_model *m, uint32_t n)
{
	size_t wn = (size_t)m->cfg.window * m->cfg.features;
	float *x = malloc(wn * n * sizeof(float)), *fast = malloc(wn * n * sizeof(float));
	float *ref = malloc(wn * sizeof(float));
	double *sc = malloc(n * sizeof(double));
	struct tg_model_ws *ws = NULL;
	int rc = -ENOMEM;
	if (!x || !fast || !ref || !sc || tg_model_ws_create(&m->cfg, n, &ws) < 0)
		goto out;
	uint64_t s = 42;
	for (size_t i = 0; i < wn * n; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		x[i] = (float)((double)(s >> 11) * 0x1.0p-53);
	}
	rc = tg_model_forward_batch(m, ws, x, n, fast, sc);
	if (rc < 0)
		goto out;
	double worst = 0;
	for (uint32_t b = 0; b < n; b++) {
		double sr, mag = 0, d = 0;
		if ((rc = tg_model_forward_ref(m, x + b * wn, ref, &sr)) < 0)
			goto out;
		for (size_t i = 0; i < wn; i++) {
			mag = fmax(mag, fabs((double)ref[i]));
			d = fmax(d, fabs((double)fast[b * wn + i] - (double)ref[i]));
		}
		worst = fmax(worst, mag > 0 ? d / mag : d);
	}
	printf("check        %u windows: fast vs reference max rel diff %.3g (limit 1e-4) %s\n", n,
	       worst, worst <= 1e-4 ? "ok" : "FAILED");
	rc = worst <= 1e-4 ? 0 : -EDOM;
out:
	tg_model_ws_destroy(ws);
	free(x);
	free(fast);
	free(ref);
	free(sc);
	return rc;
}

int tg_cmd_model(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 3 || (strcmp(argv[1], "info") != 0 && strcmp(argv[1], "check") != 0)) {
		fprintf(stderr, "tickguard model: expected 'info <dir>' or 'check <dir>' "
		                "(tickguard model --help)\n");
		return TG_EXIT_USAGE;
	}
	bool is_check = !strcmp(argv[1], "check");
	const char *dir = argv[2];
	long n = 8;
	for (int i = 3; i < argc; i++) {
		char *end;
		if (is_check && !strcmp(argv[i], "--windows") && i + 1 < argc) {
			n = strtol(argv[++i], &end, 10);
			if (*end || n < 1 || n > 4096) {
				fprintf(stderr, "tickguard model: --windows takes 1..4096\n");
				return TG_EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "tickguard model: unexpected argument '%s'\n", argv[i]);
			return TG_EXIT_USAGE;
		}
	}
	char err[TG_PACKAGE_ERR_LEN] = "";
	struct tg_model *m = NULL;
	struct tg_detector d;
	memset(&d, 0, sizeof(d));
	int rc = tg_model_load_layers(dir, &m, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard model: %s\n", err);
		return TG_EXIT_FAILURE;
	}
	bool have_det = false;
	rc = tg_detector_load(dir, &d, err, sizeof(err));
	if (rc == 0) {
		have_det = true;
		if (d.window != m->cfg.window) {
			fprintf(stderr,
			        "tickguard model: detector.json window %u != model window %u\n",
			        d.window, m->cfg.window);
			rc = -EINVAL;
		}
	} else if (rc == -ENOENT) {
		rc = 0;
	} else {
		fprintf(stderr, "tickguard model: %s\n", err);
	}
	if (rc == 0) {
		print_info(dir, m, &d, have_det);
		if (is_check) {
			rc = check(m, (uint32_t)n);
			if (rc < 0 && rc != -EDOM)
				fprintf(stderr, "tickguard model: check failed: %s\n",
				        strerror(-rc));
		}
	}
	tg_detector_clear(&d);
	tg_model_destroy(m);
	return rc < 0 ? TG_EXIT_FAILURE : 0;
}
