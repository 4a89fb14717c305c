/* test_publisher_flow.c - the publisher in-process against real flag
 * segments written by this test (and by child processes playing scorers):
 * episodes across scorers, the alert ring, JSON lines (parsed back with
 * cJSON, every documented field), UDP on loopback (MoldUDP64 + binary alert
 * messages decoded with wire/), a scorer that dies vs one that finishes,
 * and a restarted scorer (new epoch) whose re-scored flags are stale. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "publisher/publisher.h"
#include "shm/shm.h"
#include "tests/tg_test.h"
#include "wire/alert.h"
#include "wire/moldudp64.h"

static char shm_dir[64];

static const char *const fake_counters[] = {"windows_scored", "finished"};

static struct tg_segment *fake_scorer(const char *name)
{
	struct tg_segment_config c = {.name = name,
	                              .kind = TG_SEG_FLAGS,
	                              .ring_slots = 1024,
	                              .counters = 2,
	                              .counter_names = fake_counters};
	struct tg_segment *s = NULL;
	int rc = tg_segment_create(&c, &s);
	if (rc < 0)
		return NULL;
	tg_segment_publish(s);
	return s;
}

/* Flags for instrument id, ticks from..to (window 60), anomalous between
 * a..b inclusive. */
static void put_flags(struct tg_segment *s, uint16_t id, uint64_t from, uint64_t to, uint64_t a,
                      uint64_t b)
{
	struct tg_ring *r = tg_segment_ring_w(s);
	for (uint64_t t = from; t <= to; t++) {
		struct tg_flag f = {0};
		f.first_seq = t - 59;
		f.last_seq = t;
		f.exch_ts_ns = 36000000000000ull + t * 1000000;
		f.recv_ts_ns = tg_realtime_ns() - 1000;
		f.scored_ts_ns = tg_realtime_ns();
		f.anomalous = t >= a && t <= b;
		f.score = f.anomalous ? 5.0 + (double)(t - a) : 0.5;
		f.threshold = 1.0;
		f.first_price_e4 = 1000000;
		f.last_price_e4 = f.anomalous ? 1100000 : 1000000;
		f.instrument = id;
		uint64_t w[TG_FLAG_SLOT_WORDS - 1];
		tg_flag_pack(&f, w);
		tg_ring_append(r, w);
	}
}

static int udp_listener(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	*port = ntohs(a.sin_port);
	struct timeval tv = {0, 200000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static struct tg_publisher *pub_open(const char *udp, FILE *jsonl)
{
	struct tg_publisher_config c = {0};
	tg_episode_config_default(&c.episode);
	c.episode.cooldown_windows = 0;
	c.episode.update_every_windows = 0;
	c.max_scorers = 4;
	c.udp_dest = udp;
	c.jsonl = jsonl;
	struct tg_publisher *p = NULL;
	TG_CHECK_EQ_I64(tg_publisher_create(&c, &p), 0);
	return p;
}

static void t_merge_and_emit(void)
{
	uint16_t port;
	int ufd = udp_listener(&port);
	char dest[32];
	snprintf(dest, sizeof(dest), "127.0.0.1:%u", port);
	char jpath[128];
	snprintf(jpath, sizeof(jpath), "%s/alerts.jsonl", shm_dir);
	FILE *jf = fopen(jpath, "w");
	struct tg_segment *s0 = fake_scorer("flags.0"), *s1 = fake_scorer("flags.1");
	TG_CHECK(s0 && s1);
	if (!s0 || !s1)
		TG_SKIP("cannot create flag segments");
	struct tg_publisher *p = pub_open(dest, jf);
	tg_publisher_rescan(p);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_SCORERS), 2);
	/* scorer 0: instrument 0 with one event; scorer 1: instrument 1, two */
	put_flags(s0, 0, 59, 300, 100, 159);
	put_flags(s1, 1, 59, 300, 80, 90);
	put_flags(s1, 1, 301, 400, 350, 352);
	while (tg_publisher_poll(p, 64) > 0)
		;
	tg_publisher_finish(p);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_FLAGS), 242 + 342);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_ALERTS), 3);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_CLOSES), 3);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_EVENTS), 6);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_JSONL_LINES), 6);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_UDP_PACKETS), 7); /* + end of session */
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_LAT_N), 3);
	TG_CHECK(tg_publisher_counter(p, TG_PUB_LAT_RECV_P50) > 0);
	TG_CHECK(tg_publisher_counter(p, TG_PUB_DEC_N) == 584);

	/* the alert ring, read as a consumer would */
	struct tg_segment *as;
	TG_CHECK_EQ_I64(tg_segment_attach("alerts", &as), 0);
	const struct tg_ring *ar = tg_segment_ring(as);
	TG_CHECK_EQ_U64(tg_ring_head(ar), 6);
	int opens = 0;
	for (uint64_t i = 0; i < tg_ring_head(ar); i++) {
		struct tg_alert a;
		uint64_t w[TG_ALERT_SLOT_WORDS - 1];
		TG_CHECK_EQ_I64(tg_ring_try_read(ar, i, w), 0);
		tg_alert_unpack(w, &a);
		if (a.event == TG_ALERT_OPEN) {
			opens++;
			if (a.instrument == 0) {
				TG_CHECK_EQ_U64(a.last_seq, 100);
				TG_CHECK_EQ_U64(a.first_seq, 41);
			}
		}
		if (a.event == TG_ALERT_CLOSE && a.instrument == 0) {
			TG_CHECK_EQ_U64(a.windows, 60);
			TG_CHECK_NEAR(a.peak_score, 5.0 + 59, 0, 0);
			TG_CHECK_EQ_U64(a.max_price_e4, 1100000);
			TG_CHECK_EQ_U64(a.min_price_e4, 1000000);
		}
	}
	TG_CHECK_EQ_I64(opens, 3);
	tg_segment_detach(as);

	/* UDP: 6 one-message packets in sequence, then end of session */
	uint8_t buf[2048];
	uint64_t want_seq = 1;
	int got = 0;
	for (;;) {
		ssize_t n = recv(ufd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		struct tg_mold_header h;
		TG_CHECK_EQ_I64(tg_mold_header_decode(buf, (size_t)n, &h), 0);
		TG_CHECK_EQ_U64(h.seq, want_seq);
		if (tg_mold_is_end(&h))
			break;
		struct tg_mold_walk w;
		TG_CHECK_EQ_I64(tg_mold_walk_init(&w, buf, (size_t)n, &h), 0);
		const uint8_t *m;
		uint16_t ml;
		uint64_t seq;
		while (tg_mold_walk_next(&w, &m, &ml, &seq) > 0) {
			struct tg_alert a;
			char sym[9];
			TG_CHECK_EQ_I64(tg_alert_msg_decode(m, ml, &a, sym), 0);
			TG_CHECK(a.alert_id >= 1 && a.alert_id <= 3);
			got++;
			want_seq++;
		}
	}
	TG_CHECK_EQ_I64(got, 6);
	close(ufd);

	/* JSON lines: each a valid object with every documented field */
	fclose(jf);
	jf = fopen(jpath, "r");
	char line[2048];
	int lines = 0;
	static const char *num_fields[] = {
	    "alert_id",        "instrument", "first_seq",   "last_seq",
	    "open_exch_ts_ns", "exch_ts_ns", "recv_ts_ns",  "emit_ts_ns",
	    "peak_score",      "threshold",  "first_price", "last_price",
	    "min_price",       "max_price",  "windows",     "latency_recv_ns"};
	while (jf && fgets(line, sizeof(line), jf)) {
		cJSON *j = cJSON_Parse(line);
		TG_CHECK(j != NULL);
		if (!j)
			continue;
		for (size_t i = 0; i < sizeof(num_fields) / sizeof(num_fields[0]); i++)
			TG_CHECK(cJSON_IsNumber(cJSON_GetObjectItem(j, num_fields[i])));
		TG_CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "event")));
		TG_CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "symbol")));
		TG_CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "time")));
		TG_CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "open_time")));
		TG_CHECK_NEAR(cJSON_GetObjectItem(j, "threshold")->valuedouble, 1.0, 0, 0);
		const char *ev = cJSON_GetObjectItem(j, "event")->valuestring;
		if (!strcmp(ev, "close"))
			TG_CHECK_NEAR(cJSON_GetObjectItem(j, "max_price")->valuedouble, 110.0, 1e-9,
			              0);
		cJSON_Delete(j);
		lines++;
	}
	TG_CHECK_EQ_I64(lines, 6);
	if (jf)
		fclose(jf);
	tg_publisher_destroy(p, true);
	tg_segment_destroy(s0, true);
	tg_segment_destroy(s1, true);
}

/* A child process plays scorer k: creates flags.k, writes flags, reports
 * ready on a pipe, waits for "go", then exits (finished or not) or is
 * killed. */
static pid_t child_scorer(const char *name, uint64_t from, uint64_t to, int *go_fd, int finished)
{
	int ready[2], go[2];
	if (pipe(ready) || pipe(go))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		struct tg_segment *s = fake_scorer(name);
		if (!s)
			_exit(3);
		put_flags(s, 0, from, to, from + 10, from + 20);
		if (finished)
			atomic_store(tg_segment_counter_w(s, 1), 1);
		char c = 'r';
		if (write(ready[1], &c, 1) != 1)
			_exit(4);
		if (read(go[0], &c, 1) != 1)
			_exit(5);
		_exit(0); /* no destroy: the segment stays, its writer is gone */
	}
	close(ready[1]);
	close(go[0]);
	char c;
	if (read(ready[0], &c, 1) != 1)
		TG_FAIL("child scorer did not start");
	close(ready[0]);
	*go_fd = go[1];
	return pid;
}

static int n_logs;
static char last_log[256];
static void log_capture(void *arg, const char *line)
{
	(void)arg;
	n_logs++;
	snprintf(last_log, sizeof(last_log), "%s", line);
}

static void t_death_and_restart(void)
{
	struct tg_publisher_config c = {0};
	tg_episode_config_default(&c.episode);
	c.max_scorers = 4;
	c.alerts_name = "alerts2";
	c.log = log_capture;
	struct tg_publisher *p = NULL;
	TG_CHECK_EQ_I64(tg_publisher_create(&c, &p), 0);

	int go;
	pid_t pid = child_scorer("flags.2", 59, 200, &go, 0);
	tg_publisher_rescan(p);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_ATTACHES), 1);
	kill(pid, SIGKILL); /* dies mid-run, "finished" never set */
	waitpid(pid, NULL, 0);
	close(go);
	tg_publisher_rescan(p);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_DEATHS), 1);
	TG_CHECK(strstr(last_log, "died") != NULL);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_FLAGS), 142); /* drained */
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_SCORERS), 0);
	tg_publisher_rescan(p); /* reported once */
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_DEATHS), 1);

	/* restarted: re-scores from tick 150 (stale up to 200), goes on to 260 */
	pid = child_scorer("flags.2", 150, 260, &go, 1);
	tg_publisher_rescan(p);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_REATTACHES), 1);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_SCORERS), 1);
	while (tg_publisher_poll(p, 1000) > 0)
		;
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_FLAGS_STALE), 51);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_FLAGS), 142 + 60);
	if (write(go, "g", 1) != 1)
		TG_FAIL("cannot release child");
	waitpid(pid, NULL, 0);
	close(go);
	tg_publisher_rescan(p);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_FINISHED), 1);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_DEATHS), 1);
	TG_CHECK(strstr(last_log, "finished") != NULL);
	tg_publisher_destroy(p, true);
	tg_segment_remove("flags.2", true);
}

/* Multicast on the loopback interface: a receiver joined to the group gets
 * the sequenced alert messages (skips where multicast is unavailable). */
static void t_multicast(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	setsockopt(r, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
	if (bind(r, (struct sockaddr *)&a, sizeof(a)) < 0)
		TG_SKIP("bind failed");
	socklen_t l = sizeof(a);
	getsockname(r, (struct sockaddr *)&a, &l);
	struct ip_mreq m;
	inet_pton(AF_INET, "239.255.42.7", &m.imr_multiaddr);
	inet_pton(AF_INET, "127.0.0.1", &m.imr_interface);
	if (setsockopt(r, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0) {
		close(r);
		TG_SKIP("cannot join a multicast group on loopback");
	}
	struct timeval tv = {0, 300000};
	setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char dest[64];
	snprintf(dest, sizeof(dest), "239.255.42.7:%u", ntohs(a.sin_port));
	struct tg_publisher_config c = {0};
	tg_episode_config_default(&c.episode);
	c.max_scorers = 1;
	c.alerts_name = "alerts3";
	c.udp_dest = dest;
	c.udp_iface = "127.0.0.1";
	c.session = "MCAST";
	struct tg_publisher *p = NULL;
	TG_CHECK_EQ_I64(tg_publisher_create(&c, &p), 0);
	struct tg_segment *s0 = fake_scorer("flags.0");
	TG_CHECK(s0 != NULL);
	tg_publisher_rescan(p);
	put_flags(s0, 5, 59, 120, 70, 80);
	while (tg_publisher_poll(p, 64) > 0)
		;
	tg_publisher_finish(p);
	uint8_t buf[2048];
	int alerts = 0, ends = 0;
	for (;;) {
		ssize_t n = recv(r, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		struct tg_mold_header h;
		TG_CHECK_EQ_I64(tg_mold_header_decode(buf, (size_t)n, &h), 0);
		TG_CHECK(memcmp(h.session, "MCAST     ", 10) == 0);
		if (tg_mold_is_end(&h)) {
			ends++;
			break;
		}
		struct tg_alert al;
		TG_CHECK_EQ_I64(tg_alert_msg_decode(buf + 22, (size_t)n - 22, &al, NULL), 0);
		TG_CHECK_EQ_U64(al.instrument, 5);
		alerts++;
	}
	TG_CHECK_EQ_I64(alerts, 2); /* open + close */
	TG_CHECK_EQ_I64(ends, 1);
	TG_CHECK_EQ_U64(tg_publisher_counter(p, TG_PUB_UDP_ERRORS), 0);
	tg_publisher_destroy(p, true);
	tg_segment_destroy(s0, true);
	close(r);
}

static void t_json_escaping(void)
{
	struct tg_alert a = {0};
	a.event = TG_ALERT_OPEN;
	a.peak_score = 1.7976931348623157e308;
	a.first_price_e4 = 12345;
	char buf[1024];
	int n = tg_alert_json(&a, "A\"B\\", buf, sizeof(buf));
	TG_CHECK(n > 0);
	cJSON *j = cJSON_Parse(buf);
	TG_CHECK(j != NULL);
	if (j) {
		TG_CHECK_STR(cJSON_GetObjectItem(j, "symbol")->valuestring, "A\"B\\");
		TG_CHECK_NEAR(cJSON_GetObjectItem(j, "first_price")->valuedouble, 1.2345, 1e-12, 0);
		cJSON_Delete(j);
	}
	TG_CHECK_EQ_I64(tg_alert_json(&a, "X", buf, 16), -ENOSPC);
}

int main(void)
{
	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/tgtest-pub-%d", (int)getpid());
	mkdir(shm_dir, 0700);
	setenv("TG_SHM_DIR", shm_dir, 1);
	tg_test_case("merge_and_emit", t_merge_and_emit);
	tg_test_case("death_and_restart", t_death_and_restart);
	tg_test_case("multicast", t_multicast);
	tg_test_case("json_escaping", t_json_escaping);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", shm_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	return tg_test_done();
}
