/* test_scorer_window.c - the scorer against a real tick segment written by
 * this test: shards, exact window accounting (one window per tick when it
 * keeps up, coalescing under a burst), flag contents, anomalies, arrival
 * ring laps. Then the torn-window test: a writer thread appends as fast as
 * it can into a ring barely larger than the window while the scorer scores;
 * a stand-in model flags any window whose prices are not consecutive. The
 * real scorer must never publish such a window (validate after scoring);
 * the deliberately broken variant (no validation) must be caught doing so.
 *
 * The scaler is MinMax on raw prices with min 0, max 1, so the model sees
 * prices in dollars; the stand-in model reconstructs zeros (score = mean of
 * squared prices) or checks consecutiveness (torn test). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scorer/recon.h"
#include "scorer/scorer.h"
#include "shm/shm.h"
#include "tests/tg_test.h"

#define W 8

static char shm_dir[64];

static void setup_dir(void)
{
	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/tgtest-scorer-%d", (int)getpid());
	mkdir(shm_dir, 0700);
	setenv("TG_SHM_DIR", shm_dir, 1);
}

static void cleanup_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", shm_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", shm_dir);
}

/* Stand-in model 1: reconstruct zeros, score = mean of squared inputs. */
static int fwd_zero(void *ctx, const float *in, uint32_t n, float *out)
{
	(void)ctx;
	(void)in;
	memset(out, 0, (size_t)n * W * sizeof(float));
	return 0;
}

struct rig {
	struct tg_segment *ticks;
	struct tg_scaler *scaler;
	struct tg_recon *recon;
	struct tg_scorer *sc;
	uint64_t next_tick[16];
	uint32_t window;
};

static void rig_open(struct rig *g, uint32_t instruments, uint32_t ring_slots,
                     uint32_t arrival_slots, uint32_t window, tg_recon_forward_fn fwd,
                     uint32_t index, uint32_t count, bool no_validate)
{
	memset(g, 0, sizeof(*g));
	g->window = window;
	struct tg_segment_config tc = {.name = "ticks",
	                               .kind = TG_SEG_TICKS,
	                               .instruments = instruments,
	                               .ring_slots = ring_slots,
	                               .arrival_slots = arrival_slots};
	int rc = tg_segment_create(&tc, &g->ticks);
	TG_CHECK_EQ_I64(rc, 0);
	if (rc)
		TG_SKIP("cannot create a tick segment: %s", tg_strerror(rc));
	for (uint32_t i = 0; i < instruments; i++) {
		char sym[9];
		snprintf(sym, sizeof(sym), "SYM%u", i % 1000);
		TG_CHECK_EQ_I64(tg_segment_add_instrument(g->ticks, (uint16_t)(i + 1), sym), i);
	}
	tg_segment_publish(g->ticks);
	struct tg_scaler_group grp = {.name = "*", .min = 0, .max = 1, .n_windows = 1};
	TG_CHECK_EQ_I64(
	    tg_scaler_from_params(TG_SCALE_MINMAX_RAW, window, false, &grp, 1, &g->scaler), 0);
	struct tg_recon_local_config lc = {
	    .forward = fwd, .window = window, .features = 1, .max_batch = 16};
	TG_CHECK_EQ_I64(tg_recon_local_create(&lc, &g->recon), 0);
	struct tg_scorer_config sc = {.index = index,
	                              .count = count,
	                              .window = window,
	                              .threshold = 4.0,
	                              .scaler = g->scaler,
	                              .recon = g->recon,
	                              .max_batch = 16,
	                              .no_validate = no_validate};
	TG_CHECK_EQ_I64(tg_scorer_create(&sc, &g->sc), 0);
	TG_CHECK_EQ_I64(tg_scorer_attach(g->sc), 0);
}

static void rig_close(struct rig *g)
{
	tg_scorer_destroy(g->sc, true);
	tg_recon_destroy(g->recon);
	tg_scaler_destroy(g->scaler);
	tg_segment_destroy(g->ticks, true);
}

/* Append one tick (price in e4) to instrument id, plus its arrival. */
static void rig_tick(struct tg_segment *ticks, uint64_t *next, uint16_t id, uint32_t price_e4)
{
	struct tg_tick t = {0};
	t.seq = next[id]++;
	t.exch_ts_ns = 34200000000000ull + t.seq * 1000;
	t.recv_ts_ns = 1700000000000000000ull + t.seq;
	t.price_e4 = price_e4;
	t.shares = 100;
	t.instrument = id;
	uint64_t w[TG_TICK_SLOT_WORDS - 1];
	tg_tick_pack(&t, w);
	tg_ring_append(tg_segment_tick_ring_w(ticks, id), w);
	struct tg_arrival a = {.tick_seq = t.seq, .exch_ts_ns = t.exch_ts_ns, .instrument = id};
	uint64_t aw[TG_ARRIVAL_SLOT_WORDS - 1];
	tg_arrival_pack(&a, aw);
	tg_ring_append(tg_segment_arrival_ring_w(ticks), aw);
}

static uint64_t ctr(struct rig *g, unsigned i)
{
	return tg_scorer_counter(g->sc, i);
}

static void check_accounting(struct rig *g)
{
	TG_CHECK_EQ_U64(ctr(g, TG_SC_READY), ctr(g, TG_SC_SCORED) + ctr(g, TG_SC_COALESCED) +
	                                         ctr(g, TG_SC_DISCARDED) + ctr(g, TG_SC_UNSCORED) +
	                                         ctr(g, TG_SC_REJECTED));
}

static int read_flags(struct rig *g, struct tg_flag *out, int max)
{
	struct tg_segment *fs;
	if (tg_segment_attach("flags.0", &fs) < 0)
		return -1;
	const struct tg_ring *r = tg_segment_ring(fs);
	int n = 0;
	uint64_t words[TG_FLAG_SLOT_WORDS - 1];
	for (uint64_t s = 0; s < tg_ring_head(r) && n < max; s++)
		if (tg_ring_try_read(r, s, words) == 0)
			tg_flag_unpack(words, &out[n++]);
	tg_segment_detach(fs);
	(void)g;
	return n;
}

static void t_keeps_up(void)
{
	struct rig g;
	rig_open(&g, 3, 64, 1024, W, fwd_zero, 0, 1, false);
	for (int k = 0; k < 40; k++)
		for (uint16_t id = 0; id < 3; id++) {
			rig_tick(g.ticks, g.next_tick, id, 10000 + (uint32_t)k);
			tg_scorer_poll(g.sc);
		}
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_ARRIVALS), 120);
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_WARMUP), 3 * (W - 1));
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_READY), 3 * (40 - W + 1));
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_SCORED), 3 * (40 - W + 1));
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_COALESCED), 0);
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_ANOMALOUS), 0);
	check_accounting(&g);
	TG_CHECK(tg_scorer_idle(g.sc));
	static struct tg_flag f[256];
	int n = read_flags(&g, f, 256);
	TG_CHECK_EQ_I64(n, 3 * (40 - W + 1));
	/* the first flag: instrument 0, ticks 0..W-1 */
	TG_CHECK_EQ_U64(f[0].instrument, 0);
	TG_CHECK_EQ_U64(f[0].first_seq, 0);
	TG_CHECK_EQ_U64(f[0].last_seq, W - 1);
	TG_CHECK_EQ_U64(f[0].first_price_e4, 10000);
	TG_CHECK_EQ_U64(f[0].last_price_e4, 10000 + W - 1);
	TG_CHECK_EQ_U64(f[0].exch_ts_ns, 34200000000000ull + (W - 1) * 1000);
	TG_CHECK_EQ_U64(f[0].recv_ts_ns, 1700000000000000000ull + W - 1);
	TG_CHECK(f[0].scored_ts_ns > 1700000000000000000ull);
	TG_CHECK_NEAR(f[0].threshold, 4.0, 0, 0);
	/* score = mean of squared prices in dollars (~1.0) */
	TG_CHECK_NEAR(f[0].score, 1.0, 0.01, 0);
	rig_close(&g);
}

static void t_burst_coalesces(void)
{
	struct rig g;
	rig_open(&g, 4, 256, 4096, W, fwd_zero, 0, 1, false);
	for (int k = 0; k < 100; k++)
		for (uint16_t id = 0; id < 4; id++)
			rig_tick(g.ticks, g.next_tick, id, 10000);
	int handled = tg_scorer_poll(g.sc);
	TG_CHECK_EQ_I64(handled, 4);
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_READY), 4 * (100 - W + 1));
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_SCORED), 4);
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_COALESCED), 4 * (100 - W));
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_BATCHES), 1);
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_BATCH_MAX), 4);
	check_accounting(&g);
	static struct tg_flag f[16];
	int n = read_flags(&g, f, 16);
	TG_CHECK_EQ_I64(n, 4);
	for (int i = 0; i < n; i++) /* the freshest window of each instrument */
		TG_CHECK_EQ_U64(f[i].last_seq, 99);
	rig_close(&g);
}

static void t_shard_and_anomaly(void)
{
	struct rig g;
	rig_open(&g, 4, 64, 1024, W, fwd_zero, 1, 2, false);
	for (int k = 0; k < 30; k++)
		for (uint16_t id = 0; id < 4; id++) {
			/* instrument 3 prints $6 at tick 20: windows 20..27 anomalous */
			uint32_t px = (id == 3 && k == 20) ? 60000 : 10000;
			rig_tick(g.ticks, g.next_tick, id, px);
			tg_scorer_poll(g.sc);
		}
	/* scorer 1 of 2 owns instruments 1 and 3 */
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_ARRIVALS_OTHER), 60);
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_SCORED), 2 * (30 - W + 1));
	static struct tg_flag f[128];
	struct tg_segment *fs;
	TG_CHECK_EQ_I64(tg_segment_attach("flags.1", &fs), 0);
	const struct tg_ring *r = tg_segment_ring(fs);
	int n = 0, anom = 0;
	uint64_t words[TG_FLAG_SLOT_WORDS - 1];
	for (uint64_t s = 0; s < tg_ring_head(r); s++)
		if (tg_ring_try_read(r, s, words) == 0) {
			tg_flag_unpack(words, &f[n]);
			TG_CHECK(f[n].instrument % 2 == 1);
			TG_CHECK_EQ_U64(f[n].scorer, 1);
			if (f[n].anomalous) {
				anom++;
				TG_CHECK_EQ_U64(f[n].instrument, 3);
				TG_CHECK(f[n].first_seq <= 20 && f[n].last_seq >= 20);
			}
			n++;
		}
	tg_segment_detach(fs);
	TG_CHECK_EQ_I64(anom, W);
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_ANOMALOUS), W);
	check_accounting(&g);
	rig_close(&g);
}

static void t_arrival_lap_resync(void)
{
	struct rig g;
	rig_open(&g, 2, 64, 16, W, fwd_zero, 0, 1, false);
	for (int k = 0; k < 50; k++)
		for (uint16_t id = 0; id < 2; id++)
			rig_tick(g.ticks, g.next_tick, id, 10000);
	tg_scorer_poll(g.sc); /* 100 arrivals, ring of 16: 84 lost */
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_ARRIVALS_LAPPED), 84);
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_READY), 2 * (50 - W + 1));
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_SCORED), 2);
	check_accounting(&g);
	rig_close(&g);
}

/* ---- torn windows ------------------------------------------------------ */

#define TW 64
/* price of tick s: 1..50 dollars, +1 per tick, wrapping: a window mixing
 * ticks s and s+64 (window = ring = 64 slots, so one append during the
 * read tears it) always breaks the +1 step somewhere. */
static uint32_t torn_price(uint64_t s)
{
	return 10000u * (uint32_t)(1 + s % 50);
}

static int fwd_check(void *ctx, const float *in, uint32_t n, float *out)
{
	(void)ctx;
	for (uint32_t b = 0; b < n; b++) {
		const float *x = in + (size_t)b * TW;
		bool ok = true;
		for (uint32_t i = 1; i < TW; i++) {
			float want = x[i - 1] >= 50.0f ? 1.0f : x[i - 1] + 1.0f;
			ok &= x[i] == want;
		}
		for (uint32_t i = 0; i < TW; i++)
			out[(size_t)b * TW + i] = ok ? x[i] : x[i] + 100.0f;
	}
	return 0;
}

struct writer_arg {
	struct tg_segment *ticks;
	uint64_t n;       /* ticks written (valid once done) */
	uint64_t max;     /* give up after this many */
	atomic_bool stop; /* relaxed: set by the scorer loop, read by the writer */
	atomic_bool done; /* release by the writer, acquire by the scorer loop */
};

/* Writes until the scorer loop has handled enough windows (no sleeps: the
 * two sides meet through these flags only). */
static void *writer_main(void *p)
{
	struct writer_arg *a = p;
	uint64_t next[1] = {0}, s = 0;
	while (s < a->max && !atomic_load_explicit(&a->stop, memory_order_relaxed)) {
		rig_tick(a->ticks, next, 0, torn_price(s));
		s++;
	}
	a->n = s;
	atomic_store_explicit(&a->done, true,
	                      memory_order_release); /* pairs with the loop's acquire */
	return NULL;
}

static uint64_t torn_run(bool no_validate, uint64_t *scored, uint64_t *discarded)
{
	struct rig g;
	rig_open(&g, 1, 64, 1u << 12, TW, fwd_check, 0, 1, no_validate);
	struct writer_arg wa = {.ticks = g.ticks, .max = 50000000};
	uint64_t target = (uint64_t)(20000 * tg_test_scale());
	if (target < 500)
		target = 500;
	pthread_t th;
	pthread_create(&th, NULL, writer_main, &wa);
	while (!atomic_load_explicit(&wa.done, memory_order_acquire)) {
		tg_scorer_poll(g.sc);
		if (ctr(&g, TG_SC_SCORED) + ctr(&g, TG_SC_DISCARDED) >= target)
			atomic_store_explicit(&wa.stop, true, memory_order_relaxed);
	}
	pthread_join(th, NULL);
	while (tg_scorer_poll(g.sc) > 0)
		;
	TG_CHECK_EQ_U64(ctr(&g, TG_SC_READY), wa.n - (TW - 1));
	check_accounting(&g);
	uint64_t bad = ctr(&g, TG_SC_ANOMALOUS);
	*scored = ctr(&g, TG_SC_SCORED);
	*discarded = ctr(&g, TG_SC_DISCARDED);
	rig_close(&g);
	return bad;
}

static void t_torn_never_published(void)
{
	uint64_t scored, discarded;
	uint64_t bad = torn_run(false, &scored, &discarded);
	fprintf(stderr, "  validated: %llu scored, %llu discarded, %llu torn published\n",
	        (unsigned long long)scored, (unsigned long long)discarded, (unsigned long long)bad);
	TG_CHECK_EQ_U64(bad, 0);
	TG_CHECK(scored + discarded > 0);
}

static void t_broken_variant_caught(void)
{
	uint64_t scored, discarded, bad = 0;
	for (int attempt = 0; attempt < 20 && bad == 0; attempt++)
		bad = torn_run(true, &scored, &discarded);
	fprintf(stderr, "  broken (no validation): %llu scored, %llu torn published\n",
	        (unsigned long long)scored, (unsigned long long)bad);
	TG_CHECK(bad > 0);
	TG_CHECK_EQ_U64(discarded, 0);
}

int main(void)
{
	setup_dir();
	tg_test_case("keeps_up", t_keeps_up);
	tg_test_case("burst_coalesces", t_burst_coalesces);
	tg_test_case("shard_and_anomaly", t_shard_and_anomaly);
	tg_test_case("arrival_lap_resync", t_arrival_lap_resync);
	tg_test_case("torn_never_published", t_torn_never_published);
	tg_test_case("broken_variant_caught", t_broken_variant_caught);
	cleanup_dir();
	return tg_test_done();
}
