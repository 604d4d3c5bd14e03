/* A system call stub in assembly, as xv6-riscv's usys.S writes them: a
 * global label (no .type, no size), no call-frame information, a leaf that
 * never touches sp.  Used by user/stubs.c, which gives the reference kernel
 * that trait of xv6 for the debugger's tests (tests/adapter/xv6traits). */
#include "osdbg/syscall_nr.h"

    .text
    .global asm_write
asm_write:
    li a7, SYS_write
    ecall
    ret
