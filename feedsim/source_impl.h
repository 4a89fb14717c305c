/* source_impl.h - the inside of a tg_source, shared by the loaders
 * (lobster.c, csv.c, synth.c), source.c and the ITCH generator (itchgen.c),
 * which needs the LOBSTER order events, not only the trades. */
#ifndef TG_FEEDSIM_SOURCE_IMPL_H
#define TG_FEEDSIM_SOURCE_IMPL_H

#include "feedsim/source.h"

/* One LOBSTER row, or an Add feedsim synthesises for an order the file
 * refers to but never added (type TG_LOB_SYNTH_ADD, placed just before the
 * first reference, same timestamp). */
enum {
	TG_LOB_ADD = 1,
	TG_LOB_CANCEL = 2,
	TG_LOB_DELETE = 3,
	TG_LOB_EXEC = 4,
	TG_LOB_HIDDEN = 5,
	TG_LOB_HALT = 7,
	TG_LOB_SYNTH_ADD = 9,
};

struct tg_lob_event {
	uint64_t ts_ns;
	uint64_t order_id;
	uint32_t shares;
	int32_t price_e4; /* type 7: -1 halt, 0 quote, 1 resume */
	uint32_t row;     /* 1-based line in its file */
	uint16_t instrument;
	uint8_t type;
	int8_t dir;     /* 1 buy order, -1 sell order */
	uint64_t trade; /* EXEC/HIDDEN: index into the trade array */
};

struct tg_source {
	int kind;
	uint32_t ninst;
	char (*symbols)[TG_SYMBOL_LEN + 1];
	uint64_t *inst_trades;
	struct tg_trade *trades;
	uint64_t ntrades, next;
	struct tg_label *labels;
	size_t nlabels;
	struct tg_lob_event *events; /* LOBSTER, merged in time order */
	uint64_t nevents;
	struct tg_source_stats st;
	struct tg_reject rejects[TG_SOURCE_MAX_REJECTS];
	size_t nrejects;
};

struct tg_source *tg_source__alloc(int kind);
void tg_source__reject(struct tg_source *s, uint16_t file, uint64_t line, const char *why);
/* Sort trades by (ts, instrument, current order), fill tick, match_no,
 * locate, symbol and per-instrument counts. */
int tg_source__finish_trades(struct tg_source *s);
/* Parse a time of day into ns: integer ns, decimal seconds, HH:MM:SS[.f],
 * or a date-time. Exact (integers only). 0 or -EINVAL. */
int tg_parse_time_ns(const char *p, size_t n, uint64_t *out);
/* Decimal with at most `decimals` fraction digits, scaled by 10^decimals. */
int tg_parse_fixed(const char *p, size_t n, unsigned decimals, uint64_t *out);

#endif
