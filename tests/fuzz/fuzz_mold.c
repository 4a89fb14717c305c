/* fuzz_mold.c - the MoldUDP64 packet walker and the ITCH decoder behind it
 * (the gateway's per-datagram path). Invariants: every message lies inside
 * the packet, sequence numbers are consecutive, a clean end consumed the
 * whole packet, errors are sticky. Also the request-packet decoder and the
 * alert-message decoder on each block. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "wire/alert.h"
#include "wire/moldudp64.h"

int tg_fuzz_mold(const uint8_t *data, size_t size)
{
	struct tg_mold_walk w;
	struct tg_mold_header h;
	struct tg_mold_request req;
	int rr = tg_mold_request_decode(data, size, &req);
	TG_FUZZ_ASSERT(rr == 0 || rr == TG_WIRE_ETRUNC || rr == TG_WIRE_ETRAIL);
	int rc = tg_mold_walk_init(&w, data, size, &h);
	if (rc < 0) {
		TG_FUZZ_ASSERT(rc == TG_WIRE_ETRUNC || rc == TG_WIRE_ETRAIL);
		return 0;
	}
	const uint8_t *m;
	uint16_t len;
	uint64_t seq, n = 0, bytes = TG_MOLD_HDR_BYTES;
	while ((rc = tg_mold_walk_next(&w, &m, &len, &seq)) > 0) {
		TG_FUZZ_ASSERT(m >= data + TG_MOLD_HDR_BYTES + 2 && m + len <= data + size);
		TG_FUZZ_ASSERT(seq == h.seq + n);
		n++;
		bytes += 2u + len;
		tg_fuzz_itch_one(m, len);
		/* the publisher's alert messages travel in the same blocks */
		struct tg_alert a;
		char sym[9];
		int ar = tg_alert_msg_decode(m, len, &a, sym);
		TG_FUZZ_ASSERT(ar == 0 || ar == TG_WIRE_ETRUNC || ar == TG_WIRE_ETYPE ||
		               ar == TG_WIRE_EFORMAT);
		TG_FUZZ_ASSERT(ar != 0 || strlen(sym) <= 8);
	}
	TG_FUZZ_ASSERT(n <= tg_mold_msg_count(&h));
	if (rc == 0) {
		TG_FUZZ_ASSERT(n == tg_mold_msg_count(&h) && bytes == size);
	} else {
		TG_FUZZ_ASSERT(rc == TG_WIRE_ETRUNC || rc == TG_WIRE_ETRAIL);
		TG_FUZZ_ASSERT(tg_mold_walk_next(&w, &m, &len, &seq) == rc);
		TG_FUZZ_ASSERT(n + tg_mold_walk_left(&w) == tg_mold_msg_count(&h));
	}
	return 0;
}

#if defined(TG_LIBFUZZER) && defined(TG_FUZZ_MAIN_mold)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tg_fuzz_mold(data, size);
}
#endif
