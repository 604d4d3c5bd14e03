/*
 * An Sv39 page table read through the debugger (RISC-V privileged spec,
 * 4.4 "Sv39: Page-Based 39-bit Virtual-Memory System"): the mappings of an
 * address space as ranges VA -> PA with their permission bits, for the
 * editor's "Open page table".  Hardware-defined, so it holds for any OS
 * that runs Sv39.
 */
#ifndef ADAPTER_PAGETABLE_H
#define ADAPTER_PAGETABLE_H

#define PPN_MASK       ((1ULL << 44) - 1) /* PTE bits 53..10, satp bits 43..0 */
#define SATP_MODE_SV39 8ULL               /* satp bits 63..60 (4.1.11) */

#include <stdbool.h>
#include <stdint.h>

/* 4.3.1 / 4.4.1: PTE bits. */
#define PTE_V (1u << 0)
#define PTE_R (1u << 1)
#define PTE_W (1u << 2)
#define PTE_X (1u << 3)
#define PTE_U (1u << 4)
#define PTE_G (1u << 5)
#define PTE_A (1u << 6)
#define PTE_D (1u << 7)

/* Contiguous virtual pages mapped to contiguous physical pages with the
 * same bits. */
struct sv39_range {
    uint64_t va, pa, size;
    unsigned flags; /* PTE_* (V always set) */
};

/* Reads the 512 PTEs of the table at physical address pa; false if it
 * cannot be read. */
typedef bool (*sv39_read_fn)(uint64_t pa, uint64_t pte[512], void *arg);

/* Walks the table whose root is at physical address root, merging ranges.
 * Returns how many ranges are in out (at most max); *truncated says that
 * more did not fit, or that more than max_tables tables would have had to
 * be read, or that a table could not be read. */
int sv39_walk(uint64_t root, sv39_read_fn read, void *arg, struct sv39_range *out, int max,
              int max_tables, bool *truncated);
/* "rwxugad" with '-' for each bit not set (V is implied). */
void sv39_flags_text(unsigned flags, char out[8]);

#endif
