/* source.c - what every tick source shares: allocation, the reject list,
 * ordering trades and numbering ticks exactly as the gateway will, exact
 * integer parsing of times and prices, iteration and the labels file. */
#include "feedsim/source_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

static const char *const anomaly_names[TG_ANOM_KINDS + 1] = {
    "?", "spike", "level_shift", "vol_burst", "frozen", "fat_finger", "flash_crash",
};

const char *tg_anomaly_name(int kind)
{
	return kind >= 1 && kind <= TG_ANOM_KINDS ? anomaly_names[kind] : "?";
}

int tg_anomaly_parse(const char *name)
{
	for (int k = 1; k <= TG_ANOM_KINDS; k++)
		if (!strcmp(name, anomaly_names[k]))
			return k;
	return -EINVAL;
}

struct tg_source *tg_source__alloc(int kind)
{
	struct tg_source *s = calloc(1, sizeof(*s));
	if (s)
		s->kind = kind;
	return s;
}

void tg_source__reject(struct tg_source *s, uint16_t file, uint64_t line, const char *why)
{
	s->st.rejected++;
	if (s->nrejects < TG_SOURCE_MAX_REJECTS)
		s->rejects[s->nrejects++] =
		    (struct tg_reject){.line = line, .file = file, .reason = why};
}

static int trade_cmp(const void *a, const void *b)
{
	const struct tg_trade *x = a, *y = b;
	if (x->exch_ts_ns != y->exch_ts_ns)
		return x->exch_ts_ns < y->exch_ts_ns ? -1 : 1;
	if (x->instrument != y->instrument)
		return x->instrument < y->instrument ? -1 : 1;
	/* loaders put the source order in tick before sorting */
	return x->tick < y->tick ? -1 : x->tick > y->tick;
}

int tg_source__finish_trades(struct tg_source *s)
{
	for (uint64_t i = 0; i < s->ntrades; i++)
		s->trades[i].tick = i;
	qsort(s->trades, s->ntrades, sizeof(*s->trades), trade_cmp);
	free(s->inst_trades);
	s->inst_trades = calloc(s->ninst ? s->ninst : 1, sizeof(*s->inst_trades));
	if (!s->inst_trades)
		return -ENOMEM;
	for (uint64_t i = 0; i < s->ntrades; i++) {
		struct tg_trade *t = &s->trades[i];
		t->tick = s->inst_trades[t->instrument]++;
		t->locate = (uint16_t)(t->instrument + 1);
		t->match_no = i + 1;
		memcpy(t->symbol, s->symbols[t->instrument], sizeof(t->symbol));
	}
	return 0;
}

static int parse_uint(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int tg_parse_fixed(const char *p, size_t n, unsigned decimals, uint64_t *out)
{
	const char *dot = memchr(p, '.', n);
	size_t ni = dot ? (size_t)(dot - p) : n;
	size_t nf = dot ? n - ni - 1 : 0;
	uint64_t ip, fp = 0, scale = 1;
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	if (ni == 0 && nf == 0)
		return -EINVAL;
	if (ni == 0)
		ip = 0;
	else if (parse_uint(p, ni, UINT64_MAX / scale - 1, &ip))
		return -EINVAL;
	if (dot && nf == 0 && ni == 0)
		return -EINVAL;
	for (size_t i = 0; i < nf; i++) {
		char c = dot[1 + i];
		if (c < '0' || c > '9')
			return -EINVAL;
		if (i < decimals)
			fp = fp * 10 + (uint64_t)(c - '0');
		else if (c != '0')
			return -ERANGE; /* more precision than the unit carries */
	}
	for (size_t i = nf; i < decimals; i++)
		fp *= 10;
	*out = ip * scale + fp;
	return 0;
}

#define NS_PER_S 1000000000ull
#define DAY_S    86400ull

int tg_parse_time_ns(const char *p, size_t n, uint64_t *out)
{
	/* a date-time: keep the time of day after the last 'T' or ' ' */
	for (size_t i = n; i-- > 0;)
		if (p[i] == 'T' || p[i] == ' ') {
			p += i + 1;
			n -= i + 1;
			break;
		}
	const char *c1 = memchr(p, ':', n);
	uint64_t v;
	if (c1) {
		uint64_t h, m, s_ns;
		const char *c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - p));
		if (!c2 || parse_uint(p, (size_t)(c1 - p), 99, &h) ||
		    parse_uint(c1 + 1, (size_t)(c2 - c1 - 1), 59, &m) || (c2 - c1 - 1) != 2)
			return -EINVAL;
		if (tg_parse_fixed(c2 + 1, n - (size_t)(c2 + 1 - p), 9, &s_ns) ||
		    s_ns >= 60 * NS_PER_S || c2[1] == '.')
			return -EINVAL;
		v = (h * 3600 + m * 60) * NS_PER_S + s_ns;
	} else if (memchr(p, '.', n)) {
		if (p[0] == '.' || tg_parse_fixed(p, n, 9, &v))
			return -EINVAL;
	} else if (parse_uint(p, n, UINT64_MAX, &v)) {
		return -EINVAL;
	}
	if (v >= DAY_S * NS_PER_S)
		return -ERANGE;
	*out = v;
	return 0;
}

static int has_suffix_message(const char *name)
{
	return strstr(name, "_message_") != NULL && strlen(name) > 4 &&
	       !strcmp(name + strlen(name) - 4, ".csv");
}

struct name_list {
	char **names;
	size_t n, cap;
};

static int list_dir(const char *dir, struct name_list *l)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			char **nn = realloc(l->names, cap * sizeof(char *));
			if (!nn)
				goto fail;
			l->names = nn;
			l->cap = cap;
		}
		if (!(l->names[l->n] = strdup(e->d_name)))
			goto fail;
		l->n++;
	}
	closedir(d);
	return 0;
fail:
	closedir(d);
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
	return -ENOMEM;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tg_source_open_path(const char *path, struct tg_source **out)
{
	struct stat sb;
	if (stat(path, &sb))
		return -errno;
	if (!S_ISDIR(sb.st_mode)) {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (has_suffix_message(base))
			return tg_source_open_lobster(&path, 1, out);
		return tg_source_open_csv(path, out);
	}
	/* a directory: its LOBSTER message files, names sorted */
	struct name_list l = {0};
	int rc = list_dir(path, &l);
	if (rc)
		return rc;
	char **paths = calloc(l.n ? l.n : 1, sizeof(char *));
	uint32_t np = 0;
	if (!paths) {
		rc = -ENOMEM;
		goto out_names;
	}
	qsort(l.names, l.n, sizeof(char *), str_cmp);
	for (size_t i = 0; i < l.n; i++) {
		if (!has_suffix_message(l.names[i]))
			continue;
		size_t len = strlen(path) + strlen(l.names[i]) + 2;
		paths[np] = malloc(len);
		if (!paths[np]) {
			rc = -ENOMEM;
			goto out_paths;
		}
		snprintf(paths[np], len, "%s/%s", path, l.names[i]);
		np++;
	}
	rc = np ? tg_source_open_lobster((const char *const *)paths, np, out) : -ENOENT;
out_paths:
	for (uint32_t i = 0; i < np; i++)
		free(paths[i]);
	free(paths);
out_names:
	for (size_t i = 0; i < l.n; i++)
		free(l.names[i]);
	free(l.names);
	return rc;
}

void tg_source_close(struct tg_source *s)
{
	if (!s)
		return;
	free(s->symbols);
	free(s->inst_trades);
	free(s->trades);
	free(s->labels);
	free(s->events);
	free(s);
}

int tg_source_kind(const struct tg_source *s)
{
	return s->kind;
}

uint32_t tg_source_instruments(const struct tg_source *s)
{
	return s->ninst;
}

const char *tg_source_symbol(const struct tg_source *s, uint32_t instrument)
{
	return instrument < s->ninst ? s->symbols[instrument] : NULL;
}

uint64_t tg_source_trades(const struct tg_source *s)
{
	return s->ntrades;
}

uint64_t tg_source_instrument_trades(const struct tg_source *s, uint32_t instrument)
{
	return instrument < s->ninst ? s->inst_trades[instrument] : 0;
}

int tg_source_next(struct tg_source *s, struct tg_trade *out)
{
	if (s->next >= s->ntrades)
		return 0;
	*out = s->trades[s->next++];
	return 1;
}

void tg_source_rewind(struct tg_source *s)
{
	s->next = 0;
}

const struct tg_trade *tg_source_trade_array(const struct tg_source *s, uint64_t *n)
{
	*n = s->ntrades;
	return s->trades;
}

size_t tg_source_labels(const struct tg_source *s, const struct tg_label **out)
{
	*out = s->labels;
	return s->nlabels;
}

void tg_source_get_stats(const struct tg_source *s, struct tg_source_stats *st)
{
	*st = s->st;
}

size_t tg_source_rejects(const struct tg_source *s, const struct tg_reject **out)
{
	*out = s->rejects;
	return s->nrejects;
}

int tg_source_write_labels(const struct tg_source *s, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "symbol,first_tick,last_tick,kind,first_ts_ns,last_ts_ns\n");
	for (size_t i = 0; i < s->nlabels; i++) {
		const struct tg_label *l = &s->labels[i];
		fprintf(f, "%s,%llu,%llu,%s,%llu,%llu\n", s->symbols[l->instrument],
		        (unsigned long long)l->first_tick, (unsigned long long)l->last_tick,
		        tg_anomaly_name(l->kind), (unsigned long long)l->first_ts_ns,
		        (unsigned long long)l->last_ts_ns);
	}
	int rc = ferror(f) ? -EIO : 0;
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

int tg_labels_read(const char *path, const struct tg_source *s, struct tg_label **out,
                   size_t *n_out)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	char line[512], sym[64], kind[64];
	unsigned long long ft, lt, fts, lts;
	size_t n = 0, cap = 0;
	int skipped = 0;
	struct tg_label *v = NULL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^,],%llu,%llu,%63[^,],%llu,%llu", sym, &ft, &lt, kind, &fts,
		           &lts) != 6)
			continue; /* header */
		int k = tg_anomaly_parse(kind);
		uint32_t inst = UINT32_MAX;
		for (uint32_t i = 0; s && i < s->ninst; i++)
			if (!strcmp(s->symbols[i], sym))
				inst = i;
		if (k < 0 || inst == UINT32_MAX) {
			skipped++;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct tg_label *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				fclose(f);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = (struct tg_label){.instrument = (uint16_t)inst,
		                           .kind = (uint8_t)k,
		                           .first_tick = ft,
		                           .last_tick = lt,
		                           .first_ts_ns = fts,
		                           .last_ts_ns = lts};
	}
	fclose(f);
	*out = v;
	*n_out = n;
	return skipped;
}
