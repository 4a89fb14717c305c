/* seqtrack.h - MoldUDP64 sequence tracking for one session: deliver every
 * message exactly once and in sequence order, whatever the network did.
 *
 * State: `expected` (next message to deliver) and `high` (one past the
 * highest message known to exist, from data, heartbeats or end of session).
 * Invariant: every message in [expected, high) is either in a buffered
 * packet or inside one of the explicit holes. A packet beyond `high` opens a
 * hole (a gap); a packet that overlaps holes fills them and is delivered at
 * once if it starts at or before `expected`, else buffered (a fixed pool,
 * no allocation after create). Each delivery drains the buffer in order.
 *
 * Holes are asked for again by retransmission request after `request_delay`
 * (reordering usually fills them first: such fills count as reordered), then
 * every `timeout` up to `retries` times; then the hole is declared lost:
 * counted, reported through on_lost, and skipped - never papered over.
 * A server answers a request with a bounded burst, so a hole that an
 * answer shrank is asked for again as soon as the burst has been quiet for
 * 4 x request_delay (not a whole timeout), and its retries start over:
 * a long outage is pulled back at the server's pace.
 *
 * A hole split by a fill in its middle keeps counting as one gap for
 * `gaps`; in that rare case `gaps_recovered`/`gaps_unrecovered` may count
 * both pieces. The message counters are exact: at the end
 * gap_msgs == recovered_msgs + reordered_msgs + lost_msgs + pending.
 * Not thread-safe: one gateway thread owns its trackers.
 */
#ifndef TG_GATEWAY_SEQTRACK_H
#define TG_GATEWAY_SEQTRACK_H

#include <stdbool.h>
#include <stdint.h>

struct tg_seqtrack_ops {
	/* Messages [seq+skip, seq+count) of a packet, in order. `block` is the
	 * packet's message block (after the MoldUDP64 header). */
	void (*deliver)(void *ctx, const uint8_t *block, uint32_t len, uint64_t seq, uint32_t count,
	                uint32_t skip);
	/* Ask for messages [seq, seq+count) again (count <= 65535). Returns 0
	 * or -errno (a failed send is retried at the next timeout). */
	int (*request)(void *ctx, uint64_t seq, uint32_t count);
	/* Messages [seq, seq+count) are given up on. */
	void (*on_lost)(void *ctx, uint64_t seq, uint64_t count);
	void *ctx;
};

struct tg_seqtrack_config {
	uint32_t buffer_packets;   /* out-of-order packets held (default 4096) */
	uint32_t packet_bytes;     /* largest message block buffered (default 2048) */
	uint32_t max_holes;        /* holes tracked at once (default 1024) */
	uint32_t retries;          /* requests per hole before it is lost (default 5) */
	uint64_t request_delay_ns; /* reordering window before asking (default 200 us) */
	uint64_t timeout_ns;       /* between requests (default 20 ms) */
	uint64_t first_seq;        /* first message expected; 0 = the first one seen */
};

struct tg_seqtrack_stats {
	uint64_t packets; /* data packets (count 1..65534) */
	uint64_t heartbeats;
	uint64_t end_of_session;
	uint64_t delivered_msgs;
	uint64_t dup_packets;    /* packets that brought nothing new */
	uint64_t dup_msgs;       /* messages received more than once */
	uint64_t gaps;           /* holes opened */
	uint64_t gap_msgs;       /* messages found missing */
	uint64_t reordered_pkts; /* packets that filled a hole before it was requested */
	uint64_t reordered_msgs;
	uint64_t recovered_msgs; /* filled after a retransmission request */
	uint64_t gaps_recovered;
	uint64_t gaps_unrecovered;
	uint64_t lost_msgs;
	uint64_t requests;        /* retransmission requests sent */
	uint64_t request_errors;  /* requests the transport failed to send */
	uint64_t buffer_overflow; /* packets not buffered (pool full or too big) */
	uint64_t buffered_max;    /* high-water mark of buffered packets */
};

struct tg_seqtrack_hole {
	uint64_t lo, hi; /* [lo, hi) missing */
	uint64_t opened_ns;
	uint64_t last_request_ns;
	uint64_t progress_due_ns; /* after a partial answer: ask for the rest then */
	uint32_t tries;
	bool split; /* piece of a split hole: not counted again */
};

struct tg_seqtrack_buf {
	uint64_t seq;
	uint32_t count;
	uint32_t len;
	uint32_t slot; /* index into the pool */
};

struct tg_seqtrack {
	struct tg_seqtrack_config cfg;
	struct tg_seqtrack_ops ops;
	uint64_t expected;
	uint64_t high;
	uint64_t end_seq; /* valid when ended */
	bool started, ended;
	struct tg_seqtrack_hole *holes; /* sorted by lo, disjoint */
	uint32_t nholes;
	struct tg_seqtrack_buf *bufs; /* bufs[bhead, bhead+nbufs), sorted by seq */
	uint32_t bhead, nbufs;
	uint32_t *free_slots;
	uint32_t nfree;
	uint8_t *pool;
	struct tg_seqtrack_stats st;
};

/* Allocate the pools (not hot path). Zero fields of cfg take the defaults. */
int tg_seqtrack_init(struct tg_seqtrack *t, const struct tg_seqtrack_config *cfg,
                     const struct tg_seqtrack_ops *ops);
void tg_seqtrack_fini(struct tg_seqtrack *t);

/* One MoldUDP64 packet: sequence number, message count (0 heartbeat,
 * 0xFFFF end of session) and its message block. Hot path, no syscalls
 * except through ops->request (never called from here). */
void tg_seqtrack_packet(struct tg_seqtrack *t, uint64_t seq, uint32_t count, const uint8_t *block,
                        uint32_t len, uint64_t now_ns);

/* Timers: send due requests, give up on holes out of retries. Call after
 * every receive burst and whenever the receive wait times out. Returns the
 * ns until the next timer is due (UINT64_MAX if none). */
uint64_t tg_seqtrack_poll(struct tg_seqtrack *t, uint64_t now_ns);

/* No more input will come (end of a file): every hole is lost now. */
void tg_seqtrack_flush(struct tg_seqtrack *t);

/* End of session seen and everything before it delivered or lost. */
static inline bool tg_seqtrack_done(const struct tg_seqtrack *t)
{
	return t->ended && t->expected >= t->end_seq && t->nholes == 0;
}

/* Messages missing right now (in holes). */
uint64_t tg_seqtrack_pending(const struct tg_seqtrack *t);

#endif
