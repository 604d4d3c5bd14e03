/*
 * The helpers the kernel gives eBPF programs (Linux ids and prototypes),
 * besides the map and ring buffer helpers of the library.  The list is
 * include/osdbg/bpf_kernel_helpers.h, which ebpf-run --verify uses too.
 */
#ifndef KTRACE_BPF_HELPERS_H
#define KTRACE_BPF_HELPERS_H

#include "ktrace_os.h"
#include <ebpf.h>
#include <stdint.h>

/* Registers every helper of the list on vm (and the library's map ones). */
void bpf_register_helpers(ebpf_vm *vm);

/* The run on each hart, as the helpers see it (bpf_helpers.c). */
struct bpf_helper_run {
    const void *ctx;  /* the running program's context */
    uint64_t func_ip; /* the probe's function, or 0 */
    uint64_t cookie;  /* the probe's cookie, or 0 */
};
extern struct bpf_helper_run bpf_helper_runs[KT_MAX_HARTS];

/* A program starts on this hart, `hart` (interrupts off until bpf_helpers_run_end):
 * its context, the address of the probe that runs it (what bpf_get_func_ip
 * answers; 0: the context's pc) and the probe's cookie (what
 * bpf_get_attach_cookie answers).  Inline, always: three stores on every
 * probe hit, which as calls cost 34 guest instructions (issue 21), and
 * bpf.c's -O2 run path would call an -O0 copy of a plain inline. */
static inline __attribute__((always_inline)) void bpf_helpers_run_begin(unsigned hart, const void *ctx,
                                                                        uint64_t func_ip, uint64_t cookie)
{
    bpf_helper_runs[hart] = (struct bpf_helper_run){ctx, func_ip, cookie};
}
static inline __attribute__((always_inline)) void bpf_helpers_run_end(unsigned hart)
{
    bpf_helper_runs[hart] = (struct bpf_helper_run){0, 0, 0};
}

/* A NUL-terminated string, as bpf_probe_read_{user,kernel}_str: at most
 * size - 1 bytes up to and with the NUL, which is always written; returns
 * the length with the NUL (size when cut short), or -EFAULT with dst zeroed
 * if a byte before the NUL cannot be read.  From space (a process's,
 * kt_os_user_read), or kernel memory if space is 0. */
long bpf_read_str(char *dst, uint64_t size, uint64_t src, uint64_t space);

#endif
