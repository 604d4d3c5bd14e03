/*
 * Logpoints compiled to eBPF (issue 6): a DAP logMessage such as
 *   "work({n}) by {comm}/{pid}: a0={a0} *(a1+8)={*(a1+8)}"
 * with its condition ("n > 4 && comm == \"matrix\"") and hitCondition
 * (">= 3", "== 5", "% 10", "7") becomes one eBPF program that runs at the
 * probe, evaluates the condition and hit count in the OS, and sends the
 * values the message needs as one ring-buffer record.  The adapter puts
 * the text together when the record arrives (logprog_format).
 *
 * In {...} and in conditions:
 *   registers   pc ra sp gp tp t0-t6 s0-s11 fp a0-a7 x0-x31 (hex)
 *   variables   parameters and locals by name where DWARF says where they
 *               are at the probe's address, and globals (varloc.c; C and
 *               Rust), printed by type
 *   p->m->n     members through pointers (structs and unions, by DWARF)
 *   s.m  a[i]   members of structs and elements of arrays in memory, and
 *               p[i] through pointers; i a number or any value above
 *   text        a char * or char array prints as text (up to 63 bytes, or
 *               the array's length); conditions compare it: name == "sh"
 *   *(E+k) *(E-k) *E   8 bytes at E+k (hex); a cast picks the size and
 *               print: *(u32*)(a0+8), *(int*)(sp+16): u8..u64, s8..s64,
 *               i8..i64, int, unsigned, long, ulong, char, ptr.  E a typed
 *               pointer: k steps by what it points to, and without a cast
 *               *(p+k) is p[k], as in C
 *   (str)E (ustr)E   the text at address E in kernel or user memory (a
 *               kernel probe can print the calling process's strings)
 *   E op E      C's * / % + - << >> & ^ | with C's precedence, on 64-bit
 *               values (signed if a side is); (E) groups
 *               Rust: bool prints true/false, char the character, &str
 *               its text (length bytes at data_ptr); . reaches through
 *               references (self.cur); other Rust aggregates (Option,
 *               Vec, slices, arrays, enums) are refused, naming the type
 *   pid comm time   from the event (in conditions: pid, comm == "name"),
 *               unless a parameter or local of that name is in scope
 * Conditions: comparisons (== != < <= > >=) of those and integers, joined
 * by && and ||; a lone operand means "not zero".
 */
#ifndef ADAPTER_LOGPROG_H
#define ADAPTER_LOGPROG_H

#include "bpf/bpfgen.h"

#include <osdbg/sidestub_proto.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct debuginfo;

#define LOGPROG_MAX_SEGS 32
/* The record is one event's data (the side-stub sends at most
 * SS_EVENT_DATA_MAX bytes): 8-byte slots; a text takes up to
 * LOGPROG_STR_SLOTS of them (63 characters and its NUL). */
#define LOGPROG_MAX_SLOTS (SS_EVENT_DATA_MAX / 8)
#define LOGPROG_STR_SLOTS 8

enum logprog_seg_kind {
    LP_TEXT,       /* the message's own text */
    LP_HEX,        /* a value: pointers, registers, raw reads */
    LP_SIGNED,     /* a value of a signed type */
    LP_UNSIGNED,   /* a value of an unsigned type */
    LP_BOOL,       /* a Rust bool: true or false */
    LP_CHAR,       /* a Rust char: the character (UTF-8) */
    LP_TEXT_VALUE, /* a char * or char array, printed as text */
    LP_PID,
    LP_COMM,
    LP_TIME,
};

struct logprog_seg {
    enum logprog_seg_kind kind;
    char *text; /* LP_TEXT */
    int slot;   /* first value slot in the record (values, LP_TEXT_VALUE) */
    int size;   /* bytes of the value (sign extension of LP_SIGNED); of LP_TEXT_VALUE's room */
    bool cut;   /* LP_TEXT_VALUE: the text may go on past the room ("...") */
};

struct logprog {
    struct logprog_seg segs[LOGPROG_MAX_SEGS];
    int nsegs;
    int nslots; /* the record is nslots little-endian u64 values */
    struct bpfgen gen;
};

/* Where the probe is: its address, the ELF that describes it, and whether
 * it is in a user program (memory is read with probe_read_user then). */
struct logprog_site {
    struct debuginfo *di;
    uint64_t pc;
    bool user;
};

/* The program's function and section names in the object. */
#define LOGPROG_NAME "osdbg_logpoint"

/* Compile.  Returns 0, or -1 with a one-line reason (what cannot be done in
 * eBPF: the caller falls back to GDB and tells the user why). */
int logprog_compile(struct logprog *lp, const char *message, const char *condition,
                    const char *hit_condition, const struct logprog_site *site, char *why,
                    size_t whylen);
/* The message of one hit: the record (data, len) and the event's header
 * fields.  Returns a malloc'd line without a newline. */
char *logprog_format(const struct logprog *lp, const void *data, size_t len, uint32_t pid,
                     const char *comm, double seconds);
void logprog_free(struct logprog *lp);

#endif
