/* Compatibility suite: a bounded loop of 1,024 iterations with a map lookup
 * and a branch in its body.  The loader fills squares[i] = i * i; on its sys_getpid the program
 * adds the odd squares and counts the even ones, then stores the results
 * (under `osdbg trace`, with no loader, it fills the squares itself and
 * prints the results). */
#include <bpf/bpf_helpers.h>

#define N 1024

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, N);
    __type(key, __u32);
    __type(value, __u64);
} squares SEC(".maps");

struct {
    __u32 target_pid;
    __u64 odd_sum, even_count, runs;
} g;

SEC("kprobe/sys_getpid")
int sum_squares(void *ctx)
{
    if (g.target_pid && (__u32)(bpf_get_current_pid_tgid() >> 32) != g.target_pid)
        return 0;
    __u64 odd = 0, even = 0;
    for (__u32 i = 0; i < N; i++) {
        __u64 *v = bpf_map_lookup_elem(&squares, &i);
        if (!v)
            break;
        if (*v == 0)
            *v = i * i; /* as the loader fills it (osdbg trace has no loader) */
        if (i & 1)
            odd += *v;
        else
            even++;
    }
    g.odd_sum = odd;
    g.even_count = even;
    g.runs++;
    bpf_printk("odd squares add up to %lu, %lu even", odd, even);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
