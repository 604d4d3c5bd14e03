/* Compatibility suite: a perf buffer.  BPF_MAP_TYPE_PERF_EVENT_ARRAY
 * declared as libbpf programs do (key and value sizes, no max_entries: one
 * per CPU), written with bpf_perf_event_output(ctx, &events,
 * BPF_F_CURRENT_CPU, ...) on each of the loader's sys_getpid calls; every
 * output must succeed, and an index outside the map must fail. */
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct event {
    __u32 pid;
    __u32 seq;
};

struct {
    __u32 target_pid;
    __u32 seq;
    __u64 output_ok, bad_index_refused;
} g;

SEC("kprobe/sys_getpid")
int send_event(void *ctx)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (g.target_pid && pid != g.target_pid) /* 0 (osdbg trace): every process */
        return 0;
    struct event e = {pid, g.seq++};
    if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof e) == 0)
        g.output_ok++;
    if (bpf_perf_event_output(ctx, &events, 1000, &e, sizeof e) < 0)
        g.bad_index_refused++;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
