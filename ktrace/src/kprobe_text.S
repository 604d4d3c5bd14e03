// Executable memory of the kprobe engine (kprobe.c): the out-of-line
// slots where displaced instructions run, and the kretprobe trampoline.
// In a text section of their own, .text.ktrace_slots, which the OS's linker
// script keeps with its code and among what must not be probed
// (ktrace_os.h); kprobe.c writes them with kt_os_kernel_write_text, like
// the probed code itself.
#include "kprobe.h"

        .section .text.ktrace_slots, "ax"
        .balign 8
        .globl kprobe_slots
kprobe_slots:
        .space KPROBE_NSLOTS * KPROBE_SLOT_SIZE, 0
        .balign 4
        .globl kretprobe_trampoline
kretprobe_trampoline:
        ebreak
