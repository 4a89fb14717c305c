/* test_feedsim_fuzz.c - fuzz targets for feedsim's parsers of outside
 * bytes (tick CSV, LOBSTER message rows), the committed corpus
 * (tests/feedsim-corpus/csv, lobster) replayed by every
 * `make test`, and a seeded mutation run over that corpus.
 *
 * Invariants: every input line is counted exactly once (trade/event,
 * blank/header, or rejected); trades come out in time order with
 * consecutive ticks per instrument; the ITCH replay decodes; and, for
 * LOBSTER, a receiver's order map prices every execution exactly as the
 * source reports it (unless the input over-executes an order, counted).
 * A failed invariant aborts (reported as a failure by the runner).
 *
 * libFuzzer: clang -fsanitize=fuzzer,address -DTG_LIBFUZZER
 *   -DTG_FUZZ_MAIN_feedsim_csv (or _lobster) with feedsim/ and wire/. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "feedsim/replay.h"
#include "feedsim/source.h"
#include "tests/test_fuzz_util.h"
#include "wire/itch.h"

int tg_fuzz_feedsim_csv(const uint8_t *data, size_t size);
static uint64_t fz_inputs, fz_loaded, fz_trades;
int tg_fuzz_feedsim_lobster(const uint8_t *data, size_t size);

static uint64_t count_lines(const uint8_t *d, size_t n)
{
	uint64_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += d[i] == '\n';
	return k + (n > 0 && d[n - 1] != '\n');
}

struct fz_order {
	uint64_t ref;
	uint32_t price, shares;
	char side;
	uint8_t used;
};

/* Walk the replay with a receiver's order map; returns executions priced
 * that differ from the source (must be 0) and counts unpriceable ones. */
static uint64_t walk_replay(struct tg_source *s, uint64_t *unpriced)
{
	struct tg_replay *r;
	uint64_t n, k = 0, bad = 0;
	const struct tg_trade *t = tg_source_trade_array(s, &n);
	FZ_ASSERT(tg_replay_open_source(s, TG_REPLAY_TRADES_AE, &r) == 0);
	size_t cap = 64;
	while (cap < 4 * tg_replay_total(r))
		cap *= 2;
	struct fz_order *m = calloc(cap, sizeof(*m));
	FZ_ASSERT(m);
	const uint8_t *msg;
	uint64_t ts, prev_ts = 0;
	int len;
	*unpriced = 0;
	while ((len = tg_replay_next(r, &msg, &ts)) > 0) {
		struct tg_itch_msg im;
		FZ_ASSERT(tg_itch_decode(msg, (size_t)len, &im) == len);
		FZ_ASSERT(im.ts_ns >= prev_ts);
		prev_ts = im.ts_ns;
		uint64_t ref = 0;
		uint32_t sh = 0, px = 0;
		char side = 0;
		int trade = 0;
		switch (im.type) {
		case 'A':
			ref = im.u.add_order.order_ref;
			break;
		case 'X':
			ref = im.u.order_cancel.order_ref;
			sh = im.u.order_cancel.shares;
			break;
		case 'D':
			ref = im.u.order_delete.order_ref;
			break;
		case 'E':
			ref = im.u.order_executed.order_ref;
			sh = im.u.order_executed.shares;
			trade = 1;
			break;
		case 'P':
			trade = 1;
			px = im.u.trade.price_e4;
			sh = im.u.trade.shares;
			side = im.u.trade.side == 'B' ? 'S' : 'B';
			break;
		default:
			continue;
		}
		size_t i = (size_t)(ref * 0x9e3779b97f4a7c15ull >> 32) & (cap - 1);
		if (im.type != 'P') {
			while (m[i].used && m[i].ref != ref)
				i = (i + 1) & (cap - 1);
		}
		if (im.type == 'A') {
			m[i] = (struct fz_order){ref, im.u.add_order.price_e4,
			                         im.u.add_order.shares, im.u.add_order.side, 1};
			continue;
		}
		if (im.type != 'P') {
			if (!m[i].used || m[i].shares == 0 || sh > m[i].shares) {
				(*unpriced)++;
				if (trade)
					k++;
				continue;
			}
			m[i].shares = im.type == 'D' ? 0 : m[i].shares - sh;
			if (trade) {
				px = m[i].price;
				side = m[i].side == 'B' ? 'S' : 'B';
			}
		}
		if (!trade)
			continue;
		FZ_ASSERT(k < n);
		if (t[k].price_e4 != px || t[k].shares != sh || (t[k].side && t[k].side != side) ||
		    t[k].exch_ts_ns != im.ts_ns)
			bad++;
		k++;
	}
	FZ_ASSERT(len == 0);
	FZ_ASSERT(k == n);
	free(m);
	tg_replay_close(r);
	return bad;
}

static void check_trades(struct tg_source *s)
{
	uint64_t n;
	const struct tg_trade *t = tg_source_trade_array(s, &n);
	uint32_t ni = tg_source_instruments(s);
	uint64_t *next = calloc(ni + 1, sizeof(*next)), total = 0;
	FZ_ASSERT(next);
	for (uint64_t i = 0; i < n; i++) {
		FZ_ASSERT(i == 0 || t[i].exch_ts_ns >= t[i - 1].exch_ts_ns);
		FZ_ASSERT(t[i].instrument < ni);
		FZ_ASSERT(t[i].tick == next[t[i].instrument]);
		FZ_ASSERT(t[i].locate == t[i].instrument + 1);
		FZ_ASSERT(t[i].match_no == i + 1);
		next[t[i].instrument]++;
	}
	for (uint32_t i = 0; i < ni; i++) {
		FZ_ASSERT(tg_source_instrument_trades(s, i) == next[i]);
		total += next[i];
		FZ_ASSERT(i == 0 ||
		          strcmp(tg_source_symbol(s, i - 1), tg_source_symbol(s, i)) < 0 ||
		          tg_source_kind(s) == TG_SOURCE_LOBSTER);
	}
	FZ_ASSERT(total == n);
	free(next);
}

int tg_fuzz_feedsim_csv(const uint8_t *data, size_t size)
{
	struct tg_source *s;
	int rc = tg_source_open_csv_mem(data, size, &s);
	fz_inputs++;
	if (rc) {
		FZ_ASSERT(rc == -EBADMSG || rc == -ENOMEM);
		return 0;
	}
	struct tg_source_stats st;
	tg_source_get_stats(s, &st);
	FZ_ASSERT(st.lines == count_lines(data, size));
	FZ_ASSERT(st.lines == st.blank + st.rejected + tg_source_trades(s));
	const struct tg_reject *rj;
	size_t nr = tg_source_rejects(s, &rj);
	for (size_t i = 0; i < nr; i++)
		FZ_ASSERT(rj[i].line >= 1 && rj[i].line <= st.lines && rj[i].reason &&
		          (i == 0 || rj[i].line > rj[i - 1].line));
	fz_loaded++;
	fz_trades += tg_source_trades(s);
	check_trades(s);
	uint64_t unpriced;
	FZ_ASSERT(walk_replay(s, &unpriced) == 0);
	FZ_ASSERT(unpriced == 0);
	tg_source_close(s);
	return 0;
}

int tg_fuzz_feedsim_lobster(const uint8_t *data, size_t size)
{
	struct tg_source *s;
	int rc = tg_source_open_lobster_mem(data, size, "FUZZ", &s);
	fz_inputs++;
	if (rc) {
		FZ_ASSERT(rc == -EBADMSG || rc == -ENOMEM);
		return 0;
	}
	struct tg_source_stats st;
	tg_source_get_stats(s, &st);
	FZ_ASSERT(st.lines == count_lines(data, size));
	FZ_ASSERT(st.lines == st.blank + st.rejected + st.events);
	FZ_ASSERT(st.synth_adds >= st.orphan_orders);
	fz_loaded++;
	fz_trades += tg_source_trades(s);
	check_trades(s);
	uint64_t unpriced;
	FZ_ASSERT(walk_replay(s, &unpriced) == 0);
	FZ_ASSERT(unpriced <= st.oversubscribed);
	tg_source_close(s);
	return 0;
}

#if defined(TG_LIBFUZZER)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(TG_FUZZ_MAIN_feedsim_csv)
	return tg_fuzz_feedsim_csv(data, size);
#else
	return tg_fuzz_feedsim_lobster(data, size);
#endif
}
#else

#include "tests/tg_test.h"

struct corpus {
	uint8_t *buf[256];
	size_t len[256];
	size_t n;
};

static void load(const char *target, struct corpus *c)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "tests/feedsim-corpus/%s", target);
	DIR *d = opendir(dir);
	c->n = 0;
	if (!d) {
		TG_FAIL("cannot open %s (run from the repository root)", dir);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) && c->n < 256) {
		char path[600];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &sb) || !S_ISREG(sb.st_mode))
			continue;
		FILE *f = fopen(path, "rb");
		size_t len = (size_t)sb.st_size;
		uint8_t *b = malloc(len ? len : 1);
		if (!f || (len && fread(b, 1, len, f) != len))
			TG_FAIL("cannot read %s", path);
		if (f)
			fclose(f);
		c->buf[c->n] = b;
		c->len[c->n++] = len;
	}
	closedir(d);
}

static void unload(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->buf[i]);
}

static uint64_t rnd(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Seeded mutations: byte changes biased to CSV-meaningful characters,
 * insertions, deletions, line duplication. Exact-size heap copies, so an
 * overread is caught under ASan. */
static void mutate_run(struct corpus *c, int (*fn)(const uint8_t *, size_t), uint64_t iters)
{
	static const char alphabet[] = "0123456789.,-\"\r\n :TABS ";
	uint64_t x = 12345;
	for (uint64_t it = 0; it < iters && c->n; it++) {
		size_t k = (size_t)(rnd(&x) % c->n);
		size_t len = c->len[k], cap = len * 2 + 64;
		uint8_t *b = malloc(cap);
		memcpy(b, c->buf[k], len);
		int muts = 1 + (int)(rnd(&x) % 4);
		for (int m = 0; m < muts; m++) {
			size_t pos = len ? (size_t)(rnd(&x) % len) : 0;
			switch (rnd(&x) % 5) {
			case 0:
				if (len)
					b[pos] =
					    (uint8_t)alphabet[rnd(&x) % (sizeof(alphabet) - 1)];
				break;
			case 1:
				if (len)
					b[pos] = (uint8_t)rnd(&x);
				break;
			case 2:
				if (len + 1 < cap) {
					memmove(b + pos + 1, b + pos, len - pos);
					b[pos] =
					    (uint8_t)alphabet[rnd(&x) % (sizeof(alphabet) - 1)];
					len++;
				}
				break;
			case 3:
				if (len) {
					size_t del = 1 + (size_t)(rnd(&x) % 8);
					if (del > len - pos)
						del = len - pos;
					memmove(b + pos, b + pos + del, len - pos - del);
					len -= del;
				}
				break;
			default: { /* duplicate a span */
				size_t span = 1 + (size_t)(rnd(&x) % 40);
				if (span > len - pos)
					span = len - pos;
				if (len + span <= cap) {
					memmove(b + pos + span, b + pos, len - pos);
					len += span;
				}
				break;
			}
			}
		}
		uint8_t *exact = malloc(len ? len : 1);
		memcpy(exact, b, len);
		fn(exact, len);
		free(exact);
		free(b);
	}
}

static void t_csv_corpus(void)
{
	struct corpus c;
	load("csv", &c);
	TG_CHECK(c.n >= 6);
	for (size_t i = 0; i < c.n; i++)
		tg_fuzz_feedsim_csv(c.buf[i], c.len[i]);
	fz_inputs = fz_loaded = fz_trades = 0;
	mutate_run(&c, tg_fuzz_feedsim_csv, (uint64_t)(20000 * tg_test_scale()));
	printf("csv: %llu mutated inputs, %llu loaded, %llu trades checked\n",
	       (unsigned long long)fz_inputs, (unsigned long long)fz_loaded,
	       (unsigned long long)fz_trades);
	TG_CHECK(fz_loaded > fz_inputs / 20); /* the loop really parses */
	unload(&c);
}

static void t_lobster_corpus(void)
{
	struct corpus c;
	load("lobster", &c);
	TG_CHECK(c.n >= 4);
	for (size_t i = 0; i < c.n; i++)
		tg_fuzz_feedsim_lobster(c.buf[i], c.len[i]);
	fz_inputs = fz_loaded = fz_trades = 0;
	mutate_run(&c, tg_fuzz_feedsim_lobster, (uint64_t)(20000 * tg_test_scale()));
	printf("lobster: %llu mutated inputs, %llu loaded, %llu trades checked\n",
	       (unsigned long long)fz_inputs, (unsigned long long)fz_loaded,
	       (unsigned long long)fz_trades);
	TG_CHECK(fz_loaded > fz_inputs / 20); /* the loop really parses */
	unload(&c);
}

/* The walker can fail: an input that over-executes an order is reported
 * as unpriceable by it (and counted by the loader). */
static void t_walker_catches(void)
{
	static const char over[] = "34200.1,1,5,10,5000000,1\n34200.2,4,5,30,5000000,1\n";
	struct tg_source *s;
	uint64_t unpriced = 0;
	TG_CHECK_EQ_I64(tg_source_open_lobster_mem(over, sizeof(over) - 1, "X", &s), 0);
	struct tg_source_stats st;
	tg_source_get_stats(s, &st);
	TG_CHECK_EQ_U64(st.oversubscribed, 1);
	TG_CHECK_EQ_U64(walk_replay(s, &unpriced), 0);
	TG_CHECK_EQ_U64(unpriced, 1);
	tg_source_close(s);
}

int main(void)
{
	tg_test_case("csv_corpus", t_csv_corpus);
	tg_test_case("lobster_corpus", t_lobster_corpus);
	tg_test_case("walker_catches", t_walker_catches);
	return tg_test_done();
}
#endif
