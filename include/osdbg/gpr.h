/*
 * The general registers x1..x31 by their ABI names, in order (RISC-V psABI,
 * "Integer Register Convention"): the one list of every structure and table
 * that holds a trapped program's registers.  After pc they make Linux
 * riscv's struct pt_regs / user_regs_struct (the kernel's struct kregs, the
 * probe engine's struct rvprobe_regs, the eBPF programs' struct pt_regs in
 * include/bpf/bpf_tracing.h); after the trampoline's own words, the user
 * trap frame (trapframe.h).  Register xN is the N-th name.
 *
 *   struct pt_regs_like { uint64_t pc; OSDBG_GPR_LIST(OSDBG_GPR_U64) };
 *   const char *names[32] = {"pc", OSDBG_GPR_LIST(OSDBG_GPR_NAME)};
 */
#ifndef OSDBG_GPR_H
#define OSDBG_GPR_H

// clang-format off
#define OSDBG_GPR_LIST(X)                                                        \
    X(ra) X(sp) X(gp) X(tp) X(t0) X(t1) X(t2) X(s0) X(s1)                        \
    X(a0) X(a1) X(a2) X(a3) X(a4) X(a5) X(a6) X(a7)                              \
    X(s2) X(s3) X(s4) X(s5) X(s6) X(s7) X(s8) X(s9) X(s10) X(s11)                \
    X(t3) X(t4) X(t5) X(t6)
// clang-format on

#define OSDBG_GPR_U64(name)   uint64_t name;
#define OSDBG_GPR_ULONG(name) unsigned long name;
#define OSDBG_GPR_NAME(name)  #name,

#endif
