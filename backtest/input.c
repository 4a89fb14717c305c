/* input.c - backtest inputs as per-instrument tick series. LOBSTER, tick
 * CSV and the synthetic market come through feedsim's source layer (so
 * ticks are numbered exactly as the gateway numbers them); ITCH BinaryFILEs
 * and pcaps through feedsim's replay + wire's decoder + the gateway's order
 * map (an 'E' carries no price: the resting order's is the trade's); a
 * plain `timestamp,value` CSV is parsed here. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backtest/backtest.h"
#include "feedsim/replay.h"
#include "feedsim/source.h"
#include "gateway/ordermap.h"
#include "wire/itch.h"

static struct tg_bt_series *bt_add_series(struct tg_bt_input *in, const char *name)
{
	struct tg_bt_series *s = realloc(in->s, (in->n + 1) * sizeof(*s));
	if (!s)
		return NULL;
	in->s = s;
	s = &in->s[in->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

static int bt_push(struct tg_bt_series *s, uint64_t ts, double px, uint32_t e4)
{
	if (s->n == s->cap) {
		uint64_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *t = realloc(s->ts_ns, cap * sizeof(*t));
		if (t)
			s->ts_ns = t;
		double *p = realloc(s->px, cap * sizeof(*p));
		if (p)
			s->px = p;
		uint32_t *e = realloc(s->px_e4, cap * sizeof(*e));
		if (e)
			s->px_e4 = e;
		if (!t || !p || !e)
			return -ENOMEM;
		s->cap = cap;
	}
	s->ts_ns[s->n] = ts;
	s->px[s->n] = px;
	s->px_e4[s->n] = e4;
	s->n++;
	return 0;
}

void tg_bt_input_free(struct tg_bt_input *in)
{
	for (uint32_t i = 0; i < in->n; i++) {
		free(in->s[i].ts_ns);
		free(in->s[i].px);
		free(in->s[i].px_e4);
	}
	free(in->s);
	free(in->labels);
	memset(in, 0, sizeof(*in));
}

int tg_bt_input_lookup(const struct tg_bt_input *in, const char *name)
{
	for (uint32_t i = 0; i < in->n; i++)
		if (strcasecmp(in->s[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

/* ---- timestamps -------------------------------------------------------- */

static int bt_digits(const char *s, size_t len, uint64_t *v)
{
	if (!len || len > 19)
		return -EINVAL;
	uint64_t x = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* ".123" fraction (without the dot) to ns; at most 9 digits */
static int bt_frac_ns(const char *s, size_t len, uint64_t *ns)
{
	if (len > 9)
		return -EINVAL;
	uint64_t v = 0;
	if (len && bt_digits(s, len, &v) < 0)
		return -EINVAL;
	for (size_t i = len; i < 9; i++)
		v *= 10;
	*ns = v;
	return 0;
}

static int bt_hms(const char *s, size_t len, uint64_t *ns)
{
	/* HH:MM[:SS[.f]] */
	uint64_t h, m, sec = 0, f = 0;
	const char *c1 = memchr(s, ':', len);
	if (!c1 || bt_digits(s, (size_t)(c1 - s), &h) < 0)
		return -EINVAL;
	const char *r = c1 + 1, *end = s + len;
	const char *c2 = memchr(r, ':', (size_t)(end - r));
	const char *mend = c2 ? c2 : end;
	if (bt_digits(r, (size_t)(mend - r), &m) < 0)
		return -EINVAL;
	if (c2) {
		const char *sp = c2 + 1;
		const char *dot = memchr(sp, '.', (size_t)(end - sp));
		const char *send = dot ? dot : end;
		if (bt_digits(sp, (size_t)(send - sp), &sec) < 0)
			return -EINVAL;
		if (dot && bt_frac_ns(dot + 1, (size_t)(end - dot - 1), &f) < 0)
			return -EINVAL;
	}
	if (h > 47 || m > 59 || sec > 60)
		return -EINVAL;
	*ns = ((h * 60 + m) * 60 + sec) * 1000000000ull + f;
	return 0;
}

int tg_bt_parse_ts(const char *s, size_t len, uint64_t *out)
{
	while (len && (isspace((unsigned char)*s) || *s == '"'))
		s++, len--;
	while (len && (isspace((unsigned char)s[len - 1]) || s[len - 1] == '"'))
		len--;
	if (!len)
		return -EINVAL;
	if (len >= 10 && s[4] == '-' && s[7] == '-') {
		uint64_t y, mo, d, tod = 0;
		if (bt_digits(s, 4, &y) < 0 || bt_digits(s + 5, 2, &mo) < 0 ||
		    bt_digits(s + 8, 2, &d) < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
			return -EINVAL;
		if (len > 10) {
			if (s[10] != 'T' && s[10] != ' ')
				return -EINVAL;
			size_t tl = len - 11;
			if (tl && s[len - 1] == 'Z')
				tl--;
			if (bt_hms(s + 11, tl, &tod) < 0)
				return -EINVAL;
		}
		struct tm tm = {0};
		tm.tm_year = (int)y - 1900;
		tm.tm_mon = (int)mo - 1;
		tm.tm_mday = (int)d;
		time_t t = timegm(&tm);
		if (t < 0)
			return -EINVAL;
		*out = (uint64_t)t * 1000000000ull + tod;
		return 0;
	}
	if (memchr(s, ':', len))
		return bt_hms(s, len, out);
	const char *dot = memchr(s, '.', len);
	if (dot) {
		uint64_t sec, f;
		if (bt_digits(s, (size_t)(dot - s), &sec) < 0 ||
		    bt_frac_ns(dot + 1, len - (size_t)(dot - s) - 1, &f) < 0 ||
		    sec > 18000000000ull)
			return -EINVAL;
		*out = sec * 1000000000ull + f;
		return 0;
	}
	return bt_digits(s, len, out);
}

/* ---- feedsim sources ---------------------------------------------------- */

static int bt_from_source(struct tg_source *src, struct tg_bt_input *in, char *err, size_t errlen)
{
	uint32_t ni = tg_source_instruments(src);
	for (uint32_t i = 0; i < ni; i++)
		if (!bt_add_series(in, tg_source_symbol(src, i)))
			return -ENOMEM;
	uint64_t n = 0;
	const struct tg_trade *t = tg_source_trade_array(src, &n);
	for (uint64_t k = 0; k < n; k++) {
		struct tg_bt_series *s = &in->s[t[k].instrument];
		if (t[k].tick != s->n) {
			snprintf(err, errlen, "source ticks of %s are not consecutive", s->name);
			return -EPROTO;
		}
		if (bt_push(s, t[k].exch_ts_ns, (double)t[k].price_e4 / 1e4, t[k].price_e4) < 0)
			return -ENOMEM;
	}
	struct tg_source_stats st;
	tg_source_get_stats(src, &st);
	in->rows = st.lines;
	in->rejected = st.rejected;
	const struct tg_reject *rj;
	if (tg_source_rejects(src, &rj) > 0)
		snprintf(in->first_reject, sizeof(in->first_reject), "line %llu: %s",
		         (unsigned long long)rj[0].line, rj[0].reason);
	const struct tg_label *lb;
	size_t nl = tg_source_labels(src, &lb);
	if (nl) {
		in->labels = calloc(nl, sizeof(*in->labels));
		if (!in->labels)
			return -ENOMEM;
		for (size_t k = 0; k < nl; k++)
			in->labels[k] = (struct tg_quality_label){.instrument = lb[k].instrument,
			                                          .kind = lb[k].kind,
			                                          .first_tick = lb[k].first_tick,
			                                          .last_tick = lb[k].last_tick};
		in->n_labels = nl;
	}
	return 0;
}

/* ---- ITCH BinaryFILE / pcap ---------------------------------------------- */

static int bt_itch_trade(struct tg_bt_input *in, int *loc2i, const char (*names)[9], uint16_t loc,
                         uint64_t ts, uint32_t px_e4)
{
	if (loc2i[loc] < 0) {
		char nm[16];
		if (names[loc][0])
			snprintf(nm, sizeof(nm), "%s", names[loc]);
		else
			snprintf(nm, sizeof(nm), "LOC%u", loc);
		struct tg_bt_series *s = bt_add_series(in, nm);
		if (!s)
			return -ENOMEM;
		s->locate = loc;
		loc2i[loc] = (int)in->n - 1;
	}
	return bt_push(&in->s[loc2i[loc]], ts, (double)px_e4 / 1e4, px_e4);
}

static int bt_locate_cmp(const void *a, const void *b)
{
	const struct tg_bt_series *x = a, *y = b;
	return x->locate < y->locate ? -1 : x->locate > y->locate;
}

static int bt_from_itch(const char *path, bool pcap, struct tg_bt_input *in, char *err,
                        size_t errlen)
{
	struct tg_replay *r = NULL;
	int rc = pcap ? tg_replay_open_pcap(path, &r) : tg_replay_open_binfile(path, &r);
	if (rc < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	struct tg_ordermap om;
	int *loc2i = malloc(65536 * sizeof(int));
	char(*names)[9] = calloc(65536, sizeof(*names));
	rc = tg_ordermap_create(&om, 1u << 20);
	if (rc < 0 || !loc2i || !names) {
		free(loc2i);
		free(names);
		if (rc == 0)
			tg_ordermap_destroy(&om);
		tg_replay_close(r);
		return -ENOMEM;
	}
	for (int i = 0; i < 65536; i++)
		loc2i[i] = -1;
	const uint8_t *msg;
	uint64_t ts;
	int len;
	while ((len = tg_replay_next(r, &msg, &ts)) > 0) {
		struct tg_itch_msg m;
		in->rows++;
		if (tg_itch_decode(msg, (size_t)len, &m) < 0) {
			in->rejected++;
			continue;
		}
		struct tg_order *o;
		uint16_t loc = m.stock_locate;
		rc = 0;
		switch (m.type) {
		case TG_ITCH_STOCK_DIRECTORY:
			tg_itch_stock_str(m.u.stock_directory.stock, names[loc]);
			break;
		case TG_ITCH_ADD_ORDER:
		case TG_ITCH_ADD_ORDER_MPID:
			(void)tg_ordermap_add(&om, m.u.add_order.order_ref,
			                      (uint8_t)m.u.add_order.side, m.u.add_order.price_e4,
			                      m.u.add_order.shares);
			break;
		case TG_ITCH_ORDER_EXECUTED:
			o = tg_ordermap_find(&om, m.u.order_executed.order_ref);
			if (!o) {
				in->unpriced++;
				break;
			}
			rc = bt_itch_trade(in, loc2i, (const char(*)[9])names, loc, m.ts_ns,
			                   tg_order_price_e4(o));
			if (o->shares <= m.u.order_executed.shares)
				tg_ordermap_remove(&om, o);
			else
				o->shares -= m.u.order_executed.shares;
			break;
		case TG_ITCH_ORDER_EXECUTED_PRICE:
			o = tg_ordermap_find(&om, m.u.order_executed_price.order_ref);
			if (m.u.order_executed_price.printable != 'N')
				rc = bt_itch_trade(in, loc2i, (const char(*)[9])names, loc, m.ts_ns,
				                   m.u.order_executed_price.price_e4);
			if (o) {
				if (o->shares <= m.u.order_executed_price.shares)
					tg_ordermap_remove(&om, o);
				else
					o->shares -= m.u.order_executed_price.shares;
			}
			break;
		case TG_ITCH_ORDER_CANCEL:
			o = tg_ordermap_find(&om, m.u.order_cancel.order_ref);
			if (o) {
				if (o->shares <= m.u.order_cancel.shares)
					tg_ordermap_remove(&om, o);
				else
					o->shares -= m.u.order_cancel.shares;
			}
			break;
		case TG_ITCH_ORDER_DELETE:
			o = tg_ordermap_find(&om, m.u.order_delete.order_ref);
			if (o)
				tg_ordermap_remove(&om, o);
			break;
		case TG_ITCH_ORDER_REPLACE:
			o = tg_ordermap_find(&om, m.u.order_replace.orig_order_ref);
			if (o) {
				uint8_t side = tg_order_side(o);
				tg_ordermap_remove(&om, o);
				(void)tg_ordermap_add(&om, m.u.order_replace.new_order_ref, side,
				                      m.u.order_replace.price_e4,
				                      m.u.order_replace.shares);
			}
			break;
		case TG_ITCH_TRADE:
			rc = bt_itch_trade(in, loc2i, (const char(*)[9])names, loc, m.ts_ns,
			                   m.u.trade.price_e4);
			break;
		default:
			break;
		}
		if (rc < 0)
			break;
	}
	if (len < 0 && rc == 0) {
		/* a framing error: what was read before is good; count it */
		in->rejected++;
		snprintf(in->first_reject, sizeof(in->first_reject), "framing error: %s",
		         strerror(-len));
	}
	tg_ordermap_destroy(&om);
	free(loc2i);
	free(names);
	tg_replay_close(r);
	if (rc < 0)
		return rc;
	if (in->n == 0) {
		snprintf(err, errlen, "%s: no trades in the ITCH stream", path);
		return -EBADMSG;
	}
	/* instruments in locate order, as the gateway's directory has them */
	qsort(in->s, in->n, sizeof(*in->s), bt_locate_cmp);
	return 0;
}

/* ---- timestamp,value series CSV ------------------------------------------- */

static int bt_from_series(const char *path, struct tg_bt_input *in, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char name[16];
	snprintf(name, sizeof(name), "%s", base);
	char *dot = strchr(name, '.');
	if (dot && dot != name)
		*dot = 0;
	struct tg_bt_series *s = bt_add_series(in, name);
	if (!s) {
		fclose(f);
		return -ENOMEM;
	}
	char line[1024];
	uint64_t ln = 0, last = 0;
	int rc = 0;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		char *p = line;
		if (ln == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
		    (unsigned char)p[2] == 0xBF)
			p += 3;
		size_t L = strcspn(p, "\r\n");
		p[L] = 0;
		if (L == 0)
			continue;
		char *c = strchr(p, ',');
		uint64_t ts;
		char *end = NULL;
		double v = c ? strtod(c + 1, &end) : (double)NAN;
		bool ok =
		    c && tg_bt_parse_ts(p, (size_t)(c - p), &ts) == 0 && end != c + 1 &&
		    (*end == 0 || *end == ',' || *end == '"' || isspace((unsigned char)*end)) &&
		    isfinite(v);
		if (!ok) {
			if (s->n == 0 && in->rejected == 0 && ln <= 1)
				continue; /* header */
			in->rejected++;
			if (!in->first_reject[0])
				snprintf(in->first_reject, sizeof(in->first_reject),
				         "line %llu: expected timestamp,value",
				         (unsigned long long)ln);
			continue;
		}
		in->rows++;
		if (s->n && ts < last) {
			in->rejected++;
			if (!in->first_reject[0])
				snprintf(in->first_reject, sizeof(in->first_reject),
				         "line %llu: timestamp goes backwards",
				         (unsigned long long)ln);
			continue;
		}
		last = ts;
		double e4 = round(v * 1e4);
		rc = bt_push(s, ts, v, e4 >= 0 && e4 < 2147483648.0 ? (uint32_t)e4 : 0);
		if (rc < 0)
			break;
	}
	fclose(f);
	if (rc < 0)
		return rc;
	if (s->n == 0) {
		snprintf(err, errlen, "%s: no timestamp,value rows%s%s", path,
		         in->first_reject[0] ? " (" : "",
		         in->first_reject[0] ? in->first_reject : "");
		if (in->first_reject[0])
			strncat(err, ")", errlen - strlen(err) - 1);
		return -EBADMSG;
	}
	return 0;
}

/* A CSV with two columns in its first data row is a series, else ticks. */
static bool bt_looks_series(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[1024];
	int rows = 0;
	bool series = false;
	while (fgets(line, sizeof(line), f) && rows < 2) {
		if (strspn(line, " \r\n") == strlen(line))
			continue;
		rows++;
		int commas = 0;
		for (char *p = line; *p; p++)
			commas += *p == ',';
		series = commas == 1;
	}
	fclose(f);
	return series;
}

static bool bt_has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

int tg_bt_input_load(const char *path, const struct tg_bt_load_opts *o, struct tg_bt_input *in,
                     char *err, size_t errlen)
{
	memset(in, 0, sizeof(*in));
	err[0] = 0;
	const char *fmt = o && o->format ? o->format : "auto";
	struct stat st;
	if (strcmp(fmt, "synthetic") != 0 && (!path || stat(path, &st) < 0)) {
		snprintf(err, errlen, "cannot open %s: %s", path ? path : "(none)",
		         strerror(path ? errno : EINVAL));
		return path ? -errno : -EINVAL;
	}
	if (strcmp(fmt, "auto") == 0) {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (S_ISDIR(st.st_mode) || strstr(base, "_message_"))
			fmt = "lobster";
		else if (bt_has_suffix(base, ".pcap"))
			fmt = "pcap";
		else if (bt_has_suffix(base, ".itch") || strstr(base, "ITCH"))
			fmt = "itch";
		else
			fmt = bt_looks_series(path) ? "series" : "csv";
	}
	int rc;
	struct tg_source *src = NULL;
	if (strcmp(fmt, "lobster") == 0 || strcmp(fmt, "csv") == 0) {
		in->kind = TG_BT_SOURCE;
		rc = strcmp(fmt, "csv") == 0 ? tg_source_open_csv(path, &src)
		                             : tg_source_open_path(path, &src);
		if (rc < 0) {
			snprintf(err, errlen, "cannot read %s as %s: %s", path, fmt, strerror(-rc));
			return rc;
		}
	} else if (strcmp(fmt, "synthetic") == 0) {
		in->kind = TG_BT_SOURCE;
		struct tg_synth_config c;
		tg_synth_config_default(&c);
		if (o->synth_seed)
			c.seed = o->synth_seed;
		if (o->synth_instruments)
			c.instruments = o->synth_instruments;
		if (o->synth_trades)
			c.trades_per_instrument = o->synth_trades;
		rc = tg_source_open_synth(&c, &src);
		if (rc < 0) {
			snprintf(err, errlen, "synthetic market: %s", strerror(-rc));
			return rc;
		}
	} else if (strcmp(fmt, "itch") == 0 || strcmp(fmt, "pcap") == 0) {
		in->kind = TG_BT_ITCH;
		rc = bt_from_itch(path, fmt[0] == 'p', in, err, errlen);
		goto out;
	} else if (strcmp(fmt, "series") == 0) {
		in->kind = TG_BT_SERIES;
		rc = bt_from_series(path, in, err, errlen);
		goto out;
	} else {
		snprintf(err, errlen, "unknown input format '%s'", fmt);
		return -EINVAL;
	}
	rc = bt_from_source(src, in, err, errlen);
	tg_source_close(src);
out:
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", path ? path : fmt, strerror(-rc));
		tg_bt_input_free(in);
	}
	return rc;
}
