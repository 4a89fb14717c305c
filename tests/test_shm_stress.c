/* test_shm_stress.c - the seqlock under fire. One writer appends ticks as
 * fast as it can (every word of tick n is a function of n) to a small ring,
 * and adds directory entries as it goes; several readers take 60-tick
 * windows in place - the newest ones, and ones at the oldest edge that the
 * writer is about to overwrite - copy them, validate, and check every
 * accepted tick against the function. Zero torn windows may be accepted.
 *
 * The broken variant is the same reader without tg_ring_window_valid: it
 * must see torn windows, which proves the check above can fail.
 *
 * Release/ASan: writer and readers are separate processes (fork), readers
 * attach by name. TSan: threads sharing the writer's mapping (TSan tracks
 * addresses, so separate mappings or processes would hide every race from
 * it). All payload accesses are atomic (relaxed), so the broken reader is
 * no data race in the C11 sense and TSan has nothing to report about it:
 * it runs under TSan too and must still detect torn data.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "shm/shm.h"
#include "tests/test_shm_util.h"
#include "tests/tg_test.h"

#if defined(__SANITIZE_THREAD__)
#define THREADS_DEFAULT 1
#else
#define THREADS_DEFAULT 0
#endif
static bool use_threads; /* THREADS_DEFAULT, or TG_STRESS_THREADS=1 */

#define READERS   3
#define WINDOW    60
#define SLOTS     256
#define INSTR_CAP 64
#define NWORDS    (TG_TICK_SLOT_WORDS - 1)

struct reader_result {
	uint64_t windows;  /* windows accepted (validated, or all if broken) */
	uint64_t torn;     /* accepted windows with a wrong tick */
	uint64_t retries;  /* windows that failed validation */
	uint64_t skipped;  /* window_at said -ENODATA/-EAGAIN */
	uint64_t dir_bad;  /* directory entries seen incomplete */
	uint64_t dir_seen; /* directory entries checked */
	uint64_t torn_seq, torn_word, torn_got, torn_want;
	int attach_rc;
};

struct shared {
	_Atomic int stop;   /* parent -> writer, relaxed (nothing to order) */
	_Atomic int giveup; /* parent -> readers: deadline passed */
	_Atomic uint64_t appended;
	struct tg_segment *seg; /* threads mode: the writer's handle */
	_Atomic int seg_ready;  /* release by writer thread, acquire by readers */
	struct reader_result res[READERS];
	bool broken;
	uint64_t target; /* windows per reader */
	int create_rc;
};

static struct shared *sh;

static struct tg_tick tick_of(uint64_t seq)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ull;
	struct tg_tick t = {
	    .seq = seq,
	    .exch_ts_ns = seq * 3 + 1,
	    .recv_ts_ns = x,
	    .match_no = ~seq,
	    .price_e4 = (uint32_t)(x >> 32),
	    .shares = (uint32_t)seq,
	    .instrument = 0,
	    .side = seq & 1 ? 'B' : 'S',
	    .flags = (uint8_t)(seq >> 8),
	};
	return t;
}

static void symbol_of(uint32_t id, char sym[9])
{
	snprintf(sym, 9, "S%05u", id);
}

static void writer_run(void)
{
	struct tg_segment_config c = {.name = "stress",
	                              .kind = TG_SEG_TICKS,
	                              .instruments = INSTR_CAP,
	                              .ring_slots = SLOTS,
	                              .arrival_slots = SLOTS};
	struct tg_segment *w;
	int rc = tg_segment_create(&c, &w);
	sh->create_rc = rc;
	if (rc) {
		atomic_store_explicit(&sh->stop, 1, memory_order_relaxed);
		atomic_store_explicit(&sh->seg_ready, -1, memory_order_release);
		return;
	}
	char sym[9];
	symbol_of(0, sym);
	tg_segment_add_instrument(w, 0, sym);
	tg_segment_publish(w);
	sh->seg = w;
	/* release pairs with the readers' acquire: sh->seg is set */
	atomic_store_explicit(&sh->seg_ready, 1, memory_order_release);
	struct tg_ring *r = tg_segment_tick_ring_w(w, 0);
	uint64_t words[NWORDS], seq = 0;
	uint32_t added = 1;
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		for (int k = 0; k < 1024; k++, seq++) {
			struct tg_tick t = tick_of(seq);
			tg_tick_pack(&t, words);
			tg_ring_append(r, words);
		}
		if (added < INSTR_CAP && (seq & 0xffff) == 0) {
			symbol_of(added, sym);
			tg_segment_add_instrument(w, (uint16_t)added, sym);
			added++;
		}
	}
	atomic_store_explicit(&sh->appended, seq, memory_order_relaxed);
	if (!use_threads)
		tg_segment_destroy(w, true);
}

static bool check_tick(const uint64_t *got, uint64_t seq, struct reader_result *res)
{
	uint64_t want[NWORDS];
	struct tg_tick t = tick_of(seq);
	tg_tick_pack(&t, want);
	for (int k = 0; k < NWORDS; k++) {
		if (got[k] != want[k]) {
			res->torn_seq = seq;
			res->torn_word = (uint64_t)k + 1;
			res->torn_got = got[k];
			res->torn_want = want[k];
			return false;
		}
	}
	return true;
}

static void check_directory(const struct tg_segment *seg, struct reader_result *res)
{
	uint32_t n = tg_segment_instruments(seg);
	struct tg_instrument_info info;
	char sym[9];
	uint32_t id = n - 1;
	res->dir_seen++;
	symbol_of(id, sym);
	if (tg_segment_instrument(seg, id, &info) != 0 || info.id != id ||
	    info.stock_locate != id || strcmp(info.symbol, sym) != 0)
		res->dir_bad++;
}

static void reader_run(int idx)
{
	struct reader_result *res = &sh->res[idx];
	const struct tg_segment *seg = NULL;
	struct tg_segment *own = NULL;
	if (use_threads) {
		int st;
		/* acquire pairs with the writer's release of seg_ready */
		while ((st = atomic_load_explicit(&sh->seg_ready, memory_order_acquire)) == 0)
			sched_yield();
		if (st < 0)
			return;
		seg = sh->seg;
	} else {
		int rc;
		while ((rc = tg_segment_attach("stress", &own)) == -ENOENT || rc == -EAGAIN) {
			if (atomic_load_explicit(&sh->giveup, memory_order_relaxed))
				break;
			sched_yield();
		}
		res->attach_rc = rc;
		if (rc)
			return;
		seg = own;
	}
	const struct tg_ring *r = tg_segment_tick_ring(seg, 0);
	uint64_t buf[WINDOW][NWORDS];
	struct tg_window w;
	for (uint64_t iter = 0; res->windows < sh->target; iter++) {
		if ((iter & 1023) == 0) {
			if (atomic_load_explicit(&sh->giveup, memory_order_relaxed))
				break;
			check_directory(seg, res);
		}
		int rc;
		if (iter & 1) { /* the newest window */
			rc = tg_ring_window_last(r, WINDOW, &w);
		} else { /* the oldest edge: the writer is about to overwrite it */
			uint64_t h = tg_ring_head(r);
			rc = h < SLOTS
			         ? -EAGAIN
			         : tg_ring_window_at(r, h - SLOTS + (iter >> 1) % 8, WINDOW, &w);
		}
		if (rc) {
			res->skipped++;
			continue;
		}
		for (uint32_t i = 0; i < WINDOW; i++) /* R3: the caller's work */
			for (uint32_t k = 0; k < NWORDS; k++)
				buf[i][k] = tg_window_word(&w, i, k + 1);
		if (!sh->broken && !tg_ring_window_valid(&w)) { /* R4-R5 */
			res->retries++;
			continue;
		}
		res->windows++;
		for (uint32_t i = 0; i < WINDOW; i++) {
			if (!check_tick(buf[i], w.first_seq + i, res)) {
				res->torn++;
				break;
			}
		}
		if (sh->broken && res->torn > 0)
			break; /* seen what it had to see */
	}
	if (own)
		tg_segment_detach(own);
}

static void *writer_thread(void *arg)
{
	(void)arg;
	writer_run();
	return NULL;
}

static void *reader_thread(void *arg)
{
	reader_run((int)(intptr_t)arg);
	return NULL;
}

/* Run writer + readers until every reader is done (or the deadline). */
static void run(bool broken, uint64_t target, double deadline_s)
{
	memset(sh, 0, sizeof(*sh));
	sh->broken = broken;
	sh->target = target;
	uint64_t t0 = tg_monotonic_ns();
	uint64_t deadline = t0 + (uint64_t)(deadline_s * 1e9);
	if (use_threads) {
		pthread_t wt, rt[READERS];
		pthread_create(&wt, NULL, writer_thread, NULL);
		for (int i = 0; i < READERS; i++)
			pthread_create(&rt[i], NULL, reader_thread, (void *)(intptr_t)i);
		/* the deadline is a watchdog: readers poll giveup */
		bool done[READERS] = {false};
		for (int left = READERS; left > 0;) {
			for (int i = 0; i < READERS; i++)
				if (!done[i] && pthread_tryjoin_np(rt[i], NULL) == 0) {
					done[i] = true;
					left--;
				}
			if (tg_monotonic_ns() > deadline)
				atomic_store_explicit(&sh->giveup, 1, memory_order_relaxed);
			sched_yield();
		}
		atomic_store_explicit(&sh->stop, 1, memory_order_relaxed);
		pthread_join(wt, NULL);
		if (sh->seg)
			tg_segment_destroy(sh->seg, true);
	} else {
		pid_t wp = fork();
		if (wp == 0) {
			writer_run();
			_exit(0);
		}
		pid_t rp[READERS];
		for (int i = 0; i < READERS; i++) {
			rp[i] = fork();
			if (rp[i] == 0) {
				reader_run(i);
				_exit(0);
			}
		}
		int left = READERS, st;
		while (left > 0) {
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p == wp) /* the writer ended early (create failed): stop waiting */
				atomic_store_explicit(&sh->giveup, 1, memory_order_relaxed);
			if (p > 0 && p != wp) {
				TG_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
				left--;
				continue;
			}
			if (tg_monotonic_ns() > deadline)
				atomic_store_explicit(&sh->giveup, 1, memory_order_relaxed);
			sched_yield();
		}
		atomic_store_explicit(&sh->stop, 1, memory_order_relaxed);
		TG_CHECK_EQ_I64(waitpid(wp, &st, 0), wp);
	}
	double secs = (double)(tg_monotonic_ns() - t0) / 1e9;
	uint64_t win = 0, torn = 0, retries = 0, dir = 0, dir_bad = 0;
	TG_CHECK_EQ_I64(sh->create_rc, 0);
	for (int i = 0; i < READERS; i++) {
		struct reader_result *r = &sh->res[i];
		TG_CHECK_EQ_I64(r->attach_rc, 0);
		win += r->windows;
		torn += r->torn;
		retries += r->retries;
		dir += r->dir_seen;
		dir_bad += r->dir_bad;
		if (r->torn)
			fprintf(stderr,
			        "  reader %d: torn tick seq %" PRIu64 " word %" PRIu64 ": %#" PRIx64
			        " want %#" PRIx64 "\n",
			        i, r->torn_seq, r->torn_word, r->torn_got, r->torn_want);
	}
	uint64_t appended = atomic_load_explicit(&sh->appended, memory_order_relaxed);
	fprintf(stderr,
	        "  %s %s: %" PRIu64 " windows accepted, %" PRIu64 " torn, %" PRIu64
	        " failed validation, writer %" PRIu64 " ticks (%.1f M/s), %" PRIu64
	        " directory checks, %.2f s\n",
	        use_threads ? "threads" : "processes", broken ? "broken" : "correct", win, torn,
	        retries, appended, (double)appended / secs / 1e6, dir, secs);
	TG_CHECK_EQ_U64(dir_bad, 0);
	if (broken) {
		TG_CHECK(torn > 0); /* the test can fail: unvalidated reads tear */
	} else {
		TG_CHECK_EQ_U64(torn, 0);
		TG_CHECK_EQ_U64(win, target * READERS); /* all done before the deadline */
		TG_CHECK(retries > 0);                  /* validation was exercised, not idle */
	}
}

static uint64_t scaled(double n)
{
	double s = tg_test_scale();
	return (uint64_t)(n * (s > 0 ? s : 1) + 1000);
}

static void t_correct(void)
{
	run(false, scaled(1.0e6), 120);
}

static void t_broken(void)
{
	run(true, scaled(1.0e6), 60);
}

int main(void)
{
	tg_shm_test_setup();
	const char *e = getenv("TG_STRESS_THREADS");
	use_threads = e && *e ? *e == '1' : THREADS_DEFAULT;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	tg_test_case("validated-readers-never-torn", t_correct);
	tg_test_case("broken-reader-sees-torn", t_broken);
	return tg_test_done();
}
