/* hugepages.h - huge page pool and hugetlbfs helpers behind
 * `tickguard hugepages` (also used by its test). Need root to change. */
#ifndef TG_CLI_HUGEPAGES_H
#define TG_CLI_HUGEPAGES_H

#include <stdint.h>

/* Pool of `page_kb` pages: total and free. 0 or -errno. */
int tg_hugepages_pool(unsigned page_kb, uint64_t *total, uint64_t *free_pages);
/* Set the pool to `pages`; *granted is what the kernel gave. 0 or -errno. */
int tg_hugepages_reserve(unsigned page_kb, uint64_t pages, uint64_t *granted);
/* mkdir + mount hugetlbfs of that page size at dir. 0 or -errno. */
int tg_hugepages_mount(const char *dir, unsigned page_kb);
/* Bytes a tick segment of this shape needs (upper bound). */
uint64_t tg_hugepages_segment_bytes(uint64_t instruments, uint64_t ring_slots,
                                    uint64_t arrival_slots);

#endif
