/* test_backtest_live.c - backtest decisions are the live pipeline's, window
 * for window. Real processes: feedsim sends the labelled synthetic market as
 * ITCH 5.0 over MoldUDP64 on loopback at a paced rate, the gateway fills the
 * tick rings, a scorer (the `tickguard scorer` process, package from disk)
 * writes its decisions to its flag ring. We keep the flag segment mapped
 * while the scorer runs, and after it exits compare every flag it wrote
 * with the backtest of the same synthetic market and the same package:
 * same window (first/last tick, time, prices), same score, same decision.
 * The live scorer may coalesce windows when it falls behind: those windows
 * were never decided live and are not compared (counted in the log).
 * Can fail: the same comparison against a backtest whose threshold is
 * moved past the live scores must find differing decisions. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backtest/backtest.h"
#include "model/package.h"
#include "tests/test_net_util.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"
#include "tickguard/tickguard.h"

static char bin[512], tmp[256];

static const char *p(const char *name)
{
	return tg_test_path(tmp, name);
}

static uint64_t counter(const struct tg_segment *seg, const char *name)
{
	struct tg_counter_view v;
	for (uint32_t i = 0; i < tg_segment_counters(seg); i++)
		if (tg_segment_counter(seg, i, &v) == 0 && strcmp(v.name, name) == 0)
			return v.value;
	return 0;
}

/* A small package trained by the backtest itself on another seed. */
static int make_package(const char *dir)
{
	struct tg_bt_load_opts lo = {
	    .format = "synthetic", .synth_seed = 99, .synth_instruments = 3, .synth_trades = 3000};
	struct tg_bt_input in;
	char err[256];
	if (tg_bt_input_load(NULL, &lo, &in, err, sizeof(err)) < 0)
		return -1;
	struct tg_bt_train_opts to;
	tg_bt_train_opts_default(&to);
	to.mcfg.window = 20;
	to.mcfg.n_enc = to.mcfg.n_dec = 1;
	to.mcfg.enc_units[0] = to.mcfg.dec_units[0] = 8;
	to.epochs = 1;
	to.stride = 2;
	uint64_t tr[3], ca[3];
	for (int i = 0; i < 3; i++)
		tr[i] = 1500, ca[i] = 2400;
	struct tg_model *m = NULL;
	struct tg_scaler *sc = NULL;
	double thr;
	struct tg_detector det;
	memset(&det, 0, sizeof(det));
	int rc = tg_bt_train(&in, tr, ca, &to, &m, &sc, &thr, &det.calib, err, sizeof(err));
	if (rc == 0) {
		det.scaler = sc;
		det.window = 20;
		/* a low threshold (90th percentile) so that many windows are anomalous */
		det.threshold = det.calib.p90;
		det.percentile = 90;
		det.calibrated = true;
		rc = tg_package_save(dir, m, &det, err, sizeof(err));
	}
	if (rc < 0)
		fprintf(stderr, "package: %s\n", err);
	tg_model_destroy(m);
	tg_scaler_destroy(sc);
	tg_bt_input_free(&in);
	return rc;
}

struct cmp {
	uint64_t flags, same_bits, mismatched, decided_anom;
};

static void compare(const struct tg_flag *fl, size_t nf, const struct tg_bt_input *in,
                    const struct tg_bt_result *res, struct cmp *c, bool report)
{
	memset(c, 0, sizeof(*c));
	uint32_t W = res->window;
	for (size_t k = 0; k < nf; k++) {
		const struct tg_flag *f = &fl[k];
		c->flags++;
		const char *why = NULL;
		const struct tg_bt_window *w = NULL;
		if (f->instrument >= res->n)
			why = "unknown instrument";
		else {
			const struct tg_bt_inst *bi = &res->inst[f->instrument];
			const struct tg_bt_series *s = &in->s[f->instrument];
			if (f->last_seq < bi->from_tick ||
			    f->last_seq - bi->from_tick >= bi->n_windows)
				why = "window not in the backtest";
			else {
				w = &bi->w[f->last_seq - bi->from_tick];
				if (f->first_seq + W - 1 != f->last_seq)
					why = "window length";
				else if (f->exch_ts_ns != s->ts_ns[f->last_seq])
					why = "exchange time";
				else if (f->last_price_e4 != s->px_e4[f->last_seq] ||
				         f->first_price_e4 != s->px_e4[f->first_seq])
					why = "prices";
				else if (w->status != TG_BT_W_SCORED)
					why = "backtest rejected the window";
				else if (!(fabs(w->score - f->score) <= 1e-9 * fabs(f->score)))
					why = "score";
				else if ((w->score > res->threshold) != (f->anomalous != 0) ||
				         w->anomalous != f->anomalous)
					why = "decision";
			}
		}
		if (why) {
			if (report && c->mismatched < 5)
				fprintf(stderr,
				        "  flag %zu inst %u last %llu: %s (live %.17g %u, backtest "
				        "%.17g "
				        "%u)\n",
				        k, f->instrument, (unsigned long long)f->last_seq, why,
				        f->score, f->anomalous, w ? w->score : -1.0,
				        w ? w->anomalous : 0);
			c->mismatched++;
			continue;
		}
		c->same_bits += memcmp(&w->score, &f->score, sizeof(double)) == 0;
		c->decided_anom += f->anomalous;
	}
}

static void t_live(void)
{
	if (access(bin, X_OK) != 0)
		TG_SKIP("%s not built", bin);
	TG_CHECK_EQ_I64(make_package(p("pkg")), 0);
	char shm[512];
	snprintf(shm, sizeof(shm), "%s", p("shm"));
	mkdir(shm, 0755);
	setenv("TG_SHM_DIR", shm, 1);
	char listen[64], retr[64], pkg[512];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", tg_test_free_udp_port());
	snprintf(retr, sizeof(retr), "127.0.0.1:%d", tg_test_free_udp_port());
	snprintf(pkg, sizeof(pkg), "%s", p("pkg"));
	const char *trades = tg_test_scale() < 1 ? "400" : "1500";
	const char *const sc_argv[] = {bin,      "scorer", "--model", pkg, "--exit-at-eof",
	                               "--idle", "yield",  NULL};
	const char *const gw_argv[] = {bin,  "gateway", "--listen", listen, "--retransmit",
	                               retr, "--quiet", NULL};
	const char *const fs_argv[] = {bin,      "feedsim",  "--seed",    "5",      "--instruments",
	                               "3",      "--trades", trades,      "--rate", "8000",
	                               "--dest", listen,     "--retrans", retr,     "--linger-s",
	                               "0",      NULL};
	pid_t sc = tg_test_spawn(bin, sc_argv, p("scorer.log"));
	/* map the flag segment while its writer is alive; the mapping stays
	 * readable after it exits */
	struct tg_segment *flags = NULL;
	for (int t = 0; t < 2000 && !flags; t++) {
		int rc = tg_segment_attach("flags.0", &flags);
		if (rc < 0 && rc != -ENOENT && rc != -EAGAIN) {
			TG_FAIL("attach flags.0: %s", tg_strerror(rc));
			break;
		}
		if (!flags) {
			struct timespec ts = {0, 5000000};
			nanosleep(&ts, NULL);
		}
	}
	pid_t gw = tg_test_spawn(bin, gw_argv, p("gateway.log"));
	/* feed only once the tick segment exists (the scorer attaches to it
	 * within its 2 ms retry), so the scorer sees the ticks as they come */
	struct tg_segment *ticks = NULL;
	for (int t = 0; t < 2000 && !ticks; t++) {
		if (tg_segment_attach("ticks", &ticks) < 0) {
			struct timespec ts = {0, 5000000};
			nanosleep(&ts, NULL);
		}
	}
	TG_CHECK(ticks != NULL);
	pid_t fs = tg_test_spawn(bin, fs_argv, p("feedsim.log"));
	TG_CHECK_EQ_I64(tg_test_wait_ms(fs, 60000), 0);
	TG_CHECK_EQ_I64(tg_test_wait_ms(gw, 30000), 0);
	TG_CHECK_EQ_I64(tg_test_wait_ms(sc, 30000), 0);
	if (!flags) {
		TG_FAIL("no flag segment");
		return;
	}
	const struct tg_ring *r = tg_segment_ring(flags);
	uint64_t head = tg_ring_head(r);
	struct tg_flag *fl = calloc(head ? head : 1, sizeof(*fl));
	size_t nf = 0;
	for (uint64_t s = 0; s < head; s++) {
		uint64_t words[TG_FLAG_SLOT_WORDS - 1];
		if (tg_ring_try_read(r, s, words) < 0)
			continue;
		tg_flag_unpack(words, &fl[nf++]);
	}
	uint64_t coalesced = counter(flags, "windows_coalesced");
	uint64_t scored = counter(flags, "windows_scored");
	fprintf(stderr, "  live: %zu flags read, scored %llu, coalesced %llu (not compared)\n", nf,
	        (unsigned long long)scored, (unsigned long long)coalesced);
	TG_CHECK_EQ_U64(nf, scored);
	/* how many depends on how far the scorer lagged (sanitizers: a lot) */
	TG_CHECK(nf >= (tg_test_scale() < 1 ? 3u : 50u));

	/* the backtest of the same market and package */
	struct tg_bt_load_opts lo = {.format = "synthetic",
	                             .synth_seed = 5,
	                             .synth_instruments = 3,
	                             .synth_trades = strtoull(trades, 0, 10)};
	struct tg_bt_input in;
	char err[256];
	TG_CHECK_EQ_I64(tg_bt_input_load(NULL, &lo, &in, err, sizeof(err)), 0);
	struct tg_model *m = NULL;
	struct tg_detector det;
	TG_CHECK_EQ_I64(tg_package_load(pkg, &m, &det, err, sizeof(err)), 0);
	struct tg_bt_config c;
	tg_bt_config_default(&c);
	c.threads = 2;
	struct tg_bt_result res;
	TG_CHECK_EQ_I64(
	    tg_bt_run(&in, NULL, m, det.scaler, det.threshold, &c, &res, err, sizeof(err)), 0);
	struct cmp cm;
	compare(fl, nf, &in, &res, &cm, true);
	fprintf(stderr,
	        "  compared %llu live decisions: %llu mismatched, %llu scores bit-identical, "
	        "%llu anomalous\n",
	        (unsigned long long)cm.flags, (unsigned long long)cm.mismatched,
	        (unsigned long long)cm.same_bits, (unsigned long long)cm.decided_anom);
	TG_CHECK_EQ_U64(cm.mismatched, 0);
	TG_CHECK(cm.decided_anom > 0);
	for (size_t k = 0; k < nf; k++)
		TG_CHECK(fl[k].threshold == det.threshold);

	/* the check can fail: a backtest at another threshold disagrees (just
	 * above every live anomalous score, or below every normal one) */
	double low = INFINITY, hi = 0;
	for (size_t k = 0; k < nf; k++) {
		if (fl[k].anomalous && fl[k].score > hi)
			hi = fl[k].score;
		if (!fl[k].anomalous && fl[k].score < low)
			low = fl[k].score;
	}
	double other = hi > 0 ? hi * 1.001 : low * 0.999;
	struct tg_bt_result res2;
	TG_CHECK_EQ_I64(tg_bt_run(&in, NULL, m, det.scaler, other, &c, &res2, err, sizeof(err)), 0);
	res2.threshold = det.threshold; /* so only the decisions differ */
	compare(fl, nf, &in, &res2, &cm, false);
	TG_CHECK(cm.mismatched > 0);
	tg_bt_result_free(&res2);
	tg_bt_result_free(&res);
	tg_model_destroy(m);
	tg_detector_clear(&det);
	tg_bt_input_free(&in);
	tg_segment_detach(flags);
	tg_segment_detach(ticks);
	free(fl);
}

int main(void)
{
	tg_test_bin(bin, sizeof(bin));
	snprintf(tmp, sizeof(tmp), "/tmp/tg_test_backtest_live_%d", (int)getpid());
	mkdir(tmp, 0755);
	tg_test_case("live", t_live);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (!getenv("TG_KEEP_TMP") && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return tg_test_done();
}
