/*
 * trapframe_check.c - the trap frame's layout is a contract: the
 * trampoline (kernel/trampoline.S) saves registers at the TF_* offsets of
 * include/osdbg/trapframe.h, the C code reads struct trapframe, and the
 * debugger's profile (profiles/osdbg-kernel.json, trap.*Offset) names the
 * same offsets to unwind a trapped program.  Checked at compile time; this
 * file has no code.  (The profile's numbers are checked against the
 * kernel's DWARF by tests/adapter/profile.test.mjs.)
 */
#include <osdbg/trapframe.h>

#define AT(field, offset)                                                                          \
    _Static_assert(__builtin_offsetof(struct trapframe, field) == (offset),                        \
                   "struct trapframe." #field " is not at " #offset)

AT(kernel_satp, TF_KERNEL_SATP);
AT(kernel_sp, TF_KERNEL_SP);
AT(kernel_trap, TF_KERNEL_TRAP);
AT(epc, TF_EPC);
AT(kernel_hartid, TF_KERNEL_HARTID);
AT(ra, TF_REG(1));
AT(sp, TF_REG(2));
AT(gp, TF_REG(3));
AT(tp, TF_REG(4));
AT(s0, TF_REG(8));
AT(a0, TF_REG(10));
AT(a7, TF_REG(17));
AT(t6, TF_REG(31));
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "struct trapframe is not TF_SIZE bytes");
