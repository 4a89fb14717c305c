/* consumer.c - what a co-located trading process does with tickguard:
 * attach read-only to the tick segment and the alert ring through
 * <tickguard/tickguard.h> alone, read each instrument's latest window in
 * place (validated, no copy, no syscall), and react to alert events.
 *
 *   tg_consumer [--ticks NAME] [--alerts NAME] [--seconds N] [--window N]
 *
 * Every second it prints, per instrument, the last price and the mean of
 * the last N trades; every alert event is printed as it arrives. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tickguard/tickguard.h>

static atomic_int stop_flag; /* relaxed: set by the signal handler, read by the loop */

static void on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Mean price of the last n ticks, read in place and validated; retried a
 * few times if the writer overwrote the window while we read it. */
static int window_mean(const struct tg_ring *r, uint32_t n, double *mean, uint32_t *last_px,
                       struct tg_reader_stats *st)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		struct tg_window w;
		int rc = tg_ring_window_last(r, n, &w);
		if (rc < 0)
			return rc;
		double sum = 0;
		for (uint32_t i = 0; i < n; i++)
			sum += tg_window_price_e4(&w, i);
		uint32_t last = tg_window_price_e4(&w, n - 1);
		if (tg_ring_window_valid_count(&w, st)) {
			*mean = sum / n / 1e4;
			*last_px = last;
			return 0;
		}
	}
	return -EAGAIN;
}

int main(int argc, char **argv)
{
	const char *ticks_name = "ticks", *alerts_name = "alerts";
	double seconds = 10;
	uint32_t window = 20;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ticks") && i + 1 < argc)
			ticks_name = argv[++i];
		else if (!strcmp(argv[i], "--alerts") && i + 1 < argc)
			alerts_name = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--window") && i + 1 < argc)
			window = (uint32_t)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: tg_consumer [--ticks NAME] [--alerts NAME] "
			                "[--seconds N] [--window N]\n");
			return 2;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct tg_segment *ticks = NULL, *alerts = NULL;
	int rc = tg_segment_attach(ticks_name, &ticks);
	if (rc < 0) {
		fprintf(stderr, "tg_consumer: cannot attach %s: %s\n", ticks_name, tg_strerror(rc));
		return 1;
	}
	rc = tg_segment_attach(alerts_name, &alerts);
	if (rc < 0)
		fprintf(stderr, "tg_consumer: no alert ring %s (%s); ticks only\n", alerts_name,
		        tg_strerror(rc));
	/* check the kind: a tick segment has no single ring (NULL), a flag
	 * segment's ring holds flags, not alerts */
	const struct tg_ring *ar =
	    alerts && tg_segment_kind(alerts) == TG_SEG_ALERTS ? tg_segment_ring(alerts) : NULL;
	uint64_t next_alert = ar ? tg_ring_head(ar) : 0;
	struct tg_reader_stats st = {0};
	double start = now_s(), last_print = start - 1.0; /* print at once */
	uint64_t events = 0;
	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed) &&
	       now_s() - start < seconds) {
		if (ar) {
			uint64_t w[TG_ALERT_SLOT_WORDS - 1];
			tg_ring_catch_up(ar, &next_alert, &st);
			while (next_alert < tg_ring_head(ar) &&
			       tg_ring_try_read(ar, next_alert, w) == 0) {
				struct tg_alert a;
				tg_alert_unpack(w, &a);
				struct tg_instrument_info info = {0};
				tg_segment_instrument(ticks, a.instrument, &info);
				printf("ALERT %s #%llu %.8s ticks %llu..%llu peak %.4g thr %.4g\n",
				       a.event == TG_ALERT_OPEN     ? "open"
				       : a.event == TG_ALERT_UPDATE ? "update"
				                                    : "close",
				       (unsigned long long)a.alert_id, info.symbol,
				       (unsigned long long)a.first_seq,
				       (unsigned long long)a.last_seq, a.peak_score, a.threshold);
				next_alert++;
				events++;
			}
		}
		if (now_s() - last_print >= 1.0) {
			last_print = now_s();
			uint32_t n = tg_segment_instruments(ticks);
			for (uint32_t i = 0; i < n; i++) {
				struct tg_instrument_info info;
				double mean = 0;
				uint32_t px = 0;
				if (tg_segment_instrument(ticks, i, &info) < 0)
					continue;
				const struct tg_ring *r = tg_segment_tick_ring(ticks, i);
				if (window_mean(r, window, &mean, &px, &st) == 0)
					printf("%-8.8s ticks %-8llu last %u.%04u  mean(%u) %.4f\n",
					       info.symbol, (unsigned long long)tg_ring_head(r),
					       px / 10000, px % 10000, window, mean);
			}
			fflush(stdout);
		}
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	printf("tg_consumer: %llu alert events, %llu window reads, %llu retries, %llu lost\n",
	       (unsigned long long)events, (unsigned long long)st.reads,
	       (unsigned long long)st.retries, (unsigned long long)st.laps);
	if (alerts)
		tg_segment_detach(alerts);
	tg_segment_detach(ticks);
	return 0;
}
