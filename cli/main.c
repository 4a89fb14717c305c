/* main.c - `tickguard <command> [options]`: one binary, one process per
 * command. The commands are listed in commands.def; each lives in its part's
 * folder. This file only dispatches and prints the command list. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define TG_CMD(name, fn, summary) int fn(int argc, char **argv);
#include "cli/commands.def"
#undef TG_CMD

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
#define TG_CMD(name, fn, summary) {name, fn, summary},
#include "cli/commands.def"
#undef TG_CMD
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tickguard <command> [options]   (tickguard <command> --help)\n\n"
	           "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("tickguard %s\n", TG_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "tickguard: unknown command '%s' (tickguard --help lists them)\n", argv[1]);
	return 2;
}
