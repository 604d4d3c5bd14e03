/*
 * Building eBPF programs in C, without clang: the adapter compiles logpoint
 * messages and the built-in trace programs (registers, args, count,
 * latency) to bytecode with these emitters, then wraps them in an ELF
 * object (bpfgen_object) that the kernel's side-stub loads like one clang
 * made: program functions in their own sections, maps in the legacy "maps"
 * section, R_BPF_64_64 relocations on the lddw instructions that name maps.
 *
 * Registers follow the eBPF calling convention (RFC 9669, section 4.3):
 * r0 return value, r1-r5 arguments (clobbered by calls), r6-r9 kept across
 * calls, r10 the read-only frame pointer of a 512-byte stack.
 */
#ifndef ADAPTER_BPFGEN_H
#define ADAPTER_BPFGEN_H

#include <ebpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPFGEN_MAX_INSNS  1024
#define BPFGEN_MAX_MAPS   4
#define BPFGEN_MAX_PROGS  2
#define BPFGEN_MAX_RELOCS 32
#define BPFGEN_NAME_MAX   32

enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

struct bpfgen_map {
    char name[BPFGEN_NAME_MAX];
    uint32_t type, key_size, value_size, max_entries;
};

struct bpfgen_prog {
    char name[BPFGEN_NAME_MAX];    /* its function symbol: what vTAttach names */
    char section[BPFGEN_NAME_MAX]; /* "kprobe/...", "kretprobe/...", "uprobe/..." */
    struct ebpf_insn insns[BPFGEN_MAX_INSNS];
    int n;
    struct {
        int insn, map;
    } relocs[BPFGEN_MAX_RELOCS];
    int nrelocs;
};

struct bpfgen {
    struct bpfgen_map maps[BPFGEN_MAX_MAPS];
    int nmaps;
    struct bpfgen_prog progs[BPFGEN_MAX_PROGS];
    int nprogs;
    bool overflow; /* something did not fit: bpfgen_object refuses */
};

void bpfgen_init(struct bpfgen *g);
/* A map of the object; returns its index for bpfgen_ld_map. */
int bpfgen_map(struct bpfgen *g, const char *name, uint32_t type, uint32_t key_size,
               uint32_t value_size, uint32_t max_entries);
/* Start the next program; the emitters below append to it. */
void bpfgen_prog(struct bpfgen *g, const char *name, const char *section);

/* Emitters (names say the instruction class of RFC 9669 section 5). */
int bpfgen_insn(struct bpfgen *g, uint8_t code, int dst, int src, int16_t off, int32_t imm);
void bpfgen_mov_imm(struct bpfgen *g, int dst, int32_t imm);
void bpfgen_mov_reg(struct bpfgen *g, int dst, int src);
void bpfgen_alu_imm(struct bpfgen *g, uint8_t op, int dst, int32_t imm);
void bpfgen_alu_reg(struct bpfgen *g, uint8_t op, int dst, int src);
void bpfgen_ld_imm64(struct bpfgen *g, int dst, uint64_t value);
void bpfgen_ld_map(struct bpfgen *g, int dst, int map);
/* size is BPF_B, BPF_H, BPF_W or BPF_DW */
void bpfgen_ldx(struct bpfgen *g, uint8_t size, int dst, int src, int16_t off);
void bpfgen_stx(struct bpfgen *g, uint8_t size, int dst, int16_t off, int src);
void bpfgen_st_imm(struct bpfgen *g, uint8_t size, int dst, int16_t off, int32_t imm);
void bpfgen_atomic_add64(struct bpfgen *g, int dst, int16_t off, int src);
void bpfgen_call(struct bpfgen *g, int32_t helper);
void bpfgen_exit(struct bpfgen *g);
/* Forward jumps: emit with an unknown target, then bpfgen_land() where it
 * should go. */
int bpfgen_jmp_imm(struct bpfgen *g, uint8_t op, int dst, int32_t imm);
int bpfgen_jmp_reg(struct bpfgen *g, uint8_t op, int dst, int src);
int bpfgen_ja(struct bpfgen *g);
void bpfgen_land(struct bpfgen *g, int jump);
/* Instructions so far in the current program. */
int bpfgen_here(const struct bpfgen *g);

/* The ELF object (malloc'd, *len bytes).  Returns 0, or -1 with a reason. */
int bpfgen_object(const struct bpfgen *g, uint8_t **elf, size_t *len, char *err, size_t errlen);

#endif
