/* labels.c - ground truth for a backtest, in the three shapes people have:
 * feedsim's labels file (tick ranges), per-point 0/1 labels as anomaly
 * benchmarks ship them, and timestamp ranges. Unlike the live run (which
 * skips what it cannot resolve), a backtest refuses a labels file that does
 * not fit its input: a silent mismatch would make every metric a lie. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/backtest.h"
#include "feedsim/source.h"

#define BT_KIND_OTHER 7

const char *tg_bt_kind_name(int kind)
{
	return kind == BT_KIND_OTHER ? "anomaly" : tg_anomaly_name(kind);
}

static int bt_kind(const char *s)
{
	if (!*s || strcasecmp(s, "anomaly") == 0 || strcmp(s, "1") == 0)
		return BT_KIND_OTHER;
	return tg_anomaly_parse(s);
}

/* split line in place at commas (quotes stripped, spaces trimmed) */
static int bt_split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		char *c = strchr(p, ',');
		if (c)
			*c = 0;
		while (isspace((unsigned char)*p) || *p == '"')
			p++;
		size_t L = strlen(p);
		while (L && (isspace((unsigned char)p[L - 1]) || p[L - 1] == '"'))
			p[--L] = 0;
		if (n < max)
			f[n++] = p;
		if (!c)
			break;
		p = c + 1;
	}
	return n;
}

/* first tick with ts >= t */
static uint64_t bt_lower(const struct tg_bt_series *s, uint64_t t)
{
	uint64_t lo = 0, hi = s->n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (s->ts_ns[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

enum { BT_LB_TICKS = 1, BT_LB_POINTS = 2, BT_LB_RANGES = 3 };

struct bt_lbuf {
	struct tg_quality_label *v;
	size_t n, cap;
};

static int bt_lpush(struct bt_lbuf *b, struct tg_quality_label l)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct tg_quality_label *v = realloc(b->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = l;
	return 0;
}

static int bt_lcmp(const void *a, const void *b)
{
	const struct tg_quality_label *x = a, *y = b;
	if (x->instrument != y->instrument)
		return x->instrument < y->instrument ? -1 : 1;
	if (x->first_tick != y->first_tick)
		return x->first_tick < y->first_tick ? -1 : 1;
	return 0;
}

int tg_bt_labels_read(const char *path, const struct tg_bt_input *in, struct tg_quality_label **out,
                      size_t *n_out, char *err, size_t errlen)
{
	*out = NULL;
	*n_out = 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "labels %s: %s", path, strerror(errno));
		return -errno;
	}
	char line[1024];
	char *fl[8];
	int shape = 0, nf = 0, has_sym = 0;
	uint64_t ln = 0;
	int rc = 0;
	struct bt_lbuf b = {0};
	while (fgets(line, sizeof(line), f)) {
		ln++;
		char *p = line;
		if (ln == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
		    (unsigned char)p[2] == 0xBF)
			p += 3;
		p[strcspn(p, "\r\n")] = 0;
		if (strspn(p, " \t") == strlen(p))
			continue;
		int n = bt_split(p, fl, 8);
		if (!shape) {
			for (int i = 0; i < n; i++)
				for (char *c = fl[i]; *c; c++)
					*c = (char)tolower((unsigned char)*c);
			has_sym = strcmp(fl[0], "symbol") == 0 || strcmp(fl[0], "instrument") == 0;
			int k = has_sym;
			const char *last = fl[n - 1];
			if (n >= 4 && has_sym && strcmp(fl[1], "first_tick") == 0 &&
			    strcmp(fl[2], "last_tick") == 0 && strcmp(fl[3], "kind") == 0)
				shape = BT_LB_TICKS, nf = 4;
			else if (n == k + 2 &&
			         (strcmp(fl[k], "timestamp") == 0 || strcmp(fl[k], "ts") == 0 ||
			          strcmp(fl[k], "time") == 0) &&
			         (strcmp(last, "label") == 0 || strcmp(last, "is_anomaly") == 0 ||
			          strcmp(last, "anomaly") == 0))
				shape = BT_LB_POINTS, nf = k + 2;
			else if ((n == k + 2 || n == k + 3) &&
			         (strcmp(fl[k], "start") == 0 || strcmp(fl[k], "first_ts") == 0) &&
			         (strcmp(fl[k + 1], "end") == 0 ||
			          strcmp(fl[k + 1], "last_ts") == 0))
				shape = BT_LB_RANGES, nf = n;
			else {
				snprintf(err, errlen,
				         "labels %s:%llu: unknown header (want symbol,first_tick,"
				         "last_tick,kind | [symbol,]timestamp,label | "
				         "[symbol,]start,end[,kind])",
				         path, (unsigned long long)ln);
				rc = -EINVAL;
				break;
			}
			continue;
		}
		if (n < nf) {
			snprintf(err, errlen, "labels %s:%llu: %d fields, expected %d", path,
			         (unsigned long long)ln, n, nf);
			rc = -EINVAL;
			break;
		}
		int inst = 0;
		if (has_sym) {
			inst = tg_bt_input_lookup(in, fl[0]);
			if (inst < 0) {
				snprintf(err, errlen,
				         "labels %s:%llu: symbol '%s' is not in the input", path,
				         (unsigned long long)ln, fl[0]);
				rc = -ENOENT;
				break;
			}
		} else if (in->n != 1) {
			snprintf(
			    err, errlen,
			    "labels %s:%llu: no symbol column but the input has %u instruments",
			    path, (unsigned long long)ln, in->n);
			rc = -EINVAL;
			break;
		}
		const struct tg_bt_series *s = &in->s[inst];
		int k = has_sym;
		struct tg_quality_label l = {.instrument = (uint16_t)inst};
		int kind = BT_KIND_OTHER;
		const char *why = NULL;
		if (shape == BT_LB_TICKS) {
			char *e1, *e2;
			l.first_tick = strtoull(fl[1], &e1, 10);
			l.last_tick = strtoull(fl[2], &e2, 10);
			kind = bt_kind(fl[3]);
			if (*e1 || *e2 || !fl[1][0] || !fl[2][0])
				why = "tick is not an integer";
			else if (l.last_tick >= s->n)
				why = "tick beyond the instrument's ticks in the input";
		} else if (shape == BT_LB_POINTS) {
			uint64_t ts;
			if (tg_bt_parse_ts(fl[k], strlen(fl[k]), &ts) < 0) {
				why = "bad timestamp";
			} else if (strcmp(fl[k + 1], "0") == 0) {
				continue;
			} else if (strcmp(fl[k + 1], "1") != 0) {
				why = "label must be 0 or 1";
			} else {
				uint64_t t = bt_lower(s, ts);
				if (t >= s->n || s->ts_ns[t] != ts)
					why = "timestamp is not in the input";
				l.first_tick = l.last_tick = t;
			}
		} else {
			uint64_t a, z;
			if (tg_bt_parse_ts(fl[k], strlen(fl[k]), &a) < 0 ||
			    tg_bt_parse_ts(fl[k + 1], strlen(fl[k + 1]), &z) < 0)
				why = "bad timestamp";
			else if (z < a)
				why = "end before start";
			else {
				l.first_tick = bt_lower(s, a);
				uint64_t zz = bt_lower(s, z + 1);
				if (l.first_tick >= zz)
					why = "no tick of the input lies in the range";
				l.last_tick = zz - 1;
			}
			if (nf == k + 3)
				kind = bt_kind(fl[k + 2]);
		}
		if (!why && kind < 0)
			why = "unknown anomaly kind";
		if (!why && l.first_tick > l.last_tick)
			why = "first tick after last tick";
		if (why) {
			snprintf(err, errlen, "labels %s:%llu: %s", path, (unsigned long long)ln,
			         why);
			rc = -EINVAL;
			break;
		}
		l.kind = (uint8_t)kind;
		rc = bt_lpush(&b, l);
		if (rc < 0)
			break;
	}
	fclose(f);
	if (rc == 0 && !shape) {
		snprintf(err, errlen, "labels %s: empty", path);
		rc = -ENODATA;
	}
	if (rc < 0) {
		free(b.v);
		return rc;
	}
	qsort(b.v, b.n, sizeof(*b.v), bt_lcmp);
	if (shape == BT_LB_POINTS && b.n) {
		/* runs of consecutive anomalous ticks are one anomaly */
		size_t m = 0;
		for (size_t i = 0; i < b.n; i++) {
			if (m && b.v[m - 1].instrument == b.v[i].instrument &&
			    b.v[m - 1].last_tick + 1 >= b.v[i].first_tick) {
				if (b.v[i].last_tick > b.v[m - 1].last_tick)
					b.v[m - 1].last_tick = b.v[i].last_tick;
				continue;
			}
			b.v[m++] = b.v[i];
		}
		b.n = m;
	}
	*out = b.v;
	*n_out = b.n;
	return 0;
}
