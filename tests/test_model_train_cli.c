/* test_model_train_cli.c - `tickguard train` and `tickguard calibrate` as a
 * user runs them: usage errors exit 2, a run killed after N steps and
 * continued with --resume writes the same weights (byte for byte) as an
 * uninterrupted run, calibrate --dry-run changes nothing while calibrate
 * rewrites the threshold, and a tick CSV (with a header and a bad row) is
 * streamed into a package. Skips when the binary was not built. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/test_proc_util.h"
#include "tests/tg_test.h"

static char bin[512], tmp[256];
static const char *trades = "2500"; /* per instrument; fewer under sanitizers */

/* Run tickguard with the NULL-terminated arguments; output into log.
 * Returns the exit status (or -1). */
static int run(const char *log, ...)
{
	const char *argv[64] = {bin};
	int n = 1;
	va_list ap;
	va_start(ap, log);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL && n < 63)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return tg_test_run(bin, argv, log);
}

static const char *p(const char *name)
{
	return tg_test_path(tmp, name);
}

static void need_bin(void)
{
	if (access(bin, X_OK) != 0)
		TG_SKIP("%s not built", bin);
}

#define SMALL                                                                                      \
	"--synthetic", "--synth-instruments", "2", "--synth-trades", trades, "--window", "20",     \
	    "--units", "8,4", "--epochs", "2", "--checkpoint-every", "20", "--quiet"

static void t_usage(void)
{
	need_bin();
	const char *log = p("usage.log");
	TG_CHECK_EQ_I64(run(log, "train", "--help", NULL), 0);
	TG_CHECK_EQ_I64(run(log, "train", NULL), 2);
	TG_CHECK_EQ_I64(run(log, "train", "--out", p("x"), "--synthetic", "--epochs", "0", NULL),
	                2);
	TG_CHECK_EQ_I64(run(log, "train", "--out", p("x"), "--synthetic", "--act", "gelu", NULL),
	                2);
	TG_CHECK_EQ_I64(run(log, "train", "--out", p("x"), "--input", "a", "--synthetic", NULL), 2);
	TG_CHECK_EQ_I64(run(log, "train", "--out", p("x"), "--input", "/nonexistent.csv", NULL), 1);
	size_t n0;
	char *s0 = tg_test_slurp(log, &n0);
	TG_CHECK(s0 && strstr(s0, "cannot open /nonexistent.csv"));
	free(s0);
	TG_CHECK_EQ_I64(run(log, "train", "--out", p("x"), SMALL, "--resume", NULL), 1);
	s0 = tg_test_slurp(log, &n0);
	TG_CHECK(s0 && strstr(s0, "cannot resume"));
	free(s0);
	TG_CHECK_EQ_I64(run(log, "calibrate", "--help", NULL), 0);
	TG_CHECK_EQ_I64(run(log, "calibrate", "--bogus", NULL), 2);
	TG_CHECK_EQ_I64(run(log, "calibrate", "--model", p("none"), "--synthetic", NULL), 1);
	size_t n;
	char *s = tg_test_slurp(log, &n);
	TG_CHECK(s && strstr(s, "tickguard calibrate:"));
	free(s);
}

static void t_resume(void)
{
	need_bin();
	TG_CHECK_EQ_I64(run(p("a.log"), "train", "--out", p("a"), SMALL, NULL), 0);
	TG_CHECK_EQ_I64(
	    run(p("b.log"), "train", "--out", p("b"), SMALL, "--stop-after", "50", NULL), 1);
	TG_CHECK(access(p("b/train.ckpt"), R_OK) == 0);
	TG_CHECK(access(p("b/model.json"), R_OK) != 0);
	TG_CHECK_EQ_I64(run(p("b2.log"), "train", "--out", p("b"), SMALL, "--resume", NULL), 0);
	TG_CHECK(tg_test_same_file(p("a/group1-shard1of1.bin"), p("b/group1-shard1of1.bin")));
	TG_CHECK(access(p("b/train.ckpt"), R_OK) != 0); /* removed once the package is written */
	/* --resume with other options is refused, not silently mixed. */
	TG_CHECK_EQ_I64(
	    run(p("c.log"), "train", "--out", p("c"), SMALL, "--stop-after", "30", NULL), 1);
	TG_CHECK_EQ_I64(
	    run(p("c2.log"), "train", "--out", p("c"), SMALL, "--lr", "0.002", "--resume", NULL),
	    1);
	size_t n;
	char *s = tg_test_slurp(p("c2.log"), &n);
	TG_CHECK(s && strstr(s, "cannot resume"));
	free(s);
}

static void t_calibrate(void)
{
	need_bin();
	if (access(p("a/detector.json"), R_OK) != 0)
		TG_CHECK_EQ_I64(run(p("a.log"), "train", "--out", p("a"), SMALL, NULL), 0);
	size_t n0, n1;
	char *before = tg_test_slurp(p("a/detector.json"), &n0);
	TG_CHECK_EQ_I64(run(p("cal.log"), "calibrate", "--model", p("a"), "--synthetic",
	                    "--synth-seed", "9", "--synth-instruments", "2", "--synth-trades",
	                    "2500", "--dry-run", "--quiet", NULL),
	                0);
	char *mid = tg_test_slurp(p("a/detector.json"), &n1);
	TG_CHECK(before && mid && n0 == n1 && memcmp(before, mid, n0) == 0);
	free(mid);
	char *log = tg_test_slurp(p("cal.log"), &n1);
	TG_CHECK(log && strstr(log, "current threshold") && strstr(log, "unchanged"));
	free(log);
	TG_CHECK_EQ_I64(run(p("cal2.log"), "calibrate", "--model", p("a"), "--synthetic",
	                    "--synth-seed", "9", "--synth-instruments", "2", "--synth-trades",
	                    "2500", "--percentile", "95", "--quiet", NULL),
	                0);
	char *after = tg_test_slurp(p("a/detector.json"), &n1);
	TG_CHECK(after && strstr(after, "calibrated on synthetic market seed 9"));
	TG_CHECK(after && strstr(after, "\"percentile\":\t95"));
	free(after);
	free(before);
}

static void t_csv(void)
{
	need_bin();
	FILE *f = fopen(p("ticks.csv"), "w");
	TG_CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "symbol,timestamp,price,size,side\n");
	double a = 100, b = 20;
	unsigned s = 1;
	for (int i = 0; i < 3000; i++) {
		s = s * 1103515245u + 12345u;
		a *= 1 + ((double)((s >> 16) & 1023) - 511.5) * 2e-7;
		b *= 1 + ((double)((s >> 6) & 1023) - 511.5) * 2e-7;
		unsigned long long ns = 34200000000000ull + (unsigned long long)i * 7000000ull;
		fprintf(f, "XYZ,%llu,%.2f,100,B\n", ns, a);
		if (i == 1234)
			fprintf(f, "XYZ,not-a-time,1.00,100,B\n");
		fprintf(f, "\"ab\",%02d:%02d:%02d.%03d,%.4f,%d\n", 9 + i / 3600, 30 + (i / 60) % 30,
		        i % 60, i % 1000, b, 1 + i % 7);
	}
	fclose(f);
	TG_CHECK_EQ_I64(run(p("csv.log"), "train", "--out", p("csvpkg"), "--input", p("ticks.csv"),
	                    "--window", "20", "--units", "8,4", "--epochs", "1", "--per-instrument",
	                    "--quiet", NULL),
	                0);
	size_t n;
	char *log = tg_test_slurp(p("csv.log"), &n);
	TG_CHECK(log && strstr(log, "1 input rows rejected (first: line 2471: bad timestamp)"));
	free(log);
	char *det = tg_test_slurp(p("csvpkg/detector.json"), &n);
	TG_CHECK(det && strstr(det, "csv ") && strstr(det, "\"AB\"") && strstr(det, "\"XYZ\""));
	free(det);
}

int main(void)
{
	tg_test_bin(bin, sizeof(bin));
	snprintf(tmp, sizeof(tmp), "/tmp/tg_test_train_cli_%d", (int)getpid());
	if (tg_test_scale() < 1)
		trades = "1000";
	mkdir(tmp, 0755);
	tg_test_case("usage", t_usage);
	tg_test_case("resume", t_resume);
	tg_test_case("calibrate", t_calibrate);
	tg_test_case("csv", t_csv);
	if (getenv("TG_KEEP_TMP"))
		return tg_test_done();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return tg_test_done();
}
