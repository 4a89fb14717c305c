/* test_proc_util.h - running the tickguard binary from tests, shared so that
 * every test finds it, starts it and reaps it the same way:
 *  - where it is: $TG_BIN/tickguard (mk/run-tests.sh sets TG_BIN), else
 *    build/release/bin/tickguard;
 *  - starting it with posix_spawn rather than fork (several tests have
 *    threads), its stdout and stderr into one log file or /dev/null;
 *  - waiting for it, with or without a bound (a hung child is killed, the
 *    test fails instead of hanging);
 *  - `tickguard run` for one test case: its own work directory, shared-memory
 *    directory, summary and output file under a base directory.
 * Exit statuses are the child's exit code, 128 + the signal that killed it,
 * or -1 when there is no child to report. */
#ifndef TG_TEST_PROC_UTIL_H
#define TG_TEST_PROC_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* "$TG_BIN/tickguard" (build/release/bin without TG_BIN) into buf. */
static inline const char *tg_test_bin(char *buf, size_t cap)
{
	const char *dir = getenv("TG_BIN");
	snprintf(buf, cap, "%s/tickguard", dir && *dir ? dir : "build/release/bin");
	return buf;
}

/* Start `path` with argv (NULL-terminated, argv[0] included, at most 63
 * used), stdout and stderr both into `log` (created or truncated), or into
 * /dev/null when log is NULL. The pid, or -1. */
static inline pid_t tg_test_spawn(const char *path, const char *const argv[], const char *log)
{
	char *av[64];
	int n = 0;
	for (; argv[n] && n < 63; n++)
		av[n] = strdup(argv[n]); /* posix_spawn wants char *const[] */
	av[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (log)
		posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	fflush(NULL);
	pid_t pid;
	int rc = posix_spawn(&pid, path, &fa, NULL, av, environ);
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < n; i++)
		free(av[i]);
	return rc == 0 ? pid : -1;
}

/* A wait status as an exit status (see the top). */
static inline int tg_test_exit_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Wait for pid; its exit status or -1. */
static inline int tg_test_wait(pid_t pid)
{
	int st = 0;
	if (pid <= 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return tg_test_exit_status(st);
}

/* Wait for pid at most ms milliseconds (polled every 5 ms); after that it
 * is killed (SIGKILL), reaped, and the result is -1. */
static inline int tg_test_wait_ms(pid_t pid, long ms)
{
	if (pid <= 0)
		return -1;
	int st;
	for (long t = 0; t < ms; t += 5) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return tg_test_exit_status(st);
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* tg_test_spawn, then tg_test_wait: the exit status, or -1. */
static inline int tg_test_run(const char *path, const char *const argv[], const char *log)
{
	return tg_test_wait(tg_test_spawn(path, argv, log));
}

/* The shared-memory directory of `tickguard run` case `name`:
 * /dev/shm/<tag>-<our pid>-<name>. */
static inline const char *tg_test_run_shm(char *buf, size_t cap, const char *tag, const char *name)
{
	snprintf(buf, cap, "/dev/shm/%s-%d-%s", tag, (int)getpid(), name);
	return buf;
}

/* Start `bin run` for case `name`: --workdir base/name, --shm-dir
 * tg_test_run_shm(tag, name), --summary base/name/summary.json,
 * --timeout-s 240, --quiet, then args (NULL-terminated, at most 48);
 * output into base/name.out. The pid, or -1. */
static inline pid_t tg_test_run_start(const char *bin, const char *base, const char *tag,
                                      const char *name, const char *const *args)
{
	char wd[512], shm[512], sum[600], out[600];
	snprintf(wd, sizeof(wd), "%s/%s", base, name);
	tg_test_run_shm(shm, sizeof(shm), tag, name);
	snprintf(sum, sizeof(sum), "%s/summary.json", wd);
	snprintf(out, sizeof(out), "%s/%s.out", base, name);
	const char *argv[64] = {bin,         "run", "--workdir",   wd,    "--shm-dir", shm,
	                        "--summary", sum,   "--timeout-s", "240", "--quiet"};
	int n = 11;
	for (int i = 0; args[i] && i < 48; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return tg_test_spawn(bin, argv, out);
}

/* Wait for a run from tg_test_run_start; its exit status (or -1). When it
 * is not 0, the last 30 lines of its output go to stderr. */
static inline int tg_test_run_finish(pid_t pid, const char *base, const char *name)
{
	int rc = tg_test_wait(pid);
	if (rc != 0) {
		char cmd[700];
		snprintf(cmd, sizeof(cmd), "tail -n 30 %s/%s.out >&2", base, name);
		if (system(cmd) != 0)
			fprintf(stderr, "(no output)\n");
	}
	return rc;
}

#endif
