/* progress.h - one-line progress bar for long commands (stderr, only when
 * it is a terminal or TG_PROGRESS=1): done/total, rate, ETA and a caller
 * supplied suffix such as "loss 0.0123". Rate-limited to ~10 updates/s. */
#ifndef TG_PROGRESS_H
#define TG_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct tg_progress {
	const char *label;
	uint64_t total;
	uint64_t start_ns;
	uint64_t last_ns;
	bool enabled;
};

void tg_progress_start(struct tg_progress *p, const char *label, uint64_t total);
void tg_progress_update(struct tg_progress *p, uint64_t done, const char *suffix);
void tg_progress_finish(struct tg_progress *p, uint64_t done, const char *suffix);

#endif
