/* Linux riscv's struct user_regs_struct (arch/riscv/include/uapi/asm/ptrace.h):
 * the probe context layout.  bpf_tracing.h's PT_REGS_* read it. */
#ifndef TESTS_EBPF_PROGS_REGS_H
#define TESTS_EBPF_PROGS_REGS_H
struct user_regs_struct {
    unsigned long pc, ra, sp, gp, tp, t0, t1, t2, s0, s1;
    unsigned long a0, a1, a2, a3, a4, a5, a6, a7;
    unsigned long s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, t3, t4, t5, t6;
};
#endif
