/* Compatibility suite: a BPF_MAP_TYPE_RINGBUF the libbpf way (BTF-defined,
 * max_entries its byte size).  On each sys_getpid of the loader: reserve an
 * event, fill it, submit; every other call also bpf_ringbuf_output.  The
 * ring is never consumed here, so bpf_ringbuf_query(BPF_RB_AVAIL_DATA)
 * after n records of 16 bytes is n * (8-byte header + 16). */
#include <bpf/bpf_helpers.h>

#ifndef BPF_RB_AVAIL_DATA
#define BPF_RB_AVAIL_DATA 0 /* uapi enum: bytes not yet consumed */
#endif

struct event {
    __u32 pid;
    __u32 seq;
    __u64 magic;
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct {
    __u32 target_pid;
    __u32 seq;
    __u64 reserved, output_ok, avail;
} g;

SEC("kprobe/sys_getpid")
int on_getpid(void *ctx)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (g.target_pid && pid != g.target_pid) /* 0 (osdbg trace): every process */
        return 0;
    __u32 s = g.seq++; /* one caller at a time: the loader's own getpid */
    struct event *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
    if (e) {
        e->pid = pid;
        e->seq = s;
        e->magic = 0x6f73646267ULL;
        bpf_ringbuf_submit(e, 0);
        g.reserved++;
    }
    if (s & 1) {
        struct event o = {pid, s, 0x6f73646267ULL};
        if (bpf_ringbuf_output(&events, &o, sizeof o, 0) == 0)
            g.output_ok++;
    }
    g.avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
