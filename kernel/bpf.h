/*
 * The kernel's eBPF objects and the bpf() system call (a Linux-compatible
 * subset: map create/lookup/update/delete/get-next-key, program load with
 * the verifier's log, test runs).  Maps and programs are reached from user
 * space through file descriptors (file.c types FILE_BPF_MAP/FILE_BPF_PROG).
 */
#ifndef KERNEL_BPF_H
#define KERNEL_BPF_H

#include "types.h"

void bpf_init(void);
long sys_bpf(void);
/* The last descriptor of a link is closed: detach its probes. */
void bpf_link_release(int id);
/* Run loaded program `id` on a pt_regs-layout context (for probes). */
int bpf_prog_run(int id, void *ctx, uint64_t ctx_len, uint64_t *ret);

#endif
