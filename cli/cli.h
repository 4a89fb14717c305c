/* cli.h - conventions shared by every command: usage errors print one line
 * to stderr and exit 2; runtime errors print one line and exit 1. */
#ifndef TG_CLI_H
#define TG_CLI_H

#ifndef TG_VERSION
#define TG_VERSION "0.1.0"
#endif

#define TG_EXIT_USAGE   2
#define TG_EXIT_FAILURE 1

#include <stdarg.h>
#include <stdio.h>

/* Print "tickguard CMD: <reason> (tickguard CMD --help)" on stderr and
 * return TG_EXIT_USAGE, for `return tg_cli_usage_err("train", ...)`. */
__attribute__((format(printf, 2, 3))) static inline int tg_cli_usage_err(const char *cmd,
                                                                         const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "tickguard %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (tickguard %s --help)\n", cmd);
	return TG_EXIT_USAGE;
}

#endif
