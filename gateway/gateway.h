/* gateway.h - the feed handler core: MoldUDP64 packets (or bare ITCH
 * messages) in, trade ticks out into a tick segment's rings.
 *
 *   packet -> session tracker (gaps, duplicates, reordering, retransmission)
 *          -> ITCH 5.0 decode -> directory ('R') and order map (A F E C X D U)
 *          -> trades (E C P Q) -> one tick in the instrument's ring
 *                                 + one record in the arrival ring
 *
 * Broken trades: ticks are append-only, so a 'B' cannot rewrite the tick
 * it breaks. It appends an arrival-ring record with TG_TICK_BROKEN in its
 * flags whose (instrument, tick_seq) name the broken tick; the tick rings
 * are untouched. The match number -> tick map is direct-mapped on the low
 * bits of the match number (ITCH match numbers are sequential), so a 'B'
 * for a trade older than `match_slots` trades is counted as
 * broken_unknown.
 *
 * Every message or packet the gateway cannot use is counted by reason in
 * the segment's counters (see gateway/counters.def); nothing is dropped
 * silently. One gateway belongs to one thread; the segment has this
 * gateway as its only writer.
 */
#ifndef TG_GATEWAY_GATEWAY_H
#define TG_GATEWAY_GATEWAY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/rx.h"
#include "gateway/seqtrack.h"

enum tg_gw_counter {
#define TG_GW_COUNTER(id, name) TG_GW_##id,
#include "gateway/counters.def"
#undef TG_GW_COUNTER
	TG_GW_NCOUNTERS
};

/* Name of counter i (as it appears in the segment and in `tickguard stat`). */
const char *tg_gateway_counter_name(unsigned i);

enum tg_gw_event {
	TG_GW_EV_LOST = 1,        /* messages [seq, seq+count) unrecoverable */
	TG_GW_EV_NEW_SESSION = 2, /* first packet of a session */
	TG_GW_EV_SESSION_END = 3, /* end of session seen, all delivered */
};

struct tg_gateway;

struct tg_gateway_config {
	const char *segment;           /* tick segment name (default "ticks") */
	const char *segment_dir;       /* backing directory; NULL = shm's choice */
	uint32_t instruments;          /* directory size (default 1024) */
	uint32_t ring_slots;           /* per instrument (default 65536) */
	uint32_t arrival_slots;        /* default 1 << 20 */
	uint64_t orders;               /* live orders the map can hold (default 2 Mi) */
	uint32_t match_slots;          /* broken-trade lookback, power of two (default 1 Mi) */
	uint8_t tick_flags;            /* ORed into every tick (e.g. TG_TICK_SYNTH) */
	struct tg_seqtrack_config seq; /* per session */
	/* optional: one line worth of news for the command to print */
	void (*on_event)(void *ctx, enum tg_gw_event ev, const char *session, uint64_t seq,
	                 uint64_t count);
	void *event_ctx;
	/* optional: called by tg_gateway_run after every burst (slow path work
	 * such as a progress bar belongs here, rate-limited by the callee) */
	void (*on_burst)(void *ctx, struct tg_gateway *gw, struct tg_rx *rx);
	void *burst_ctx;
};

struct tg_gateway;

/* Create the tick segment (replacing an older one of the same name) and
 * every table. Errors: -EINVAL, -ENOMEM, or shm's errors. Not hot path. */
int tg_gateway_create(const struct tg_gateway_config *cfg, struct tg_gateway **out);
/* Destroy; with `unlink_it` the segment name is removed too. */
void tg_gateway_destroy(struct tg_gateway *gw, bool unlink_it);

/* Where retransmission requests go (normally the receive backend). */
void tg_gateway_set_rx(struct tg_gateway *gw, struct tg_rx *rx);

/* One received packet (either kind). Hot path. */
void tg_gateway_packet(struct tg_gateway *gw, const struct tg_rx_pkt *pkt);
/* One ITCH message (a BinaryFILE record, or one block of a packet). Hot path. */
void tg_gateway_itch(struct tg_gateway *gw, const uint8_t *msg, uint32_t len, uint64_t recv_ts_ns);

/* Timers (retransmission, loss) and counter/heartbeat publication. Returns
 * ns until the next timer. Call after each burst and on receive timeouts. */
uint64_t tg_gateway_poll(struct tg_gateway *gw, uint64_t now_mono_ns);
/* Copy the counters to shared memory and beat the heartbeat. */
void tg_gateway_publish(struct tg_gateway *gw);
/* Input ended (file): every open gap is lost now, buffered packets flushed. */
void tg_gateway_flush(struct tg_gateway *gw);
/* True once at least one session has seen its end and every session that
 * did has delivered everything (or reported it lost). */
bool tg_gateway_done(const struct tg_gateway *gw);

/* Read a counter (the gateway's own, current copy). Not hot path. */
uint64_t tg_gateway_counter(struct tg_gateway *gw, enum tg_gw_counter c);
/* The segment (for tests that read the rings in process). */
struct tg_segment *tg_gateway_segment(struct tg_gateway *gw);

/* Receive loop: bursts from rx until *stop, end of input, or every session
 * ended. Returns 0, or the receive error. */
int tg_gateway_run(struct tg_gateway *gw, struct tg_rx *rx, const atomic_bool *stop);

#endif
