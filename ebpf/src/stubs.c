/* Temporary: parts not written yet. */
#include "ebpf_int.h"
int ebpf_load_elf(ebpf_vm *vm, const void *elf, size_t size, const char *name)
{
    (void)elf, (void)size, (void)name;
    return ebpfA_fail(vm, EBPF_ENOSYS, -1, "elf loader not built");
}
