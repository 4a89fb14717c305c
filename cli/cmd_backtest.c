/* cmd_backtest.c - `tickguard backtest`: replay a historical file through
 * the live decision code (backtest/backtest.h) with a given model package
 * or one trained on the file's leading part, and leave a CSV, the alert
 * JSON lines, a summary and an HTML picture per instrument. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backtest/backtest.h"
#include "cli/cli.h"
#include "model/package.h"
#include "model/train.h"

int tg_cmd_backtest(int argc, char **argv);

static void bt_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: tickguard backtest (INPUT | --synthetic) [options]\n"
	    "Score a historical file offline with the live pipeline's preprocessing, model and\n"
	    "alert-episode logic.\n"
	    "input:\n"
	    "  INPUT                LOBSTER dir or *_message_* file, tick CSV, ITCH BinaryFILE,\n"
	    "                       pcap, or a timestamp,value series CSV\n"
	    "  --format F           auto (default), lobster, csv, itch, pcap, series\n"
	    "  --synthetic          feedsim's labelled synthetic market (--seed, --instruments,\n"
	    "                       --trades)\n"
	    "model (one of):\n"
	    "  --model DIR          a model package; every window is reported\n"
	    "  (none)               train-then-score: fit on the leading part, calibrate on the\n"
	    "                       next, score and report only the rest:\n"
	    "  --train-frac F | --train-rows N | --train-until T   (default --train-frac 0.5)\n"
	    "  --calib-frac F | --calib-rows N | --calib-until T   (default --calib-frac 0.2)\n"
	    "  --window N (60) --enc 32,16 --dec 16,32 --act relu|tanh --scale log_rel|log_ret|\n"
	    "  minmax_raw --per-instrument --epochs N (2) --stride N (2) --lr X\n"
	    "  --percentile P (99)\n"
	    "  --save-model DIR     keep the trained package\n"
	    "output:\n"
	    "  --out DIR            (backtest-out) windows.csv, alerts.jsonl, summary.json,\n"
	    "                       report_<SYMBOL>.html\n"
	    "  --labels FILE        feedsim labels, [symbol,]timestamp,label or\n"
	    "                       [symbol,]start,end[,kind]: precision/recall/F1/delay\n"
	    "  --no-html            skip the HTML reports\n"
	    "episodes: --close-below N (5) --cooldown N (10) --update-every N (16)\n"
	    "speed: --threads N (all cores) --batch N (32) --quiet\n"
	    "The normalised score in windows.csv is score/(score+threshold): 0.5 at the "
	    "threshold.\n");
}

static int bt_units(const char *s, uint32_t *u, uint32_t *n)
{
	*n = 0;
	char *end;
	while (*s) {
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v == 0 || v > TG_MODEL_MAX_UNITS || *n >= TG_MODEL_MAX_LAYERS)
			return -EINVAL;
		u[(*n)++] = (uint32_t)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -EINVAL;
	}
	return *n ? 0 : -EINVAL;
}

struct bt_split {
	char how; /* 'f' fraction, 'r' rows, 't' time */
	double frac;
	uint64_t rows, ts;
};

static int bt_split_parse(char how, const char *v, struct bt_split *s)
{
	char *end;
	s->how = how;
	if (how == 'f') {
		s->frac = strtod(v, &end);
		return *end || !(s->frac > 0 && s->frac < 1) ? -EINVAL : 0;
	}
	if (how == 'r') {
		s->rows = strtoull(v, &end, 10);
		return *end || !s->rows ? -EINVAL : 0;
	}
	return tg_bt_parse_ts(v, strlen(v), &s->ts);
}

static uint64_t bt_split_at(const struct tg_bt_series *s, const struct bt_split *sp, uint64_t base)
{
	uint64_t v;
	if (sp->how == 'f')
		v = base + (uint64_t)((double)s->n * sp->frac);
	else if (sp->how == 'r')
		v = base + sp->rows;
	else {
		v = base;
		while (v < s->n && s->ts_ns[v] < sp->ts)
			v++;
	}
	return v > s->n ? s->n : v;
}

int tg_cmd_backtest(int argc, char **argv)
{
	enum {
		O_FORMAT = 256,
		O_SYNTH,
		O_SEED,
		O_INSTR,
		O_TRADES,
		O_MODEL,
		O_TRF,
		O_TRR,
		O_TRU,
		O_CAF,
		O_CAR,
		O_CAU,
		O_WINDOW,
		O_ENC,
		O_DEC,
		O_ACT,
		O_SCALE,
		O_PERI,
		O_EPOCHS,
		O_LR,
		O_PCT,
		O_STRIDE,
		O_SAVE,
		O_OUT,
		O_LABELS,
		O_NOHTML,
		O_CLOSE,
		O_COOL,
		O_UPD,
		O_THREADS,
		O_BATCH,
		O_QUIET,
		O_HELP,
		O_BROKEN
	};
	static const struct option opts[] = {{"format", 1, 0, O_FORMAT},
	                                     {"synthetic", 0, 0, O_SYNTH},
	                                     {"seed", 1, 0, O_SEED},
	                                     {"instruments", 1, 0, O_INSTR},
	                                     {"trades", 1, 0, O_TRADES},
	                                     {"model", 1, 0, O_MODEL},
	                                     {"train-frac", 1, 0, O_TRF},
	                                     {"train-rows", 1, 0, O_TRR},
	                                     {"train-until", 1, 0, O_TRU},
	                                     {"calib-frac", 1, 0, O_CAF},
	                                     {"calib-rows", 1, 0, O_CAR},
	                                     {"calib-until", 1, 0, O_CAU},
	                                     {"window", 1, 0, O_WINDOW},
	                                     {"enc", 1, 0, O_ENC},
	                                     {"dec", 1, 0, O_DEC},
	                                     {"act", 1, 0, O_ACT},
	                                     {"scale", 1, 0, O_SCALE},
	                                     {"per-instrument", 0, 0, O_PERI},
	                                     {"epochs", 1, 0, O_EPOCHS},
	                                     {"lr", 1, 0, O_LR},
	                                     {"percentile", 1, 0, O_PCT},
	                                     {"stride", 1, 0, O_STRIDE},
	                                     {"save-model", 1, 0, O_SAVE},
	                                     {"out", 1, 0, O_OUT},
	                                     {"labels", 1, 0, O_LABELS},
	                                     {"no-html", 0, 0, O_NOHTML},
	                                     {"close-below", 1, 0, O_CLOSE},
	                                     {"cooldown", 1, 0, O_COOL},
	                                     {"update-every", 1, 0, O_UPD},
	                                     {"threads", 1, 0, O_THREADS},
	                                     {"batch", 1, 0, O_BATCH},
	                                     {"quiet", 0, 0, O_QUIET},
	                                     {"help", 0, 0, O_HELP},
	                                     {"broken-test-only", 0, 0, O_BROKEN},
	                                     {0, 0, 0, 0}};
	struct tg_bt_load_opts lo = {.format = "auto"};
	struct tg_bt_train_opts to;
	tg_bt_train_opts_default(&to);
	struct tg_bt_config bc;
	tg_bt_config_default(&bc);
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	bc.threads = nproc > 0 ? (uint32_t)nproc : 1;
	struct bt_split trs = {.how = 'f', .frac = 0.5}, cas = {.how = 'f', .frac = 0.2};
	const char *model = NULL, *save = NULL, *out = "backtest-out", *labels = NULL;
	bool html = true, quiet = false, synth = false;
	const char *train_opt = NULL; /* a train-then-score option given */
	char *end;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned long v = optarg ? strtoul(optarg, &end, 10) : 0;
		if ((c >= O_TRF && c <= O_SAVE) && !train_opt)
			train_opt = argv[optind - 1 - (optarg && argv[optind - 1] == optarg)];
		bool num_ok = optarg && *optarg && !*end;
		switch (c) {
		case O_FORMAT:
			lo.format = optarg;
			break;
		case O_SYNTH:
			synth = true;
			lo.format = "synthetic";
			break;
		case O_SEED:
			if (!num_ok)
				return tg_cli_usage_err("backtest", "--seed needs a number");
			lo.synth_seed = v;
			to.seed = v;
			break;
		case O_INSTR:
			if (!num_ok || !v || v > 1000)
				return tg_cli_usage_err("backtest",
				                        "--instruments must be 1..1000");
			lo.synth_instruments = (uint32_t)v;
			break;
		case O_TRADES:
			if (!num_ok || !v)
				return tg_cli_usage_err("backtest",
				                        "--trades needs a positive number");
			lo.synth_trades = v;
			break;
		case O_MODEL:
			model = optarg;
			break;
		case O_TRF:
		case O_TRR:
		case O_TRU:
			if (bt_split_parse(c == O_TRF   ? 'f'
			                   : c == O_TRR ? 'r'
			                                : 't',
			                   optarg, &trs) < 0)
				return tg_cli_usage_err("backtest", "bad training split '%s'",
				                        optarg);
			break;
		case O_CAF:
		case O_CAR:
		case O_CAU:
			if (bt_split_parse(c == O_CAF   ? 'f'
			                   : c == O_CAR ? 'r'
			                                : 't',
			                   optarg, &cas) < 0)
				return tg_cli_usage_err("backtest", "bad calibration split '%s'",
				                        optarg);
			break;
		case O_WINDOW:
			if (!num_ok || v < 2 || v > TG_MODEL_MAX_WINDOW)
				return tg_cli_usage_err("backtest", "--window must be 2..%d",
				                        TG_MODEL_MAX_WINDOW);
			to.mcfg.window = (uint32_t)v;
			break;
		case O_ENC:
			if (bt_units(optarg, to.mcfg.enc_units, &to.mcfg.n_enc) < 0)
				return tg_cli_usage_err("backtest",
				                        "--enc wants units like 128,64");
			break;
		case O_DEC:
			if (bt_units(optarg, to.mcfg.dec_units, &to.mcfg.n_dec) < 0)
				return tg_cli_usage_err("backtest",
				                        "--dec wants units like 64,128");
			break;
		case O_ACT:
			if (strcmp(optarg, "relu") && strcmp(optarg, "tanh"))
				return tg_cli_usage_err("backtest", "--act is relu or tanh");
			to.mcfg.act = optarg[0] == 'r' ? TG_ACT_RELU : TG_ACT_TANH;
			break;
		case O_SCALE: {
			int m = tg_scale_mode_parse(optarg);
			if (m < 0)
				return tg_cli_usage_err(
				    "backtest", "--scale is log_rel, log_ret or minmax_raw");
			to.mode = (enum tg_scale_mode)m;
			break;
		}
		case O_PERI:
			to.per_instrument = true;
			break;
		case O_EPOCHS:
			if (!num_ok || !v || v > TG_TRAIN_MAX_EPOCHS)
				return tg_cli_usage_err("backtest", "--epochs must be 1..%d",
				                        TG_TRAIN_MAX_EPOCHS);
			to.epochs = (uint32_t)v;
			break;
		case O_LR:
			to.lr = strtod(optarg, &end);
			if (*end || !(to.lr > 0))
				return tg_cli_usage_err("backtest", "--lr must be > 0");
			break;
		case O_PCT:
			to.percentile = strtod(optarg, &end);
			if (*end || !(to.percentile > 0 && to.percentile <= 100))
				return tg_cli_usage_err("backtest",
				                        "--percentile must be in (0, 100]");
			break;
		case O_STRIDE:
			if (!num_ok || !v || v > 100000)
				return tg_cli_usage_err("backtest", "--stride must be 1..100000");
			to.stride = (uint32_t)v;
			break;
		case O_SAVE:
			save = optarg;
			break;
		case O_OUT:
			out = optarg;
			break;
		case O_LABELS:
			labels = optarg;
			break;
		case O_NOHTML:
			html = false;
			break;
		case O_CLOSE:
			if (!num_ok || !v)
				return tg_cli_usage_err("backtest", "--close-below must be >= 1");
			bc.episode.close_below_windows = (uint32_t)v;
			break;
		case O_COOL:
			if (!num_ok)
				return tg_cli_usage_err("backtest", "--cooldown needs a number");
			bc.episode.cooldown_windows = (uint32_t)v;
			break;
		case O_UPD:
			if (!num_ok)
				return tg_cli_usage_err("backtest",
				                        "--update-every needs a number");
			bc.episode.update_every_windows = (uint32_t)v;
			break;
		case O_THREADS:
			if (!num_ok || !v || v > 64)
				return tg_cli_usage_err("backtest", "--threads must be 1..64");
			bc.threads = (uint32_t)v;
			break;
		case O_BATCH:
			if (!num_ok || !v || v > 4096)
				return tg_cli_usage_err("backtest", "--batch must be 1..4096");
			bc.batch = (uint32_t)v;
			break;
		case O_QUIET:
			quiet = true;
			break;
		case O_BROKEN:
			bc.broken_chunking = true;
			break;
		case O_HELP:
			bt_usage(stdout);
			return 0;
		default:
			return tg_cli_usage_err("backtest", "unknown or incomplete option '%s'",
			                        argv[optind - 1]);
		}
	}
	const char *path = optind < argc ? argv[optind] : NULL;
	if (optind + 1 < argc)
		return tg_cli_usage_err("backtest", "one input only ('%s' is extra)",
		                        argv[optind + 1]);
	if (!path && !synth)
		return tg_cli_usage_err("backtest",
		                        "no input (a file, a directory or --synthetic)");
	if (model && train_opt)
		return tg_cli_usage_err("backtest", "%s is for train-then-score, not with --model",
		                        train_opt);
	bc.progress = !quiet;
	to.progress = !quiet;
	to.threads = bc.threads;

	char err[TG_PACKAGE_ERR_LEN] = "";
	struct tg_bt_input in;
	int rc = tg_bt_input_load(path, &lo, &in, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard backtest: %s\n", err);
		return TG_EXIT_FAILURE;
	}
	if (in.rejected && !quiet)
		fprintf(stderr, "tickguard backtest: %llu input rows rejected (first: %s)\n",
		        (unsigned long long)in.rejected, in.first_reject);
	if (in.unpriced)
		fprintf(stderr,
		        "tickguard backtest: %llu executions of unknown orders not priced\n",
		        (unsigned long long)in.unpriced);

	int ret = TG_EXIT_FAILURE;
	struct tg_model *m = NULL;
	struct tg_detector det;
	memset(&det, 0, sizeof(det));
	struct tg_scaler *sc = NULL;
	double threshold = 0;
	uint64_t *from = calloc(in.n ? in.n : 1, sizeof(*from));
	uint64_t *cal = calloc(in.n ? in.n : 1, sizeof(*cal));
	struct tg_quality_label *lb = NULL;
	size_t nl = 0;
	struct tg_bt_result res;
	memset(&res, 0, sizeof(res));
	if (!from || !cal)
		goto fail;
	if (labels) {
		rc = tg_bt_labels_read(labels, &in, &lb, &nl, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "tickguard backtest: %s\n", err);
			goto fail;
		}
	} else if (in.n_labels) {
		lb = malloc(in.n_labels * sizeof(*lb));
		if (!lb)
			goto fail;
		memcpy(lb, in.labels, in.n_labels * sizeof(*lb));
		nl = in.n_labels;
	}
	if (model) {
		rc = tg_package_load(model, &m, &det, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "tickguard backtest: %s\n", err);
			goto fail;
		}
		if (!det.scaler) {
			fprintf(stderr, "tickguard backtest: %s has no scaler (detector.json)\n",
			        model);
			goto fail;
		}
		sc = det.scaler;
		threshold = det.threshold;
	} else {
		for (uint32_t i = 0; i < in.n; i++) {
			cal[i] = bt_split_at(&in.s[i], &trs, 0);
			from[i] = bt_split_at(&in.s[i], &cas, cas.how == 't' ? 0 : cal[i]);
			if (from[i] < cal[i])
				from[i] = cal[i];
		}
		struct tg_calib calib;
		if (!quiet)
			fprintf(stderr, "tickguard backtest: training on the leading part...\n");
		rc =
		    tg_bt_train(&in, cal, from, &to, &m, &sc, &threshold, &calib, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "tickguard backtest: %s\n", err);
			goto fail;
		}
		/* report only windows entirely after the calibration part */
		for (uint32_t i = 0; i < in.n; i++)
			from[i] += to.mcfg.window - 1;
		det.scaler = sc;
		det.window = to.mcfg.window;
		det.threshold = threshold;
		det.percentile = to.percentile;
		det.calibrated = true;
		det.calib = calib;
		snprintf(det.training, sizeof(det.training), "backtest train-then-score of %s",
		         path ? path : "synthetic market");
		if (save && tg_package_save(save, m, &det, err, sizeof(err)) < 0) {
			fprintf(stderr, "tickguard backtest: %s\n", err);
			goto fail;
		}
	}
	rc = tg_bt_run(&in, from, m, sc, threshold, &bc, &res, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard backtest: %s\n", err);
		goto fail;
	}
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "tickguard backtest: cannot create %s: %s\n", out, strerror(errno));
		goto fail;
	}
	struct tg_bt_quality q;
	bool have_q = nl && tg_bt_quality(&in, &res, lb, nl, &q) == 0;
	char p[4096];
	snprintf(p, sizeof(p), "%s/windows.csv", out);
	rc = tg_bt_write_csv(p, &in, &res);
	if (rc == 0) {
		snprintf(p, sizeof(p), "%s/alerts.jsonl", out);
		rc = tg_bt_write_jsonl(p, &in, &res);
	}
	for (uint32_t i = 0; html && rc == 0 && i < in.n; i++) {
		snprintf(p, sizeof(p), "%s/report_%s.html", out, in.s[i].name);
		rc = tg_bt_write_html(p, &in, &res, i, have_q ? &q : NULL);
	}
	if (rc < 0) {
		fprintf(stderr, "tickguard backtest: cannot write %s: %s\n", p, strerror(-rc));
		goto fail;
	}
	double wps = res.seconds > 0 ? (double)res.scored / res.seconds : 0;
	double wpc = res.cpu_seconds > 0 ? (double)res.scored / res.cpu_seconds : 0;
	cJSON *js = cJSON_CreateObject();
	cJSON_AddStringToObject(js, "input", path ? path : "synthetic");
	cJSON_AddNumberToObject(js, "instruments", in.n);
	cJSON_AddNumberToObject(js, "window", res.window);
	cJSON_AddNumberToObject(js, "threshold", threshold);
	cJSON_AddNumberToObject(js, "windows_scored", (double)res.scored);
	cJSON_AddNumberToObject(js, "windows_rejected", (double)res.rejected);
	cJSON_AddNumberToObject(js, "windows_anomalous", (double)res.anomalous);
	cJSON_AddNumberToObject(js, "alerts", (double)res.ep.opened);
	cJSON_AddNumberToObject(js, "suppressed_in_cooldown", (double)res.ep.suppressed);
	cJSON_AddNumberToObject(js, "scaler_fallbacks", (double)res.fallback_groups);
	cJSON_AddNumberToObject(js, "threads", res.threads);
	cJSON_AddNumberToObject(js, "seconds", res.seconds);
	cJSON_AddNumberToObject(js, "windows_per_s", wps);
	cJSON_AddNumberToObject(js, "windows_per_cpu_s", wpc);
	printf("backtest: %u instruments, %llu windows scored (%llu rejected), %llu anomalous, "
	       "%llu alerts; threshold %.6g\n",
	       in.n, (unsigned long long)res.scored, (unsigned long long)res.rejected,
	       (unsigned long long)res.anomalous, (unsigned long long)res.ep.opened, threshold);
	printf("throughput: %.0f windows/s on %u threads, %.0f windows per CPU-second\n", wps,
	       res.threads, wpc);
	if (have_q) {
		cJSON *jq = cJSON_AddObjectToObject(js, "detection");
		cJSON_AddNumberToObject(jq, "alerts", (double)q.q.alerts);
		cJSON_AddNumberToObject(jq, "true_alerts", (double)q.q.true_alerts);
		cJSON_AddNumberToObject(jq, "precision", q.q.precision);
		cJSON_AddNumberToObject(jq, "labels", (double)q.q.labels);
		cJSON_AddNumberToObject(jq, "labels_outside_scored_part", (double)q.labels_outside);
		cJSON_AddNumberToObject(jq, "recall", q.q.recall);
		cJSON_AddNumberToObject(jq, "f1", q.f1);
		printf("detection: precision %.3f recall %.3f F1 %.3f (%llu alerts, %llu labels; "
		       "%llu labels outside the scored part)\n",
		       q.q.precision, q.q.recall, q.f1, (unsigned long long)q.q.alerts,
		       (unsigned long long)q.q.labels, (unsigned long long)q.labels_outside);
		cJSON *jk = cJSON_AddObjectToObject(jq, "kinds");
		for (int k = 1; k < TG_QUALITY_KINDS; k++) {
			const struct tg_quality_kind *x = &q.q.kind[k];
			if (!x->labels)
				continue;
			cJSON *o = cJSON_AddObjectToObject(jk, tg_bt_kind_name(k));
			cJSON_AddNumberToObject(o, "labels", (double)x->labels);
			cJSON_AddNumberToObject(o, "detected", (double)x->detected);
			cJSON_AddNumberToObject(o, "recall", x->recall);
			double pr = q.q.precision;
			cJSON_AddNumberToObject(
			    o, "f1",
			    pr + x->recall > 0 ? 2 * pr * x->recall / (pr + x->recall) : 0.0);
			cJSON_AddNumberToObject(o, "delay_ticks_mean", x->delay_mean);
			cJSON_AddNumberToObject(o, "delay_ticks_median", x->delay_median);
			cJSON_AddNumberToObject(o, "delay_ticks_max", (double)x->delay_max);
			printf("  %-12s labels %4llu detected %4llu recall %.3f delay mean %.1f "
			       "median "
			       "%.1f max %llu ticks\n",
			       tg_bt_kind_name(k), (unsigned long long)x->labels,
			       (unsigned long long)x->detected, x->recall, x->delay_mean,
			       x->delay_median, (unsigned long long)x->delay_max);
		}
	}
	char *txt = cJSON_Print(js);
	snprintf(p, sizeof(p), "%s/summary.json", out);
	FILE *f = txt ? fopen(p, "w") : NULL;
	if (f) {
		fputs(txt, f);
		fputc('\n', f);
		fclose(f);
	}
	free(txt);
	cJSON_Delete(js);
	if (!quiet)
		printf("wrote %s/windows.csv, alerts.jsonl, summary.json%s\n", out,
		       html ? ", report_<SYMBOL>.html" : "");
	ret = 0;
fail:
	tg_bt_result_free(&res);
	free(lb);
	free(from);
	free(cal);
	tg_model_destroy(m);
	if (model)
		tg_detector_clear(&det);
	else
		tg_scaler_destroy(sc);
	tg_bt_input_free(&in);
	return ret;
}
