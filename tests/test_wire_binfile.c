/* test_wire_binfile.c - the BinaryFILE reader on the two real files and
 * on malformed input. ex20101224.TEST_ITCH_50 has every length prefix set
 * to 0 (the reader must frame by type and say so); the counts per type are
 * the file's documented content (12,012 messages, 5,000 trades). */
#include "tests/tg_test.h"
#include "wire/binfile.h"
#include "wire/itch.h"

static void count_file(const char *name, uint64_t *cnt, struct tg_binfile *out)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/itch/%s", tg_test_data_dir(), name);
	struct tg_binfile f;
	int rc = tg_binfile_open(&f, path);
	if (rc == -ENOENT)
		TG_SKIP("%s missing", path);
	TG_CHECK_EQ_I64(rc, 0);
	memset(cnt, 0, 256 * sizeof(*cnt));
	const uint8_t *m;
	size_t n;
	uint64_t last_ts = 0, backwards = 0;
	while ((rc = tg_binfile_next(&f, &m, &n)) > 0) {
		struct tg_itch_msg im;
		int d = tg_itch_decode(m, n, &im);
		if (d < 0) {
			TG_FAIL("record %" PRIu64 " at %zu: %s", f.records, tg_binfile_offset(&f),
			        tg_wire_strerror(d));
			break;
		}
		cnt[im.type]++;
		TG_CHECK(im.ts_ns < 86400ull * 1000000000ull);
		backwards += im.ts_ns < last_ts;
		last_ts = im.ts_ns;
	}
	TG_CHECK_EQ_I64(rc, 0);
	TG_CHECK_EQ_U64(backwards, 0);
	*out = f;
	tg_binfile_close(&f);
}

static void t_test_itch_50(void)
{
	uint64_t c[256];
	struct tg_binfile f;
	count_file("ex20101224.TEST_ITCH_50", c, &f);
	TG_CHECK_EQ_U64(f.records, 12012);
	TG_CHECK_EQ_U64(f.zero_len_fixed, 12012); /* the caller warns once */
	TG_CHECK_EQ_U64(f.len_mismatch, 0);
	TG_CHECK_EQ_U64(c['P'], 5000);
	TG_CHECK_EQ_U64(c['A'], 4997);
	TG_CHECK_EQ_U64(c['F'], 3);
	TG_CHECK_EQ_U64(c['D'], 1745);
	TG_CHECK_EQ_U64(c['E'], 198);
	TG_CHECK_EQ_U64(c['X'], 45);
	TG_CHECK_EQ_U64(c['U'], 12);
	TG_CHECK_EQ_U64(c['S'], 6);
	TG_CHECK_EQ_U64(c['R'], 3);
	TG_CHECK_EQ_U64(c['H'], 3);
	uint64_t sum = 0;
	for (int t = 0; t < 256; t++)
		sum += c[t];
	TG_CHECK_EQ_U64(sum, 12012);
}

/* First messages pinned field by field (symbols renamed ALC/BOB/CHAR by the
 * file's authors; ts 03:06:42 system start). */
static void t_test_itch_50_fields(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/itch/ex20101224.TEST_ITCH_50", tg_test_data_dir());
	struct tg_binfile f;
	if (tg_binfile_open(&f, path) == -ENOENT)
		TG_SKIP("%s missing", path);
	const uint8_t *m;
	size_t n;
	struct tg_itch_msg im;
	TG_CHECK_EQ_I64(tg_binfile_next(&f, &m, &n), 1);
	TG_CHECK_EQ_I64(tg_itch_decode(m, n, &im), 12);
	TG_CHECK_EQ_U64(im.type, 'S');
	TG_CHECK_EQ_U64(im.ts_ns, 11202475298710ull);
	TG_CHECK_EQ_U64(im.u.system_event.event_code, 'O');
	TG_CHECK_EQ_I64(tg_binfile_next(&f, &m, &n), 1);
	TG_CHECK_EQ_I64(tg_itch_decode(m, n, &im), 39);
	TG_CHECK_EQ_U64(im.type, 'R');
	TG_CHECK_EQ_U64(im.stock_locate, 1);
	TG_CHECK(memcmp(im.u.stock_directory.stock, "ALC     ", 8) == 0);
	TG_CHECK_EQ_U64(im.u.stock_directory.market_category, 'N');
	TG_CHECK_EQ_U64(im.u.stock_directory.round_lot_size, 100);
	TG_CHECK_EQ_U64(im.u.stock_directory.luld_ref_price_tier, '2');
	/* find the first trade */
	int rc;
	while ((rc = tg_binfile_next(&f, &m, &n)) > 0 && m[0] != 'P')
		;
	TG_CHECK_EQ_I64(rc, 1);
	TG_CHECK_EQ_I64(tg_itch_decode(m, n, &im), 44);
	TG_CHECK_EQ_U64(f.records, 33);
	TG_CHECK_EQ_U64(im.ts_ns, 34210128591201ull);
	TG_CHECK_EQ_U64(im.stock_locate, 2);
	TG_CHECK_EQ_U64(im.u.trade.side, 'B');
	TG_CHECK_EQ_U64(im.u.trade.shares, 200);
	TG_CHECK(memcmp(im.u.trade.stock, "BOB     ", 8) == 0);
	TG_CHECK_EQ_U64(im.u.trade.price_e4, 53333);
	TG_CHECK_EQ_U64(im.u.trade.match_no, 19447);
	tg_binfile_close(&f);
}

static void t_directory_only(void)
{
	uint64_t c[256];
	struct tg_binfile f;
	count_file("directory_only_sample.itch", c, &f);
	TG_CHECK_EQ_U64(f.records, 1000);
	TG_CHECK_EQ_U64(f.zero_len_fixed, 0); /* real prefixes here */
	TG_CHECK_EQ_U64(c['R'], 993);
	TG_CHECK_EQ_U64(c['S'], 1);
	TG_CHECK_EQ_U64(c['H'], 3);
	TG_CHECK_EQ_U64(c['Y'], 3);
	TG_CHECK_EQ_U64(c['A'] + c['E'] + c['P'] + c['C'] + c['Q'], 0);
}

static int read_all(const uint8_t *src, size_t len, struct tg_binfile *f)
{
	uint8_t *b = malloc(len ? len : 1); /* exact size for ASan */
	if (len)
		memcpy(b, src, len);
	tg_binfile_init_mem(f, b, len);
	const uint8_t *m;
	size_t n;
	int rc;
	uint64_t guard = 0;
	while ((rc = tg_binfile_next(f, &m, &n)) > 0 && guard++ < len + 1)
		TG_CHECK(n >= 1);
	TG_CHECK(guard <= len); /* never loops */
	free(b);
	return rc;
}

static void t_malformed(void)
{
	struct tg_binfile f;
	uint8_t b[128];
	memset(b, 0, sizeof(b));
	TG_CHECK_EQ_I64(read_all(b, 0, &f), 0);
	TG_CHECK_EQ_I64(read_all(b, 1, &f), TG_WIRE_ETRUNC);
	TG_CHECK_EQ_I64(read_all(b, 2, &f), TG_WIRE_EEMPTY);
	/* zero prefix + unknown type: cannot frame, stop */
	b[2] = 'Z';
	TG_CHECK_EQ_I64(read_all(b, 40, &f), TG_WIRE_ETYPE);
	TG_CHECK_EQ_U64(f.records, 0);
	/* zero prefix + 'D' but the file ends inside it */
	b[2] = 'D';
	TG_CHECK_EQ_I64(read_all(b, 2 + 18, &f), TG_WIRE_ETRUNC);
	TG_CHECK_EQ_U64(f.zero_len_fixed, 0); /* counts returned records only (fuzz find) */
	TG_CHECK_EQ_I64(read_all(b, 2 + 19, &f), 0);
	TG_CHECK_EQ_U64(f.records, 1);
	TG_CHECK_EQ_U64(f.zero_len_fixed, 1);
	/* a non-zero prefix that disagrees with the type is framed by the
	 * prefix, counted, and the next record is still found */
	memset(b, 0, sizeof(b));
	b[1] = 5;
	b[2] = 'D';
	b[7 + 1] = 19;
	b[7 + 2] = 'D';
	TG_CHECK_EQ_I64(read_all(b, 7 + 21, &f), 0);
	TG_CHECK_EQ_U64(f.records, 2);
	TG_CHECK_EQ_U64(f.len_mismatch, 1);
	/* a prefix past the end */
	b[0] = 0xff;
	TG_CHECK_EQ_I64(read_all(b, 100, &f), TG_WIRE_ETRUNC);
	/* encode + read back */
	uint8_t rec[64];
	const uint8_t msg[12] = {'S'};
	TG_CHECK_EQ_I64(tg_binfile_record_encode(msg, 12, rec, sizeof(rec)), 14);
	TG_CHECK_EQ_I64(tg_binfile_record_encode(msg, 12, rec, 13), TG_WIRE_ESPACE);
	TG_CHECK_EQ_I64(tg_binfile_record_encode(msg, 0, rec, 13), TG_WIRE_EINVAL);
	TG_CHECK_EQ_I64(read_all(rec, 14, &f), 0);
	TG_CHECK_EQ_U64(f.records, 1);
	TG_CHECK_EQ_I64(tg_binfile_open(&f, "/nonexistent/x.itch"), -ENOENT);
	tg_binfile_close(&f);
}

int main(void)
{
	tg_test_case("test_itch_50_counts", t_test_itch_50);
	tg_test_case("test_itch_50_fields", t_test_itch_50_fields);
	tg_test_case("directory_only", t_directory_only);
	tg_test_case("malformed", t_malformed);
	return tg_test_done();
}
