/*
 * Registers of the kernel at a trap taken in S-mode, saved by kernelvec.S.
 * The layout is Linux riscv's struct pt_regs / struct user_regs_struct
 * (pc, then x1..x31), so that the later kprobe engine can hand this frame to
 * eBPF programs written with libbpf's PT_REGS_* macros unchanged.
 */
#ifndef KERNEL_KREGS_H
#define KERNEL_KREGS_H

#define KREGS_PC    0
#define KREGS_X(n)  (8 * (n)) /* xN for 1 <= N <= 31 */
#define KREGS_SIZE  256
#define KREGS_FRAME 272 /* stack bytes kernelvec reserves: frame + sstatus + pad */

#ifndef __ASSEMBLER__
#include "types.h"
#include <osdbg/gpr.h>

struct kregs {
    uint64_t pc;
    OSDBG_GPR_LIST(OSDBG_GPR_U64)
};
_Static_assert(sizeof(struct kregs) == KREGS_SIZE, "kregs layout");
#endif

#endif
