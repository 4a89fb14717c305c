/* seqtrack.c - MoldUDP64 gap detection, reordering buffer and
 * retransmission timers (the model is described in seqtrack.h). The
 * buffered packets are kept sorted by sequence in a window
 * bufs[bhead, bhead+nbufs) of a fixed array: packets nearly always arrive
 * at the end and leave from the front, so both are O(1) in the usual case.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/seqtrack.h"

#define MOLD_MAX_REQUEST 65535u

int tg_seqtrack_init(struct tg_seqtrack *t, const struct tg_seqtrack_config *cfg,
                     const struct tg_seqtrack_ops *ops)
{
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	if (!t->cfg.buffer_packets)
		t->cfg.buffer_packets = 4096;
	if (!t->cfg.packet_bytes)
		t->cfg.packet_bytes = 2048;
	if (!t->cfg.max_holes)
		t->cfg.max_holes = 1024;
	if (!t->cfg.retries)
		t->cfg.retries = 5;
	if (!t->cfg.request_delay_ns)
		t->cfg.request_delay_ns = 200000;
	if (!t->cfg.timeout_ns)
		t->cfg.timeout_ns = 20000000;
	t->ops = *ops;
	uint32_t nb = t->cfg.buffer_packets;
	t->holes = calloc(t->cfg.max_holes, sizeof(*t->holes));
	t->bufs = calloc(nb, sizeof(*t->bufs));
	t->free_slots = calloc(nb, sizeof(*t->free_slots));
	t->pool = malloc((size_t)nb * t->cfg.packet_bytes);
	if (!t->holes || !t->bufs || !t->free_slots || !t->pool) {
		tg_seqtrack_fini(t);
		return -ENOMEM;
	}
	/* touch the pool now: buffering happens on the hot path */
	memset(t->pool, 0, (size_t)nb * t->cfg.packet_bytes);
	for (uint32_t i = 0; i < nb; i++)
		t->free_slots[i] = nb - 1 - i;
	t->nfree = nb;
	if (t->cfg.first_seq) {
		t->expected = t->high = t->cfg.first_seq;
		t->started = true;
	}
	return 0;
}

void tg_seqtrack_fini(struct tg_seqtrack *t)
{
	free(t->holes);
	free(t->bufs);
	free(t->free_slots);
	free(t->pool);
	t->holes = NULL;
	t->bufs = NULL;
	t->free_slots = NULL;
	t->pool = NULL;
}

uint64_t tg_seqtrack_pending(const struct tg_seqtrack *t)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < t->nholes; i++)
		n += t->holes[i].hi - t->holes[i].lo;
	return n;
}

/* Messages [lo, hi) are missing; lo >= every existing hole's hi. */
static void hole_open(struct tg_seqtrack *t, uint64_t lo, uint64_t hi, uint64_t now_ns)
{
	t->st.gaps++;
	t->st.gap_msgs += hi - lo;
	if (t->nholes) {
		struct tg_seqtrack_hole *last = &t->holes[t->nholes - 1];
		/* adjacent, or no room for another hole: widen the last one
		 * (it may then cover buffered messages; their retransmitted
		 * copies are dropped as duplicates by the drain) */
		if (last->hi == lo || t->nholes == t->cfg.max_holes) {
			last->hi = hi;
			return;
		}
	}
	t->holes[t->nholes++] = (struct tg_seqtrack_hole){
	    .lo = lo, .hi = hi, .opened_ns = now_ns, .last_request_ns = now_ns};
}

static void hole_remove(struct tg_seqtrack *t, uint32_t i)
{
	memmove(&t->holes[i], &t->holes[i + 1], (t->nholes - i - 1) * sizeof(*t->holes));
	t->nholes--;
}

/* Subtract [lo, hi) from the holes; returns how many missing messages it
 * filled and sets *was_requested if any of them had been asked for. */
static uint64_t fill(struct tg_seqtrack *t, uint64_t lo, uint64_t hi, bool *was_requested,
                     uint64_t now_ns)
{
	uint64_t filled = 0;
	*was_requested = false;
	for (uint32_t i = 0; i < t->nholes;) {
		struct tg_seqtrack_hole *h = &t->holes[i];
		if (h->lo >= hi)
			break;
		if (h->hi <= lo) {
			i++;
			continue;
		}
		uint64_t a = h->lo > lo ? h->lo : lo;
		uint64_t b = h->hi < hi ? h->hi : hi;
		bool requested = h->tries > 0;
		if (requested) { /* progress: retries start over; ask for the rest soon */
			h->tries = 1;
			h->progress_due_ns = now_ns + 4 * t->cfg.request_delay_ns;
		}
		if (a > h->lo && b < h->hi) { /* middle: split the hole in two */
			if (t->nholes == t->cfg.max_holes)
				break; /* keep it whole; the copies become duplicates */
			memmove(&t->holes[i + 2], &t->holes[i + 1],
			        (t->nholes - i - 1) * sizeof(*t->holes));
			t->nholes++;
			t->holes[i + 1] = *h;
			t->holes[i + 1].lo = b;
			t->holes[i + 1].split = true;
			h->hi = a;
			i += 2;
		} else if (a == h->lo && b == h->hi) { /* whole hole */
			if (requested && !h->split)
				t->st.gaps_recovered++;
			hole_remove(t, i);
		} else if (a == h->lo) {
			h->lo = b;
			i++;
		} else {
			h->hi = a;
			i++;
		}
		if (requested) {
			t->st.recovered_msgs += b - a;
			*was_requested = true;
		} else {
			t->st.reordered_msgs += b - a;
		}
		filled += b - a;
	}
	return filled;
}

static void deliver(struct tg_seqtrack *t, const uint8_t *block, uint32_t len, uint64_t seq,
                    uint32_t count)
{
	uint32_t skip = (uint32_t)(t->expected - seq);
	t->ops.deliver(t->ops.ctx, block, len, seq, count, skip);
	t->st.delivered_msgs += count - skip;
	t->expected = seq + count;
}

/* Deliver buffered packets that `expected` has reached. */
static void drain(struct tg_seqtrack *t)
{
	while (t->nbufs) {
		struct tg_seqtrack_buf *b = &t->bufs[t->bhead];
		if (b->seq > t->expected)
			break;
		if (b->seq + b->count > t->expected)
			deliver(t, t->pool + (size_t)b->slot * t->cfg.packet_bytes, b->len, b->seq,
			        b->count);
		t->free_slots[t->nfree++] = b->slot;
		t->nbufs--;
		t->bhead = t->nbufs ? t->bhead + 1 : 0;
	}
}

static void buffer_insert(struct tg_seqtrack *t, uint64_t seq, uint32_t count, const uint8_t *block,
                          uint32_t len)
{
	uint32_t slot = t->free_slots[--t->nfree];
	memcpy(t->pool + (size_t)slot * t->cfg.packet_bytes, block, len);
	if (t->bhead + t->nbufs == t->cfg.buffer_packets) { /* no room at the end */
		memmove(&t->bufs[0], &t->bufs[t->bhead], t->nbufs * sizeof(*t->bufs));
		t->bhead = 0;
	}
	struct tg_seqtrack_buf *w = &t->bufs[t->bhead];
	uint32_t pos = t->nbufs;
	while (pos > 0 && w[pos - 1].seq > seq)
		pos--;
	memmove(&w[pos + 1], &w[pos], (t->nbufs - pos) * sizeof(*t->bufs));
	w[pos] = (struct tg_seqtrack_buf){.seq = seq, .count = count, .len = len, .slot = slot};
	t->nbufs++;
	if (t->nbufs > t->st.buffered_max)
		t->st.buffered_max = t->nbufs;
}

static void start_at(struct tg_seqtrack *t, uint64_t seq)
{
	if (!t->started) {
		t->expected = t->high = seq;
		t->started = true;
	}
}

void tg_seqtrack_packet(struct tg_seqtrack *t, uint64_t seq, uint32_t count, const uint8_t *block,
                        uint32_t len, uint64_t now_ns)
{
	if (count == 0 || count == 0xFFFF) { /* heartbeat / end of session: next seq */
		if (count == 0) {
			t->st.heartbeats++;
		} else {
			t->st.end_of_session++;
			t->ended = true;
			t->end_seq = seq;
		}
		start_at(t, seq);
		if (seq > t->high) {
			hole_open(t, t->high, seq, now_ns);
			t->high = seq;
		}
		return;
	}
	t->st.packets++;
	start_at(t, seq);
	uint64_t last = seq + count;
	if (last <= t->expected) {
		t->st.dup_packets++;
		t->st.dup_msgs += count;
		return;
	}
	if (seq > t->expected && (t->nfree == 0 || len > t->cfg.packet_bytes)) {
		/* cannot hold it: treat it as lost in transit, ask again later */
		t->st.buffer_overflow++;
		if (last > t->high) {
			hole_open(t, t->high, last, now_ns);
			t->high = last;
		}
		return;
	}
	if (seq > t->high)
		hole_open(t, t->high, seq, now_ns);
	uint64_t lo = seq > t->expected ? seq : t->expected;
	uint64_t known_hi = last < t->high ? last : t->high;
	bool requested = false;
	uint64_t filled = lo < known_hi ? fill(t, lo, known_hi, &requested, now_ns) : 0;
	uint64_t known = known_hi > lo ? known_hi - lo : 0;
	if (seq > t->expected && last <= t->high && filled == 0) {
		t->st.dup_packets++;
		t->st.dup_msgs += count;
		return;
	}
	t->st.dup_msgs += (lo - seq) + known - filled;
	if (filled && !requested)
		t->st.reordered_pkts++;
	if (last > t->high)
		t->high = last;
	if (seq <= t->expected) {
		deliver(t, block, len, seq, count);
		drain(t);
	} else {
		buffer_insert(t, seq, count, block, len);
	}
}

/* The first hole (it starts at `expected`) is given up on. */
static void lose_first(struct tg_seqtrack *t)
{
	struct tg_seqtrack_hole h = t->holes[0];
	hole_remove(t, 0);
	t->st.lost_msgs += h.hi - h.lo;
	if (!h.split)
		t->st.gaps_unrecovered++;
	if (t->ops.on_lost)
		t->ops.on_lost(t->ops.ctx, h.lo, h.hi - h.lo);
	if (h.hi > t->expected)
		t->expected = h.hi;
	drain(t);
}

uint64_t tg_seqtrack_poll(struct tg_seqtrack *t, uint64_t now_ns)
{
	uint64_t next = UINT64_MAX;
	const uint64_t timeout = t->cfg.timeout_ns;
	for (uint32_t i = 0; i < t->nholes; i++) {
		struct tg_seqtrack_hole *h = &t->holes[i];
		uint64_t due = h->tries == 0 ? h->opened_ns + t->cfg.request_delay_ns
		                             : h->last_request_ns + timeout;
		if (h->tries && h->progress_due_ns && h->progress_due_ns < due)
			due = h->progress_due_ns;
		if (now_ns < due) {
			if (due - now_ns < next)
				next = due - now_ns;
			continue;
		}
		if (h->tries >= t->cfg.retries) {
			if (i == 0) { /* out of retries: report, skip, look again */
				lose_first(t);
				i = (uint32_t)-1;
			}
			continue;
		}
		uint64_t n = h->hi - h->lo;
		int rc = t->ops.request(t->ops.ctx, h->lo,
		                        (uint32_t)(n < MOLD_MAX_REQUEST ? n : MOLD_MAX_REQUEST));
		t->st.requests++;
		if (rc < 0)
			t->st.request_errors++;
		h->tries++;
		h->last_request_ns = now_ns;
		h->progress_due_ns = 0;
		if (timeout < next)
			next = timeout;
	}
	return next;
}

void tg_seqtrack_flush(struct tg_seqtrack *t)
{
	while (t->nholes)
		lose_first(t);
	drain(t);
}
