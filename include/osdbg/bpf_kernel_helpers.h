/*
 * bpf_kernel_helpers.h - the helpers the osdbg kernel offers to eBPF
 * programs besides the map and ring buffer helpers the library implements
 * (ebpf_register_map_helpers).  One list for the kernel (ktrace/src/bpf.c
 * register_helpers, which pairs each name with its function) and for the
 * host tools (ebpf-run --verify --section checks an object against exactly
 * this set, with the prototypes of ebpf_linux_proto).  Names are Linux's
 * (uapi __BPF_FUNC_MAPPER); the id is BPF_FUNC_<name> from bpf_ids.h:
 *
 *   #define X(name) {BPF_FUNC_##name, h_##name},
 *   OSDBG_KERNEL_HELPERS(X)
 *
 * Add a helper here when the kernel implements it (the library must know
 * its prototype: ebpf_linux_proto).
 */
#ifndef OSDBG_BPF_KERNEL_HELPERS_H
#define OSDBG_BPF_KERNEL_HELPERS_H

// clang-format off
#define OSDBG_KERNEL_HELPERS(X)                                                  \
    X(ktime_get_ns) X(get_smp_processor_id) X(get_current_pid_tgid)              \
    X(get_current_comm) X(probe_read_kernel) X(probe_read_user)                  \
    X(probe_read_kernel_str) X(probe_read_user_str) X(trace_printk)             \
    X(probe_read) X(probe_read_str) X(get_current_task) X(get_current_uid_gid)   \
    X(get_prandom_u32) X(get_stack) X(get_numa_node_id) X(jiffies64)             \
    X(ktime_get_boot_ns) X(ktime_get_coarse_ns) X(get_func_ip)                   \
    X(get_attach_cookie) X(snprintf)
// clang-format on

#endif
