/* Calls into OpenSBI, the M-mode firmware (RISC-V SBI spec v1.0). */
#ifndef KERNEL_SBI_H
#define KERNEL_SBI_H

#include "types.h"

void sbi_set_timer(uint64_t stime_value);
NORETURN void sbi_shutdown(void);
NORETURN void sbi_shutdown_failure(void);
void sbi_console_putchar(int c);
/* Hart State Management (SBI v1.0 chapter 9): start hart `hartid` in
 * S-mode at physical address `start` with a0 = hartid, a1 = opaque.
 * 0, or the SBI error (negative: SBI_ERR_INVALID_PARAM for a hart that does
 * not exist, SBI_ERR_ALREADY_AVAILABLE for one already running). */
long sbi_hart_start(uint64_t hartid, uint64_t start, uint64_t opaque);
/* Ask every hart but this one to execute fence.i (RFENCE, chapter 8):
 * after the kernel patched instructions (probes), so that no hart runs a
 * stale copy from its instruction cache. */
void sbi_remote_fence_i_all(void);
/* Ask every hart to execute sfence.vma for [start, start+size) (RFENCE,
 * SBI v1.0 section 8.3): after the kernel changed a mapping in the kernel
 * page table, which all harts share (a local sfence.vma orders only the
 * hart that executes it, privileged spec 4.2.1). */
void sbi_remote_sfence_vma_all(uint64_t start, uint64_t size);

#endif
