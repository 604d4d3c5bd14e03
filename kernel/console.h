/* The console line discipline between the UART and processes' fd 0/1/2. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include "types.h"

void console_init(void);
void console_intr(int c);
/* Read up to n bytes of input into user memory at dst; blocks until a line
 * (or Ctrl-D) is available.  Returns bytes read or -errno. */
long console_read(uint64_t dst, long n);
/* Write n bytes from user memory at src.  Returns bytes written or -errno. */
long console_write(uint64_t src, long n);

#endif
