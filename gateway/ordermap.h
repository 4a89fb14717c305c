/* ordermap.h - the gateway's live orders, keyed by ITCH order reference
 * number: an open-addressing hash table (linear probing, backward-shift
 * deletion, so no tombstones ever accumulate) allocated once at create and
 * never resized. It exists because an 'E' (Order Executed) carries no price:
 * the trade price is the price of the resting order it executes.
 *
 * ITCH reference numbers are unique per day and handed out in sequence;
 * the hash keeps that locality (see tg_ordermap_home). A full table rejects the insert
 * (-ENOSPC, the caller counts it); it never grows on the hot path.
 * Not thread-safe: one gateway thread owns the map. All lookups are hot path.
 */
#ifndef TG_GATEWAY_ORDERMAP_H
#define TG_GATEWAY_ORDERMAP_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#define TG_ORDER_EMPTY UINT64_MAX /* key of a free slot (never a real ref) */

/* 16 bytes, four to a cache line. The stock locate is not kept: every
 * message that names an order carries it. The side rides in the price's
 * top bit (ITCH Price(4) tops out at 199,999.9999 = 1,999,999,999 < 2^31). */
struct tg_order {
	uint64_t ref;     /* ITCH order reference number; TG_ORDER_EMPTY = free */
	uint32_t px_side; /* price x 10^4 | TG_ORDER_SELL */
	uint32_t shares;  /* shares still open */
};

#define TG_ORDER_SELL 0x80000000u

static inline uint32_t tg_order_price_e4(const struct tg_order *o)
{
	return o->px_side & ~TG_ORDER_SELL;
}
/* 'B' or 'S' */
static inline uint8_t tg_order_side(const struct tg_order *o)
{
	return o->px_side & TG_ORDER_SELL ? 'S' : 'B';
}

struct tg_ordermap {
	struct tg_order *slots;
	uint64_t mask; /* capacity - 1 */
	uint64_t count;
	uint64_t max_count; /* 7/8 of capacity: beyond this probes get long */
	uint32_t shift;     /* 64 - log2(capacity) */
};

/* Allocate a map able to hold at least `orders` live orders (capacity is
 * rounded up to a power of two with load factor <= 7/8). Not hot path. */
int tg_ordermap_create(struct tg_ordermap *m, uint64_t orders);
void tg_ordermap_destroy(struct tg_ordermap *m);
/* Forget every order (start of a new session). Not hot path. */
void tg_ordermap_clear(struct tg_ordermap *m);

/* Blocks of 64 consecutive refs land on 64 consecutive slots (ITCH refs
 * are handed out in sequence, so the live orders of a moment share cache
 * lines and pages); the blocks themselves are scattered by a Fibonacci
 * multiply, so strided or clustered refs cannot pile up in one run. */
static inline uint64_t tg_ordermap_home(const struct tg_ordermap *m, uint64_t ref)
{
	return (((ref >> 6) * 0x9E3779B97F4A7C15ull >> m->shift) + (ref & 63)) & m->mask;
}

/* The live order `ref`, or NULL. Hot path. */
static inline struct tg_order *tg_ordermap_find(struct tg_ordermap *m, uint64_t ref)
{
	uint64_t i = tg_ordermap_home(m, ref);
	for (;;) {
		struct tg_order *o = &m->slots[i];
		if (o->ref == ref)
			return o;
		if (o->ref == TG_ORDER_EMPTY)
			return NULL;
		i = (i + 1) & m->mask;
	}
}

/* Insert order `ref` (or overwrite it if already live, which a well-formed
 * feed never does: returns -EEXIST after overwriting so the caller can count
 * it). -ENOSPC when the map is full, -ERANGE for a price >= 2^31 (not a
 * valid ITCH price). Side 'S' is a sell, anything else a buy. Hot path. */
static inline int tg_ordermap_add(struct tg_ordermap *m, uint64_t ref, uint8_t side,
                                  uint32_t price_e4, uint32_t shares)
{
	if (ref == TG_ORDER_EMPTY)
		return -EINVAL;
	if (price_e4 & TG_ORDER_SELL)
		return -ERANGE;
	uint64_t i = tg_ordermap_home(m, ref);
	struct tg_order *o;
	int rc = 0;
	for (;;) {
		o = &m->slots[i];
		if (o->ref == TG_ORDER_EMPTY)
			break;
		if (o->ref == ref) {
			rc = -EEXIST;
			break;
		}
		i = (i + 1) & m->mask;
	}
	if (rc == 0) {
		if (m->count >= m->max_count)
			return -ENOSPC;
		m->count++;
	}
	o->ref = ref;
	o->px_side = price_e4 | (side == 'S' ? TG_ORDER_SELL : 0);
	o->shares = shares;
	return rc;
}

/* Remove the order in slot `o` (a pointer returned by find). Backward-shift
 * deletion: later members of the probe run move up so lookups never need a
 * tombstone. Hot path. */
static inline void tg_ordermap_remove(struct tg_ordermap *m, struct tg_order *o)
{
	uint64_t hole = (uint64_t)(o - m->slots);
	uint64_t i = hole;
	for (;;) {
		i = (i + 1) & m->mask;
		struct tg_order *n = &m->slots[i];
		if (n->ref == TG_ORDER_EMPTY)
			break;
		uint64_t home = tg_ordermap_home(m, n->ref);
		/* n may move into the hole only if the hole lies on its probe
		 * path, i.e. home is not cyclically in (hole, i]. */
		if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
			m->slots[hole] = *n;
			hole = i;
		}
	}
	m->slots[hole].ref = TG_ORDER_EMPTY;
	m->count--;
}

#endif
