/*
 * Variable locations for logpoints: see varloc.h for the contract.
 * About 860 lines: one DWARF walk (scopes, types, locations) that every
 * part needs whole; tests/adapter/test_varloc.c covers it.
 *
 * The lookup follows DWARF 5: the scopes at pc (§3.4 lexical blocks,
 * §3.3 subprograms, §3.3.8 inlined subroutines) are searched innermost
 * first for a DW_TAG_variable or DW_TAG_formal_parameter of that name; its
 * DW_AT_location (§2.6, possibly a location list) must be one register
 * (DW_OP_regN) or one register-relative address (DW_OP_bregN,
 * DW_OP_fbreg).  DW_OP_fbreg is relative to the function's DW_AT_frame_base
 * (§3.3.5), itself a register, a register plus offset, or the canonical
 * frame address (DW_OP_call_frame_cfa), whose rule at pc the call-frame
 * information gives (§6.4; libdw hands it out as "register + offset").
 */
#include "dwarf/varloc.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The failure reason: always one line, always returns -1. */
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* DWARF 5 §7.7.1 names of the operations a reason may mention. */
static const char *op_name(unsigned op, char *buf, size_t len)
{
    static const struct {
        unsigned op;
        const char *name;
    } names[] = {
        {DW_OP_addr, "DW_OP_addr"},
        {DW_OP_deref, "DW_OP_deref"},
        {DW_OP_plus_uconst, "DW_OP_plus_uconst"},
        {DW_OP_plus, "DW_OP_plus"},
        {DW_OP_minus, "DW_OP_minus"},
        {DW_OP_piece, "DW_OP_piece"},
        {DW_OP_bit_piece, "DW_OP_bit_piece"},
        {DW_OP_stack_value, "DW_OP_stack_value"},
        {DW_OP_implicit_value, "DW_OP_implicit_value"},
        {DW_OP_implicit_pointer, "DW_OP_implicit_pointer"},
        {DW_OP_GNU_implicit_pointer, "DW_OP_GNU_implicit_pointer"},
        {DW_OP_entry_value, "DW_OP_entry_value"},
        {DW_OP_GNU_entry_value, "DW_OP_GNU_entry_value"},
        {DW_OP_call_frame_cfa, "DW_OP_call_frame_cfa"},
        {DW_OP_fbreg, "DW_OP_fbreg"},
        {DW_OP_regx, "DW_OP_regx"},
        {DW_OP_bregx, "DW_OP_bregx"},
        {DW_OP_form_tls_address, "DW_OP_form_tls_address"},
        {DW_OP_GNU_push_tls_address, "DW_OP_GNU_push_tls_address"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].op == op)
            return names[i].name;
    if (op >= DW_OP_lit0 && op <= DW_OP_lit31)
        snprintf(buf, len, "DW_OP_lit%u", op - DW_OP_lit0);
    else if (op >= DW_OP_reg0 && op <= DW_OP_reg31)
        snprintf(buf, len, "DW_OP_reg%u", op - DW_OP_reg0);
    else if (op >= DW_OP_breg0 && op <= DW_OP_breg31)
        snprintf(buf, len, "DW_OP_breg%u", op - DW_OP_breg0);
    else
        snprintf(buf, len, "DW_OP_0x%02x", op);
    return buf;
}

/* One operation that names a register (regN/regx) or a register-relative
 * address (bregN/bregx): its register and offset.  Returns 1 for a
 * register, 2 for an address, 0 for anything else. */
static int reg_op(const Dwarf_Op *op, int *reg, int64_t *off)
{
    uint8_t a = op->atom;
    *off = 0;
    if (a >= DW_OP_reg0 && a <= DW_OP_reg31) {
        *reg = a - DW_OP_reg0;
        return 1;
    }
    if (a == DW_OP_regx) {
        *reg = op->number < 1024 ? (int)op->number : 1024;
        return 1;
    }
    if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
        *reg = a - DW_OP_breg0;
        *off = (int64_t)op->number;
        return 2;
    }
    if (a == DW_OP_bregx) {
        *reg = op->number < 1024 ? (int)op->number : 1024;
        *off = (int64_t)op->number2;
        return 2;
    }
    return 0;
}

/* ---- types ---- */

static bool type_of(Dwarf_Die *die, Dwarf_Die *type)
{
    Dwarf_Attribute attr;
    return dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &attr), type) != 0;
}

/* Append s to the string in buf, cutting it at len - 1 characters. */
static void append(char *buf, size_t len, const char *s)
{
    size_t used = strlen(buf);
    while (*s && used + 1 < len)
        buf[used++] = *s++;
    buf[used] = 0;
}

/* Is die declared in a Rust compilation unit? */
static bool in_rust_unit(Dwarf_Die *die)
{
    Dwarf_Die cu;
    return dwarf_diecu(die, &cu, 0, 0) && dwarf_srclang(&cu) == DW_LANG_Rust;
}

static int array_dims(Dwarf_Die *arr, uint64_t *counts, int max);

/* Append a type's name as a programmer would write it to buf: the DIE's
 * own name if it has one (base types, typedefs, Rust's "&T" and
 * "*const T"), else built from the type it qualifies or points to
 * ("const char *"). */
static void type_name(Dwarf_Die *t, char *buf, size_t len, int depth)
{
    const char *name = dwarf_diename(t);
    int tag = dwarf_tag(t);
    if (name) {
        /* C says "struct proc" where Rust says "Fib" (GDB's whatis too). */
        Dwarf_Die cu;
        int lang = dwarf_diecu(t, &cu, 0, 0) ? dwarf_srclang(&cu) : -1;
        bool c =
            lang == DW_LANG_C || lang == DW_LANG_C89 || lang == DW_LANG_C99 || lang == DW_LANG_C11;
        if (c && tag == DW_TAG_structure_type)
            append(buf, len, "struct ");
        else if (c && tag == DW_TAG_union_type)
            append(buf, len, "union ");
        else if (c && tag == DW_TAG_enumeration_type)
            append(buf, len, "enum ");
        append(buf, len, name);
        return;
    }
    if (tag == DW_TAG_array_type && depth < 8 && in_rust_unit(t)) {
        /* Rust writes [T; N], [[T; 4]; 2] (the outermost count last). */
        uint64_t counts[8];
        int ndims = array_dims(t, counts, 8);
        Dwarf_Die elem;
        for (int i = 0; i < ndims; i++)
            append(buf, len, "[");
        if (type_of(t, &elem))
            type_name(&elem, buf, len, depth + 1);
        else
            append(buf, len, "?");
        for (int i = ndims - 1; i >= 0; i--) {
            char dim[32];
            snprintf(dim, sizeof dim, "; %" PRIu64 "]", counts[i]);
            append(buf, len, dim);
        }
        return;
    }
    if (tag == DW_TAG_const_type)
        append(buf, len, "const ");
    else if (tag == DW_TAG_volatile_type)
        append(buf, len, "volatile ");
    Dwarf_Die inner;
    if (depth < 8 && type_of(t, &inner))
        type_name(&inner, buf, len, depth + 1);
    else
        append(buf, len,
               tag == DW_TAG_pointer_type || tag == DW_TAG_const_type || tag == DW_TAG_volatile_type
                   ? "void"
                   : "?");
    if (tag == DW_TAG_pointer_type)
        append(buf, len, " *");
    else if (tag == DW_TAG_reference_type)
        append(buf, len, " &");
}

/* What a type that cannot be read is, for the refusal. */
static const char *type_kind(int tag)
{
    switch (tag) {
    case DW_TAG_structure_type:
        return "struct";
    case DW_TAG_union_type:
        return "union";
    case DW_TAG_class_type:
        return "class";
    case DW_TAG_array_type:
        return "array";
    case DW_TAG_subroutine_type:
        return "function";
    case DW_TAG_base_type:
        return "float";
    default:
        return "value of unsupported type";
    }
}

/* Signedness of an integer base type, from DW_AT_encoding (§5.1).  Returns
 * 1 for signed, 0 for unsigned, -1 if it is not an integer. */
static int int_encoding(Dwarf_Die *base)
{
    Dwarf_Attribute attr;
    Dwarf_Word enc;
    if (dwarf_formudata(dwarf_attr(base, DW_AT_encoding, &attr), &enc) != 0)
        return -1;
    switch (enc) {
    case DW_ATE_signed:
    case DW_ATE_signed_char:
        return 1;
    case DW_ATE_unsigned:
    case DW_ATE_unsigned_char:
    case DW_ATE_boolean:
    case DW_ATE_UTF: /* Rust char */
        return 0;
    default:
        return -1; /* float, complex, decimal... */
    }
}

/* A C char (DW_ATE_signed_char / unsigned_char, one byte): what a char *
 * or char[N] is made of, so it prints as text. */
static bool is_char(Dwarf_Die *declared)
{
    Dwarf_Die t;
    Dwarf_Attribute attr;
    Dwarf_Word enc;
    if (dwarf_peel_type(declared, &t) != 0 || dwarf_tag(&t) != DW_TAG_base_type ||
        dwarf_bytesize(&t) != 1 ||
        dwarf_formudata(dwarf_attr(&t, DW_AT_encoding, &attr), &enc) != 0)
        return false;
    return enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char;
}

/* Bytes of a (declared) type, 0 if unknown or void. */
static uint64_t type_bytes(Dwarf_Die *declared)
{
    Dwarf_Die t;
    Dwarf_Word size;
    if (dwarf_peel_type(declared, &t) != 0)
        return 0;
    if (dwarf_tag(&t) == DW_TAG_pointer_type || dwarf_tag(&t) == DW_TAG_reference_type ||
        dwarf_tag(&t) == DW_TAG_rvalue_reference_type)
        return dwarf_bytesize(&t) > 0 ? (uint64_t)dwarf_bytesize(&t) : 8;
    return dwarf_aggregate_size(&t, &size) == 0 ? size : 0;
}

/* The element counts of array type arr, outermost first (§5.5: one
 * DW_TAG_subrange_type per dimension, DW_AT_count or DW_AT_upper_bound with
 * C's and Rust's lower bound 0; an unknown count is 0). */
static int array_dims(Dwarf_Die *arr, uint64_t *counts, int max)
{
    Dwarf_Die sub;
    int n = 0;
    if (dwarf_child(arr, &sub) != 0)
        return 0;
    do {
        if (dwarf_tag(&sub) != DW_TAG_subrange_type || n == max)
            continue;
        Dwarf_Attribute attr;
        Dwarf_Word v = 0;
        if (dwarf_formudata(dwarf_attr(&sub, DW_AT_count, &attr), &v) == 0)
            counts[n++] = v;
        else if (dwarf_formudata(dwarf_attr(&sub, DW_AT_upper_bound, &attr), &v) == 0)
            counts[n++] = v + 1;
        else
            counts[n++] = 0; /* char s[]: flexible or extern */
    } while (dwarf_siblingof(&sub, &sub) == 0);
    return n;
}

#define MAX_DIMS 8

/* A Rust string slice: rustc describes &str (and &mut str) as a struct of
 * that name with members data_ptr (*const u8) and length (usize), the
 * "fat pointer" of the Rust Reference's "Pointer types".  Its text is
 * length bytes at data_ptr, with no NUL. */
static void str_slice(Dwarf_Die *st, struct varloc *out)
{
    const char *name = dwarf_diename(st);
    if (!name || (strcmp(name, "&str") != 0 && strcmp(name, "&mut str") != 0))
        return;
    Dwarf_Die m;
    bool ptr = false, len = false;
    if (dwarf_child(st, &m) != 0)
        return;
    do {
        const char *n = dwarf_diename(&m);
        Dwarf_Attribute attr;
        Dwarf_Word off = 0;
        if (dwarf_tag(&m) != DW_TAG_member || !n ||
            dwarf_formudata(dwarf_attr(&m, DW_AT_data_member_location, &attr), &off) != 0)
            continue;
        if (strcmp(n, "data_ptr") == 0) {
            out->str_ptr_off = (int64_t)off;
            ptr = true;
        } else if (strcmp(n, "length") == 0) {
            out->str_len_off = (int64_t)off;
            len = true;
        }
    } while (dwarf_siblingof(&m, &m) == 0);
    out->is_str_slice = ptr && len;
}

/* Fill out's type fields from a declared type: size, sign, pointer, shape,
 * string, element size, type name.  dims_used > 0 describes what indexing
 * an array type dims_used times leaves (long a[8][8] indexed once: long[8]).
 * -1 if the type cannot be read by a logpoint at all (floats, functions,
 * integers of odd sizes). */
static int describe(Dwarf_Die *declared, int dims_used, const char *name, struct varloc *out,
                    char *why, size_t whylen)
{
    Dwarf_Die t;
    out->type_name[0] = 0;
    type_name(declared, out->type_name, sizeof out->type_name, 0);
    if (dwarf_peel_type(declared, &t) != 0)
        return fail(why, whylen, "%s has type void", name);
    out->type_die = dwarf_dieoffset(&t);
    out->dims_used = dims_used;
    out->shape = VARLOC_SCALAR;
    out->is_signed = out->is_pointer = out->is_string = false;
    out->is_bool = out->is_unicode = out->is_str_slice = false;
    out->elem_size = out->count = 0;
    out->rust = in_rust_unit(&t);
    int tag = dwarf_tag(&t);
    Dwarf_Word size = 0;
    bool integer = false;
    if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type ||
        tag == DW_TAG_rvalue_reference_type) {
        /* Without DW_AT_byte_size a pointer is as wide as an address. */
        int s = dwarf_bytesize(&t);
        uint8_t addr_size = 8;
        Dwarf_Die cu, pointee;
        if (s <= 0 && dwarf_diecu(&t, &cu, &addr_size, 0))
            s = addr_size;
        size = s > 0 ? (Dwarf_Word)s : 0;
        out->is_pointer = integer = true;
        if (type_of(&t, &pointee)) {
            out->elem_size = type_bytes(&pointee);
            out->is_string = tag == DW_TAG_pointer_type && is_char(&pointee);
        }
    } else if (tag == DW_TAG_base_type) {
        int sign = int_encoding(&t);
        integer = sign >= 0;
        out->is_signed = sign == 1;
        Dwarf_Attribute attr;
        Dwarf_Word enc = 0;
        dwarf_formudata(dwarf_attr(&t, DW_AT_encoding, &attr), &enc);
        out->is_bool = enc == DW_ATE_boolean;
        out->is_unicode = enc == DW_ATE_UTF && dwarf_bytesize(&t) == 4;
        int s = dwarf_bytesize(&t);
        size = s > 0 ? (Dwarf_Word)s : 0;
    } else if (tag == DW_TAG_enumeration_type) {
        /* Signed if the underlying type (DWARF 3+ DW_AT_type) is. */
        Dwarf_Die under, base;
        out->is_signed =
            type_of(&t, &under) && dwarf_peel_type(&under, &base) == 0 && int_encoding(&base) == 1;
        int s = dwarf_bytesize(&t);
        size = s > 0 ? (Dwarf_Word)s : 0;
        integer = true;
    } else if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
               tag == DW_TAG_class_type) {
        out->shape = VARLOC_STRUCT;
        out->size = dwarf_aggregate_size(&t, &size) == 0 ? (int64_t)size : 0;
        if (out->rust)
            str_slice(&t, out);
        return 0;
    } else if (tag == DW_TAG_array_type) {
        uint64_t counts[MAX_DIMS];
        int ndims = array_dims(&t, counts, MAX_DIMS);
        Dwarf_Die elem;
        if (ndims == 0 || dims_used >= ndims || !type_of(&t, &elem))
            return fail(why, whylen, "%s is an array of unknown shape", name);
        uint64_t stride = type_bytes(&elem);
        for (int i = dims_used + 1; i < ndims; i++)
            stride *= counts[i];
        out->shape = VARLOC_ARRAY;
        out->count = counts[dims_used];
        out->elem_size = stride;
        out->size = (int64_t)(stride * out->count);
        out->is_string = dims_used == ndims - 1 && is_char(&elem);
        if (dims_used > 0) { /* the name of what is left: "long [8]" */
            out->type_name[0] = 0;
            type_name(&elem, out->type_name, sizeof out->type_name, 0);
            for (int i = dims_used; i < ndims; i++) {
                char dim[32];
                snprintf(dim, sizeof dim, "%s[%" PRIu64 "]", i == dims_used ? " " : "", counts[i]);
                append(out->type_name, sizeof out->type_name, dim);
            }
        }
        return 0;
    }
    if (!integer && out->rust)
        return fail(why, whylen, "%s's type %s cannot be read by an eBPF logpoint", name,
                    out->type_name);
    if (!integer)
        return fail(why, whylen, "%s is a %s: only integers, pointers, structs and arrays", name,
                    type_kind(tag));
    if ((size != 1 && size != 2 && size != 4 && size != 8) && out->rust)
        return fail(why, whylen,
                    "%s's type %s (%" PRIu64 " bytes) cannot be read by an eBPF logpoint", name,
                    out->type_name, (uint64_t)size);
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return fail(why, whylen,
                    "%s is a %s of %" PRIu64 " bytes: only integers and pointers of 1, 2, 4 "
                    "or 8 bytes",
                    name, out->type_name, (uint64_t)size);
    out->size = (int)size;
    return 0;
}

/* The type of a variable, parameter or member. */
static int describe_type(Dwarf_Die *var, const char *name, struct varloc *out, char *why,
                         size_t whylen)
{
    Dwarf_Die declared;
    if (!type_of(var, &declared))
        return fail(why, whylen, "%s has no type", name);
    return describe(&declared, 0, name, out, why, whylen);
}

static bool is_var(Dwarf_Die *die)
{
    int tag = dwarf_tag(die);
    return tag == DW_TAG_variable || tag == DW_TAG_formal_parameter;
}

/* The variable or parameter called name among scope's own children. */
/* A definition (with a place), not a declaration (extern). */
static bool has_location(Dwarf_Die *var)
{
    return dwarf_hasattr_integrate(var, DW_AT_location);
}

static bool find_in_scope(Dwarf_Die *scope, const char *name, Dwarf_Die *var)
{
    if (dwarf_child(scope, var) != 0)
        return false;
    do {
        Dwarf_Attribute attr;
        const char *n = dwarf_formstring(dwarf_attr_integrate(var, DW_AT_name, &attr));
        if (n && strcmp(n, name) == 0 && is_var(var))
            return true;
    } while (dwarf_siblingof(var, var) == 0);
    return false;
}

struct func_search {
    Dwarf_Addr pc;
    Dwarf_Die found;
    bool ok;
};

static int func_cb(Dwarf_Die *die, void *arg)
{
    struct func_search *s = arg;
    /* Concrete code only: abstract instances of inline functions have no
     * pc. */
    if (!s->ok && dwarf_haspc(die, s->pc) == 1) {
        s->found = *die;
        s->ok = true;
    }
    return s->ok ? DWARF_CB_ABORT : DWARF_CB_OK;
}

/* The scopes at pc, outermost first: the out-of-line function whose code
 * contains pc, then the lexical blocks, inlined copies and (GNU C) nested
 * functions inside it that contain pc.  Returns their number, 0 if no
 * function contains pc.
 *
 * Not dwarf_getscopes: it prunes every DIE without addresses, so it never
 * reaches a Rust function (inside DW_TAG_namespace DIEs); dwarf_getfuncs
 * looks inside namespaces. */
static int scopes_at(Dwarf_Die *cudie, uint64_t pc, Dwarf_Die *scopes, int max)
{
    struct func_search s = {.pc = pc};
    dwarf_getfuncs(cudie, func_cb, &s, 0);
    if (!s.ok)
        return 0;
    int n = 0;
    scopes[n++] = s.found;
    Dwarf_Die child;
    bool deeper = true;
    while (deeper && n < max && dwarf_child(&scopes[n - 1], &child) == 0) {
        deeper = false;
        do {
            int tag = dwarf_tag(&child);
            if ((tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine ||
                 tag == DW_TAG_subprogram) &&
                dwarf_haspc(&child, pc) == 1) {
                scopes[n++] = child;
                deeper = true;
                break;
            }
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    return n;
}

/* ---- locations ---- */

/* The frame base of fn at pc (§3.3.5) as register + offset: from
 * DW_OP_regN the register's value itself, from DW_OP_bregN k that plus k,
 * from DW_OP_call_frame_cfa the CFA rule of the call-frame information. */
static int frame_base(struct debuginfo *di, Dwarf_Die *fn, uint64_t pc, const char *name, int *reg,
                      int64_t *off, char *why, size_t whylen)
{
    Dwarf_Attribute attr;
    Dwarf_Op *ops;
    size_t nops;
    char buf[24];
    if (!dwarf_attr(fn, DW_AT_frame_base, &attr) ||
        dwarf_getlocation_addr(&attr, pc, &ops, &nops, 1) != 1 || nops == 0)
        return fail(why, whylen, "%s's frame base is not known at 0x%" PRIx64, name, pc);
    if (nops == 1 && reg_op(&ops[0], reg, off))
        return 0;
    if (nops != 1 || ops[0].atom != DW_OP_call_frame_cfa)
        return fail(why, whylen, "%s's frame base %s is not supported", name,
                    op_name(ops[nops > 1].atom, buf, sizeof buf));

    Dwarf_CFI *cfi = debuginfo_cfi(di);
    Dwarf_Frame *frame;
    if (!cfi || dwarf_cfi_addrframe(cfi, pc, &frame) != 0)
        return fail(why, whylen, "no call-frame information at 0x%" PRIx64 " for %s", pc, name);
    Dwarf_Op *cfa;
    size_t ncfa;
    int kind = 0;
    if (dwarf_frame_cfa(frame, &cfa, &ncfa) == 0 && ncfa == 1)
        kind = reg_op(&cfa[0], reg, off);
    free(frame);
    if (kind != 2)
        return fail(why, whylen, "the CFA at 0x%" PRIx64 " is not a register plus offset", pc);
    return 0;
}

/* Which argument register holds parameter param at fn's entry, by the
 * RISC-V psABI integer calling convention (RISC-V ELF psABI, "Integer
 * Calling Convention"): scalars of at most XLEN bits take the argument
 * registers a0..a7 (x10..x17) in order, and a return value that is an
 * aggregate larger than 2*XLEN is returned through memory whose address is
 * passed in a0 as an implicit first argument.  Arguments past a7 are on the
 * stack, the first at sp+0, one XLEN-aligned slot each.  Counting stops
 * (-1) at an earlier parameter that is not a scalar of at most 8 bytes:
 * floats (which may go to fa0..fa7) and aggregates (which may take two
 * registers or be passed by reference) are not followed here. */
static int entry_slot(Dwarf_Die *fn, Dwarf_Die *param, const char *name, char *why, size_t whylen)
{
    int slot = 0;
    Dwarf_Die ret;
    Dwarf_Word rsize;
    if (type_of(fn, &ret) && dwarf_peel_type(&ret, &ret) == 0 &&
        (dwarf_tag(&ret) == DW_TAG_structure_type || dwarf_tag(&ret) == DW_TAG_union_type ||
         dwarf_tag(&ret) == DW_TAG_class_type || dwarf_tag(&ret) == DW_TAG_array_type) &&
        dwarf_aggregate_size(&ret, &rsize) == 0 && rsize > 16)
        slot = 1;
    Dwarf_Die child;
    if (dwarf_child(fn, &child) != 0)
        return fail(why, whylen, "%s is not a parameter of its function", name);
    do {
        if (dwarf_tag(&child) != DW_TAG_formal_parameter)
            continue;
        if (dwarf_dieoffset(&child) == dwarf_dieoffset(param))
            return slot;
        struct varloc tmp;
        Dwarf_Attribute attr;
        const char *other = dwarf_formstring(dwarf_attr_integrate(&child, DW_AT_name, &attr));
        if (describe_type(&child, other ? other : "?", &tmp, 0, 0) != 0)
            return fail(why, whylen,
                        "%s's register at the function's entry is not known: parameter %s "
                        "before it is not an integer or pointer",
                        name, other ? other : "?");
        slot++;
    } while (dwarf_siblingof(&child, &child) == 0);
    return fail(why, whylen, "%s is not a parameter of its function", name);
}

/* var's location at pc, from its DW_AT_location, into out's kind, reg and
 * offset. */
static int locate(struct debuginfo *di, Dwarf_Die *var, Dwarf_Die *fn, bool have_fn, uint64_t pc,
                  const char *name, struct varloc *out, char *why, size_t whylen)
{
    Dwarf_Attribute attr;
    Dwarf_Op *ops;
    size_t nops;
    char buf[24];
    if (!dwarf_attr_integrate(var, DW_AT_location, &attr)) {
        if (dwarf_hasattr_integrate(var, DW_AT_const_value))
            return fail(why, whylen, "%s is a constant with no location", name);
        return fail(why, whylen, "%s is optimized out here", name);
    }
    int n = dwarf_getlocation_addr(&attr, pc, &ops, &nops, 1);
    if (n < 0)
        return fail(why, whylen, "%s's location cannot be read: %s", name, dwarf_errmsg(-1));
    if (n == 0 || nops == 0)
        return fail(why, whylen, "%s is optimized out here", name);
    if (nops > 1) {
        /* Report the operation that makes it more than one place. */
        size_t i = 1;
        for (size_t j = 0; j < nops; j++)
            if (ops[j].atom == DW_OP_piece || ops[j].atom == DW_OP_bit_piece) {
                i = j;
                break;
            }
        return fail(why, whylen, "%s's location %s is not supported", name,
                    op_name(ops[i].atom, buf, sizeof buf));
    }
    int reg;
    int64_t off;
    int kind = reg_op(&ops[0], &reg, &off);
    if (kind == 1) {
        out->kind = VARLOC_REG;
        out->reg = reg;
        out->offset = 0;
    } else if (kind == 2) {
        out->kind = VARLOC_MEM;
        out->reg = reg;
        out->offset = off;
    } else if (ops[0].atom == DW_OP_fbreg) {
        int fbreg;
        int64_t fboff;
        if (!have_fn)
            return fail(why, whylen, "%s's frame base: no function at 0x%" PRIx64, name, pc);
        if (frame_base(di, fn, pc, name, &fbreg, &fboff, why, whylen) != 0)
            return -1;
        out->kind = VARLOC_MEM;
        out->reg = fbreg;
        out->offset = fboff + (int64_t)ops[0].number;
    } else if (ops[0].atom == DW_OP_addr) {
        /* A global or static variable: the same address in every process
         * of the program (or in the kernel). */
        out->kind = VARLOC_ADDR;
        out->addr = (uint64_t)ops[0].number;
        return 0;
    } else {
        return fail(why, whylen, "%s's location %s is not supported", name,
                    op_name(ops[0].atom, buf, sizeof buf));
    }
    /* x0 reads as zero and pt_regs slot 0 is the pc; DWARF numbers 32..63
     * are the floating-point registers (psABI "DWARF Register Numbers"). */
    if (out->reg <= 0 || out->reg >= 32)
        return fail(why, whylen, "%s is %s register %d: only x1..x31", name,
                    out->kind == VARLOC_REG ? "in" : "relative to", out->reg);
    return 0;
}

/* A struct or array is reached through its address: one held in
 * registers (DW_OP_regN) has none. */
static int in_memory(int located, const char *name, const struct varloc *out, char *why,
                     size_t whylen)
{
    if (located == 0 && out->shape != VARLOC_SCALAR && out->kind == VARLOC_REG)
        return fail(why, whylen, "%s is a%s %s in registers: only in memory", name,
                    out->shape == VARLOC_ARRAY ? "n" : "",
                    out->shape == VARLOC_STRUCT ? "struct" : "array");
    return located;
}

/* The compilation unit whose code contains pc.  .debug_aranges first
 * (dwarf_addrdie); then, when it names no unit or one that does not contain
 * pc, each unit's own DW_AT_low_pc/high_pc/ranges (DWARF 5 §3.1.1).  The
 * second walk is for the Rust kernel: ld --gc-sections leaves the ranges of
 * discarded functions in .debug_aranges as (0, 0), which readers take for
 * the set's terminator (§6.1.2), so the ranges after it (os::syscall::fs's
 * functions among them) are lost. */
static bool unit_at(Dwarf *dw, uint64_t pc, Dwarf_Die *cudie)
{
    if (dwarf_addrdie(dw, pc, cudie) && dwarf_haspc(cudie, pc) == 1)
        return true;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(dw, off, &next, &hsize, 0, 0, 0) == 0) {
        if (dwarf_offdie(dw, off + hsize, cudie) && dwarf_haspc(cudie, pc) == 1)
            return true;
        off = next;
    }
    return false;
}

int varloc_find(struct debuginfo *di, uint64_t pc, const char *name, struct varloc *out, char *why,
                size_t whylen)
{
    Dwarf *dw = debuginfo_dwarf(di);
    Dwarf_Die cudie;
    if (why && whylen)
        why[0] = 0;
    if (!dw || !unit_at(dw, pc, &cudie))
        return fail(why, whylen, "no debug information at 0x%" PRIx64, pc);
    Dwarf_Die scopes[32];
    int nscopes = scopes_at(&cudie, pc, scopes, 32);
    /* Innermost first.  The search ends at the function the code belongs to
     * (an inlined copy is one): its caller's locals are not in scope. */
    Dwarf_Die var, fn;
    int found = -1, fnscope = -1;
    for (int i = nscopes - 1; i >= 0 && fnscope < 0; i--) {
        if (found < 0 && find_in_scope(&scopes[i], name, &var))
            found = i;
        if (dwarf_tag(&scopes[i]) != DW_TAG_lexical_block)
            fnscope = i;
    }
    if (found < 0) {
        /* A global: this unit's first, then any unit's definition. */
        bool global = find_in_scope(&cudie, name, &var) && has_location(&var);
        Dwarf_Off off = 0, next;
        size_t hsize;
        Dwarf_Die cu;
        while (!global && dwarf_nextcu(dw, off, &next, &hsize, 0, 0, 0) == 0) {
            if (dwarf_offdie(dw, off + hsize, &cu) && find_in_scope(&cu, name, &var) &&
                has_location(&var))
                global = true;
            off = next;
        }
        if (!global)
            return fail(why, whylen, "no variable %s at 0x%" PRIx64, name, pc);
        memset(out, 0, sizeof *out);
        if (describe_type(&var, name, out, why, whylen) != 0)
            return -1;
        return in_memory(locate(di, &var, 0, false, pc, name, out, why, whylen), name, out, why,
                         whylen);
    }
    /* The frame base is the innermost out-of-line function's. */
    bool have_fn = false;
    for (int i = nscopes - 1; i >= 0 && !have_fn; i--)
        if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram) {
            fn = scopes[i];
            have_fn = true;
        }

    memset(out, 0, sizeof *out);
    if (describe_type(&var, name, out, why, whylen) != 0)
        return -1;

    Dwarf_Addr entry;
    if (have_fn && found == fnscope && dwarf_tag(&scopes[found]) == DW_TAG_subprogram &&
        dwarf_entrypc(&fn, &entry) == 0 && entry == pc) {
        /* Before the prologue runs, the DWARF location (a slot in a frame
         * that does not exist yet) is wrong: the parameter is still where
         * the caller put it. */
        if (dwarf_tag(&var) != DW_TAG_formal_parameter)
            return fail(why, whylen, "%s is not yet set at the function's entry 0x%" PRIx64, name,
                        pc);
        if (out->shape != VARLOC_SCALAR) /* in registers, or behind a hidden pointer */
            return fail(why, whylen, "%s is a %s parameter: not readable at the entry 0x%" PRIx64,
                        name, out->shape == VARLOC_STRUCT ? "struct" : "array", pc);
        int slot = entry_slot(&fn, &var, name, why, whylen);
        if (slot < 0)
            return -1;
        if (slot < 8) {
            out->kind = VARLOC_REG;
            out->reg = 10 + slot; /* a0 is x10 */
        } else {
            out->kind = VARLOC_MEM;
            out->reg = 2; /* sp */
            out->offset = 8 * (slot - 8);
        }
        return 0;
    }
    return in_memory(locate(di, &var, &fn, have_fn, pc, name, out, why, whylen), name, out, why,
                     whylen);
}

/* The member named `member` of struct/union type st (anonymous members
 * searched too); its byte offset added to *off. */
static bool find_member(Dwarf_Die *st, const char *member, Dwarf_Die *out, Dwarf_Word *off)
{
    Dwarf_Die m;
    if (dwarf_child(st, &m) != 0)
        return false;
    do {
        if (dwarf_tag(&m) != DW_TAG_member)
            continue;
        Dwarf_Attribute attr;
        Dwarf_Word here = 0;
        if (dwarf_attr(&m, DW_AT_data_member_location, &attr))
            dwarf_formudata(&attr, &here); /* a constant (DWARF 3+), or 0 in a union */
        const char *n = dwarf_diename(&m);
        if (n && strcmp(n, member) == 0) {
            *out = m;
            *off += here;
            return true;
        }
        Dwarf_Die mt, peeled;
        if (!n && type_of(&m, &mt) && dwarf_peel_type(&mt, &peeled) == 0 &&
            (dwarf_tag(&peeled) == DW_TAG_structure_type ||
             dwarf_tag(&peeled) == DW_TAG_union_type)) {
            Dwarf_Word inner = *off + here;
            if (find_member(&peeled, member, out, &inner)) {
                *off = inner;
                return true;
            }
        }
    } while (dwarf_siblingof(&m, &m) == 0);
    return false;
}

/* The struct (or union) type that base is or points to, its definition if
 * base's unit only declares it; -1 with a reason. */
static int struct_of(struct debuginfo *di, const struct varloc *base, const char *member,
                     Dwarf_Die *out, char *why, size_t whylen)
{
    Dwarf *dw = debuginfo_dwarf(di);
    Dwarf_Die bt, pointee, st;
    if (!dw || !dwarf_offdie(dw, base->type_die, &bt))
        return fail(why, whylen, "%s: no type", member);
    if (base->shape == VARLOC_STRUCT) {
        st = bt;
    } else if (!base->is_pointer) {
        return fail(why, whylen, "%s is not a struct or a pointer to one", base->type_name);
    } else if (!type_of(&bt, &pointee) || dwarf_peel_type(&pointee, &st) != 0 ||
               (dwarf_tag(&st) != DW_TAG_structure_type && dwarf_tag(&st) != DW_TAG_union_type &&
                dwarf_tag(&st) != DW_TAG_class_type)) {
        return fail(why, whylen, "%s does not point to a struct", base->type_name);
    }
    /* A declaration only (struct defined in another unit): find it there. */
    if (dwarf_hasattr(&st, DW_AT_declaration)) {
        const char *tag_name = dwarf_diename(&st);
        bool found = false;
        Dwarf_Off off = 0, next;
        size_t hsize;
        Dwarf_Die cu, c;
        while (!found && tag_name && dwarf_nextcu(dw, off, &next, &hsize, 0, 0, 0) == 0) {
            if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &c) == 0) {
                do {
                    const char *n = dwarf_diename(&c);
                    if (dwarf_tag(&c) == dwarf_tag(&st) && n && !strcmp(n, tag_name) &&
                        !dwarf_hasattr(&c, DW_AT_declaration)) {
                        st = c;
                        found = true;
                        break;
                    }
                } while (dwarf_siblingof(&c, &c) == 0);
            }
            off = next;
        }
        if (!found)
            return fail(why, whylen, "struct %s is only declared", tag_name ? tag_name : "?");
    }
    *out = st;
    return 0;
}

int varloc_member(struct debuginfo *di, const struct varloc *base, const char *member,
                  struct varloc *out, char *why, size_t whylen)
{
    Dwarf_Die st;
    if (struct_of(di, base, member, &st, why, whylen) < 0)
        return -1;
    Dwarf_Die m;
    Dwarf_Word off = 0;
    if (!find_member(&st, member, &m, &off))
        return fail(why, whylen, "%s has no member %s", base->type_name, member);
    if (dwarf_hasattr(&m, DW_AT_bit_size))
        return fail(why, whylen, "%s is a bit-field", member);
    memset(out, 0, sizeof *out);
    if (describe_type(&m, member, out, why, whylen) != 0)
        return -1;
    out->kind = VARLOC_MEM;
    out->reg = -1;
    out->offset = (int64_t)off;
    return 0;
}

/* The names of st's members in order, those of an anonymous struct or
 * union member in its place. */
static int member_names(Dwarf_Die *st, char names[][VARLOC_NAME_MAX], int n, int max)
{
    Dwarf_Die m;
    if (dwarf_child(st, &m) != 0)
        return n;
    do {
        if (dwarf_tag(&m) != DW_TAG_member || n >= max)
            continue;
        const char *name = dwarf_diename(&m);
        Dwarf_Die mt, peeled;
        if (name)
            snprintf(names[n++], VARLOC_NAME_MAX, "%s", name);
        else if (type_of(&m, &mt) && dwarf_peel_type(&mt, &peeled) == 0)
            n = member_names(&peeled, names, n, max);
    } while (dwarf_siblingof(&m, &m) == 0);
    return n;
}

int varloc_member_names(struct debuginfo *di, const struct varloc *base,
                        char names[][VARLOC_NAME_MAX], int max)
{
    Dwarf_Die st;
    char why[160];
    if (struct_of(di, base, "", &st, why, sizeof why) < 0)
        return -1;
    return member_names(&st, names, 0, max);
}

int varloc_index(struct debuginfo *di, const struct varloc *base, struct varloc *out, char *why,
                 size_t whylen)
{
    Dwarf *dw = debuginfo_dwarf(di);
    Dwarf_Die bt, elem;
    if (!dw || !dwarf_offdie(dw, base->type_die, &bt))
        return fail(why, whylen, "no type");
    if (base->shape != VARLOC_ARRAY && !base->is_pointer)
        return fail(why, whylen, "%s is not an array or a pointer", base->type_name);
    if (base->elem_size == 0)
        return fail(why, whylen, "%s: elements of unknown size", base->type_name);
    memset(out, 0, sizeof *out);
    int r;
    uint64_t counts[MAX_DIMS];
    if (base->shape == VARLOC_ARRAY && base->dims_used + 1 < array_dims(&bt, counts, MAX_DIMS))
        r = describe(&bt, base->dims_used + 1, "the element", out, why, whylen);
    else if (type_of(&bt, &elem))
        r = describe(&elem, 0, "the element", out, why, whylen);
    else
        return fail(why, whylen, "%s: elements of no type", base->type_name);
    out->kind = VARLOC_MEM;
    out->reg = -1;
    return r;
}

int varloc_names(struct debuginfo *di, uint64_t pc, char names[][VARLOC_NAME_MAX], int max)
{
    Dwarf *dw = debuginfo_dwarf(di);
    Dwarf_Die cudie, scopes[32], var;
    if (!dw || !unit_at(dw, pc, &cudie))
        return 0;
    int nscopes = scopes_at(&cudie, pc, scopes, 32), n = 0;
    /* Innermost block first, up to the function the code belongs to (an
     * inlined copy is one); a name already seen hides an outer one. */
    for (int i = nscopes - 1; i >= 0; i--) {
        if (dwarf_child(&scopes[i], &var) == 0) {
            do {
                Dwarf_Attribute attr;
                const char *name = dwarf_formstring(dwarf_attr_integrate(&var, DW_AT_name, &attr));
                if (!name || !is_var(&var) || !has_location(&var) ||
                    strlen(name) >= VARLOC_NAME_MAX)
                    continue;
                bool seen = false;
                for (int k = 0; k < n && !seen; k++)
                    seen = strcmp(names[k], name) == 0;
                if (!seen && n < max)
                    snprintf(names[n++], VARLOC_NAME_MAX, "%s", name);
            } while (dwarf_siblingof(&var, &var) == 0);
        }
        if (dwarf_tag(&scopes[i]) != DW_TAG_lexical_block)
            break;
    }
    return n;
}
