/* A __ksym extern (a kernel variable's address): refused by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const int osdbg_ticks __ksym;

SEC("kprobe/x")
int f(void *ctx)
{
    return (int)(unsigned long)&osdbg_ticks;
}

char LICENSE[] SEC("license") = "GPL";
