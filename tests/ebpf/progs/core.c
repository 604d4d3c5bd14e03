/* CO-RE relocations from libbpf's own bpf_core_read.h on a vmlinux.h-style
 * type (preserve_access_index): the loader refuses the program that has
 * them, naming the relocation; the other program of the object loads. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task {
    int state;
    int pid;
    struct task *parent;
} __attribute__((preserve_access_index));

SEC("kprobe/core")
int core_read(void *ctx)
{
    struct task *t = ctx;
    return BPF_CORE_READ(t, parent, pid);
}

SEC("kprobe/plain")
int plain(void *ctx)
{
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
