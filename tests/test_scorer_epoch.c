/* test_scorer_epoch.c - a gateway restart (a new tick-segment epoch) must
 * not make the scorer lose what the old epoch announced: the arrivals it
 * had not read yet are finished from the old mapping before the scorer
 * follows the new segment, and "windows ready = scored + coalesced +
 * discarded + unscored + rejected" still holds. Before the fix the last
 * ten ticks of the old epoch vanished uncounted (found in review). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scorer/recon.h"
#include "scorer/scorer.h"
#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/tg_test.h"

#define W 8

static int fwd_zero(void *ctx, const float *in, uint32_t n, float *out)
{
	(void)ctx;
	(void)in;
	memset(out, 0, (size_t)n * W * sizeof(float));
	return 0;
}

static void tick(struct tg_segment *t, uint64_t *next, uint32_t px)
{
	struct tg_tick k = {.seq = (*next)++, .price_e4 = px, .shares = 1};
	uint64_t w[TG_TICK_SLOT_WORDS - 1];
	tg_tick_pack(&k, w);
	tg_ring_append(tg_segment_tick_ring_w(t, 0), w);
	struct tg_arrival a = {.tick_seq = k.seq};
	uint64_t aw[TG_ARRIVAL_SLOT_WORDS - 1];
	tg_arrival_pack(&a, aw);
	tg_ring_append(tg_segment_arrival_ring_w(t), aw);
}

static void t_old_epoch_finished(void)
{
	struct tg_segment_config tc = {.name = "ticks",
	                               .kind = TG_SEG_TICKS,
	                               .instruments = 2,
	                               .ring_slots = 64,
	                               .arrival_slots = 1024,
	                               .replace_live = true};
	struct tg_segment *old = NULL, *neu = NULL;
	TG_CHECK_EQ_I64(tg_segment_create(&tc, &old), 0);
	if (!old)
		return;
	tg_segment_add_instrument(old, 1, "AAA");
	tg_segment_publish(old);
	struct tg_scaler_group grp = {.name = "*", .min = 0, .max = 1, .n_windows = 1};
	struct tg_scaler *sca = NULL;
	TG_CHECK_EQ_I64(tg_scaler_from_params(TG_SCALE_MINMAX_RAW, W, false, &grp, 1, &sca), 0);
	struct tg_recon_local_config lc = {
	    .forward = fwd_zero, .window = W, .features = 1, .max_batch = 16};
	struct tg_recon *rc = NULL;
	TG_CHECK_EQ_I64(tg_recon_local_create(&lc, &rc), 0);
	struct tg_scorer_config sc = {.index = 0,
	                              .count = 1,
	                              .window = W,
	                              .threshold = 4,
	                              .scaler = sca,
	                              .recon = rc,
	                              .max_batch = 16};
	struct tg_scorer *s = NULL;
	TG_CHECK_EQ_I64(tg_scorer_create(&sc, &s), 0);
	if (!s || !sca || !rc)
		return;
	TG_CHECK_EQ_I64(tg_scorer_attach(s), 0);
	uint64_t next = 0;
	for (int i = 0; i < 20; i++)
		tick(old, &next, 10000);
	tg_scorer_poll(s);
	for (int i = 0; i < 10; i++) /* the old gateway's last ticks, not read yet */
		tick(old, &next, 10000);
	TG_CHECK_EQ_I64(tg_segment_create(&tc, &neu), 0); /* the restarted gateway */
	if (neu) {
		tg_segment_add_instrument(neu, 1, "AAA");
		tg_segment_publish(neu);
	}
	TG_CHECK_EQ_I64(tg_scorer_housekeep(s), -ESTALE);
	uint64_t ready = tg_scorer_counter(s, TG_SC_READY), sum = 0;
	static const unsigned outs[] = {TG_SC_SCORED, TG_SC_COALESCED, TG_SC_DISCARDED,
	                                TG_SC_UNSCORED, TG_SC_REJECTED};
	for (unsigned i = 0; i < sizeof(outs) / sizeof(outs[0]); i++)
		sum += tg_scorer_counter(s, outs[i]);
	TG_CHECK_EQ_U64(tg_scorer_counter(s, TG_SC_ARRIVALS), 30);
	TG_CHECK_EQ_U64(ready, 30 - W + 1);
	TG_CHECK_EQ_U64(sum, ready);
	tg_scorer_destroy(s, true);
	tg_recon_destroy(rc);
	tg_scaler_destroy(sca);
	tg_segment_destroy(old, false);
	if (neu)
		tg_segment_destroy(neu, true);
}

int main(void)
{
	tg_shm_test_setup();
	tg_test_case("old-epoch-arrivals-finished", t_old_epoch_finished);
	return tg_test_done();
}
