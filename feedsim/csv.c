/* csv.c - the tick CSV source (columns documented in source.h). Outside
 * files are messy: a BOM, CRLF, quotes, blank lines, a header, garbage.
 * Every line that is not a trade or a header is rejected with its number
 * and reason and loading goes on; nothing is guessed (no doubles, no
 * rounding: a price with more than 4 decimals is rejected). */
#include "feedsim/source_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_FIELDS 8
#define CSV_FIELD_MAX  64

struct field {
	char s[CSV_FIELD_MAX];
	size_t n;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Split one line (no newline) into fields. Quoted fields may hold commas
 * and "" for a quote. Returns the field count or a reason. */
static const char *split(const char *p, size_t n, struct field *f, size_t *nf)
{
	size_t k = 0, i = 0;
	for (;;) {
		if (k == CSV_MAX_FIELDS)
			return "too many fields";
		struct field *cur = &f[k++];
		cur->n = 0;
		while (i < n && is_space(p[i]))
			i++;
		if (i < n && p[i] == '"') {
			i++;
			for (;;) {
				if (i >= n)
					return "unterminated quote";
				if (p[i] == '"') {
					if (i + 1 < n && p[i + 1] == '"') {
						i++;
					} else {
						i++;
						break;
					}
				}
				if (cur->n + 1 >= CSV_FIELD_MAX)
					return "field too long";
				cur->s[cur->n++] = p[i++];
			}
			while (i < n && is_space(p[i]))
				i++;
			if (i < n && p[i] != ',')
				return "text after a quoted field";
		} else {
			while (i < n && p[i] != ',') {
				if (p[i] == '"')
					return "stray quote";
				if (cur->n + 1 >= CSV_FIELD_MAX)
					return "field too long";
				cur->s[cur->n++] = p[i++];
			}
			while (cur->n && is_space(cur->s[cur->n - 1]))
				cur->n--;
		}
		cur->s[cur->n] = 0;
		if (i >= n)
			break;
		i++; /* the comma */
	}
	*nf = k;
	return NULL;
}

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = (char)(*a >= 'A' && *a <= 'Z' ? *a + 32 : *a);
		if (x != *b)
			return 0;
	}
	return *a == *b;
}

struct sym_table {
	char (*names)[TG_SYMBOL_LEN + 1];
	uint32_t n, cap;
	uint32_t *hash; /* index+1, 0 empty */
	uint32_t hcap;
};

static uint64_t sym_key(const char *s)
{
	uint64_t k = 0;
	memcpy(&k, s, strlen(s));
	return k * 0x9e3779b97f4a7c15ull;
}

static int sym_intern(struct sym_table *t, const char *s)
{
	if (t->n + 1 > t->hcap / 2) {
		uint32_t hcap = t->hcap ? t->hcap * 2 : 256;
		uint32_t *h = calloc(hcap, sizeof(*h));
		if (!h)
			return -ENOMEM;
		for (uint32_t i = 0; i < t->n; i++) {
			uint32_t j = (uint32_t)(sym_key(t->names[i]) >> 32) & (hcap - 1);
			while (h[j])
				j = (j + 1) & (hcap - 1);
			h[j] = i + 1;
		}
		free(t->hash);
		t->hash = h;
		t->hcap = hcap;
	}
	uint32_t j = (uint32_t)(sym_key(s) >> 32) & (t->hcap - 1);
	for (; t->hash[j]; j = (j + 1) & (t->hcap - 1))
		if (!strcmp(t->names[t->hash[j] - 1], s))
			return (int)t->hash[j] - 1;
	if (t->n == 65535)
		return -E2BIG;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		void *nn = realloc(t->names, cap * sizeof(*t->names));
		if (!nn)
			return -ENOMEM;
		t->names = nn;
		t->cap = cap;
	}
	strcpy(t->names[t->n], s);
	t->hash[j] = ++t->n;
	return (int)t->n - 1;
}

/* Parse fields into a trade (instrument left as the interned index). */
static const char *parse_trade(struct sym_table *syms, struct field *f, size_t nf,
                               struct tg_trade *t, int *oom)
{
	uint64_t v;
	if (nf < 4)
		return "fewer than 4 fields";
	if (nf > 5)
		return "more than 5 fields";
	if (f[0].n == 0 || f[0].n > TG_SYMBOL_LEN)
		return "bad symbol (1-8 characters)";
	for (size_t i = 0; i < f[0].n; i++) {
		char c = f[0].s[i];
		if (c >= 'a' && c <= 'z')
			f[0].s[i] = c = (char)(c - 32);
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return "bad symbol character";
	}
	if (tg_parse_time_ns(f[1].s, f[1].n, &t->exch_ts_ns))
		return "bad timestamp";
	if (tg_parse_fixed(f[2].s, f[2].n, 4, &v) || v == 0 || v > UINT32_MAX)
		return "bad price";
	t->price_e4 = (uint32_t)v;
	if (tg_parse_fixed(f[3].s, f[3].n, 0, &v) || v == 0 || v > UINT32_MAX)
		return "bad size";
	t->shares = (uint32_t)v;
	t->side = 0;
	if (nf == 5 && f[4].n) {
		const char *s = f[4].s;
		if (ieq(s, "b") || ieq(s, "buy") || !strcmp(s, "1"))
			t->side = 'B';
		else if (ieq(s, "s") || ieq(s, "sell") || !strcmp(s, "-1"))
			t->side = 'S';
		else
			return "bad side";
	}
	int id = sym_intern(syms, f[0].s);
	if (id < 0) {
		*oom = id;
		return "too many symbols";
	}
	t->instrument = (uint16_t)id;
	return NULL;
}

static int name_cmp(const void *a, const void *b, void *names)
{
	const char(*n)[TG_SYMBOL_LEN + 1] = names;
	return strcmp(n[*(const uint32_t *)a], n[*(const uint32_t *)b]);
}

static int load_csv(FILE *f, struct tg_source **out);

int tg_source_open_csv(const char *path, struct tg_source **out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	return load_csv(f, out);
}

int tg_source_open_csv_mem(const void *buf, size_t len, struct tg_source **out)
{
	if (len == 0)
		return -EBADMSG;
	FILE *f = fmemopen((void *)(uintptr_t)buf, len, "rb");
	if (!f)
		return -errno;
	return load_csv(f, out);
}

/* Loads from f and closes it. */
static int load_csv(FILE *f, struct tg_source **out)
{
	struct tg_source *s = tg_source__alloc(TG_SOURCE_CSV);
	struct sym_table syms = {0};
	char *line = NULL;
	size_t lcap = 0;
	uint64_t cap = 0, lineno = 0, prev_ts = 0;
	int rc = -ENOMEM, seen_data = 0;
	uint32_t *order = NULL, *rank = NULL;
	if (!s)
		goto fail;
	ssize_t got;
	while ((got = getline(&line, &lcap, f)) >= 0) {
		size_t n = (size_t)got;
		char *p = line;
		lineno++;
		s->st.lines++;
		if (lineno == 1 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
			p += 3;
			n -= 3;
		}
		while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || is_space(p[n - 1])))
			n--;
		while (n && is_space(*p)) {
			p++;
			n--;
		}
		if (n == 0 || p[0] == '#') {
			s->st.blank++;
			continue;
		}
		if (memchr(p, 0, n)) {
			tg_source__reject(s, 0, lineno, "NUL byte");
			continue;
		}
		struct field fl[CSV_MAX_FIELDS];
		size_t nf = 0;
		const char *why = split(p, n, fl, &nf);
		if (!why && !seen_data && nf >= 1 &&
		    (ieq(fl[0].s, "symbol") || ieq(fl[0].s, "ticker") || ieq(fl[0].s, "sym"))) {
			s->st.blank++; /* the header */
			continue;
		}
		if (s->ntrades == cap) {
			cap = cap ? cap * 2 : 4096;
			struct tg_trade *nt = realloc(s->trades, cap * sizeof(*nt));
			if (!nt)
				goto fail;
			s->trades = nt;
		}
		struct tg_trade *t = &s->trades[s->ntrades];
		memset(t, 0, sizeof(*t));
		int oom = 0;
		if (!why)
			why = parse_trade(&syms, fl, nf, t, &oom);
		if (oom == -ENOMEM)
			goto fail;
		if (why) {
			tg_source__reject(s, 0, lineno, why);
			continue;
		}
		seen_data = 1;
		if (t->exch_ts_ns < prev_ts)
			s->st.reordered++;
		else
			prev_ts = t->exch_ts_ns;
		s->ntrades++;
	}
	if (ferror(f)) {
		rc = -EIO;
		goto fail;
	}
	if (s->ntrades == 0) {
		rc = -EBADMSG;
		goto fail;
	}
	/* directory sorted by symbol name */
	s->ninst = syms.n;
	order = malloc(syms.n * sizeof(*order));
	rank = malloc(syms.n * sizeof(*rank));
	s->symbols = calloc(syms.n, sizeof(*s->symbols));
	if (!order || !rank || !s->symbols)
		goto fail;
	for (uint32_t i = 0; i < syms.n; i++)
		order[i] = i;
	qsort_r(order, syms.n, sizeof(*order), name_cmp, syms.names);
	for (uint32_t i = 0; i < syms.n; i++) {
		rank[order[i]] = i;
		memcpy(s->symbols[i], syms.names[order[i]], sizeof(s->symbols[i]));
	}
	for (uint64_t i = 0; i < s->ntrades; i++)
		s->trades[i].instrument = (uint16_t)rank[s->trades[i].instrument];
	rc = tg_source__finish_trades(s);
	if (rc)
		goto fail;
	*out = s;
	s = NULL;
	rc = 0;
fail:
	free(order);
	free(rank);
	free(syms.names);
	free(syms.hash);
	free(line);
	fclose(f);
	tg_source_close(s);
	return rc;
}
