/*
 * test_verifier.c - accept/reject corpus for the verifier.  Every reject
 * names the rule it breaks (a substring of the message the verifier must
 * give); accepted programs are also run in the bounds-checked interpreter.
 *
 * Maps: fd 0 array (key 4, value 16, 4 entries), fd 1 hash (key 8,
 * value 8), fd 2 ring buffer (4096 bytes).  Helpers: the map and ring
 * buffer helpers, ktime_get_ns (5), trace_printk (6: mem, size) and
 * probe_read_kernel (113: uninit mem, size, anything).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "insn_asm.h"

struct vcase {
    const char *name;
    struct ebpf_insn prog[48];
    unsigned n;
    const char *reject; /* NULL: must be accepted */
    unsigned ctx_size;
    int ctx_writable;
    unsigned ctx_wr_off, ctx_wr_len;
    unsigned insn_limit;
    int load_error; /* the loader, not the verifier, refuses it */
    unsigned max_processed;
};

#define ACCEPT(nm, ...)                                                                            \
    {                                                                                              \
        .name = nm, PROG(__VA_ARGS__), .ctx_size = 16                                              \
    }
#define REJECT(nm, why, ...)                                                                       \
    {                                                                                              \
        .name = nm, PROG(__VA_ARGS__), .reject = why, .ctx_size = 16                               \
    }
/* key 0 on the stack at fp-4, r2 = its address, r1 = map fd */
#define LOOKUP(fd)                                                                                 \
    ST(BPF_W, 10, -4, 0), MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -4), LD_MAP(1, fd),              \
        CALL(BPF_FUNC_map_lookup_elem)

static const struct vcase cases[] = {
    ACCEPT("return a constant", MOV64_IMM(0, 0), EXIT),
    ACCEPT("ctx read inside ctx_size", LDX(BPF_W, 0, 1, 12), EXIT),
    ACCEPT("stack write then read", ST(BPF_DW, 10, -8, 3), LDX(BPF_DW, 0, 10, -8), EXIT),
    ACCEPT("stack byte writes then word read", ST(BPF_B, 10, -4, 1), ST(BPF_B, 10, -3, 1),
           ST(BPF_H, 10, -2, 1), LDX(BPF_W, 0, 10, -4), EXIT),
    ACCEPT("map lookup with NULL check", LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 2), LDX(BPF_DW, 0, 0, 8),
           EXIT, MOV64_IMM(0, 0), EXIT),
    ACCEPT("NULL check through a copy", LOOKUP(0), MOV64_REG(6, 0), JMP_IMM(BPF_JNE, 6, 0, 2),
           MOV64_IMM(0, 0), EXIT, LDX(BPF_DW, 0, 0, 8), EXIT),
    ACCEPT("masked index into map value", MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 5),
           LDX(BPF_W, 1, 6, 0), ALU64_IMM(BPF_AND, 1, 15), ALU64_REG(BPF_ADD, 0, 1),
           LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    ACCEPT("index bounded by a compare", MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 5),
           LDX(BPF_W, 1, 6, 0), JMP_IMM(BPF_JGE, 1, 9, 3), ALU64_REG(BPF_ADD, 0, 1),
           LDX(BPF_DW, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    ACCEPT("bounded loop over constants", MOV64_IMM(0, 0), MOV64_IMM(1, 0),
           ALU64_REG(BPF_ADD, 0, 1), ALU64_IMM(BPF_ADD, 1, 1), JMP_IMM(BPF_JLT, 1, 10, -3), EXIT),
    ACCEPT("3000-iteration loop (more remembered states than the path array holds)",
           MOV64_IMM(1, 0), ALU64_IMM(BPF_ADD, 1, 1), JMP_IMM(BPF_JLT, 1, 3000, -2),
           MOV64_IMM(0, 0), EXIT),
    REJECT("infinite loop found past a long bounded loop", "infinite loop detected at insn 7",
           MOV64_REG(6, 1), MOV64_IMM(1, 0), ALU64_IMM(BPF_ADD, 1, 1),
           JMP_IMM(BPF_JLT, 1, 3000, -2), LDX(BPF_B, 2, 6, 0), MOV64_IMM(0, 0),
           JMP_IMM(BPF_JEQ, 2, 0, 1), JA(-1), EXIT),
    /* A bound found on a copy holds for the original (linked scalars). */
    ACCEPT("bound on a register copy applies to the original", MOV64_REG(6, 1), LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 6), LDX(BPF_W, 1, 6, 0), MOV64_REG(2, 1),
           JMP_IMM(BPF_JGT, 2, 10, 3), ALU64_REG(BPF_ADD, 0, 1), LDX(BPF_B, 0, 0, 0), EXIT,
           MOV64_IMM(0, 0), EXIT),
    ACCEPT("bound on the original applies to a copy spilled and filled", MOV64_REG(6, 1),
           LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 7), LDX(BPF_W, 1, 6, 0), STX(BPF_DW, 10, 1, -16),
           JMP_IMM(BPF_JGT, 1, 10, 4), LDX(BPF_DW, 3, 10, -16), ALU64_REG(BPF_ADD, 0, 3),
           LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("an ALU op on the copy breaks the link", "unbounded memory access",
           MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 7), LDX(BPF_W, 1, 6, 0),
           MOV64_REG(2, 1), ALU64_IMM(BPF_SUB, 2, 10), JMP_IMM(BPF_JGT, 2, 10, 3),
           ALU64_REG(BPF_ADD, 0, 1), LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("a new value in the original breaks the link", "unbounded memory access",
           MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 7), LDX(BPF_W, 1, 6, 0),
           MOV64_REG(2, 1), LDX(BPF_W, 1, 6, 4), JMP_IMM(BPF_JGT, 2, 10, 3),
           ALU64_REG(BPF_ADD, 0, 1), LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("a copy's bound too wide for the value", "invalid access to map value",
           MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 6), LDX(BPF_W, 1, 6, 0),
           MOV64_REG(2, 1), JMP_IMM(BPF_JGT, 2, 16, 3), ALU64_REG(BPF_ADD, 0, 1),
           LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    /* A JMP32 bound on a 64-bit value survives the zero-extending w2 = w2. */
    ACCEPT("JMP32 bound kept across w2 = w2", MOV64_REG(6, 1), LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 6), LDX(BPF_DW, 2, 6, 0), JMP32_IMM(BPF_JGT, 2, 10, 4),
           MOV32_REG(2, 2), ALU64_REG(BPF_ADD, 0, 2), LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0),
           EXIT),
    ACCEPT("JMP32 bound kept when copied by w3 = w2", MOV64_REG(6, 1), LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 7), LDX(BPF_DW, 2, 6, 0), JMP32_IMM(BPF_JLT, 2, 11, 1),
           JA(4), MOV32_REG(3, 2), ALU64_REG(BPF_ADD, 0, 3), LDX(BPF_B, 0, 0, 0), EXIT,
           MOV64_IMM(0, 0), EXIT),
    REJECT("JMP32 bound without w2 = w2 bounds only the low half", "unbounded memory access",
           MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 5), LDX(BPF_DW, 2, 6, 0),
           JMP32_IMM(BPF_JGT, 2, 10, 3), ALU64_REG(BPF_ADD, 0, 2), LDX(BPF_B, 0, 0, 0), EXIT,
           MOV64_IMM(0, 0), EXIT),
    REJECT("JMP32 bound too wide across w2 = w2", "invalid access to map value", MOV64_REG(6, 1),
           LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 6), LDX(BPF_DW, 2, 6, 0),
           JMP32_IMM(BPF_JGT, 2, 16, 4), MOV32_REG(2, 2), ALU64_REG(BPF_ADD, 0, 2),
           LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("signed JMP32 bound does not bound w2 = w2", "unbounded memory access",
           MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 6), LDX(BPF_DW, 2, 6, 0),
           JMP32_IMM(BPF_JSGT, 2, 10, 4), MOV32_REG(2, 2), ALU64_REG(BPF_ADD, 0, 2),
           LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("infinite loop with a branch inside", "infinite loop detected at insn 2",
           LDX(BPF_DW, 7, 1, 0), MOV64_IMM(0, 0), JMP_IMM(BPF_JSET, 7, 1, 2), MOV64_IMM(6, 1),
           JA(1), MOV64_IMM(6, 2), JMP_IMM(BPF_JEQ, 7, 7, 1), JA(-6), EXIT),
    /* Pointer leaks, refused as Linux refuses them unprivileged. */
    REJECT("stack pointer stored into a map value", "R2 leaks addr into map", LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 2), MOV64_REG(2, 10), STX(BPF_DW, 0, 2, 0), MOV64_IMM(0, 0),
           EXIT),
    REJECT("map pointer stored into a map value", "R2 leaks addr into map", LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 3), LD_MAP(2, 1), STX(BPF_DW, 0, 2, 0), MOV64_IMM(0, 0), EXIT),
    REJECT("ctx pointer stored into a map value", "R6 leaks addr into map", MOV64_REG(6, 1),
           LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 1), STX(BPF_DW, 0, 6, 8), MOV64_IMM(0, 0), EXIT),
    REJECT("map value pointer stored into the map value", "R0 leaks addr into map", LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 1), STX(BPF_DW, 0, 0, 0), MOV64_IMM(0, 0), EXIT),
    REJECT("pointer stored into a ring buffer record", "R10 leaks addr into mem", LD_MAP(1, 2),
           MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL(BPF_FUNC_ringbuf_reserve),
           JMP_IMM(BPF_JEQ, 0, 0, 4), STX(BPF_DW, 0, 10, 0), MOV64_REG(1, 0), MOV64_IMM(2, 0),
           CALL(BPF_FUNC_ringbuf_submit), MOV64_IMM(0, 0), EXIT),
    REJECT("atomic exchange of a pointer into a map value", "R2 leaks addr into mem", LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 2), MOV64_REG(2, 10),
           INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 2, 0, BPF_XCHG), MOV64_IMM(0, 0), EXIT),
    REJECT("spilled pointer as a map_update value", "R3 leaks addr into map: fp-16 holds a spilled fp",
           ST(BPF_DW, 10, -8, 0), STX(BPF_DW, 10, 10, -16), LD_MAP(1, 1), MOV64_REG(2, 10),
           ALU64_IMM(BPF_ADD, 2, -8), MOV64_REG(3, 10), ALU64_IMM(BPF_ADD, 3, -16),
           MOV64_IMM(4, 0), CALL(BPF_FUNC_map_update_elem), MOV64_IMM(0, 0), EXIT),
    REJECT("spilled pointer as a map key", "R2 leaks addr into map", ST(BPF_DW, 10, -16, 0),
           LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 8), STX(BPF_DW, 10, 0, -8), LD_MAP(1, 1),
           MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -8), MOV64_REG(3, 10),
           ALU64_IMM(BPF_ADD, 3, -16), MOV64_IMM(4, 0), CALL(BPF_FUNC_map_update_elem),
           MOV64_IMM(0, 0), EXIT),
    REJECT("spilled pointer sent by ringbuf_output", "R2 leaks addr into helper memory",
           STX(BPF_DW, 10, 1, -8), LD_MAP(1, 2), MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -8),
           MOV64_IMM(3, 8), MOV64_IMM(4, 0), CALL(BPF_FUNC_ringbuf_output), EXIT),
    REJECT("pointer turned into a number by xor", "pointer arithmetic with this operator",
           MOV64_REG(2, 10), ALU64_IMM(BPF_XOR, 2, 0), MOV64_IMM(0, 0), EXIT),
    REJECT("32-bit pointer arithmetic", "32-bit pointer arithmetic prohibited", MOV64_REG(2, 10),
           ALU32_IMM(BPF_ADD, 2, 0), MOV64_IMM(0, 0), EXIT),
    REJECT("32-bit copy of a pointer", "R10 partial copy of pointer", MOV32_REG(2, 10),
           MOV64_IMM(0, 0), EXIT),
    REJECT("pointer spilled in part", "R1 leaks addr: invalid size of register spill",
           STX(BPF_W, 10, 1, -8), MOV64_IMM(0, 0), EXIT),
    /* Narrow spills (vmem.c): a scalar stored in 1, 2 or 4 bytes that fit
     * it comes back with its range from a load of the same width and offset;
     * the index into the 16-byte value is safe only if it does.  In each
     * refused case below, keeping the stored register's range would accept
     * an index the program really takes out of the value. */
#define INDEX_BY_R1 /* the value's byte r1 */                                                      \
    JMP_IMM(BPF_JEQ, 0, 0, 3), ALU64_REG(BPF_ADD, 0, 1), LDX(BPF_B, 0, 0, 0), EXIT,               \
        MOV64_IMM(0, 0), EXIT
    ACCEPT("4-byte spill keeps a scalar's range", LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 15),
           STX(BPF_W, 10, 1, -12), LOOKUP(0), LDX(BPF_W, 1, 10, -12), INDEX_BY_R1),
    ACCEPT("2-byte spill keeps a scalar's range", LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 15),
           STX(BPF_H, 10, 1, -14), LOOKUP(0), LDX(BPF_H, 1, 10, -14), INDEX_BY_R1),
    ACCEPT("1-byte spill keeps a scalar's range", LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 15),
           STX(BPF_B, 10, 1, -9), LOOKUP(0), LDX(BPF_B, 1, 10, -9), INDEX_BY_R1),
    ACCEPT("4-byte spill of a constant", ST(BPF_W, 10, -16, 15), LOOKUP(0),
           LDX(BPF_W, 1, 10, -16), INDEX_BY_R1),
    ACCEPT("a constant wider than its store is kept truncated", LD64(1, 0x100000003ll),
           STX(BPF_W, 10, 1, -16), LOOKUP(0), LDX(BPF_W, 1, 10, -16), INDEX_BY_R1),
    ACCEPT("a bound found after the spill holds for the fill", LDX(BPF_W, 1, 1, 0),
           STX(BPF_W, 10, 1, -12), JMP_IMM(BPF_JLT, 1, 16, 2), MOV64_IMM(0, 0), EXIT, LOOKUP(0),
           LDX(BPF_W, 1, 10, -12), INDEX_BY_R1),
    ACCEPT("sign-extending fill of a narrow spill with its top bit clear", LDX(BPF_B, 1, 1, 0),
           ALU64_IMM(BPF_AND, 1, 15), STX(BPF_B, 10, 1, -9), LOOKUP(0), LDXSX(BPF_B, 1, 10, -9),
           INDEX_BY_R1),
    ACCEPT("an unknown byte stored beside a narrow spill keeps it", LDX(BPF_DW, 2, 1, 0),
           LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 15), STX(BPF_W, 10, 1, -16),
           STX(BPF_B, 10, 2, -12), LOOKUP(0), LDX(BPF_W, 1, 10, -16), INDEX_BY_R1),
    ACCEPT("low bytes of a spilled scalar that fits in them", LDX(BPF_B, 1, 1, 0),
           ALU64_IMM(BPF_AND, 1, 15), STX(BPF_DW, 10, 1, -16), LOOKUP(0),
           LDX(BPF_H, 1, 10, -16), INDEX_BY_R1),
    REJECT("narrow spill filled wider", "unbounded memory access", ST(BPF_DW, 10, -16, -1),
           LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 15), STX(BPF_W, 10, 1, -16), LOOKUP(0),
           LDX(BPF_DW, 1, 10, -16), INDEX_BY_R1),
    REJECT("narrow spill filled narrower", "min value is outside", LDX(BPF_B, 1, 1, 0),
           ALU64_IMM(BPF_AND, 1, 3), ALU64_IMM(BPF_ADD, 1, 0x10000), STX(BPF_W, 10, 1, -16),
           LOOKUP(0), LDX(BPF_H, 1, 10, -16), ALU64_IMM(BPF_SUB, 1, 0x10000), INDEX_BY_R1),
    REJECT("narrow spill filled at another offset", "unbounded memory access",
           ST(BPF_DW, 10, -16, -1), LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 15),
           STX(BPF_W, 10, 1, -16), LOOKUP(0), LDX(BPF_W, 1, 10, -12), INDEX_BY_R1),
    REJECT("narrow spill overwritten in part by a constant", "unbounded memory access",
           LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 15), STX(BPF_W, 10, 1, -16),
           ST(BPF_B, 10, -14, 0x7f), LOOKUP(0), LDX(BPF_W, 1, 10, -16), INDEX_BY_R1),
    REJECT("narrow spill overwritten in part by an unknown byte", "unbounded memory access",
           LDX(BPF_DW, 2, 1, 0), LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 15),
           STX(BPF_W, 10, 1, -16), STX(BPF_B, 10, 2, -14), LOOKUP(0), LDX(BPF_W, 1, 10, -16),
           INDEX_BY_R1),
    REJECT("a second narrow spill in a slot makes the first plain data", "unbounded memory access",
           ST(BPF_W, 10, -16, 300), ST(BPF_W, 10, -12, 3), LOOKUP(0), LDX(BPF_W, 1, 10, -16),
           INDEX_BY_R1),
    REJECT("2-byte spill filled by a 4-byte load", "unbounded memory access",
           ST(BPF_DW, 10, -16, -1), LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 15),
           STX(BPF_H, 10, 1, -16), LOOKUP(0), LDX(BPF_W, 1, 10, -16), INDEX_BY_R1),
    ACCEPT("low byte of a 4-byte spill whose value fits in it", LDX(BPF_B, 1, 1, 0),
           ALU64_IMM(BPF_AND, 1, 15), STX(BPF_W, 10, 1, -16), LOOKUP(0), LDX(BPF_B, 1, 10, -16),
           INDEX_BY_R1),
    REJECT("narrow spill of a value that does not fit", "min value is outside",
           LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 3), ALU64_IMM(BPF_ADD, 1, 256),
           STX(BPF_B, 10, 1, -9), LOOKUP(0), LDX(BPF_B, 1, 10, -9), ALU64_IMM(BPF_SUB, 1, 256),
           INDEX_BY_R1),
    REJECT("sign-extending fill of a narrow spill with its top bit set", "min value is outside",
           LDX(BPF_B, 1, 1, 0), ALU64_IMM(BPF_AND, 1, 3), ALU64_IMM(BPF_ADD, 1, 252),
           STX(BPF_B, 10, 1, -9), LOOKUP(0), LDXSX(BPF_B, 1, 10, -9), ALU64_IMM(BPF_SUB, 1, 252),
           INDEX_BY_R1),
    REJECT("narrow spill through another pointer to the stack fills plain data",
           "unbounded memory access", ST(BPF_DW, 10, -16, 0), LDX(BPF_B, 1, 1, 0),
           ALU64_IMM(BPF_AND, 1, 15), STX(BPF_W, 10, 1, -16), LOOKUP(0), MOV64_REG(2, 10),
           LDX(BPF_W, 1, 2, -16), INDEX_BY_R1),
    REJECT("a state with the other narrow spill is not pruned", "invalid access to map value",
           LDX(BPF_B, 2, 1, 0), JMP_IMM(BPF_JEQ, 2, 0, 3), MOV64_IMM(1, 15),
           STX(BPF_W, 10, 1, -16), JA(2), MOV64_IMM(1, 16), STX(BPF_W, 10, 1, -16), LOOKUP(0),
           LDX(BPF_W, 1, 10, -16), INDEX_BY_R1),
    /* the walk of the 4-byte spill at fp-12 must not prune the one where
     * fp-12 holds the high half of an 8-byte spill of the same value (0) */
    REJECT("a narrow spill does not cover a wider one of the same value", "unbounded memory access",
           LDX(BPF_B, 2, 1, 0), JMP_IMM(BPF_JEQ, 2, 0, 3), MOV64_IMM(1, 15),
           STX(BPF_W, 10, 1, -12), JA(2), MOV64_IMM(1, 15), STX(BPF_DW, 10, 1, -16), LOOKUP(0),
           LDX(BPF_W, 1, 10, -12), ALU64_IMM(BPF_SUB, 1, 1), INDEX_BY_R1),
    REJECT("pointer spilled in 4 bytes", "R0 leaks addr: invalid size of register spill",
           LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 1), STX(BPF_W, 10, 0, -12), MOV64_IMM(0, 0), EXIT),
    REJECT("pointer spilled in 1 byte", "R10 leaks addr: invalid size of register spill",
           STX(BPF_B, 10, 10, -1), MOV64_IMM(0, 0), EXIT),
    ACCEPT("scalar from ctx stored into a map value", MOV64_REG(6, 1), LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 2), LDX(BPF_DW, 2, 6, 0), STX(BPF_DW, 0, 2, 0), MOV64_IMM(0, 0),
           EXIT),
    ACCEPT("count-down loop", MOV64_IMM(1, 10), ALU64_IMM(BPF_SUB, 1, 1),
           JMP_IMM(BPF_JNE, 1, 0, -2), MOV64_IMM(0, 0), EXIT),
    ACCEPT("loop bounded by a masked ctx value", LDX(BPF_B, 2, 1, 0), ALU64_IMM(BPF_AND, 2, 15),
           MOV64_IMM(0, 0), MOV64_IMM(1, 0), JMP_REG(BPF_JGE, 1, 2, 3), ALU64_IMM(BPF_ADD, 0, 2),
           ALU64_IMM(BPF_ADD, 1, 1), JA(-4), EXIT),
    ACCEPT("ring buffer reserve, write, submit", LD_MAP(1, 2), MOV64_IMM(2, 8), MOV64_IMM(3, 0),
           CALL(BPF_FUNC_ringbuf_reserve), JMP_IMM(BPF_JEQ, 0, 0, 4), ST(BPF_DW, 0, 0, 7),
           MOV64_REG(1, 0), MOV64_IMM(2, 0), CALL(BPF_FUNC_ringbuf_submit), MOV64_IMM(0, 0), EXIT),
    ACCEPT("ring buffer output from stack", ST(BPF_DW, 10, -8, 1), LD_MAP(1, 2), MOV64_REG(2, 10),
           ALU64_IMM(BPF_ADD, 2, -8), MOV64_IMM(3, 8), MOV64_IMM(4, 0),
           CALL(BPF_FUNC_ringbuf_output), EXIT),
    ACCEPT("callee writes caller stack through a pointer", MOV64_REG(1, 10),
           ALU64_IMM(BPF_ADD, 1, -8), CALL_LOCAL(2), LDX(BPF_DW, 0, 10, -8), EXIT,
           ST(BPF_DW, 1, 0, 42), MOV64_IMM(0, 0), EXIT),
    ACCEPT("trace_printk of stack bytes", ST(BPF_DW, 10, -8, 0x6968), MOV64_REG(1, 10),
           ALU64_IMM(BPF_ADD, 1, -8), MOV64_IMM(2, 8), CALL(BPF_FUNC_trace_printk), EXIT),
    ACCEPT("probe_read initialises stack", MOV64_REG(1, 10), ALU64_IMM(BPF_ADD, 1, -16),
           MOV64_IMM(2, 16), MOV64_IMM(3, 0), CALL(BPF_FUNC_probe_read_kernel),
           LDX(BPF_DW, 0, 10, -16), EXIT),
    ACCEPT("get_current_comm fills a stack buffer", MOV64_REG(1, 10), ALU64_IMM(BPF_ADD, 1, -16),
           MOV64_IMM(2, 16), CALL(BPF_FUNC_get_current_comm), LDX(BPF_DW, 0, 10, -8), EXIT),
    REJECT("get_current_comm into a too small buffer", "invalid stack off=-8 size=16",
           MOV64_REG(1, 10), ALU64_IMM(BPF_ADD, 1, -8), MOV64_IMM(2, 16),
           CALL(BPF_FUNC_get_current_comm), MOV64_IMM(0, 0), EXIT),
    ACCEPT("callx of a constant helper id is checked as that call", MOV64_IMM(6, 5), CALLX(6),
           EXIT),
    REJECT("callx checks the helper's arguments", "invalid zero-sized read", MOV64_REG(1, 10),
           MOV64_IMM(2, 0), MOV64_IMM(3, BPF_FUNC_trace_printk), CALLX(3), EXIT),
    REJECT("callx of an id the walk cannot know", "must be a known constant", LDX(BPF_W, 6, 1, 0),
           CALLX(6), EXIT),
    REJECT("callx of an unregistered helper", "invalid func unknown#77", MOV64_IMM(6, 77), CALLX(6),
           EXIT),
    REJECT("callx through an uninitialised register", "R7 !read_ok", CALLX(7), EXIT),
    REJECT("callx of a map pointer", "must be a known constant", LD_MAP(6, 0), CALLX(6), EXIT),
    {.name = "callx through r10 (loader)",
     PROG(CALLX(10), EXIT),
     .reject = "callx through r10",
     .load_error = 1},
    REJECT("trace_printk of zero bytes", "invalid zero-sized read", MOV64_REG(1, 10),
           MOV64_IMM(2, 0), CALL(BPF_FUNC_trace_printk), EXIT),
    ACCEPT("map update from stack key and value", ST(BPF_W, 10, -4, 1), ST(BPF_DW, 10, -24, 5),
           ST(BPF_DW, 10, -16, 6), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -4),
           MOV64_REG(3, 10), ALU64_IMM(BPF_ADD, 3, -24), MOV64_IMM(4, 0),
           CALL(BPF_FUNC_map_update_elem), EXIT),
    ACCEPT("spilled pointer keeps its type", STX(BPF_DW, 10, 1, -8), LDX(BPF_DW, 2, 10, -8),
           LDX(BPF_W, 0, 2, 0), EXIT),
    ACCEPT("atomics on the stack", ST(BPF_DW, 10, -8, 0), MOV64_IMM(1, 1),
           ATOMIC(BPF_DW, 10, 1, -8, BPF_ADD | BPF_FETCH), LDX(BPF_DW, 0, 10, -8), EXIT),
    ACCEPT("gotol skips an instruction", MOV64_IMM(0, 1), LDX(BPF_B, 2, 1, 0),
           JMP_IMM(BPF_JEQ, 2, 0, 1), JA32(1), MOV64_IMM(0, 2), EXIT),
    ACCEPT("pointer compared with NULL needs no branch", MOV64_REG(2, 10),
           JMP_IMM(BPF_JNE, 2, 0, 1), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("unreachable code", "unreachable insn 2", MOV64_IMM(0, 0), EXIT, MOV64_IMM(0, 1), EXIT),
    REJECT("read of an uninitialised register", "R2 !read_ok", MOV64_REG(0, 2), EXIT),
    REJECT("missing r0 at exit", "R0 !read_ok", EXIT),
    REJECT("r0 set on one path only", "R0 !read_ok", LDX(BPF_B, 2, 1, 0), JMP_IMM(BPF_JEQ, 2, 0, 1),
           MOV64_IMM(0, 1), EXIT),
    REJECT("write to r10", "frame pointer is read only", MOV64_IMM(10, 0), EXIT),
    REJECT("load into r10", "frame pointer is read only", LDX(BPF_DW, 10, 1, 0), EXIT),
    REJECT("stack below 512 bytes", "invalid stack off=-520", ST(BPF_DW, 10, -520, 0),
           MOV64_IMM(0, 0), EXIT),
    REJECT("stack above the frame", "invalid stack off=-4 size=8", ST(BPF_DW, 10, -4, 0),
           MOV64_IMM(0, 0), EXIT),
    REJECT("read of an unwritten stack slot", "invalid read from stack", LDX(BPF_DW, 0, 10, -8),
           EXIT),
    REJECT("read of a partly written slot", "invalid read from stack off -8+4",
           ST(BPF_W, 10, -8, 0), LDX(BPF_DW, 0, 10, -8), EXIT),
    REJECT("ctx read past ctx_size", "invalid bpf_context access off=16", LDX(BPF_W, 0, 1, 16),
           EXIT),
    REJECT("ctx at a negative offset", "invalid bpf_context access off=-4", LDX(BPF_W, 0, 1, -4),
           EXIT),
    REJECT("write to a read-only ctx", "cannot write into ctx", ST(BPF_W, 1, 0, 1), MOV64_IMM(0, 0),
           EXIT),
    REJECT("variable ctx offset", "variable ctx access", LDX(BPF_B, 2, 1, 0),
           ALU64_IMM(BPF_AND, 2, 3), ALU64_REG(BPF_ADD, 1, 2), LDX(BPF_B, 0, 1, 0), EXIT),
    REJECT("map value used without NULL check", "invalid mem access 'map_value_or_null'", LOOKUP(0),
           LDX(BPF_DW, 0, 0, 0), EXIT),
    REJECT("NULL branch dereferenced", "invalid mem access 'scalar'", LOOKUP(0),
           JMP_IMM(BPF_JNE, 0, 0, 2), LDX(BPF_DW, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("map value read past value_size", "invalid access to map value, value_size=16",
           LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 2), LDX(BPF_DW, 0, 0, 9), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("unbounded index into map value", "unbounded memory access", MOV64_REG(6, 1), LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 4), LDX(BPF_DW, 1, 6, 0), ALU64_REG(BPF_ADD, 0, 1),
           LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("index one past the end", "invalid access to map value", MOV64_REG(6, 1), LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 5), LDX(BPF_W, 1, 6, 0), JMP_IMM(BPF_JGT, 1, 9, 3),
           ALU64_REG(BPF_ADD, 0, 1), LDX(BPF_DW, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("negative index", "min value is outside", MOV64_REG(6, 1), LOOKUP(0),
           JMP_IMM(BPF_JEQ, 0, 0, 4), LDXSX(BPF_B, 1, 6, 0), ALU64_REG(BPF_ADD, 0, 1),
           LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("32-bit compare does not bound a 64-bit index", "unbounded memory access",
           MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 5), LDX(BPF_DW, 1, 6, 0),
           JMP32_IMM(BPF_JGE, 1, 8, 3), ALU64_REG(BPF_ADD, 0, 1), LDX(BPF_B, 0, 0, 0), EXIT,
           MOV64_IMM(0, 0), EXIT),
    REJECT("32-bit shift count is masked (w >> 33 is w >> 1)", "unbounded memory access",
           MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 6), LDX(BPF_W, 1, 6, 0),
           MOV64_IMM(2, 33), ALU32_REG(BPF_RSH, 1, 2), ALU64_REG(BPF_ADD, 0, 1),
           LDX(BPF_B, 0, 0, 0), EXIT, MOV64_IMM(0, 0), EXIT),
    REJECT("infinite loop", "infinite loop detected", LDX(BPF_B, 2, 1, 0),
           JMP_IMM(BPF_JEQ, 2, 0, 1), JA(-1), MOV64_IMM(0, 0), EXIT),
    REJECT("loop on an unknown value", "infinite loop detected", LDX(BPF_DW, 1, 1, 0),
           ALU64_IMM(BPF_RSH, 1, 1), JMP_IMM(BPF_JNE, 1, 0, -2), MOV64_IMM(0, 0), EXIT),
    REJECT("map pointer expected", "R1 type=scalar expected=map_ptr", MOV64_IMM(1, 0),
           MOV64_REG(2, 10), CALL(BPF_FUNC_map_lookup_elem), MOV64_IMM(0, 0), EXIT),
    REJECT("map key not initialised", "invalid read from stack", MOV64_REG(2, 10),
           ALU64_IMM(BPF_ADD, 2, -4), LD_MAP(1, 0), CALL(BPF_FUNC_map_lookup_elem), MOV64_IMM(0, 0),
           EXIT),
    REJECT("map key outside the stack", "invalid stack off=-2 size=4", ST(BPF_H, 10, -2, 0),
           MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -2), LD_MAP(1, 0),
           CALL(BPF_FUNC_map_lookup_elem), MOV64_IMM(0, 0), EXIT),
    REJECT("unknown helper", "invalid func unknown#99", CALL(99), EXIT),
    REJECT("r1-r5 clobbered by a call", "R1 !read_ok", CALL(BPF_FUNC_ktime_get_ns), MOV64_REG(0, 1),
           EXIT),
    REJECT("arithmetic on map_value_or_null", "null-check it first", LOOKUP(0),
           ALU64_IMM(BPF_ADD, 0, 8), MOV64_IMM(0, 0), EXIT),
    REJECT("ring buffer record never submitted", "Unreleased reference", LD_MAP(1, 2),
           MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL(BPF_FUNC_ringbuf_reserve),
           JMP_IMM(BPF_JEQ, 0, 0, 0), MOV64_IMM(0, 0), EXIT),
    REJECT("write past a ring buffer record", "invalid access to memory, mem_size=8", LD_MAP(1, 2),
           MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL(BPF_FUNC_ringbuf_reserve),
           JMP_IMM(BPF_JEQ, 0, 0, 4), ST(BPF_DW, 0, 4, 7), MOV64_REG(1, 0), MOV64_IMM(2, 0),
           CALL(BPF_FUNC_ringbuf_submit), MOV64_IMM(0, 0), EXIT),
    REJECT("use after submit", "invalid mem access 'scalar'", LD_MAP(1, 2), MOV64_IMM(2, 8),
           MOV64_IMM(3, 0), CALL(BPF_FUNC_ringbuf_reserve), JMP_IMM(BPF_JEQ, 0, 0, 5),
           MOV64_REG(6, 0), MOV64_REG(1, 0), MOV64_IMM(2, 0), CALL(BPF_FUNC_ringbuf_submit),
           ST(BPF_DW, 6, 0, 1), MOV64_IMM(0, 0), EXIT),
    REJECT("reserve size not constant", "is not a known constant", LDX(BPF_B, 2, 1, 0),
           LD_MAP(1, 2), MOV64_IMM(3, 0), CALL(BPF_FUNC_ringbuf_reserve), MOV64_IMM(0, 0), EXIT),
    REJECT("helper size may be negative", "min value is negative", LDX(BPF_DW, 2, 1, 0),
           MOV64_REG(1, 10), ALU64_IMM(BPF_ADD, 1, -8), ST(BPF_DW, 10, -8, 0),
           CALL(BPF_FUNC_trace_printk), EXIT),
    REJECT("helper size larger than the buffer", "invalid stack off=-8 size=9",
           ST(BPF_DW, 10, -8, 0), MOV64_REG(1, 10), ALU64_IMM(BPF_ADD, 1, -8), MOV64_IMM(2, 9),
           CALL(BPF_FUNC_trace_printk), EXIT),
    REJECT("recursion too deep", "call stack of 9 frames is too deep", CALL_LOCAL(1), EXIT,
           CALL_LOCAL(-1), EXIT),
    REJECT("return a pointer", "R0 leaks addr", MOV64_REG(0, 10), EXIT),
    REJECT("pointer to a dead frame", "invalid mem access 'scalar'", CALL_LOCAL(2),
           LDX(BPF_DW, 0, 0, -8), EXIT, ST(BPF_DW, 10, -8, 1), MOV64_REG(0, 10),
           ALU64_IMM(BPF_ADD, 0, 0), EXIT),
    REJECT("shift by 64", "invalid shift 64", MOV64_IMM(0, 1), ALU64_IMM(BPF_LSH, 0, 64), EXIT),
    REJECT("map pointer dereferenced", "invalid mem access 'map_ptr'", LD_MAP(1, 0),
           LDX(BPF_DW, 0, 1, 0), EXIT),
    REJECT("variable stack offset", "variable stack access", LDX(BPF_B, 2, 1, 0),
           ALU64_IMM(BPF_AND, 2, 7), MOV64_REG(3, 10), ALU64_IMM(BPF_ADD, 3, -16),
           ALU64_REG(BPF_ADD, 3, 2), ST(BPF_B, 3, 0, 0), MOV64_IMM(0, 0), EXIT),
    REJECT("scalar dereferenced", "invalid mem access 'scalar'", MOV64_IMM(1, 4096),
           LDX(BPF_DW, 0, 1, 0), EXIT),
    REJECT("atomic on ctx", "BPF_ATOMIC stores into R1 ctx", MOV64_IMM(2, 1),
           ATOMIC(BPF_DW, 1, 2, 0, BPF_ADD), MOV64_IMM(0, 0), EXIT),
    {.name = "jump into the middle of lddw (loader)",
     PROG(JA(1), LD64(0, 1), EXIT),
     .reject = "middle of ldimm64",
     .load_error = 1},
    {.name = "unknown map fd (loader)",
     PROG(LD_MAP(1, 7), MOV64_IMM(0, 0), EXIT),
     .reject = "fd 7 is not pointing to valid bpf_map",
     .load_error = 1},
    {.name = "jump out of range (loader)",
     PROG(JA(3), MOV64_IMM(0, 0), EXIT),
     .reject = "jump out of range",
     .load_error = 1},
    {.name = "writable ctx accepts stores",
     PROG(ST(BPF_W, 1, 4, 1), MOV64_IMM(0, 0), EXIT),
     .ctx_size = 8,
     .ctx_writable = 1},
    {.name = "store inside the writable ctx field",
     PROG(ST(BPF_W, 1, 8, 1), MOV64_IMM(0, 0), EXIT),
     .ctx_size = 16,
     .ctx_writable = 1,
     .ctx_wr_off = 8,
     .ctx_wr_len = 8},
    {.name = "store outside the writable ctx field",
     PROG(ST(BPF_W, 1, 4, 1), MOV64_IMM(0, 0), EXIT),
     .reject = "cannot write into ctx off=4 size=4",
     .ctx_size = 16,
     .ctx_writable = 1,
     .ctx_wr_off = 8,
     .ctx_wr_len = 8},
    {.name = "store straddling the writable ctx field",
     PROG(ST(BPF_W, 1, 6, 1), MOV64_IMM(0, 0), EXIT),
     .reject = "cannot write into ctx off=6 size=4",
     .ctx_size = 16,
     .ctx_writable = 1,
     .ctx_wr_off = 8,
     .ctx_wr_len = 8},
    {.name = "processing budget",
     PROG(MOV64_IMM(1, 0), ALU64_IMM(BPF_ADD, 1, 1), JMP_IMM(BPF_JLT, 1, 100000, -2),
          MOV64_IMM(0, 0), EXIT),
     .reject = "BPF program is too large",
     .insn_limit = 5000},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static uint64_t h_ktime(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return 1;
}
static uint64_t h_printk(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)c, (void)d, (void)e, (void)vm;
    return b;
}
static uint64_t h_probe(uint64_t dst, uint64_t n, uint64_t src, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)src, (void)d, (void)e, (void)vm;
    memset((void *)(uintptr_t)dst, 0x11, n);
    return 0;
}
static char arena[64 << 20];
static char err[256];
static char vlog[1 << 16];

static ebpf_vm *setup_vm(void)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    assert_non_null(vm);
    struct ebpf_map_def array = {BPF_MAP_TYPE_ARRAY, 4, 16, 4};
    struct ebpf_map_def hash = {BPF_MAP_TYPE_HASH, 8, 8, 16};
    struct ebpf_map_def rb = {BPF_MAP_TYPE_RINGBUF, 0, 0, 4096};
    assert_non_null(ebpf_map_create(vm, &array, "array"));
    assert_non_null(ebpf_map_create(vm, &hash, "hash"));
    assert_non_null(ebpf_map_create(vm, &rb, "events"));
    assert_int_equal(ebpf_register_map_helpers(vm), 0);
    /* the library's Linux prototypes, as embedders use them */
    ebpf_register_helper(vm, BPF_FUNC_ktime_get_ns, h_ktime,
                         ebpf_linux_proto(BPF_FUNC_ktime_get_ns));
    ebpf_register_helper(vm, BPF_FUNC_trace_printk, h_printk,
                         ebpf_linux_proto(BPF_FUNC_trace_printk));
    ebpf_register_helper(vm, BPF_FUNC_probe_read_kernel, h_probe,
                         ebpf_linux_proto(BPF_FUNC_probe_read_kernel));
    ebpf_register_helper(vm, BPF_FUNC_get_current_comm, h_probe,
                         ebpf_linux_proto(BPF_FUNC_get_current_comm));
    return vm;
}

static void test_case(void **state)
{
    const struct vcase *c = *state;
    ebpf_vm *vm = setup_vm();
    int r = ebpf_load(vm, c->prog, c->n);
    if (c->load_error) {
        assert_int_not_equal(r, 0);
        if (!strstr(ebpf_error(vm), c->reject))
            fail_msg("%s: load error '%s' does not name '%s'", c->name, ebpf_error(vm), c->reject);
        return;
    }
    if (r)
        fail_msg("%s: load failed: %s", c->name, ebpf_error(vm));
    struct ebpf_verify_opts o = {.ctx_size = c->ctx_size,
                                 .ctx_writable = (uint32_t)c->ctx_writable,
                                 .ctx_wr_off = c->ctx_wr_off,
                                 .ctx_wr_len = c->ctx_wr_len,
                                 .log = vlog,
                                 .log_size = sizeof(vlog),
                                 .log_level = 1,
                                 .insn_limit = c->insn_limit};
    r = ebpf_verify(vm, &o);
    if (!c->reject) {
        if (r)
            fail_msg("%s: rejected: %s\n%s", c->name, ebpf_error(vm), vlog);
        /* What the verifier accepts must run cleanly when bounds-checked. */
        uint8_t ctx[16] = {3, 0, 0, 0, 0, 0, 0, 0};
        uint64_t r0;
        ebpf_set_bounds_check(vm, 1);
        if (ebpf_exec(vm, ctx, c->ctx_size, &r0))
            fail_msg("%s: accepted but failed to run: %s", c->name, ebpf_error(vm));
        return;
    }
    if (r == 0)
        fail_msg("%s: accepted, but must be rejected for '%s'\n%s", c->name, c->reject, vlog);
    if (!strstr(ebpf_error(vm), c->reject))
        fail_msg("%s: rejected for '%s', expected '%s'\n%s", c->name, ebpf_error(vm), c->reject,
                 vlog);
}

/* 20 two-way branches whose arms end in equal states: without pruning the
 * walk would visit 2^20 paths. */
static void test_pruning_keeps_walk_linear(void **state)
{
    (void)state;
    struct ebpf_insn p[20 * 4 + 3];
    unsigned n = 0;
    p[n++] = (struct ebpf_insn)LDX(BPF_DW, 2, 1, 0);
    for (int i = 0; i < 20; i++) {
        p[n++] = (struct ebpf_insn)JMP_IMM(BPF_JGT, 2, i, 2);
        p[n++] = (struct ebpf_insn)MOV64_IMM(3, 1);
        p[n++] = (struct ebpf_insn)JA(1);
        p[n++] = (struct ebpf_insn)MOV64_IMM(3, 1);
    }
    p[n++] = (struct ebpf_insn)MOV64_IMM(0, 0);
    p[n++] = (struct ebpf_insn)EXIT;
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16};
    if (ebpf_verify(vm, &o))
        fail_msg("rejected: %s", ebpf_error(vm));
    if (ebpf_verify_processed(vm) > 2000)
        fail_msg("processed %u instructions: pruning did not work", ebpf_verify_processed(vm));
}

static void test_linux_prototypes(void **state)
{
    (void)state;
    static const struct {
        uint32_t id;
        const char *name;
    } known[] = {
        {1, "map_lookup_elem"},       {2, "map_update_elem"},       {3, "map_delete_elem"},
        {5, "ktime_get_ns"},          {6, "trace_printk"},          {8, "get_smp_processor_id"},
        {14, "get_current_pid_tgid"}, {16, "get_current_comm"},     {112, "probe_read_user"},
        {113, "probe_read_kernel"},   {114, "probe_read_user_str"}, {130, "ringbuf_output"},
        {131, "ringbuf_reserve"},     {132, "ringbuf_submit"}};
    for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        const struct ebpf_helper_proto *p = ebpf_linux_proto(known[i].id);
        assert_non_null(p);
        assert_string_equal(p->name, known[i].name);
    }
    assert_null(ebpf_linux_proto(9999));
}

/* Eight two-way branches whose arms leave different values in a register
 * of their own that nobody reads afterwards: 2^8 states unless liveness
 * lets pruning ignore the dead registers. */
static void test_pruning_ignores_dead_registers(void **state)
{
    (void)state;
    struct ebpf_insn p[8 * 4 + 3];
    unsigned n = 0;
    p[n++] = (struct ebpf_insn)LDX(BPF_DW, 1, 1, 0);
    for (int i = 0; i < 8; i++) {
        p[n++] = (struct ebpf_insn)JMP_IMM(BPF_JSET, 1, 1 << i, 2);
        p[n++] = (struct ebpf_insn)MOV64_IMM(2 + i, 1);
        p[n++] = (struct ebpf_insn)JA(1);
        p[n++] = (struct ebpf_insn)MOV64_IMM(2 + i, 2);
    }
    p[n++] = (struct ebpf_insn)MOV64_IMM(0, 0);
    p[n++] = (struct ebpf_insn)EXIT;
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16};
    if (ebpf_verify(vm, &o))
        fail_msg("rejected: %s", ebpf_error(vm));
    if (ebpf_verify_processed(vm) > 100)
        fail_msg("processed %u instructions: dead registers defeated pruning",
                 ebpf_verify_processed(vm));
}

/* Same with stack slots: each arm stores a different constant into a slot
 * of its own that is never read again. */
static void test_pruning_ignores_dead_stack_slots(void **state)
{
    (void)state;
    struct ebpf_insn p[8 * 4 + 3];
    unsigned n = 0;
    p[n++] = (struct ebpf_insn)LDX(BPF_DW, 1, 1, 0);
    for (int i = 0; i < 8; i++) {
        p[n++] = (struct ebpf_insn)JMP_IMM(BPF_JSET, 1, 1 << i, 2);
        p[n++] = (struct ebpf_insn)ST(BPF_DW, 10, -8 * (i + 1), 1);
        p[n++] = (struct ebpf_insn)JA(1);
        p[n++] = (struct ebpf_insn)ST(BPF_DW, 10, -8 * (i + 1), 2);
    }
    p[n++] = (struct ebpf_insn)MOV64_IMM(0, 0);
    p[n++] = (struct ebpf_insn)EXIT;
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16};
    if (ebpf_verify(vm, &o))
        fail_msg("rejected: %s", ebpf_error(vm));
    if (ebpf_verify_processed(vm) > 100)
        fail_msg("processed %u instructions: dead stack slots defeated pruning",
                 ebpf_verify_processed(vm));
}

/* for (i = 0; i < n; i++) { if (x & (1 << (i & 7))) sum += a; else sum ^= a; }
 * with x and a unknown (ctx), and, with `lookup`, a map lookup whose value
 * is added when it is not NULL.  Returns the instruction count. */
static unsigned loop_with_branch(struct ebpf_insn *p, int32_t iterations, int lookup)
{
    unsigned n = 0;
    p[n++] = (struct ebpf_insn)LDX(BPF_DW, 7, 1, 0); /* x */
    p[n++] = (struct ebpf_insn)LDX(BPF_DW, 8, 1, 8); /* a */
    p[n++] = (struct ebpf_insn)MOV64_IMM(6, 0);      /* sum */
    p[n++] = (struct ebpf_insn)MOV64_IMM(9, 0);      /* i */
    unsigned head = n;
    p[n++] = (struct ebpf_insn)MOV64_REG(2, 9);
    p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_AND, 2, 7);
    p[n++] = (struct ebpf_insn)MOV64_IMM(3, 1);
    p[n++] = (struct ebpf_insn)ALU64_REG(BPF_LSH, 3, 2);
    p[n++] = (struct ebpf_insn)ALU64_REG(BPF_AND, 3, 7);
    p[n++] = (struct ebpf_insn)JMP_IMM(BPF_JEQ, 3, 0, 2);
    p[n++] = (struct ebpf_insn)ALU64_REG(BPF_ADD, 6, 8);
    p[n++] = (struct ebpf_insn)JA(1);
    p[n++] = (struct ebpf_insn)ALU64_REG(BPF_XOR, 6, 8);
    if (lookup) {
        struct ebpf_insn l[] = {LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 2), LDX(BPF_DW, 2, 0, 8),
                                ALU64_REG(BPF_ADD, 6, 2)};
        for (unsigned k = 0; k < sizeof(l) / sizeof(l[0]); k++)
            p[n++] = l[k];
    }
    p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_ADD, 9, 1);
    p[n] = (struct ebpf_insn)JMP_IMM(BPF_JLT, 9, iterations, (int16_t)((int)head - (int)n - 1));
    n++;
    p[n++] = (struct ebpf_insn)MOV64_REG(0, 6);
    p[n++] = (struct ebpf_insn)EXIT;
    return n;
}

/* Bounded loops with a branch inside are accepted up to (at least) 10,000
 * iterations, as Linux accepts them: the walk is linear in the iteration
 * count (at most `per` instructions per iteration) and its scratch does not
 * grow with it.  Accepted programs run cleanly bounds-checked. */
static void check_loop(int32_t iterations, int lookup, size_t *scratch)
{
    struct ebpf_insn p[40];
    unsigned n = loop_with_branch(p, iterations, lookup);
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16};
    if (ebpf_verify(vm, &o))
        fail_msg("%d iterations%s: rejected: %s", iterations, lookup ? " with a lookup" : "",
                 ebpf_error(vm));
    unsigned per = lookup ? 40 : 20;
    if (ebpf_verify_processed(vm) > per * (unsigned)iterations + 100)
        fail_msg("%d iterations: processed %u instructions", iterations,
                 ebpf_verify_processed(vm));
    *scratch = ebpf_verify_scratch(vm);
    if (iterations == 10000)
        print_message("%d iterations%s: %u instructions, %u processed, %zu bytes of scratch\n",
                      iterations, lookup ? " with a lookup" : "", n, ebpf_verify_processed(vm),
                      *scratch);
    ebpf_set_bounds_check(vm, 1);
    ebpf_set_insn_budget(vm, 1000000);
    uint8_t ctx[16] = {0x5a, 0, 0, 0, 0, 0, 0, 0, 3};
    uint64_t r0;
    if (ebpf_exec(vm, ctx, sizeof(ctx), &r0))
        fail_msg("%d iterations: accepted but failed to run: %s", iterations, ebpf_error(vm));
}

static void test_loop_with_branch_accepted(void **state)
{
    (void)state;
    size_t s100, s1000, s10000, l100, l10000;
    check_loop(100, 0, &s100);
    check_loop(1000, 0, &s1000);
    check_loop(10000, 0, &s10000);
    check_loop(100, 1, &l100);
    check_loop(10000, 1, &l10000);
    print_message("scratch: %zu bytes at 100 iterations, %zu at 1,000, %zu at 10,000; with a "
                  "lookup %zu at 100, %zu at 10,000\n",
                  s100, s1000, s10000, l100, l10000);
    assert_int_equal(s10000, s100);
    assert_int_equal(l10000, l100);
}

/* for (i = 0; i < n; i++) if (x & 1 << (i & 7)) cnt++;  then cnt is stored
 * into a map value (`index` 0), or used as the index of a byte of it (1).
 * Stored, its range decides nothing: states that differ only in it prune
 * each other and the walk stays linear.  Used as an index, it must stay
 * exact, and a count that can reach 16 is refused. */
static unsigned counting_loop(struct ebpf_insn *p, int32_t iterations, int index)
{
    unsigned n = 0;
    p[n++] = (struct ebpf_insn)LDX(BPF_DW, 7, 1, 0);
    p[n++] = (struct ebpf_insn)MOV64_IMM(6, 0);
    p[n++] = (struct ebpf_insn)MOV64_IMM(9, 0);
    p[n++] = (struct ebpf_insn)MOV64_REG(2, 9); /* head */
    p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_AND, 2, 7);
    p[n++] = (struct ebpf_insn)MOV64_IMM(3, 1);
    p[n++] = (struct ebpf_insn)ALU64_REG(BPF_LSH, 3, 2);
    p[n++] = (struct ebpf_insn)ALU64_REG(BPF_AND, 3, 7);
    p[n++] = (struct ebpf_insn)JMP_IMM(BPF_JEQ, 3, 0, 1);
    p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_ADD, 6, 1);
    p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_ADD, 9, 1);
    p[n] = (struct ebpf_insn)JMP_IMM(BPF_JLT, 9, iterations, (int16_t)(3 - (int)n - 1));
    n++;
    struct ebpf_insn tail[] = {LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 3)};
    for (unsigned k = 0; k < sizeof(tail) / sizeof(tail[0]); k++)
        p[n++] = tail[k];
    if (index) {
        p[n++] = (struct ebpf_insn)ALU64_REG(BPF_ADD, 0, 6);
        p[n++] = (struct ebpf_insn)LDX(BPF_B, 0, 0, 0);
    } else {
        p[n++] = (struct ebpf_insn)STX(BPF_DW, 0, 6, 0);
        p[n++] = (struct ebpf_insn)MOV64_IMM(0, 0);
    }
    p[n++] = (struct ebpf_insn)EXIT;
    p[n++] = (struct ebpf_insn)MOV64_IMM(0, 0);
    p[n++] = (struct ebpf_insn)EXIT;
    return n;
}

static void test_loop_counter_only_stored_prunes(void **state)
{
    (void)state;
    struct ebpf_insn p[40];
    unsigned n = counting_loop(p, 10000, 0);
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16};
    if (ebpf_verify(vm, &o))
        fail_msg("rejected: %s", ebpf_error(vm));
    if (ebpf_verify_processed(vm) > 15 * 10000)
        fail_msg("processed %u instructions", ebpf_verify_processed(vm));
    ebpf_set_bounds_check(vm, 1);
    ebpf_set_insn_budget(vm, 1000000);
    uint8_t ctx[16] = {0x5a};
    uint64_t r0;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof(ctx), &r0), 0);
}

static void test_loop_counter_used_as_index_stays_exact(void **state)
{
    (void)state;
    struct ebpf_insn p[40];
    /* at most 15 increments: inside the 16-byte value */
    unsigned n = counting_loop(p, 15, 1);
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16};
    if (ebpf_verify(vm, &o))
        fail_msg("15 iterations: rejected: %s", ebpf_error(vm));
    /* 16 increments can index byte 16 */
    n = counting_loop(p, 16, 1);
    vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    assert_int_equal(ebpf_verify(vm, &o), -EBPF_EACCES);
    assert_non_null(strstr(ebpf_error(vm), "invalid access to map value"));
}

/* The loop clang -O2 emits for the most common shape of a bounded loop,
 *   for (__u32 i = 0; i < n; i++) {
 *       __u8 *v = bpf_map_lookup_elem(&array, &i);
 *       if (!v) break;
 *       cnt++; sum += v[i];
 *   }
 * i's address goes to the helper, so i lives only in a 4-byte stack slot:
 * stored with *(u32 *)(r10 - 4) = r1, reloaded with r1 = *(u32 *)(r10 - 4),
 * and the bound compares its zero-extended copy.  The walk needs i's value
 * from the narrow spill: an unknown i never ends the loop ("infinite
 * loop"), and v[i] is safe only for i < 16 (the value's size). */
static unsigned clang_u32_loop(struct ebpf_insn *p, int32_t bound)
{
    static const struct ebpf_insn body[] = {
        MOV64_IMM(6, 0),           /* sum */
        MOV64_IMM(7, 0),           /* cnt */
        MOV64_IMM(1, 0),           /* i = 0 */
        STX(BPF_W, 10, 1, -4),
        MOV64_REG(2, 10),          /* head (4): r2 = &i */
        ALU64_IMM(BPF_ADD, 2, -4),
        LD_MAP(1, 0),
        CALL(BPF_FUNC_map_lookup_elem),
        JMP_IMM(BPF_JEQ, 0, 0, 11), /* break */
        LDX(BPF_W, 1, 10, -4),      /* i */
        ALU64_IMM(BPF_ADD, 7, 1),
        ALU64_REG(BPF_ADD, 0, 1),   /* &v[i] */
        LDX(BPF_B, 2, 0, 0),
        ALU64_REG(BPF_ADD, 6, 2),
        ALU64_IMM(BPF_ADD, 1, 1),   /* i++ */
        STX(BPF_W, 10, 1, -4),
        ALU64_IMM(BPF_LSH, 1, 32),
        ALU64_IMM(BPF_RSH, 1, 32),
        MOV64_REG(2, 6),            /* keep r6 live across the compare */
        JMP_IMM(BPF_JLT, 1, 0, -17), /* bound patched below; back to 4 */
        MOV64_REG(0, 7),
        ALU64_IMM(BPF_LSH, 0, 8),
        ALU64_REG(BPF_OR, 0, 6), /* cnt << 8 | sum */
        EXIT,
    };
    unsigned n = sizeof(body) / sizeof(body[0]);
    memcpy(p, body, sizeof(body));
    p[20].imm = bound;
    return n;
}

static void test_clang_u32_stack_counter_loop(void **state)
{
    (void)state;
    struct ebpf_insn p[40];
    unsigned n = clang_u32_loop(p, 16);
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16, .log = vlog, .log_size = sizeof(vlog)};
    if (ebpf_verify(vm, &o))
        fail_msg("i < 16: rejected: %s\n%s", ebpf_error(vm), vlog);
    /* the array has 4 entries: lookups of 0-3 succeed, then the loop
     * breaks; v[i] of entry i is byte i, set to 10 * i */
    for (uint32_t k = 0; k < 4; k++) {
        uint8_t val[16] = {0};
        val[k] = (uint8_t)(10 * k);
        assert_int_equal(ebpf_map_update(ebpf_map_by_name(vm, "array"), &k, val, 0), 0);
    }
    ebpf_set_bounds_check(vm, 1);
    uint8_t ctx[16] = {0};
    uint64_t r0;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof(ctx), &r0), 0);
    assert_int_equal(r0, 4 << 8 | (0 + 10 + 20 + 30));
    /* i < 17 lets v[16] be read: refused */
    n = clang_u32_loop(p, 17);
    vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    assert_int_equal(ebpf_verify(vm, &o), -EBPF_EACCES);
    if (!strstr(ebpf_error(vm), "invalid access to map value"))
        fail_msg("i < 17: refused for '%s'", ebpf_error(vm));
}

/* for (u32 i = 0; i < 10000; i++) if (i & 1) sum += i;  with i kept in a
 * 4-byte stack slot: accepted, linear in the iterations, and the run's
 * sum is the sum of the odd numbers below 10,000 (5000^2). */
static void test_u32_stack_counter_10000_iterations(void **state)
{
    (void)state;
    struct ebpf_insn p[] = {
        MOV64_IMM(6, 0), ST(BPF_W, 10, -4, 0), LDX(BPF_W, 1, 10, -4), /* head (2) */
        MOV64_REG(2, 1), ALU64_IMM(BPF_AND, 2, 1), JMP_IMM(BPF_JEQ, 2, 0, 1),
        ALU64_REG(BPF_ADD, 6, 1), ALU64_IMM(BPF_ADD, 1, 1), STX(BPF_W, 10, 1, -4),
        JMP_IMM(BPF_JLT, 1, 10000, -8), MOV64_REG(0, 6), EXIT,
    };
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16};
    if (ebpf_verify(vm, &o))
        fail_msg("rejected: %s", ebpf_error(vm));
    print_message("10,000 iterations, u32 counter on the stack: %u processed, %zu bytes of "
                  "scratch\n",
                  ebpf_verify_processed(vm), ebpf_verify_scratch(vm));
    if (ebpf_verify_processed(vm) > 10 * 10000)
        fail_msg("processed %u instructions", ebpf_verify_processed(vm));
    ebpf_set_bounds_check(vm, 1);
    ebpf_set_insn_budget(vm, 1000000);
    uint8_t ctx[16] = {0};
    uint64_t r0;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof(ctx), &r0), 0);
    assert_int_equal(r0, 5000ull * 5000ull);
}

/* A u32 count kept at fp-12 by a 10,000-iteration loop and only stored into
 * a map value afterwards: its range decides nothing, so states that differ
 * only in it prune each other (the walk stays linear), as for a count kept
 * in a register (test_loop_counter_only_stored_prunes). */
static void test_u32_stack_count_only_stored_prunes(void **state)
{
    (void)state;
    struct ebpf_insn p[] = {
        LDX(BPF_DW, 7, 1, 0), ST(BPF_W, 10, -12, 0), MOV64_IMM(9, 0),
        MOV64_REG(2, 9), /* head (3) */
        ALU64_IMM(BPF_AND, 2, 7), MOV64_IMM(3, 1), ALU64_REG(BPF_LSH, 3, 2),
        ALU64_REG(BPF_AND, 3, 7), JMP_IMM(BPF_JEQ, 3, 0, 3), LDX(BPF_W, 1, 10, -12),
        ALU64_IMM(BPF_ADD, 1, 1), STX(BPF_W, 10, 1, -12), ALU64_IMM(BPF_ADD, 9, 1),
        JMP_IMM(BPF_JLT, 9, 10000, -11), LOOKUP(0), JMP_IMM(BPF_JEQ, 0, 0, 3),
        LDX(BPF_W, 1, 10, -12), STX(BPF_DW, 0, 1, 0), MOV64_IMM(0, 0), EXIT,
    };
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16};
    if (ebpf_verify(vm, &o))
        fail_msg("rejected: %s", ebpf_error(vm));
    if (ebpf_verify_processed(vm) > 20 * 10000)
        fail_msg("processed %u instructions", ebpf_verify_processed(vm));
    ebpf_set_bounds_check(vm, 1);
    ebpf_set_insn_budget(vm, 1000000);
    uint8_t ctx[16] = {0x5a};
    uint64_t r0, count;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof(ctx), &r0), 0);
    uint32_t key = 0;
    const uint8_t *val = ebpf_map_lookup(ebpf_map_by_name(vm, "array"), &key);
    assert_non_null(val);
    memcpy(&count, val, 8);
    assert_int_equal(count, 10000 / 8 * 4); /* 0x5a has 4 of its 8 bits set */
}

/* The same loop with a bound from the context: refused (the walk never
 * ends), in time linear in the budget. */
static void test_loop_with_unknown_bound_refused(void **state)
{
    (void)state;
    struct ebpf_insn p[40];
    unsigned n = loop_with_branch(p, 10, 0);
    p[n - 3] = (struct ebpf_insn)JMP_REG(BPF_JLT, 9, 8, p[n - 3].off);
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, n), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16};
    assert_int_equal(ebpf_verify(vm, &o), -EBPF_EACCES);
    assert_non_null(strstr(ebpf_error(vm), "BPF program is too large"));
}

/* A loop whose state never repeats (a pointer walking backwards): each
 * iteration replaces the previous one's states, so the walk stays linear
 * until the budget stops it (it was quadratic: found by the fuzzer). */
static void test_states_per_insn_capped(void **state)
{
    (void)state;
    struct ebpf_insn p[] = {MOV64_IMM(0, 0), ALU64_IMM(BPF_SUB, 1, 1), JMP_IMM(BPF_JNE, 1, 0, -3),
                            EXIT};
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, 4), 0);
    struct ebpf_verify_opts o = {.ctx_size = 16,
                                 .insn_limit = 100000,
                                 .log = vlog,
                                 .log_size = sizeof(vlog),
                                 .log_level = 0};
    assert_int_equal(ebpf_verify(vm, &o), -EBPF_EACCES);
    assert_non_null(strstr(ebpf_error(vm), "BPF program is too large"));
    /* the previous iteration's state at the loop head, then the new one
     * in its place: 33,334 iterations, never more than two states */
    assert_non_null(strstr(vlog, "max_states_per_insn 2 "));
    assert_non_null(strstr(vlog, "peak_states 2 "));
}

/* A verifier that runs out of scratch says ENOMEM, not "rejected": the
 * embedder (the kernel) then retries in a bigger arena.  A chain of branches
 * on unknown values: states to explore and to remember. */
static void test_out_of_scratch_is_enomem(void **state)
{
    (void)state;
    enum { BRANCHES = 40 };
    struct ebpf_insn p[3 * BRANCHES + 2];
    int n = 0;
    p[n++] = (struct ebpf_insn)MOV64_IMM(0, 0);
    for (int i = 0; i < BRANCHES; i++) { /* r3 and r4 die at once: the paths meet */
        p[n++] = (struct ebpf_insn)LDX(BPF_DW, 3, 1, 0);
        p[n++] = (struct ebpf_insn)JMP_IMM(BPF_JGT, 3, i, 1);
        p[n++] = (struct ebpf_insn)MOV64_IMM(4, i);
    }
    p[n++] = (struct ebpf_insn)EXIT;
    struct ebpf_verify_opts o = {.ctx_size = 16, .log = vlog, .log_size = sizeof(vlog)};
    static char small[1 << 20];
    int enomem = 0, ok = 0;
    /* From an arena too small for the verifier's first tables up to one
     * that is enough: every failure on the way is ENOMEM. */
    for (size_t size = 4096; size <= sizeof(small) && !ok; size += 2048) {
        ebpf_vm *vm = ebpf_create(small, size, err, sizeof(err));
        if (!vm || ebpf_load(vm, p, (uint32_t)n) != 0)
            continue;
        int r = ebpf_verify(vm, &o);
        if (r == 0) {
            ok = 1;
        } else {
            /* Its tables, then its states. */
            assert_int_equal(r, -EBPF_ENOMEM);
            if (strstr(ebpf_error(vm), "verifier out of memory"))
                enomem++;
            else
                assert_non_null(strstr(ebpf_error(vm), "arena too small for the verifier"));
        }
    }
    assert_true(ok);
    assert_true(enomem > 0);
}

static void test_log_is_linux_style(void **state)
{
    (void)state;
    struct ebpf_insn p[] = {MOV64_IMM(0, 0), LDX(BPF_W, 1, 1, 4), EXIT};
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, 3), 0);
    struct ebpf_verify_opts o = {
        .ctx_size = 8, .log = vlog, .log_size = sizeof(vlog), .log_level = 2};
    assert_int_equal(ebpf_verify(vm, &o), 0);
    assert_non_null(strstr(vlog, "0: (b7) r0 = 0\n"));
    assert_non_null(strstr(vlog, "1: (61) r1 = *(u32 *)(r1 +4)\n"));
    assert_non_null(strstr(vlog, "2: (95) exit\n"));
    assert_non_null(strstr(vlog, "R1=ctx(off=0) R10=fp0"));
    assert_non_null(strstr(vlog, "processed 3 insns"));
}

static void test_error_names_insn(void **state)
{
    (void)state;
    struct ebpf_insn p[] = {MOV64_IMM(0, 0), MOV64_IMM(1, 0), LDX(BPF_DW, 0, 1, 0), EXIT};
    ebpf_vm *vm = setup_vm();
    assert_int_equal(ebpf_load(vm, p, 4), 0);
    struct ebpf_verify_opts o = {.ctx_size = 8};
    assert_int_equal(ebpf_verify(vm, &o), -EBPF_EACCES);
    assert_int_equal(ebpf_error_insn(vm), 2);
    assert_string_equal(ebpf_error(vm), "insn 2: R1 invalid mem access 'scalar'");
}

/* ---- soundness: random programs the verifier accepts never fault -------- */

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned gen_mem_program(struct ebpf_insn *p)
{
    static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_AND,  BPF_RSH,
                                  BPF_MOD, BPF_LSH, BPF_OR,  BPF_ARSH, BPF_DIV};
    static const uint8_t jops[] = {BPF_JGT,  BPF_JGE,  BPF_JLT, BPF_JLE,
                                   BPF_JSGT, BPF_JSLT, BPF_JEQ, BPF_JNE};
    static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
    static const int scal[] = {1, 2, 3, 4, 5, 8, 9};
    unsigned n = 0;
    struct ebpf_insn head[] = {MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JNE, 0, 0, 2),
                               MOV64_IMM(0, 0), EXIT,      MOV64_REG(7, 0)};
    for (unsigned i = 0; i < sizeof(head) / sizeof(head[0]); i++)
        p[n++] = head[i];
    for (int r = 0; r < 7; r++) /* scalars start as unknown bytes of ctx */
        p[n++] = (struct ebpf_insn)LDX(BPF_B, scal[r], 6, r);
    for (int k = 1; k <= 5; k++)
        p[n++] = (struct ebpf_insn)ST(BPF_DW, 10, -8 * k, k);
    unsigned end = n + 6 + (unsigned)(rnd() % 16);
    while (n < end) {
        int x = scal[rnd() % 7], y = scal[rnd() % 7];
        int16_t off = (int16_t)((int)(rnd() % 14) - 2);
        unsigned what = rnd() % 12;
        if (what >= 9) { /* masks keep indices small, as real programs do */
            p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_AND, x, (int32_t)(rnd() % 16));
            continue;
        }
        switch (what) {
        case 0:
            p[n++] = (struct ebpf_insn)LDX(sizes[rnd() % 4], x, 6, off);
            break;
        case 1:
            p[n++] = (struct ebpf_insn)INSN((rnd() % 2 ? BPF_ALU64 : BPF_ALU) | ops[rnd() % 10] |
                                                (rnd() % 3 ? BPF_K : BPF_X),
                                            x, y, 0, (int32_t)(rnd() % 40) - 4);
            break;
        case 2: {
            unsigned room = end - n - 1;
            p[n++] = (struct ebpf_insn)INSN(
                (rnd() % 2 ? BPF_JMP : BPF_JMP32) | jops[rnd() % 8] | (rnd() % 3 ? BPF_K : BPF_X),
                x, y, (int16_t)(room ? rnd() % (room < 3 ? room : 3) : 0),
                (int32_t)(rnd() % 40) - 4);
            break;
        }
        case 3:
            p[n++] = (struct ebpf_insn)ALU64_REG(rnd() % 4 ? BPF_ADD : BPF_SUB, 7, x);
            break;
        case 4:
            p[n++] = (struct ebpf_insn)LDX(sizes[rnd() % 4], x, 7, off);
            break;
        case 5:
            p[n++] = (struct ebpf_insn)STX(sizes[rnd() % 4], 7, x, off);
            break;
        case 6:
            p[n++] = (struct ebpf_insn)STX(sizes[rnd() % 4], 10, x, (int16_t)(-(int)(rnd() % 48)));
            break;
        case 7:
            p[n++] = (struct ebpf_insn)LDX(sizes[rnd() % 4], x, 10, (int16_t)(-(int)(rnd() % 48)));
            break;
        default:
            p[n++] = (struct ebpf_insn)MOV64_REG(7, 0);
        }
    }
    p[n++] = (struct ebpf_insn)MOV64_IMM(0, 0);
    p[n++] = (struct ebpf_insn)EXIT;
    return n;
}

static void test_random_accepted_programs_are_safe(void **state)
{
    (void)state;
    static struct ebpf_insn p[96];
    unsigned accepted = 0, total = 20000;
    for (unsigned i = 0; i < total; i++) {
        unsigned n = gen_mem_program(p);
        ebpf_vm *vm = setup_vm();
        assert_int_equal(ebpf_load(vm, p, n), 0);
        struct ebpf_verify_opts o = {.ctx_size = 16};
        if (ebpf_verify(vm, &o))
            continue;
        accepted++;
        ebpf_set_bounds_check(vm, 1);
        ebpf_set_insn_budget(vm, 100000);
        for (int run = 0; run < 16; run++) {
            uint8_t ctx[16];
            for (int b = 0; b < 16; b++)
                ctx[b] = (uint8_t)(run < 2 ? (run ? 0xff : 0) : rnd());
            uint64_t r0;
            if (ebpf_exec(vm, ctx, sizeof(ctx), &r0) == -EBPF_EFAULT) {
                for (unsigned k = 0; k < n; k++) {
                    char t[96];
                    ebpf_disasm(p, n, k, t, sizeof(t));
                    print_error("  %u: %s\n", k, t);
                }
                fail_msg("accepted program %u faulted: %s", i, ebpf_error(vm));
            }
        }
    }
    print_message("%u of %u random programs accepted, all ran inside their regions\n", accepted,
                  total);
    assert_true(accepted > total / 50); /* enough to mean something */
}

/* Random bounded loops (a counter in r9, 1 to 300 iterations) whose bodies
 * branch, mask, add scalars to a map value pointer, load and store through
 * it and the stack, and sometimes break out: what the verifier accepts must
 * run inside its regions (the loop machinery prunes by unfinished
 * iterations and forgets finished ones; precision forgets ranges). */
static unsigned gen_loop_program(struct ebpf_insn *p)
{
    static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_AND, BPF_RSH, BPF_OR, BPF_LSH, BPF_XOR};
    static const uint8_t jops[] = {BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JEQ, BPF_JNE, BPF_JSET};
    static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
    static const int scal[] = {1, 2, 3, 4, 5, 8};
    unsigned n = 0;
    struct ebpf_insn head[] = {MOV64_REG(6, 1), LOOKUP(0), JMP_IMM(BPF_JNE, 0, 0, 2),
                               MOV64_IMM(0, 0), EXIT,      MOV64_REG(7, 0)};
    for (unsigned i = 0; i < sizeof(head) / sizeof(head[0]); i++)
        p[n++] = head[i];
    for (int r = 0; r < 6; r++)
        p[n++] = (struct ebpf_insn)LDX(BPF_B, scal[r], 6, r);
    p[n++] = (struct ebpf_insn)ST(BPF_DW, 10, -8, 0);
    p[n++] = (struct ebpf_insn)MOV64_IMM(9, 0);
    unsigned top = n, end = n + 4 + (unsigned)(rnd() % 14);
    while (n < end) {
        int x = scal[rnd() % 6], y = scal[rnd() % 6];
        switch (rnd() % 9) {
        case 0:
            p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_AND, x, (int32_t)(rnd() % 16));
            break;
        case 1:
            p[n++] = (struct ebpf_insn)INSN(BPF_ALU64 | ops[rnd() % 7] | (rnd() % 2 ? BPF_K : BPF_X),
                                            x, y, 0, (int32_t)(rnd() % 20));
            break;
        case 2: {
            unsigned room = end - n; /* forward, at most to the counter update */
            p[n++] = (struct ebpf_insn)INSN(BPF_JMP | jops[rnd() % 7] | (rnd() % 3 ? BPF_K : BPF_X),
                                            x, y, (int16_t)(rnd() % (room < 4 ? room : 4)),
                                            (int32_t)(rnd() % 20));
            break;
        }
        case 3: /* index the map value */
            p[n++] = (struct ebpf_insn)MOV64_REG(0, 7);
            p[n++] = (struct ebpf_insn)ALU64_REG(BPF_ADD, 0, x);
            p[n++] = (struct ebpf_insn)LDX(sizes[rnd() % 4], y, 0, (int16_t)(rnd() % 12));
            end += 2;
            break;
        case 4:
            p[n++] = (struct ebpf_insn)STX(sizes[rnd() % 4], 7, x, (int16_t)(rnd() % 12));
            break;
        case 5:
            p[n++] = (struct ebpf_insn)STX(BPF_DW, 10, x, -8);
            break;
        case 6:
            p[n++] = (struct ebpf_insn)LDX(BPF_DW, x, 10, -8);
            break;
        case 7: /* break: to the exit after the loop, patched below */
            p[n++] = (struct ebpf_insn)JMP_IMM(BPF_JGT, x, (int32_t)(rnd() % 20), 0x7fff);
            break;
        default:
            p[n++] = (struct ebpf_insn)ALU64_REG(BPF_ADD, x, 9);
        }
    }
    p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_ADD, 9, 1);
    p[n] = (struct ebpf_insn)JMP_IMM(BPF_JLT, 9, 1 + (int32_t)(rnd() % 300),
                                     (int16_t)((int)top - (int)n - 1));
    n++;
    for (unsigned k = top; k < n; k++)
        if (p[k].off == 0x7fff)
            p[k].off = (int16_t)(n - k - 1);
    p[n++] = (struct ebpf_insn)MOV64_REG(0, 9);
    p[n++] = (struct ebpf_insn)EXIT;
    return n;
}

static void test_random_accepted_loops_are_safe(void **state)
{
    (void)state;
    static struct ebpf_insn p[96];
    unsigned accepted = 0, total = 1000;
    for (unsigned i = 0; i < total; i++) {
        unsigned n = gen_loop_program(p);
        ebpf_vm *vm = setup_vm();
        assert_int_equal(ebpf_load(vm, p, n), 0);
        struct ebpf_verify_opts o = {.ctx_size = 16, .insn_limit = 100000};
        if (ebpf_verify(vm, &o))
            continue;
        accepted++;
        ebpf_set_bounds_check(vm, 1);
        ebpf_set_insn_budget(vm, 1000000);
        for (int run = 0; run < 8; run++) {
            uint8_t ctx[16];
            for (int b = 0; b < 16; b++)
                ctx[b] = (uint8_t)(run < 2 ? (run ? 0xff : 0) : rnd());
            uint64_t r0;
            int r = ebpf_exec(vm, ctx, sizeof(ctx), &r0);
            if (r) {
                for (unsigned k = 0; k < n; k++) {
                    char t[96];
                    ebpf_disasm(p, n, k, t, sizeof(t));
                    print_error("  %u: %s\n", k, t);
                }
                fail_msg("accepted loop %u failed to run: %s", i, ebpf_error(vm));
            }
        }
    }
    print_message("%u of %u random loops accepted, all ran inside their regions\n", accepted,
                  total);
    assert_true(accepted > total / 20);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_pruning_keeps_walk_linear),
        cmocka_unit_test(test_pruning_ignores_dead_registers),
        cmocka_unit_test(test_pruning_ignores_dead_stack_slots),
        cmocka_unit_test(test_states_per_insn_capped),
        cmocka_unit_test(test_loop_with_branch_accepted),
        cmocka_unit_test(test_clang_u32_stack_counter_loop),
        cmocka_unit_test(test_u32_stack_counter_10000_iterations),
        cmocka_unit_test(test_u32_stack_count_only_stored_prunes),
        cmocka_unit_test(test_loop_with_unknown_bound_refused),
        cmocka_unit_test(test_loop_counter_only_stored_prunes),
        cmocka_unit_test(test_loop_counter_used_as_index_stays_exact),
        cmocka_unit_test(test_out_of_scratch_is_enomem),
        cmocka_unit_test(test_log_is_linux_style),
        cmocka_unit_test(test_linux_prototypes),
        cmocka_unit_test(test_error_names_insn),
        cmocka_unit_test(test_random_accepted_programs_are_safe),
        cmocka_unit_test(test_random_accepted_loops_are_safe),
    };
    size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
    struct CMUnitTest *tests = calloc(N_CASES + nfixed, sizeof(*tests));
    for (size_t i = 0; i < N_CASES; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = test_case;
        tests[i].initial_state = (void *)&cases[i];
    }
    memcpy(tests + N_CASES, fixed, sizeof(fixed));
    int r = _cmocka_run_group_tests("ebpf-verifier", tests, N_CASES + nfixed, NULL, NULL);
    free(tests);
    return r;
}
