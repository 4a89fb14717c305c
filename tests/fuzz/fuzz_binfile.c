/* fuzz_binfile.c - the BinaryFILE reader (with the zero-length-prefix
 * rule) and the ITCH decoder on each record. Invariants: records lie
 * inside the input, every call makes progress or ends, errors are sticky. */
#include "tests/fuzz/fuzz.h"
#include "wire/binfile.h"

int tg_fuzz_binfile(const uint8_t *data, size_t size)
{
	struct tg_binfile f;
	tg_binfile_init_mem(&f, data, size);
	const uint8_t *m;
	size_t len;
	int rc;
	size_t last = 0;
	while ((rc = tg_binfile_next(&f, &m, &len)) > 0) {
		TG_FUZZ_ASSERT(len >= 1 && m >= data + 2 && m + len <= data + size);
		TG_FUZZ_ASSERT(tg_binfile_offset(&f) >= last + 3);
		last = tg_binfile_offset(&f);
		tg_fuzz_itch_one(m, len);
	}
	TG_FUZZ_ASSERT(rc == 0 || rc == TG_WIRE_ETRUNC || rc == TG_WIRE_ETYPE ||
	               rc == TG_WIRE_EEMPTY);
	TG_FUZZ_ASSERT(rc != 0 || tg_binfile_offset(&f) == size);
	TG_FUZZ_ASSERT(tg_binfile_next(&f, &m, &len) == rc);
	TG_FUZZ_ASSERT(f.zero_len_fixed <= f.records);
	return 0;
}

#if defined(TG_LIBFUZZER) && defined(TG_FUZZ_MAIN_binfile)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tg_fuzz_binfile(data, size);
}
#endif
