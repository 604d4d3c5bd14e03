/* Compatibility suite: tail calls.  The program on sys_getpid counts its
 * run and tail-calls slot 1 of a BPF_MAP_TYPE_PROG_ARRAY, which counts its
 * own runs.  The array's .maps initialiser puts the second program in
 * slot 1, as libbpf does when it loads the object (osdbg trace's load does
 * too); user/bpfcompat fills the slot itself through bpf() (BPF_MAP_UPDATE_ELEM
 * with its descriptor).  Code after bpf_tail_call runs only when the slot
 * is empty: bpfcompat empties it and calls again.  Each program prints its
 * run with bpf_printk. */
#include <bpf/bpf_helpers.h>

struct {
    __u32 target_pid;
    __u32 pad;
    __u64 entries, tail_runs, fell_through;
} g;

SEC("kprobe")
int tail_target(void *ctx)
{
    g.tail_runs++;
    bpf_printk("tail call target: run %lu", g.tail_runs);
    return 0;
}

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, int(void *));
} jump_table SEC(".maps") = {
    .values = {[1] = (void *)&tail_target},
};

SEC("kprobe/sys_getpid")
int tail_entry(void *ctx)
{
    if (g.target_pid && (__u32)(bpf_get_current_pid_tgid() >> 32) != g.target_pid)
        return 0;
    g.entries++;
    bpf_printk("tail call entry: run %lu", g.entries);
    bpf_tail_call(ctx, &jump_table, 1);
    g.fell_through++;
    bpf_printk("tail call fell through: %lu", g.fell_through);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
