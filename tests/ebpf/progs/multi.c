/* Several programs in one section (libbpf allows several SEC("kprobe/x")
 * functions), a section named by its program type only (the target given
 * at attach time), and a subprogram in .text both call. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} hits SEC(".maps");

/* hits[k] += 1; returns the new count */
static __attribute__((noinline)) int bump(__u32 k)
{
    __u64 *v = bpf_map_lookup_elem(&hits, &k);
    if (!v)
        return -1;
    __sync_fetch_and_add(v, 1);
    return (int)*v;
}

SEC("kprobe/sys_write")
int first(void *ctx)
{
    return bump(0) + 10;
}

SEC("kprobe/sys_write")
int second(void *ctx)
{
    return bump(1) + 20;
}

SEC("kprobe")
int any_target(void *ctx)
{
    return 7;
}

char LICENSE[] SEC("license") = "GPL";
