/* Uploaded by tests/kernel/sidestub.test.mjs: eight printk events per
 * getpid, a flood faster than any host reads, so that the kernel's event
 * ring overflows and its drop counter is checked. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("kprobe/sys_getpid")
int flood(void *ctx)
{
#pragma unroll
    for (int i = 0; i < 8; i++)
        bpf_printk("flood %d", i);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
