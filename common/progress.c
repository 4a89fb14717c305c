/* progress.c - the progress bar of long commands (see progress.h). */
#include "common/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/tg_common.h"

void tg_progress_start(struct tg_progress *p, const char *label, uint64_t total)
{
	const char *env = getenv("TG_PROGRESS");
	p->label = label;
	p->total = total;
	p->start_ns = tg_monotonic_ns();
	p->last_ns = 0;
	p->enabled = env ? env[0] == '1' : isatty(STDERR_FILENO);
}

static void draw(struct tg_progress *p, uint64_t done, const char *suffix, uint64_t now)
{
	double el = (double)(now - p->start_ns) / 1e9;
	double rate = el > 0 ? (double)done / el : 0;
	char bar[21] = "                    ";
	double frac = p->total ? (double)done / (double)p->total : 0;
	if (frac > 1)
		frac = 1;
	for (int i = 0; i < (int)(frac * 20); i++)
		bar[i] = '#';
	double eta = rate > 0 && p->total > done ? (double)(p->total - done) / rate : 0;
	fprintf(stderr, "\r%s [%s] %3.0f%% %llu/%llu %.0f/s ETA %.0fs %s\033[K", p->label, bar,
	        frac * 100, (unsigned long long)done, (unsigned long long)p->total, rate, eta,
	        suffix ? suffix : "");
}

void tg_progress_update(struct tg_progress *p, uint64_t done, const char *suffix)
{
	if (!p->enabled)
		return;
	uint64_t now = tg_monotonic_ns();
	if (now - p->last_ns < 100000000ull)
		return;
	p->last_ns = now;
	draw(p, done, suffix, now);
}

void tg_progress_finish(struct tg_progress *p, uint64_t done, const char *suffix)
{
	if (!p->enabled)
		return;
	draw(p, done, suffix, tg_monotonic_ns());
	fputc('\n', stderr);
}
