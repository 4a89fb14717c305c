/* publisher.c - flag rings -> alert episodes -> alert ring, UDP, JSONL
 * (see publisher.h). Each scorer slot k is followed independently; a scorer
 * restart shows up as a new epoch of flags.<k> (the old ring is drained
 * first), a crash as a dead writer whose "finished" counter is not set. */
#include "publisher/publisher.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "publisher/latency.h"
#include "shm/shm.h"
#include "wire/alert.h"
#include "wire/moldudp64.h"

#define PUB_MAX_INSTRUMENTS 65536u

static const char *const pub_counter_names[TG_PUB_NCOUNTERS] = {
    [TG_PUB_FLAGS] = "flags",
    [TG_PUB_FLAGS_STALE] = "flags_stale",
    [TG_PUB_FLAGS_LOST] = "flags_lost",
    [TG_PUB_ANOMALOUS] = "windows_anomalous",
    [TG_PUB_ALERTS] = "alerts",
    [TG_PUB_UPDATES] = "alert_updates",
    [TG_PUB_CLOSES] = "alert_closes",
    [TG_PUB_SUPPRESSED] = "suppressed_in_cooldown",
    [TG_PUB_EVENTS] = "events_emitted",
    [TG_PUB_SCORERS] = "scorers_live",
    [TG_PUB_ATTACHES] = "scorer_attaches",
    [TG_PUB_REATTACHES] = "scorer_restarts",
    [TG_PUB_DEATHS] = "scorer_deaths",
    [TG_PUB_FINISHED] = "scorers_finished",
    [TG_PUB_UDP_PACKETS] = "udp_packets",
    [TG_PUB_UDP_ERRORS] = "udp_errors",
    [TG_PUB_JSONL_LINES] = "jsonl_lines",
    [TG_PUB_JSONL_ERRORS] = "jsonl_errors",
    [TG_PUB_LAT_N] = "lat_alert_n",
    [TG_PUB_LAT_RECV_P50] = "lat_alert_recv_p50_ns",
    [TG_PUB_LAT_RECV_P99] = "lat_alert_recv_p99_ns",
    [TG_PUB_LAT_RECV_P999] = "lat_alert_recv_p999_ns",
    [TG_PUB_LAT_RECV_MAX] = "lat_alert_recv_max_ns",
    [TG_PUB_LAT_EXCH_N] = "lat_alert_exch_n",
    [TG_PUB_LAT_EXCH_P50] = "lat_alert_exch_p50_ns",
    [TG_PUB_LAT_EXCH_P99] = "lat_alert_exch_p99_ns",
    [TG_PUB_LAT_EXCH_P999] = "lat_alert_exch_p999_ns",
    [TG_PUB_LAT_EXCH_OUT] = "lat_alert_exch_out_of_range",
    [TG_PUB_DEC_N] = "lat_decision_n",
    [TG_PUB_DEC_P50] = "lat_decision_recv_p50_ns",
    [TG_PUB_DEC_P99] = "lat_decision_recv_p99_ns",
    [TG_PUB_DEC_P999] = "lat_decision_recv_p999_ns",
    [TG_PUB_LAT_EXCH_REPLAY] = "lat_alert_exch_replayed_clock",
    [TG_PUB_EXCH_CLOCK] = "exch_clock",
    [TG_PUB_EPOCH_RESETS] = "ticks_epoch_resets",
    [TG_PUB_RESUMES] = "publisher_resumes",
    [TG_PUB_RESUME_NEXT_ID] = "resume_next_alert_id",
    [TG_PUB_RESUME_TICKS_EPOCH] = "resume_ticks_epoch",
    [TG_PUB_RESUME_UDP_SEQ] = "resume_udp_seq",
    [TG_PUB_RESUME_OUT] = "resume_events_out",
    [TG_PUB_FINISHED_CLEAN] = "publisher_finished",
};

/* Counters carried over by a resumed publisher (cumulative statistics). */
static const unsigned pub_carried[] = {
    TG_PUB_FLAGS,        TG_PUB_FLAGS_STALE,  TG_PUB_FLAGS_LOST, TG_PUB_ANOMALOUS,
    TG_PUB_ALERTS,       TG_PUB_UPDATES,      TG_PUB_CLOSES,     TG_PUB_SUPPRESSED,
    TG_PUB_EVENTS,       TG_PUB_ATTACHES,     TG_PUB_REATTACHES, TG_PUB_DEATHS,
    TG_PUB_FINISHED,     TG_PUB_UDP_PACKETS,  TG_PUB_UDP_ERRORS, TG_PUB_JSONL_LINES,
    TG_PUB_JSONL_ERRORS, TG_PUB_EPOCH_RESETS, TG_PUB_RESUMES,
};

const char *tg_publisher_counter_name(unsigned i)
{
	return i < TG_PUB_NCOUNTERS ? pub_counter_names[i] : "?";
}

struct pub_source {
	struct tg_segment *seg;
	const struct tg_ring *ring;
	uint64_t next;
	uint64_t epoch;
	int32_t pid;
	bool gone;            /* writer dead and reported; ring drained */
	bool resume;          /* first attach after a resume: try resume_id */
	uint64_t resume_id;   /* pid << 32 | epoch (low 32) of the predecessor's source */
	uint64_t resume_next; /* ... and its consumed position */
};

/* What identifies a flag segment across a publisher restart. */
static uint64_t pub_source_id(int32_t pid, uint64_t epoch)
{
	return (uint64_t)(uint32_t)pid << 32 | (uint32_t)epoch;
}

struct tg_publisher {
	struct tg_publisher_config cfg;
	char alerts_name[64], ticks_name[64], flags_prefix[48];
	struct tg_segment *alerts;
	struct tg_ring *alert_ring;
	_Atomic uint64_t *ctr[TG_PUB_NCOUNTERS];
	struct tg_segment *ticks;
	struct pub_source *src;
	uint32_t rr;                       /* round-robin start */
	struct tg_episode *ep;             /* [PUB_MAX_INSTRUMENTS] */
	char (*symbol)[TG_SYMBOL_LEN + 1]; /* [PUB_MAX_INSTRUMENTS], "" = unknown */
	struct tg_episode_stats st;
	uint64_t next_id;
	int udp_fd;
	struct sockaddr_in udp_addr;
	struct tg_mold_builder mold;
	uint8_t pkt[TG_MOLD_MTU_PAYLOAD];
	struct tg_lat_hist lat_recv, lat_exch, lat_dec;
	uint64_t lat_exch_out, lat_exch_replay;
	uint32_t ticks_epoch;       /* newest flag ticks_epoch seen (0 = none) */
	uint32_t ticks_tried_epoch; /* symbols re-attach tried for this epoch */
	bool resumed;
	uint32_t nctr;              /* TG_PUB_NCOUNTERS + 2 * max_scorers */
	char (*ctr_name)[48];       /* [nctr - TG_PUB_NCOUNTERS] */
	const char **ctr_names;     /* [nctr] */
	_Atomic uint64_t **src_ctr; /* [2 * max_scorers]: id, next */
};

/* Single writer of its counters: relaxed stores/adds (statistics, they
 * order nothing; readers load relaxed). */
static inline void pub_set(struct tg_publisher *p, unsigned i, uint64_t v)
{
	atomic_store_explicit(p->ctr[i], v, memory_order_relaxed);
}
static inline void pub_add(struct tg_publisher *p, unsigned i, uint64_t v)
{
	atomic_fetch_add_explicit(p->ctr[i], v, memory_order_relaxed);
}

uint64_t tg_publisher_counter(const struct tg_publisher *p, unsigned i)
{
	return atomic_load_explicit(p->ctr[i], memory_order_relaxed);
}

bool tg_publisher_resumed(const struct tg_publisher *p)
{
	return p->resumed;
}

static void pub_log(struct tg_publisher *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void pub_log(struct tg_publisher *p, const char *fmt, ...)
{
	if (!p->cfg.log)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->cfg.log(p->cfg.log_arg, line);
}

static int pub_udp_open(struct tg_publisher *p, uint64_t first_seq)
{
	char host[64];
	const char *colon = strrchr(p->cfg.udp_dest, ':');
	if (!colon || (size_t)(colon - p->cfg.udp_dest) >= sizeof(host))
		return -EINVAL;
	memcpy(host, p->cfg.udp_dest, (size_t)(colon - p->cfg.udp_dest));
	host[colon - p->cfg.udp_dest] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return -EINVAL;
	memset(&p->udp_addr, 0, sizeof(p->udp_addr));
	p->udp_addr.sin_family = AF_INET;
	p->udp_addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &p->udp_addr.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (IN_MULTICAST(ntohl(p->udp_addr.sin_addr.s_addr))) {
		unsigned char ttl = (unsigned char)(p->cfg.udp_ttl > 0 ? p->cfg.udp_ttl : 1);
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
		if (p->cfg.udp_iface) {
			struct in_addr ifa;
			if (inet_pton(AF_INET, p->cfg.udp_iface, &ifa) != 1 ||
			    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)) < 0) {
				close(fd);
				return -EINVAL;
			}
		}
	}
	p->udp_fd = fd;
	char session[TG_MOLD_SESSION_LEN];
	tg_mold_session_set(session, p->cfg.session ? p->cfg.session : "TGALERTS");
	tg_mold_builder_init(&p->mold, p->pkt, sizeof(p->pkt), TG_MOLD_MTU_PAYLOAD, session,
	                     first_seq ? first_seq : 1);
	return 0;
}

/* The predecessor's journal (see publisher.h "Restart"), read from its
 * alert segment. */
struct pub_prev {
	struct tg_segment *seg;
	uint64_t v[TG_PUB_NCOUNTERS];
	uint64_t *src; /* [2 * max_scorers]: id, next */
};

static bool pub_prev_counter(const struct tg_segment *seg, const char *name, uint64_t *out)
{
	uint32_t n = tg_segment_counters(seg);
	for (uint32_t i = 0; i < n; i++) {
		struct tg_counter_view v;
		if (tg_segment_counter(seg, i, &v) == 0 && !strcmp(v.name, name)) {
			*out = v.value;
			return true;
		}
	}
	return false;
}

/* Is the flag segment recorded as source k still the live one? */
static bool pub_prev_source_live(struct tg_publisher *p, uint32_t k, uint64_t id)
{
	char name[96];
	snprintf(name, sizeof(name), "%s%u", p->flags_prefix, k);
	struct tg_segment *seg;
	/* a scorer that died since (not restarted yet) still counts: its
	 * segment and our position in it are still valid */
	if (!id || (tg_segment_attach(name, &seg) < 0 && tg_segment_attach_orphan(name, &seg) < 0))
		return false;
	bool same = tg_segment_kind(seg) == TG_SEG_FLAGS &&
	            pub_source_id(tg_segment_writer_pid(seg), tg_segment_epoch(seg)) == id;
	tg_segment_detach(seg);
	return same;
}

/* Load the journal of a crashed predecessor; true if this publisher should
 * resume it (prev->seg stays attached then). */
static bool pub_prev_load(struct tg_publisher *p, struct pub_prev *prev)
{
	if (tg_segment_attach_orphan(p->alerts_name, &prev->seg) < 0)
		return false;
	uint64_t fin = 1;
	bool ok = tg_segment_kind(prev->seg) == TG_SEG_ALERTS &&
	          pub_prev_counter(prev->seg, pub_counter_names[TG_PUB_FINISHED_CLEAN], &fin) &&
	          !fin;
	for (unsigned i = 0; ok && i < TG_PUB_NCOUNTERS; i++)
		pub_prev_counter(prev->seg, pub_counter_names[i], &prev->v[i]);
	bool live = false;
	for (uint32_t k = 0; ok && k < p->cfg.max_scorers; k++) {
		char name[48];
		snprintf(name, sizeof(name), "resume_src%u_id", k);
		pub_prev_counter(prev->seg, name, &prev->src[2 * k]);
		snprintf(name, sizeof(name), "resume_src%u_next", k);
		pub_prev_counter(prev->seg, name, &prev->src[2 * k + 1]);
		live |= pub_prev_source_live(p, k, prev->src[2 * k]);
	}
	if (ok && live)
		return true;
	tg_segment_detach(prev->seg);
	prev->seg = NULL;
	return false;
}

static void pub_output(struct tg_publisher *p, const struct tg_alert *a);

/* Take over from the predecessor: counters, ids, episodes, unfinished
 * output, source positions. */
static void pub_resume(struct tg_publisher *p, const struct pub_prev *prev)
{
	for (size_t i = 0; i < sizeof(pub_carried) / sizeof(pub_carried[0]); i++)
		pub_set(p, pub_carried[i], prev->v[pub_carried[i]]);
	pub_add(p, TG_PUB_RESUMES, 1);
	p->st.flags = prev->v[TG_PUB_FLAGS];
	p->st.stale = prev->v[TG_PUB_FLAGS_STALE];
	p->st.anomalous = prev->v[TG_PUB_ANOMALOUS];
	p->st.opened = prev->v[TG_PUB_ALERTS];
	p->st.updated = prev->v[TG_PUB_UPDATES];
	p->st.closed = prev->v[TG_PUB_CLOSES];
	p->st.suppressed = prev->v[TG_PUB_SUPPRESSED];
	p->st.epoch_resets = prev->v[TG_PUB_EPOCH_RESETS];
	p->ticks_epoch = (uint32_t)prev->v[TG_PUB_RESUME_TICKS_EPOCH];
	p->next_id = prev->v[TG_PUB_RESUME_NEXT_ID] ? prev->v[TG_PUB_RESUME_NEXT_ID] : 1;
	/* Episodes: the last event of each instrument in the old ring. */
	const struct tg_ring *r = tg_segment_ring(prev->seg);
	uint64_t h = r ? tg_ring_head(r) : 0;
	uint64_t out_done = prev->v[TG_PUB_RESUME_OUT];
	for (uint64_t i = r && h > r->capacity ? h - r->capacity : 0; i < h; i++) {
		uint64_t w[TG_ALERT_SLOT_WORDS - 1];
		if (tg_ring_try_read(r, i, w) < 0)
			continue;
		struct tg_alert a;
		tg_alert_unpack(w, &a);
		struct tg_episode *e = &p->ep[a.instrument];
		memset(e, 0, sizeof(*e));
		e->cur = a;
		e->seen = true;
		e->last_seq = a.last_seq;
		e->ticks_epoch = p->ticks_epoch;
		if (a.event == TG_ALERT_CLOSE) {
			e->phase = TG_EPISODE_COOLDOWN;
			e->cool_until_ns = a.exch_ts_ns + p->cfg.episode.cooldown_ns;
		} else {
			e->phase = TG_EPISODE_OPEN;
		}
		if (a.alert_id >= p->next_id)
			p->next_id = a.alert_id + 1;
		/* in the ring but its UDP/JSONL output may not have finished */
		if (i >= out_done)
			pub_output(p, &a);
	}
	pub_set(p, TG_PUB_RESUME_NEXT_ID, p->next_id);
	pub_set(p, TG_PUB_RESUME_TICKS_EPOCH, p->ticks_epoch);
	for (uint32_t k = 0; k < p->cfg.max_scorers; k++) {
		struct pub_source *s = &p->src[k];
		s->resume = prev->src[2 * k] != 0;
		s->resume_id = prev->src[2 * k];
		s->resume_next = prev->src[2 * k + 1];
		/* next before id: a kill in between leaves a harmless pair */
		atomic_store_explicit(p->src_ctr[2 * k + 1], s->resume_next, memory_order_relaxed);
		atomic_store_explicit(p->src_ctr[2 * k], s->resume_id, memory_order_relaxed);
	}
	p->resumed = true;
}

/* The socket and memory tg_publisher_create() allocates (segments are the
 * callers' to release first); create's failure path and destroy share it. */
static void pub_free(struct tg_publisher *p)
{
	if (p->udp_fd >= 0)
		close(p->udp_fd);
	free(p->src_ctr);
	free(p->ctr_names);
	free(p->ctr_name);
	free(p->symbol);
	free(p->ep);
	free(p->src);
	free(p);
}

int tg_publisher_create(const struct tg_publisher_config *cfg, struct tg_publisher **out)
{
	struct tg_publisher *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	p->udp_fd = -1;
	p->next_id = 1;
	snprintf(p->alerts_name, sizeof(p->alerts_name), "%s",
	         cfg->alerts_name ? cfg->alerts_name : "alerts");
	snprintf(p->ticks_name, sizeof(p->ticks_name), "%s",
	         cfg->ticks_name ? cfg->ticks_name : "ticks");
	snprintf(p->flags_prefix, sizeof(p->flags_prefix), "%s",
	         cfg->flags_prefix ? cfg->flags_prefix : "flags.");
	if (!p->cfg.max_scorers)
		p->cfg.max_scorers = 64;
	if (!p->cfg.alert_slots)
		p->cfg.alert_slots = 1u << 16;
	if (!p->cfg.episode.close_below_windows)
		tg_episode_config_default(&p->cfg.episode);
	int err = -ENOMEM;
	uint32_t ns = p->cfg.max_scorers;
	struct pub_prev prev = {0};
	p->nctr = TG_PUB_NCOUNTERS + 2 * ns;
	p->src = calloc(ns, sizeof(*p->src));
	p->ep = calloc(PUB_MAX_INSTRUMENTS, sizeof(*p->ep));
	p->symbol = calloc(PUB_MAX_INSTRUMENTS, sizeof(*p->symbol));
	p->ctr_name = calloc(2 * ns, sizeof(*p->ctr_name));
	p->ctr_names = calloc(p->nctr, sizeof(*p->ctr_names));
	p->src_ctr = calloc(2 * ns, sizeof(*p->src_ctr));
	prev.src = calloc(2 * ns, sizeof(*prev.src));
	if (!p->src || !p->ep || !p->symbol || !p->ctr_name || !p->ctr_names || !p->src_ctr ||
	    !prev.src)
		goto fail;
	for (unsigned i = 0; i < TG_PUB_NCOUNTERS; i++)
		p->ctr_names[i] = pub_counter_names[i];
	for (uint32_t k = 0; k < ns; k++) {
		snprintf(p->ctr_name[2 * k], sizeof(p->ctr_name[0]), "resume_src%u_id", k);
		snprintf(p->ctr_name[2 * k + 1], sizeof(p->ctr_name[0]), "resume_src%u_next", k);
		p->ctr_names[TG_PUB_NCOUNTERS + 2 * k] = p->ctr_name[2 * k];
		p->ctr_names[TG_PUB_NCOUNTERS + 2 * k + 1] = p->ctr_name[2 * k + 1];
	}
	bool resume = pub_prev_load(p, &prev);
	if (cfg->udp_dest) {
		err = pub_udp_open(p, resume ? prev.v[TG_PUB_RESUME_UDP_SEQ] : 1);
		if (err < 0)
			goto fail;
	}
	struct tg_segment_config sc = {
	    .name = p->alerts_name,
	    .kind = TG_SEG_ALERTS,
	    .ring_slots = p->cfg.alert_slots,
	    .counters = p->nctr,
	    .counter_names = p->ctr_names,
	    .dir = cfg->seg_dir,
	};
	err = tg_segment_create(&sc, &p->alerts);
	if (err < 0)
		goto fail;
	p->alert_ring = tg_segment_ring_w(p->alerts);
	for (unsigned i = 0; i < TG_PUB_NCOUNTERS; i++)
		p->ctr[i] = tg_segment_counter_w(p->alerts, i);
	for (uint32_t i = 0; i < 2 * ns; i++)
		p->src_ctr[i] = tg_segment_counter_w(p->alerts, TG_PUB_NCOUNTERS + i);
	pub_set(p, TG_PUB_RESUME_NEXT_ID, p->next_id);
	if (p->udp_fd >= 0)
		pub_set(p, TG_PUB_RESUME_UDP_SEQ, p->mold.seq);
	if (resume) {
		pub_resume(p, &prev);
		tg_segment_detach(prev.seg);
	}
	free(prev.src);
	tg_segment_heartbeat(p->alerts);
	tg_segment_publish(p->alerts);
	*out = p;
	return 0;
fail:
	if (prev.seg)
		tg_segment_detach(prev.seg);
	free(prev.src);
	pub_free(p);
	return err;
}

/* The tick segment was replaced (gateway restart) or its writer died: take
 * the current one if there is one; symbols are looked up again (a new
 * gateway may number instruments differently). */
static void pub_ticks_refresh(struct tg_publisher *p)
{
	struct tg_segment *t;
	if (tg_segment_attach(p->ticks_name, &t) < 0) {
		if (p->ticks && tg_segment_check(p->ticks) == -ESTALE) {
			tg_segment_detach(p->ticks); /* replaced, new one not ready */
			p->ticks = NULL;
			memset(p->symbol, 0, PUB_MAX_INSTRUMENTS * sizeof(*p->symbol));
		}
		return;
	}
	if (p->ticks && tg_segment_epoch(t) == tg_segment_epoch(p->ticks) &&
	    tg_segment_writer_pid(t) == tg_segment_writer_pid(p->ticks)) {
		tg_segment_detach(t);
		return;
	}
	if (p->ticks)
		tg_segment_detach(p->ticks);
	p->ticks = t;
	memset(p->symbol, 0, PUB_MAX_INSTRUMENTS * sizeof(*p->symbol));
}

static const char *pub_symbol(struct tg_publisher *p, uint16_t id)
{
	/* flags from a newer gateway than our tick segment: re-attach (once
	 * per epoch; rescan re-checks periodically too) */
	if (p->ticks && p->ticks_epoch && p->ticks_tried_epoch != p->ticks_epoch &&
	    (uint32_t)tg_segment_epoch(p->ticks) != p->ticks_epoch) {
		p->ticks_tried_epoch = p->ticks_epoch;
		pub_ticks_refresh(p);
	}
	if (p->symbol[id][0])
		return p->symbol[id];
	if (!p->ticks && tg_segment_attach(p->ticks_name, &p->ticks) < 0)
		p->ticks = NULL;
	struct tg_instrument_info info;
	if (p->ticks && tg_segment_instrument(p->ticks, id, &info) == 0) {
		size_t n = strnlen(info.symbol, TG_SYMBOL_LEN);
		while (n && info.symbol[n - 1] == ' ')
			n--;
		memcpy(p->symbol[id], info.symbol, n);
		p->symbol[id][n] = 0;
	}
	return p->symbol[id];
}

static void pub_json_time(char *buf, size_t len, uint64_t ns)
{
	uint64_t s = ns / 1000000000ull;
	snprintf(buf, len, "%02u:%02u:%02u.%09u", (unsigned)(s / 3600 % 100),
	         (unsigned)(s / 60 % 60), (unsigned)(s % 60), (unsigned)(ns % 1000000000ull));
}

static const char *pub_close_reason(uint8_t r)
{
	switch (r) {
	case TG_CLOSE_HYSTERESIS:
		return "hysteresis";
	case TG_CLOSE_END:
		return "end";
	case TG_CLOSE_TICKS_EPOCH:
		return "ticks_epoch";
	}
	return "unknown";
}

int tg_alert_json(const struct tg_alert *a, const char *symbol, char *buf, size_t len)
{
	char sym[2 * TG_SYMBOL_LEN + 1] = "";
	for (size_t i = 0, j = 0; symbol && symbol[i] && i < TG_SYMBOL_LEN; i++) {
		char c = symbol[i];
		if (c == '"' || c == '\\')
			sym[j++] = '\\';
		sym[j++] = (unsigned char)c < 0x20 ? '?' : c;
	}
	char t_open[32], t_now[32];
	pub_json_time(t_open, sizeof(t_open), a->open_exch_ts_ns);
	pub_json_time(t_now, sizeof(t_now), a->exch_ts_ns);
	int64_t lat = a->emit_ts_ns && a->recv_ts_ns ? (int64_t)(a->emit_ts_ns - a->recv_ts_ns) : 0;
	int n = snprintf(
	    buf, len,
	    "{\"event\":\"%s\",\"alert_id\":%llu,\"instrument\":%u,\"symbol\":\"%s\","
	    "\"first_seq\":%llu,\"last_seq\":%llu,\"open_exch_ts_ns\":%llu,\"exch_ts_ns\":%llu,"
	    "\"recv_ts_ns\":%llu,\"emit_ts_ns\":%llu,\"open_time\":\"%s\",\"time\":\"%s\","
	    "\"peak_score\":%.9g,\"threshold\":%.9g,\"first_price\":%u.%04u,"
	    "\"last_price\":%u.%04u,\"min_price\":%u.%04u,\"max_price\":%u.%04u,"
	    "\"windows\":%u,\"latency_recv_ns\":%lld%s%s%s}\n",
	    tg_alert_event_name(a->event), (unsigned long long)a->alert_id, a->instrument, sym,
	    (unsigned long long)a->first_seq, (unsigned long long)a->last_seq,
	    (unsigned long long)a->open_exch_ts_ns, (unsigned long long)a->exch_ts_ns,
	    (unsigned long long)a->recv_ts_ns, (unsigned long long)a->emit_ts_ns, t_open, t_now,
	    a->peak_score, a->threshold, a->first_price_e4 / 10000, a->first_price_e4 % 10000,
	    a->last_price_e4 / 10000, a->last_price_e4 % 10000, a->min_price_e4 / 10000,
	    a->min_price_e4 % 10000, a->max_price_e4 / 10000, a->max_price_e4 % 10000, a->windows,
	    (long long)lat, a->event == TG_ALERT_CLOSE ? ",\"close_reason\":\"" : "",
	    a->event == TG_ALERT_CLOSE ? pub_close_reason(a->close_reason) : "",
	    a->event == TG_ALERT_CLOSE ? "\"" : "");
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static void pub_emit(struct tg_publisher *p, struct tg_alert *a)
{
	a->emit_ts_ns = tg_realtime_ns();
	uint64_t words[TG_ALERT_SLOT_WORDS - 1];
	tg_alert_pack(a, words);
	tg_ring_append(p->alert_ring, words);
	pub_add(p, TG_PUB_EVENTS, 1);
	if (a->event == TG_ALERT_OPEN) {
		tg_lat_add(&p->lat_recv, a->emit_ts_ns - a->recv_ts_ns);
		uint64_t d;
		if (p->cfg.exch_clock == TG_PUB_EXCH_CLOCK_REPLAY)
			p->lat_exch_replay++;
		else if (tg_lat_exch_ns(a->emit_ts_ns, a->exch_ts_ns, p->cfg.exch_utc_offset_s,
		                        3600ull * 1000000000ull, &d) == 0)
			tg_lat_add(&p->lat_exch, d);
		else
			p->lat_exch_out++;
	}
	pub_output(p, a);
	/* every event up to the ring head is fully output (resume journal) */
	pub_set(p, TG_PUB_RESUME_OUT, tg_ring_head(p->alert_ring));
}

/* UDP and JSON lines for one event already in the ring. */
static void pub_output(struct tg_publisher *p, const struct tg_alert *a)
{
	const char *sym = pub_symbol(p, a->instrument);
	if (p->udp_fd >= 0) {
		uint8_t *m = tg_mold_builder_reserve(&p->mold, TG_ALERT_MSG_BYTES);
		if (m && tg_alert_msg_encode(a, sym, m, TG_ALERT_MSG_BYTES) == TG_ALERT_MSG_BYTES) {
			tg_mold_builder_commit(&p->mold, TG_ALERT_MSG_BYTES);
			size_t n = tg_mold_builder_finish(&p->mold);
			if (sendto(p->udp_fd, p->pkt, n, 0, (struct sockaddr *)&p->udp_addr,
			           sizeof(p->udp_addr)) == (ssize_t)n)
				pub_add(p, TG_PUB_UDP_PACKETS, 1);
			else
				pub_add(p, TG_PUB_UDP_ERRORS, 1);
			/* the sequence advances even if the send failed: a gap the
			 * receiver sees, never a silently reused number */
			tg_mold_builder_next(&p->mold);
			pub_set(p, TG_PUB_RESUME_UDP_SEQ, p->mold.seq);
		} else {
			pub_add(p, TG_PUB_UDP_ERRORS, 1);
		}
	}
	if (p->cfg.jsonl) {
		char line[1024];
		int n = tg_alert_json(a, sym, line, sizeof(line));
		if (n > 0 && fwrite(line, 1, (size_t)n, p->cfg.jsonl) == (size_t)n &&
		    fflush(p->cfg.jsonl) == 0)
			pub_add(p, TG_PUB_JSONL_LINES, 1);
		else
			pub_add(p, TG_PUB_JSONL_ERRORS, 1);
	}
}

static void pub_sync_stats(struct tg_publisher *p)
{
	pub_set(p, TG_PUB_FLAGS, p->st.flags);
	pub_set(p, TG_PUB_FLAGS_STALE, p->st.stale);
	pub_set(p, TG_PUB_ANOMALOUS, p->st.anomalous);
	pub_set(p, TG_PUB_ALERTS, p->st.opened);
	pub_set(p, TG_PUB_UPDATES, p->st.updated);
	pub_set(p, TG_PUB_CLOSES, p->st.closed);
	pub_set(p, TG_PUB_SUPPRESSED, p->st.suppressed);
	pub_set(p, TG_PUB_EPOCH_RESETS, p->st.epoch_resets);
	pub_set(p, TG_PUB_RESUME_NEXT_ID, p->next_id);
}

static void pub_sync_latency(struct tg_publisher *p)
{
	pub_set(p, TG_PUB_LAT_N, p->lat_recv.count);
	pub_set(p, TG_PUB_LAT_RECV_P50, tg_lat_quantile(&p->lat_recv, 0.5));
	pub_set(p, TG_PUB_LAT_RECV_P99, tg_lat_quantile(&p->lat_recv, 0.99));
	pub_set(p, TG_PUB_LAT_RECV_P999, tg_lat_quantile(&p->lat_recv, 0.999));
	pub_set(p, TG_PUB_LAT_RECV_MAX, p->lat_recv.max);
	pub_set(p, TG_PUB_LAT_EXCH_N, p->lat_exch.count);
	pub_set(p, TG_PUB_LAT_EXCH_P50, tg_lat_quantile(&p->lat_exch, 0.5));
	pub_set(p, TG_PUB_LAT_EXCH_P99, tg_lat_quantile(&p->lat_exch, 0.99));
	pub_set(p, TG_PUB_LAT_EXCH_P999, tg_lat_quantile(&p->lat_exch, 0.999));
	pub_set(p, TG_PUB_LAT_EXCH_OUT, p->lat_exch_out);
	pub_set(p, TG_PUB_DEC_N, p->lat_dec.count);
	pub_set(p, TG_PUB_DEC_P50, tg_lat_quantile(&p->lat_dec, 0.5));
	pub_set(p, TG_PUB_DEC_P99, tg_lat_quantile(&p->lat_dec, 0.99));
	pub_set(p, TG_PUB_DEC_P999, tg_lat_quantile(&p->lat_dec, 0.999));
	pub_set(p, TG_PUB_LAT_EXCH_REPLAY, p->lat_exch_replay);
	pub_set(p, TG_PUB_EXCH_CLOCK, (uint64_t)p->cfg.exch_clock);
}

static void pub_flag(struct tg_publisher *p, const struct tg_flag *f, uint64_t now)
{
	if (f->recv_ts_ns && now > f->recv_ts_ns)
		tg_lat_add(&p->lat_dec, now - f->recv_ts_ns);
	if (f->ticks_epoch && (int32_t)(f->ticks_epoch - p->ticks_epoch) > 0) {
		p->ticks_epoch = f->ticks_epoch;
		pub_set(p, TG_PUB_RESUME_TICKS_EPOCH, p->ticks_epoch);
	}
	struct tg_episode *e = &p->ep[f->instrument];
	struct tg_alert a;
	if (tg_episode_epoch(e, f, &a, &p->st))
		pub_emit(p, &a);
	if (tg_episode_step(e, &p->cfg.episode, f, &p->next_id, &a, &p->st))
		pub_emit(p, &a);
}

/* Journal source s's position (after its effects are out). */
static void pub_source_mark(struct tg_publisher *p, const struct pub_source *s)
{
	atomic_store_explicit(p->src_ctr[2 * (size_t)(s - p->src) + 1], s->next,
	                      memory_order_relaxed);
}

/* Up to budget flags of one source. */
static uint32_t pub_drain(struct tg_publisher *p, struct pub_source *s, uint32_t budget)
{
	if (!s->ring)
		return 0;
	uint64_t h = tg_ring_head(s->ring);
	uint64_t words[TG_FLAG_SLOT_WORDS - 1];
	uint32_t done = 0;
	uint64_t now = tg_realtime_ns();
	while (s->next < h && done < budget) {
		int rc = tg_ring_try_read(s->ring, s->next, words);
		if (rc == -ENODATA) {
			uint64_t nh = tg_ring_head(s->ring);
			uint64_t skip =
			    nh > s->next + s->ring->capacity ? nh - s->ring->capacity - s->next : 1;
			pub_add(p, TG_PUB_FLAGS_LOST, skip);
			s->next += skip;
			pub_source_mark(p, s);
			continue;
		}
		if (rc < 0)
			break;
		s->next++;
		done++;
		struct tg_flag f;
		tg_flag_unpack(words, &f);
		pub_flag(p, &f, now);
		/* statistics and position together, per flag: a resumed
		 * publisher continues from a consistent pair */
		pub_sync_stats(p);
		pub_source_mark(p, s);
	}
	return done;
}

int tg_publisher_poll(struct tg_publisher *p, uint32_t budget)
{
	uint32_t total = 0, n = p->cfg.max_scorers;
	uint32_t per = budget / 4 ? budget / 4 : 1;
	bool more = true;
	while (more && total < budget) {
		more = false;
		for (uint32_t i = 0; i < n && total < budget; i++) {
			struct pub_source *s = &p->src[(p->rr + i) % n];
			uint32_t d = pub_drain(p, s, per < budget - total ? per : budget - total);
			total += d;
			if (d == per)
				more = true;
		}
		p->rr++;
	}
	return (int)total;
}

static void pub_detach(struct pub_source *s)
{
	if (s->seg)
		tg_segment_detach(s->seg);
	s->seg = NULL;
	s->ring = NULL;
}

/* The writer of source k is gone: did it finish or die? A scorer sets its
 * "finished" counter on a clean exit. */
static bool pub_finished(const struct tg_segment *seg)
{
	uint32_t n = tg_segment_counters(seg);
	for (uint32_t i = 0; i < n; i++) {
		struct tg_counter_view v;
		if (tg_segment_counter(seg, i, &v) == 0 && !strcmp(v.name, "finished"))
			return v.value != 0;
	}
	return false;
}

static void pub_attach(struct tg_publisher *p, uint32_t k, const char *name)
{
	struct pub_source *s = &p->src[k];
	struct tg_segment *seg;
	if (tg_segment_attach(name, &seg) < 0)
		return;
	if (tg_segment_kind(seg) != TG_SEG_FLAGS ||
	    (s->epoch && tg_segment_epoch(seg) == s->epoch &&
	     tg_segment_writer_pid(seg) == s->pid)) {
		tg_segment_detach(seg);
		return;
	}
	bool restart = s->pid != 0;
	s->seg = seg;
	s->ring = tg_segment_ring(seg);
	s->next = 0;
	s->epoch = tg_segment_epoch(seg);
	s->pid = tg_segment_writer_pid(seg);
	s->gone = false;
	uint64_t id = pub_source_id(s->pid, s->epoch);
	bool resumed = s->resume && id == s->resume_id;
	s->resume = false;
	if (resumed) {
		/* the predecessor consumed this very segment up to here */
		uint64_t h = tg_ring_head(s->ring);
		s->next = s->resume_next < h ? s->resume_next : h;
	}
	/* next before id: a kill in between leaves an id that matches no
	 * segment, or the old id with position 0 - never a position of the
	 * wrong segment */
	atomic_store_explicit(p->src_ctr[2 * k + 1], s->next, memory_order_relaxed);
	atomic_store_explicit(p->src_ctr[2 * k], id, memory_order_relaxed);
	if (!resumed)
		pub_add(p, restart ? TG_PUB_REATTACHES : TG_PUB_ATTACHES, 1);
	pub_log(p, "%s scorer %s (pid %d, epoch %llu)",
	        resumed   ? "resumed"
	        : restart ? "restarted"
	                  : "attached",
	        name, (int)s->pid, (unsigned long long)s->epoch);
}

void tg_publisher_rescan(struct tg_publisher *p)
{
	tg_segment_heartbeat(p->alerts);
	if (p->ticks && tg_segment_check(p->ticks) != 0)
		pub_ticks_refresh(p);
	uint64_t live = 0;
	for (uint32_t k = 0; k < p->cfg.max_scorers; k++) {
		struct pub_source *s = &p->src[k];
		char name[96];
		snprintf(name, sizeof(name), "%s%u", p->flags_prefix, k);
		if (s->seg) {
			int rc = tg_segment_check(s->seg);
			if (rc == 0) {
				live++;
				continue;
			}
			/* Old ring first: its flags are final. */
			pub_drain(p, s, UINT32_MAX);
			if (!s->gone && (rc == -EOWNERDEAD || rc == -ESTALE)) {
				bool fin = pub_finished(s->seg);
				/* replaced before we saw it die: was the old writer
				 * gone without finishing? */
				bool dead = rc == -EOWNERDEAD ||
				            (!fin && kill(s->pid, 0) < 0 && errno == ESRCH);
				if (dead) {
					pub_add(p, fin ? TG_PUB_FINISHED : TG_PUB_DEATHS, 1);
					pub_log(p, "scorer %s (pid %d) %s", name, (int)s->pid,
					        fin ? "finished" : "died");
				}
				s->gone = dead;
			}
			if (rc == -ESTALE) {
				pub_detach(s);
				pub_attach(p, k, name);
				if (s->seg)
					live++;
			} else {
				/* dead: keep the mapping until a new epoch appears */
				struct tg_segment *probe;
				if (tg_segment_attach(name, &probe) == 0) {
					bool newer = tg_segment_epoch(probe) != s->epoch ||
					             tg_segment_writer_pid(probe) != s->pid;
					tg_segment_detach(probe);
					if (newer) {
						pub_detach(s);
						pub_attach(p, k, name);
						live += s->seg != NULL;
					}
				}
			}
			continue;
		}
		pub_attach(p, k, name);
		live += s->seg != NULL;
	}
	pub_set(p, TG_PUB_SCORERS, live);
	pub_sync_stats(p);
	pub_sync_latency(p);
}

void tg_publisher_finish(struct tg_publisher *p)
{
	for (uint32_t k = 0; k < p->cfg.max_scorers; k++)
		pub_drain(p, &p->src[k], UINT32_MAX);
	for (uint32_t i = 0; i < PUB_MAX_INSTRUMENTS; i++) {
		struct tg_alert a;
		if (p->ep[i].phase == TG_EPISODE_OPEN && tg_episode_flush(&p->ep[i], &a, &p->st))
			pub_emit(p, &a);
	}
	if (p->udp_fd >= 0) {
		uint8_t end[TG_MOLD_HDR_BYTES];
		int n = tg_mold_end_encode(p->mold.session, p->mold.seq, end, sizeof(end));
		if (n > 0 && sendto(p->udp_fd, end, (size_t)n, 0, (struct sockaddr *)&p->udp_addr,
		                    sizeof(p->udp_addr)) == n)
			pub_add(p, TG_PUB_UDP_PACKETS, 1);
		else
			pub_add(p, TG_PUB_UDP_ERRORS, 1);
	}
	pub_sync_stats(p);
	pub_sync_latency(p);
	pub_set(p, TG_PUB_FINISHED_CLEAN, 1); /* nothing for a successor to resume */
	tg_segment_heartbeat(p->alerts);
}

void tg_publisher_destroy(struct tg_publisher *p, bool unlink_alerts)
{
	if (!p)
		return;
	for (uint32_t k = 0; k < p->cfg.max_scorers; k++)
		pub_detach(&p->src[k]);
	if (p->ticks)
		tg_segment_detach(p->ticks);
	if (p->alerts)
		tg_segment_destroy(p->alerts, unlink_alerts);
	pub_free(p);
}
