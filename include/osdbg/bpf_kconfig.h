/*
 * bpf_kconfig.h - what the osdbg kernel answers to a program's `.kconfig`
 * externs (libbpf's `extern int LINUX_KERNEL_VERSION __kconfig;`,
 * `extern bool CONFIG_X __kconfig __weak;`).  The ELF loader stores these
 * values in the object's read-only ".kconfig" map; an extern not listed
 * here reads 0 when it is __weak and is refused otherwise (Linux's libbpf
 * does the same with the running kernel's /proc/config.gz).
 *
 * LINUX_KERNEL_VERSION is KERNEL_VERSION(6, 1, 0): Linux 6.1 is Debian 12's
 * kernel, whose uapi <linux/bpf.h> (helper ids, map types, program
 * conventions) osdbg follows; programs that test the version for a feature
 * see the generation of BPF they are built against.  Booleans and
 * tristates are 1 for y and 0 for n.  The numbers mirror kernel/param.h
 * (NCPU, TICK_HZ).
 */
#ifndef OSDBG_BPF_KCONFIG_H
#define OSDBG_BPF_KCONFIG_H

// clang-format off
#define OSDBG_KCONFIG(X)                                                         \
    X(LINUX_KERNEL_VERSION, (6 << 16) + (1 << 8) + 0)                            \
    X(CONFIG_64BIT, 1) X(CONFIG_RISCV, 1) X(CONFIG_MMU, 1) X(CONFIG_SMP, 1)      \
    X(CONFIG_NR_CPUS, 4) X(CONFIG_HZ, 100) X(CONFIG_HZ_100, 1)                   \
    X(CONFIG_BPF, 1) X(CONFIG_BPF_SYSCALL, 1) X(CONFIG_BPF_JIT, 1)               \
    X(CONFIG_BPF_EVENTS, 1) X(CONFIG_KPROBES, 1) X(CONFIG_KRETPROBES, 1)         \
    X(CONFIG_KPROBE_EVENTS, 1) X(CONFIG_UPROBES, 1) X(CONFIG_UPROBE_EVENTS, 1)   \
    X(CONFIG_MODULES, 0) X(CONFIG_DEBUG_INFO_BTF, 0)
// clang-format on

#endif
