/* .kconfig externs (libbpf's __kconfig): values the kernel answers, an
 * unknown __weak one (0), and a store into one (the map is read-only). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int LINUX_KERNEL_VERSION __kconfig;
extern unsigned int CONFIG_HZ __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern unsigned long long CONFIG_OSDBG_NOT_AN_OPTION __kconfig __weak;

SEC("kprobe/kconfig")
int read_kconfig(void *ctx)
{
    return LINUX_KERNEL_VERSION + (int)CONFIG_HZ + CONFIG_BPF_SYSCALL +
           (int)CONFIG_OSDBG_NOT_AN_OPTION;
}

SEC("kprobe/kconfig_store")
int store_kconfig(void *ctx)
{
    CONFIG_HZ = 1000;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
