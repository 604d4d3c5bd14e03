/*
 * RISC-V PLIC (RISC-V Platform-Level Interrupt Controller Specification
 * v1.0): priority per source at 4*irq, enable bits per context at
 * 0x2000 + 0x80*ctx, threshold and claim/complete at 0x200000 + 0x1000*ctx.
 * On QEMU virt, hart h's S-mode context is 2*h + 1.
 */
#include "plic.h"
#include "cpu.h"
#include "types.h"
#include <osdbg/memlayout.h>

#define S_CONTEXT(hart)  (2 * (hart) + 1)
#define PRIORITY(irq)    ((volatile uint32_t *)(PLIC + 4 * (irq)))
#define SENABLE(hart)    ((volatile uint32_t *)(PLIC + 0x2000 + 0x80 * S_CONTEXT(hart)))
#define STHRESHOLD(hart) ((volatile uint32_t *)(PLIC + 0x200000 + 0x1000 * S_CONTEXT(hart)))
#define SCLAIM(hart)     ((volatile uint32_t *)(PLIC + 0x200004 + 0x1000 * S_CONTEXT(hart)))

static uint32_t enabled_mask;
/* Harts whose context is set up (plic_init_hart): an interrupt enabled
 * later is enabled on each of them, so the PLIC may deliver it to any hart
 * (each claims; the one that gets the id handles it, PLIC spec 1.0 ch. 9). */
static uint32_t harts_ready;

void plic_init(void)
{
    plic_enable(UART0_IRQ);
}

/* Enable first, then set the priority: QEMU's PLIC re-evaluates pending
 * interrupts on a priority write, so a source that was already pending
 * (a device that raised its line during probing) is delivered. */
void plic_enable(int irq)
{
    uint32_t mask = __atomic_or_fetch(&enabled_mask, 1u << irq, __ATOMIC_ACQ_REL);
    uint32_t harts = __atomic_load_n(&harts_ready, __ATOMIC_ACQUIRE) | 1u << cpuid();
    for (int h = 0; h < NCPU; h++)
        if (harts & (1u << h))
            *SENABLE(h) = mask;
    *PRIORITY(irq) = 1;
}

void plic_init_hart(void)
{
    __atomic_or_fetch(&harts_ready, 1u << cpuid(), __ATOMIC_ACQ_REL);
    *SENABLE(cpuid()) = __atomic_load_n(&enabled_mask, __ATOMIC_ACQUIRE);
    *STHRESHOLD(cpuid()) = 0;
}

int plic_claim(void)
{
    return (int)*SCLAIM(cpuid());
}

void plic_complete(int irq)
{
    *SCLAIM(cpuid()) = (uint32_t)irq;
}
