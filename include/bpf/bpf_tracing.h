/*
 * bpf_tracing.h - the probe context for osdbg's RISC-V kernels, compatible
 * with libbpf's PT_REGS_* accessors.  A kprobe's, kretprobe's or uprobe's
 * context is struct pt_regs in the layout of Linux riscv's struct
 * user_regs_struct (arch/riscv/include/uapi/asm/ptrace.h): pc, then x1..x31
 * by ABI name.  Arguments follow the RISC-V integer calling convention
 * (psABI: a0..a7), the return value is in a0.
 */
#ifndef OSDBG_BPF_TRACING_H
#define OSDBG_BPF_TRACING_H

#include "../osdbg/gpr.h"
#include "bpf_helpers.h"

struct pt_regs {
    unsigned long pc;
    OSDBG_GPR_LIST(OSDBG_GPR_ULONG)
};

#define PT_REGS_PARM1(x) ((x)->a0)
#define PT_REGS_PARM2(x) ((x)->a1)
#define PT_REGS_PARM3(x) ((x)->a2)
#define PT_REGS_PARM4(x) ((x)->a3)
#define PT_REGS_PARM5(x) ((x)->a4)
#define PT_REGS_PARM6(x) ((x)->a5)
#define PT_REGS_PARM7(x) ((x)->a6)
#define PT_REGS_PARM8(x) ((x)->a7)
#define PT_REGS_RET(x)   ((x)->ra)
#define PT_REGS_FP(x)    ((x)->s0)
#define PT_REGS_RC(x)    ((x)->a0)
#define PT_REGS_SP(x)    ((x)->sp)
#define PT_REGS_IP(x)    ((x)->pc)

/* libbpf's _CORE forms read through BPF_CORE_READ on kernels whose context is
 * not directly readable; here the context is, so they are the same. */
#define PT_REGS_PARM1_CORE(x) PT_REGS_PARM1(x)
#define PT_REGS_PARM2_CORE(x) PT_REGS_PARM2(x)
#define PT_REGS_PARM3_CORE(x) PT_REGS_PARM3(x)
#define PT_REGS_PARM4_CORE(x) PT_REGS_PARM4(x)
#define PT_REGS_PARM5_CORE(x) PT_REGS_PARM5(x)
#define PT_REGS_RC_CORE(x)    PT_REGS_RC(x)
#define PT_REGS_IP_CORE(x)    PT_REGS_IP(x)
#define PT_REGS_SP_CORE(x)    PT_REGS_SP(x)
#define PT_REGS_FP_CORE(x)    PT_REGS_FP(x)

/* BPF_KPROBE(name, a, b, ...): a program whose parameters are the probed
 * function's first arguments (up to six), as with libbpf:
 *     SEC("kprobe/sys_write") int BPF_KPROBE(on_write, long fd) { ... }
 * BPF_KRETPROBE(name, ret) gives the return value. */
#define ___osdbg_nth(_1, _2, _3, _4, _5, _6, _7, N, ...) N
#define ___osdbg_count(...) ___osdbg_nth(_, ##__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define ___osdbg_cat2(a, b) a##b
#define ___osdbg_cat(a, b)  ___osdbg_cat2(a, b)
#define ___osdbg_args0()
#define ___osdbg_args1(a)                   , (unsigned long)PT_REGS_PARM1(ctx)
#define ___osdbg_args2(a, b)                ___osdbg_args1(a), (unsigned long)PT_REGS_PARM2(ctx)
#define ___osdbg_args3(a, b, c)             ___osdbg_args2(a, b), (unsigned long)PT_REGS_PARM3(ctx)
#define ___osdbg_args4(a, b, c, d)          ___osdbg_args3(a, b, c), (unsigned long)PT_REGS_PARM4(ctx)
#define ___osdbg_args5(a, b, c, d, e)       ___osdbg_args4(a, b, c, d), (unsigned long)PT_REGS_PARM5(ctx)
#define ___osdbg_args6(a, b, c, d, e, f)    ___osdbg_args5(a, b, c, d, e), (unsigned long)PT_REGS_PARM6(ctx)
#define ___osdbg_args(...) ___osdbg_cat(___osdbg_args, ___osdbg_count(__VA_ARGS__))(__VA_ARGS__)

/* A register holds a number; the parameter may be an integer or a pointer,
 * and the macro cannot tell which.  It passes unsigned long: exact for an
 * integer parameter; for a pointer parameter the integer-to-pointer
 * conversion is what is meant, so -Wint-conversion (an error by default
 * from clang 15) is silenced for that one call. */
#define ___osdbg_int_to_ptr_ok                                                                 \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wint-conversion\"")
#define ___osdbg_int_to_ptr_end _Pragma("GCC diagnostic pop")

#define BPF_KPROBE(name, args...)                                                              \
    name(struct pt_regs *ctx);                                                                 \
    static __always_inline int ____##name(struct pt_regs *ctx, ##args);                       \
    int name(struct pt_regs *ctx)                                                              \
    {                                                                                          \
        ___osdbg_int_to_ptr_ok return ____##name(ctx ___osdbg_args(args));                     \
        ___osdbg_int_to_ptr_end                                                                \
    }                                                                                          \
    static __always_inline int ____##name(struct pt_regs *ctx, ##args)

#define BPF_KRETPROBE(name, args...)                                                           \
    name(struct pt_regs *ctx);                                                                 \
    static __always_inline int ____##name(struct pt_regs *ctx, ##args);                        \
    int name(struct pt_regs *ctx)                                                              \
    {                                                                                          \
        ___osdbg_int_to_ptr_ok return ____##name(ctx, (unsigned long)PT_REGS_RC(ctx));         \
        ___osdbg_int_to_ptr_end                                                                \
    }                                                                                          \
    static __always_inline int ____##name(struct pt_regs *ctx, ##args)

#define BPF_UPROBE    BPF_KPROBE
#define BPF_URETPROBE BPF_KRETPROBE

#endif
