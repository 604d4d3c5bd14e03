/* Temporary: parts not written yet. */
#include "ebpf_int.h"
int ebpf_load_elf(ebpf_vm *vm, const void *elf, size_t size, const char *name)
{
    (void)elf, (void)size, (void)name;
    return ebpfA_fail(vm, EBPF_ENOSYS, -1, "elf loader not built");
}
int ebpf_jit_compile(ebpf_vm *vm, void *code, size_t cap, size_t *len)
{
    (void)code, (void)cap, (void)len;
    return ebpfA_fail(vm, EBPF_ENOSYS, -1, "jit not built");
}
int ebpf_jit_exec(ebpf_vm *vm, void *ctx, uint64_t ctx_len, uint64_t *ret)
{
    (void)ctx, (void)ctx_len, (void)ret;
    return ebpfA_fail(vm, EBPF_ENOSYS, -1, "jit not built");
}
