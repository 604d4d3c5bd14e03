/* The flattened device tree OpenSBI hands the kernel (a1 at entry). */
#ifndef KERNEL_FDT_H
#define KERNEL_FDT_H

#include "types.h"

struct boot_info {
    char bootargs[256]; /* /chosen/bootargs (QEMU -append), "" if absent */
    uint64_t ram_base;  /* first /memory node's reg, 0 if absent */
    uint64_t ram_size;
};

/* Returns 0, or -1 if dtb is not a valid device tree blob. */
int fdt_parse(const void *dtb, struct boot_info *out);

#endif
