/*
 * Where a named C or Rust variable or parameter lives at one pc, in a form
 * an eBPF program can read from a probe's saved registers (Linux riscv
 * pt_regs: slot 0 is the pc, slot N is xN): either the value is in a
 * register, or it is in memory at register + offset.  Read from the
 * program's DWARF (DWARF 5 §2.6 locations, §3.3.5 frame base) and, for a
 * frame base of DW_OP_call_frame_cfa, its call-frame information (§6.4).
 */
#ifndef ADAPTER_VARLOC_H
#define ADAPTER_VARLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dwarf/debuginfo.h"

enum varloc_kind { VARLOC_REG, VARLOC_MEM, VARLOC_ADDR };

/* What the value is: an integer or pointer (read and printed as a number),
 * or a struct/union or an array, which a logpoint can only reach into
 * (members, elements) or, for char arrays, print as text. */
enum varloc_shape { VARLOC_SCALAR, VARLOC_STRUCT, VARLOC_ARRAY };

struct varloc {
    enum varloc_kind kind;
    /* RISC-V register number xN (1..31): REG = the value itself is in the
     * low size bytes of xN; MEM = the base register of its address. */
    int reg;
    int64_t offset; /* MEM: the value is in memory at xN + offset */
    uint64_t addr;  /* ADDR: a global or static variable, at this address */
    enum varloc_shape shape;
    int size;           /* bytes of the value: 1, 2, 4 or 8 for a scalar */
    bool is_signed;     /* signed integer base type (int, long, i32, signed char...) */
    bool is_pointer;    /* pointer/reference type (print in hex) */
    bool is_string;     /* char * (points to text) or char[N] (is text): print as text */
    uint64_t elem_size; /* ARRAY: bytes of one element; pointer: bytes of what it points to
                           (0: void or unknown) -- the step of [i] */
    uint64_t count;     /* ARRAY: elements (0: unknown, as in char s[]) */
    int dims_used;      /* ARRAY: dimensions already indexed (a[i] of long a[8][8]: 1) */
    char type_name[64]; /* as declared ("int", "u64", "size_t", "char *", "&str", "long [8]",
                           "[u64; 4]") */
    /* Rust (the type is declared in a DW_LANG_Rust unit): how its scalars
     * print, and its string slices, which are structs the compiler can
     * still print as text. */
    bool rust;
    bool is_bool;      /* bool (DW_ATE_boolean): true / false */
    bool is_unicode;   /* Rust char (DW_ATE_UTF, 4 bytes): the character */
    bool is_str_slice; /* &str, &mut str: { data_ptr: *const u8, length: usize } */
    int64_t str_ptr_off, str_len_off; /* is_str_slice: the members' offsets */
    uint64_t type_die;  /* the type's DWARF entry (offset), for varloc_member/varloc_index */
};

/* Find variable or parameter `name` visible at pc: the innermost lexical
 * block first, then the enclosing ones, the function's (or inlined copy's)
 * locals and parameters, then the compilation unit's globals, then the
 * globals of every other unit (VARLOC_ADDR: a fixed address).  Integers
 * (including bool, char, enums) and pointers of 1, 2, 4 or 8 bytes, and
 * structs, unions and arrays that live in memory.
 *
 * At the function's entry pc a parameter is reported in its argument
 * register a0..a7, since the prologue has not stored it yet; between the
 * entry and the store that follows the prologue the DWARF location (and so
 * the answer) names a stack slot that is not written yet.
 *
 * Returns 0 and fills *out, or -1 with a one-line reason in why, e.g.
 * "no variable n at 0x10008", "n is optimized out here",
 * "fib is a struct in registers: only in memory",
 * "n's location DW_OP_piece is not supported". */
int varloc_find(struct debuginfo *di, uint64_t pc, const char *name, struct varloc *out, char *why,
                size_t whylen);

/* Member `member` of a struct or union: base is what varloc_find,
 * varloc_member or varloc_index gave for a pointer to it (p->m) or for the
 * struct itself (s.m).  On success out->kind is VARLOC_MEM with reg -1 and
 * offset the member's offset in the struct, and out's type fields are the
 * member's.  -1 with a reason if base is neither, has no such member, or
 * the member is a bit-field or of a type a logpoint cannot read. */
int varloc_member(struct debuginfo *di, const struct varloc *base, const char *member,
                  struct varloc *out, char *why, size_t whylen);

/* The names of the members of base's struct (base as for varloc_member),
 * in declaration order, at most max; their number, or -1 if base is
 * neither a struct nor a pointer to one. */
#define VARLOC_NAME_MAX 64
int varloc_member_names(struct debuginfo *di, const struct varloc *base,
                        char names[][VARLOC_NAME_MAX], int max);

/* The type of an element of base, an array (a[i]: what is left after one
 * more dimension) or a pointer (p[i]); its step is base->elem_size.
 * out->kind is VARLOC_MEM with reg -1 and offset 0.  -1 with a reason if
 * base is neither or points to void. */
int varloc_index(struct debuginfo *di, const struct varloc *base, struct varloc *out, char *why,
                 size_t whylen);

/* The names of the variables and parameters visible at pc in its function
 * (innermost block first, an inner name hiding an outer one), at most max;
 * their number.  Globals are not listed. */
int varloc_names(struct debuginfo *di, uint64_t pc, char names[][VARLOC_NAME_MAX], int max);

#endif
