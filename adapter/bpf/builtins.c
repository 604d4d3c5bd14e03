/*
 * The built-in trace programs (builtins.h), generated as bytecode.  The
 * context is the probe's struct pt_regs (slot 0 pc, slot N register xN);
 * records go to the ring buffer "events" and become D events.
 */
#include "bpf/builtins.h"

#include <osdbg/sidestub_proto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RINGBUF_SIZE (16 * 1024)
#define A0_SLOT      10 /* pt_regs slot of a0 = x10 */

static const char *const names[] = {"registers", "args", "count", "latency"};

enum builtin_kind builtin_by_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(names[i], name) == 0)
            return (enum builtin_kind)i;
    if (strcmp(name, "arguments") == 0)
        return BUILTIN_ARGS;
    return BUILTIN_NONE;
}

const char *builtin_name(enum builtin_kind k)
{
    return k >= 0 && k < 4 ? names[k] : "?";
}

static const char *section_of(int probe_kind, const char *prog, char *buf, size_t cap)
{
    const char *kind = probe_kind == SS_KRETPROBE   ? "kretprobe"
                       : probe_kind == SS_UPROBE    ? "uprobe"
                       : probe_kind == SS_URETPROBE ? "uretprobe"
                                                    : "kprobe";
    snprintf(buf, cap, "%s/%s", kind, prog);
    return buf;
}

static void exit0(struct bpfgen *g)
{
    bpfgen_mov_imm(g, R0, 0);
    bpfgen_exit(g);
}

/* Copy pt_regs slots [first, first+n) to the stack and output them. */
static void emit_copy_regs(struct bpfgen *g, int events, int first, int n)
{
    int16_t base = (int16_t)(-8 * n);
    for (int i = 0; i < n; i++) {
        bpfgen_ldx(g, BPF_DW, R0, R1, (int16_t)(8 * (first + i)));
        bpfgen_stx(g, BPF_DW, R10, (int16_t)(base + 8 * i), R0);
    }
    bpfgen_ld_map(g, R1, events);
    bpfgen_mov_reg(g, R2, R10);
    bpfgen_alu_imm(g, BPF_ADD, R2, base);
    bpfgen_mov_imm(g, R3, 8 * n);
    bpfgen_mov_imm(g, R4, 0);
    bpfgen_call(g, BPF_FUNC_ringbuf_output);
    exit0(g);
}

/* counts[pid] += 1 */
static void emit_count(struct bpfgen *g, int counts)
{
    bpfgen_call(g, BPF_FUNC_get_current_pid_tgid);
    bpfgen_stx(g, BPF_W, R10, -4, R0); /* the low half: the process id */
    bpfgen_ld_map(g, R1, counts);
    bpfgen_mov_reg(g, R2, R10);
    bpfgen_alu_imm(g, BPF_ADD, R2, -4);
    bpfgen_call(g, BPF_FUNC_map_lookup_elem);
    int found = bpfgen_jmp_imm(g, BPF_JNE, R0, 0);
    /* First hit of this process: insert 1 (BPF_NOEXIST, if two harts race
     * the loser's hit is lost, not counted twice). */
    bpfgen_st_imm(g, BPF_DW, R10, -16, 1);
    bpfgen_ld_map(g, R1, counts);
    bpfgen_mov_reg(g, R2, R10);
    bpfgen_alu_imm(g, BPF_ADD, R2, -4);
    bpfgen_mov_reg(g, R3, R10);
    bpfgen_alu_imm(g, BPF_ADD, R3, -16);
    bpfgen_mov_imm(g, R4, BPF_NOEXIST);
    bpfgen_call(g, BPF_FUNC_map_update_elem);
    exit0(g);
    bpfgen_land(g, found);
    bpfgen_mov_imm(g, R1, 1);
    bpfgen_atomic_add64(g, R0, 0, R1);
    exit0(g);
}

/* Entry: start[pid_tgid] = now. */
static void emit_latency_entry(struct bpfgen *g, int start)
{
    bpfgen_call(g, BPF_FUNC_get_current_pid_tgid);
    bpfgen_stx(g, BPF_DW, R10, -8, R0);
    bpfgen_call(g, BPF_FUNC_ktime_get_ns);
    bpfgen_stx(g, BPF_DW, R10, -16, R0);
    bpfgen_ld_map(g, R1, start);
    bpfgen_mov_reg(g, R2, R10);
    bpfgen_alu_imm(g, BPF_ADD, R2, -8);
    bpfgen_mov_reg(g, R3, R10);
    bpfgen_alu_imm(g, BPF_ADD, R3, -16);
    bpfgen_mov_imm(g, R4, BPF_ANY);
    bpfgen_call(g, BPF_FUNC_map_update_elem);
    exit0(g);
}

/* Return: d = now - start[pid_tgid]; hist[log2 bucket of d] += 1. */
static void emit_latency_return(struct bpfgen *g, int start, int hist)
{
    bpfgen_call(g, BPF_FUNC_get_current_pid_tgid);
    bpfgen_stx(g, BPF_DW, R10, -8, R0);
    bpfgen_ld_map(g, R1, start);
    bpfgen_mov_reg(g, R2, R10);
    bpfgen_alu_imm(g, BPF_ADD, R2, -8);
    bpfgen_call(g, BPF_FUNC_map_lookup_elem);
    int none = bpfgen_jmp_imm(g, BPF_JEQ, R0, 0); /* attached while it ran */
    bpfgen_ldx(g, BPF_DW, R7, R0, 0);
    bpfgen_call(g, BPF_FUNC_ktime_get_ns);
    bpfgen_mov_reg(g, R8, R0);
    bpfgen_alu_reg(g, BPF_SUB, R8, R7);
    bpfgen_ld_map(g, R1, start);
    bpfgen_mov_reg(g, R2, R10);
    bpfgen_alu_imm(g, BPF_ADD, R2, -8);
    bpfgen_call(g, BPF_FUNC_map_delete_elem);
    /* r9 = 0 if d == 0, else floor(log2 d) + 1, without branches (one path
     * for the verifier): for s = 32, 16, ..., 1, if d >> s is not zero then
     * d >>= s and r9 += s, where "d > 2^s - 1" is the sign bit of
     * (2^s - 1) - d (durations are far below 2^63).  At the end d is 1 if
     * it was not zero: add it. */
    bpfgen_mov_imm(g, R9, 0);
    for (int k = 5; k >= 0; k--) {
        bpfgen_ld_imm64(g, R1, (1ull << (1 << k)) - 1);
        bpfgen_alu_reg(g, BPF_SUB, R1, R8);
        bpfgen_alu_imm(g, BPF_RSH, R1, 63);
        bpfgen_alu_imm(g, BPF_LSH, R1, k);
        bpfgen_alu_reg(g, BPF_RSH, R8, R1);
        bpfgen_alu_reg(g, BPF_ADD, R9, R1);
    }
    bpfgen_alu_reg(g, BPF_ADD, R9, R8);
    int fits = bpfgen_jmp_imm(g, BPF_JLT, R9, BUILTIN_HIST_BUCKETS);
    bpfgen_mov_imm(g, R9, BUILTIN_HIST_BUCKETS - 1);
    bpfgen_land(g, fits);
    bpfgen_stx(g, BPF_W, R10, -12, R9);
    bpfgen_ld_map(g, R1, hist);
    bpfgen_mov_reg(g, R2, R10);
    bpfgen_alu_imm(g, BPF_ADD, R2, -12);
    bpfgen_call(g, BPF_FUNC_map_lookup_elem);
    int missing = bpfgen_jmp_imm(g, BPF_JEQ, R0, 0);
    bpfgen_mov_imm(g, R1, 1);
    bpfgen_atomic_add64(g, R0, 0, R1);
    bpfgen_land(g, none);
    bpfgen_land(g, missing);
    exit0(g);
}

void builtin_generate(struct bpfgen *g, enum builtin_kind k, int probe_kind)
{
    char sec[BPFGEN_NAME_MAX];
    bpfgen_init(g);
    switch (k) {
    case BUILTIN_REGISTERS:
    case BUILTIN_ARGS: {
        int events = bpfgen_map(g, "events", BPF_MAP_TYPE_RINGBUF, 0, 0, RINGBUF_SIZE);
        bpfgen_prog(g, BUILTIN_ENTRY_PROG,
                    section_of(probe_kind, BUILTIN_ENTRY_PROG, sec, sizeof sec));
        if (k == BUILTIN_REGISTERS)
            emit_copy_regs(g, events, 0, BUILTIN_RECORD_REGS / 8);
        else
            emit_copy_regs(g, events, A0_SLOT, BUILTIN_RECORD_ARGS / 8);
        break;
    }
    case BUILTIN_COUNT: {
        int counts = bpfgen_map(g, BUILTIN_COUNT_MAP, BPF_MAP_TYPE_HASH, 4, 8, 256);
        bpfgen_prog(g, BUILTIN_ENTRY_PROG,
                    section_of(probe_kind, BUILTIN_ENTRY_PROG, sec, sizeof sec));
        emit_count(g, counts);
        break;
    }
    case BUILTIN_LATENCY: {
        int start = bpfgen_map(g, "start", BPF_MAP_TYPE_HASH, 8, 8, 256);
        int hist = bpfgen_map(g, BUILTIN_HIST_MAP, BPF_MAP_TYPE_ARRAY, 4, 8, BUILTIN_HIST_BUCKETS);
        bpfgen_prog(g, BUILTIN_ENTRY_PROG,
                    section_of(probe_kind, BUILTIN_ENTRY_PROG, sec, sizeof sec));
        emit_latency_entry(g, start);
        bpfgen_prog(g, BUILTIN_RETURN_PROG,
                    section_of(probe_kind == SS_UPROBE ? SS_URETPROBE : SS_KRETPROBE,
                               BUILTIN_RETURN_PROG, sec, sizeof sec));
        emit_latency_return(g, start, hist);
        break;
    }
    case BUILTIN_NONE:
        g->overflow = true;
        break;
    }
}

/* Like bpftrace's hist(): one line per non-empty bucket range, bars
 * scaled to the largest count. */
char *builtin_hist_text(const uint64_t b[BUILTIN_HIST_BUCKETS], const char *unit)
{
    int lo = -1, hi = -1;
    uint64_t max = 0, total = 0;
    for (int i = 0; i < BUILTIN_HIST_BUCKETS; i++) {
        if (b[i]) {
            if (lo < 0)
                lo = i;
            hi = i;
            total += b[i];
            if (b[i] > max)
                max = b[i];
        }
    }
    size_t cap = 256 + (size_t)(hi - lo + 1) * 128, n = 0;
    char *out = malloc(cap);
    n += (size_t)snprintf(out + n, cap - n, "%llu samples (%s)\n", (unsigned long long)total, unit);
    for (int i = lo; i >= 0 && i <= hi; i++) {
        unsigned long long from = i == 0 ? 0 : 1ull << (i - 1), to = i == 0 ? 1 : 1ull << i;
        char range[64];
        snprintf(range, sizeof range, "[%llu, %llu)", from, to);
        int bar = max ? (int)((b[i] * 50 + max - 1) / max) : 0;
        n += (size_t)snprintf(out + n, cap - n, "%-26s %8llu |", range, (unsigned long long)b[i]);
        for (int k = 0; k < 50; k++)
            out[n++] = k < bar ? '@' : ' ';
        n += (size_t)snprintf(out + n, cap - n, "|\n");
    }
    return out;
}
