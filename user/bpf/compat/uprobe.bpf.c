/* Compatibility suite: a uprobe and a uretprobe on functions of the loader
 * itself (user/bpfcompat.c compat_uprobe_target(a, b) and
 * compat_uretprobe_target(a, b), both 10 * a + b).  The uprobe stores b
 * under key a in a BTF-defined hash map (arguments read from user
 * registers); the uretprobe adds up the return values. */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u64);
    __type(value, __u64);
} args_seen SEC(".maps");

struct {
    __u64 calls, return_sum;
} g;

SEC("uprobe")
int BPF_KPROBE(target_entry, long a, long b)
{
    __u64 key = a, value = b;
    bpf_map_update_elem(&args_seen, &key, &value, BPF_ANY);
    __sync_fetch_and_add(&g.calls, 1);
    bpf_printk("called with %ld, %ld", a, b);
    return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(target_return, long ret)
{
    __sync_fetch_and_add(&g.return_sum, ret);
    bpf_printk("returned %ld", ret);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
