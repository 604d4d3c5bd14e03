/* Compatibility suite: the current task and the tracing helpers that
 * answer about it.  On the loader's sys_getpid: bpf_get_current_task gives
 * its struct proc (<bpf/osdbg.h>), read by field with BPF_CORE_READ and
 * bpf_probe_read_kernel_str (pid, name, parent's pid); the legacy
 * bpf_probe_read reads the same pid; uid/gid, random numbers, the clocks,
 * the probe's address, and the kernel and user call stacks (bpf_get_stack)
 * are stored for the loader to check against what it knows. */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/osdbg.h>
#include <bpf/bpf_core_read.h>

/* Helpers bpf_helpers.h may not declare yet (Linux ids). */
static __u64 (*compat_jiffies64)(void) = (void *)118;
static __u64 (*compat_ktime_get_boot_ns)(void) = (void *)125;
static long (*compat_snprintf)(char *str, __u32 str_size, const char *fmt, __u64 *data,
                               __u32 data_len) = (void *)165;
static __u64 (*compat_get_func_ip)(void *ctx) = (void *)173;

struct {
    __u32 target_pid;
    __u64 runs;
    int pid, legacy_pid, parent_pid;
    char name[16];
    __u64 uid_gid, rand1, rand2, jiffies, boot_ns, func_ip, probe_pc;
    long kstack_bytes, ustack_bytes;
    __u64 kstack[8], ustack[8];
    long text_len;
    char text[32];
    long uart_read, null_read, build_id_stack, odd_size_stack, bad_format;
} g;

SEC("kprobe/sys_getpid")
int BPF_KPROBE(task_fields)
{
    if (g.target_pid && (__u32)(bpf_get_current_pid_tgid() >> 32) != g.target_pid)
        return 0;
    struct proc *p = (void *)bpf_get_current_task();
    g.pid = BPF_CORE_READ(p, pid);
    g.parent_pid = BPF_CORE_READ(p, parent, pid);
    bpf_probe_read_kernel_str(g.name, sizeof g.name, p->name);
    bpf_probe_read(&g.legacy_pid, sizeof g.legacy_pid, &p->pid);
    g.uid_gid = bpf_get_current_uid_gid();
    g.rand1 = bpf_get_prandom_u32();
    g.rand2 = bpf_get_prandom_u32();
    g.jiffies = compat_jiffies64();
    g.boot_ns = compat_ktime_get_boot_ns();
    g.func_ip = compat_get_func_ip(ctx);
    g.probe_pc = PT_REGS_IP(ctx);
    g.kstack_bytes = bpf_get_stack(ctx, g.kstack, sizeof g.kstack, 0);
    g.ustack_bytes = bpf_get_stack(ctx, g.ustack, sizeof g.ustack, BPF_F_USER_STACK);
    __u64 args[2] = {(__u64)g.pid, 42};
    g.text_len = compat_snprintf(g.text, sizeof g.text, "pid %d answer %u", args, sizeof args);
    /* Bad input is refused, never a fault: a device register, address 0,
     * build ids, a buffer not a multiple of 8, an unknown conversion. */
    __u64 word;
    __u64 three[2];
    g.uart_read = bpf_probe_read_kernel(&word, sizeof word, (void *)0x10000000);
    g.null_read = bpf_probe_read(&word, sizeof word, 0);
    g.build_id_stack = bpf_get_stack(ctx, three, sizeof three, 1 << 11);
    g.odd_size_stack = bpf_get_stack(ctx, three, 12, 0);
    char small[8];
    g.bad_format = compat_snprintf(small, sizeof small, "%q", args, sizeof args);
    g.runs++;
    bpf_printk("task pid %d name %s parent %d", g.pid, g.name, g.parent_pid);
    bpf_printk("stacks: %ld kernel and %ld user frames", (__u64)g.kstack_bytes >> 3, (__u64)g.ustack_bytes >> 3);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
