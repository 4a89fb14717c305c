/* test_publisher_restart.c - regression tests for the restart paths of
 * issue 5 ("any process can be restarted without restarting the others";
 * "never lose or invent data silently"), from a reviewer's reproducers:
 *  - a gateway restart starts tick seqs at 0 again: flags of the new tick
 *    epoch must open alerts, not count as stale; an open episode is closed
 *    with reason ticks_epoch; symbols come from the new tick segment;
 *  - a publisher killed with SIGKILL and started again (the real binary)
 *    resumes: no alert id or event emitted twice, none skipped, alert ids
 *    continue, cumulative counters add up, an episode open across the kill
 *    is closed once with its original id.
 * Segments live in a per-process TG_SHM_DIR. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "publisher/episode.h"
#include "publisher/publisher.h"
#include "shm/shm.h"
#include "tests/test_proc_util.h"
#include "tests/tg_test.h"

static char shm_dir[64];

static struct tg_flag mkflag(uint16_t id, uint64_t last, uint32_t epoch, bool anomalous)
{
	struct tg_flag f = {0};
	f.first_seq = last >= 59 ? last - 59 : 0;
	f.last_seq = last;
	f.exch_ts_ns = 36000000000000ull + last * 1000000;
	f.recv_ts_ns = tg_realtime_ns() - 1000;
	f.scored_ts_ns = tg_realtime_ns();
	f.anomalous = anomalous;
	f.score = anomalous ? 50.0 : 0.1;
	f.threshold = 1.0;
	f.first_price_e4 = 1000000;
	f.last_price_e4 = anomalous ? 900000 : 1000000;
	f.instrument = id;
	f.ticks_epoch = epoch;
	return f;
}

/* The reviewer's repro_gw_restart, on the episode logic: 1000 normal
 * windows in tick epoch 1, then the gateway restarts (epoch 2, seqs from 0)
 * and 200 anomalous windows follow at once. */
static void t_episode_new_tick_epoch(void)
{
	struct tg_episode_config cfg;
	tg_episode_config_default(&cfg);
	struct tg_episode e = {0};
	struct tg_episode_stats st = {0};
	uint64_t id = 1;
	struct tg_alert a;
	for (uint64_t k = 0; k < 1000; k++) {
		struct tg_flag f = mkflag(0, k + 59, 1, false);
		tg_episode_epoch(&e, &f, &a, &st);
		tg_episode_step(&e, &cfg, &f, &id, &a, &st);
	}
	int events = 0;
	for (uint64_t k = 0; k < 200; k++) {
		struct tg_flag f = mkflag(0, k + 59, 2, true);
		events += tg_episode_epoch(&e, &f, &a, &st);
		events += tg_episode_step(&e, &cfg, &f, &id, &a, &st);
	}
	TG_CHECK_EQ_U64(st.opened, 1);
	TG_CHECK_EQ_U64(st.stale, 0);
	TG_CHECK_EQ_U64(st.anomalous, 200);
	TG_CHECK_EQ_U64(st.epoch_resets, 1);
	TG_CHECK(events >= 1);
	/* a late flag of the old gateway (epoch 1, high seq) is stale now */
	struct tg_flag late = mkflag(0, 5000, 1, true);
	TG_CHECK_EQ_U64(tg_episode_epoch(&e, &late, &a, &st), 0);
	TG_CHECK_EQ_U64(tg_episode_step(&e, &cfg, &late, &id, &a, &st), 0);
	TG_CHECK_EQ_U64(st.stale, 1);
	/* the episode is open (epoch 2); gateway restarts again: closed with
	 * reason ticks_epoch, then the new epoch's first anomalous window opens
	 * a new alert */
	struct tg_flag f3 = mkflag(0, 59, 3, true);
	TG_CHECK_EQ_U64(tg_episode_epoch(&e, &f3, &a, &st), 1);
	TG_CHECK_EQ_U64(a.event, TG_ALERT_CLOSE);
	TG_CHECK_EQ_U64(a.close_reason, TG_CLOSE_TICKS_EPOCH);
	TG_CHECK_EQ_U64(a.alert_id, 1);
	TG_CHECK_EQ_U64(tg_episode_step(&e, &cfg, &f3, &id, &a, &st), 1);
	TG_CHECK_EQ_U64(a.event, TG_ALERT_OPEN);
	TG_CHECK_EQ_U64(a.alert_id, 2);
	/* epoch 0 (unknown) keeps the old seq-only ordering */
	struct tg_episode e0 = {0};
	struct tg_flag g = mkflag(1, 100, 0, false);
	tg_episode_step(&e0, &cfg, &g, &id, &a, &st);
	g.last_seq = 100;
	uint64_t stale = st.stale;
	tg_episode_step(&e0, &cfg, &g, &id, &a, &st);
	TG_CHECK_EQ_U64(st.stale, stale + 1);
}

static struct tg_segment *mk_ticks(const char *sym)
{
	struct tg_segment_config c = {.name = "ticks",
	                              .kind = TG_SEG_TICKS,
	                              .instruments = 2,
	                              .ring_slots = 64,
	                              .arrival_slots = 64};
	struct tg_segment *t = NULL;
	if (tg_segment_create(&c, &t) < 0)
		return NULL;
	tg_segment_add_instrument(t, 7, sym);
	tg_segment_publish(t);
	return t;
}

static const char *const fake_counters[] = {"windows_scored", "finished"};

static struct tg_segment *fake_scorer(const char *name)
{
	struct tg_segment_config c = {.name = name,
	                              .kind = TG_SEG_FLAGS,
	                              .ring_slots = 4096,
	                              .counters = 2,
	                              .counter_names = fake_counters};
	struct tg_segment *s = NULL;
	if (tg_segment_create(&c, &s) < 0)
		return NULL;
	tg_segment_publish(s);
	return s;
}

/* Windows of instrument id ending at ticks from..to, anomalous in [a, b]. */
static void put_flags(struct tg_segment *s, uint16_t id, uint32_t epoch, uint64_t from, uint64_t to,
                      uint64_t a, uint64_t b)
{
	for (uint64_t t = from; t <= to; t++) {
		struct tg_flag f = mkflag(id, t, epoch, t >= a && t <= b);
		uint64_t w[TG_FLAG_SLOT_WORDS - 1];
		tg_flag_pack(&f, w);
		tg_ring_append(tg_segment_ring_w(s), w);
	}
}

/* Read a JSON lines file: events into arrays (at most cap). */
struct jev {
	char event[8];
	char symbol[12];
	char reason[16];
	uint64_t id;
	uint64_t last_seq;
};
static int read_jsonl(const char *path, struct jev *ev, int cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[2048];
	int n = 0;
	while (fgets(line, sizeof(line), f) && n < cap) {
		cJSON *j = cJSON_Parse(line);
		if (!j) {
			n = -2;
			break;
		}
		const cJSON *e = cJSON_GetObjectItem(j, "event"),
		            *s = cJSON_GetObjectItem(j, "symbol");
		const cJSON *r = cJSON_GetObjectItem(j, "close_reason");
		memset(&ev[n], 0, sizeof(ev[n]));
		snprintf(ev[n].event, sizeof(ev[n].event), "%s",
		         cJSON_IsString(e) ? e->valuestring : "");
		snprintf(ev[n].symbol, sizeof(ev[n].symbol), "%s",
		         cJSON_IsString(s) ? s->valuestring : "");
		snprintf(ev[n].reason, sizeof(ev[n].reason), "%s",
		         cJSON_IsString(r) ? r->valuestring : "");
		ev[n].id = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "alert_id"));
		ev[n].last_seq = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "last_seq"));
		cJSON_Delete(j);
		n++;
	}
	fclose(f);
	return n;
}

/* The publisher in-process across a gateway restart: new-epoch flags of a
 * seen instrument alert, the open episode is closed (ticks_epoch), and the
 * symbol comes from the new tick segment. */
static void t_publisher_gateway_restart(void)
{
	char jpath[128];
	snprintf(jpath, sizeof(jpath), "%s/gw.jsonl", shm_dir);
	FILE *jf = fopen(jpath, "w");
	struct tg_segment *t1 = mk_ticks("AAA"), *s0 = fake_scorer("flags.0");
	if (!t1 || !s0 || !jf)
		TG_SKIP("cannot create segments");
	struct tg_publisher_config c = {0};
	tg_episode_config_default(&c.episode);
	c.episode.cooldown_windows = 0;
	c.episode.update_every_windows = 0;
	c.max_scorers = 1;
	c.alerts_name = "alerts-gw";
	c.jsonl = jf;
	struct tg_publisher *p = NULL;
	TG_CHECK_EQ_I64(tg_publisher_create(&c, &p), 0);
	if (!p)
		return;
	tg_publisher_rescan(p);
	uint32_t e1 = (uint32_t)tg_segment_epoch(t1);
	/* old gateway: 1000 windows, an episode at the end left open */
	put_flags(s0, 0, e1, 59, 1058, 1000, 1058);
	while (tg_publisher_poll(p, 256) > 0)
		;
	struct tg_segment *t2 = mk_ticks("BBB"); /* the gateway restarts */
	TG_CHECK(t2 != NULL);
	if (!t2)
		return;
	uint32_t e2 = (uint32_t)tg_segment_epoch(t2);
	TG_CHECK(e2 != e1);
	put_flags(s0, 0, e2, 59, 258, 59, 258); /* seqs from 0, anomalous at once */
	while (tg_publisher_poll(p, 256) > 0)
		;
	tg_publisher_rescan(p);
	tg_publisher_finish(p);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_FLAGS_STALE), 0);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_ALERTS), 2);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_CLOSES), 2);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_EPOCH_RESETS), 1);
	tg_publisher_destroy(p, true);
	fclose(jf);
	struct jev ev[16];
	int n = read_jsonl(jpath, ev, 16);
	TG_CHECK_EQ_I64(n, 4);
	if (n == 4) {
		TG_CHECK_STR(ev[0].event, "open");
		TG_CHECK_STR(ev[0].symbol, "AAA");
		TG_CHECK_STR(ev[1].event, "close");
		TG_CHECK_STR(ev[1].reason, "ticks_epoch");
		TG_CHECK_STR(ev[2].event, "open");
		TG_CHECK_STR(ev[2].symbol, "BBB"); /* not the stale cached AAA */
		TG_CHECK_EQ_U64(ev[2].id, 2);
		TG_CHECK_STR(ev[3].reason, "end");
	}
	tg_segment_destroy(s0, true);
	tg_segment_destroy(t1, false);
	tg_segment_destroy(t2, true);
}

static pid_t spawn_publisher(const char *jpath)
{
	char bin[512];
	tg_test_bin(bin, sizeof(bin));
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", 0);
		dup2(fd, 2);
		execl(bin, bin, "publisher", "--alerts", "alerts-rs", "--ticks", "ticks-none",
		      "--max-scorers", "2", "--jsonl", jpath, "--cooldown-windows", "0",
		      "--update-every", "0", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Counter `name` of the live alert segment, or UINT64_MAX. */
static uint64_t alerts_ctr(const char *name)
{
	struct tg_segment *a;
	if (tg_segment_attach("alerts-rs", &a) < 0)
		return UINT64_MAX;
	uint64_t v = UINT64_MAX;
	for (uint32_t i = 0; i < tg_segment_counters(a); i++) {
		struct tg_counter_view cv;
		if (tg_segment_counter(a, i, &cv) == 0 && !strcmp(cv.name, name))
			v = cv.value;
	}
	tg_segment_detach(a);
	return v;
}

/* Poll (a condition, not a timed sleep) until the publisher consumed
 * `flags` flags (processed + stale); false after 20 s. */
static bool wait_flags(uint64_t flags)
{
	for (int i = 0; i < 200000; i++) {
		uint64_t f = alerts_ctr("flags"), s = alerts_ctr("flags_stale");
		if (f != UINT64_MAX && s != UINT64_MAX && f + s >= flags)
			return true;
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	return false;
}

static void t_publisher_sigkill_resume(void)
{
	char jpath[128];
	snprintf(jpath, sizeof(jpath), "%s/rs.jsonl", shm_dir);
	struct tg_segment *s0 = fake_scorer("flags.0"), *s1 = fake_scorer("flags.1");
	if (!s0 || !s1)
		TG_SKIP("cannot create segments");
	pid_t pid = spawn_publisher(jpath);
	/* before the kill: instrument 0 one closed episode and one left open;
	 * instrument 1 one closed episode */
	put_flags(s0, 0, 0, 59, 400, 100, 120);
	put_flags(s0, 0, 0, 401, 500, 480, 500);
	put_flags(s1, 1, 0, 59, 300, 200, 210);
	TG_CHECK(wait_flags(442 + 242));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	uint64_t alerts_before = alerts_ctr("alerts"); /* dead writer: not attachable */
	TG_CHECK_EQ_U64(alerts_before, UINT64_MAX);
	/* while the publisher is down: instrument 0's episode goes on, then
	 * closes; instrument 1 opens a new one */
	put_flags(s0, 0, 0, 501, 600, 501, 520);
	put_flags(s1, 1, 0, 301, 400, 350, 360);
	pid = spawn_publisher(jpath);
	TG_CHECK(wait_flags(542 + 342));
	kill(pid, SIGTERM); /* clean finish */
	int status = 0;
	waitpid(pid, &status, 0);
	TG_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct jev ev[64];
	int n = read_jsonl(jpath, ev, 64);
	/* expected: id1 open/close, id2 open (before), id3 open/close (inst 1);
	 * after: id2 close, id4 open/close (inst 1) = 8 events */
	TG_CHECK_EQ_I64(n, 8);
	int opens = 0, closes = 0;
	for (int i = 0; i < n; i++) {
		opens += !strcmp(ev[i].event, "open");
		closes += !strcmp(ev[i].event, "close");
		for (int j = 0; j < i; j++)
			if (ev[i].id == ev[j].id && !strcmp(ev[i].event, ev[j].event))
				TG_FAIL("alert %llu event %s emitted twice",
				        (unsigned long long)ev[i].id, ev[i].event);
	}
	TG_CHECK_EQ_I64(opens, 4);
	TG_CHECK_EQ_I64(closes, 4);
	for (uint64_t id = 1; id <= 4; id++) {
		int o = 0, c = 0;
		for (int i = 0; i < n; i++) {
			o += ev[i].id == id && !strcmp(ev[i].event, "open");
			c += ev[i].id == id && !strcmp(ev[i].event, "close");
		}
		if (o != 1 || c != 1)
			TG_FAIL("alert %llu: %d opens, %d closes", (unsigned long long)id, o, c);
	}
	/* the finished publisher's counters (segment kept: attach as orphan) */
	struct tg_segment *a;
	TG_CHECK_EQ_I64(tg_segment_attach_orphan("alerts-rs", &a), 0);
	uint64_t flags = 0, stale = 0, alerts = 0, resumes = 0, attaches = 0;
	for (uint32_t i = 0; a && i < tg_segment_counters(a); i++) {
		struct tg_counter_view cv;
		tg_segment_counter(a, i, &cv);
		if (!strcmp(cv.name, "flags"))
			flags = cv.value;
		else if (!strcmp(cv.name, "flags_stale"))
			stale = cv.value;
		else if (!strcmp(cv.name, "alerts"))
			alerts = cv.value;
		else if (!strcmp(cv.name, "publisher_resumes"))
			resumes = cv.value;
		else if (!strcmp(cv.name, "scorer_attaches"))
			attaches = cv.value;
	}
	/* the new ring holds only what happened after the kill: a reader that
	 * re-attaches to the new epoch from its start sees nothing twice */
	if (a)
		TG_CHECK_EQ_U64(tg_ring_head(tg_segment_ring(a)), 3);
	if (a)
		tg_segment_detach(a);
	TG_CHECK_EQ_U64(flags + stale, 542 + 342);
	TG_CHECK(stale <= 1); /* at most the one flag of the kill window */
	TG_CHECK_EQ_U64(alerts, 4);
	TG_CHECK_EQ_U64(resumes, 1);
	TG_CHECK_EQ_U64(attaches, 2);
	/* a publisher after a clean finish starts afresh (file truncated) */
	pid = spawn_publisher(jpath);
	TG_CHECK(wait_flags(542 + 342));
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	TG_CHECK_EQ_I64(read_jsonl(jpath, ev, 64), 8); /* re-read all: fresh start re-emits */
	tg_segment_destroy(s0, true);
	tg_segment_destroy(s1, true);
}

int main(void)
{
	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/tgtest-pubrs-%d", (int)getpid());
	mkdir(shm_dir, 0700);
	setenv("TG_SHM_DIR", shm_dir, 1);
	tg_test_case("episode_new_tick_epoch", t_episode_new_tick_epoch);
	tg_test_case("publisher_gateway_restart", t_publisher_gateway_restart);
	tg_test_case("publisher_sigkill_resume", t_publisher_sigkill_resume);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", shm_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	return tg_test_done();
}
