/* Compatibility suite (issue 18): a kprobe and a kretprobe written the
 * libbpf way - BPF_KPROBE/BPF_KRETPROBE, state in global data (.bss), a
 * filter on the process the loader names.  The loader (user/bpfcompat.c)
 * writes bytes to the console in three calls of known lengths while the
 * probes run; each write goes through file_write(f, src, n), called by
 * sys_write, which returns what file_write returned.  So: three entries,
 * three returns, the lengths' sum seen on entry and returned.  The two
 * programs sit on the same function, as a libbpf latency tool's do (the
 * kernel's probes share one address).  Under `osdbg trace` (no loader:
 * target_pid 0, every process) each hit prints its length. */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Global data (.bss), one struct so that its layout is the loader's. */
struct {
    __u32 target_pid; /* set by the loader: only its writes count */
    __u64 entries, entry_bytes;
    __u64 returns, returned_bytes;
} g;

static __always_inline int is_target(void)
{
    /* 0 (as `osdbg trace` loads it): every process */
    return !g.target_pid || (__u32)(bpf_get_current_pid_tgid() >> 32) == g.target_pid;
}

SEC("kprobe/file_write")
int BPF_KPROBE(write_entry, void *file, unsigned long src, long n)
{
    if (is_target()) {
        __sync_fetch_and_add(&g.entries, 1);
        __sync_fetch_and_add(&g.entry_bytes, n);
        bpf_printk("file_write of %ld bytes", n);
    }
    return 0;
}

SEC("kretprobe/file_write")
int BPF_KRETPROBE(write_return, long ret)
{
    if (is_target()) {
        __sync_fetch_and_add(&g.returns, 1);
        __sync_fetch_and_add(&g.returned_bytes, ret);
        bpf_printk("file_write returned %ld", ret);
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
