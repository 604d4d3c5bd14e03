// User program entry, linked first at 0x10000 (user.ld).  The kernel starts
// a program with a0 = argc, a1 = argv and sp 16-byte aligned (kernel/exec.c).
        .section .text.entry
        .globl _start
_start:
        call main
        call exit
