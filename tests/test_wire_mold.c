/* test_wire_mold.c - MoldUDP64: header layout, the block walker on good and
 * malformed packets (every truncation point of a real-shaped packet),
 * heartbeat / end of session, request packets, and the builder's MTU and
 * count limits with its packets read back by the walker. */
#include "tests/tg_test.h"
#include "wire/itch.h"
#include "wire/moldudp64.h"

static const char SESS[TG_MOLD_SESSION_LEN] = {'0', '0', '0', '0', '1', '0', '0', '5', '9', 'B'};

static void t_header(void)
{
	struct tg_mold_header h = {.seq = 0x0102030405060708ull, .count = 0x0a0b};
	memcpy(h.session, SESS, sizeof(SESS));
	uint8_t b[20];
	TG_CHECK_EQ_I64(tg_mold_header_encode(&h, b, 19), TG_WIRE_ESPACE);
	TG_CHECK_EQ_I64(tg_mold_header_encode(&h, b, sizeof(b)), 20);
	const uint8_t want[20] = {'0', '0', '0', '0', '1', '0', '0', '5', '9', 'B',
	                          1,   2,   3,   4,   5,   6,   7,   8,   10,  11};
	TG_CHECK(memcmp(b, want, 20) == 0);
	struct tg_mold_header g;
	TG_CHECK_EQ_I64(tg_mold_header_decode(b, 19, &g), TG_WIRE_ETRUNC);
	TG_CHECK_EQ_I64(tg_mold_header_decode(b, 20, &g), 0);
	TG_CHECK(memcmp(g.session, SESS, 10) == 0);
	TG_CHECK_EQ_U64(g.seq, h.seq);
	TG_CHECK_EQ_U64(g.count, h.count);
	char s[10];
	tg_mold_session_set(s, "ABC");
	TG_CHECK(memcmp(s, "ABC       ", 10) == 0);
}

/* A packet of three messages: D (19), E (31), S (12). */
static size_t three(uint8_t *pkt)
{
	struct tg_mold_builder b;
	TG_CHECK_EQ_I64(tg_mold_builder_init(&b, pkt, 200, TG_MOLD_MTU_PAYLOAD, SESS, 100), 0);
	struct tg_itch_msg m;
	memset(&m, 0, sizeof(m));
	uint8_t buf[TG_ITCH_MAX_BYTES];
	const char types[3] = {'D', 'E', 'S'};
	for (int i = 0; i < 3; i++) {
		m.type = (uint8_t)types[i];
		m.ts_ns = 1000u + (unsigned)i;
		int n = tg_itch_encode(&m, buf, sizeof(buf));
		TG_CHECK_EQ_I64(tg_mold_builder_append(&b, buf, (size_t)n), 0);
	}
	TG_CHECK_EQ_U64(tg_mold_builder_count(&b), 3);
	return tg_mold_builder_finish(&b);
}

static int walk_all(const uint8_t *src, size_t len, uint64_t *nmsg)
{
	uint8_t *p = malloc(len ? len : 1); /* exact size: ASan sees overreads */
	if (len)
		memcpy(p, src, len);
	struct tg_mold_walk w;
	struct tg_mold_header h;
	int rc = tg_mold_walk_init(&w, p, len, &h);
	*nmsg = 0;
	if (rc == 0) {
		const uint8_t *m;
		uint16_t ml;
		uint64_t seq;
		while ((rc = tg_mold_walk_next(&w, &m, &ml, &seq)) > 0) {
			TG_CHECK_EQ_U64(seq, h.seq + *nmsg);
			(*nmsg)++;
		}
		/* sticky */
		TG_CHECK_EQ_I64(tg_mold_walk_next(&w, &m, &ml, &seq), rc);
	}
	free(p);
	return rc;
}

static void t_walk(void)
{
	uint8_t pkt[200];
	size_t len = three(pkt);
	TG_CHECK_EQ_U64(len, 20 + 3 * 2 + 19 + 31 + 12);
	uint64_t n;
	TG_CHECK_EQ_I64(walk_all(pkt, len, &n), 0);
	TG_CHECK_EQ_U64(n, 3);
	/* decode what the walker hands out */
	struct tg_mold_walk w;
	struct tg_mold_header h;
	TG_CHECK_EQ_I64(tg_mold_walk_init(&w, pkt, len, &h), 0);
	TG_CHECK_EQ_U64(h.seq, 100);
	TG_CHECK_EQ_U64(h.count, 3);
	const uint8_t *m;
	uint16_t ml;
	uint64_t seq;
	struct tg_itch_msg im;
	TG_CHECK_EQ_I64(tg_mold_walk_next(&w, &m, &ml, &seq), 1);
	TG_CHECK_EQ_I64(tg_itch_decode(m, ml, &im), 19);
	TG_CHECK_EQ_U64(im.type, 'D');
	TG_CHECK_EQ_U64(seq, 100);
	/* every truncation point: the messages before the cut come out intact,
	 * then TG_WIRE_ETRUNC (or ETRUNC from the header) */
	for (size_t cut = 0; cut < len; cut++) {
		int rc = walk_all(pkt, cut, &n);
		TG_CHECK_EQ_I64(rc, TG_WIRE_ETRUNC);
		size_t whole = cut >= 20 + 21 + 33 + 14 ? 3
		               : cut >= 20 + 21 + 33    ? 2
		               : cut >= 41              ? 1
		                                        : 0;
		if (n != whole)
			TG_FAIL("cut %zu: %" PRIu64 " messages, want %zu", cut, n, whole);
	}
	/* trailing garbage after the last message */
	uint8_t big[220];
	memcpy(big, pkt, len);
	big[len] = 0;
	TG_CHECK_EQ_I64(walk_all(big, len + 1, &n), TG_WIRE_ETRAIL);
	TG_CHECK_EQ_U64(n, 3);
	/* a count larger than the blocks present */
	big[19] = 4;
	TG_CHECK_EQ_I64(walk_all(big, len, &n), TG_WIRE_ETRUNC);
	TG_CHECK_EQ_U64(n, 3);
	/* a lying length prefix (0xFFFF) on the second block */
	memcpy(big, pkt, len);
	big[20 + 21] = 0xff;
	big[20 + 22] = 0xff;
	TG_CHECK_EQ_I64(walk_all(big, len, &n), TG_WIRE_ETRUNC);
	TG_CHECK_EQ_U64(n, 1);
	/* zero-length block: returned, the ITCH decoder says empty */
	memcpy(big, pkt, 20);
	big[19] = 1;
	big[20] = 0;
	big[21] = 0;
	TG_CHECK_EQ_I64(tg_mold_walk_init(&w, big, 22, &h), 0);
	TG_CHECK_EQ_I64(tg_mold_walk_next(&w, &m, &ml, &seq), 1);
	TG_CHECK_EQ_U64(ml, 0);
	TG_CHECK_EQ_I64(tg_itch_decode(m, ml, &im), TG_WIRE_EEMPTY);
	TG_CHECK_EQ_I64(tg_mold_walk_next(&w, &m, &ml, &seq), 0);
}

static void t_heartbeat_end(void)
{
	uint8_t b[32];
	TG_CHECK_EQ_I64(tg_mold_heartbeat_encode(SESS, 555, b, sizeof(b)), 20);
	struct tg_mold_header h;
	struct tg_mold_walk w;
	TG_CHECK_EQ_I64(tg_mold_walk_init(&w, b, 20, &h), 0);
	TG_CHECK(tg_mold_is_heartbeat(&h));
	TG_CHECK(!tg_mold_is_end(&h));
	TG_CHECK_EQ_U64(h.seq, 555);
	TG_CHECK_EQ_U64(tg_mold_msg_count(&h), 0);
	const uint8_t *m;
	uint16_t ml;
	uint64_t seq;
	TG_CHECK_EQ_I64(tg_mold_walk_next(&w, &m, &ml, &seq), 0);
	/* a heartbeat with a body is malformed */
	TG_CHECK_EQ_I64(tg_mold_walk_init(&w, b, 22, &h), TG_WIRE_ETRAIL);

	TG_CHECK_EQ_I64(tg_mold_end_encode(SESS, 777, b, sizeof(b)), 20);
	TG_CHECK_EQ_I64(tg_mold_walk_init(&w, b, 20, &h), 0);
	TG_CHECK(tg_mold_is_end(&h));
	TG_CHECK(!tg_mold_is_heartbeat(&h));
	TG_CHECK_EQ_U64(h.count, 0xFFFF);
	TG_CHECK_EQ_U64(tg_mold_msg_count(&h), 0);
	TG_CHECK_EQ_U64(tg_mold_walk_left(&w), 0);
	TG_CHECK_EQ_I64(tg_mold_walk_next(&w, &m, &ml, &seq), 0);
	TG_CHECK_EQ_I64(tg_mold_heartbeat_encode(SESS, 1, b, 19), TG_WIRE_ESPACE);
}

static void t_request(void)
{
	struct tg_mold_request r = {.seq = 19009117, .count = 38}, g;
	memcpy(r.session, SESS, 10);
	uint8_t b[24];
	TG_CHECK_EQ_I64(tg_mold_request_encode(&r, b, sizeof(b)), TG_MOLD_REQUEST_BYTES);
	TG_CHECK_EQ_I64(tg_mold_request_decode(b, 20, &g), 0);
	TG_CHECK(memcmp(g.session, SESS, 10) == 0);
	TG_CHECK_EQ_U64(g.seq, 19009117);
	TG_CHECK_EQ_U64(g.count, 38);
	TG_CHECK_EQ_U64(b[18], 0);
	TG_CHECK_EQ_U64(b[19], 38);
	TG_CHECK_EQ_I64(tg_mold_request_decode(b, 19, &g), TG_WIRE_ETRUNC);
	TG_CHECK_EQ_I64(tg_mold_request_decode(b, 21, &g), TG_WIRE_ETRAIL);
	TG_CHECK_EQ_I64(tg_mold_request_encode(&r, b, 10), TG_WIRE_ESPACE);
}

/* Builder: fills to the MTU exactly, splits into packets whose sequence
 * numbers continue, and the walker reads back every message in order. */
static void t_builder(void)
{
	uint8_t buf[2048];
	struct tg_mold_builder b;
	TG_CHECK_EQ_I64(tg_mold_builder_init(&b, buf, 10, 1500, SESS, 1), TG_WIRE_EINVAL);
	TG_CHECK_EQ_I64(tg_mold_builder_init(&b, buf, sizeof(buf), TG_MOLD_MTU_PAYLOAD, SESS, 1),
	                0);
	uint8_t msg[44];
	memset(msg, 'P', sizeof(msg));
	/* 1472 - 20 = 1452 = 33 * 44 bytes of 46-byte blocks -> 31 fit (1426) */
	uint64_t next = 1, got = 0, pkts = 0;
	int total = 1000;
	uint8_t out[40][TG_MOLD_MTU_PAYLOAD];
	size_t outlen[40];
	for (int i = 0; i < total; i++) {
		msg[1] = (uint8_t)i;
		msg[2] = (uint8_t)(i >> 8);
		int rc = tg_mold_builder_append(&b, msg, sizeof(msg));
		if (rc == TG_WIRE_ESPACE) {
			TG_CHECK_EQ_U64(tg_mold_builder_count(&b), 31);
			outlen[pkts] = tg_mold_builder_finish(&b);
			TG_CHECK(outlen[pkts] <= TG_MOLD_MTU_PAYLOAD);
			memcpy(out[pkts], buf, outlen[pkts]);
			pkts++;
			tg_mold_builder_next(&b);
			rc = tg_mold_builder_append(&b, msg, sizeof(msg));
		}
		TG_CHECK_EQ_I64(rc, 0);
	}
	outlen[pkts] = tg_mold_builder_finish(&b);
	memcpy(out[pkts], buf, outlen[pkts]);
	pkts++;
	TG_CHECK_EQ_U64(pkts, (total + 30) / 31);
	for (uint64_t k = 0; k < pkts; k++) {
		struct tg_mold_walk w;
		struct tg_mold_header h;
		TG_CHECK_EQ_I64(tg_mold_walk_init(&w, out[k], outlen[k], &h), 0);
		TG_CHECK_EQ_U64(h.seq, next);
		const uint8_t *m;
		uint16_t ml;
		uint64_t seq;
		int rc;
		while ((rc = tg_mold_walk_next(&w, &m, &ml, &seq)) > 0) {
			TG_CHECK_EQ_U64(ml, 44);
			TG_CHECK_EQ_U64((uint64_t)m[1] | (uint64_t)m[2] << 8, got & 0xffff);
			TG_CHECK_EQ_U64(seq, got + 1);
			got++;
		}
		TG_CHECK_EQ_I64(rc, 0);
		next += h.count;
	}
	TG_CHECK_EQ_U64(got, (uint64_t)total);
	/* a message that can never fit */
	static uint8_t huge[1500];
	TG_CHECK_EQ_I64(tg_mold_builder_append(&b, huge, 1451), TG_WIRE_EINVAL);
	tg_mold_builder_next(&b);
	TG_CHECK_EQ_I64(tg_mold_builder_append(&b, huge, 1450), 0);
	TG_CHECK_EQ_U64(tg_mold_builder_finish(&b), TG_MOLD_MTU_PAYLOAD);
	/* zero copy: reserve + commit */
	tg_mold_builder_next(&b);
	struct tg_itch_msg im;
	memset(&im, 0, sizeof(im));
	im.type = 'B';
	im.u.broken_trade.match_no = 99;
	uint8_t *dst = tg_mold_builder_reserve(&b, tg_itch_len('B'));
	TG_CHECK(dst != NULL);
	TG_CHECK_EQ_I64(tg_itch_encode(&im, dst, tg_itch_len('B')), 19);
	tg_mold_builder_commit(&b, 19);
	size_t len = tg_mold_builder_finish(&b);
	struct tg_mold_walk w;
	struct tg_mold_header h;
	TG_CHECK_EQ_I64(tg_mold_walk_init(&w, buf, len, &h), 0);
	const uint8_t *m;
	uint16_t ml;
	uint64_t seq;
	TG_CHECK_EQ_I64(tg_mold_walk_next(&w, &m, &ml, &seq), 1);
	TG_CHECK_EQ_I64(tg_itch_decode(m, ml, &im), 19);
	TG_CHECK_EQ_U64(im.u.broken_trade.match_no, 99);
	/* the count limit: 0xFFFE empty messages at most */
	static uint8_t jumbo[20 + 2 * 0x10000];
	TG_CHECK_EQ_I64(tg_mold_builder_init(&b, jumbo, sizeof(jumbo), sizeof(jumbo), SESS, 1), 0);
	int rc = 0;
	uint32_t k = 0;
	while ((rc = tg_mold_builder_append(&b, "", 0)) == 0)
		k++;
	TG_CHECK_EQ_I64(rc, TG_WIRE_ESPACE);
	TG_CHECK_EQ_U64(k, TG_MOLD_MAX_COUNT);
}

int main(void)
{
	tg_test_case("header", t_header);
	tg_test_case("walk", t_walk);
	tg_test_case("heartbeat_end", t_heartbeat_end);
	tg_test_case("request", t_request);
	tg_test_case("builder", t_builder);
	return tg_test_done();
}
