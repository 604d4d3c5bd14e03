// Executable memory of the kprobe engine (kprobe.c): the out-of-line
// slots where displaced instructions run, and the kretprobe trampoline.
// In .text (mapped R-X); kprobe.c writes them through a temporary writable
// mapping, like the probed code itself.
#include "kprobe.h"

        .section .text.kprobe, "ax"
        .balign 8
        .globl kprobe_slots
kprobe_slots:
        .space KPROBE_NSLOTS * KPROBE_SLOT_SIZE, 0
        .balign 4
        .globl kretprobe_trampoline
kretprobe_trampoline:
        ebreak
