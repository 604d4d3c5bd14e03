/*
 * Call stacks for eBPF helpers (bpf_get_stack, bpf_get_stackid): return
 * addresses found by walking frame pointers, in the kernel's stack or in the
 * current process's user stack (through the OS's port, ktrace_os.h).  Reads
 * only what the OS says is readable, so a program's bad context cannot fault.
 */
#ifndef KTRACE_BPF_STACK_H
#define KTRACE_BPF_STACK_H

#include <stdbool.h>
#include <stdint.h>

/* Linux's default sysctl kernel.perf_event_max_stack: the deepest stack a
 * helper reports. */
#define BPF_STACK_MAX_DEPTH 127

/*
 * The call stack at a probe.  ctx is the probe's context (pt_regs layout:
 * pc at offset 0, then x1..x31: ra, sp, gp, tp, t0..t2, s0/fp, ...).
 * user 0: the kernel stack the context's registers describe (none if the
 * probe is in user code); user 1: the current process's user stack, from
 * the context if the probe is in user code, else from the process's trap
 * frame (where it entered the kernel).  Writes the innermost first, after
 * skipping `skip` frames, at most max (<= BPF_STACK_MAX_DEPTH) addresses:
 * the probe's pc, then return addresses.  Returns how many it wrote (0 when
 * there is no stack to walk).  Safe on several harts at once; takes no lock.
 */
int bpf_stack_walk(const void *ctx, int user, uint64_t *ips, int max, int skip);

/* In-kernel tests (ktest): a known call chain walked from kprobes. */
void bpf_stack_selftest(void (*check)(bool ok, const char *what));

#endif
