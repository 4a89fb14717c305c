/* cmdline.h - what every command's option parsing and main loop share: a
 * strict unsigned number parser and the one process-wide stop flag that
 * SIGINT/SIGTERM set. Never prints; the command reports a bad value in its
 * own words. */
#ifndef TG_CMDLINE_H
#define TG_CMDLINE_H

#include <stdatomic.h>
#include <stdint.h>

/* s as an unsigned number in base (10, or 0 for C prefixes 0x / 0), all of
 * it: empty text, a sign '-', trailing characters, overflow or a value
 * above max give -EINVAL and leave *out alone. 0 on success. */
int tg_parse_u64(const char *s, int base, uint64_t max, uint64_t *out);
int tg_parse_u32(const char *s, int base, uint32_t *out); /* max UINT32_MAX */

/* The process's stop flag: 0 until SIGINT or SIGTERM arrives after
 * tg_stop_on_signals(), then 1. Main loops load it relaxed (it guards no
 * data; pairs with the handler's relaxed store). */
extern atomic_int tg_stop;

/* Install the SIGINT/SIGTERM handler that sets tg_stop (no SA_RESTART:
 * blocking calls return EINTR so loops see the flag). */
void tg_stop_on_signals(void);

#endif
