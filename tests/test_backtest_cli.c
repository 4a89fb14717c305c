/* test_backtest_cli.c - `tickguard backtest` as a user runs it: usage
 * errors (exit 2, one line), a series CSV with point labels end to end, a
 * labels file that does not fit the input (exit 1, says why), an ITCH
 * BinaryFILE, and train-then-score with 1 and 2 threads giving
 * byte-identical outputs. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/test_proc_util.h"
#include "tests/tg_test.h"

static char bin[512], tmp[256];

static const char *p(const char *name)
{
	return tg_test_path(tmp, name);
}

/* run bin <cmd> args... (NULL-terminated) with stdout+stderr to log; exit
 * status */
static int vrun(const char *log, const char *cmd, va_list ap)
{
	const char *argv[64] = {bin, cmd};
	int n = 2;
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 63)
		argv[n++] = a;
	argv[n] = NULL;
	return tg_test_run(bin, argv, log);
}

/* run bin backtest args... with stdout+stderr to log; exit status */
static int run(const char *log, ...)
{
	va_list ap;
	va_start(ap, log);
	int rc = vrun(log, "backtest", ap);
	va_end(ap);
	return rc;
}

static bool has(const char *path, const char *needle)
{
	size_t n;
	char *s = tg_test_slurp(path, &n);
	bool ok = s && strstr(s, needle);
	if (!ok)
		fprintf(stderr, "  %s does not contain \"%s\":\n%s\n", path, needle,
		        s ? s : "(none)");
	free(s);
	return ok;
}

/* run `tickguard feedsim args...`; returns its log text or NULL on failure */
static char *feedsim(const char *log, ...)
{
	va_list ap;
	va_start(ap, log);
	int rc = vrun(log, "feedsim", ap);
	va_end(ap);
	return rc == 0 ? tg_test_slurp(log, NULL) : NULL;
}

static void t_usage(void)
{
	TG_CHECK_EQ_I64(run(p("u.log"), NULL), 2);
	TG_CHECK(has(p("u.log"), "no input"));
	TG_CHECK_EQ_I64(run(p("u.log"), "--help", NULL), 0);
	TG_CHECK(has(p("u.log"), "usage: tickguard backtest"));
	TG_CHECK_EQ_I64(run(p("u.log"), "--synthetic", "--threads", "0", NULL), 2);
	TG_CHECK(has(p("u.log"), "--threads must be 1..64"));
	TG_CHECK_EQ_I64(run(p("u.log"), "--synthetic", "--bogus", NULL), 2);
	TG_CHECK_EQ_I64(run(p("u.log"), "--synthetic", "--train-frac", "1.5", NULL), 2);
	TG_CHECK_EQ_I64(run(p("u.log"), p("nope.csv"), NULL), 1);
	TG_CHECK(has(p("u.log"), "cannot open"));
	TG_CHECK_EQ_I64(run(p("u.log"), p("nope.csv"), "--model", p("nopkg"), NULL), 1);
}

static void t_series(void)
{
	/* a benchmark-style series: slow sine, a spike at rows 850-852 */
	FILE *f = fopen(p("s.csv"), "w");
	FILE *l = fopen(p("s_labels.csv"), "w");
	fputs("timestamp,value\n", f);
	fputs("timestamp,label\n", l);
	for (int k = 0; k < 1000; k++) {
		double v = 50 + 5 * sin(k / 15.0) + 0.2 * sin(k * 1.7);
		bool a = k >= 850 && k <= 852;
		fprintf(f, "2024-01-01 %02d:%02d:%02d,%.4f\n", k / 3600, (k / 60) % 60, k % 60,
		        a ? v * 1.4 : v);
		fprintf(l, "2024-01-01T%02d:%02d:%02d,%d\n", k / 3600, (k / 60) % 60, k % 60, a);
	}
	fclose(f);
	fclose(l);
	int rc = run(p("s.log"), p("s.csv"), "--window", "16", "--enc", "8", "--dec", "8",
	             "--epochs", "2", "--threads", "2", "--labels", p("s_labels.csv"), "--out",
	             p("sout"), "--quiet", NULL);
	TG_CHECK_EQ_I64(rc, 0);
	TG_CHECK(has(p("s.log"), "backtest: 1 instruments, 285 windows scored"));
	TG_CHECK(has(p("s.log"), "detection: precision"));
	TG_CHECK(has(p("sout/summary.json"), "\"f1\":"));
	TG_CHECK(has(p("sout/windows.csv"), "\ns,999,"));
	TG_CHECK(has(p("sout/report_s.html"), "<svg id=\"histogram\""));
	/* a labels file naming a symbol the input does not have */
	FILE *b = fopen(p("bad.csv"), "w");
	fputs("symbol,first_tick,last_tick,kind\nMSFT,3,4,spike\n", b);
	fclose(b);
	rc = run(p("b.log"), p("s.csv"), "--window", "16", "--enc", "8", "--dec", "8", "--labels",
	         p("bad.csv"), "--out", p("bout"), "--quiet", NULL);
	TG_CHECK_EQ_I64(rc, 1);
	TG_CHECK(has(p("b.log"), "bad.csv:2: symbol 'MSFT' is not in the input"));
	/* point labels at timestamps the series does not have */
	b = fopen(p("bad2.csv"), "w");
	fputs("timestamp,label\n2024-01-02 00:00:00,1\n", b);
	fclose(b);
	rc = run(p("b.log"), p("s.csv"), "--window", "16", "--enc", "8", "--dec", "8", "--labels",
	         p("bad2.csv"), "--out", p("bout"), "--quiet", NULL);
	TG_CHECK_EQ_I64(rc, 1);
	TG_CHECK(has(p("b.log"), "bad2.csv:2: timestamp is not in the input"));
}

static void t_ticks(void)
{
	FILE *f = fopen(p("t.csv"), "w");
	fputs("symbol,timestamp,price,size\n", f);
	for (int k = 0; k < 600; k++)
		fprintf(f, "%s,09:%02d:%02d.%03d,%.2f,100\n", k % 2 ? "XYZ" : "AB",
		        30 + k / 60 % 30, k % 60, k,
		        k % 2 ? 20 + 0.01 * (k % 7) : 50 + 0.02 * (k % 5));
	fclose(f);
	TG_CHECK_EQ_I64(run(p("t.log"), p("t.csv"), "--window", "10", "--enc", "4", "--dec", "4",
	                    "--epochs", "1", "--out", p("tout"), "--quiet", NULL),
	                0);
	TG_CHECK(has(p("t.log"), "backtest: 2 instruments, 162 windows scored"));
	TG_CHECK(has(p("tout/windows.csv"), "\nXYZ,299,"));
	TG_CHECK(has(p("tout/report_AB.html"), "<svg id=\"price\""));
}

static void t_itch(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/itch/ex20101224.TEST_ITCH_50", tg_test_data_dir());
	if (access(path, R_OK) != 0)
		TG_SKIP("%s missing", path);
	int rc = run(p("i.log"), path, "--window", "10", "--enc", "8", "--dec", "8", "--epochs",
	             "1", "--train-frac", "0.4", "--out", p("iout"), "--quiet", NULL);
	TG_CHECK_EQ_I64(rc, 0);
	TG_CHECK(has(p("i.log"), "backtest: 3 instruments"));
	TG_CHECK(has(p("iout/windows.csv"), "\nBOB,"));
}

static void t_cores(void)
{
	const char *trades = tg_test_scale() < 1 ? "1500" : "4000";
#define BT_COMMON                                                                                  \
	"--synthetic", "--instruments", "3", "--trades", trades, "--window", "20", "--enc", "8",   \
	    "--dec", "8", "--epochs", "1", "--quiet"
	int r1 = run(p("c1.log"), BT_COMMON, "--threads", "1", "--out", p("c1"), NULL);
	int r2 = run(p("c2.log"), BT_COMMON, "--threads", "2", "--out", p("c2"), NULL);
	TG_CHECK_EQ_I64(r1, 0);
	TG_CHECK_EQ_I64(r2, 0);
	TG_CHECK(tg_test_same_file(p("c1/windows.csv"), p("c2/windows.csv")));
	TG_CHECK(tg_test_same_file(p("c1/alerts.jsonl"), p("c2/alerts.jsonl")));
	TG_CHECK(has(p("c2.log"), "on 2 threads"));
	TG_CHECK(has(p("c2/alerts.jsonl"), "\"event\":\"open\""));
	/* synthetic ground truth is used without --labels */
	TG_CHECK(has(p("c1/summary.json"), "\"detection\""));
}

/* The same market as a feedsim pcap (ITCH decode + order map) and straight
 * from the source give the same windows, byte for byte; a tick CSV too. */
static char *feedsim(const char *log, ...);

static void t_pcap(void)
{
	int rc = run(p("m.log"), "--synthetic", "--seed", "9", "--instruments", "2", "--trades",
	             "1200", "--window", "20", "--enc", "8", "--dec", "8", "--epochs", "1",
	             "--save-model", p("mpkg"), "--out", p("mout"), "--quiet", NULL);
	TG_CHECK_EQ_I64(rc, 0);
	char *fs = feedsim(p("f.log"), "--seed", "3", "--instruments", "2", "--trades", "800",
	                   "--pcap", p("x.pcap"), NULL);
	TG_CHECK(fs != NULL);
	free(fs);
	TG_CHECK_EQ_I64(
	    run(p("x.log"), p("x.pcap"), "--model", p("mpkg"), "--out", p("xout"), "--quiet", NULL),
	    0);
	TG_CHECK_EQ_I64(run(p("y.log"), "--synthetic", "--seed", "3", "--instruments", "2",
	                    "--trades", "800", "--model", p("mpkg"), "--out", p("yout"), "--quiet",
	                    "--no-html", NULL),
	                0);
	TG_CHECK(has(p("x.log"), "backtest: 2 instruments, 1562 windows scored"));
	TG_CHECK(tg_test_same_file(p("xout/windows.csv"), p("yout/windows.csv")));
	/* options that only train-then-score takes are refused with --model */
	TG_CHECK_EQ_I64(run(p("z.log"), p("x.pcap"), "--model", p("mpkg"), "--epochs", "3", NULL),
	                2);
	TG_CHECK(has(p("z.log"), "train-then-score"));
}

int main(void)
{
	tg_test_bin(bin, sizeof(bin));
	snprintf(tmp, sizeof(tmp), "/tmp/tg_test_backtest_cli_%d", (int)getpid());
	mkdir(tmp, 0755);
	tg_test_case("usage", t_usage);
	tg_test_case("series", t_series);
	tg_test_case("ticks", t_ticks);
	tg_test_case("itch", t_itch);
	tg_test_case("cores", t_cores);
	tg_test_case("pcap", t_pcap);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (!getenv("TG_KEEP_TMP") && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return tg_test_done();
}
