/* itch.h - NASDAQ TotalView-ITCH 5.0 messages: decode and encode every
 * type of the specification, exact lengths, big-endian fields.
 *
 * Every message starts with the same 11-byte header:
 *   0 type(1)  1 stock_locate(2)  3 tracking_number(2)  5 timestamp(6)
 * timestamp = nanoseconds since midnight. Prices are Price(4): unsigned
 * x 10^4 ("price_e4"), except the MWCB decline levels ('V'), Price(8):
 * x 10^8 ("_e8"). Alpha fields are space padded and not terminated; they
 * are kept as raw bytes (char arrays of the exact width).
 *
 * Message lengths (type byte included), the spec's table:
 *   S 12  R 39  H 25  Y 20  L 26  V 35  W 12  K 28  J 35  h 21
 *   A 36  F 40  E 31  C 36  X 23  D 19  U 35  P 44  Q 40  B 19
 *   I 50  N 20  O 48
 *
 * Decoding never reads past `len`; a message whose framed length differs
 * from its type's length is TG_WIRE_ELEN, an unknown type TG_WIRE_ETYPE,
 * a buffer shorter than the type needs TG_WIRE_ETRUNC (see wire.h). All
 * functions are pure, thread-safe, allocation-free and hot-path safe.
 */
#ifndef TG_WIRE_ITCH_H
#define TG_WIRE_ITCH_H

#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define TG_ITCH_HDR_BYTES 11 /* type + locate + tracking + timestamp */
#define TG_ITCH_MAX_BYTES 50 /* longest message ('I') */
#define TG_ITCH_STOCK_LEN 8

/* Message types (the type byte). */
enum tg_itch_type {
	TG_ITCH_SYSTEM_EVENT = 'S',
	TG_ITCH_STOCK_DIRECTORY = 'R',
	TG_ITCH_TRADING_ACTION = 'H',
	TG_ITCH_REG_SHO = 'Y',
	TG_ITCH_MP_POSITION = 'L',
	TG_ITCH_MWCB_DECLINE = 'V',
	TG_ITCH_MWCB_STATUS = 'W',
	TG_ITCH_IPO_QUOTING = 'K',
	TG_ITCH_LULD_COLLAR = 'J',
	TG_ITCH_OPERATIONAL_HALT = 'h',
	TG_ITCH_ADD_ORDER = 'A',
	TG_ITCH_ADD_ORDER_MPID = 'F',
	TG_ITCH_ORDER_EXECUTED = 'E',
	TG_ITCH_ORDER_EXECUTED_PRICE = 'C',
	TG_ITCH_ORDER_CANCEL = 'X',
	TG_ITCH_ORDER_DELETE = 'D',
	TG_ITCH_ORDER_REPLACE = 'U',
	TG_ITCH_TRADE = 'P',
	TG_ITCH_CROSS_TRADE = 'Q',
	TG_ITCH_BROKEN_TRADE = 'B',
	TG_ITCH_NOII = 'I',
	TG_ITCH_RPII = 'N',
	TG_ITCH_DLCR = 'O',
};

/* The 23 types in the spec's order (for iteration in tests and stats). */
#define TG_ITCH_NTYPES 23
extern const uint8_t tg_itch_types[TG_ITCH_NTYPES];

/* Length of a message of type t, type byte included; 0 for an unknown
 * type. Used to frame a stream without length prefixes. */
extern const uint8_t tg_itch_msg_len[256];
static inline size_t tg_itch_len(uint8_t type)
{
	return tg_itch_msg_len[type];
}

/* Human name of a type ("Add Order"), "unknown" if not a type. */
const char *tg_itch_type_name(uint8_t type);

/* ---- per-type bodies (fields after the common header) ------------------ */

struct tg_itch_system_event { /* 'S' */
	char event_code;      /* O S Q M E C */
};

struct tg_itch_stock_directory { /* 'R' */
	char stock[TG_ITCH_STOCK_LEN];
	char market_category;  /* Q G S N A P Z V ' ' */
	char financial_status; /* D E Q S G H J K C N ' ' */
	uint32_t round_lot_size;
	char round_lots_only; /* Y N */
	char issue_classification;
	char issue_subtype[2];
	char authenticity;         /* P T */
	char short_sale_threshold; /* Y N ' ' */
	char ipo_flag;             /* Y N ' ' */
	char luld_ref_price_tier;  /* 1 2 ' ' */
	char etp_flag;             /* Y N ' ' */
	uint32_t etp_leverage_factor;
	char inverse_indicator; /* Y N */
};

struct tg_itch_trading_action { /* 'H' */
	char stock[TG_ITCH_STOCK_LEN];
	char trading_state; /* H P Q T */
	char reserved;
	char reason[4];
};

struct tg_itch_reg_sho { /* 'Y' */
	char stock[TG_ITCH_STOCK_LEN];
	char action; /* 0 1 2 */
};

struct tg_itch_mp_position { /* 'L' */
	char mpid[4];
	char stock[TG_ITCH_STOCK_LEN];
	char primary_market_maker; /* Y N */
	char market_maker_mode;    /* N P S R L */
	char participant_state;    /* A E W S D */
};

struct tg_itch_mwcb_decline { /* 'V', Price(8): x 10^8 */
	uint64_t level1_e8;
	uint64_t level2_e8;
	uint64_t level3_e8;
};

struct tg_itch_mwcb_status { /* 'W' */
	char breached_level; /* 1 2 3 */
};

struct tg_itch_ipo_quoting { /* 'K' */
	char stock[TG_ITCH_STOCK_LEN];
	uint32_t release_time_s; /* seconds since midnight */
	char release_qualifier;  /* A C */
	uint32_t ipo_price_e4;
};

struct tg_itch_luld_collar { /* 'J' */
	char stock[TG_ITCH_STOCK_LEN];
	uint32_t ref_price_e4;
	uint32_t upper_price_e4;
	uint32_t lower_price_e4;
	uint32_t extension;
};

struct tg_itch_operational_halt { /* 'h' */
	char stock[TG_ITCH_STOCK_LEN];
	char market_code; /* Q B X */
	char action;      /* H T */
};

struct tg_itch_add_order { /* 'A' and 'F' */
	uint64_t order_ref;
	char side; /* B S */
	uint32_t shares;
	char stock[TG_ITCH_STOCK_LEN];
	uint32_t price_e4;
	char attribution[4]; /* 'F' only (MPID); zero bytes for 'A' */
};

struct tg_itch_order_executed { /* 'E' */
	uint64_t order_ref;
	uint32_t shares;
	uint64_t match_no;
};

struct tg_itch_order_executed_price { /* 'C' */
	uint64_t order_ref;
	uint32_t shares;
	uint64_t match_no;
	char printable; /* Y N */
	uint32_t price_e4;
};

struct tg_itch_order_cancel { /* 'X' */
	uint64_t order_ref;
	uint32_t shares; /* cancelled */
};

struct tg_itch_order_delete { /* 'D' */
	uint64_t order_ref;
};

struct tg_itch_order_replace { /* 'U' */
	uint64_t orig_order_ref;
	uint64_t new_order_ref;
	uint32_t shares;
	uint32_t price_e4;
};

struct tg_itch_trade { /* 'P' (non-cross, hidden order) */
	uint64_t order_ref;
	char side; /* B S (always B since 2014) */
	uint32_t shares;
	char stock[TG_ITCH_STOCK_LEN];
	uint32_t price_e4;
	uint64_t match_no;
};

struct tg_itch_cross_trade { /* 'Q' */
	uint64_t shares;     /* 8 bytes in 5.0 */
	char stock[TG_ITCH_STOCK_LEN];
	uint32_t price_e4;
	uint64_t match_no;
	char cross_type; /* O C H I */
};

struct tg_itch_broken_trade { /* 'B' */
	uint64_t match_no;
};

struct tg_itch_noii { /* 'I' */
	uint64_t paired_shares;
	uint64_t imbalance_shares;
	char imbalance_direction; /* B S N O P */
	char stock[TG_ITCH_STOCK_LEN];
	uint32_t far_price_e4;
	uint32_t near_price_e4;
	uint32_t ref_price_e4;
	char cross_type;      /* O C H A */
	char price_variation; /* L 1-9 A B C ' ' */
};

struct tg_itch_rpii { /* 'N' */
	char stock[TG_ITCH_STOCK_LEN];
	char interest_flag; /* B S A N */
};

struct tg_itch_dlcr { /* 'O' Direct Listing with Capital Raise */
	char stock[TG_ITCH_STOCK_LEN];
	char open_eligibility; /* N Y */
	uint32_t min_price_e4;
	uint32_t max_price_e4;
	uint32_t near_price_e4;
	uint64_t near_time; /* 8-byte timestamp field, as sent */
	uint32_t lower_collar_e4;
	uint32_t upper_collar_e4;
};

/* A decoded message: the common header and the body selected by `type`. */
struct tg_itch_msg {
	uint8_t type; /* enum tg_itch_type */
	uint16_t stock_locate;
	uint16_t tracking;
	uint64_t ts_ns; /* ns since midnight (48 bits) */
	union {
		struct tg_itch_system_event system_event;
		struct tg_itch_stock_directory stock_directory;
		struct tg_itch_trading_action trading_action;
		struct tg_itch_reg_sho reg_sho;
		struct tg_itch_mp_position mp_position;
		struct tg_itch_mwcb_decline mwcb_decline;
		struct tg_itch_mwcb_status mwcb_status;
		struct tg_itch_ipo_quoting ipo_quoting;
		struct tg_itch_luld_collar luld_collar;
		struct tg_itch_operational_halt operational_halt;
		struct tg_itch_add_order add_order; /* 'A', 'F' */
		struct tg_itch_order_executed order_executed;
		struct tg_itch_order_executed_price order_executed_price;
		struct tg_itch_order_cancel order_cancel;
		struct tg_itch_order_delete order_delete;
		struct tg_itch_order_replace order_replace;
		struct tg_itch_trade trade;
		struct tg_itch_cross_trade cross_trade;
		struct tg_itch_broken_trade broken_trade;
		struct tg_itch_noii noii;
		struct tg_itch_rpii rpii;
		struct tg_itch_dlcr dlcr;
	} u;
};

/* Decode one framed message of exactly `len` bytes (a MoldUDP64 message
 * block or a BinaryFILE record). Returns len on success; TG_WIRE_EEMPTY if
 * len == 0, TG_WIRE_ETYPE for an unknown type, TG_WIRE_ELEN if len is not
 * the type's length. On error *out is unspecified. Hot path. */
int tg_itch_decode(const void *buf, size_t len, struct tg_itch_msg *out);

/* Decode one message from a stream without a length: the length comes from
 * the type byte. `avail` bytes are readable. Returns the message length;
 * TG_WIRE_EEMPTY if avail == 0, TG_WIRE_ETYPE unknown type, TG_WIRE_ETRUNC
 * if avail is less than the type's length. Hot path. */
int tg_itch_decode_stream(const void *buf, size_t avail, struct tg_itch_msg *out);

/* Encode m into buf (capacity cap). Returns bytes written (the type's
 * length); TG_WIRE_ETYPE unknown m->type, TG_WIRE_ESPACE if cap is too
 * small (nothing is written then). Timestamps are truncated to 48 bits.
 * Hot path. */
int tg_itch_encode(const struct tg_itch_msg *m, void *buf, size_t cap);

/* Stock symbol helpers: copy a space-padded 8-byte symbol to a C string
 * (trailing spaces removed; dst has room for 9 bytes), and pad a C string
 * into an 8-byte field (longer names are cut). */
void tg_itch_stock_str(const char stock[TG_ITCH_STOCK_LEN], char dst[TG_ITCH_STOCK_LEN + 1]);
void tg_itch_stock_set(char stock[TG_ITCH_STOCK_LEN], const char *name);

/* The stock field of m if its type has one, else NULL. */
const char *tg_itch_msg_stock(const struct tg_itch_msg *m);

/* Format m as one line of text "A ts=... locate=... ref=..." into dst
 * (always terminated). Returns the length snprintf would have written.
 * For tests and tools, not the hot path. */
int tg_itch_format(const struct tg_itch_msg *m, char *dst, size_t cap);

#endif
