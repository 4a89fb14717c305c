/* fuzz.h - the wire/ fuzz targets. Each takes one input and runs it through
 * a parser of outside bytes, checking invariants (abort on violation). The
 * same functions are built twice: by clang with libFuzzer (`make fuzz`,
 * TG_LIBFUZZER defines LLVMFuzzerTestOneInput) and by gcc into
 * test_wire_fuzz_replay, which runs the committed corpus in `make test`. */
#ifndef TG_FUZZ_H
#define TG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TG_FUZZ_ASSERT(c)                                                                          \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__,  \
			        #c);                                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int tg_fuzz_itch(const uint8_t *data, size_t size);
int tg_fuzz_mold(const uint8_t *data, size_t size);
int tg_fuzz_pcap(const uint8_t *data, size_t size);
int tg_fuzz_binfile(const uint8_t *data, size_t size);

/* Shared by the targets: decode one framed ITCH message and, when it is
 * accepted, check that encoding it gives back exactly the same bytes. */
int tg_fuzz_itch_one(const uint8_t *msg, size_t len);

#endif
