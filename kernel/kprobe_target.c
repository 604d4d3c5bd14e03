/* Functions the kprobe self-test probes instruction by instruction
 * (kprobe_selftest.c): loops, branches taken and not, a call, a global
 * reached with auipc, compressed and full-size instructions. */
#include "kprobe_target.h"
#include "riscv.h"

long kprobe_target_global = 3;

NOINLINE static long kprobe_target_helper(long x)
{
    return x * 2 + 1;
}

NOINLINE long kprobe_target(long x)
{
    long acc = 0;
    for (long i = 0; i < x; i++) {
        if (i & 1)
            acc += i;
        else
            acc -= kprobe_target_global;
    }
    acc += kprobe_target_helper(x);
    return acc;
}

NOINLINE uint64_t kprobe_csr_target(void)
{
    return csr_read(sstatus);
}
