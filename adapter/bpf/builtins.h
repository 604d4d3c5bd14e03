/*
 * The built-in trace programs of `trace` and `osdbg trace`, generated with
 * bpfgen (no clang at run time):
 *   registers  every register at the probe (kprobe, uprobe: the kernel's own
 *              vTR/vTU program; kretprobe: this one, a0 is the return value)
 *   args       a0..a7 at the probe (the arguments at a function's entry)
 *   count      hits per process id, in the hash map "counts" (trace map)
 *   latency    a kprobe at the function's entry and a kretprobe at its
 *              return sharing two maps: entry times by process, and the
 *              log2 histogram of durations in nanoseconds, "hist"
 */
#ifndef ADAPTER_BUILTINS_H
#define ADAPTER_BUILTINS_H

#include "bpf/bpfgen.h"

#include <stdbool.h>
#include <stdint.h>

enum builtin_kind { BUILTIN_NONE = -1, BUILTIN_REGISTERS, BUILTIN_ARGS, BUILTIN_COUNT, BUILTIN_LATENCY };

#define BUILTIN_ENTRY_PROG  "osdbg_entry"  /* the program of a probe (latency: at entry) */
#define BUILTIN_RETURN_PROG "osdbg_return" /* latency: at the return */
#define BUILTIN_HIST_MAP    "hist"
#define BUILTIN_COUNT_MAP   "counts"
#define BUILTIN_HIST_BUCKETS 64 /* bucket b counts durations d with 2^(b-1) <= d < 2^b ns, b=0: d=0 */
#define BUILTIN_RECORD_REGS 256 /* a registers record: pt_regs, 32 x 8 bytes */
#define BUILTIN_RECORD_ARGS 64  /* an args record: a0..a7 */

enum builtin_kind builtin_by_name(const char *name);
const char *builtin_name(enum builtin_kind k);
/* Generate the object of a built-in for a probe of this kind (SS_KPROBE,
 * SS_KRETPROBE, SS_UPROBE, SS_URETPROBE); latency always has both programs. */
void builtin_generate(struct bpfgen *g, enum builtin_kind k, int probe_kind);
/* Format a hist map: buckets[64] -> lines of "[lo, hi) count |@@@@|". */
char *builtin_hist_text(const uint64_t buckets[BUILTIN_HIST_BUCKETS], const char *unit);

#endif
