/* Uploaded by tests/kernel/sidestub.test.mjs: one kretprobe program that
 * the torture test attaches to many kernel functions at once (the
 * programs of one object share its map), counting the returns it sees. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} returns SEC(".maps");

SEC("kretprobe/any")
int on_return(void *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&returns, &key);
    if (v)
        __sync_fetch_and_add(v, 1);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
