/* test_feedsim_source.c - tick sources: LOBSTER counts against the data
 * README's table, ns-exact times and prices against an independent parse of
 * the files, CSV robustness with line numbers, synthetic determinism and
 * labels that match what was injected. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feedsim/source_impl.h"
#include "tests/tg_test.h"

static const char *const syms[3] = {"AAPL", "AMZN", "GOOG"};
/* events, visible executions, hidden, adds, deletes, orphan visible execs */
static const uint64_t table[3][6] = {
    {118497, 23658, 11332, 54818, 28437, 8559},
    {57515, 8974, 2445, 27845, 18235, 3071},
    {49482, 7765, 3913, 24368, 13429, 2309},
};

static void lobster_path(char *buf, size_t cap, int i)
{
	snprintf(buf, cap, "%s/lobster/%s_2012-06-21_34200000_57600000_message_1.csv",
	         tg_test_data_dir(), syms[i]);
}

static void need_lobster(void)
{
	char p[512];
	lobster_path(p, sizeof(p), 0);
	if (access(p, R_OK))
		TG_SKIP("no LOBSTER data at %s", p);
}

static void t_lobster_counts(void)
{
	need_lobster();
	uint64_t orphans = 0, refs = 0;
	for (int i = 0; i < 3; i++) {
		char p[512];
		const char *pp = p;
		struct tg_source *s;
		lobster_path(p, sizeof(p), i);
		TG_CHECK_EQ_I64(tg_source_open_lobster(&pp, 1, &s), 0);
		struct tg_source_stats st;
		tg_source_get_stats(s, &st);
		uint64_t by[16] = {0};
		for (uint64_t k = 0; k < s->nevents; k++)
			by[s->events[k].type]++;
		TG_CHECK_EQ_U64(st.events, table[i][0]);
		TG_CHECK_EQ_U64(st.rejected, 0);
		TG_CHECK_EQ_U64(by[TG_LOB_EXEC], table[i][1]);
		TG_CHECK_EQ_U64(by[TG_LOB_HIDDEN], table[i][2]);
		TG_CHECK_EQ_U64(by[TG_LOB_ADD], table[i][3]);
		TG_CHECK_EQ_U64(by[TG_LOB_DELETE], table[i][4]);
		TG_CHECK_EQ_U64(st.orphan_execs, table[i][5]);
		TG_CHECK_EQ_U64(by[TG_LOB_SYNTH_ADD], st.synth_adds);
		TG_CHECK_EQ_U64(st.synth_adds, st.orphan_orders); /* no re-adds in this data */
		TG_CHECK_EQ_U64(st.inconsistent_refs, 0);
		TG_CHECK_EQ_U64(st.oversubscribed, 0);
		TG_CHECK_EQ_U64(tg_source_trades(s), table[i][1] + table[i][2]);
		TG_CHECK_EQ_U64(st.hidden, table[i][2]);
		TG_CHECK_STR(tg_source_symbol(s, 0), syms[i]);
		orphans += st.orphan_orders;
		refs += st.orphan_refs;
		printf("%s: %llu events, %llu trades, %llu orphan orders, %llu orphan refs, %llu "
		       "orphan executions, %llu synthesised Adds\n",
		       syms[i], (unsigned long long)st.events,
		       (unsigned long long)tg_source_trades(s),
		       (unsigned long long)st.orphan_orders, (unsigned long long)st.orphan_refs,
		       (unsigned long long)st.orphan_execs, (unsigned long long)st.synth_adds);
		tg_source_close(s);
	}
	TG_CHECK_EQ_U64(orphans, 23102);
	TG_CHECK_EQ_U64(refs, 26923);
}

/* Independent parse: seconds and fraction as strings, padded to 9 digits. */
struct ref_trade {
	uint64_t ts, price, shares;
	char side;
	int hidden;
};

static size_t ref_trades(int i, struct ref_trade **out)
{
	char p[512], line[256];
	lobster_path(p, sizeof(p), i);
	FILE *f = fopen(p, "r");
	size_t n = 0, cap = 1 << 16;
	struct ref_trade *v = malloc(cap * sizeof(*v));
	while (f && fgets(line, sizeof(line), f)) {
		char secs[32], frac[32] = "";
		int type, dir;
		long long id, size, price;
		if (sscanf(line, "%31[0-9].%31[0-9],%d,%lld,%lld,%lld,%d", secs, frac, &type, &id,
		           &size, &price, &dir) != 7)
			continue;
		if (type != 4 && type != 5)
			continue;
		char ns[10] = "000000000";
		memcpy(ns, frac, strlen(frac));
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = (struct ref_trade){.ts = strtoull(secs, NULL, 10) * 1000000000ull +
		                                  strtoull(ns, NULL, 10),
		                            .price = (uint64_t)price,
		                            .shares = (uint64_t)size,
		                            .side = dir < 0 ? 'B' : 'S',
		                            .hidden = type == 5};
	}
	if (f)
		fclose(f);
	*out = v;
	return n;
}

static void t_lobster_exact_merged(void)
{
	need_lobster();
	char dir[512];
	struct tg_source *s;
	snprintf(dir, sizeof(dir), "%s/lobster", tg_test_data_dir());
	TG_CHECK_EQ_I64(tg_source_open_path(dir, &s), 0);
	TG_CHECK_EQ_U64(tg_source_instruments(s), 3);
	uint64_t n;
	const struct tg_trade *t = tg_source_trade_array(s, &n);
	for (int i = 0; i < 3; i++) {
		struct ref_trade *ref;
		size_t nr = ref_trades(i, &ref), j = 0, bad = 0;
		uint64_t sum = 0;
		TG_CHECK_EQ_U64(nr, table[i][1] + table[i][2]);
		TG_CHECK_EQ_U64(tg_source_instrument_trades(s, (uint32_t)i), nr);
		for (uint64_t k = 0; k < n; k++) {
			if (t[k].instrument != i)
				continue;
			if (j >= nr || t[k].tick != j || t[k].exch_ts_ns != ref[j].ts ||
			    t[k].price_e4 != ref[j].price || t[k].shares != ref[j].shares ||
			    t[k].side != ref[j].side ||
			    (t[k].flags == TG_TICK_HIDDEN) != ref[j].hidden ||
			    strcmp(t[k].symbol, syms[i]) || t[k].locate != i + 1) {
				if (bad++ < 3)
					TG_FAIL(
					    "%s trade %zu differs: ts %llu vs %llu, px %u vs %llu",
					    syms[i], j, (unsigned long long)t[k].exch_ts_ns,
					    (unsigned long long)(j < nr ? ref[j].ts : 0),
					    t[k].price_e4,
					    (unsigned long long)(j < nr ? ref[j].price : 0));
			}
			sum = sum * 31 + t[k].exch_ts_ns + t[k].price_e4 * 7ull + t[k].shares;
			j++;
		}
		TG_CHECK_EQ_U64(j, nr);
		TG_CHECK_EQ_U64(bad, 0);
		printf("%s: %zu trades exact to the ns, checksum %016llx\n", syms[i], j,
		       (unsigned long long)sum);
		free(ref);
	}
	/* merged in time order, match numbers 1.. in order */
	for (uint64_t k = 1; k < n; k++) {
		if (t[k].exch_ts_ns < t[k - 1].exch_ts_ns || t[k].match_no != k + 1) {
			TG_FAIL("trade %llu out of order", (unsigned long long)k);
			break;
		}
	}
	tg_source_close(s);
}

static void t_parse_exact(void)
{
	uint64_t v = 0;
	TG_CHECK_EQ_I64(tg_parse_time_ns("34200.004241176", 15, &v), 0);
	TG_CHECK_EQ_U64(v, 34200004241176ull);
	TG_CHECK_EQ_I64(tg_parse_time_ns("34200.18960767", 14, &v), 0);
	TG_CHECK_EQ_U64(v, 34200189607670ull);
	TG_CHECK_EQ_I64(tg_parse_time_ns("09:30:00.000000001", 18, &v), 0);
	TG_CHECK_EQ_U64(v, 34200000000001ull);
	TG_CHECK_EQ_I64(tg_parse_time_ns("2012-06-21T15:59:59.999999999", 29, &v), 0);
	TG_CHECK_EQ_U64(v, 57599999999999ull);
	TG_CHECK(tg_parse_time_ns("34200.0042411761", 16, &v) < 0); /* 10 digits */
	TG_CHECK(tg_parse_time_ns("86400", 5, &v) == 0);            /* integer = ns */
	TG_CHECK(tg_parse_time_ns("9:3:00", 6, &v) < 0);
	TG_CHECK_EQ_I64(tg_parse_fixed("58.5331", 7, 4, &v), 0);
	TG_CHECK_EQ_U64(v, 585331);
	TG_CHECK_EQ_I64(tg_parse_fixed("0.1", 3, 4, &v), 0);
	TG_CHECK_EQ_U64(v, 1000);
	TG_CHECK(tg_parse_fixed("1.00001", 7, 4, &v) < 0);
	TG_CHECK_EQ_I64(tg_parse_fixed("1.00000", 7, 4, &v), 0);
	TG_CHECK(tg_parse_fixed("1e3", 3, 4, &v) < 0);
}

static void t_csv_robust(void)
{
	char path[] = "/tmp/tg_feedsim_csvXXXXXX";
	int fd = mkstemp(path);
	TG_CHECK(fd >= 0);
	static const char text[] =
	    "\xEF\xBB\xBFsymbol,timestamp,price,size,side\r\n"    /* 1 header with BOM */
	    "AAPL,34200.000000001,585.33,100,B\r\n"               /* 2 */
	    "\r\n"                                                /* 3 blank */
	    "\"MSFT\",\"09:30:00.5\",\"30.1\",\"200\",\"sell\"\n" /* 4 quoted */
	    "garbage line here\n"                                 /* 5 rejected */
	    "AAPL,34200.1,585.335,100\n"               /* 6 rejected: 3 decimals? no: 4 ok */
	    "AAPL,34200.2,585.33351,100\n"             /* 7 rejected: 5 decimals */
	    "AAPL,34200.3,585.33,0\n"                  /* 8 rejected: size 0 */
	    "AAPL,34200.4,585.33,100,X\n"              /* 9 rejected: side */
	    "  \t \n"                                  /* 10 blank */
	    "\"AA\"PL\",34200.5,1,1\n"                 /* 11 rejected: quote */
	    "msft,2012-06-21 09:30:00.25,30.2,300,S\n" /* 12 ok, out of order */
	    "TOOLONGSYM,34200.6,1,1\n"                 /* 13 rejected: symbol */
	    "AAPL,34200.7,585.40,100,B,extra\n"        /* 14 rejected: 6 fields */
	    "# comment\n"                              /* 15 blank */
	    "AAPL,99999.0,1,1\n"                       /* 16 rejected: > day */
	    "AAPL,34200.8,585.41,7,-1";                /* 17 ok, no newline */
	TG_CHECK_EQ_I64(write(fd, text, sizeof(text) - 1), (int64_t)sizeof(text) - 1);
	close(fd);
	struct tg_source *s;
	TG_CHECK_EQ_I64(tg_source_open_path(path, &s), 0);
	unlink(path);
	if (!s)
		return;
	struct tg_source_stats st;
	tg_source_get_stats(s, &st);
	TG_CHECK_EQ_U64(tg_source_kind(s), TG_SOURCE_CSV);
	TG_CHECK_EQ_U64(st.lines, 17);
	TG_CHECK_EQ_U64(st.blank, 4);
	TG_CHECK_EQ_U64(tg_source_trades(s), 5);
	TG_CHECK_EQ_U64(st.rejected, 8);
	TG_CHECK_EQ_U64(st.reordered, 2);
	const struct tg_reject *rj;
	size_t nr = tg_source_rejects(s, &rj);
	static const uint64_t want[] = {5, 7, 8, 9, 11, 13, 14, 16};
	TG_CHECK_EQ_U64(nr, 8);
	for (size_t i = 0; i < nr && i < 8; i++)
		TG_CHECK_EQ_U64(rj[i].line, want[i]);
	TG_CHECK_EQ_U64(tg_source_instruments(s), 2);
	TG_CHECK_STR(tg_source_symbol(s, 0), "AAPL");
	TG_CHECK_STR(tg_source_symbol(s, 1), "MSFT");
	struct tg_trade t;
	/* time order: AAPL .000000001, AAPL .1, MSFT .25, MSFT .5, AAPL .8 */
	static const struct {
		uint64_t ts;
		uint32_t px, sh;
		uint16_t inst;
		uint8_t side;
	} exp[5] = {
	    {34200000000001ull, 5853300, 100, 0, 'B'}, {34200100000000ull, 5853350, 100, 0, 0},
	    {34200250000000ull, 302000, 300, 1, 'S'},  {34200500000000ull, 301000, 200, 1, 'S'},
	    {34200800000000ull, 5854100, 7, 0, 'S'},
	};
	for (int i = 0; i < 5; i++) {
		TG_CHECK_EQ_I64(tg_source_next(s, &t), 1);
		TG_CHECK_EQ_U64(t.exch_ts_ns, exp[i].ts);
		TG_CHECK_EQ_U64(t.price_e4, exp[i].px);
		TG_CHECK_EQ_U64(t.shares, exp[i].sh);
		TG_CHECK_EQ_U64(t.instrument, exp[i].inst);
		TG_CHECK_EQ_U64(t.side, exp[i].side);
	}
	TG_CHECK_EQ_I64(tg_source_next(s, &t), 0);
	tg_source_close(s);
}

static int same_source(struct tg_source *a, struct tg_source *b)
{
	uint64_t na, nb;
	const struct tg_trade *ta = tg_source_trade_array(a, &na),
	                      *tb = tg_source_trade_array(b, &nb);
	const struct tg_label *la, *lb;
	size_t nla = tg_source_labels(a, &la), nlb = tg_source_labels(b, &lb);
	return na == nb && nla == nlb && !memcmp(ta, tb, na * sizeof(*ta)) &&
	       !memcmp(la, lb, nla * sizeof(*la));
}

static void t_synth_determinism(void)
{
	struct tg_synth_config c;
	struct tg_source *a, *b, *d;
	tg_synth_config_default(&c);
	c.seed = 7;
	c.trades_per_instrument = 5000;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &a), 0);
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &b), 0);
	c.seed = 8;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &d), 0);
	TG_CHECK(same_source(a, b));
	TG_CHECK(!same_source(a, d));
	TG_CHECK_EQ_U64(tg_source_trades(a), 8 * 5000);
	for (uint32_t i = 0; i < 8; i++)
		TG_CHECK_EQ_U64(tg_source_instrument_trades(a, i), 5000);
	tg_source_close(a);
	tg_source_close(b);
	tg_source_close(d);
}

static double mean_px(const uint32_t *px, uint64_t from, uint64_t to)
{
	double s = 0;
	for (uint64_t i = from; i < to; i++)
		s += px[i];
	return s / (double)(to - from);
}

static double ret_sd(const uint32_t *px, uint64_t from, uint64_t to)
{
	double s = 0, s2 = 0;
	for (uint64_t i = from + 1; i < to; i++) {
		double r = log((double)px[i] / px[i - 1]);
		s += r;
		s2 += r * r;
	}
	double n = (double)(to - from - 1);
	return sqrt(s2 / n - (s / n) * (s / n));
}

/* Each label must describe something visible in its instrument's prices,
 * and a broken label (shifted far away) must not pass the same checks. */
static int label_visible(const uint32_t *px, const uint32_t *sh, uint64_t n,
                         const struct tg_label *l)
{
	uint64_t f = l->first_tick, e = l->last_tick;
	if (f < 60 || e + 60 >= n || e < f)
		return 0;
	double ref = mean_px(px, f - 20, f);
	switch (l->kind) {
	case TG_ANOM_SPIKE:
		for (uint64_t i = f; i <= e; i++)
			if (fabs(px[i] / ref - 1) < 0.015)
				return 0;
		return e - f < 3;
	case TG_ANOM_FAT_FINGER:
		return f == e && fabs(px[f] / ref - 1) > 0.08 && sh[f] > 10000;
	case TG_ANOM_FROZEN:
		for (uint64_t i = f; i <= e; i++)
			if (px[i] != px[f])
				return 0;
		return e - f + 1 >= 80;
	case TG_ANOM_LEVEL_SHIFT:
		return fabs(mean_px(px, f, f + 30) / ref - 1) > 0.01;
	case TG_ANOM_VOL_BURST:
		return ret_sd(px, f, e + 1) > 2.5 * ret_sd(px, f - 60, f);
	case TG_ANOM_FLASH_CRASH: {
		uint32_t lo = px[f];
		for (uint64_t i = f; i <= e; i++)
			lo = px[i] < lo ? px[i] : lo;
		return lo < ref * 0.96 && fabs(mean_px(px, e + 1, e + 11) / ref - 1) < 0.03;
	}
	}
	return 0;
}

static void t_synth_labels(void)
{
	struct tg_synth_config c;
	struct tg_source *s;
	tg_synth_config_default(&c);
	c.seed = 42;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &s), 0);
	uint64_t n, per = c.trades_per_instrument;
	const struct tg_trade *t = tg_source_trade_array(s, &n);
	uint32_t *px = malloc(per * sizeof(*px) * 2), *sh = px + per;
	const struct tg_label *l;
	size_t nl = tg_source_labels(s, &l);
	TG_CHECK_EQ_U64(nl, (uint64_t)c.instruments * c.anomalies);
	int kinds[TG_ANOM_KINDS + 1] = {0}, visible = 0, broken_visible = 0;
	for (uint32_t inst = 0; inst < c.instruments; inst++) {
		for (uint64_t k = 0; k < n; k++)
			if (t[k].instrument == inst) {
				px[t[k].tick] = t[k].price_e4;
				sh[t[k].tick] = t[k].shares;
				if (t[k].price_e4 % 100)
					TG_FAIL("price off the 0.01 grid: %u", t[k].price_e4);
			}
		uint64_t prev_last = 0;
		for (size_t i = 0; i < nl; i++) {
			if (l[i].instrument != inst)
				continue;
			kinds[l[i].kind]++;
			TG_CHECK(l[i].first_tick > prev_last || prev_last == 0);
			prev_last = l[i].last_tick;
			if (label_visible(px, sh, per, &l[i]))
				visible++;
			else
				TG_FAIL("%s label %s [%llu,%llu] not visible in the prices",
				        tg_source_symbol(s, inst), tg_anomaly_name(l[i].kind),
				        (unsigned long long)l[i].first_tick,
				        (unsigned long long)l[i].last_tick);
			struct tg_label moved = l[i];
			moved.first_tick = (l[i].first_tick + per / 2) % (per - 400) + 100;
			moved.last_tick = moved.first_tick + (l[i].last_tick - l[i].first_tick);
			broken_visible += label_visible(px, sh, per, &moved);
		}
	}
	for (int k = 1; k <= TG_ANOM_KINDS; k++)
		TG_CHECK_EQ_U64(kinds[k], c.instruments);
	TG_CHECK_EQ_U64(visible, nl);
	/* the check can fail: labels moved to a normal stretch do not pass */
	TG_CHECK(broken_visible <= (int)nl / 6);
	printf("synthetic: %zu labels all visible; moved labels visible: %d\n", nl, broken_visible);
	/* label file round trip, ts matching the trades */
	char path[] = "/tmp/tg_feedsim_labelsXXXXXX";
	int fd = mkstemp(path);
	close(fd);
	TG_CHECK_EQ_I64(tg_source_write_labels(s, path), 0);
	struct tg_label *back;
	size_t nb;
	TG_CHECK_EQ_I64(tg_labels_read(path, s, &back, &nb), 0);
	unlink(path);
	TG_CHECK_EQ_U64(nb, nl);
	for (size_t i = 0; i < nb && i < nl; i++)
		TG_CHECK(back[i].instrument == l[i].instrument && back[i].kind == l[i].kind &&
		         back[i].first_tick == l[i].first_tick &&
		         back[i].last_tick == l[i].last_tick &&
		         back[i].first_ts_ns == l[i].first_ts_ns &&
		         back[i].last_ts_ns == l[i].last_ts_ns);
	free(back);
	for (size_t i = 0; i < nl; i++)
		for (uint64_t k = 0; k < n; k++)
			if (t[k].instrument == l[i].instrument && t[k].tick == l[i].first_tick)
				TG_CHECK_EQ_U64(t[k].exch_ts_ns, l[i].first_ts_ns);
	free(px);
	tg_source_close(s);
}

int main(void)
{
	tg_test_case("lobster_counts", t_lobster_counts);
	tg_test_case("lobster_exact_merged", t_lobster_exact_merged);
	tg_test_case("parse_exact", t_parse_exact);
	tg_test_case("csv_robust", t_csv_robust);
	tg_test_case("synth_determinism", t_synth_determinism);
	tg_test_case("synth_labels", t_synth_labels);
	return tg_test_done();
}
