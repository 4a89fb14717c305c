/* ordermap.c - allocation of the order map; the hot-path operations are
 * inline in ordermap.h so the ITCH handler can keep them in registers. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gateway/ordermap.h"

int tg_ordermap_create(struct tg_ordermap *m, uint64_t orders)
{
	if (orders == 0 || orders > (1ull << 32))
		return -EINVAL;
	uint64_t need = orders + orders / 7 + 1; /* load factor <= 7/8 */
	uint32_t bits = 4;
	while ((1ull << bits) < need)
		bits++;
	uint64_t cap = 1ull << bits;
	size_t bytes = cap * sizeof(struct tg_order);
	/* mmap rather than malloc: large, page aligned, and THP-eligible */
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	madvise(p, bytes, MADV_HUGEPAGE);
	m->slots = p;
	m->mask = cap - 1;
	m->shift = 64 - bits;
	m->max_count = cap - cap / 8;
	tg_ordermap_clear(m);
	return 0;
}

void tg_ordermap_clear(struct tg_ordermap *m)
{
	/* every byte 0xff makes every ref TG_ORDER_EMPTY */
	memset(m->slots, 0xff, (m->mask + 1) * sizeof(struct tg_order));
	m->count = 0;
}

void tg_ordermap_destroy(struct tg_ordermap *m)
{
	if (m->slots)
		munmap(m->slots, (m->mask + 1) * sizeof(struct tg_order));
	m->slots = NULL;
}
