/* run_config.h - the configuration of `tickguard run`: defaults, a JSON
 * file (cJSON; keys as the struct fields below) and command-line flags that
 * override it. Pure parsing, no side effects. */
#ifndef TG_CLI_RUN_CONFIG_H
#define TG_CLI_RUN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TG_RUN_PATH     512
#define TG_RUN_MAX_ARGS 32

struct tg_run_config {
	char input[TG_RUN_PATH]; /* "" = feedsim's synthetic market; else LOBSTER
				    dir/message file or tick CSV */
	uint64_t seed;           /* synthetic market */
	uint32_t instruments;
	uint64_t trades; /* per instrument */
	uint32_t anomalies;
	char model[TG_RUN_PATH];              /* model package; "" = train one first */
	char train_args[TG_RUN_MAX_ARGS][64]; /* extra `tickguard train` args */
	uint32_t n_train_args;
	uint64_t train_trades; /* synthetic training market size per instrument */
	char train_until[16];  /* file input: train+calibrate on data before this
				  time of day ("14:00"); the rest is streamed */
	double val_frac;       /* file input: calibration fraction of the training range */
	uint32_t scorers;
	int core_base; /* scorer k pinned to CPU (core_base + k) % ncpu; -1 = none */
	char idle[8];  /* spin | yield | sleep */
	uint32_t batch;
	char remote_url[TG_RUN_PATH]; /* scorers reconstruct remotely (V1 predict), "" = local */
	/* the rest of the remote client's options (scorer/recon.h), passed to each
	   scorer as --remote=KEY=VALUE when set; numbers as digits, "" = default */
	char remote_base_url[TG_RUN_PATH], remote_model[128], remote_version[16];
	char remote_project[128], remote_location[64], remote_endpoint[128];
	char remote_auth_env[128], remote_auth_file[TG_RUN_PATH], remote_auth_command[TG_RUN_PATH];
	char remote_auth_refresh_s[16];
	char remote_headers[2048]; /* extra "Name: value" lines, '\n'-separated */
	char remote_timeout_ms[16], remote_connect_timeout_ms[16], remote_deadline_ms[16];
	char remote_retries[16], remote_max_inflight[16], remote_max_pending[16];
	char remote_max_request_bytes[16], remote_max_reply_bytes[16];
	char remote_circuit_failures[16], remote_circuit_open_ms[16];
	bool remote_fallback;  /* windows the endpoint could not score: local model (true) */
	uint32_t max_inflight; /* batches a scorer keeps outstanding at its backend (8) */
	double speed;          /* feed: exchange time x N; 0 = as fast as possible */
	double rate;           /* feed: messages per second; 0 = unpaced */
	double drop;           /* feed: fraction of packets dropped (recovered by retransmission) */
	char clock[8];         /* feed ITCH time: live (wall clock at send, UTC) | source |
			  auto (default: live when paced by speed or rate) */
	uint32_t ring_slots;
	uint32_t hyst_windows, cooldown_windows, update_every;
	uint64_t hyst_ns, cooldown_ns; /* exchange-time hysteresis / cooldown */
	char udp[64];                  /* alerts over UDP to ADDR:PORT, "" = off */
	char jsonl[TG_RUN_PATH];       /* "" = <workdir>/alerts.jsonl; "-" = stdout */
	char workdir[TG_RUN_PATH];
	char shm_dir[TG_RUN_PATH]; /* "" = the default backing (TG_SHM_DIR if set) */
	char summary[TG_RUN_PATH]; /* JSON summary file, "" = none */
	uint32_t max_restarts;     /* per process */
	double timeout_s;          /* 0 = none: stop everything after this long */
	bool quiet;
};

void tg_run_config_default(struct tg_run_config *c);
/* Merge a JSON config file into c. 0 or -errno with a reason in err. */
int tg_run_config_load(struct tg_run_config *c, const char *path, char *err, size_t errlen);
/* Apply command-line flags (argv[0] is "run"). Returns 0, 1 when --help was
 * asked, or -EINVAL with a one-line reason in err. */
int tg_run_config_flags(struct tg_run_config *c, int argc, char **argv, char *err, size_t errlen);
void tg_run_usage(FILE *f);

#endif
