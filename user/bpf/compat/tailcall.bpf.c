/* Compatibility suite: tail calls.  The program on sys_getpid counts its
 * run and tail-calls slot 1 of a BPF_MAP_TYPE_PROG_ARRAY; the loader puts
 * the second program there (BPF_MAP_UPDATE_ELEM with its descriptor), which
 * counts its own runs.  Code after bpf_tail_call runs only when the slot is
 * empty: the loader empties it and calls again. */
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} jump_table SEC(".maps");

struct {
    __u32 target_pid;
    __u32 pad;
    __u64 entries, tail_runs, fell_through;
} g;

SEC("kprobe/sys_getpid")
int tail_entry(void *ctx)
{
    if (g.target_pid && (__u32)(bpf_get_current_pid_tgid() >> 32) != g.target_pid)
        return 0;
    g.entries++;
    bpf_tail_call(ctx, &jump_table, 1);
    g.fell_through++;
    return 0;
}

SEC("kprobe")
int tail_target(void *ctx)
{
    g.tail_runs++;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
