/* bench_pipeline.c - the whole pipeline at fixed feed rates: `tickguard
 * run` on the synthetic market (feedsim -> UDP -> gateway -> scorer ->
 * publisher, every process real), then tick -> alert latency p50/p99/p99.9
 * from the exchange timestamp (the paced feed is live-clocked: feedsim
 * stamps ITCH time with the wall clock at send) and from the gateway
 * receive timestamp to alert emitted, tick -> decision latency for every
 * scored window, and CPU time per scored window, from the run's summary.
 * Table on stdout, JSON in $TG_BENCH_DIR/bench_pipeline.json. The model is
 * trained once (the run's default small model) and reused. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(const char *bin, const char *wd, const char *model, const char *rate,
               const char *summary)
{
	char shm[128];
	snprintf(shm, sizeof(shm), "/dev/shm/tgbench-pipeline-%d", (int)getpid());
	pid_t pid = fork();
	if (pid == 0) {
		char out[600];
		snprintf(out, sizeof(out), "%s/run-%s.out", wd, rate);
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		char *argv[32];
		int n = 0;
		char b[512], w[512], m[700], r[32], s[600], sh[128];
		snprintf(b, sizeof(b), "%s", bin);
		snprintf(w, sizeof(w), "%s", wd);
		snprintf(r, sizeof(r), "%s", rate);
		snprintf(s, sizeof(s), "%s", summary);
		snprintf(sh, sizeof(sh), "%s", shm);
		static char k_run[] = "run", k_wd[] = "--workdir", k_rate[] = "--rate",
		            k_sum[] = "--summary", k_shm[] = "--shm-dir", k_model[] = "--model",
		            k_q[] = "--quiet", k_tr[] = "--trades", v_tr[] = "10000";
		argv[n++] = b;
		argv[n++] = k_run;
		argv[n++] = k_wd;
		argv[n++] = w;
		argv[n++] = k_rate;
		argv[n++] = r;
		argv[n++] = k_sum;
		argv[n++] = s;
		argv[n++] = k_shm;
		argv[n++] = sh;
		argv[n++] = k_q;
		argv[n++] = k_tr;
		argv[n++] = v_tr;
		if (model) {
			snprintf(m, sizeof(m), "%s", model);
			argv[n++] = k_model;
			argv[n++] = m;
		}
		argv[n] = NULL;
		execv(b, argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", shm);
	if (system(cmd) != 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static double num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(o, a), b);
	return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

int main(void)
{
	const char *tb = getenv("TG_BIN");
	const char *dir = getenv("TG_BENCH_DIR");
	char bin[512], wd[512], model[600], json[600];
	snprintf(bin, sizeof(bin), "%s/tickguard", tb && *tb ? tb : "build/release/bin");
	dir = dir && *dir ? dir : "build/bench";
	snprintf(wd, sizeof(wd), "%s/pipeline-work", dir);
	mkdir(dir, 0755);
	mkdir(wd, 0755);
	snprintf(model, sizeof(model), "%s/model", wd);
	static const char *const rates[] = {"20000", "80000"};
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "bench", "pipeline");
	cJSON_AddStringToObject(root, "input", "synthetic, 8 instruments x 10000 trades");
	cJSON *arr = cJSON_AddArrayToObject(root, "runs");
	printf("%-10s %8s %8s %9s %7s %10s %10s %10s %10s %10s %10s %10s %10s %10s %9s\n", "msgs/s",
	       "ticks", "scored", "coalesced", "alerts", "exch p50", "exch p99", "exch p999",
	       "alert p50", "alert p99", "alert p999", "dec p50", "dec p99", "dec p999", "cpu/win");
	int rc = 0;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		char sum[600];
		snprintf(sum, sizeof(sum), "%s/summary-%s.json", wd, rates[i]);
		struct stat st;
		bool have = stat(model, &st) == 0;
		if (run(bin, wd, have ? model : NULL, rates[i], sum) != 0) {
			fprintf(stderr, "bench_pipeline: run at %s msgs/s failed (see %s)\n",
			        rates[i], wd);
			rc = 1;
			continue;
		}
		FILE *f = fopen(sum, "r");
		static char buf[1 << 20];
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = 0;
		cJSON *s = cJSON_Parse(buf);
		if (!s) {
			rc = 1;
			continue;
		}
		const char *P = "publisher", *S = "scorers";
		double v[] = {
		    num(s, P, "lat_alert_recv_p50_ns"),    num(s, P, "lat_alert_recv_p99_ns"),
		    num(s, P, "lat_alert_recv_p999_ns"),   num(s, P, "lat_decision_recv_p50_ns"),
		    num(s, P, "lat_decision_recv_p99_ns"), num(s, P, "lat_decision_recv_p999_ns"),
		    num(s, S, "cpu_ns_per_scored_window")};
		/* exchange timestamp -> alert: -1 (n/a) unless the run was live-clocked */
		double e[] = {num(cJSON_GetObjectItem(s, "latency"), "exch_to_alert", "p50_ns"),
		              num(cJSON_GetObjectItem(s, "latency"), "exch_to_alert", "p99_ns"),
		              num(cJSON_GetObjectItem(s, "latency"), "exch_to_alert", "p999_ns")};
		char ec[3][16];
		for (int k = 0; k < 3; k++) {
			if (e[k] < 0)
				snprintf(ec[k], sizeof(ec[k]), "n/a");
			else
				snprintf(ec[k], sizeof(ec[k]), "%.1fus", e[k] / 1e3);
		}
		double ticks = cJSON_GetObjectItem(s, "ticks_in_rings")->valuedouble;
		printf("%-10s %8.0f %8.0f %9.0f %7.0f %10s %10s %10s %8.1fus %8.1fus %8.1fus "
		       "%8.1fus %8.1fus %8.1fus %7.1fus\n",
		       rates[i], ticks, num(s, S, "windows_scored"), num(s, S, "windows_coalesced"),
		       num(s, P, "alerts"), ec[0], ec[1], ec[2], v[0] / 1e3, v[1] / 1e3, v[2] / 1e3,
		       v[3] / 1e3, v[4] / 1e3, v[5] / 1e3, v[6] / 1e3);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "feed_msgs_per_s", atof(rates[i]));
		cJSON_AddNumberToObject(o, "ticks", ticks);
		cJSON_AddNumberToObject(o, "windows_scored", num(s, S, "windows_scored"));
		cJSON_AddNumberToObject(o, "windows_coalesced", num(s, S, "windows_coalesced"));
		cJSON_AddNumberToObject(o, "alerts", num(s, P, "alerts"));
		if (e[0] >= 0) {
			cJSON_AddNumberToObject(o, "exch_to_alert_p50_ns", e[0]);
			cJSON_AddNumberToObject(o, "exch_to_alert_p99_ns", e[1]);
			cJSON_AddNumberToObject(o, "exch_to_alert_p999_ns", e[2]);
		} else {
			const cJSON *na = cJSON_GetObjectItem(
			    cJSON_GetObjectItem(cJSON_GetObjectItem(s, "latency"), "exch_to_alert"),
			    "na");
			cJSON_AddStringToObject(o, "exch_to_alert_na",
			                        cJSON_IsString(na) ? na->valuestring
			                                           : "no summary");
		}
		cJSON_AddNumberToObject(o, "tick_to_alert_p50_ns", v[0]);
		cJSON_AddNumberToObject(o, "tick_to_alert_p99_ns", v[1]);
		cJSON_AddNumberToObject(o, "tick_to_alert_p999_ns", v[2]);
		cJSON_AddNumberToObject(o, "tick_to_decision_p50_ns", v[3]);
		cJSON_AddNumberToObject(o, "tick_to_decision_p99_ns", v[4]);
		cJSON_AddNumberToObject(o, "tick_to_decision_p999_ns", v[5]);
		cJSON_AddNumberToObject(o, "cpu_ns_per_scored_window", v[6]);
		cJSON_AddNumberToObject(o, "precision", num(s, "detection", "precision"));
		cJSON_AddNumberToObject(o, "recall", num(s, "detection", "recall"));
		cJSON_AddItemToArray(arr, o);
		cJSON_Delete(s);
	}
	printf("latency: exchange timestamp (live-clocked feed, UTC) -> alert emitted (exch); "
	       "gateway receive timestamp -> alert emitted (alert) / -> publisher decision (dec, "
	       "every scored window)\n");
	char *text = cJSON_Print(root);
	snprintf(json, sizeof(json), "%s/bench_pipeline.json", dir);
	FILE *f = fopen(json, "w");
	if (f && text) {
		fputs(text, f);
		fclose(f);
	}
	free(text);
	cJSON_Delete(root);
	return rc;
}
