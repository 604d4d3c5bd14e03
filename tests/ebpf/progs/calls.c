/* --elf test: main in .text calling static subprograms (R_BPF_64_32). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) unsigned long square(unsigned long x)
{
    return x * x;
}

static __attribute__((noinline)) unsigned long sum_squares(unsigned long n)
{
    unsigned long s = 0;
    for (unsigned long i = 1; i <= n && i <= 16; i++)
        s += square(i);
    return s;
}

int main(void)
{
    return (int)sum_squares(10); /* 1 + 4 + ... + 100 = 385 */
}

char LICENSE[] SEC("license") = "GPL";
