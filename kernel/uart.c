/*
 * ns16550a UART driver (register map of the TI PC16550D data sheet).
 * Output is polled: a teaching kernel's console must work in every context,
 * including panics with interrupts off.  Input is interrupt-driven: the
 * receive interrupt (PLIC source UART0_IRQ) hands each byte to the console
 * line discipline.
 */
#include "uart.h"
#include "console.h"
#include <osdbg/memlayout.h>
#include "types.h"

#define REG(r)          ((volatile uint8_t *)(UART0 + (r)))
#define RHR             0 /* receive holding register (read) */
#define THR             0 /* transmit holding register (write) */
#define IER             1 /* interrupt enable */
#define IER_RX_ENABLE   (1 << 0)
#define FCR             2 /* FIFO control */
#define FCR_FIFO_ENABLE (1 << 0)
#define FCR_FIFO_CLEAR  (3 << 1)
#define LCR             3 /* line control */
#define LCR_EIGHT_BITS  (3 << 0)
#define LCR_BAUD_LATCH  (1 << 7)
#define LSR             5 /* line status */
#define LSR_RX_READY    (1 << 0)
#define LSR_TX_IDLE     (1 << 5)

void uart_init(void)
{
    *REG(IER) = 0;
    *REG(LCR) = LCR_BAUD_LATCH; /* divisor 3: 38.4k baud (QEMU ignores it) */
    *REG(0) = 3;
    *REG(1) = 0;
    *REG(LCR) = LCR_EIGHT_BITS;
    /* No FIFO clear: keys typed while the machine boots stay queued. */
    *REG(FCR) = FCR_FIFO_ENABLE;
    *REG(IER) = IER_RX_ENABLE;
}

void uart_putc_sync(int c)
{
    while ((*REG(LSR) & LSR_TX_IDLE) == 0)
        ;
    *REG(THR) = (uint8_t)c;
}

void uart_intr(void)
{
    while (*REG(LSR) & LSR_RX_READY)
        console_intr(*REG(RHR));
}
