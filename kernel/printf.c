/*
 * Formatted output for the kernel.  printf() writes through the UART with
 * polling, under a lock so lines of different processes do not interleave
 * character by character.
 */
#include "printf.h"
#include "format.h"
#include "spinlock.h"
#include "uart.h"
#include "sbi.h"
#include "riscv.h"

volatile int panicked;
static struct spinlock printf_lock;

void printf_init(void)
{
    spin_init(&printf_lock, "printf");
}

static void put_console(void *arg, char c)
{
    (void)arg;
    if (c == '\n')
        uart_putc_sync('\r');
    uart_putc_sync(c);
}

void printf(const char *fmt, ...)
{
    va_list ap;
    bool locking = !panicked;
    if (locking)
        acquire(&printf_lock);
    va_start(ap, fmt);
    vformat(put_console, 0, fmt, ap);
    va_end(ap);
    if (locking)
        release(&printf_lock);
}

/* A broken kernel invariant: say where, then stop the machine so that QEMU
 * exits, with a failure status, instead of hanging a test (a debugger attached to the gdbstub still
 * sees the message on the console). */
void panic(const char *fmt, ...)
{
    va_list ap;
    intr_off();
    panicked = 1;
    printf("\nkernel panic: ");
    va_start(ap, fmt);
    vformat(put_console, 0, fmt, ap);
    va_end(ap);
    printf("\n");
    sbi_shutdown_failure();
}
