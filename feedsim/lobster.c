/* lobster.c - LOBSTER message files as order events and trades.
 *
 * Rows of all files are merged by (time, file, row). A level-1 file refers
 * to orders whose Add it never holds (they entered the book deeper): for
 * such an order feedsim synthesises an Add (TG_LOB_SYNTH_ADD) just before
 * its first reference, same timestamp, price and side from that row, and
 * shares = the sum of every later use (cancels, executions, and the size
 * of the final delete), so a receiver can price every execution from its
 * order map. The same happens to a reference after the order was removed
 * (none in the sample files). Times are parsed as integers to the ns.
 */
#include "feedsim/source_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct file_buf {
	char *data;
	size_t len;
};

static int read_file(const char *path, struct file_buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t cap = 1 << 20, len = 0;
	char *data = malloc(cap);
	int rc = 0;
	if (!data) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			char *nd = realloc(data, cap * 2);
			if (!nd) {
				free(data);
				rc = -ENOMEM;
				goto out;
			}
			data = nd;
			cap *= 2;
		}
		size_t got = fread(data + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(data);
		rc = -EIO;
		goto out;
	}
	b->data = data;
	b->len = len;
out:
	fclose(f);
	return rc;
}

static int parse_int(const char *p, size_t n, int64_t *out)
{
	int neg = n > 0 && p[0] == '-';
	int64_t v = 0;
	if (n == (size_t)neg || n - (size_t)neg > 18)
		return -EINVAL;
	for (size_t i = (size_t)neg; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (p[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

/* One row "time,type,order_id,size,price,direction" → ev, or a reason. */
static const char *parse_row(const char *p, size_t n, struct tg_lob_event *ev)
{
	const char *f[6];
	size_t fl[6];
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == ',') {
			if (k == 6)
				return "more than 6 fields";
			f[k] = p + start;
			fl[k++] = i - start;
			start = i + 1;
		}
	}
	if (k != 6)
		return "fewer than 6 fields";
	int64_t type, id, size, price, dir;
	if (tg_parse_time_ns(f[0], fl[0], &ev->ts_ns))
		return "bad time";
	if (parse_int(f[1], fl[1], &type) ||
	    !(type == 1 || type == 2 || type == 3 || type == 4 || type == 5 || type == 7))
		return "bad event type";
	if (parse_int(f[2], fl[2], &id) || id < 0)
		return "bad order id";
	if (parse_int(f[3], fl[3], &size) || size < 0 || size > UINT32_MAX ||
	    (size == 0 && type != 7))
		return "bad size";
	if (parse_int(f[4], fl[4], &price) || price > UINT32_MAX ||
	    (type == 7 ? price < -1 || price > 1 : price <= 0))
		return "bad price";
	if (parse_int(f[5], fl[5], &dir) || (dir != 1 && dir != -1))
		return "bad direction";
	ev->type = (uint8_t)type;
	ev->order_id = (uint64_t)id;
	ev->shares = (uint32_t)size;
	ev->price_e4 = (int32_t)(type == 7 ? price : (int64_t)(uint32_t)price);
	ev->dir = (int8_t)dir;
	return NULL;
}

static int ev_cmp(const void *a, const void *b)
{
	const struct tg_lob_event *x = a, *y = b;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	if (x->instrument != y->instrument)
		return x->instrument < y->instrument ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Order map of the replay: (instrument, id) → state. Open addressing. */
struct order_slot {
	uint64_t id;
	int64_t synth; /* index of the synthesised Add in the output, or -1 */
	uint64_t remaining;
	int32_t price_e4;
	int8_t dir;
	uint16_t instrument;
	uint8_t used;
	uint8_t live;
	uint8_t orphan;
};

static struct order_slot *order_find(struct order_slot *t, size_t mask, uint64_t id, uint16_t inst)
{
	uint64_t h = (id ^ ((uint64_t)inst << 48)) * 0x9e3779b97f4a7c15ull;
	for (size_t i = (size_t)(h >> 20) & mask;; i = (i + 1) & mask)
		if (!t[i].used || (t[i].id == id && t[i].instrument == inst))
			return &t[i];
}

static int add_synth_adds(struct tg_source *s, struct tg_lob_event *in, uint64_t n)
{
	uint64_t orphans = 0;
	for (uint64_t i = 0; i < n; i++)
		orphans += in[i].type >= 2 && in[i].type <= 4;
	size_t cap = 16;
	while (cap < 2 * n + 16)
		cap *= 2;
	struct order_slot *map = calloc(cap, sizeof(*map));
	struct tg_lob_event *out = malloc((n + orphans + 1) * sizeof(*out));
	if (!map || !out) {
		free(map);
		free(out);
		return -ENOMEM;
	}
	uint64_t m = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct tg_lob_event *ev = &in[i];
		if (ev->type == TG_LOB_ADD) {
			struct order_slot *o =
			    order_find(map, cap - 1, ev->order_id, ev->instrument);
			*o = (struct order_slot){.id = ev->order_id,
			                         .instrument = ev->instrument,
			                         .used = 1,
			                         .live = 1,
			                         .synth = -1,
			                         .remaining = ev->shares,
			                         .price_e4 = ev->price_e4,
			                         .dir = ev->dir};
		} else if (ev->type >= TG_LOB_CANCEL && ev->type <= TG_LOB_EXEC) {
			struct order_slot *o =
			    order_find(map, cap - 1, ev->order_id, ev->instrument);
			if (!o->used) {
				s->st.orphan_orders++;
				o->orphan = 1;
			}
			if (!o->used || o->orphan) {
				s->st.orphan_refs++;
				s->st.orphan_execs += ev->type == TG_LOB_EXEC;
			}
			if (!o->used || !o->live) {
				struct tg_lob_event *a = &out[m];
				*a = *ev;
				a->type = TG_LOB_SYNTH_ADD;
				a->shares = 0;
				s->st.synth_adds++;
				uint8_t orphan = !o->used || o->orphan;
				*o = (struct order_slot){.id = ev->order_id,
				                         .instrument = ev->instrument,
				                         .used = 1,
				                         .live = 1,
				                         .orphan = orphan,
				                         .synth = (int64_t)m,
				                         .price_e4 = ev->price_e4,
				                         .dir = ev->dir};
				m++;
			}
			/* the receiver prices an execution from the order it saw */
			if (ev->price_e4 != o->price_e4 || ev->dir != o->dir) {
				s->st.inconsistent_refs++;
				ev->price_e4 = o->price_e4;
				ev->dir = o->dir;
			}
			if (o->synth >= 0) {
				uint32_t *sh = &out[o->synth].shares;
				if (*sh > UINT32_MAX - ev->shares) {
					s->st.oversubscribed++;
					*sh = UINT32_MAX;
				} else {
					*sh += ev->shares;
				}
			} else {
				if (ev->shares > o->remaining && ev->type != TG_LOB_DELETE)
					s->st.oversubscribed++;
				o->remaining -=
				    ev->shares < o->remaining ? ev->shares : o->remaining;
				if (o->remaining == 0)
					o->live = 0;
			}
			if (ev->type == TG_LOB_DELETE)
				o->live = 0;
		}
		out[m++] = *ev;
	}
	free(map);
	free(s->events);
	free(in);
	s->events = out;
	s->nevents = m;
	return 0;
}

static void symbol_from_path(const char *path, char *sym)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = 0;
	while (base[n] && base[n] != '_' && n < TG_SYMBOL_LEN) {
		char c = base[n];
		sym[n++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
	}
	sym[n] = 0;
}

/* Files (paths) or memory buffers (mem + symbols). */
static int open_lobster(const char *const *paths, const struct file_buf *mem,
                        const char *const *symbols, uint32_t nfiles, struct tg_source **out)
{
	if (nfiles == 0 || nfiles > 65535)
		return -EINVAL;
	struct tg_source *s = tg_source__alloc(TG_SOURCE_LOBSTER);
	struct tg_lob_event *ev = NULL;
	uint64_t n = 0, cap = 0;
	int rc = -ENOMEM;
	if (!s)
		return -ENOMEM;
	s->ninst = nfiles;
	s->symbols = calloc(nfiles, sizeof(*s->symbols));
	if (!s->symbols)
		goto fail;
	for (uint32_t fi = 0; fi < nfiles; fi++) {
		struct file_buf b = {0};
		if (mem) {
			b = mem[fi];
			snprintf(s->symbols[fi], sizeof(s->symbols[fi]), "%.8s", symbols[fi]);
		} else {
			symbol_from_path(paths[fi], s->symbols[fi]);
			rc = read_file(paths[fi], &b);
			if (rc)
				goto fail;
		}
		uint64_t line = 0, prev_ts = 0;
		for (size_t pos = 0; pos < b.len;) {
			const char *p = b.data + pos;
			const char *nl = memchr(p, '\n', b.len - pos);
			size_t len = nl ? (size_t)(nl - p) : b.len - pos;
			pos += len + 1;
			line++;
			s->st.lines++;
			while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
				len--;
			if (len == 0) {
				s->st.blank++;
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 1 << 16;
				struct tg_lob_event *ne = realloc(ev, cap * sizeof(*ev));
				if (!ne) {
					if (!mem)
						free(b.data);
					rc = -ENOMEM;
					goto fail;
				}
				ev = ne;
			}
			struct tg_lob_event *e = &ev[n];
			memset(e, 0, sizeof(*e));
			const char *why = parse_row(p, len, e);
			if (why) {
				tg_source__reject(s, (uint16_t)fi, line, why);
				continue;
			}
			e->row = (uint32_t)line;
			e->instrument = (uint16_t)fi;
			if (e->ts_ns < prev_ts)
				s->st.reordered++;
			prev_ts = e->ts_ns;
			s->st.halts += e->type == TG_LOB_HALT;
			n++;
		}
		if (!mem)
			free(b.data);
	}
	if (n == 0) {
		rc = -EBADMSG;
		goto fail;
	}
	qsort(ev, n, sizeof(*ev), ev_cmp);
	s->st.events = n;
	rc = add_synth_adds(s, ev, n);
	ev = NULL;
	if (rc)
		goto fail;
	/* trades: executions in event order */
	for (uint64_t i = 0; i < s->nevents; i++)
		s->ntrades +=
		    s->events[i].type == TG_LOB_EXEC || s->events[i].type == TG_LOB_HIDDEN;
	s->trades = calloc(s->ntrades ? s->ntrades : 1, sizeof(*s->trades));
	if (!s->trades) {
		rc = -ENOMEM;
		goto fail;
	}
	uint64_t t = 0;
	for (uint64_t i = 0; i < s->nevents; i++) {
		struct tg_lob_event *e = &s->events[i];
		if (e->type != TG_LOB_EXEC && e->type != TG_LOB_HIDDEN)
			continue;
		e->trade = t;
		s->trades[t++] = (struct tg_trade){
		    .instrument = e->instrument,
		    .exch_ts_ns = e->ts_ns,
		    .price_e4 = (uint32_t)e->price_e4,
		    .shares = e->shares,
		    /* executing a sell order is a buyer-initiated trade */
		    .side = e->dir < 0 ? 'B' : 'S',
		    .flags = e->type == TG_LOB_HIDDEN ? TG_TICK_HIDDEN : 0,
		};
		s->st.hidden += e->type == TG_LOB_HIDDEN;
	}
	rc = tg_source__finish_trades(s);
	if (rc)
		goto fail;
	*out = s;
	return 0;
fail:
	free(ev);
	tg_source_close(s);
	return rc;
}

int tg_source_open_lobster(const char *const *paths, uint32_t nfiles, struct tg_source **out)
{
	return open_lobster(paths, NULL, NULL, nfiles, out);
}

int tg_source_open_lobster_mem(const void *buf, size_t len, const char *symbol,
                               struct tg_source **out)
{
	struct file_buf b = {.data = (char *)(uintptr_t)buf, .len = len};
	return open_lobster(NULL, &b, &symbol, 1, out);
}
