/* test_run_e2e.c - `tickguard run` end to end, every process real: feedsim
 * -> UDP loopback -> gateway -> tick rings -> scorer -> flag ring ->
 * publisher -> alert ring + JSON lines, supervised by run.
 *  - synthetic: the run trains its own model first; the summary must show
 *    every tick in the rings, windows that add up, and (release) recall of
 *    spikes and level shifts >= 0.9 at precision >= 0.5.
 *  - kill: SIGKILL the scorer mid-run (its pid from its flag segment); the
 *    publisher reports the death, the supervisor restarts the scorer, the
 *    run ends cleanly and every finished scorer's counters add up.
 *  - lobster: AAPL/AMZN/GOOG, train before 15:30, stream the rest: every
 *    execution (LOBSTER types 4 and 5, counted here from the CSVs) reaches
 *    the rings; every alert line is valid JSON with the documented fields.
 * Each run gets its own shared-memory directory and work directory. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/test_json_util.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"
#include "tickguard/tickguard.h"

static char base[256], bin[512];

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* Start `tickguard run` with args (NULL-terminated) plus the per-case
 * workdir / shm dir / summary; output to <base>/<name>.out. */
static pid_t start_run(const char *name, const char *const *args)
{
	return tg_test_run_start(bin, base, "tgtest-run", name, args);
}

/* Start argv with stdout+stderr into `out`. */
static pid_t spawn_to(const char *const *argv, const char *out)
{
	return tg_test_spawn(argv[0], argv, out);
}

static int wait_run(pid_t pid, const char *name)
{
	return tg_test_run_finish(pid, base, name);
}

static cJSON *summary(const char *name)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s/summary.json", base, name);
	cJSON *j = tg_test_json_load(p);
	TG_CHECK(j != NULL);
	return j;
}

static void check_windows_add_up(const cJSON *s)
{
	double ready = tg_test_json_num(s, "scorers.windows_ready");
	double sum = tg_test_json_num(s, "scorers.windows_scored") +
	             tg_test_json_num(s, "scorers.windows_coalesced") +
	             tg_test_json_num(s, "scorers.windows_discarded") +
	             tg_test_json_num(s, "scorers.windows_unscored") +
	             tg_test_json_num(s, "scorers.windows_rejected");
	TG_CHECK(ready > 0);
	TG_CHECK_NEAR(ready, sum + tg_test_json_num(s, "scorers.windows_in_flight_at_crash"), 0, 0);
	/* every scorer that finished cleanly adds up exactly */
	const cJSON *segs = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "scorers"), "segments");
	const cJSON *g;
	cJSON_ArrayForEach(g, segs)
	{
		if (tg_test_json_num(g, "finished") != 1)
			continue;
		TG_CHECK_NEAR(tg_test_json_num(g, "windows_ready"),
		              tg_test_json_num(g, "windows_scored") +
		                  tg_test_json_num(g, "windows_coalesced") +
		                  tg_test_json_num(g, "windows_discarded") +
		                  tg_test_json_num(g, "windows_unscored") +
		                  tg_test_json_num(g, "windows_rejected"),
		              0, 0);
	}
}

static const char *const small_train =
    "--units 16,8 --epochs 2 --stride 4 --percentile 99.5 --scale log_ret";

static void t_synthetic(void)
{
	bool full = tg_test_scale() >= 1.0;
	const char *args[] = {"--trades",
	                      full ? "6000" : "1500",
	                      "--train-trades",
	                      full ? "4000" : "1000",
	                      "--train-args",
	                      small_train,
	                      "--rate",
	                      "40000",
	                      NULL};
	pid_t pid = start_run("synthetic", args);
	TG_CHECK_EQ_I64(wait_run(pid, "synthetic"), 0);
	cJSON *s = summary("synthetic");
	if (!s)
		return;
	TG_CHECK_STR(cJSON_GetObjectItem(s, "result")->valuestring, "ok");
	TG_CHECK(tg_test_json_num(s, "ticks_sent") > 0);
	TG_CHECK_NEAR(tg_test_json_num(s, "ticks_in_rings"), tg_test_json_num(s, "ticks_sent"), 0,
	              0);
	check_windows_add_up(s);
	TG_CHECK(tg_test_json_num(s, "publisher.alerts") > 0);
	double spike = tg_test_json_num(s, "detection.kinds.spike.recall");
	double shift = tg_test_json_num(s, "detection.kinds.level_shift.recall");
	double prec = tg_test_json_num(s, "detection.precision");
	fprintf(stderr,
	        "  synthetic: precision %.3f, recall spike %.3f level_shift %.3f "
	        "vol_burst %.3f frozen %.3f fat_finger %.3f flash_crash %.3f\n",
	        prec, spike, shift, tg_test_json_num(s, "detection.kinds.vol_burst.recall"),
	        tg_test_json_num(s, "detection.kinds.frozen.recall"),
	        tg_test_json_num(s, "detection.kinds.fat_finger.recall"),
	        tg_test_json_num(s, "detection.kinds.flash_crash.recall"));
	if (full) { /* quality needs the full-size market and model */
		TG_CHECK(spike >= 0.9);
		TG_CHECK(shift >= 0.9);
		TG_CHECK(prec >= 0.5);
	}
	cJSON_Delete(s);
}

static void t_kill_scorer(void)
{
	char model[600];
	snprintf(model, sizeof(model), "%s/synthetic/model", base);
	struct stat st;
	if (stat(model, &st) < 0)
		TG_SKIP("no model from the synthetic case");
	bool full = tg_test_scale() >= 1.0;
	const char *args[] = {"--model", model,   "--trades", full ? "6000" : "2000",
	                      "--rate",  "15000", NULL};
	pid_t pid = start_run("kill", args);
	char shm[512];
	tg_test_run_shm(shm, sizeof(shm), "tgtest-run", "kill");
	setenv("TG_SHM_DIR", shm, 1);
	/* wait (bounded) until the scorer has decided some windows, then kill it */
	pid_t victim = 0;
	for (int i = 0; i < 6000 && !victim; i++) {
		struct tg_segment *f;
		if (tg_segment_attach("flags.0", &f) == 0) {
			if (tg_ring_head(tg_segment_ring(f)) >= 500)
				victim = tg_segment_writer_pid(f);
			tg_segment_detach(f);
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			TG_FAIL("run ended before the scorer could be killed");
			return;
		}
		if (!victim)
			nap_ms(5);
	}
	TG_CHECK(victim > 0);
	/* while it runs: `tickguard tail` and the examples/ consumer attach
	 * read-only like trading processes (same shm dir via TG_SHM_DIR) */
	char tail_out[600], cons_out[600], cons_bin[600];
	snprintf(tail_out, sizeof(tail_out), "%s/tail.out", base);
	snprintf(cons_out, sizeof(cons_out), "%s/consumer.out", base);
	snprintf(cons_bin, sizeof(cons_bin), "%s", bin);
	char *slash = strrchr(cons_bin, '/');
	if (slash)
		snprintf(slash + 1, sizeof(cons_bin) - (size_t)(slash + 1 - cons_bin),
		         "tg_consumer");
	const char *tail_argv[] = {bin, "tail", "--json", "--from-start", "--count", "1", NULL};
	const char *cons_argv[] = {cons_bin, "--seconds", "1", NULL};
	pid_t tail_pid = spawn_to(tail_argv, tail_out);
	pid_t cons_pid = spawn_to(cons_argv, cons_out);
	if (victim > 0)
		kill(victim, SIGKILL);
	TG_CHECK_EQ_I64(wait_run(pid, "kill"), 0);
	int cst;
	waitpid(cons_pid, &cst, 0);
	TG_CHECK(WIFEXITED(cst) && WEXITSTATUS(cst) == 0);
	if (waitpid(tail_pid, &cst, WNOHANG) == 0) { /* no alert at all: stop it */
		kill(tail_pid, SIGTERM);
		waitpid(tail_pid, &cst, 0);
	}
	char line[2048];
	FILE *tf = fopen(tail_out, "r");
	bool tail_json = false;
	while (tf && fgets(line, sizeof(line), tf)) {
		cJSON *j = cJSON_Parse(line);
		tail_json |= j && cJSON_IsString(cJSON_GetObjectItem(j, "event"));
		cJSON_Delete(j);
	}
	if (tf)
		fclose(tf);
	TG_CHECK(tail_json);
	FILE *cf = fopen(cons_out, "r");
	bool cons_ok = false;
	while (cf && fgets(line, sizeof(line), cf))
		cons_ok |= strstr(line, "mean(20)") != NULL; /* read a window in place */
	if (cf)
		fclose(cf);
	TG_CHECK(cons_ok);
	cJSON *s = summary("kill");
	if (!s)
		return;
	TG_CHECK_STR(cJSON_GetObjectItem(s, "result")->valuestring, "ok");
	const cJSON *pr = cJSON_GetObjectItem(s, "process_restarts");
	const cJSON *sr = cJSON_GetObjectItem(pr, "scorer.0");
	TG_CHECK(cJSON_IsNumber(sr) && sr->valuedouble >= 1);
	TG_CHECK_NEAR(tg_test_json_num(s, "process_restarts.publisher"), 0, 0, 0);
	TG_CHECK(tg_test_json_num(s, "publisher.scorer_deaths") >= 1);
	TG_CHECK(tg_test_json_num(s, "scorers.incarnations") >= 2);
	TG_CHECK_NEAR(tg_test_json_num(s, "ticks_in_rings"), tg_test_json_num(s, "ticks_sent"), 0,
	              0);
	check_windows_add_up(s);
	fprintf(stderr,
	        "  kill: restarts %.0f, deaths seen by publisher %.0f, in flight at crash %.0f\n",
	        tg_test_json_num(s, "restarts"), tg_test_json_num(s, "publisher.scorer_deaths"),
	        tg_test_json_num(s, "scorers.windows_in_flight_at_crash"));
	char log[600];
	snprintf(log, sizeof(log), "%s/kill/publisher.log", base);
	FILE *f = fopen(log, "r");
	bool reported = false;
	while (f && fgets(line, sizeof(line), f))
		reported |= strstr(line, "died") != NULL;
	if (f)
		fclose(f);
	TG_CHECK(reported);
	cJSON_Delete(s);
	unsetenv("TG_SHM_DIR");
}

/* `tickguard run` with the publisher killed (SIGKILL) mid-run: the
 * supervisor restarts it, the new publisher resumes its predecessor's
 * alert stream (publisher.h "Restart"): the JSON lines hold no alert id or
 * event twice, and the cumulative counters match the lines. */
static void t_kill_publisher(void)
{
	char model[600];
	snprintf(model, sizeof(model), "%s/synthetic/model", base);
	struct stat st;
	if (stat(model, &st) < 0)
		TG_SKIP("no model from the synthetic case");
	bool full = tg_test_scale() >= 1.0;
	const char *args[] = {"--model", model,   "--trades", full ? "6000" : "2000",
	                      "--rate",  "15000", NULL};
	pid_t pid = start_run("killpub", args);
	char shm[512];
	tg_test_run_shm(shm, sizeof(shm), "tgtest-run", "killpub");
	setenv("TG_SHM_DIR", shm, 1);
	/* `tickguard tail` follows the alert ring across the restart, as a
	 * trading process would: it must see every event once */
	char tail_out[600];
	snprintf(tail_out, sizeof(tail_out), "%s/killpub-tail.out", base);
	const char *tail_argv[] = {bin, "tail", "--json", "--from-start", NULL};
	pid_t tail_pid = 0;
	/* wait (bounded) until the publisher has taken some decisions and the
	 * tail printed an event (it is attached to the first publisher) */
	pid_t victim = 0;
	double pre_kill_alerts = 0; /* alerts opened by the first publisher */
	for (int i = 0; i < 6000 && !victim; i++) {
		struct tg_segment *a;
		if (tg_segment_attach("alerts", &a) == 0) {
			if (!tail_pid)
				tail_pid = spawn_to(tail_argv, tail_out);
			struct stat ts;
			bool tail_saw = stat(tail_out, &ts) == 0 && ts.st_size > 0;
			for (uint32_t k = 0; k < tg_segment_counters(a); k++) {
				struct tg_counter_view v;
				if (tg_segment_counter(a, k, &v) == 0 && !strcmp(v.name, "flags") &&
				    v.value >= 300 && tail_saw)
					victim = tg_segment_writer_pid(a);
			}
			for (uint32_t k = 0; victim && k < tg_segment_counters(a); k++) {
				struct tg_counter_view v;
				if (tg_segment_counter(a, k, &v) == 0 && !strcmp(v.name, "alerts"))
					pre_kill_alerts = (double)v.value;
			}
			tg_segment_detach(a);
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			TG_FAIL("run ended before the publisher could be killed");
			return;
		}
		if (!victim)
			nap_ms(5);
	}
	TG_CHECK(victim > 0);
	if (victim > 0)
		kill(victim, SIGKILL);
	TG_CHECK_EQ_I64(wait_run(pid, "killpub"), 0);
	unsetenv("TG_SHM_DIR");
	char path[600], line[2048];
	snprintf(path, sizeof(path), "%s/killpub/alerts.jsonl", base);
	int jl = 0, tl = 0;
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		jl++;
	if (f)
		fclose(f);
	/* let the tail catch up with the JSON lines (bounded), then stop it */
	for (int i = 0; i < 2000 && tail_pid; i++) {
		tl = 0;
		FILE *t = fopen(tail_out, "r");
		while (t && fgets(line, sizeof(line), t))
			tl += line[0] == '{'; /* stderr notes share the file */
		if (t)
			fclose(t);
		if (tl >= jl)
			break;
		nap_ms(5);
	}
	if (tail_pid) {
		kill(tail_pid, SIGTERM);
		waitpid(tail_pid, NULL, 0);
	}
	TG_CHECK_EQ_I64(tl, jl);
	cJSON *s = summary("killpub");
	if (!s)
		return;
	TG_CHECK_STR(cJSON_GetObjectItem(s, "result")->valuestring, "ok");
	TG_CHECK(tg_test_json_num(s, "process_restarts.publisher") >= 1);
	TG_CHECK(tg_test_json_num(s, "publisher.publisher_resumes") >= 1);
	TG_CHECK_NEAR(tg_test_json_num(s, "ticks_in_rings"), tg_test_json_num(s, "ticks_sent"), 0,
	              0);
	check_windows_add_up(s);
	enum { MAXEV = 8192 };
	static uint64_t seen[MAXEV];
	static uint8_t seen_ev[MAXEV];
	int n = 0, opens = 0, dups = 0, bad = 0;
	/* the tail's copy first (ring readers across the restart), then the
	 * JSON lines file */
	f = fopen(tail_out, "r");
	while (f && fgets(line, sizeof(line), f)) {
		cJSON *j = cJSON_Parse(line);
		const cJSON *e = j ? cJSON_GetObjectItem(j, "event") : NULL;
		uint64_t id = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "alert_id"));
		uint8_t ev = cJSON_IsString(e) ? (uint8_t)e->valuestring[0] : 0;
		for (int i = 0; ev && ev != 'u' && i < n; i++)
			dups += seen[i] == id && seen_ev[i] == ev;
		if (n < MAXEV) {
			seen[n] = id;
			seen_ev[n] = ev;
			n++;
		}
		cJSON_Delete(j);
	}
	if (f)
		fclose(f);
	TG_CHECK_EQ_I64(dups, 0); /* a ring reader saw no event twice */
	n = 0;
	f = fopen(path, "r");
	TG_CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		cJSON *j = cJSON_Parse(line);
		const cJSON *e = j ? cJSON_GetObjectItem(j, "event") : NULL;
		if (!cJSON_IsString(e)) {
			bad++;
			cJSON_Delete(j);
			continue;
		}
		uint64_t id = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "alert_id"));
		uint8_t ev = (uint8_t)e->valuestring[0];
		opens += ev == 'o';
		/* (id, open|close) at most once; updates are rate-limited peaks */
		for (int i = 0; ev != 'u' && i < n; i++)
			dups += seen[i] == id && seen_ev[i] == ev;
		if (n < MAXEV) {
			seen[n] = id;
			seen_ev[n] = ev;
			n++;
		}
		cJSON_Delete(j);
	}
	if (f)
		fclose(f);
	TG_CHECK_EQ_I64(bad, 0);
	TG_CHECK_EQ_I64(dups, 0);
	TG_CHECK(opens > 0);
	TG_CHECK_NEAR((double)opens, tg_test_json_num(s, "publisher.alerts"), 0, 0);
	TG_CHECK_NEAR((double)n, tg_test_json_num(s, "publisher.jsonl_lines"), 0, 0);
	/* detection quality covers every alert of the run, those the first
	 * publisher opened before the kill included (the final alert ring holds
	 * only the resumed publisher's events) */
	TG_CHECK_NEAR(tg_test_json_num(s, "detection.alerts"), (double)opens, 0, 0);
	TG_CHECK(tg_test_json_num(s, "detection.alerts") >= pre_kill_alerts);
	fprintf(stderr,
	        "  kill publisher: restarts %.0f, resumes %.0f, %d events, %d alerts (%.0f before "
	        "the kill), detection precision %.3f recall %.3f\n",
	        tg_test_json_num(s, "process_restarts.publisher"),
	        tg_test_json_num(s, "publisher.publisher_resumes"), n, opens, pre_kill_alerts,
	        tg_test_json_num(s, "detection.precision"),
	        tg_test_json_num(s, "detection.recall"));
	cJSON_Delete(s);
}

/* LOBSTER executions (types 4, 5) at or after `from_s` seconds, exactly:
 * the time column is compared as decimal text converted to integer ns. */
static uint64_t lobster_execs_after(const char *dir, uint64_t from_ns)
{
	DIR *d = opendir(dir);
	uint64_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strstr(e->d_name, "_message_"))
			continue;
		char p[1024];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		FILE *f = fopen(p, "r");
		char line[256];
		while (f && fgets(line, sizeof(line), f)) {
			char *dot = strchr(line, '.');
			char *comma = strchr(line, ',');
			if (!comma)
				continue;
			uint64_t sec = strtoull(line, NULL, 10), frac = 0;
			int digits = 0;
			for (char *q = dot && dot < comma ? dot + 1 : comma; q < comma;
			     q++, digits++)
				frac = frac * 10 + (uint64_t)(*q - '0');
			for (; digits < 9; digits++)
				frac *= 10;
			int type = atoi(comma + 1);
			if ((type == 4 || type == 5) && sec * 1000000000ull + frac >= from_ns)
				n++;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

static void t_lobster(void)
{
	char data[512];
	snprintf(data, sizeof(data), "%s/lobster", tg_test_data_dir());
	struct stat st;
	if (stat(data, &st) < 0)
		TG_SKIP("no LOBSTER data at %s", data);
	/* the example config (cJSON), with flags overriding it */
	const char *args[] = {
	    "--config",
	    "examples/run-lobster.json",
	    "--input",
	    data,
	    "--train-until",
	    "15:30",
	    "--train-args",
	    "--units 16,8 --epochs 1 --stride 8 --scale log_ret --percentile 99.9",
	    "--rate",
	    "40000",
	    NULL};
	pid_t pid = start_run("lobster", args);
	TG_CHECK_EQ_I64(wait_run(pid, "lobster"), 0);
	cJSON *s = summary("lobster");
	if (!s)
		return;
	uint64_t want = lobster_execs_after(data, 55800ull * 1000000000ull);
	fprintf(stderr, "  lobster: %llu executions after 15:30, %.0f in rings, %.0f alerts\n",
	        (unsigned long long)want, tg_test_json_num(s, "ticks_in_rings"),
	        tg_test_json_num(s, "publisher.alerts"));
	TG_CHECK_STR(cJSON_GetObjectItem(s, "result")->valuestring, "ok");
	TG_CHECK(want > 0);
	TG_CHECK_NEAR(tg_test_json_num(s, "ticks_sent"), (double)want, 0, 0);
	TG_CHECK_NEAR(tg_test_json_num(s, "ticks_in_rings"), (double)want, 0, 0);
	TG_CHECK_NEAR(tg_test_json_num(s, "gateway.lost_msgs"), 0, 0, 0);
	check_windows_add_up(s);
	/* every alert line: valid JSON with the documented fields */
	char p[600], line[2048];
	snprintf(p, sizeof(p), "%s/lobster/alerts.jsonl", base);
	FILE *f = fopen(p, "r");
	TG_CHECK(f != NULL);
	static const char *const fields[] = {
	    "event",      "alert_id",   "instrument",      "symbol",
	    "first_seq",  "last_seq",   "open_exch_ts_ns", "exch_ts_ns",
	    "recv_ts_ns", "emit_ts_ns", "open_time",       "time",
	    "peak_score", "threshold",  "first_price",     "last_price",
	    "min_price",  "max_price",  "windows",         "latency_recv_ns"};
	int lines = 0, bad = 0;
	while (f && fgets(line, sizeof(line), f)) {
		lines++;
		cJSON *j = cJSON_Parse(line);
		bool ok = j != NULL;
		for (size_t i = 0; ok && i < sizeof(fields) / sizeof(fields[0]); i++)
			ok = cJSON_GetObjectItem(j, fields[i]) != NULL;
		if (ok) {
			const char *sym = cJSON_GetObjectItem(j, "symbol")->valuestring;
			ok = sym &&
			     (!strcmp(sym, "AAPL") || !strcmp(sym, "AMZN") || !strcmp(sym, "GOOG"));
		}
		bad += !ok;
		cJSON_Delete(j);
	}
	if (f)
		fclose(f);
	TG_CHECK_EQ_I64(bad, 0);
	TG_CHECK_EQ_I64(lines, (int)(tg_test_json_num(s, "publisher.events_emitted")));
	cJSON_Delete(s);
}

int main(void)
{
	/* per process: concurrent runs (release/asan, two engineers) must not
	 * share a folder */
	snprintf(base, sizeof(base), "build/%s/test-run-e2e.XXXXXX",
	         getenv("TG_MODE") ? getenv("TG_MODE") : "release");
	char cmd[600];
	if (!mkdtemp(base)) {
		perror(base);
		return 1;
	}
	if (access(tg_test_bin(bin, sizeof(bin)), X_OK) != 0) {
		fprintf(stderr, "SKIP: %s not built\n", bin);
		rmdir(base);
		return 77;
	}
	tg_test_case("synthetic", t_synthetic);
	tg_test_case("kill_scorer", t_kill_scorer);
	tg_test_case("kill_publisher", t_kill_publisher);
	tg_test_case("lobster", t_lobster);
	snprintf(cmd, sizeof(cmd), "rm -rf /dev/shm/tgtest-run-%d-*", (int)getpid());
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	int rc = tg_test_done();
	if (rc == 0) { /* keep the folder of a failed run for its logs */
		snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", base);
	} else {
		fprintf(stderr, "logs kept in %s\n", base);
	}
	return rc;
}
