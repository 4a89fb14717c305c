/* source.h - tick sources without the network: the trades of a LOBSTER day,
 * a tick CSV or the synthetic market, in time order, exactly as the gateway
 * turns feedsim's ITCH replay of the same source into ticks (same symbol,
 * locate, per-instrument seq, ns timestamp, price, shares, side, flags).
 * Training, backtest and `tickguard run` read sources through this; the
 * feed simulator sends the same thing as ITCH 5.0 over MoldUDP64.
 *
 * A source is loaded (or generated) entirely at open, then iterated; it is
 * not thread-safe (one thread per source), never prints, and returns
 * 0 / 1 or -errno. Not hot path.
 *
 * Directory: instrument i (0-based, the gateway's instrument id when it is
 * fed by feedsim) has ITCH stock locate i+1. LOBSTER: one instrument per
 * message file, in the order given (a directory: file names sorted).
 * CSV: symbols sorted by name. Synthetic: see tg_synth_config.
 *
 * Tick CSV columns (one trade per line; header, blank lines, a UTF-8 BOM,
 * CRLF and "quoted" fields are fine):
 *     symbol,timestamp,price,size[,side]
 *   symbol     1-8 characters [A-Za-z0-9.-] (upper-cased)
 *   timestamp  time of day of the exchange: integer ns since midnight,
 *              decimal seconds since midnight ("34200.004241176"),
 *              "HH:MM:SS[.fraction]", or "YYYY-MM-DD[T ]HH:MM:SS[.fraction]"
 *              (the date is ignored); never more than 9 fraction digits
 *   price      decimal dollars, at most 4 decimals ("58.53", "0.1234")
 *   size       shares, a positive integer
 *   side       optional aggressor: B/BUY/1 (buyer), S/SELL/-1 (seller);
 *              empty = unknown (tg_trade.side 0; ITCH cannot say "unknown",
 *              so the replay sends a resting buy and a receiver sees 'S')
 * A line that does not parse is rejected with its line number and reason
 * (tg_source_rejects) and counted; loading goes on. Rows out of time order
 * are sorted (stable) and counted.
 *
 * Labels file (synthetic market ground truth), CSV with a header line:
 *     symbol,first_tick,last_tick,kind,first_ts_ns,last_ts_ns
 * ticks are per-instrument trade indices from 0 (= tg_trade.tick = the seq
 * the gateway assigns in the instrument's ring), inclusive; kind is one of
 * spike, level_shift, vol_burst, frozen, fat_finger, flash_crash.
 * *_ts_ns are the source's times, also when the feed is sent with a live
 * clock (feed.h): ticks, not times, tie labels to what the gateway sees.
 */
#ifndef TG_FEEDSIM_SOURCE_H
#define TG_FEEDSIM_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <tickguard/tickguard.h>

enum tg_source_kind { TG_SOURCE_SYNTH = 1, TG_SOURCE_LOBSTER = 2, TG_SOURCE_CSV = 3 };

struct tg_trade {
	char symbol[TG_SYMBOL_LEN + 1]; /* NUL-terminated, no padding */
	uint16_t instrument;            /* 0-based directory index */
	uint16_t locate;                /* ITCH stock locate = instrument + 1 */
	uint64_t tick;                  /* per-instrument trade index from 0 */
	uint64_t exch_ts_ns;            /* ns since midnight */
	uint64_t match_no;              /* ITCH match number feedsim sends (1..) */
	uint32_t price_e4;
	uint32_t shares;
	uint8_t side;  /* aggressor: 'B', 'S', 0 unknown */
	uint8_t flags; /* TG_TICK_* as the gateway sets them (HIDDEN for 'P') */
};

enum tg_anomaly_kind {
	TG_ANOM_SPIKE = 1,       /* 1-3 prints far off the price, then back */
	TG_ANOM_LEVEL_SHIFT = 2, /* permanent jump; labelled for 60 ticks */
	TG_ANOM_VOL_BURST = 3,   /* volatility x10 (>= 3 spreads) for 100-300 ticks */
	TG_ANOM_FROZEN = 4,      /* identical price for 80-200 ticks */
	TG_ANOM_FAT_FINGER = 5,  /* one print 10-25 % off, huge size */
	TG_ANOM_FLASH_CRASH = 6, /* 5-10 % fall over 20-60 ticks, recovery */
	TG_ANOM_KINDS = 6,
};
const char *tg_anomaly_name(int kind);  /* "spike", ...; "?" if unknown */
int tg_anomaly_parse(const char *name); /* kind or -EINVAL */

struct tg_label {
	uint16_t instrument;
	uint8_t kind; /* enum tg_anomaly_kind */
	uint64_t first_tick, last_tick;
	uint64_t first_ts_ns, last_ts_ns;
};

/* The synthetic market. Deterministic: equal configs give identical trades
 * (and identical ITCH bytes). Trades per instrument are exact. */
struct tg_synth_config {
	uint64_t seed;
	uint32_t instruments;           /* default 8, at most 1000 */
	uint64_t trades_per_instrument; /* default 20000 */
	uint64_t session_start_ns;      /* default 09:30:00 */
	uint64_t session_end_ns;        /* default 16:00:00 */
	uint32_t anomalies;             /* per instrument, default 6 (one of each
					   kind, cycling); fewer fit if short */
};
void tg_synth_config_default(struct tg_synth_config *c);

struct tg_source;

int tg_source_open_synth(const struct tg_synth_config *c, struct tg_source **out);
/* LOBSTER *_message_*.csv files; the symbol is the file name up to '_'. */
int tg_source_open_lobster(const char *const *paths, uint32_t n, struct tg_source **out);
int tg_source_open_csv(const char *path, struct tg_source **out);
/* The same from memory (fuzzing, embedded data); buf is only read. */
int tg_source_open_lobster_mem(const void *buf, size_t len, const char *symbol,
                               struct tg_source **out);
int tg_source_open_csv_mem(const void *buf, size_t len, struct tg_source **out);
/* A directory (its LOBSTER message files), a LOBSTER message file, or any
 * other file as a tick CSV. -ENOENT, -ENOMEM, -EBADMSG (no usable row). */
int tg_source_open_path(const char *path, struct tg_source **out);
void tg_source_close(struct tg_source *s);

int tg_source_kind(const struct tg_source *s);
uint32_t tg_source_instruments(const struct tg_source *s);
const char *tg_source_symbol(const struct tg_source *s, uint32_t instrument);
/* Total trades, and per instrument. */
uint64_t tg_source_trades(const struct tg_source *s);
uint64_t tg_source_instrument_trades(const struct tg_source *s, uint32_t instrument);

/* Next trade in time order (ties: instrument, then source order).
 * Returns 1 with *out filled, 0 at the end. */
int tg_source_next(struct tg_source *s, struct tg_trade *out);
void tg_source_rewind(struct tg_source *s);
/* All trades in time order, in place (valid until close). */
const struct tg_trade *tg_source_trade_array(const struct tg_source *s, uint64_t *n);

/* Ground truth (synthetic only; 0 otherwise), sorted by instrument, tick. */
size_t tg_source_labels(const struct tg_source *s, const struct tg_label **out);
int tg_source_write_labels(const struct tg_source *s, const char *path);
/* Read a labels file written by tg_source_write_labels, resolving symbols
 * against s. Returns the number of lines skipped (unknown symbol or kind;
 * the header is not counted) or -errno; *out (caller frees) and *n_out get
 * the labels. */
int tg_labels_read(const char *path, const struct tg_source *s, struct tg_label **out,
                   size_t *n_out);

/* What loading counted. */
struct tg_source_stats {
	uint64_t lines;         /* input lines read (CSV, LOBSTER) */
	uint64_t blank;         /* blank or header lines skipped */
	uint64_t rejected;      /* lines rejected (see tg_source_rejects) */
	uint64_t reordered;     /* rows out of time order that were sorted */
	uint64_t events;        /* LOBSTER events kept */
	uint64_t halts;         /* LOBSTER type 7 rows */
	uint64_t hidden;        /* trades from hidden executions */
	uint64_t orphan_orders; /* LOBSTER orders referenced, never added */
	uint64_t orphan_refs;   /* rows referencing such orders */
	uint64_t synth_adds;    /* Add Orders feedsim synthesises for them */
	uint64_t orphan_execs;  /* visible executions among orphan_refs */
	/* rows whose price or side differ from their order's: the trade takes
	 * the order's, as a receiver would (0 in the sample files) */
	uint64_t inconsistent_refs;
	/* cancels / executions of more shares than the order has left; a
	 * receiver may not price those (0 in the sample files) */
	uint64_t oversubscribed;
};
void tg_source_get_stats(const struct tg_source *s, struct tg_source_stats *st);

/* Rejected input lines: the first TG_SOURCE_MAX_REJECTS are kept. */
#define TG_SOURCE_MAX_REJECTS 1024
struct tg_reject {
	uint64_t line; /* 1-based line number in its file */
	uint16_t file; /* index of the file (LOBSTER: instrument) */
	const char *reason;
};
size_t tg_source_rejects(const struct tg_source *s, const struct tg_reject **out);

#endif
