/* Physical page allocator: whole 4096-byte pages of the RAM after the kernel. */
#ifndef KERNEL_KALLOC_H
#define KERNEL_KALLOC_H

#include "types.h"

void kalloc_init(uint64_t ram_end);
void *kalloc(void); /* a zeroed page, or 0 when memory is exhausted */
void kfree(void *pa);
uint64_t kalloc_free_pages(void);

#endif
