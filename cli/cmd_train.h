/* cmd_train.h - what `tickguard train` and `tickguard calibrate` share:
 * loading per-instrument price series from LOBSTER files, a tick CSV
 * (streamed in chunks: only the prices stay in memory, 8 bytes a trade) or
 * feedsim's synthetic market (whose labelled anomalies are marked so they
 * never count as normal data), restricted to a time-of-day range. */
#ifndef TG_CMD_TRAIN_H
#define TG_CMD_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tg_input_opts {
	const char *path;    /* LOBSTER dir/message file or tick CSV; NULL = synthetic */
	const char *symbols; /* comma list to keep, or NULL for all */
	uint64_t synth_seed;
	uint32_t synth_instruments;
	uint64_t synth_trades;
	uint64_t since_ns, until_ns; /* time of day, [since, until) */
};

struct tg_input_series {
	char name[16];
	double *px;   /* dollars, time order */
	uint8_t *bad; /* 1 = inside (or just after) a labelled anomaly; NULL if unlabelled */
	size_t n, cap;
};

struct tg_input {
	uint32_t n;
	struct tg_input_series *s;
	uint64_t trades, lines, rejected, out_of_range, out_of_order, filtered;
	const char *kind; /* "lobster", "csv", "synthetic" */
	char desc[400];   /* provenance for detector.json */
	char first_reject[160];
};

/* The input options train and calibrate share, as getopt_long ids ('i' for
 * --input); a command's own ids continue from TG_INPUT_OPT_END. */
enum {
	TG_INPUT_OPT_SYNTH = 256,
	TG_INPUT_OPT_SSEED,
	TG_INPUT_OPT_SINST,
	TG_INPUT_OPT_STRADES,
	TG_INPUT_OPT_SYMBOLS,
	TG_INPUT_OPT_SINCE,
	TG_INPUT_OPT_UNTIL,
	TG_INPUT_OPT_END
};
/* clang-format off */
#define TG_INPUT_LONG_OPTIONS                                                    \
	{"input", required_argument, NULL, 'i'},                                 \
	{"synthetic", no_argument, NULL, TG_INPUT_OPT_SYNTH},                    \
	{"synth-seed", required_argument, NULL, TG_INPUT_OPT_SSEED},             \
	{"synth-instruments", required_argument, NULL, TG_INPUT_OPT_SINST},      \
	{"synth-trades", required_argument, NULL, TG_INPUT_OPT_STRADES},         \
	{"symbols", required_argument, NULL, TG_INPUT_OPT_SYMBOLS},              \
	{"since", required_argument, NULL, TG_INPUT_OPT_SINCE},                  \
	{"until", required_argument, NULL, TG_INPUT_OPT_UNTIL}
/* clang-format on */

void tg_input_opts_default(struct tg_input_opts *o);
/* Applies option id opt (one of the above) with its argument to o and
 * *synthetic: 1 when applied, 0 when opt is not an input option, -EINVAL
 * with the reason ("bad --since 'x' (...)") in why. Never prints. */
int tg_input_opt(struct tg_input_opts *o, bool *synthetic, int opt, const char *arg, char *why,
                 size_t whylen);
/* 0 or -errno with a one-line reason in err. */
int tg_input_load(const struct tg_input_opts *o, struct tg_input *in, char *err, size_t errlen);
void tg_input_free(struct tg_input *in);

/* "HH:MM[:SS[.f]]" or seconds after midnight -> ns; -EINVAL. */
int tg_parse_time_of_day(const char *s, uint64_t *ns);

#endif
