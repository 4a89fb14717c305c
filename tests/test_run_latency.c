/* test_run_latency.c - tick -> alert latency from the exchange timestamp,
 * end to end (`tickguard run`, every process real, synthetic market):
 *  - live: a paced run (clock auto = live) reports a finite exchange ->
 *    alert p50 and p99 >= p50 >= gateway receive -> alert p50 (less a
 *    small tolerance: the exchange stamp precedes the receive), in the
 *    summary JSON and on stdout; every alert line's exch_ts_ns is a time of
 *    day of the wall clock that precedes its receive and emit stamps;
 *  - source: the same run with --clock source reports "n/a" with the
 *    reason and no exchange-latency samples (a replayed 09:30-16:00 clock
 *    is never measured, even at an hour where it would look plausible);
 *  - a bad --clock is a usage error.
 * Each run has its own work and shared-memory directories. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/test_json_util.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"

#define DAY_NS 86400000000000ull

static char base[256], bin[512];

/* `tickguard run` for case `name` (tg_test_run_start), waited for; its
 * shared-memory directory removed after. The exit status. */
static int run_tickguard(const char *name, const char *const *args)
{
	int rc = tg_test_run_finish(tg_test_run_start(bin, base, "tgtest-runlat", name, args), base,
	                            name);
	char shm[512], cmd[600];
	tg_test_run_shm(shm, sizeof(shm), "tgtest-runlat", name);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", shm);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", shm);
	return rc;
}

static cJSON *load_summary(const char *name)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s/summary.json", base, name);
	cJSON *j = tg_test_json_load(p);
	TG_CHECK(j != NULL);
	return j;
}

static const char *jstr(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItem(o, a);
	x = b ? cJSON_GetObjectItem(x, b) : x;
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static bool full(void)
{
	return tg_test_scale() >= 1.0;
}

/* Sanitizers: a slower feed, so the scorer scores rather than coalesces. */
static const char *rate(void)
{
	return full() ? "40000" : "10000";
}

/* Every open alert: exch_ts_ns is the wall clock's time of day (UTC) of
 * its tick, at or before the gateway received it (50 us for the clock
 * pairing) and at most 10 s before it was emitted. Returns alerts seen. */
static int check_alert_lines(const char *name)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s/alerts.jsonl", base, name);
	FILE *f = fopen(p, "r");
	TG_CHECK(f != NULL);
	if (!f)
		return 0;
	char line[2048];
	int opens = 0, bad = 0;
	while (fgets(line, sizeof(line), f)) {
		cJSON *j = cJSON_Parse(line);
		if (!j || strcmp(jstr(j, "event", NULL) ? jstr(j, "event", NULL) : "", "open")) {
			bad += j == NULL;
			cJSON_Delete(j);
			continue;
		}
		opens++;
		/* Unix ns exceed a double's 53 bits: read the integers exactly */
		unsigned long long exch = 0, recv = 0, emit = 0;
		const char *e = strstr(line, "\"exch_ts_ns\":"),
		           *r = strstr(line, "\"recv_ts_ns\":"),
		           *m = strstr(line, "\"emit_ts_ns\":");
		if (!e || !r || !m || sscanf(e + 13, "%llu", &exch) != 1 ||
		    sscanf(r + 13, "%llu", &recv) != 1 || sscanf(m + 13, "%llu", &emit) != 1) {
			bad++;
			cJSON_Delete(j);
			continue;
		}
		unsigned long long midnight = emit - emit % DAY_NS;
		if (exch > emit - midnight + DAY_NS / 2)
			midnight -= DAY_NS; /* stamped before midnight, emitted after */
		long long before_recv = (long long)(recv - midnight) - (long long)exch;
		long long before_emit = (long long)(emit - midnight) - (long long)exch;
		if (before_recv < -50000 || before_emit < 0 || before_emit > 10000000000ll) {
			TG_FAIL(
			    "alert: exch_ts_ns %llu, recv - midnight %llu, emit - midnight %llu",
			    exch, recv - midnight, emit - midnight);
			bad++;
		}
		cJSON_Delete(j);
	}
	fclose(f);
	TG_CHECK_EQ_I64(bad, 0);
	return opens;
}

static void t_live(void)
{
	const char *args[] = {"--trades",
	                      full() ? "3000" : "1500",
	                      "--train-trades",
	                      full() ? "1500" : "1000",
	                      "--train-args",
	                      "--units 16,8 --epochs 2 --stride 4 --percentile 99.5 --scale "
	                      "log_ret",
	                      "--rate",
	                      rate(),
	                      NULL};
	TG_CHECK_EQ_I64(run_tickguard("live", args), 0);
	cJSON *s = load_summary("live");
	if (!s)
		return;
	TG_CHECK_STR(jstr(s, "result", NULL), "ok");
	const cJSON *l = cJSON_GetObjectItem(s, "latency");
	TG_CHECK_STR(jstr(l, "clock", NULL), "live");
	double n = tg_test_json_num(l, "exch_to_alert.n"),
	       p50 = tg_test_json_num(l, "exch_to_alert.p50_ns");
	double p99 = tg_test_json_num(l, "exch_to_alert.p99_ns"),
	       p999 = tg_test_json_num(l, "exch_to_alert.p999_ns");
	double rn = tg_test_json_num(l, "recv_to_alert.n"),
	       r50 = tg_test_json_num(l, "recv_to_alert.p50_ns");
	fprintf(stderr,
	        "  live: exchange -> alert n %.0f p50 %.1f us p99 %.1f us p99.9 %.1f us; "
	        "receive -> alert n %.0f p50 %.1f us\n",
	        n, p50 / 1e3, p99 / 1e3, p999 / 1e3, rn, r50 / 1e3);
	TG_CHECK(tg_test_json_num(s, "publisher.alerts") > 0);
	TG_CHECK(n > 0);
	TG_CHECK_NEAR(n + tg_test_json_num(l, "exch_to_alert.out_of_range"), rn, 0, 0);
	TG_CHECK(p50 > 0 && p50 < 3.6e12);
	TG_CHECK(p99 >= p50);
	TG_CHECK(p999 >= p99);
	/* histogram buckets are upper bounds within 6.25 %: 10 % + 20 us */
	TG_CHECK(p50 >= r50 * 0.9 - 20000);
	TG_CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(l, "exch_to_alert"), "na") == NULL);
	TG_CHECK(tg_test_json_num(s, "publisher.exch_clock") == 1);
	int opens = check_alert_lines("live");
	TG_CHECK(opens > 0);
	char p[600];
	snprintf(p, sizeof(p), "%s/live.out", base);
	char *out = tg_test_slurp(p, NULL);
	TG_CHECK(out && strstr(out, "latency tick -> alert (exchange timestamp -> emitted"));
	free(out);
	cJSON_Delete(s);
}

static void t_source(void)
{
	char model[600];
	snprintf(model, sizeof(model), "%s/live/model", base);
	struct stat st;
	if (stat(model, &st) != 0)
		TG_SKIP("no model from the live case");
	const char *args[] = {"--trades", full() ? "3000" : "1500",
	                      "--model",  model,
	                      "--rate",   rate(),
	                      "--clock",  "source",
	                      NULL};
	TG_CHECK_EQ_I64(run_tickguard("source", args), 0);
	cJSON *s = load_summary("source");
	if (!s)
		return;
	TG_CHECK_STR(jstr(s, "result", NULL), "ok");
	const cJSON *l = cJSON_GetObjectItem(s, "latency");
	TG_CHECK_STR(jstr(l, "clock", NULL), "source");
	TG_CHECK(tg_test_json_num(s, "publisher.alerts") > 0);
	TG_CHECK_NEAR(tg_test_json_num(l, "exch_to_alert.n"), 0, 0, 0);
	TG_CHECK(tg_test_json_num(l, "exch_to_alert.p50_ns") < 0); /* absent */
	const char *na = jstr(cJSON_GetObjectItem(l, "exch_to_alert"), "na", NULL);
	TG_CHECK(na && strstr(na, "source's clock"));
	TG_CHECK_NEAR(tg_test_json_num(s, "publisher.lat_alert_exch_replayed_clock"),
	              tg_test_json_num(l, "recv_to_alert.n"), 0, 0);
	TG_CHECK(tg_test_json_num(l, "recv_to_alert.p50_ns") > 0);
	char p[600];
	snprintf(p, sizeof(p), "%s/source.out", base);
	char *out = tg_test_slurp(p, NULL);
	TG_CHECK(out && strstr(out, "latency from exchange timestamps: n/a"));
	free(out);
	cJSON_Delete(s);
}

/* --clock is validated: one line, exit 2, before anything starts. */
static void t_bad_clock(void)
{
	const char *args[] = {"--clock", "wall", NULL};
	TG_CHECK_EQ_I64(run_tickguard("bad_clock", args), 2);
	char p[600];
	snprintf(p, sizeof(p), "%s/bad_clock.out", base);
	char *out = tg_test_slurp(p, NULL);
	TG_CHECK(out && strstr(out, "clock must be live, source or auto"));
	free(out);
}

int main(void)
{
	tg_test_bin(bin, sizeof(bin));
	snprintf(base, sizeof(base), "build/%s/test-run-latency",
	         getenv("TG_MODE") ? getenv("TG_MODE") : "release");
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s", base, base);
	if (system(cmd) != 0)
		return 1;
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "SKIP: %s not built\n", bin);
		return 77;
	}
	tg_test_case("live", t_live);
	tg_test_case("source", t_source);
	tg_test_case("bad_clock", t_bad_clock);
	return tg_test_done();
}
