/*
 * The kernel's eBPF objects and the bpf() system call (a Linux-compatible
 * subset: map create/lookup/update/delete/get-next-key, program load with
 * the verifier's log, test runs).  Maps, programs and links are reached
 * from user space through the OS's file descriptors (kt_os_fd_install).
 * What the OS calls is in ktrace.h (kt_bpf_init, kt_sys_bpf,
 * kt_bpf_file_closed); this is what the rest of ktrace uses.
 */
#ifndef KTRACE_BPF_H
#define KTRACE_BPF_H

#include <stddef.h>
#include <stdint.h>
#include "ktrace_os.h"
/* Run loaded program `id` on a pt_regs-layout context (for probes). */
int bpf_prog_run(int id, void *ctx, uint64_t ctx_len, uint64_t *ret);
/* The same from a probe handler: -EBUSY if this hart is already running one. */
int bpf_prog_run_probe(int id, void *ctx, uint64_t ctx_len);
/* Load program `name` of an eBPF ELF object (its maps created with it, or
 * shared with program share_maps_of, loaded earlier from the same object;
 * -1: new maps), verified for a pt_regs context.  Returns the program id or
 * -errno, with the loader's or verifier's message in log. */
int bpf_load_object(const void *elf, size_t size, const char *name, int share_maps_of, char *log,
                    size_t logsz);
void bpf_prog_unload(int id);
/* Walk a map of program id (by name, or its first map): the key after key
 * (0: the first) and its value.  0, -ENOENT after the last (or at once for
 * an empty map), -ESRCH if there is no such map, or -errno. */
int bpf_prog_map_next(int id, const char *map_name, const void *key, void *next_key, void *value,
                      uint32_t *key_size, uint32_t *value_size);
/* The next record of any ring buffer of program id: its size, 0 if none.
 * *tag (may be 0) gets the record's tag; with only_tag non-zero, only
 * records with that tag are taken (see bpf_record_tag). */
long bpf_prog_ringbuf_consume(int id, void *buf, size_t len, uint32_t only_tag, uint32_t *tag);
/* From now on the ring buffers (and perf event arrays) of program id hand
 * every record to fn as it is committed, on the producing hart, inside the
 * program's run (ebpf_ringbuf_set_sink); fn < 0: not taken, the helper fails
 * as on a full ring.  Records no longer wait for bpf_prog_ringbuf_consume. */
void bpf_prog_ringbuf_sink(int id, long (*fn)(void *ctx, const void *data, size_t len, uint32_t tag),
                           void *ctx);
/* Ring buffer records carry the hart and the task of the run that made them
 * (never 0: the runtime's "any tag").  The task's pid is kept plus one, so
 * that pid 0 is a task like any other (rCore-Tutorial's initproc is pid 0)
 * and a run with no task (t->task 0) is told apart. */
/* always_inline: prog_run (-O2 in a -O0 file) would call an -O0 copy. */
static inline __attribute__((always_inline)) uint32_t bpf_record_tag(int hart, uint64_t task, int pid)
{
    uint32_t who = task ? ((uint32_t)pid + 1) & 0xffffff : 0;
    return (uint32_t)(hart + 1) << 24 | who;
}
static inline int bpf_tag_hart(uint32_t tag)
{
    return (int)(tag >> 24) - 1;
}
/* The pid in a tag, or -1 if the run had no task. */
static inline int bpf_tag_pid(uint32_t tag)
{
    return (int)(tag & 0xffffff) - 1;
}
/* Where bpf_trace_printk's text goes. */
void bpf_set_printk_hook(void (*fn)(const char *text, size_t len));

#endif
