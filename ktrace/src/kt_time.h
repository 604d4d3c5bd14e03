/* The time CSR (RISC-V unprivileged spec, "Zicntr": rdtime), ticking at
 * kt_os_timebase_hz() on every hart. */
#ifndef KTRACE_KT_TIME_H
#define KTRACE_KT_TIME_H

#include <stdint.h>

static inline uint64_t kt_rdtime(void)
{
    uint64_t t;
    asm volatile("rdtime %0" : "=r"(t));
    return t;
}

#endif
