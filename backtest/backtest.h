/* backtest.h - `tickguard backtest`: score a historical file offline with
 * exactly the live pipeline's decision code, as fast as the cores allow.
 *
 * Same code as live: windows are scaled with tg_scaler_apply() (group looked
 * up by symbol, pooled fallback counted, as scorer.c does), reconstructed
 * by the scorer's local backend (tg_recon_local: the model's batched forward
 * + tg_recon_mse), decided with `score > threshold`, and turned into alert
 * episodes by the publisher's tg_episode_step(); detection quality comes
 * from the publisher's tg_quality_eval(). Nothing here re-implements them.
 *
 * Determinism: work is cut into fixed chunks of (instrument, batch of
 * windows) whatever the thread count; every chunk writes its own slots, and
 * episodes are run afterwards in one thread over all instruments merged in
 * exchange-time order (ties: instrument, tick), the order a live publisher
 * sees them. So 1 and N threads give bit-identical results.
 *
 * Normalised score: norm = score / (score + threshold), in [0, 1), strictly
 * monotone in the score, 0.5 exactly at the threshold (DBL_MAX gives 1).
 *
 * Libraries never print; errors are -errno with a reason in err.
 */
#ifndef TG_BACKTEST_H
#define TG_BACKTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/calibrate.h"
#include "model/model.h"
#include "model/preprocess.h"
#include "publisher/episode.h"
#include "publisher/quality.h"

#define TG_BT_ERR_LEN 256

/* One instrument's tick series, time order. tick i is the i-th trade. */
struct tg_bt_series {
	char name[16];
	uint64_t n, cap;
	uint64_t *ts_ns; /* exchange time (ns since midnight; series CSV: its timestamps) */
	double *px;      /* price in dollars (series CSV: the value) */
	uint32_t *px_e4; /* price x 1e4 as the wire carries it (0 if out of range) */
	uint32_t locate; /* ITCH stock locate (ITCH inputs; instruments are in locate order) */
};

enum tg_bt_kind {
	TG_BT_SOURCE = 1, /* LOBSTER / tick CSV / synthetic through feedsim's source */
	TG_BT_ITCH = 2,   /* ITCH 5.0 BinaryFILE or pcap (wire decode + order map) */
	TG_BT_SERIES = 3, /* plain two-column timestamp,value CSV */
};

struct tg_bt_input {
	uint32_t n;
	struct tg_bt_series *s;
	int kind;
	/* ground truth carried by the input (synthetic market), else 0 */
	struct tg_quality_label *labels;
	size_t n_labels;
	/* counters of loading */
	uint64_t rows, rejected, unpriced; /* unpriced: ITCH executions of unknown orders */
	char first_reject[160];
};

/* Load path as: "auto" (directory / LOBSTER message file / pcap / .itch or
 * BinaryFILE / tick CSV), "lobster", "csv", "itch", "pcap", "series";
 * "synthetic" generates feedsim's labelled market (path ignored; seed,
 * instruments, trades from synth_* below, 0 = defaults). */
struct tg_bt_load_opts {
	const char *format;
	uint64_t synth_seed;
	uint32_t synth_instruments;
	uint64_t synth_trades;
};
int tg_bt_input_load(const char *path, const struct tg_bt_load_opts *o, struct tg_bt_input *in,
                     char *err, size_t errlen);
void tg_bt_input_free(struct tg_bt_input *in);
/* instrument index by name, or -ENOENT */
int tg_bt_input_lookup(const struct tg_bt_input *in, const char *name);
/* Parse a timestamp the way inputs are parsed: integer (as is), decimal
 * seconds (-> ns), HH:MM:SS[.f] (-> ns since midnight), YYYY-MM-DD[T ]HH:MM[:SS[.f]]
 * (-> ns since the Unix epoch, UTC). 0 or -EINVAL. */
int tg_bt_parse_ts(const char *s, size_t len, uint64_t *out);

/* Labels: feedsim's file (symbol,first_tick,last_tick,kind,...), anomalous
 * points ([symbol,]timestamp,label with label 0/1, runs of 1 merge), or
 * anomalous ranges ([symbol,]start,end[,kind] in input timestamps). The
 * format is told by the header. Every mismatch (unknown symbol, a
 * timestamp not in the input, start after end, unknown kind, bad row) is an
 * error naming the line. kind 7 = "anomaly" (unspecified). */
int tg_bt_labels_read(const char *path, const struct tg_bt_input *in, struct tg_quality_label **out,
                      size_t *n_out, char *err, size_t errlen);
const char *tg_bt_kind_name(int kind);

/* What the scored part of each instrument is: windows whose LAST tick is
 * >= from[i] (the training and calibration parts are never reported). */
struct tg_bt_config {
	uint32_t threads; /* 1..64 */
	uint32_t batch;   /* windows per reconstruction call, default 32 */
	struct tg_episode_config episode;
	bool progress;
	/* tests only: chunk work by thread instead of fixed chunks (results
	 * then depend on the thread count) - the broken variant */
	bool broken_chunking;
};
void tg_bt_config_default(struct tg_bt_config *c);

enum { TG_BT_W_SCORED = 0, TG_BT_W_REJECTED = 1 };

struct tg_bt_window {
	uint64_t last_tick;
	double score; /* NaN if rejected */
	uint64_t alert_id;
	uint8_t status;
	uint8_t anomalous;
};

struct tg_bt_inst {
	uint64_t from_tick; /* first reported window's last tick */
	uint64_t n_windows; /* reported windows */
	struct tg_bt_window *w;
	int scaler_group;        /* -1: pooled fallback */
	struct tg_alert *alerts; /* events (open/update/close), in order */
	size_t n_alerts, cap_alerts;
};

struct tg_bt_result {
	uint32_t window;
	double threshold;
	uint32_t n;
	struct tg_bt_inst *inst;
	struct tg_episode_stats ep;
	uint64_t scored, rejected, anomalous, fallback_groups;
	double seconds;     /* scoring wall time */
	double cpu_seconds; /* scoring CPU time, all threads */
	uint32_t threads;
};

/* Score every window (stride 1) of every instrument ending at or after
 * from[i] (from may be NULL: all), then run the episodes. */
int tg_bt_run(const struct tg_bt_input *in, const uint64_t *from, const struct tg_model *m,
              const struct tg_scaler *sc, double threshold, const struct tg_bt_config *cfg,
              struct tg_bt_result *res, char *err, size_t errlen);
/* Episodes only, from the scores already in res (tg_bt_run calls this;
 * exposed for tests that set scores by hand). */
int tg_bt_episodes(const struct tg_bt_input *in, struct tg_bt_result *res,
                   const struct tg_episode_config *ec);
void tg_bt_result_free(struct tg_bt_result *res);

static inline double tg_bt_norm(double score, double threshold)
{
	if (!(score > 0.0))
		return 0.0;
	if (score >= 1e300 || !(threshold > 0.0))
		return 1.0;
	return score / (score + threshold);
}

/* Detection quality of res against labels (only labels visible to a
 * reported window count; *dropped gets the others). F1 from precision and
 * recall; per kind recall and delay (ticks). */
struct tg_bt_quality {
	struct tg_quality q;
	double f1;
	uint64_t labels_outside; /* labels in the training / calibration part */
};
int tg_bt_quality(const struct tg_bt_input *in, const struct tg_bt_result *res,
                  const struct tg_quality_label *labels, size_t nl, struct tg_bt_quality *out);

/* Outputs. CSV: instrument,last_tick,ts_ns,price,score,threshold,anomalous,
 * alert_id,norm_score. JSONL: the publisher's alert JSON per event, in
 * exchange-time order (ties: instrument, then event order). */
int tg_bt_write_csv(const char *path, const struct tg_bt_input *in, const struct tg_bt_result *res);
int tg_bt_write_jsonl(const char *path, const struct tg_bt_input *in,
                      const struct tg_bt_result *res);
/* Self-contained HTML (inline SVG, no scripts, no network) for instrument i:
 * price, score with threshold, alert episodes shaded, score histogram. */
int tg_bt_write_html(const char *path, const struct tg_bt_input *in, const struct tg_bt_result *res,
                     uint32_t i, const struct tg_bt_quality *q);

/* Train-then-score: fit the scaler and the model on ticks [0, train_end[i])
 * of each instrument, calibrate the threshold (percentile) on windows
 * ending in [train_end[i], calib_end[i]). */
struct tg_bt_train_opts {
	struct tg_model_config mcfg;
	enum tg_scale_mode mode;
	bool per_instrument;
	uint32_t epochs, batch, stride, threads;
	double lr, percentile;
	uint64_t seed;
	bool progress;
};
void tg_bt_train_opts_default(struct tg_bt_train_opts *o);
int tg_bt_train(const struct tg_bt_input *in, const uint64_t *train_end, const uint64_t *calib_end,
                const struct tg_bt_train_opts *o, struct tg_model **m, struct tg_scaler **sc,
                double *threshold, struct tg_calib *calib, char *err, size_t errlen);

#endif
