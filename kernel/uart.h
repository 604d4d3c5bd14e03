/* The ns16550a UART of QEMU's virt machine: the OS console. */
#ifndef KERNEL_UART_H
#define KERNEL_UART_H

void uart_init(void);
void uart_putc_sync(int c);
void uart_intr(void);

#endif
