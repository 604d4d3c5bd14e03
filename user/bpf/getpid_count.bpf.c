/* An eBPF program for bpfload: counts sys_getpid calls in an array map.
 * Built with clang -target bpf against libbpf's headers; the map uses the
 * legacy "maps" section that bpfload's small loader understands. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
    unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct legacy_map_def calls SEC("maps") = {BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(__u64), 1, 0};

SEC("kprobe/sys_getpid")
int count_getpid(void *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&calls, &key);
    if (v)
        __sync_fetch_and_add(v, 1);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
