/* Compatibility suite: a uprobe and a uretprobe on one function of the
 * loader itself (user/bpfcompat.c compat_uprobe_target(a, b), 10 * a + b;
 * the kernel's probes share its first instruction).  The uprobe stores b
 * under key a in a BTF-defined hash map (arguments read from user
 * registers) and counts the calls; the uretprobe counts the returns and
 * adds up the return values. */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u64);
    __type(value, __u64);
} args_seen SEC(".maps");

struct {
    __u64 calls, return_sum, returns;
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
    __sync_fetch_and_add(&g.returns, 1);
    bpf_printk("returned %ld", ret);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
