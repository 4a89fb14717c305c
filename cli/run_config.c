/* run_config.c - `tickguard run` configuration: one table of fields drives
 * the JSON keys (snake_case) and the flags (--kebab-case), so the two can
 * never disagree. */
#include "cli/run_config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* RC_DIGITS: a string of digits or "" (a remote option left at its default);
 * RC_LINES: each flag / array item appends a line ("Name: value" headers). */
enum rc_type { RC_STR, RC_U32, RC_U64, RC_INT, RC_DBL, RC_BOOL, RC_ARGS, RC_DIGITS, RC_LINES };

struct rc_field {
	const char *key;
	enum rc_type type;
	size_t off, size;
	const char *help;
};

#define F(k, t, h)                                                                                 \
	{                                                                                          \
#k, t, offsetof(struct tg_run_config, k), sizeof(((struct tg_run_config *)0)->k),  \
		    h                                                                              \
	}
static const struct rc_field rc_fields[] = {
    F(input, RC_STR, "LOBSTER dir / message file or tick CSV (default: synthetic market)"),
    F(seed, RC_U64, "synthetic market seed (1)"),
    F(instruments, RC_U32, "synthetic instruments (8)"),
    F(trades, RC_U64, "synthetic trades per instrument (20000)"),
    F(anomalies, RC_U32, "synthetic anomalies per instrument (6)"),
    F(model, RC_STR, "model package DIR (default: train one first)"),
    F(train_args, RC_ARGS,
      "`tickguard train` args, space separated (default: --units 16,8 "
      "--epochs 2 --stride 4 --scale log_ret --percentile 99.5)"),
    F(train_trades, RC_U64, "synthetic training market trades per instrument (4000)"),
    F(train_until, RC_STR, "file input: train+calibrate before this time of day (14:00)"),
    F(val_frac, RC_DBL, "file input: calibration share of the training range (0.25)"),
    F(scorers, RC_U32, "scorer processes (1)"),
    F(core_base, RC_INT, "pin scorer k to CPU (core_base+k) mod ncpu; -1 = off (1)"),
    F(idle, RC_STR, "scorer idle strategy spin|yield|sleep (sleep)"),
    F(batch, RC_U32, "windows per reconstruction call (32)"),
    F(remote_url, RC_STR, "scorers reconstruct via this V1 predict URL (full URL)"),
    F(remote_base_url, RC_STR, "... or TF Serving / KServe / tickguard serve base URL"),
    F(remote_model, RC_STR, "    with this model name"),
    F(remote_version, RC_DIGITS, "    and version (latest)"),
    F(remote_project, RC_STR, "... or Vertex AI: project"),
    F(remote_location, RC_STR, "    location (e.g. us-central1)"),
    F(remote_endpoint, RC_STR, "    endpoint id"),
    F(remote_auth_env, RC_STR, "bearer token from this environment variable"),
    F(remote_auth_file, RC_STR, "... or from this file (re-read when it changes)"),
    F(remote_auth_command, RC_STR, "... or printed by this command (gcloud auth ...)"),
    F(remote_auth_refresh_s, RC_DIGITS, "re-run the token command after N s (3000)"),
    F(remote_headers, RC_LINES, "extra header 'Name: value' (repeat; JSON: array)"),
    F(remote_timeout_ms, RC_DIGITS, "per HTTP attempt (5000)"),
    F(remote_connect_timeout_ms, RC_DIGITS, "connect timeout (1000)"),
    F(remote_deadline_ms, RC_DIGITS, "per batch incl. retries (3 x timeout)"),
    F(remote_retries, RC_DIGITS, "retries of retryable failures (3; 0 = none)"),
    F(remote_max_inflight, RC_DIGITS, "HTTP requests on the wire per scorer (4)"),
    F(remote_max_pending, RC_DIGITS, "batches the client holds (16)"),
    F(remote_max_request_bytes, RC_DIGITS, "request body limit, batches split (1572864)"),
    F(remote_max_reply_bytes, RC_DIGITS, "larger replies are malformed (16777216)"),
    F(remote_circuit_failures, RC_DIGITS, "failures that mark the endpoint down (5)"),
    F(remote_circuit_open_ms, RC_DIGITS, "down this long before a probe (1000)"),
    F(remote_fallback, RC_BOOL, "unscorable windows go to the local model (true)"),
    F(max_inflight, RC_U32, "batches a scorer keeps outstanding at its backend (8)"),
    F(speed, RC_DBL, "feed at exchange time x N (0 = as fast as possible)"),
    F(rate, RC_DBL, "feed messages per second (0 = unpaced)"),
    F(drop, RC_DBL, "feed drops this fraction of packets (gateway recovers them)"),
    F(clock, RC_STR, "feed timestamps live|source|auto (auto: live when paced)"),
    F(ring_slots, RC_U32, "ticks kept per instrument (4096)"),
    F(hyst_windows, RC_U32, "alert closes after N windows below threshold (5)"),
    F(cooldown_windows, RC_U32, "windows after a close before a new alert (10)"),
    F(hyst_ns, RC_U64, "... and N ns of exchange time below (0)"),
    F(cooldown_ns, RC_U64, "... and N exchange ns after a close (0)"),
    F(update_every, RC_U32, "alert update on a new peak at most every N windows (16)"),
    F(udp, RC_STR, "also send alerts over UDP to ADDR:PORT"),
    F(jsonl, RC_STR, "alert JSON lines file (<workdir>/alerts.jsonl; - = stdout)"),
    F(workdir, RC_STR, "working directory for model, labels, logs (build/run)"),
    F(shm_dir, RC_STR, "shared-memory directory for this run's segments"),
    F(summary, RC_STR, "write the summary as JSON to this file"),
    F(max_restarts, RC_U32, "restarts per crashed process (3)"),
    F(timeout_s, RC_DBL, "stop everything after this many seconds (0 = none)"),
    F(quiet, RC_BOOL, "no progress lines"),
};
#undef F

void tg_run_config_default(struct tg_run_config *c)
{
	memset(c, 0, sizeof(*c));
	c->seed = 1;
	c->instruments = 8;
	c->trades = 20000;
	c->anomalies = 6;
	c->train_trades = 4000;
	snprintf(c->train_until, sizeof(c->train_until), "14:00");
	c->val_frac = 0.25;
	c->scorers = 1;
	c->core_base = 1;
	snprintf(c->idle, sizeof(c->idle), "sleep");
	snprintf(c->clock, sizeof(c->clock), "auto");
	c->batch = 32;
	c->remote_fallback = true;
	c->max_inflight = 8;
	c->ring_slots = 4096;
	c->hyst_windows = 5;
	c->cooldown_windows = 10;
	c->update_every = 16;
	snprintf(c->workdir, sizeof(c->workdir), "build/run");
	c->max_restarts = 3;
	/* a small model that trains in seconds on 2 cores; log returns make
	 * prints far off the price stand out */
	static const char *const train[] = {"--units",      "16,8", "--epochs", "2",
	                                    "--stride",     "4",    "--scale",  "log_ret",
	                                    "--percentile", "99.5"};
	for (size_t i = 0; i < sizeof(train) / sizeof(train[0]); i++)
		snprintf(c->train_args[c->n_train_args++], sizeof(c->train_args[0]), "%s",
		         train[i]);
}

void tg_run_usage(FILE *f)
{
	fprintf(f,
	        "usage: tickguard run [--config FILE] [options]\n"
	        "  the whole pipeline: (train) -> feedsim -> gateway -> scorer(s) -> publisher,\n"
	        "  supervised; prints a summary (and detection quality on the synthetic market)\n"
	        "  --config FILE            JSON config; keys are the option names with '_'\n");
	for (size_t i = 0; i < sizeof(rc_fields) / sizeof(rc_fields[0]); i++) {
		char flag[48];
		snprintf(flag, sizeof(flag), "--%s", rc_fields[i].key);
		for (char *p = flag + 2; *p; p++)
			if (*p == '_')
				*p = '-';
		fprintf(f, "  %-24s %s\n", rc_fields[i].type == RC_BOOL ? flag : strcat(flag, " X"),
		        rc_fields[i].help);
	}
}

static int rc_set(struct tg_run_config *c, const struct rc_field *fd, const char *val, char *err,
                  size_t errlen)
{
	void *p = (char *)c + fd->off;
	char *end = NULL;
	errno = 0;
	switch (fd->type) {
	case RC_STR:
		if (strlen(val) >= fd->size)
			goto bad;
		snprintf(p, fd->size, "%s", val);
		return 0;
	case RC_U32: {
		unsigned long long v = strtoull(val, &end, 0);
		if (errno || *end || end == val || *val == '-' || v > UINT32_MAX)
			goto bad;
		*(uint32_t *)p = (uint32_t)v;
		return 0;
	}
	case RC_U64: {
		unsigned long long v = strtoull(val, &end, 0);
		if (errno || *end || end == val || *val == '-')
			goto bad;
		*(uint64_t *)p = v;
		return 0;
	}
	case RC_INT: {
		long v = strtol(val, &end, 0);
		if (errno || *end || end == val || v < -1 || v > 4096)
			goto bad;
		*(int *)p = (int)v;
		return 0;
	}
	case RC_DBL: {
		double v = strtod(val, &end);
		if (errno || *end || end == val || !(v >= 0))
			goto bad;
		*(double *)p = v;
		return 0;
	}
	case RC_DIGITS:
		if (strlen(val) >= fd->size || strspn(val, "0123456789") != strlen(val))
			goto bad;
		snprintf(p, fd->size, "%s", val);
		return 0;
	case RC_LINES: {
		size_t used = strlen(p);
		if (!*val)
			return 0;
		if (!strchr(val, ':') || used + strlen(val) + 2 > fd->size)
			goto bad;
		snprintf((char *)p + used, fd->size - used, "%s%s", used ? "\n" : "", val);
		return 0;
	}
	case RC_BOOL:
		if (!strcmp(val, "true") || !strcmp(val, "1"))
			*(bool *)p = true;
		else if (!strcmp(val, "false") || !strcmp(val, "0"))
			*(bool *)p = false;
		else
			goto bad;
		return 0;
	case RC_ARGS: {
		c->n_train_args = 0;
		const char *s = val;
		while (*s) {
			while (*s == ' ')
				s++;
			if (!*s)
				break;
			const char *sp = strchr(s, ' ');
			size_t n = sp ? (size_t)(sp - s) : strlen(s);
			if (c->n_train_args >= TG_RUN_MAX_ARGS || n >= sizeof(c->train_args[0]))
				goto bad;
			memcpy(c->train_args[c->n_train_args], s, n);
			c->train_args[c->n_train_args++][n] = 0;
			s += n;
		}
		return 0;
	}
	}
bad:
	snprintf(err, errlen, "bad value '%s' for %s", val, fd->key);
	return -EINVAL;
}

static const struct rc_field *rc_find(const char *key)
{
	for (size_t i = 0; i < sizeof(rc_fields) / sizeof(rc_fields[0]); i++)
		if (!strcmp(rc_fields[i].key, key))
			return &rc_fields[i];
	return NULL;
}

int tg_run_config_load(struct tg_run_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open config %s: %s", path, strerror(errno));
		return -errno;
	}
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!buf)
		return -ENOMEM;
	buf[n] = 0;
	cJSON *j = cJSON_Parse(buf);
	free(buf);
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "config %s is not a JSON object", path);
		cJSON_Delete(j);
		return -EINVAL;
	}
	int rc = 0;
	for (cJSON *it = j->child; it && !rc; it = it->next) {
		const struct rc_field *fd = rc_find(it->string);
		if (!fd) {
			snprintf(err, errlen, "config %s: unknown key '%s'", path, it->string);
			rc = -EINVAL;
			break;
		}
		char val[1024];
		if (fd->type == RC_LINES && cJSON_IsArray(it)) {
			for (cJSON *a = it->child; a && !rc; a = a->next)
				rc = cJSON_IsString(a) ? rc_set(c, fd, a->valuestring, err, errlen)
				                       : -EINVAL;
			if (rc)
				snprintf(err, errlen, "config %s: bad item in '%s'", path,
				         it->string);
			continue;
		} else if (fd->type == RC_ARGS && cJSON_IsArray(it)) {
			size_t used = 0;
			val[0] = 0;
			for (cJSON *a = it->child; a; a = a->next) {
				if (!cJSON_IsString(a))
					continue;
				used += (size_t)snprintf(val + used, sizeof(val) - used, "%s%s",
				                         used ? " " : "", a->valuestring);
				if (used >= sizeof(val))
					break;
			}
		} else if (cJSON_IsString(it)) {
			snprintf(val, sizeof(val), "%s", it->valuestring);
		} else if (cJSON_IsBool(it)) {
			snprintf(val, sizeof(val), "%s", cJSON_IsTrue(it) ? "true" : "false");
		} else if (cJSON_IsNumber(it)) {
			if (fd->type == RC_DBL)
				snprintf(val, sizeof(val), "%.17g", it->valuedouble);
			else
				snprintf(val, sizeof(val), "%.0f", it->valuedouble);
		} else if (cJSON_IsNull(it)) {
			val[0] = 0;
			if (fd->type != RC_STR)
				continue;
		} else {
			snprintf(err, errlen, "config %s: bad type for '%s'", path, it->string);
			rc = -EINVAL;
			break;
		}
		rc = rc_set(c, fd, val, err, errlen);
	}
	cJSON_Delete(j);
	return rc;
}

int tg_run_config_flags(struct tg_run_config *c, int argc, char **argv, char *err, size_t errlen)
{
	/* --config first, so flags override the file whatever their order */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "--config wants a file");
				return -EINVAL;
			}
			int rc = tg_run_config_load(c, argv[i + 1], err, errlen);
			if (rc < 0)
				return -EINVAL;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--config")) {
			i++;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument '%s'", a);
			return -EINVAL;
		}
		char key[64];
		const char *eq = strchr(a, '=');
		size_t kn = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (kn >= sizeof(key)) {
			snprintf(err, errlen, "unknown option '%s'", a);
			return -EINVAL;
		}
		memcpy(key, a + 2, kn);
		key[kn] = 0;
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		const struct rc_field *fd = rc_find(key);
		if (!fd) {
			snprintf(err, errlen, "unknown option '%s'", a);
			return -EINVAL;
		}
		const char *val;
		if (eq)
			val = eq + 1;
		else if (fd->type == RC_BOOL)
			val = "true";
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			snprintf(err, errlen, "%s wants a value", a);
			return -EINVAL;
		}
		if (rc_set(c, fd, val, err, errlen) < 0)
			return -EINVAL;
	}
	if (c->max_inflight == 0 || c->max_inflight > 256) {
		snprintf(err, errlen, "max_inflight must be 1..256");
		return -EINVAL;
	}
	if (c->scorers == 0 || c->scorers > 64) {
		snprintf(err, errlen, "scorers must be 1..64");
		return -EINVAL;
	}
	if (strcmp(c->idle, "spin") && strcmp(c->idle, "yield") && strcmp(c->idle, "sleep")) {
		snprintf(err, errlen, "idle must be spin, yield or sleep");
		return -EINVAL;
	}
	if (strcmp(c->clock, "live") && strcmp(c->clock, "source") && strcmp(c->clock, "auto")) {
		snprintf(err, errlen, "clock must be live, source or auto");
		return -EINVAL;
	}
	if (c->drop >= 1.0 || c->val_frac <= 0 || c->val_frac >= 0.9) {
		snprintf(err, errlen, "drop must be < 1 and val_frac in (0, 0.9)");
		return -EINVAL;
	}
	return 0;
}
