/* An unknown kconfig extern that is not __weak: refused by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int CONFIG_OSDBG_UNKNOWN_STRONG __kconfig;

SEC("kprobe/x")
int f(void *ctx)
{
    return CONFIG_OSDBG_UNKNOWN_STRONG;
}

char LICENSE[] SEC("license") = "GPL";
