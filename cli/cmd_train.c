/* cmd_train.c - `tickguard train`: price series in (LOBSTER, tick CSV or the
 * synthetic market), a model package out. Splits each instrument's trades
 * by time (the last --val-frac validates), fits the frozen scaler on the
 * training windows only, trains (model/train.h) with checkpoints that
 * --resume continues exactly, calibrates the threshold on the validation
 * windows and writes the package with its provenance. The input loader
 * here is shared with `tickguard calibrate` (cmd_train.h). */
#include "cli/cmd_train.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cmdline.h"
#include "common/tg_common.h"
#include "feedsim/source.h"
#include "model/calibrate.h"
#include "model/model.h"
#include "model/package.h"
#include "model/preprocess.h"
#include "model/train.h"
#include "model/train_data.h"

int tg_cmd_train(int argc, char **argv);

#define NS_PER_S 1000000000ull

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

void tg_input_opts_default(struct tg_input_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->synth_seed = 1;
	o->synth_instruments = 8;
	o->synth_trades = 20000;
	o->since_ns = 0;
	o->until_ns = 86400ull * NS_PER_S;
}

int tg_input_opt(struct tg_input_opts *o, bool *synthetic, int opt, const char *a, char *why,
                 size_t whylen)
{
	uint64_t v;
	const char *bad = NULL;
	switch (opt) {
	case 'i':
		o->path = a;
		return 1;
	case TG_INPUT_OPT_SYNTH:
		*synthetic = true;
		return 1;
	case TG_INPUT_OPT_SSEED:
		if (tg_parse_u64(a, 10, UINT64_MAX, &o->synth_seed))
			bad = "synth-seed";
		break;
	case TG_INPUT_OPT_SINST:
		if (tg_parse_u64(a, 10, UINT64_MAX, &v) || !v || v > 1000)
			bad = "synth-instruments";
		else
			o->synth_instruments = (uint32_t)v;
		break;
	case TG_INPUT_OPT_STRADES:
		if (tg_parse_u64(a, 10, UINT64_MAX, &o->synth_trades) || !o->synth_trades)
			bad = "synth-trades";
		break;
	case TG_INPUT_OPT_SYMBOLS:
		o->symbols = a;
		return 1;
	case TG_INPUT_OPT_SINCE:
		if (tg_parse_time_of_day(a, &o->since_ns) < 0)
			bad = "since";
		break;
	case TG_INPUT_OPT_UNTIL:
		if (tg_parse_time_of_day(a, &o->until_ns) < 0)
			bad = "until";
		break;
	default:
		return 0;
	}
	if (!bad)
		return 1;
	snprintf(why, whylen, "bad --%s '%s'%s", bad, a,
	         opt == TG_INPUT_OPT_SINST ? " (1..1000)"
	         : opt == TG_INPUT_OPT_SINCE || opt == TG_INPUT_OPT_UNTIL
	             ? " (HH:MM[:SS] or seconds)"
	             : "");
	return -EINVAL;
}

/* Fraction digits after a '.', up to 9, into ns. */
static int parse_frac_ns(const char **pp, uint64_t *ns)
{
	const char *p = *pp;
	uint64_t v = 0, mul = 100000000ull;
	int nd = 0;
	if (*p != '.') {
		*ns = 0;
		return 0;
	}
	p++;
	while (isdigit((unsigned char)*p)) {
		if (++nd > 9)
			return -EINVAL;
		v += (uint64_t)(*p - '0') * mul;
		mul /= 10;
		p++;
	}
	if (!nd)
		return -EINVAL;
	*ns = v;
	*pp = p;
	return 0;
}

static int parse_uint(const char **pp, uint64_t *v, int maxdig)
{
	const char *p = *pp;
	uint64_t x = 0;
	int nd = 0;
	while (isdigit((unsigned char)*p)) {
		if (++nd > maxdig)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (!nd)
		return -EINVAL;
	*v = x;
	*pp = p;
	return 0;
}

/* Time of day: ns integer, decimal seconds, HH:MM[:SS[.f]], optionally
 * preceded by "YYYY-MM-DD" and 'T' or ' '. */
static int parse_ts(const char *s, uint64_t *ns, bool allow_int_ns)
{
	const char *p = s;
	if (strlen(s) >= 11 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' '))
		p = s + 11;
	uint64_t a, f = 0;
	if (parse_uint(&p, &a, 18) < 0)
		return -EINVAL;
	if (*p == ':') {
		uint64_t mi, se = 0;
		p++;
		if (a > 23 || parse_uint(&p, &mi, 2) < 0 || mi > 59)
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (parse_uint(&p, &se, 2) < 0 || se > 60 || parse_frac_ns(&p, &f) < 0)
				return -EINVAL;
		}
		if (*p)
			return -EINVAL;
		*ns = ((a * 60 + mi) * 60 + se) * NS_PER_S + f;
		return 0;
	}
	if (*p == '.') {
		if (parse_frac_ns(&p, &f) < 0 || *p || a > 86400)
			return -EINVAL;
		*ns = a * NS_PER_S + f;
		return 0;
	}
	if (*p)
		return -EINVAL;
	*ns = allow_int_ns ? a : a * NS_PER_S;
	return 0;
}

int tg_parse_time_of_day(const char *s, uint64_t *ns)
{
	/* On the command line a bare integer means seconds. */
	return parse_ts(s, ns, false);
}

static struct tg_input_series *series_get(struct tg_input *in, const char *name)
{
	for (uint32_t i = in->n; i-- > 0;)
		if (!strcmp(in->s[i].name, name))
			return &in->s[i];
	if (in->n >= 4096)
		return NULL;
	struct tg_input_series *s = realloc(in->s, (in->n + 1) * sizeof(*s));
	if (!s)
		return NULL;
	in->s = s;
	memset(&s[in->n], 0, sizeof(s[0]));
	snprintf(s[in->n].name, sizeof(s[0].name), "%s", name);
	return &s[in->n++];
}

static int series_push(struct tg_input_series *s, double px)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		double *p = realloc(s->px, cap * sizeof(double));
		if (!p)
			return -ENOMEM;
		s->px = p;
		s->cap = cap;
	}
	s->px[s->n++] = px;
	return 0;
}

static bool symbol_wanted(const char *list, const char *sym)
{
	if (!list)
		return true;
	size_t n = strlen(sym);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncasecmp(p, sym, n))
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* Per-symbol last timestamp, for the out-of-order count of the CSV. */
struct csv_state {
	uint64_t *last_ts;
	uint32_t cap;
};

/* One CSV line (NUL-terminated, no newline). 1 kept, 0 skipped, <0 reject. */
static int csv_line(struct tg_input *in, struct csv_state *cs, const struct tg_input_opts *o,
                    char *line, uint64_t lineno, const char **why)
{
	char *f[6];
	int nf = 0;
	if (lineno == 1 && (unsigned char)line[0] == 0xef && (unsigned char)line[1] == 0xbb &&
	    (unsigned char)line[2] == 0xbf)
		line += 3;
	size_t len = strlen(line);
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		line[--len] = 0;
	if (!len)
		return 0;
	for (char *p = line; nf < 6;) {
		char *e = strchr(p, ',');
		if (e)
			*e = 0;
		if (*p == '"') {
			p++;
			size_t l = strlen(p);
			if (l && p[l - 1] == '"')
				p[l - 1] = 0;
		}
		f[nf++] = p;
		if (!e)
			break;
		p = e + 1;
	}
	if (nf < 4) {
		if (lineno == 1)
			return 0;
		*why = "fewer than 4 fields";
		return -EINVAL;
	}
	if (!strcasecmp(f[0], "symbol"))
		return 0; /* header */
	size_t sl = strlen(f[0]);
	if (sl < 1 || sl > 8) {
		*why = "symbol must be 1-8 characters";
		return -EINVAL;
	}
	char sym[9];
	for (size_t i = 0; i < sl; i++) {
		char c = f[0][i];
		if (!isalnum((unsigned char)c) && c != '.' && c != '-') {
			*why = "bad character in symbol";
			return -EINVAL;
		}
		sym[i] = (char)toupper((unsigned char)c);
	}
	sym[sl] = 0;
	uint64_t ts;
	if (parse_ts(f[1], &ts, true) < 0) {
		*why = "bad timestamp";
		return -EINVAL;
	}
	const char *p = f[2];
	uint64_t whole, frac = 0;
	if (parse_uint(&p, &whole, 9) < 0) {
		*why = "bad price";
		return -EINVAL;
	}
	if (*p == '.') {
		p++;
		uint64_t mul = 1000;
		int nd = 0;
		while (isdigit((unsigned char)*p)) {
			if (++nd > 4) {
				*why = "price has more than 4 decimals";
				return -EINVAL;
			}
			frac += (uint64_t)(*p - '0') * mul;
			mul /= 10;
			p++;
		}
	}
	if (*p || whole * 10000 + frac == 0) {
		*why = "bad price";
		return -EINVAL;
	}
	const char *q = f[3];
	uint64_t size;
	if (parse_uint(&q, &size, 10) < 0 || *q || size == 0) {
		*why = "bad size";
		return -EINVAL;
	}
	if (!symbol_wanted(o->symbols, sym)) {
		in->filtered++;
		return 0;
	}
	if (ts < o->since_ns || ts >= o->until_ns) {
		in->out_of_range++;
		return 0;
	}
	struct tg_input_series *s = series_get(in, sym);
	if (!s) {
		*why = "out of memory or too many symbols";
		return -ENOMEM;
	}
	uint32_t idx = (uint32_t)(s - in->s);
	if (idx >= cs->cap) {
		uint32_t cap = cs->cap ? cs->cap * 2 : 64;
		while (cap <= idx)
			cap *= 2;
		uint64_t *l = realloc(cs->last_ts, cap * sizeof(uint64_t));
		if (!l)
			return -ENOMEM;
		memset(l + cs->cap, 0, (cap - cs->cap) * sizeof(uint64_t));
		cs->last_ts = l;
		cs->cap = cap;
	}
	if (ts < cs->last_ts[idx])
		in->out_of_order++; /* kept in file order */
	else
		cs->last_ts[idx] = ts;
	if (series_push(s, (double)(whole * 10000 + frac) / 1e4) < 0)
		return -ENOMEM;
	in->trades++;
	return 1;
}

/* Stream the CSV in 1 MiB chunks; a line may span chunks. */
static int load_csv(const struct tg_input_opts *o, struct tg_input *in, char *err, size_t el)
{
	FILE *fp = fopen(o->path, "rb");
	if (!fp) {
		int e = errno;
		seterr(err, el, "cannot open %s: %s", o->path, strerror(e));
		return -e;
	}
	const size_t chunk = 1 << 20;
	size_t cap = chunk + 4096, have = 0;
	char *buf = malloc(cap + 1);
	struct csv_state cs = {0};
	int rc = 0;
	if (!buf) {
		fclose(fp);
		return -ENOMEM;
	}
	for (;;) {
		if (cap - have < chunk) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + have, 1, chunk, fp);
		have += got;
		bool eof = got == 0;
		size_t start = 0;
		for (size_t i = 0; i < have; i++) {
			if (buf[i] != '\n' && !(eof && i + 1 == have))
				continue;
			size_t end = buf[i] == '\n' ? i : i + 1;
			char save = buf[end];
			buf[end] = 0;
			in->lines++;
			const char *why = NULL;
			int r = csv_line(in, &cs, o, buf + start, in->lines, &why);
			buf[end] = save;
			if (r == -ENOMEM) {
				rc = r;
				break;
			}
			if (r < 0) {
				if (!in->rejected)
					snprintf(in->first_reject, sizeof(in->first_reject),
					         "line %llu: %s", (unsigned long long)in->lines,
					         why ? why : "bad row");
				in->rejected++;
			}
			start = i + 1;
		}
		if (rc)
			break;
		memmove(buf, buf + start, have - start);
		have -= start;
		if (eof)
			break;
	}
	if (ferror(fp) && !rc) {
		seterr(err, el, "read error on %s", o->path);
		rc = -EIO;
	}
	fclose(fp);
	free(buf);
	free(cs.last_ts);
	if (rc == -ENOMEM)
		seterr(err, el, "out of memory reading %s", o->path);
	in->kind = "csv";
	return rc;
}

static bool is_lobster(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return true;
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(b);
	return strstr(b, "_message_") && n > 4 && !strcmp(b + n - 4, ".csv");
}

/* LOBSTER files and the synthetic market come through feedsim's source. */
static int load_source(const struct tg_input_opts *o, struct tg_input *in, char *err, size_t el)
{
	struct tg_source *src;
	int rc;
	if (o->path) {
		rc = tg_source_open_path(o->path, &src);
		in->kind = "lobster";
	} else {
		struct tg_synth_config sc;
		tg_synth_config_default(&sc);
		sc.seed = o->synth_seed;
		sc.instruments = o->synth_instruments;
		sc.trades_per_instrument = o->synth_trades;
		rc = tg_source_open_synth(&sc, &src);
		in->kind = "synthetic";
	}
	if (rc < 0) {
		seterr(err, el, "cannot open %s: %s", o->path ? o->path : "synthetic market",
		       strerror(-rc));
		return rc;
	}
	uint32_t ni = tg_source_instruments(src);
	/* instrument -> series (or NULL when filtered out) */
	struct tg_input_series **map = calloc(ni ? ni : 1, sizeof(*map));
	uint64_t **tick_of = calloc(ni ? ni : 1, sizeof(*tick_of)); /* kept index -> tick */
	uint32_t *sidx = calloc(ni ? ni : 1, sizeof(*sidx));        /* series index + 1 */
	rc = -ENOMEM;
	if (!map || !tick_of || !sidx)
		goto out;
	/* Two passes: series_get may move the array, so indices first. Files
	 * of one symbol (several days) append to one series. */
	for (uint32_t i = 0; i < ni; i++) {
		const char *sym = tg_source_symbol(src, i);
		if (!symbol_wanted(o->symbols, sym))
			continue;
		struct tg_input_series *s = series_get(in, sym);
		if (!s)
			goto out;
		sidx[i] = (uint32_t)(s - in->s) + 1;
	}
	for (uint32_t i = 0; i < ni; i++)
		map[i] = sidx[i] ? &in->s[sidx[i] - 1] : NULL;
	uint64_t n;
	const struct tg_trade *tr = tg_source_trade_array(src, &n);
	const struct tg_label *lab;
	size_t nlab = tg_source_labels(src, &lab);
	for (uint32_t i = 0; i < ni; i++)
		if (map[i] && nlab) {
			tick_of[i] =
			    malloc((tg_source_instrument_trades(src, i) + 1) * sizeof(uint64_t));
			if (!tick_of[i])
				goto out;
		}
	for (uint64_t k = 0; k < n; k++) {
		struct tg_input_series *s = map[tr[k].instrument];
		if (!s) {
			in->filtered++;
			continue;
		}
		if (tr[k].exch_ts_ns < o->since_ns || tr[k].exch_ts_ns >= o->until_ns) {
			in->out_of_range++;
			continue;
		}
		if (tick_of[tr[k].instrument])
			tick_of[tr[k].instrument][s->n] = tr[k].tick;
		if (series_push(s, tr[k].price_e4 / 1e4) < 0)
			goto out;
		in->trades++;
	}
	/* Ground truth: mark each labelled tick and the 60 after it (the
	 * reference window), so no window touching an anomaly is "normal". */
	for (uint32_t i = 0; i < ni; i++) {
		struct tg_input_series *s = map[i];
		if (!s || !tick_of[i])
			continue;
		uint64_t nt = tg_source_instrument_trades(src, i);
		uint8_t *by_tick = calloc(nt + 1, 1);
		s->bad = calloc(s->n + 1, 1);
		if (!by_tick || !s->bad) {
			free(by_tick);
			goto out;
		}
		for (size_t l = 0; l < nlab; l++)
			if (lab[l].instrument == i)
				for (uint64_t t = lab[l].first_tick;
				     t <= lab[l].last_tick + 60 && t < nt; t++)
					by_tick[t] = 1;
		for (size_t j = 0; j < s->n; j++)
			s->bad[j] = by_tick[tick_of[i][j]];
		free(by_tick);
	}
	struct tg_source_stats st;
	tg_source_get_stats(src, &st);
	in->lines = st.lines;
	in->rejected = st.rejected;
	const struct tg_reject *rj;
	if (tg_source_rejects(src, &rj) > 0)
		snprintf(in->first_reject, sizeof(in->first_reject), "line %llu: %s",
		         (unsigned long long)rj[0].line, rj[0].reason);
	rc = 0;
out:
	if (rc == -ENOMEM)
		seterr(err, el, "out of memory loading the input");
	if (tick_of)
		for (uint32_t i = 0; i < ni; i++)
			free(tick_of[i]);
	free(tick_of);
	free(sidx);
	free(map);
	tg_source_close(src);
	return rc;
}

static void fmt_tod(char *b, size_t n, uint64_t ns)
{
	uint64_t s = ns / NS_PER_S;
	snprintf(b, n, "%02llu:%02llu:%02llu", (unsigned long long)(s / 3600),
	         (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
}

int tg_input_load(const struct tg_input_opts *o, struct tg_input *in, char *err, size_t errlen)
{
	memset(in, 0, sizeof(*in));
	int rc = o->path && !is_lobster(o->path) ? load_csv(o, in, err, errlen)
	                                         : load_source(o, in, err, errlen);
	if (rc < 0) {
		tg_input_free(in);
		return rc;
	}
	if (!in->trades) {
		seterr(err, errlen, "no trades in %s%s%s",
		       o->path ? o->path : "the synthetic market",
		       in->rejected ? "; first reject " : "", in->first_reject);
		tg_input_free(in);
		return -ENODATA;
	}
	char a[16], b[16], syms[160] = "";
	fmt_tod(a, sizeof(a), o->since_ns);
	fmt_tod(b, sizeof(b), o->until_ns);
	for (uint32_t i = 0; i < in->n && strlen(syms) < sizeof(syms) - 12; i++)
		snprintf(syms + strlen(syms), sizeof(syms) - strlen(syms), "%s%s", i ? "," : "",
		         in->s[i].name);
	if (o->path)
		snprintf(in->desc, sizeof(in->desc), "%s %s, %s-%s, symbols %s, %llu trades",
		         in->kind, o->path, a, b, syms, (unsigned long long)in->trades);
	else
		snprintf(in->desc, sizeof(in->desc),
		         "synthetic market seed %llu, %u instruments x %llu trades, %s-%s, %llu "
		         "trades, labelled anomalies excluded",
		         (unsigned long long)o->synth_seed, o->synth_instruments,
		         (unsigned long long)o->synth_trades, a, b, (unsigned long long)in->trades);
	return 0;
}

void tg_input_free(struct tg_input *in)
{
	for (uint32_t i = 0; i < in->n; i++) {
		free(in->s[i].px);
		free(in->s[i].bad);
	}
	free(in->s);
	in->s = NULL;
	in->n = 0;
}

/* ---- the train command -------------------------------------------------- */

static atomic_bool stop_flag; /* set by SIGINT/SIGTERM, read by the trainer */

static void on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&stop_flag, true, memory_order_relaxed); /* trainer's load */
}

static void train_usage(FILE *f)
{
	fprintf(f,
	        "usage: tickguard train --out DIR [--input PATH | --synthetic] [options]\n"
	        "Train the LSTM autoencoder and write a model package (Keras layers format +\n"
	        "detector.json), calibrated on the validation windows.\n"
	        "input:\n"
	        "  --input PATH         LOBSTER message file or directory, or a tick CSV\n"
	        "                       (symbol,timestamp,price,size[,side]; streamed)\n"
	        "  --synthetic          feedsim's synthetic market (labelled anomalies excluded)\n"
	        "  --synth-seed N --synth-instruments N --synth-trades N\n"
	        "  --symbols A,B        only these symbols\n"
	        "  --since T --until T  time of day range of the data (HH:MM[:SS] or seconds)\n"
	        "  --val-frac F         last fraction of each instrument's trades validates (0.2)\n"
	        "  --stride N           window stride for training windows (1)\n"
	        "model:\n"
	        "  --window N (60)  --units A,B (128,64; decoder mirrored)  --act relu|tanh\n"
	        "  --scale log_rel|minmax_raw|log_ret (log_rel)  --per-instrument\n"
	        "training:\n"
	        "  --epochs N (10) --batch N (32) --lr X (1e-3) --clipnorm X (1, 0 = off)\n"
	        "  --patience N (3, 0 = off) --seed N (42) --threads 1|2 (2)\n"
	        "  --checkpoint-every N (1000 steps, 0 = off), checkpoint DIR/train.ckpt\n"
	        "  --resume             continue from DIR/train.ckpt exactly\n"
	        "  --percentile P (99)  --bins N (40)\n"
	        "  --quiet              no progress bar\n"
	        "  --stop-after N       stop after N steps as if killed (tests resume)\n");
}

static int parse_units(const char *s, struct tg_model_config *c)
{
	uint32_t u[TG_MODEL_MAX_LAYERS];
	uint32_t n = 0;
	const char *p = s;
	while (*p) {
		char *e;
		unsigned long v = strtoul(p, &e, 10);
		if (e == p || v == 0 || v > TG_MODEL_MAX_UNITS || n == TG_MODEL_MAX_LAYERS)
			return -EINVAL;
		u[n++] = (uint32_t)v;
		if (*e == ',')
			e++;
		else if (*e)
			return -EINVAL;
		p = e;
	}
	if (!n)
		return -EINVAL;
	c->n_enc = c->n_dec = n;
	for (uint32_t i = 0; i < n; i++) {
		c->enc_units[i] = u[i];
		c->dec_units[n - 1 - i] = u[i];
	}
	return 0;
}

static bool parse_dbl(const char *s, double *v)
{
	char *e;
	errno = 0;
	double x = strtod(s, &e);
	if (errno || e == s || *e)
		return false;
	*v = x;
	return true;
}

/* Scores of a window set through the fast inference path. */
static int score_windows(const struct tg_model *m, const struct tg_winlazy *s, double *scores)
{
	const uint32_t B = 64, W = s->window;
	struct tg_model_ws *ws;
	float *xb = malloc((size_t)B * W * sizeof(float));
	int rc = xb ? tg_model_ws_create(&m->cfg, B, &ws) : -ENOMEM;
	if (rc < 0) {
		free(xb);
		return rc;
	}
	for (uint64_t i = 0; i < s->n && rc == 0; i += B) {
		uint32_t b = s->n - i < B ? (uint32_t)(s->n - i) : B;
		for (uint32_t k = 0; k < b && rc == 0; k++)
			rc = tg_winlazy_fetch(s, i + k, xb + (size_t)k * W);
		if (rc == 0)
			rc = tg_model_forward_batch(m, ws, xb, b, NULL, scores + i);
	}
	tg_model_ws_destroy(ws);
	free(xb);
	return rc;
}

int tg_cmd_train(int argc, char **argv)
{
	enum {
		O_VALF = TG_INPUT_OPT_END,
		O_STRIDE,
		O_WINDOW,
		O_UNITS,
		O_ACT,
		O_SCALE,
		O_PERINST,
		O_EPOCHS,
		O_BATCH,
		O_LR,
		O_CLIP,
		O_PATIENCE,
		O_SEED,
		O_THREADS,
		O_CKEVERY,
		O_RESUME,
		O_PCT,
		O_BINS,
		O_QUIET,
		O_STOPAFTER
	};
	static const struct option lo[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"out", required_argument, NULL, 'o'},
	    TG_INPUT_LONG_OPTIONS,
	    {"val-frac", required_argument, NULL, O_VALF},
	    {"stride", required_argument, NULL, O_STRIDE},
	    {"window", required_argument, NULL, O_WINDOW},
	    {"units", required_argument, NULL, O_UNITS},
	    {"act", required_argument, NULL, O_ACT},
	    {"scale", required_argument, NULL, O_SCALE},
	    {"per-instrument", no_argument, NULL, O_PERINST},
	    {"epochs", required_argument, NULL, O_EPOCHS},
	    {"batch", required_argument, NULL, O_BATCH},
	    {"lr", required_argument, NULL, O_LR},
	    {"clipnorm", required_argument, NULL, O_CLIP},
	    {"patience", required_argument, NULL, O_PATIENCE},
	    {"seed", required_argument, NULL, O_SEED},
	    {"threads", required_argument, NULL, O_THREADS},
	    {"checkpoint-every", required_argument, NULL, O_CKEVERY},
	    {"resume", no_argument, NULL, O_RESUME},
	    {"percentile", required_argument, NULL, O_PCT},
	    {"bins", required_argument, NULL, O_BINS},
	    {"quiet", no_argument, NULL, O_QUIET},
	    {"stop-after", required_argument, NULL, O_STOPAFTER},
	    {NULL, 0, NULL, 0},
	};
	struct tg_input_opts io;
	tg_input_opts_default(&io);
	struct tg_model_config cfg;
	tg_model_config_default(&cfg);
	struct tg_train_params tp;
	tg_train_params_default(&tp);
	tp.ckpt_every = 1000;
	const char *out = NULL;
	bool synth = false, per_inst = false, resume = false, quiet = false;
	double val_frac = 0.2, pct = TG_CALIB_DEFAULT_PERCENTILE;
	uint64_t v, stride = 1, bins = TG_CALIB_BINS_DEFAULT;
	int scale = TG_SCALE_DEFAULT;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:i:", lo, NULL)) != -1) {
		const char *a = optarg;
		switch (c) {
		case 'h':
			train_usage(stdout);
			return 0;
		case 'o':
			out = a;
			break;
		case O_VALF:
			if (!parse_dbl(a, &val_frac) || !(val_frac > 0 && val_frac < 0.9))
				return tg_cli_usage_err("train",
				                        "bad --val-frac '%s' (0 < F < 0.9)", a);
			break;
		case O_STRIDE:
			if (tg_parse_u64(a, 10, UINT64_MAX, &stride) || !stride || stride > 100000)
				return tg_cli_usage_err("train", "bad --stride '%s'", a);
			break;
		case O_WINDOW:
			if (tg_parse_u64(a, 10, UINT64_MAX, &v) || v < 2 || v > TG_MODEL_MAX_WINDOW)
				return tg_cli_usage_err("train", "bad --window '%s'", a);
			cfg.window = (uint32_t)v;
			break;
		case O_UNITS:
			if (parse_units(a, &cfg) < 0)
				return tg_cli_usage_err("train", "bad --units '%s' (e.g. 128,64)",
				                        a);
			break;
		case O_ACT:
			if (!strcmp(a, "relu"))
				cfg.act = TG_ACT_RELU;
			else if (!strcmp(a, "tanh"))
				cfg.act = TG_ACT_TANH;
			else
				return tg_cli_usage_err("train", "bad --act '%s' (relu or tanh)",
				                        a);
			break;
		case O_SCALE:
			scale = tg_scale_mode_parse(a);
			if (scale < 0)
				return tg_cli_usage_err(
				    "train", "bad --scale '%s' (log_rel, minmax_raw, log_ret)", a);
			break;
		case O_PERINST:
			per_inst = true;
			break;
		case O_EPOCHS:
			if (tg_parse_u64(a, 10, UINT64_MAX, &v) || !v || v > TG_TRAIN_MAX_EPOCHS)
				return tg_cli_usage_err("train", "bad --epochs '%s'", a);
			tp.epochs = (uint32_t)v;
			break;
		case O_BATCH:
			if (tg_parse_u64(a, 10, UINT64_MAX, &v) || !v || v > 1000000)
				return tg_cli_usage_err("train", "bad --batch '%s'", a);
			tp.batch = (uint32_t)v;
			break;
		case O_LR:
			if (!parse_dbl(a, &tp.lr) || !(tp.lr > 0 && tp.lr < 10))
				return tg_cli_usage_err("train", "bad --lr '%s'", a);
			break;
		case O_CLIP:
			if (!parse_dbl(a, &tp.clipnorm) || !(tp.clipnorm >= 0))
				return tg_cli_usage_err("train", "bad --clipnorm '%s'", a);
			break;
		case O_PATIENCE:
			if (tg_parse_u64(a, 10, UINT64_MAX, &v) || v > 100000)
				return tg_cli_usage_err("train", "bad --patience '%s'", a);
			tp.patience = (uint32_t)v;
			break;
		case O_SEED:
			if (tg_parse_u64(a, 10, UINT64_MAX, &tp.seed))
				return tg_cli_usage_err("train", "bad --seed '%s'", a);
			break;
		case O_THREADS:
			if (tg_parse_u64(a, 10, UINT64_MAX, &v) || !v || v > TG_TRAIN_SHARDS)
				return tg_cli_usage_err("train", "bad --threads '%s' (1 or 2)", a);
			tp.threads = (uint32_t)v;
			break;
		case O_CKEVERY:
			if (tg_parse_u64(a, 10, UINT64_MAX, &tp.ckpt_every))
				return tg_cli_usage_err("train", "bad --checkpoint-every '%s'", a);
			break;
		case O_RESUME:
			resume = true;
			break;
		case O_PCT:
			if (!parse_dbl(a, &pct) || !(pct > 0 && pct <= 100))
				return tg_cli_usage_err("train",
				                        "bad --percentile '%s' (0 < P <= 100)", a);
			break;
		case O_BINS:
			if (tg_parse_u64(a, 10, UINT64_MAX, &bins) || !bins ||
			    bins > TG_CALIB_BINS_MAX)
				return tg_cli_usage_err("train", "bad --bins '%s'", a);
			break;
		case O_QUIET:
			quiet = true;
			break;
		case O_STOPAFTER:
			if (tg_parse_u64(a, 10, UINT64_MAX, &tp.stop_after) || !tp.stop_after)
				return tg_cli_usage_err("train", "bad --stop-after '%s'", a);
			break;
		default: {
			char why[160];
			int r = tg_input_opt(&io, &synth, c, a, why, sizeof(why));
			if (r < 0)
				return tg_cli_usage_err("train", "%s", why);
			if (r == 0)
				return tg_cli_usage_err(
				    "train", "unknown or incomplete option '%s'", argv[optind - 1]);
			break;
		}
		}
	}
	if (optind < argc)
		return tg_cli_usage_err("train", "unexpected argument '%s'", argv[optind]);
	if (!out)
		return tg_cli_usage_err("train", "%s", "--out DIR is required");
	if (!synth == !io.path)
		return tg_cli_usage_err("train", "%s",
		                        "give exactly one of --input PATH and --synthetic");
	if (io.since_ns >= io.until_ns)
		return tg_cli_usage_err("train", "%s", "--since must be before --until");
	char err[TG_PACKAGE_ERR_LEN];
	if (tg_model_config_check(&cfg, err, sizeof(err)) < 0)
		return tg_cli_usage_err("train", "%s", err);

	int ret = TG_EXIT_FAILURE, rc;
	struct tg_input in;
	struct tg_scaler *scaler = NULL;
	struct tg_winlazy trs, vas;
	struct tg_trainer *tr = NULL;
	struct tg_model *m = NULL;
	double *scores = NULL;
	char ckpt[4096];
	tg_winlazy_init(&trs, cfg.window, NULL);
	tg_winlazy_init(&vas, cfg.window, NULL);
	rc = tg_input_load(&io, &in, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard train: %s\n", err);
		return TG_EXIT_FAILURE;
	}
	if (in.rejected)
		fprintf(stderr, "tickguard train: %llu input rows rejected (first: %s)\n",
		        (unsigned long long)in.rejected, in.first_reject);

	/* Scaler: fitted on the training windows only, then frozen. */
	struct tg_scaler_fitter *fit;
	rc = tg_scaler_fitter_create(scale, cfg.window, per_inst, &fit);
	if (rc < 0)
		goto fail_msg;
	size_t *cut = calloc(in.n, sizeof(size_t));
	if (!cut) {
		tg_scaler_fit_finish(fit, &scaler);
		rc = -ENOMEM;
		goto fail_msg;
	}
	for (uint32_t i = 0; i < in.n; i++) {
		cut[i] = (size_t)((double)in.s[i].n * (1.0 - val_frac));
		long r = tg_train_fit_windows(fit, cfg.window, in.s[i].name, in.s[i].px, 0, cut[i],
		                              (uint32_t)stride, in.s[i].bad);
		if (r < 0 && r != -ENAMETOOLONG) {
			rc = (int)r;
			free(cut);
			tg_scaler_fit_finish(fit, &scaler);
			goto fail_msg;
		}
	}
	rc = tg_scaler_fit_finish(fit, &scaler);
	if (rc < 0) {
		free(cut);
		fprintf(stderr, "tickguard train: not enough trades for one %u-trade window\n",
		        cfg.window);
		goto fail;
	}
	/* Windows are made on demand from the prices: memory stays at 8 bytes
	 * a trade however many windows there are. */
	trs.sc = vas.sc = scaler;
	for (uint32_t i = 0; i < in.n && rc == 0; i++) {
		int g = tg_scaler_lookup(scaler, in.s[i].name);
		if (g < 0)
			g = 0;
		rc = tg_winlazy_add(&trs, (uint32_t)g, i, in.s[i].px, 0, cut[i], (uint32_t)stride,
		                    in.s[i].bad);
		if (!rc)
			rc = tg_winlazy_add(&vas, (uint32_t)g, i, in.s[i].px, cut[i], in.s[i].n,
			                    (uint32_t)stride, in.s[i].bad);
	}
	free(cut);
	if (rc < 0)
		goto fail_msg;
	if (!trs.n || !vas.n) {
		fprintf(stderr,
		        "tickguard train: %llu training and %llu validation windows; need both "
		        "(more data, a smaller --window or --stride)\n",
		        (unsigned long long)trs.n, (unsigned long long)vas.n);
		goto fail;
	}

	snprintf(ckpt, sizeof(ckpt), "%s/train.ckpt", out);
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "tickguard train: cannot create %s: %s\n", out, strerror(errno));
		goto fail;
	}
	tp.ckpt_path = ckpt;
	tp.progress = !quiet;
	tp.stop = &stop_flag;
	struct tg_train_data dtr = tg_winlazy_data(&trs), dva = tg_winlazy_data(&vas);
	rc = tg_trainer_create(&cfg, &tp, &dtr, &dva, &tr, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard train: %s\n", err);
		goto fail;
	}
	if (resume) {
		rc = tg_trainer_resume(tr);
		if (rc < 0) {
			fprintf(stderr, "tickguard train: cannot resume from %s: %s\n", ckpt,
			        rc == -ESTALE ? "it was written for other data or options"
			                      : strerror(-rc));
			goto fail;
		}
	}
	fprintf(stderr,
	        "tickguard train: %llu training + %llu validation windows of %u (%s), %zu "
	        "parameters\n",
	        (unsigned long long)trs.n, (unsigned long long)vas.n, cfg.window,
	        tg_scale_mode_name(scale), tg_trainer_param_count(tr));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct tg_train_report rep;
	rc = tg_trainer_run(tr, &rep);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (rc == -EINTR) {
		fprintf(stderr,
		        "tickguard train: stopped at step %llu; checkpoint %s (continue with "
		        "--resume)\n",
		        (unsigned long long)rep.steps, ckpt);
		goto fail;
	}
	if (rc < 0) {
		fprintf(stderr, "tickguard train: %s\n",
		        rc == -ERANGE
		            ? "training diverged (non-finite loss); try a smaller --lr or "
		              "--clipnorm"
		            : strerror(-rc));
		goto fail;
	}

	/* The package: weights, scaler, threshold on the validation windows. */
	rc = tg_model_create(&cfg, &m);
	if (rc < 0 || (rc = tg_trainer_export(tr, m)) < 0)
		goto fail_msg;
	scores = malloc(vas.n * sizeof(double));
	if (!scores) {
		rc = -ENOMEM;
		goto fail_msg;
	}
	rc = score_windows(m, &vas, scores);
	if (rc < 0)
		goto fail_msg;
	struct tg_detector det;
	memset(&det, 0, sizeof(det));
	rc = tg_calib_compute(scores, vas.n, pct, (uint32_t)bins, &det.calib);
	if (rc < 0)
		goto fail_msg;
	det.scaler = scaler;
	det.window = cfg.window;
	det.threshold = det.calib.threshold;
	det.percentile = pct;
	det.calibrated = true;
	int dl = snprintf(
	    det.training, sizeof(det.training),
	    "%.200s; train first %.0f%% of each instrument, validate/calibrate last %.0f%%; "
	    "%llu+%llu windows, stride %llu; %u epochs (best %u), batch %u, lr %g, seed %llu",
	    in.desc, 100 * (1 - val_frac), 100 * val_frac, (unsigned long long)trs.n,
	    (unsigned long long)vas.n, (unsigned long long)stride, rep.epochs_run, rep.best_epoch,
	    tp.batch, tp.lr, (unsigned long long)tp.seed);
	(void)dl; /* a long description is cut, which is fine */
	snprintf(det.code_version, sizeof(det.code_version), "tickguard %s", TG_VERSION);
	time_t now = time(NULL);
	struct tm tmv;
	gmtime_r(&now, &tmv);
	strftime(det.created, sizeof(det.created), "%Y-%m-%dT%H:%M:%SZ", &tmv);
	rc = tg_package_save(out, m, &det, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard train: cannot write the package: %s\n", err);
		goto fail;
	}
	unlink(ckpt);
	printf("trained %s: %u epochs%s, val loss %.6g -> best %.6g (epoch %u), threshold %.6g "
	       "(p%g of %llu validation windows), %.1f s\n",
	       out, rep.epochs_run, rep.stopped_early ? " (early stop)" : "", rep.first_val,
	       rep.best_val, rep.best_epoch, det.threshold, pct, (unsigned long long)vas.n,
	       rep.seconds);
	ret = 0;
	goto fail;
fail_msg:
	fprintf(stderr, "tickguard train: %s\n", strerror(-rc));
fail:
	free(scores);
	tg_model_destroy(m);
	tg_trainer_destroy(tr);
	tg_scaler_destroy(scaler);
	tg_winlazy_free(&trs);
	tg_winlazy_free(&vas);
	tg_input_free(&in);
	return ret;
}
