/*
 * The per-process trap frame: where the trampoline (kernel/trampoline.S)
 * saves a user program's registers on every trap, mapped at TRAPFRAME in the
 * process's page table.  The debugger reads it to unwind the trapped user
 * program below the kernel frames (the cross-privilege call stack), so the
 * layout is part of the kernel's contract: profiles/osdbg-kernel.json names
 * these offsets, and kernel/trapframe_check.c asserts them at compile time.
 *
 * The first five fields are the kernel's state for the trampoline; then the
 * 31 general registers x1..x31 in order, so register xN lives at
 * TF_REG(N) = 40 + 8 * (N - 1).
 */
#ifndef OSDBG_TRAPFRAME_H
#define OSDBG_TRAPFRAME_H

#define TF_KERNEL_SATP   0                  /* kernel page table (satp value) */
#define TF_KERNEL_SP     8                  /* top of this process's kernel stack */
#define TF_KERNEL_TRAP   16                 /* address of usertrap() */
#define TF_EPC           24                 /* saved user program counter (sepc) */
#define TF_KERNEL_HARTID 32                 /* hart id (tp) of the kernel side */
#define TF_REG(n)        (40 + 8 * ((n)-1)) /* general register xN, 1 <= N <= 31 */
#define TF_SIZE          TF_REG(32)

#ifndef __ASSEMBLER__
#include <osdbg/gpr.h>
#include <stdint.h>

struct trapframe {
    uint64_t kernel_satp;
    uint64_t kernel_sp;
    uint64_t kernel_trap;
    uint64_t epc;
    uint64_t kernel_hartid;
    OSDBG_GPR_LIST(OSDBG_GPR_U64)
};
#endif

#endif
