/* test_harness.c - checks the test harness itself: a passing check passes,
 * and the helpers report both values (run with TG_HARNESS_FAIL=1 to see a
 * deliberate failure make the program fail). */
#include <stdlib.h>

#include "common/tg_common.h"
#include "tests/tg_test.h"

static void t_clock(void)
{
	uint64_t a = tg_monotonic_ns(), b = tg_monotonic_ns();
	TG_CHECK(b >= a);
	TG_CHECK(tg_realtime_ns() > 1600000000ull * 1000000000ull);
}

static void t_deliberate(void)
{
	int fails_before = tg_test_st.failed_checks;
	TG_CHECK_EQ_U64(1, 2); /* must register as a failed check */
	int registered = tg_test_st.failed_checks - fails_before;
	if (!getenv("TG_HARNESS_FAIL"))
		tg_test_st.failed_checks = fails_before; /* expected: undo */
	TG_CHECK_EQ_I64(registered, 1);
}

int main(void)
{
	tg_test_case("clock", t_clock);
	tg_test_case("failing-check-registers", t_deliberate);
	return tg_test_done();
}
