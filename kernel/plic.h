/* The platform-level interrupt controller of QEMU's virt machine. */
#ifndef KERNEL_PLIC_H
#define KERNEL_PLIC_H

void plic_init(void);
void plic_init_hart(void);
void plic_enable(int irq);
int plic_claim(void);
void plic_complete(int irq);

#endif
