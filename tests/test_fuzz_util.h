/* test_fuzz_util.h - what the fuzz targets under tests/ share. They build
 * both as tg_test programs (corpus replay and seeded mutations) and as
 * libFuzzer targets, where tg_test.h is not included: an invariant that
 * breaks must abort() so that libFuzzer keeps the input that broke it. */
#ifndef TG_TEST_FUZZ_UTIL_H
#define TG_TEST_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#define FZ_ASSERT(c)                                                                               \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #c, __FILE__,       \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
