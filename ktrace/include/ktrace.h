/*
 * ktrace: the kernel side of osdbg's tracing, for any RISC-V teaching OS
 * (docs/porting.md).  These are the functions the OS calls; what ktrace
 * needs from the OS in return is in ktrace_os.h.
 */
#ifndef KTRACE_H
#define KTRACE_H

#include "ktrace_os.h"

/* ---- bpf(), eBPF programs and helpers (bpf.c, bpf_helpers.c, bpf_stack.c) ---- */

/* ---- probes and the side-stub (kprobe.c, uprobe.c, sidestub_server.c) ---- */

#endif
