/* test_run_config.c - `tickguard run` configuration: defaults, a JSON file
 * (every value type, train_args as an array), flags overriding the file
 * whatever their order, and one clear error for each kind of bad input. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

#include "cli/run_config.h"
#include "tests/tg_test.h"

static char path[128];

static void write_cfg(const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int flags(struct tg_run_config *c, char *err, int n, ...)
{
	char *argv[32] = {(char *)(uintptr_t) "run"};
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	return tg_run_config_flags(c, n + 1, argv, err, 256);
}

static void t_defaults(void)
{
	struct tg_run_config c;
	tg_run_config_default(&c);
	TG_CHECK_EQ_U64(c.scorers, 1);
	TG_CHECK_EQ_U64(c.instruments, 8);
	TG_CHECK_STR(c.idle, "sleep");
	TG_CHECK(c.n_train_args > 0);
	TG_CHECK_STR(c.input, "");
}

static void t_json_then_flags(void)
{
	write_cfg("{\"input\": \"x/lobster\", \"scorers\": 2, \"rate\": 1234.5, \"quiet\": true,"
	          " \"train_args\": [\"--units\", \"8,4\"], \"core_base\": -1, \"udp\": null,"
	          " \"hyst_ns\": 5000000000}");
	struct tg_run_config c;
	tg_run_config_default(&c);
	char err[256] = "";
	/* the flag comes first, the file is still applied before it */
	TG_CHECK_EQ_I64(flags(&c, err, 4, "--scorers", "3", "--config", path), 0);
	TG_CHECK_STR(c.input, "x/lobster");
	TG_CHECK_EQ_U64(c.scorers, 3);
	TG_CHECK_NEAR(c.rate, 1234.5, 0, 0);
	TG_CHECK(c.quiet);
	TG_CHECK_EQ_I64(c.core_base, -1);
	TG_CHECK_EQ_U64(c.hyst_ns, 5000000000ull);
	TG_CHECK_EQ_U64(c.n_train_args, 2);
	TG_CHECK_STR(c.train_args[1], "8,4");
	TG_CHECK_EQ_I64(flags(&c, err, 2, "--train-args", "--epochs 1 --stride 8"), 0);
	TG_CHECK_EQ_U64(c.n_train_args, 4);
	TG_CHECK_STR(c.train_args[3], "8");
	TG_CHECK_EQ_I64(flags(&c, err, 1, "--idle=spin"), 0);
	TG_CHECK_STR(c.idle, "spin");
}

static void t_errors(void)
{
	struct tg_run_config c;
	char err[256];
	tg_run_config_default(&c);
	TG_CHECK_EQ_I64(flags(&c, err, 1, "--bogus"), -EINVAL);
	TG_CHECK(strstr(err, "--bogus") != NULL);
	TG_CHECK_EQ_I64(flags(&c, err, 2, "--scorers", "x"), -EINVAL);
	TG_CHECK(strstr(err, "scorers") != NULL);
	TG_CHECK_EQ_I64(flags(&c, err, 2, "--scorers", "0"), -EINVAL);
	TG_CHECK_EQ_I64(flags(&c, err, 2, "--rate", "-5"), -EINVAL);
	TG_CHECK_EQ_I64(flags(&c, err, 1, "--rate"), -EINVAL);
	TG_CHECK_EQ_I64(flags(&c, err, 1, "stray"), -EINVAL);
	TG_CHECK_EQ_I64(flags(&c, err, 1, "--help"), 1);
	write_cfg("{\"no_such_key\": 1}");
	TG_CHECK_EQ_I64(flags(&c, err, 2, "--config", path), -EINVAL);
	TG_CHECK(strstr(err, "no_such_key") != NULL);
	write_cfg("[1, 2]");
	TG_CHECK_EQ_I64(flags(&c, err, 2, "--config", path), -EINVAL);
	write_cfg("{\"scorers\": \"many\"}");
	TG_CHECK_EQ_I64(flags(&c, err, 2, "--config", path), -EINVAL);
	TG_CHECK_EQ_I64(flags(&c, err, 2, "--config", "/nonexistent/x.json"), -EINVAL);
	TG_CHECK(strstr(err, "cannot open") != NULL);
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/tgtest-runcfg-%d.json", (int)getpid());
	tg_test_case("defaults", t_defaults);
	tg_test_case("json_then_flags", t_json_then_flags);
	tg_test_case("errors", t_errors);
	unlink(path);
	return tg_test_done();
}
