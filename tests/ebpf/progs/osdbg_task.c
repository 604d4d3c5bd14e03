/* Reading the kernel's structures by field as libbpf programs read
 * Linux's task_struct: <bpf/osdbg.h> + <bpf/bpf_core_read.h> (no CO-RE).
 * test_elf.c runs it against host objects laid out by the same header. */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/osdbg.h>

struct out {
    int pid, ppid;
    char name[16];
    __u64 a0, parent_sp;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct out);
} result SEC(".maps");

SEC("kprobe/sys_getpid")
int task(struct pt_regs *ctx)
{
    __u32 k = 0;
    struct out *o = bpf_map_lookup_elem(&result, &k);
    if (!o)
        return 0;
    struct proc *p = (void *)bpf_get_current_task();
    o->pid = BPF_CORE_READ(p, pid);
    o->ppid = BPF_CORE_READ(p, parent, pid);
    BPF_CORE_READ_STR_INTO(&o->name, p, parent, name);
    BPF_CORE_READ_INTO(&o->a0, p, trapframe, a0);
    o->parent_sp = BPF_CORE_READ(p, parent, trapframe, sp);
    return bpf_core_field_exists(p->xstatus) + bpf_core_type_size(struct proc);
}

char LICENSE[] SEC("license") = "GPL";
