/* fuzz_itch.c - ITCH 5.0 decoder: the input as one framed message, then as
 * a stream of unframed messages (lengths from the type byte). */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "wire/itch.h"

int tg_fuzz_itch_one(const uint8_t *msg, size_t len)
{
	struct tg_itch_msg m;
	int rc = tg_itch_decode(msg, len, &m);
	if (rc < 0) {
		TG_FUZZ_ASSERT(rc == TG_WIRE_EEMPTY || rc == TG_WIRE_ETYPE || rc == TG_WIRE_ELEN);
		return rc;
	}
	TG_FUZZ_ASSERT((size_t)rc == len && len == tg_itch_len(msg[0]));
	uint8_t out[TG_ITCH_MAX_BYTES];
	TG_FUZZ_ASSERT(tg_itch_encode(&m, out, sizeof(out)) == rc);
	TG_FUZZ_ASSERT(memcmp(out, msg, len) == 0);
	char line[512];
	TG_FUZZ_ASSERT(tg_itch_format(&m, line, sizeof(line)) > 0);
	return rc;
}

int tg_fuzz_itch(const uint8_t *data, size_t size)
{
	tg_fuzz_itch_one(data, size);
	size_t off = 0;
	struct tg_itch_msg m;
	int rc;
	while ((rc = tg_itch_decode_stream(data + off, size - off, &m)) > 0) {
		TG_FUZZ_ASSERT((size_t)rc <= size - off);
		tg_fuzz_itch_one(data + off, (size_t)rc);
		off += (size_t)rc;
	}
	TG_FUZZ_ASSERT(rc == TG_WIRE_EEMPTY || rc == TG_WIRE_ETYPE || rc == TG_WIRE_ETRUNC);
	TG_FUZZ_ASSERT(rc != TG_WIRE_EEMPTY || off == size);
	return 0;
}

#if defined(TG_LIBFUZZER) && defined(TG_FUZZ_MAIN_itch)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tg_fuzz_itch(data, size);
}
#endif
