/* The most common bounded loop of real tracing programs, as clang -O2 emits
 * it: the counter's address goes to bpf_map_lookup_elem, so clang keeps the
 * counter only in a 4-byte stack slot (stored with *(u32 *)(r10 - 40) = r1,
 * reloaded before each use).  The verifier ends the loop's walk only if it
 * keeps the value of a narrow spill (docs/ebpf.md "Verifier"). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define N 64

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, N);
    __type(key, __u32);
    __type(value, __u64);
} squares SEC(".maps");

struct {
    __u64 odd_sum, even_count;
} g;

SEC("kprobe/sys_getpid")
int sum_squares(void *ctx)
{
    __u64 odd = 0, even = 0;
    for (__u32 i = 0; i < N; i++) {
        __u64 *v = bpf_map_lookup_elem(&squares, &i);
        if (!v)
            break;
        if (i & 1)
            odd += *v;
        else
            even++;
    }
    g.odd_sum = odd;
    g.even_count = even;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
