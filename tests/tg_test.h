/* tg_test.h - the test harness: each test program is its own process with
 * named cases; checks print both values; a case can skip. The program ends
 * with one line "tg-test: N passed, N failed, N skipped" (cases), which
 * mk/run-tests.sh sums; exit status 1 on failure, 77 if everything skipped.
 *
 * Use:  static void t_wrap(void) { TG_CHECK_EQ_U64(a, b); }
 *       int main(void) { tg_test_case("wrap", t_wrap); return tg_test_done(); }
 */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tg_test_state {
	const char *cur;
	int failed_checks;
	int passed, failed, skipped;
	jmp_buf skip;
};
static struct tg_test_state tg_test_st;

#define TG_FAIL(...)                                                                               \
	do {                                                                                       \
		fprintf(stderr, "FAIL %s:%d [%s] ", __FILE__, __LINE__, tg_test_st.cur);           \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		tg_test_st.failed_checks++;                                                        \
	} while (0)

#define TG_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond))                                                                       \
			TG_FAIL("check failed: %s", #cond);                                        \
	} while (0)

#define TG_CHECK_EQ_U64(a, b)                                                                      \
	do {                                                                                       \
		uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b);                                 \
		if (va_ != vb_)                                                                    \
			TG_FAIL("%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, va_, vb_);            \
	} while (0)

#define TG_CHECK_EQ_I64(a, b)                                                                      \
	do {                                                                                       \
		int64_t va_ = (int64_t)(a), vb_ = (int64_t)(b);                                    \
		if (va_ != vb_)                                                                    \
			TG_FAIL("%s == %s: %" PRId64 " != %" PRId64, #a, #b, va_, vb_);            \
	} while (0)

#define TG_CHECK_STR(a, b)                                                                         \
	do {                                                                                       \
		const char *va_ = (a), *vb_ = (b);                                                 \
		if (!va_ || !vb_ || strcmp(va_, vb_) != 0)                                         \
			TG_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, va_ ? va_ : "(null)",        \
			        vb_ ? vb_ : "(null)");                                             \
	} while (0)

/* |a-b| <= tol_abs + tol_rel*|b| */
#define TG_CHECK_NEAR(a, b, tol_abs, tol_rel)                                                      \
	do {                                                                                       \
		double va_ = (double)(a), vb_ = (double)(b);                                       \
		if (!(fabs(va_ - vb_) <= (tol_abs) + (tol_rel)*fabs(vb_)))                         \
			TG_FAIL("%s ~= %s: %.9g vs %.9g", #a, #b, va_, vb_);                       \
	} while (0)

/* Stop the current case and count it as skipped (missing NIC, privilege...). */
#define TG_SKIP(...)                                                                               \
	do {                                                                                       \
		fprintf(stderr, "SKIP [%s] ", tg_test_st.cur);                                     \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		longjmp(tg_test_st.skip, 1);                                                       \
	} while (0)

static inline void tg_test_case(const char *name, void (*fn)(void))
{
	tg_test_st.cur = name;
	tg_test_st.failed_checks = 0;
	if (setjmp(tg_test_st.skip)) {
		tg_test_st.skipped++;
		return;
	}
	fn();
	if (tg_test_st.failed_checks) {
		tg_test_st.failed++;
		fprintf(stderr, "not ok %s\n", name);
	} else {
		tg_test_st.passed++;
		fprintf(stderr, "ok %s\n", name);
	}
	fflush(stderr);
}

static inline int tg_test_done(void)
{
	printf("tg-test: %d passed, %d failed, %d skipped\n", tg_test_st.passed, tg_test_st.failed,
	       tg_test_st.skipped);
	fflush(stdout);
	if (tg_test_st.failed)
		return 1;
	if (tg_test_st.passed == 0 && tg_test_st.skipped > 0)
		return 77;
	return 0;
}

/* Where ../shared/data is (tests run from the repository root). */
static inline const char *tg_test_data_dir(void)
{
	const char *d = getenv("TG_DATA_DIR");
	return d && *d ? d : "../shared/data";
}

/* A whole file, NUL-terminated (malloc'd, the caller frees), its length in
 * *len when len is not NULL; NULL if it cannot be read. */
static inline char *tg_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (len)
		*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	if (b)
		b[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

/* "dir/name" in one of 8 static buffers used in turn, so that up to 8 such
 * paths can be used together (in one argument list). */
static inline const char *tg_test_path(const char *dir, const char *name)
{
	static char buf[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* Whether both files can be read and hold the same bytes. */
static inline int tg_test_same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = tg_test_slurp(a, &na), *y = tg_test_slurp(b, &nb);
	int same = x && y && na == nb && memcmp(x, y, na) == 0;
	free(x);
	free(y);
	return same;
}

/* Scale factor for heavy loops: 1 in release, smaller under sanitizers. */
static inline double tg_test_scale(void)
{
	const char *s = getenv("TG_TEST_SCALE");
	return s && *s ? atof(s) : 1.0;
}

#endif
