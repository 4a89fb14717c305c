/* test_shm_consumer.c - a trading process's view: this program includes
 * only <tickguard/tickguard.h> and links only libtickguard.a (the reader
 * half), which proves the consumer library is self-contained. It reads a
 * ring laid out by hand exactly as the header specifies. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tickguard/tickguard.h>

#include "tests/tg_test.h"

#define SLOTS 8

static _Alignas(64) unsigned char mem[sizeof(struct tg_ring) + SLOTS * TG_TICK_SLOT_WORDS * 8];

static void t_public_api(void)
{
	struct tg_segment *s = NULL;
	TG_CHECK_EQ_I64(tg_segment_attach("no-such-segment-for-consumer", &s), -ENOENT);
	TG_CHECK(strlen(tg_strerror(-EPROTO)) > 0);

	struct tg_ring *r = (struct tg_ring *)(void *)mem;
	r->capacity = SLOTS;
	r->slot_words = TG_TICK_SLOT_WORDS;
	r->rec_kind = TG_REC_TICK;
	/* record 10 in slot 2, written as the writer would (stamp 2n+2) */
	_Atomic uint64_t *slot = &r->slots[2 * TG_TICK_SLOT_WORDS];
	atomic_store(&slot[1], 10);
	atomic_store(&slot[5], 1234500 | (uint64_t)300 << 32);
	atomic_store(&slot[0], 22);
	atomic_store(&r->head, 11);
	struct tg_tick t;
	TG_CHECK_EQ_I64(tg_tick_read(r, 10, &t), 0);
	TG_CHECK_EQ_U64(t.seq, 10);
	TG_CHECK_EQ_U64(t.price_e4, 1234500);
	TG_CHECK_EQ_U64(t.shares, 300);
	struct tg_window w;
	TG_CHECK_EQ_I64(tg_ring_window_last(r, 1, &w), 0);
	TG_CHECK_EQ_U64(tg_window_price_e4(&w, 0), 1234500);
	TG_CHECK(tg_ring_window_valid(&w));
	TG_CHECK_EQ_I64(tg_ring_window_last(r, 2, &w), 0);
	TG_CHECK(!tg_ring_window_valid(&w)); /* record 9 was never written */

	uint64_t words[TG_ALERT_SLOT_WORDS - 1] = {7};
	struct tg_alert a;
	tg_alert_unpack(words, &a);
	TG_CHECK_EQ_U64(a.alert_id, 7);
}

int main(void)
{
	tg_test_case("public-api", t_public_api);
	return tg_test_done();
}
