/* fuzz_pcap.c - the pcap reader (global header, records, Ethernet / VLAN /
 * IPv4 / UDP) and, for every datagram it yields, the MoldUDP64 + ITCH path.
 * Invariants: payloads lie inside the input, every frame is accounted for
 * in exactly one counter, the reader terminates. */
#include "tests/fuzz/fuzz.h"
#include "wire/pcap.h"

int tg_fuzz_pcap(const uint8_t *data, size_t size)
{
	struct tg_pcap_reader r;
	if (tg_pcap_init_mem(&r, data, size) < 0)
		return 0;
	struct tg_udp_datagram d;
	int rc;
	uint64_t got = 0;
	while ((rc = tg_pcap_next(&r, &d)) > 0) {
		TG_FUZZ_ASSERT(d.payload >= data && d.payload + d.len <= data + size);
		got++;
		tg_fuzz_mold(d.payload, d.len);
	}
	TG_FUZZ_ASSERT(rc == 0 || rc == TG_WIRE_ETRUNC || rc == TG_WIRE_EFORMAT);
	const struct tg_pcap_counters *c = &r.c;
	TG_FUZZ_ASSERT(c->udp == got);
	TG_FUZZ_ASSERT(c->frames == c->udp + c->not_ip + c->not_udp + c->fragments + c->bad_ip +
	                                c->bad_udp + c->truncated);
	return 0;
}

#if defined(TG_LIBFUZZER) && defined(TG_FUZZ_MAIN_pcap)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tg_fuzz_pcap(data, size);
}
#endif
