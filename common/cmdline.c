/* cmdline.c - number parsing and the stop flag of cmdline.h. The one
 * mutable global is the atomic stop flag a signal handler may touch. */
#include "common/cmdline.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

atomic_int tg_stop;

int tg_parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int tg_parse_u32(const char *s, int base, uint32_t *out)
{
	uint64_t v;
	int rc = tg_parse_u64(s, base, UINT32_MAX, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

static void tg_stop_on_signal(int sig)
{
	(void)sig;
	/* relaxed: pairs with the main loops' relaxed loads; guards no data */
	atomic_store_explicit(&tg_stop, 1, memory_order_relaxed);
}

void tg_stop_on_signals(void)
{
	struct sigaction sa = {.sa_handler = tg_stop_on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
