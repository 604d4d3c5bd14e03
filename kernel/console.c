/*
 * Console line discipline: input is echoed and edited (backspace, Ctrl-U)
 * until newline, then handed to a reader; Ctrl-D ends input (read returns
 * what is buffered, or 0); Ctrl-P lists the processes.
 */
#include "console.h"
#include "uart.h"
#include "spinlock.h"
#include "proc.h"
#include "vm.h"
#include "param.h"
#include <osdbg/errno.h>

#define CTRL(x)   ((x) - '@')
#define BACKSPACE 0x100

static struct {
    struct spinlock lock;
    char buf[CONSOLE_BUF];
    uint32_t r; /* next byte a reader takes */
    uint32_t w; /* end of the completed lines */
    uint32_t e; /* end of the line being edited */
} cons;

/* One write() reaches the UART whole: with several harts, processes
 * writing at once had their lines mixed character by character. */
static struct spinlock out_lock;

void console_init(void)
{
    spin_init(&cons.lock, "console");
    spin_init(&out_lock, "console out");
}

static void echo(int c)
{
    if (c == BACKSPACE) {
        uart_putc_sync('\b');
        uart_putc_sync(' ');
        uart_putc_sync('\b');
    } else if (c == '\n') {
        uart_putc_sync('\r');
        uart_putc_sync('\n');
    } else {
        uart_putc_sync(c);
    }
}

void console_intr(int c)
{
    acquire(&cons.lock);
    switch (c) {
    case CTRL('P'):
        release(&cons.lock);
        proc_dump();
        return;
    case CTRL('U'):
        while (cons.e != cons.w && cons.buf[(cons.e - 1) % CONSOLE_BUF] != '\n') {
            cons.e--;
            echo(BACKSPACE);
        }
        break;
    case CTRL('H'):
    case 0x7f:
        if (cons.e != cons.w) {
            cons.e--;
            echo(BACKSPACE);
        }
        break;
    default:
        if (c != 0 && cons.e - cons.r < CONSOLE_BUF) {
            c = (c == '\r') ? '\n' : c;
            if (c != CTRL('D'))
                echo(c);
            cons.buf[cons.e++ % CONSOLE_BUF] = (char)c;
            if (c == '\n' || c == CTRL('D') || cons.e - cons.r == CONSOLE_BUF) {
                cons.w = cons.e;
                wakeup(&cons.r);
            }
        }
        break;
    }
    release(&cons.lock);
}

long console_read(uint64_t dst, long n)
{
    long want = n;
    acquire(&cons.lock);
    while (n > 0) {
        while (cons.r == cons.w) {
            if (proc_killed(myproc())) {
                release(&cons.lock);
                return -EINTR;
            }
            sleep(&cons.r, &cons.lock);
        }
        int c = cons.buf[cons.r++ % CONSOLE_BUF];
        if (c == CTRL('D')) {
            /* End of input: leave it for the next read if we have bytes. */
            if (n < want)
                cons.r--;
            break;
        }
        char ch = (char)c;
        if (copyout(myproc()->pagetable, dst, &ch, 1) < 0) {
            release(&cons.lock);
            return -EFAULT;
        }
        dst++;
        n--;
        if (c == '\n')
            break;
    }
    release(&cons.lock);
    return want - n;
}

long console_write(uint64_t src, long n)
{
    char buf[64];
    long done = 0;
    acquire(&out_lock);
    while (done < n) {
        long k = n - done < (long)sizeof buf ? n - done : (long)sizeof buf;
        if (copyin(myproc()->pagetable, buf, src + done, k) < 0)
            break;
        for (long i = 0; i < k; i++) {
            if (buf[i] == '\n')
                uart_putc_sync('\r');
            uart_putc_sync(buf[i]);
        }
        done += k;
    }
    release(&out_lock);
    return done < n && done == 0 ? -EFAULT : done;
}
