/* cmd_calibrate.c - `tickguard calibrate`: score held-out data with a model
 * package and set its threshold at a percentile of the scores, writing the
 * distribution and histogram back into detector.json. --dry-run only
 * reports (how many windows are above the package's current threshold),
 * which is also how a morning-trained model is checked on the afternoon. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cmdline.h"
#include "cli/cmd_train.h"
#include "common/progress.h"
#include "model/calibrate.h"
#include "model/model.h"
#include "model/package.h"
#include "model/preprocess.h"

int tg_cmd_calibrate(int argc, char **argv);

static void cal_usage(FILE *f)
{
	fprintf(f,
	        "usage: tickguard calibrate --model DIR (--input PATH | --synthetic) [options]\n"
	        "Score every window of held-out normal data with the package's model and set its\n"
	        "threshold at a percentile of the scores; the score distribution and histogram\n"
	        "go into DIR/detector.json.\n"
	        "  --input PATH         LOBSTER message file or directory, or a tick CSV\n"
	        "  --synthetic          feedsim's synthetic market (labelled anomalies excluded)\n"
	        "  --synth-seed N --synth-instruments N --synth-trades N\n"
	        "  --symbols A,B        only these symbols\n"
	        "  --since T --until T  time of day range (HH:MM[:SS] or seconds)\n"
	        "  --percentile P       threshold percentile (99)\n"
	        "  --bins N             histogram bins (40)\n"
	        "  --stride N           window stride (1)\n"
	        "  --dry-run            report only: count windows above the current threshold\n"
	        "  --quiet              no progress bar\n");
}

int tg_cmd_calibrate(int argc, char **argv)
{
	enum { O_PCT = TG_INPUT_OPT_END, O_BINS, O_STRIDE, O_DRY, O_QUIET };
	static const struct option lo[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"model", required_argument, NULL, 'm'},
	    TG_INPUT_LONG_OPTIONS,
	    {"percentile", required_argument, NULL, O_PCT},
	    {"bins", required_argument, NULL, O_BINS},
	    {"stride", required_argument, NULL, O_STRIDE},
	    {"dry-run", no_argument, NULL, O_DRY},
	    {"quiet", no_argument, NULL, O_QUIET},
	    {NULL, 0, NULL, 0},
	};
	struct tg_input_opts io;
	tg_input_opts_default(&io);
	const char *dir = NULL;
	bool synth = false, dry = false, quiet = false;
	double pct = TG_CALIB_DEFAULT_PERCENTILE;
	uint64_t bins = TG_CALIB_BINS_DEFAULT, stride = 1;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hm:i:", lo, NULL)) != -1) {
		const char *a = optarg;
		char *e;
		switch (c) {
		case 'h':
			cal_usage(stdout);
			return 0;
		case 'm':
			dir = a;
			break;
		case O_PCT:
			pct = strtod(a, &e);
			if (e == a || *e || !(pct > 0 && pct <= 100))
				return tg_cli_usage_err("calibrate",
				                        "bad --percentile '%s' (0 < P <= 100)", a);
			break;
		case O_BINS:
			if (tg_parse_u64(a, 10, UINT64_MAX, &bins) || !bins ||
			    bins > TG_CALIB_BINS_MAX)
				return tg_cli_usage_err("calibrate", "bad --bins '%s'", a);
			break;
		case O_STRIDE:
			if (tg_parse_u64(a, 10, UINT64_MAX, &stride) || !stride || stride > 100000)
				return tg_cli_usage_err("calibrate", "bad --stride '%s'", a);
			break;
		case O_DRY:
			dry = true;
			break;
		case O_QUIET:
			quiet = true;
			break;
		default: {
			char why[160];
			int r = tg_input_opt(&io, &synth, c, a, why, sizeof(why));
			if (r < 0)
				return tg_cli_usage_err("calibrate", "%s", why);
			if (r == 0)
				return tg_cli_usage_err("calibrate",
				                        "unknown or incomplete option '%s'",
				                        argv[optind - 1]);
			break;
		}
		}
	}
	if (optind < argc)
		return tg_cli_usage_err("calibrate", "unexpected argument '%s'", argv[optind]);
	if (!dir)
		return tg_cli_usage_err("calibrate", "%s", "--model DIR is required");
	if (!synth == !io.path)
		return tg_cli_usage_err("calibrate", "%s",
		                        "give exactly one of --input PATH and --synthetic");
	if (io.since_ns >= io.until_ns)
		return tg_cli_usage_err("calibrate", "%s", "--since must be before --until");

	char err[TG_PACKAGE_ERR_LEN];
	struct tg_model *m = NULL;
	struct tg_detector det;
	struct tg_input in;
	struct tg_model_ws *ws = NULL;
	double *scores = NULL;
	float *xb = NULL;
	int ret = TG_EXIT_FAILURE, rc;
	rc = tg_package_load(dir, &m, &det, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard calibrate: %s: %s\n", dir, err);
		return TG_EXIT_FAILURE;
	}
	if (!det.scaler) {
		fprintf(stderr, "tickguard calibrate: %s has no scaler in detector.json\n", dir);
		tg_model_destroy(m);
		tg_detector_clear(&det);
		return TG_EXIT_FAILURE;
	}
	rc = tg_input_load(&io, &in, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard calibrate: %s\n", err);
		tg_model_destroy(m);
		tg_detector_clear(&det);
		return TG_EXIT_FAILURE;
	}
	const uint32_t W = m->cfg.window, B = 64;
	uint64_t total = 0, fallback = 0, rejected = 0, skipped = 0, nscores = 0;
	for (uint32_t i = 0; i < in.n; i++)
		if (in.s[i].n >= W)
			total += (in.s[i].n - W) / stride + 1;
	scores = malloc((total ? total : 1) * sizeof(double));
	xb = malloc((size_t)B * W * sizeof(float));
	rc = tg_model_ws_create(&m->cfg, B, &ws);
	if (!scores || !xb || rc < 0) {
		fprintf(stderr, "tickguard calibrate: out of memory\n");
		goto out;
	}
	struct tg_progress bar;
	tg_progress_start(&bar, "score", total);
	if (quiet)
		bar.enabled = false;
	for (uint32_t i = 0; i < in.n; i++) {
		const struct tg_input_series *s = &in.s[i];
		int g = tg_scaler_lookup(det.scaler, s->name);
		if (g < 0) {
			g = 0; /* pooled group for an instrument the scaler never saw */
			fallback += tg_scaler_per_instrument(det.scaler);
		}
		uint32_t nb = 0;
		for (size_t k = 0; k + W <= s->n; k += stride) {
			bool bad = false;
			for (size_t t = k; s->bad && t < k + W && !bad; t++)
				bad = s->bad[t] != 0;
			if (bad) {
				skipped++;
				continue;
			}
			if (tg_scaler_apply(det.scaler, (uint32_t)g, s->px + k,
			                    xb + (size_t)nb * W) < 0) {
				rejected++;
				continue;
			}
			if (++nb == B) {
				tg_model_forward_batch(m, ws, xb, nb, NULL, scores + nscores);
				nscores += nb;
				nb = 0;
				tg_progress_update(&bar, nscores, NULL);
			}
		}
		if (nb) {
			tg_model_forward_batch(m, ws, xb, nb, NULL, scores + nscores);
			nscores += nb;
		}
	}
	tg_progress_finish(&bar, nscores, NULL);
	if (!nscores) {
		fprintf(stderr, "tickguard calibrate: no %u-trade window in the input\n", W);
		goto out;
	}
	uint64_t above_old = 0;
	for (uint64_t k = 0; k < nscores; k++)
		above_old += det.calibrated && scores[k] > det.threshold;
	struct tg_calib cal;
	rc = tg_calib_compute(scores, nscores, pct, (uint32_t)bins, &cal);
	if (rc < 0) {
		fprintf(stderr, "tickguard calibrate: %s\n", strerror(-rc));
		goto out;
	}
	printf(
	    "scored %llu windows of %u (%llu skipped as labelled, %llu rejected, %u instruments, "
	    "%llu on the pooled scaler): min %.6g p50 %.6g p90 %.6g p99 %.6g max %.6g\n",
	    (unsigned long long)nscores, W, (unsigned long long)skipped,
	    (unsigned long long)rejected, in.n, (unsigned long long)fallback, cal.min, cal.p50,
	    cal.p90, cal.p99, cal.max);
	if (det.calibrated)
		printf("current threshold %.6g (p%g): %llu of %llu windows above (%.3f%%)\n",
		       det.threshold, det.percentile, (unsigned long long)above_old,
		       (unsigned long long)nscores, 100.0 * (double)above_old / (double)nscores);
	if (dry) {
		printf("new threshold would be %.6g (p%g); --dry-run: %s unchanged\n",
		       cal.threshold, pct, dir);
		ret = 0;
		goto out;
	}
	det.calib = cal;
	det.calibrated = true;
	det.threshold = cal.threshold;
	det.percentile = pct;
	char *tr = det.training;
	size_t used = strlen(tr);
	if (used + 1 < sizeof(det.training))
		snprintf(tr + used, sizeof(det.training) - used, "; calibrated on %.200s", in.desc);
	rc = tg_detector_save(dir, &det, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard calibrate: cannot write %s/detector.json: %s\n", dir,
		        err);
		goto out;
	}
	printf("threshold %.6g (p%g of %llu windows) written to %s/detector.json\n", cal.threshold,
	       pct, (unsigned long long)nscores, dir);
	ret = 0;
out:
	tg_model_ws_destroy(ws);
	free(xb);
	free(scores);
	tg_input_free(&in);
	tg_model_destroy(m);
	tg_detector_clear(&det);
	return ret;
}
