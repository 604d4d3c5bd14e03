// User program entry, linked first at 0x10000 (user.ld).  The kernel starts
// a program with a0 = argc, a1 = argv and sp 16-byte aligned (kernel/exec.c).
// Typed and sized as a function, so debuggers name the frames in it.
        .section .text.entry
        .globl _start
        .type _start, @function
_start:
        call main
        call exit
        .size _start, . - _start
