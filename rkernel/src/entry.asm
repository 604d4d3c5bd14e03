# The first instructions: a boot stack, then rust_main(hart id, device tree)
# (OpenSBI passes both in a0 and a1 and leaves them there).
    .section .text.entry
    .globl _start
_start:
    la sp, boot_stack_top
    call rust_main

    .section .bss.stack
    .globl boot_stack_lower_bound
boot_stack_lower_bound:
    .space 4096 * 16
    .globl boot_stack_top
boot_stack_top:
