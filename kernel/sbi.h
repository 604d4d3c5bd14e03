/* Calls into OpenSBI, the M-mode firmware (RISC-V SBI spec v1.0). */
#ifndef KERNEL_SBI_H
#define KERNEL_SBI_H

#include "types.h"

void sbi_set_timer(uint64_t stime_value);
NORETURN void sbi_shutdown(void);
NORETURN void sbi_shutdown_failure(void);
void sbi_console_putchar(int c);

#endif
