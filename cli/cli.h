/* cli.h - conventions shared by every command: usage errors print one line
 * to stderr and exit 2; runtime errors print one line and exit 1. */
#ifndef TG_CLI_H
#define TG_CLI_H

#ifndef TG_VERSION
#define TG_VERSION "0.1.0"
#endif

#define TG_EXIT_USAGE   2
#define TG_EXIT_FAILURE 1

#endif
