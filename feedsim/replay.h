/* replay.h - a stream of ITCH 5.0 messages in send order, from a tick
 * source (LOBSTER order events, or trades of the synthetic market / a CSV),
 * an ITCH BinaryFILE, or the MoldUDP64 payloads of a pcap (re-framed).
 *
 * Source streams: 'S' O (start of messages), one 'R' stock directory per
 * instrument (locate = instrument + 1), 'S' Q (market hours), the events,
 * then 'S' M and 'S' E, all stamped with the first / last event time.
 * LOBSTER: 1→A, 2→X, 3→D, 4→E, 5→P, 7→H (-1 halt 'H', 0 quoting 'Q',
 * 1 trading 'T'), plus the synthesised Adds (see lobster.c). Order refs are
 * LOBSTER's order ids. Trades (synthetic, CSV): by default an 'A' for the
 * resting side (opposite the aggressor; 'B' if unknown) and an 'E' for all
 * of it, same timestamp, refs from 1; or one 'P' each
 * (TG_REPLAY_TRADES_P). Match numbers are tg_trade.match_no.
 * Not thread-safe; never prints.
 */
#ifndef TG_FEEDSIM_REPLAY_H
#define TG_FEEDSIM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "feedsim/source.h"

enum { TG_REPLAY_TRADES_AE = 0, TG_REPLAY_TRADES_P = 1 };

struct tg_replay_stats {
	uint64_t msgs;
	uint64_t by_type[256];
	uint64_t skipped_packets; /* pcap: datagrams that are not MoldUDP64 */
	uint64_t bad_records;     /* binfile / pcap framing errors */
	uint64_t zero_len_fixed;  /* binfile zero length prefixes */
};

struct tg_replay;

/* The source stays owned by the caller and must outlive the replay. */
int tg_replay_open_source(struct tg_source *src, int trade_style, struct tg_replay **out);
int tg_replay_open_binfile(const char *path, struct tg_replay **out);
int tg_replay_open_pcap(const char *path, struct tg_replay **out);
void tg_replay_close(struct tg_replay *r);

/* Next message: returns its length (> 0) with *msg valid until the next
 * call and *ts_ns its ITCH timestamp; 0 at the end; or a sticky -errno
 * (a framing error of the file: what was read before is good). */
int tg_replay_next(struct tg_replay *r, const uint8_t **msg, uint64_t *ts_ns);
/* Messages the stream will have in total, 0 if unknown (files). */
uint64_t tg_replay_total(const struct tg_replay *r);
void tg_replay_get_stats(const struct tg_replay *r, struct tg_replay_stats *st);

#endif
