/* test_model_train_input.c - the input side of `tickguard train` and
 * `tickguard calibrate` (cli/cmd_train.h): time-of-day parsing, the
 * streamed tick CSV (BOM, CRLF, header, quotes, every kind of bad row,
 * lines across the 1 MiB chunk boundary, out-of-order rows), the time and
 * symbol filters, LOBSTER through feedsim, and a fuzz loop over mutated
 * CSV bytes that must never crash. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_train.h"
#include "model/train_net.h"
#include "tests/tg_test.h"

static char path[256];

static void write_file(const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(text, 1, n, f);
	fclose(f);
}

static const struct tg_input_series *find(const struct tg_input *in, const char *name)
{
	for (uint32_t i = 0; i < in->n; i++)
		if (!strcmp(in->s[i].name, name))
			return &in->s[i];
	return NULL;
}

static void t_time_of_day(void)
{
	uint64_t ns = 0;
	TG_CHECK_EQ_I64(tg_parse_time_of_day("09:30", &ns), 0);
	TG_CHECK_EQ_U64(ns, 34200ull * 1000000000ull);
	TG_CHECK_EQ_I64(tg_parse_time_of_day("12:45:00.5", &ns), 0);
	TG_CHECK_EQ_U64(ns, 45900ull * 1000000000ull + 500000000ull);
	TG_CHECK_EQ_I64(tg_parse_time_of_day("34200", &ns), 0); /* seconds on the command line */
	TG_CHECK_EQ_U64(ns, 34200ull * 1000000000ull);
	TG_CHECK_EQ_I64(tg_parse_time_of_day("34200.000000001", &ns), 0);
	TG_CHECK_EQ_U64(ns, 34200000000001ull);
	const char *bad[] = {"",  "25:00", "12:61", "12:", "1.2.3", "12:00:00.1234567891",
	                     "x", "-5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tg_parse_time_of_day(bad[i], &ns) != -EINVAL)
			TG_FAIL("\"%s\" accepted", bad[i]);
}

static void t_csv_rows(void)
{
	const char text[] = "\xef\xbb\xbfsymbol,timestamp,price,size,side\r\n"
	                    "aapl,34200.5,585.33,100,B\r\n"
	                    "\"AAPL\",09:30:01,585.3301,5,S\r\n"
	                    "\r\n"
	                    "AAPL,2012-06-21T09:30:02.25,585.4,1,\r\n"
	                    "AAPL,2012-06-21 09:30:01,585.5,1,\r\n" /* out of order, kept */
	                    "GOOG,34200000000000,580,10\n"          /* integer ns */
	                    "GOOG,34201,580.12345,10\n"             /* 5 decimals */
	                    "GOOG,34201,0,10\n"                     /* zero price */
	                    "GO*G,34201,580,10\n"                   /* bad symbol */
	                    "TOOLONGSYM,34201,580,10\n"             /* 9 characters */
	                    "GOOG,34201,580\n"                      /* 3 fields */
	                    "GOOG,34201,580,0\n"                    /* size 0 */
	                    "GOOG,34201,580,-1\n"                   /* negative size */
	                    "GOOG,25:00:00,580,1\n"                 /* bad time */
	                    "GOOG,34202.0,580.5,1";                 /* no final newline */
	write_file(text, sizeof(text) - 1);
	struct tg_input_opts o;
	tg_input_opts_default(&o);
	o.path = path;
	struct tg_input in;
	char err[256];
	TG_CHECK_EQ_I64(tg_input_load(&o, &in, err, sizeof(err)), 0);
	TG_CHECK_STR(in.kind, "csv");
	TG_CHECK_EQ_U64(in.n, 2);
	TG_CHECK_EQ_U64(in.trades, 6);
	TG_CHECK_EQ_U64(in.rejected, 8);
	TG_CHECK_EQ_U64(in.out_of_order, 1);
	TG_CHECK_STR(in.first_reject, "line 8: price has more than 4 decimals");
	const struct tg_input_series *a = find(&in, "AAPL"), *g = find(&in, "GOOG");
	TG_CHECK(a && g);
	if (a && g) {
		TG_CHECK_EQ_U64(a->n, 4);
		TG_CHECK_EQ_U64(g->n, 2);
		TG_CHECK(a->px[0] == 585.33 && a->px[1] == 585.3301 && a->px[3] == 585.5);
		TG_CHECK(g->px[1] == 580.5);
		TG_CHECK(a->bad == NULL);
	}
	tg_input_free(&in);
	/* Filters: time range and symbols. */
	o.since_ns = 34200ull * 1000000000ull + 600000000ull;
	o.symbols = "aapl";
	TG_CHECK_EQ_I64(tg_input_load(&o, &in, err, sizeof(err)), 0);
	TG_CHECK_EQ_U64(in.n, 1);
	TG_CHECK_EQ_U64(in.trades, 3);
	TG_CHECK_EQ_U64(in.filtered, 2);
	TG_CHECK_EQ_U64(in.out_of_range, 1);
	tg_input_free(&in);
	o.symbols = "MSFT";
	TG_CHECK_EQ_I64(tg_input_load(&o, &in, err, sizeof(err)), -ENODATA);
	TG_CHECK(strstr(err, "no trades") != NULL);
	o.path = "/nonexistent/ticks.csv";
	TG_CHECK_EQ_I64(tg_input_load(&o, &in, err, sizeof(err)), -ENOENT);
	TG_CHECK(strstr(err, "cannot open") != NULL);
}

/* 3 MiB of rows: lines cross the chunk boundaries and none is lost. */
static void t_csv_chunks(void)
{
	FILE *f = fopen(path, "wb");
	TG_CHECK(f != NULL);
	if (!f)
		return;
	const uint32_t n = 100000;
	double sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t e4 = 1000000 + (i * 7919u) % 50000;
		sum += e4 / 1e4;
		fprintf(f, "SYM%u,%u.%09u,%u.%04u,%u\n", i % 3, 34200 + i / 10, i, e4 / 10000,
		        e4 % 10000, 1 + i % 500);
	}
	fclose(f);
	struct tg_input_opts o;
	tg_input_opts_default(&o);
	o.path = path;
	struct tg_input in;
	char err[256];
	TG_CHECK_EQ_I64(tg_input_load(&o, &in, err, sizeof(err)), 0);
	TG_CHECK_EQ_U64(in.trades, n);
	TG_CHECK_EQ_U64(in.rejected, 0);
	TG_CHECK_EQ_U64(in.n, 3);
	double got = 0;
	for (uint32_t i = 0; i < in.n; i++)
		for (size_t k = 0; k < in.s[i].n; k++)
			got += in.s[i].px[k];
	TG_CHECK_NEAR(got, sum, 1e-6, 1e-12);
	tg_input_free(&in);
}

static void t_lobster_and_synth(void)
{
	struct tg_input_opts o;
	tg_input_opts_default(&o);
	struct tg_input in;
	char err[256], lob[512];
	o.synth_instruments = 3;
	o.synth_trades = 3000;
	TG_CHECK_EQ_I64(tg_input_load(&o, &in, err, sizeof(err)), 0);
	TG_CHECK_STR(in.kind, "synthetic");
	TG_CHECK_EQ_U64(in.trades, 9000);
	size_t marked = 0;
	for (uint32_t i = 0; i < in.n; i++)
		for (size_t k = 0; in.s[i].bad && k < in.s[i].n; k++)
			marked += in.s[i].bad[k];
	TG_CHECK(marked > 0 && marked < 9000 / 2); /* labelled anomalies (+60) are marked */
	tg_input_free(&in);
	snprintf(lob, sizeof(lob), "%s/lobster/AMZN_2012-06-21_34200000_57600000_message_1.csv",
	         tg_test_data_dir());
	if (access(lob, R_OK) != 0)
		TG_SKIP("%s missing", lob);
	o.path = lob;
	TG_CHECK_EQ_I64(tg_parse_time_of_day("12:45", &o.until_ns), 0);
	TG_CHECK_EQ_I64(tg_input_load(&o, &in, err, sizeof(err)), 0);
	TG_CHECK_STR(in.kind, "lobster");
	TG_CHECK_EQ_U64(in.n, 1);
	TG_CHECK(in.trades > 3000 && in.trades < 8974 + 2445);
	TG_CHECK(in.out_of_range > 0);
	TG_CHECK(in.n == 1 && !strcmp(in.s[0].name, "AMZN") && in.s[0].px[0] > 100 &&
	         in.s[0].px[0] < 300);
	tg_input_free(&in);
}

/* Mutated CSV bytes: the loader must return 0 or a clean error, and every
 * row must be either kept or counted. */
static void t_csv_fuzz(void)
{
	char base[4096];
	size_t bn = 0;
	bn += (size_t)snprintf(base + bn, sizeof(base) - bn, "symbol,timestamp,price,size\n");
	for (int i = 0; i < 60; i++)
		bn += (size_t)snprintf(base + bn, sizeof(base) - bn,
		                       "S%d,09:%02d:%02d.%d,%d.%02d,%d\n", i % 4, 30 + i / 60,
		                       i % 60, i, 10 + i, i, 1 + i);
	const char alphabet[] = ",\"\n\r.:-0123456789ABZ \t\xef\xbb\xbf";
	struct tg_rng r;
	tg_rng_seed(&r, 77);
	char *buf = malloc(bn + 64);
	int iters = (int)(400 * tg_test_scale()) + 40;
	for (int it = 0; it < iters; it++) {
		memcpy(buf, base, bn);
		size_t n = bn;
		for (uint64_t k = 1 + tg_rng_below(&r, 8); k-- > 0;) {
			size_t at = tg_rng_below(&r, n);
			uint64_t what = tg_rng_below(&r, 4);
			if (what == 0)
				buf[at] = alphabet[tg_rng_below(&r, sizeof(alphabet) - 1)];
			else if (what == 1)
				buf[at] = (char)tg_rng_next(&r); /* any byte, NUL included */
			else if (what == 2 && n > 1) {
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			} else if (n < bn + 63) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = alphabet[tg_rng_below(&r, sizeof(alphabet) - 1)];
				n++;
			}
		}
		write_file(buf, n);
		struct tg_input_opts o;
		tg_input_opts_default(&o);
		o.path = path;
		struct tg_input in;
		char err[256];
		int rc = tg_input_load(&o, &in, err, sizeof(err));
		if (rc == 0) {
			uint64_t kept = 0;
			for (uint32_t i = 0; i < in.n; i++) {
				kept += in.s[i].n;
				for (size_t k = 0; k < in.s[i].n; k++)
					if (!(in.s[i].px[k] > 0) || !isfinite(in.s[i].px[k]))
						TG_FAIL("iteration %d: price %g kept", it,
						        in.s[i].px[k]);
			}
			TG_CHECK_EQ_U64(kept, in.trades);
			TG_CHECK(in.trades + in.rejected <= in.lines);
			tg_input_free(&in);
		} else {
			TG_CHECK(rc == -ENODATA);
		}
	}
	free(buf);
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/tg_test_train_input_%d.csv", (int)getpid());
	tg_test_case("time_of_day", t_time_of_day);
	tg_test_case("csv_rows", t_csv_rows);
	tg_test_case("csv_chunks", t_csv_chunks);
	tg_test_case("lobster_and_synth", t_lobster_and_synth);
	tg_test_case("csv_fuzz", t_csv_fuzz);
	unlink(path);
	return tg_test_done();
}
