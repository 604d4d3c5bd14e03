/*
 * Logpoint messages, conditions and hit conditions compiled to eBPF
 * (logprog.h).  The program's context is the probe's struct pt_regs
 * (Linux riscv: slot 0 pc, slot N register xN), r6 keeps it across helper
 * calls.  Values go to 8-byte stack slots below r10, the record to the
 * ring buffer "events", the hit count to the array "hits".
 *
 * Why one file of over 1 000 lines: it is one compiler (message parser,
 * expression code generation, record layout, formatter of the records it
 * produces), whose parts share the stack-frame and slot layout below; its
 * unit tests (tests/adapter/test_logprog.c) run the generated programs on
 * the project's eBPF runtime.  Split it where a second user of a part
 * appears.
 *
 * Stack frame (512 bytes, RFC 9669 section 4.3):
 *   fp-8*(1+i)          record slot i (i < LOGPROG_MAX_SLOTS = 32); a string
 *                       takes LOGPROG_STR_SLOTS slots, its text from the
 *                       lowest address up
 *   fp-264 .. fp-384    temporaries (conditions, indexes, string addresses)
 *   fp-408 .. fp-385    text compared with a "string" (comm, char *, char[])
 *   fp-416              the hits map's key
 */
#include "bpf/logprog.h"
#include "dwarf/rvregs.h"
#include "dwarf/debuginfo.h"
#include "dwarf/varloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_OFF(i)  ((int16_t)(-8 * ((i) + 1)))
#define TEMP_FIRST   LOGPROG_MAX_SLOTS
#define TEMP_MAX     16
#define TEXT_OFF     (-408) /* 24 bytes: 16 and the byte that tells a longer text */
#define TEXT_READ    24
#define KEY_OFF      (-416)
#define RINGBUF_SIZE (16 * 1024)

/* ---- expressions ---- */

enum xkind { X_REG, X_VAR, X_CONST, X_DEREF, X_BINOP, X_CAST, X_PID, X_COMM, X_TIME };

/* A value.  X_DEREF reads size bytes at inner's value + off (+ index *
 * stride); with addr_only it is that address instead, for what is only
 * reached into (a struct or array member: its value is where it starts).
 * typed: vl holds the DWARF type (variables, members, elements), so
 * members, elements and text can be asked of it. */
struct xnode {
    enum xkind k;
    int reg;
    struct varloc vl;
    bool typed;
    int64_t c;
    struct xnode *inner, *index;
    int64_t off, stride;
    struct xnode *rhs; /* X_BINOP: inner op rhs (rhs times stride for pointer + n) */
    uint8_t op;
    int32_t text_helper; /* X_CAST to str/ustr: text read with this helper */
    bool addr_only;
    int size;
    bool is_signed, hex;
};

struct parser {
    const char *s, *p;
    const struct logprog_site *site;
    char *why;
    size_t whylen;
    bool failed;
};

static void fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->why, ps->whylen, fmt, ap);
    va_end(ap);
}

static void skip_ws(struct parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static bool eat(struct parser *ps, const char *tok)
{
    skip_ws(ps);
    size_t n = strlen(tok);
    if (strncmp(ps->p, tok, n) == 0) {
        ps->p += n;
        return true;
    }
    return false;
}

static size_t ident(struct parser *ps, char *out, size_t cap)
{
    skip_ws(ps);
    const char *q = ps->p;
    if (!isalpha((unsigned char)*q) && *q != '_')
        return 0;
    while (isalnum((unsigned char)*q) || *q == '_')
        q++;
    size_t n = (size_t)(q - ps->p);
    if (n >= cap)
        return 0;
    memcpy(out, ps->p, n);
    out[n] = 0;
    ps->p = q;
    return n;
}

static bool number(struct parser *ps, int64_t *v)
{
    skip_ws(ps);
    const char *q = ps->p;
    bool neg = *q == '-';
    if (neg)
        q++;
    if (!isdigit((unsigned char)*q))
        return false;
    char *end;
    unsigned long long u = strtoull(q, &end, 0);
    if (isalnum((unsigned char)*end) || *end == '_')
        return false;
    *v = neg ? -(int64_t)u : (int64_t)u;
    ps->p = end;
    return true;
}

static struct xnode *node(enum xkind k)
{
    struct xnode *x = calloc(1, sizeof *x);
    x->k = k;
    x->size = 8;
    return x;
}

static void free_node(struct xnode *x)
{
    if (x) {
        free_node(x->inner);
        free_node(x->index);
        free_node(x->rhs);
        free(x);
    }
}

/* Cast names: size and print. */
static bool cast_type(const char *name, int *size, bool *is_signed, bool *hex)
{
    static const struct {
        const char *name;
        int size;
        bool is_signed, hex;
    } types[] = {
        {"u8", 1, false, false},    {"u16", 2, false, false},      {"u32", 4, false, false},
        {"u64", 8, false, false},   {"s8", 1, true, false},        {"s16", 2, true, false},
        {"s32", 4, true, false},    {"s64", 8, true, false},       {"i8", 1, true, false},
        {"i16", 2, true, false},    {"i32", 4, true, false},       {"i64", 8, true, false},
        {"int", 4, true, false},    {"unsigned", 4, false, false}, {"long", 8, true, false},
        {"ulong", 8, false, false}, {"char", 1, true, false},      {"ptr", 8, false, true},
        {"void", 8, false, true},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(types[i].name, name) == 0) {
            *size = types[i].size;
            *is_signed = types[i].is_signed;
            *hex = types[i].hex;
            return true;
        }
    }
    return false;
}

static struct xnode *parse_value(struct parser *ps);
static struct xnode *parse_expr(struct parser *ps);
static struct xnode *parse_postfix(struct parser *ps, struct xnode *x, const char *name);
static struct xnode *reach(struct xnode *inner, const struct varloc *el, int64_t off);

/* After '*': an optional cast "(type*)", then "(E [+-] k)" or a name. */
static struct xnode *parse_deref(struct parser *ps)
{
    struct xnode *x = node(X_DEREF);
    x->hex = true;
    const char *save = ps->p;
    char name[64];
    if (eat(ps, "(") && ident(ps, name, sizeof name)) {
        int size;
        bool sg, hex;
        if (cast_type(name, &size, &sg, &hex) && eat(ps, "*") && eat(ps, ")")) {
            x->size = size;
            x->is_signed = sg;
            x->hex = hex;
        } else {
            ps->p = save;
        }
    } else {
        ps->p = save;
    }
    bool cast = ps->p != save;
    if (eat(ps, "(")) {
        x->inner = parse_value(ps);
        int64_t k;
        if (eat(ps, "+")) {
            if (!number(ps, &k))
                fail(ps, "a number must follow + in a dereference");
            x->off = k;
        } else if (eat(ps, "-")) {
            if (!number(ps, &k))
                fail(ps, "a number must follow - in a dereference");
            x->off = -k;
        }
        if (!eat(ps, ")"))
            fail(ps, "missing ) in a dereference");
    } else {
        x->inner = parse_value(ps);
    }
    /* A typed pointer, as in C: *(p + k) steps by what p points to and,
     * without a cast, is that (p[k]); registers and void * step by bytes. */
    const struct xnode *in = x->inner;
    struct varloc el;
    if (!ps->failed && in->typed && in->vl.is_pointer && in->vl.elem_size) {
        int64_t k = x->off, stride = (int64_t)in->vl.elem_size;
        char why[200];
        if (cast) {
            x->off = k * stride;
        } else if (varloc_index(ps->site->di, &in->vl, &el, why, sizeof why) == 0) {
            struct xnode *inner = x->inner;
            x->inner = 0;
            free_node(x);
            return reach(inner, &el, k * stride);
        }
    }
    return x;
}

static struct xnode *parse_value(struct parser *ps)
{
    if (ps->failed)
        return node(X_CONST);
    if (eat(ps, "*"))
        return parse_deref(ps);
    if (eat(ps, "(")) {
        /* (type)E: a C cast to one of the cast names, else a group */
        const char *save = ps->p;
        char tname[32];
        int size;
        bool sg, hex;
        bool is_name = ident(ps, tname, sizeof tname) > 0;
        /* (str)E, (ustr)E: the text at address E, in kernel or user memory */
        int32_t text = !is_name                     ? 0
                       : strcmp(tname, "str") == 0  ? BPF_FUNC_probe_read_kernel_str
                       : strcmp(tname, "ustr") == 0 ? BPF_FUNC_probe_read_user_str
                                                    : 0;
        if (text && eat(ps, ")")) {
            struct xnode *c = node(X_CAST);
            c->inner = parse_value(ps);
            c->text_helper = text;
            c->hex = true;
            return c;
        }
        ps->p = save;
        is_name = ident(ps, tname, sizeof tname) > 0;
        if (is_name && cast_type(tname, &size, &sg, &hex) && eat(ps, ")")) {
            struct xnode *c = node(X_CAST);
            c->inner = parse_value(ps);
            c->size = size;
            c->is_signed = sg;
            c->hex = hex;
            return c;
        }
        ps->p = save;
        struct xnode *x = parse_expr(ps);
        if (!eat(ps, ")"))
            fail(ps, "missing )");
        return x;
    }
    skip_ws(ps);
    const char *digits = ps->p + (*ps->p == '-');
    size_t nd = strspn(digits, "0123456789");
    if (nd && (digits[nd] == '.' || digits[nd] == 'e' || digits[nd] == 'E') &&
        strncmp(digits, "0x", 2) != 0) {
        fail(ps, "floating point (%.*s) is not supported in eBPF",
             (int)strspn(ps->p, "-0123456789.eE"), ps->p);
        return node(X_CONST);
    }
    int64_t v;
    if (number(ps, &v)) {
        struct xnode *x = node(X_CONST);
        x->c = v;
        x->is_signed = v < 0;
        return x;
    }
    char name[128];
    if (!ident(ps, name, sizeof name)) {
        fail(ps, "cannot read an expression at \"%.20s\"", ps->p);
        return node(X_CONST);
    }
    /* pid, comm and time are the event's, unless a local or parameter of
     * that name is in scope there (Rust's exec_commit(path, pid, satp)):
     * as in GDB, and in the language, the nearest name wins. */
    struct varloc local;
    bool is_local = ps->site->di &&
                    varloc_find(ps->site->di, ps->site->pc, name, &local, 0, 0) == 0 &&
                    local.kind != VARLOC_ADDR;
    if (!strcmp(name, "pid") && !is_local)
        return node(X_PID);
    if (!strcmp(name, "comm") && !is_local)
        return node(X_COMM);
    if (!strcmp(name, "time") && !is_local)
        return node(X_TIME);
    int reg = rv_reg_index(name, strlen(name));
    if (reg >= 0) {
        struct xnode *x = node(X_REG);
        x->reg = reg;
        x->hex = true;
        return x;
    }
    if (!strcmp(name, "zero") || !strcmp(name, "x0"))
        return node(X_CONST);
    struct xnode *x = node(X_VAR);
    char why[200];
    if (!ps->site->di ||
        varloc_find(ps->site->di, ps->site->pc, name, &x->vl, why, sizeof why) < 0) {
        fail(ps, "{%s}: %s", name, ps->site->di ? why : "no debug information here");
        return x;
    }
    x->typed = true;
    x->size = x->vl.shape == VARLOC_SCALAR ? x->vl.size : 8;
    x->is_signed = x->vl.is_signed;
    x->hex = x->vl.is_pointer;
    return parse_postfix(ps, x, name);
}

/* What p->m, s.m or a[i] reaches, typed by el: read it (a number, a
 * pointer), or only compute where it is (a struct, an array). */
static struct xnode *reach(struct xnode *inner, const struct varloc *el, int64_t off)
{
    struct xnode *d = node(X_DEREF);
    d->inner = inner;
    d->vl = *el;
    d->typed = true;
    d->off = off;
    d->addr_only = el->shape != VARLOC_SCALAR;
    d->size = el->shape == VARLOC_SCALAR ? el->size : 8;
    d->is_signed = el->is_signed;
    d->hex = el->is_pointer;
    return d;
}

/* After a typed value: ->member (through a pointer), .member (of a struct
 * in memory) and [index] (of an array or a pointer), in any sequence, each
 * typed by DWARF.  name: the expression so far, for the reasons. */
static struct xnode *parse_postfix(struct parser *ps, struct xnode *x, const char *name)
{
    char so_far[256], why[200];
    snprintf(so_far, sizeof so_far, "%s", name);
    for (;;) {
        if (ps->failed)
            return x;
        bool arrow = eat(ps, "->");
        if (arrow || eat(ps, ".")) {
            char member[128];
            if (!ident(ps, member, sizeof member)) {
                fail(ps, "{%s}: a member name must follow %s", so_far, arrow ? "->" : ".");
                return x;
            }
            struct varloc m;
            /* Rust's . reaches through references and pointers
             * (auto-deref: self.cur where self: &mut Fib). */
            bool deref = arrow || (x->vl.rust && x->vl.is_pointer);
            if (arrow && !x->vl.is_pointer) {
                fail(ps, "{%s->%s}: %s is not a pointer (use .)", so_far, member, so_far);
                return x;
            }
            if (!deref && x->vl.shape != VARLOC_STRUCT) {
                fail(ps, "{%s.%s}: %s is not a struct%s", so_far, member, so_far,
                     x->vl.is_pointer ? " (use ->)" : "");
                return x;
            }
            if (varloc_member(ps->site->di, &x->vl, member, &m, why, sizeof why) < 0) {
                fail(ps, "{%s%s%s}: %s", so_far, arrow ? "->" : ".", member, why);
                return x;
            }
            x = reach(x, &m, m.offset);
            size_t used = strlen(so_far);
            snprintf(so_far + used, sizeof so_far - used, "%s%s", arrow ? "->" : ".", member);
        } else if (eat(ps, "[")) {
            struct xnode *index = parse_expr(ps);
            if (!ps->failed && !eat(ps, "]"))
                fail(ps, "{%s[...}: missing ]", so_far);
            struct varloc el;
            if (!ps->failed && varloc_index(ps->site->di, &x->vl, &el, why, sizeof why) < 0)
                fail(ps, "{%s[...]}: %s", so_far, why);
            if (ps->failed) {
                free_node(index);
                return x;
            }
            int64_t stride = (int64_t)x->vl.elem_size;
            if (index->k == X_CONST) { /* a[3]: a fixed offset */
                x = reach(x, &el, index->c * stride);
                free_node(index);
            } else {
                x = reach(x, &el, 0);
                x->index = index;
                x->stride = stride;
            }
            size_t used = strlen(so_far);
            snprintf(so_far + used, sizeof so_far - used, "[]");
        } else {
            return x;
        }
    }
}

/* Binary operators of C, by C's precedence (higher binds tighter).  A
 * token must not be the start of a longer one: & of &&, | of ||, - of ->,
 * < and > of comparisons. */
static const struct binop {
    const char *tok;
    uint8_t op;
    int prec;
    const char *not_before;
} binops[] = {
    {"*", BPF_MUL, 6, ""},   {"/", BPF_DIV, 6, ""},  {"%", BPF_MOD, 6, ""},
    {"+", BPF_ADD, 5, ""},   {"-", BPF_SUB, 5, ">"}, {"<<", BPF_LSH, 4, "="},
    {">>", BPF_RSH, 4, "="}, {"&", BPF_AND, 3, "&"}, {"^", BPF_XOR, 2, ""},
    {"|", BPF_OR, 1, "|"},
};

static const struct binop *next_binop(struct parser *ps, int min_prec)
{
    skip_ws(ps);
    for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++) {
        size_t n = strlen(binops[i].tok);
        if (binops[i].prec >= min_prec && strncmp(ps->p, binops[i].tok, n) == 0 &&
            (!ps->p[n] || !strchr(binops[i].not_before, ps->p[n]) || !*binops[i].not_before))
            return &binops[i];
    }
    return 0;
}

/* Precedence climbing over values.  A typed pointer plus or minus a number
 * steps by what it points to, as in C; everything else is 64-bit integer
 * arithmetic, signed if a side is (division, remainder, >>). */
static struct xnode *parse_binary(struct parser *ps, int min_prec)
{
    struct xnode *x = parse_value(ps);
    const struct binop *b;
    while (!ps->failed && (b = next_binop(ps, min_prec))) {
        ps->p += strlen(b->tok);
        struct xnode *rhs = parse_binary(ps, b->prec + 1);
        struct xnode *n = node(X_BINOP);
        n->inner = x;
        n->rhs = rhs;
        n->op = b->op;
        n->is_signed = x->is_signed || rhs->is_signed;
        n->hex = x->hex;
        n->stride = 1;
        if ((b->op == BPF_ADD || b->op == BPF_SUB) && x->typed && x->vl.is_pointer &&
            !(rhs->typed && rhs->vl.is_pointer) && x->vl.elem_size > 1)
            n->stride = (int64_t)x->vl.elem_size;
        x = n;
    }
    return x;
}

static struct xnode *parse_expr(struct parser *ps)
{
    return parse_binary(ps, 1);
}

/* ---- code ---- */

struct emitter {
    struct bpfgen *g;
    int32_t read_helper, read_str_helper;
    int ntemps;
    bool too_many_temps;
    int fails[64]; /* jumps to the program's end: condition false */
    int nfails;
};

/* Read size bytes from the address in r3 into the slot at off (zero first:
 * a failed read leaves zeros, and the verifier wants initialised stack). */
static void emit_read(struct emitter *e, int16_t off, int size)
{
    bpfgen_st_imm(e->g, BPF_DW, R10, off, 0);
    bpfgen_mov_reg(e->g, R1, R10);
    bpfgen_alu_imm(e->g, BPF_ADD, R1, off);
    bpfgen_mov_imm(e->g, R2, size);
    bpfgen_call(e->g, e->read_helper);
}

/* Load the slot into reg, sign-extended when the value is signed and short. */
static void load_operand(struct emitter *e, const struct xnode *x, int reg, int16_t off)
{
    bpfgen_ldx(e->g, BPF_DW, reg, R10, off);
    if (x->is_signed && x->size < 8) {
        bpfgen_alu_imm(e->g, BPF_LSH, reg, 64 - 8 * x->size);
        bpfgen_alu_imm(e->g, BPF_ARSH, reg, 64 - 8 * x->size);
    }
}

/* A temporary slot. */
static int16_t temp(struct emitter *e)
{
    if (e->ntemps == TEMP_MAX) {
        e->too_many_temps = true;
        return SLOT_OFF(TEMP_FIRST + TEMP_MAX - 1); /* keep emitting; compile refuses */
    }
    return SLOT_OFF(TEMP_FIRST + e->ntemps++);
}

/* Is x text: a char * or a char array? */
static bool is_text(const struct xnode *x)
{
    return (x->typed && (x->vl.is_string || x->vl.is_str_slice)) || x->text_helper;
}

/* A Rust &str (x: its struct, whose address is in the slot at t) into the
 * zeroed bytes at dst: min(length, bytes - 1) bytes from data_ptr, so a NUL
 * stays after them (the string has none of its own). */
static void emit_str_slice_read(struct emitter *e, const struct xnode *x, int16_t t, int16_t dst,
                                int bytes)
{
    struct bpfgen *g = e->g;
    int16_t ptr = temp(e), len = temp(e);
    bpfgen_ldx(g, BPF_DW, R3, R10, t);
    bpfgen_alu_imm(g, BPF_ADD, R3, (int32_t)x->vl.str_ptr_off);
    emit_read(e, ptr, 8);
    bpfgen_ldx(g, BPF_DW, R3, R10, t);
    bpfgen_alu_imm(g, BPF_ADD, R3, (int32_t)x->vl.str_len_off);
    emit_read(e, len, 8);
    bpfgen_mov_reg(g, R1, R10);
    bpfgen_alu_imm(g, BPF_ADD, R1, dst);
    /* The size is bounded for the verifier: at most bytes - 1. */
    bpfgen_ldx(g, BPF_DW, R2, R10, len);
    int fits = bpfgen_jmp_imm(g, BPF_JLE, R2, bytes - 1);
    bpfgen_mov_imm(g, R2, bytes - 1);
    bpfgen_land(g, fits);
    bpfgen_ldx(g, BPF_DW, R3, R10, ptr);
    bpfgen_call(g, e->read_helper);
}

/* The value of x, zero-extended to 64 bits, into the stack slot at off.
 * The value of a struct or an array is its address. */
static void emit_value(struct emitter *e, const struct xnode *x, int16_t off)
{
    struct bpfgen *g = e->g;
    switch (x->k) {
    case X_REG:
        bpfgen_ldx(g, BPF_DW, R0, R6, (int16_t)(8 * x->reg));
        bpfgen_stx(g, BPF_DW, R10, off, R0);
        break;
    case X_VAR:
        if (x->vl.shape != VARLOC_SCALAR) { /* in memory (varloc_find): its address */
            if (x->vl.kind == VARLOC_ADDR) {
                bpfgen_ld_imm64(g, R0, x->vl.addr);
            } else {
                bpfgen_ldx(g, BPF_DW, R0, R6, (int16_t)(8 * x->vl.reg));
                bpfgen_alu_imm(g, BPF_ADD, R0, (int32_t)x->vl.offset);
            }
            bpfgen_stx(g, BPF_DW, R10, off, R0);
        } else if (x->vl.kind == VARLOC_REG) {
            bpfgen_ldx(g, BPF_DW, R0, R6, (int16_t)(8 * x->vl.reg));
            if (x->size < 8) { /* only the variable's bytes */
                bpfgen_alu_imm(g, BPF_LSH, R0, 64 - 8 * x->size);
                bpfgen_alu_imm(g, BPF_RSH, R0, 64 - 8 * x->size);
            }
            bpfgen_stx(g, BPF_DW, R10, off, R0);
        } else if (x->vl.kind == VARLOC_ADDR) { /* a global: a fixed address */
            bpfgen_ld_imm64(g, R3, x->vl.addr);
            emit_read(e, off, x->size);
        } else {
            bpfgen_ldx(g, BPF_DW, R3, R6, (int16_t)(8 * x->vl.reg));
            if (x->vl.offset)
                bpfgen_alu_imm(g, BPF_ADD, R3, (int32_t)x->vl.offset);
            emit_read(e, off, x->size);
        }
        break;
    case X_DEREF: {
        emit_value(e, x->inner, off);
        int16_t t = 0;
        if (x->index) {
            t = temp(e);
            emit_value(e, x->index, t);
        }
        bpfgen_ldx(g, BPF_DW, R3, R10, off);
        if (x->index) { /* + index * stride, the index signed by its type */
            load_operand(e, x->index, R0, t);
            bpfgen_alu_imm(g, BPF_MUL, R0, (int32_t)x->stride);
            bpfgen_alu_reg(g, BPF_ADD, R3, R0);
        }
        if (x->off)
            bpfgen_alu_imm(g, BPF_ADD, R3, (int32_t)x->off);
        if (x->addr_only)
            bpfgen_stx(g, BPF_DW, R10, off, R3);
        else
            emit_read(e, off, x->size);
        break;
    }
    case X_BINOP: {
        emit_value(e, x->inner, off);
        int16_t t = temp(e);
        emit_value(e, x->rhs, t);
        load_operand(e, x->inner, R1, off);
        load_operand(e, x->rhs, R2, t);
        if (x->stride > 1)
            bpfgen_alu_imm(g, BPF_MUL, R2, (int32_t)x->stride);
        bool sg = x->is_signed;
        if (sg && (x->op == BPF_DIV || x->op == BPF_MOD)) /* sdiv, smod: offset 1 (RFC 9669 4.1) */
            bpfgen_insn(g, BPF_ALU64 | x->op | BPF_X, R1, R2, 1, 0);
        else
            bpfgen_alu_reg(g, sg && x->op == BPF_RSH ? BPF_ARSH : x->op, R1, R2);
        bpfgen_stx(g, BPF_DW, R10, off, R1);
        break;
    }
    case X_CAST: /* keep the low size bytes, sign- or zero-extended */
        emit_value(e, x->inner, off);
        bpfgen_ldx(g, BPF_DW, R0, R10, off);
        if (x->size < 8) {
            bpfgen_alu_imm(g, BPF_LSH, R0, 64 - 8 * x->size);
            bpfgen_alu_imm(g, x->is_signed ? BPF_ARSH : BPF_RSH, R0, 64 - 8 * x->size);
        }
        bpfgen_stx(g, BPF_DW, R10, off, R0);
        break;
    case X_PID:
        bpfgen_call(g, BPF_FUNC_get_current_pid_tgid);
        bpfgen_alu_imm(g, BPF_LSH, R0, 32); /* the low half is the thread id */
        bpfgen_alu_imm(g, BPF_RSH, R0, 32);
        bpfgen_stx(g, BPF_DW, R10, off, R0);
        break;
    case X_TIME:
        bpfgen_call(g, BPF_FUNC_ktime_get_ns);
        bpfgen_stx(g, BPF_DW, R10, off, R0);
        break;
    case X_CONST:
    case X_COMM:
        bpfgen_ld_imm64(g, R0, (uint64_t)x->c);
        bpfgen_stx(g, BPF_DW, R10, off, R0);
        break;
    }
}

/* How a value is used: printed, as a number (conditions, indexes), or
 * only reached into (the pointer of ->, the struct of ., the array of []). */
enum use { USE_MESSAGE, USE_NUMBER, USE_BASE };

static bool check_value(struct parser *ps, const struct xnode *x, enum use use)
{
    if (x->k == X_COMM && use == USE_MESSAGE)
        return true;
    if (x->k == X_COMM) {
        fail(ps, "comm can only be compared with a string (comm == \"name\")");
        return false;
    }
    if (x->k == X_TIME && use != USE_MESSAGE) {
        fail(ps, "time cannot be used in a condition");
        return false;
    }
    if (use != USE_BASE && x->typed && x->vl.shape != VARLOC_SCALAR &&
        !(use == USE_MESSAGE && (x->vl.is_string || x->vl.is_str_slice))) {
        /* Rust's structs, enums, Option, Vec, slices, arrays: GDB knows
         * how to print them, so the logpoint goes there (the caller falls
         * back and says this). */
        if (x->vl.rust)
            fail(ps, "%s cannot be read by an eBPF logpoint", x->vl.type_name);
        else
            fail(ps, "a %s of %d bytes: print its members or elements", x->vl.type_name,
                 x->vl.size);
        return false;
    }
    if (x->index && !check_value(ps, x->index, USE_NUMBER))
        return false;
    if (x->k == X_BINOP)
        return check_value(ps, x->inner, USE_NUMBER) && check_value(ps, x->rhs, USE_NUMBER);
    if (x->k == X_CAST)
        return check_value(ps, x->inner, USE_NUMBER);
    if (x->k == X_DEREF || x->k == X_VAR)
        return x->inner ? check_value(ps, x->inner, USE_BASE) : true;
    return true;
}

/* comm == "name", or text == "name": the current comm (16 bytes, zero
 * padded), or the text x is (read with its NUL into zeroed bytes, one more
 * than 16 so that a longer text differs), against the string as two 64-bit
 * words.  Result (0/1) in r0. */
static void emit_text_compare(struct emitter *e, const struct xnode *x, const char *want,
                              bool equal)
{
    struct bpfgen *g = e->g;
    int16_t t = 0;
    if (x) {
        t = temp(e);
        emit_value(e, x, t);
    }
    uint8_t buf[16] = {0};
    memcpy(buf, want, strlen(want) < 15 ? strlen(want) : 15);
    uint64_t w0, w1;
    memcpy(&w0, buf, 8);
    memcpy(&w1, buf + 8, 8);
    for (int i = 0; i < TEXT_READ; i += 8)
        bpfgen_st_imm(g, BPF_DW, R10, (int16_t)(TEXT_OFF + i), 0);
    bpfgen_mov_reg(g, R1, R10);
    bpfgen_alu_imm(g, BPF_ADD, R1, TEXT_OFF);
    if (x && x->typed && x->vl.is_str_slice) {
        emit_str_slice_read(e, x, t, TEXT_OFF, TEXT_READ);
    } else if (x) {
        bpfgen_mov_imm(g, R2, TEXT_READ);
        bpfgen_ldx(g, BPF_DW, R3, R10, t);
        bpfgen_call(g, x->text_helper ? x->text_helper : e->read_str_helper);
    } else {
        bpfgen_mov_imm(g, R2, 16);
        bpfgen_call(g, BPF_FUNC_get_current_comm);
    }
    bpfgen_mov_imm(g, R0, equal ? 0 : 1);
    bpfgen_ldx(g, BPF_DW, R1, R10, TEXT_OFF);
    bpfgen_ld_imm64(g, R2, w0);
    int j1 = bpfgen_jmp_reg(g, BPF_JNE, R1, R2);
    bpfgen_ldx(g, BPF_DW, R1, R10, TEXT_OFF + 8);
    bpfgen_ld_imm64(g, R2, w1);
    int j2 = bpfgen_jmp_reg(g, BPF_JNE, R1, R2);
    bpfgen_mov_imm(g, R0, equal ? 1 : 0);
    bpfgen_land(g, j1);
    bpfgen_land(g, j2);
}

/* One comparison; its truth (0/1) ends in r0. */
static void compare(struct parser *ps, struct emitter *e)
{
    struct bpfgen *g = e->g;
    skip_ws(ps);
    struct xnode *a = parse_expr(ps);
    static const struct {
        const char *tok;
        uint8_t op, sop;
    } ops[] = {{"==", BPF_JEQ, BPF_JEQ},  {"!=", BPF_JNE, BPF_JNE}, {"<=", BPF_JLE, BPF_JSLE},
               {">=", BPF_JGE, BPF_JSGE}, {"<", BPF_JLT, BPF_JSLT}, {">", BPF_JGT, BPF_JSGT}};
    int op = -1;
    for (int i = 0; i < 6 && !ps->failed; i++) {
        if (eat(ps, ops[i].tok)) {
            op = i;
            break;
        }
    }
    skip_ws(ps);
    if (a->k == X_COMM || (is_text(a) && *ps->p == '"')) {
        if (op < 0 || op > 1 || *ps->p != '"') {
            fail(ps, "comm can only be compared with == or != and a \"string\"");
            free_node(a);
            return;
        }
        if (a->k != X_COMM && !check_value(ps, a, USE_BASE)) {
            free_node(a);
            return;
        }
        const char *start = ++ps->p, *end = strchr(start, '"');
        if (!end || end - start > 15) {
            fail(ps, "%s is compared with a quoted string of at most 15 bytes",
                 a->k == X_COMM ? "a process name" : "text");
            free_node(a);
            return;
        }
        char want[16];
        snprintf(want, sizeof want, "%.*s", (int)(end - start), start);
        ps->p = end + 1;
        emit_text_compare(e, a->k == X_COMM ? 0 : a, want, op == 0);
        free_node(a);
        return;
    }
    struct xnode *b = 0;
    if (op >= 0)
        b = parse_expr(ps);
    if (ps->failed || !check_value(ps, a, USE_NUMBER) || (b && !check_value(ps, b, USE_NUMBER))) {
        free_node(a);
        free_node(b);
        return;
    }
    int16_t ta = temp(e), tb = temp(e);
    emit_value(e, a, ta);
    if (b)
        emit_value(e, b, tb);
    load_operand(e, a, R1, ta);
    if (b)
        load_operand(e, b, R2, tb);
    else
        bpfgen_mov_imm(g, R2, 0);
    bool sg = a->is_signed || (b && b->is_signed);
    uint8_t jop = op < 0 ? BPF_JNE : sg ? ops[op].sop : ops[op].op;
    bpfgen_mov_imm(g, R0, 1);
    int j = bpfgen_jmp_reg(g, jop, R1, R2);
    bpfgen_mov_imm(g, R0, 0);
    bpfgen_land(g, j);
    free_node(a);
    free_node(b);
}

/* cond := and ('||' and)* ; and := cmp ('&&' cmp)*.  Every comparison is
 * evaluated (reads cannot fault: probe_read returns an error instead);
 * r8 accumulates the &&, r9 the ||.  False: jump to the end. */
static void emit_condition(struct parser *ps, struct emitter *e)
{
    struct bpfgen *g = e->g;
    bpfgen_mov_imm(g, R9, 0);
    do {
        bpfgen_mov_imm(g, R8, 1);
        do {
            compare(ps, e);
            bpfgen_alu_reg(g, BPF_AND, R8, R0);
        } while (!ps->failed && eat(ps, "&&"));
        bpfgen_alu_reg(g, BPF_OR, R9, R8);
    } while (!ps->failed && eat(ps, "||"));
    skip_ws(ps);
    if (!ps->failed && *ps->p)
        fail(ps, "unexpected \"%.20s\" in the condition", ps->p);
    e->fails[e->nfails++] = bpfgen_jmp_imm(g, BPF_JEQ, R9, 0);
}

/* "N", "== N", ">= N", "> N", "% N" (as the adapter's GDB logpoints read
 * them: a plain number is the N-th hit only). */
static int parse_hit_condition(const char *s, uint8_t *op, int64_t *n)
{
    while (isspace((unsigned char)*s))
        s++;
    struct parser ps = {.s = s, .p = s};
    if (eat(&ps, ">="))
        *op = BPF_JGE;
    else if (eat(&ps, ">"))
        *op = BPF_JGT;
    else if (eat(&ps, "<="))
        *op = BPF_JLE;
    else if (eat(&ps, "<"))
        *op = BPF_JLT;
    else if (eat(&ps, "%"))
        *op = BPF_MOD;
    else if (eat(&ps, "=="))
        *op = BPF_JEQ;
    else
        *op = BPF_JEQ;
    if (!number(&ps, n) || *n < 0 || *n > INT32_MAX || (*op == BPF_MOD && *n == 0))
        return -1;
    skip_ws(&ps);
    return *ps.p ? -1 : 0;
}

/* Count the hit in hits[0]; go on only when the hit condition holds. */
static void emit_hit_condition(struct emitter *e, int map, uint8_t op, int64_t n)
{
    struct bpfgen *g = e->g;
    bpfgen_st_imm(g, BPF_W, R10, KEY_OFF, 0);
    bpfgen_ld_map(g, R1, map);
    bpfgen_mov_reg(g, R2, R10);
    bpfgen_alu_imm(g, BPF_ADD, R2, KEY_OFF);
    bpfgen_call(g, BPF_FUNC_map_lookup_elem);
    e->fails[e->nfails++] = bpfgen_jmp_imm(g, BPF_JEQ, R0, 0);
    bpfgen_mov_imm(g, R1, 1);
    bpfgen_atomic_add64(g, R0, 0, R1);
    bpfgen_ldx(g, BPF_DW, R7, R0, 0);
    if (op == BPF_MOD) {
        bpfgen_alu_imm(g, BPF_MOD, R7, (int32_t)n);
        e->fails[e->nfails++] = bpfgen_jmp_imm(g, BPF_JNE, R7, 0);
        return;
    }
    /* Go on if (hits op n): jump over the fail jump. */
    int ok = bpfgen_jmp_imm(g, op, R7, (int32_t)n);
    e->fails[e->nfails++] = bpfgen_ja(g);
    bpfgen_land(g, ok);
}

static struct logprog_seg *add_seg(struct logprog *lp, enum logprog_seg_kind k, const char *text,
                                   size_t n, int slot, int size)
{
    static struct logprog_seg spare;
    if (lp->nsegs == LOGPROG_MAX_SEGS)
        return &spare;
    struct logprog_seg *s = &lp->segs[lp->nsegs++];
    s->kind = k;
    s->text = text ? strndup(text, n) : 0;
    s->slot = slot;
    s->size = size;
    s->cut = false;
    return s;
}

/* The text x is (a char *'s, a char array's) into the record: zeroed slots,
 * then at most bytes - 1 bytes and a NUL (bpf_probe_read_*_str). */
static void emit_text(struct emitter *e, const struct xnode *x, int16_t dst, int bytes)
{
    struct bpfgen *g = e->g;
    int16_t t = temp(e);
    emit_value(e, x, t);
    for (int i = 0; i < bytes; i += 8)
        bpfgen_st_imm(g, BPF_DW, R10, (int16_t)(dst + i), 0);
    if (x->typed && x->vl.is_str_slice) {
        emit_str_slice_read(e, x, t, dst, bytes);
        return;
    }
    bpfgen_mov_reg(g, R1, R10);
    bpfgen_alu_imm(g, BPF_ADD, R1, dst);
    bpfgen_mov_imm(g, R2, bytes);
    bpfgen_ldx(g, BPF_DW, R3, R10, t);
    bpfgen_call(g, x->text_helper ? x->text_helper : e->read_str_helper);
}

int logprog_compile(struct logprog *lp, const char *message, const char *condition,
                    const char *hit_condition, const struct logprog_site *site, char *why,
                    size_t whylen)
{
    memset(lp, 0, sizeof *lp);
    bpfgen_init(&lp->gen);
    struct bpfgen *g = &lp->gen;
    int events = bpfgen_map(g, "events", BPF_MAP_TYPE_RINGBUF, 0, 0, RINGBUF_SIZE);
    int hits = bpfgen_map(g, "hits", BPF_MAP_TYPE_ARRAY, 4, 8, 1);
    char section[BPFGEN_NAME_MAX];
    snprintf(section, sizeof section, "%s/%s", site->user ? "uprobe" : "kprobe", LOGPROG_NAME);
    bpfgen_prog(g, LOGPROG_NAME, section);
    struct emitter e = {.g = g,
                        .read_helper =
                            site->user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel,
                        .read_str_helper = site->user ? BPF_FUNC_probe_read_user_str
                                                      : BPF_FUNC_probe_read_kernel_str};
    struct parser ps = {.site = site, .why = why, .whylen = whylen};
    bpfgen_mov_reg(g, R6, R1);

    if (condition && *condition) {
        ps.s = ps.p = condition;
        emit_condition(&ps, &e);
        if (ps.failed) {
            char inner[256];
            snprintf(inner, sizeof inner, "%s", why);
            snprintf(why, whylen, "condition: %s", inner);
            logprog_free(lp);
            return -1;
        }
    }
    if (hit_condition && *hit_condition) {
        uint8_t op;
        int64_t n;
        if (parse_hit_condition(hit_condition, &op, &n) < 0) {
            snprintf(why, whylen,
                     "hit condition \"%s\": want N, == N, >= N, > N, <= N, < N or %% N",
                     hit_condition);
            logprog_free(lp);
            return -1;
        }
        emit_hit_condition(&e, hits, op, n);
    }

    /* The message: text, and values in record slots. */
    for (const char *p = message; *p;) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : 0;
        if (!open || !close) {
            add_seg(lp, LP_TEXT, p, strlen(p), 0, 0);
            break;
        }
        if (open > p)
            add_seg(lp, LP_TEXT, p, (size_t)(open - p), 0, 0);
        char expr[256];
        snprintf(expr, sizeof expr, "%.*s", (int)(close - open - 1), open + 1);
        ps.s = ps.p = expr;
        struct xnode *x = parse_expr(&ps);
        skip_ws(&ps);
        if (!ps.failed && *ps.p)
            fail(&ps, "{%s}: unexpected \"%s\"", expr, ps.p);
        check_value(&ps, x, USE_MESSAGE);
        if (ps.failed && why[0] != '{') { /* say which value */
            char inner[256];
            snprintf(inner, sizeof inner, "%s", why);
            snprintf(why, whylen, "{%s}: %s", expr, inner);
        }
        if (ps.failed) {
            free_node(x);
            logprog_free(lp);
            return -1;
        }
        /* Text: a char array's own length and its NUL, else up to
         * LOGPROG_STR_SLOTS slots (a longer one is cut, and says so). */
        int bytes = 8, slots = 1;
        bool cut = false;
        if (is_text(x)) {
            uint64_t own = x->vl.shape == VARLOC_ARRAY && x->vl.count ? x->vl.count + 1 : 0;
            bytes = own && own <= 8 * LOGPROG_STR_SLOTS ? (int)own : 8 * LOGPROG_STR_SLOTS;
            cut = !own || own > 8 * LOGPROG_STR_SLOTS;
            slots = (bytes + 7) / 8;
        }
        if (x->k == X_PID || x->k == X_COMM || x->k == X_TIME) {
            add_seg(lp, x->k == X_PID ? LP_PID : x->k == X_COMM ? LP_COMM : LP_TIME, 0, 0, 0, 0);
        } else if (lp->nslots + slots > LOGPROG_MAX_SLOTS) {
            free_node(x);
            snprintf(why, whylen, "the values of one message take more than %d bytes",
                     8 * LOGPROG_MAX_SLOTS);
            logprog_free(lp);
            return -1;
        } else if (is_text(x)) {
            int slot = lp->nslots;
            lp->nslots += slots;
            /* The text starts at the lowest address of its slots. */
            emit_text(&e, x, SLOT_OFF(slot + slots - 1), bytes);
            add_seg(lp, LP_TEXT_VALUE, 0, 0, slot, bytes)->cut = cut;
        } else {
            int slot = lp->nslots++;
            emit_value(&e, x, SLOT_OFF(slot));
            add_seg(lp,
                    x->hex                      ? LP_HEX
                    : x->typed && x->vl.is_bool ? LP_BOOL
                    : x->typed && x->vl.is_unicode ? LP_CHAR
                    : x->is_signed                 ? LP_SIGNED
                                                   : LP_UNSIGNED,
                    0, 0, slot, x->size);
        }
        free_node(x);
        p = close + 1;
    }

    /* The record: slots 0..n-1 are at descending addresses; output them
     * from the lowest address, so the record holds them in reverse. */
    int n = lp->nslots ? lp->nslots : 1;
    if (!lp->nslots)
        bpfgen_st_imm(g, BPF_DW, R10, SLOT_OFF(0), 0);
    bpfgen_ld_map(g, R1, events);
    bpfgen_mov_reg(g, R2, R10);
    bpfgen_alu_imm(g, BPF_ADD, R2, SLOT_OFF(n - 1));
    bpfgen_mov_imm(g, R3, 8 * n);
    bpfgen_mov_imm(g, R4, 0);
    bpfgen_call(g, BPF_FUNC_ringbuf_output);
    for (int i = 0; i < e.nfails; i++)
        bpfgen_land(g, e.fails[i]);
    bpfgen_mov_imm(g, R0, 0);
    bpfgen_exit(g);
    if (e.too_many_temps) {
        snprintf(why, whylen, "the message and condition need more than %d temporary values",
                 TEMP_MAX);
        logprog_free(lp);
        return -1;
    }
    if (g->overflow) {
        snprintf(why, whylen, "the message needs a program larger than %d instructions",
                 BPFGEN_MAX_INSNS);
        logprog_free(lp);
        return -1;
    }
    return 0;
}

/* A Rust char (a Unicode scalar value) as Rust's Display writes it: its
 * UTF-8 bytes (RFC 3629 section 3); a control character, or a value no
 * char can hold, as the escape \u{...} of Rust's Debug. */
static void utf8_char(uint32_t c, char *out, size_t cap)
{
    if (c < 0x20 || c == 0x7f || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        snprintf(out, cap, "\\u{%x}", c);
        return;
    }
    /* Bytes after the first: 0, 1, 2 or 3, six bits each under 10xxxxxx. */
    int more = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
    static const uint8_t lead[4] = {0x00, 0xc0, 0xe0, 0xf0};
    unsigned char *o = (unsigned char *)out;
    o[0] = (unsigned char)(lead[more] | c >> (6 * more));
    for (int i = 1; i <= more; i++)
        o[i] = (unsigned char)(0x80 | (c >> (6 * (more - i)) & 0x3f));
    o[more + 1] = 0;
}

char *logprog_format(const struct logprog *lp, const void *data, size_t len, uint32_t pid,
                     const char *comm, double seconds)
{
    size_t cap = 256, n = 0;
    char *out = malloc(cap);
    int nrec = lp->nslots ? lp->nslots : 1;
    for (int i = 0; i < lp->nsegs; i++) {
        const struct logprog_seg *s = &lp->segs[i];
        char num[64];
        const char *piece = num;
        uint64_t v = 0;
        if (s->kind == LP_HEX || s->kind == LP_SIGNED || s->kind == LP_UNSIGNED ||
            s->kind == LP_BOOL || s->kind == LP_CHAR) {
            size_t at = (size_t)(nrec - 1 - s->slot) * 8; /* reversed, see above */
            if (at + 8 <= len)
                memcpy(&v, (const uint8_t *)data + at, 8);
        }
        char text[8 * LOGPROG_STR_SLOTS * 4 + 8];
        switch (s->kind) {
        case LP_TEXT:
            piece = s->text;
            break;
        case LP_TEXT_VALUE: {
            /* The slots from slot + slots - 1 (lowest address, so first in
             * the reversed record) on; printable ASCII, else C escapes. */
            int slots = (s->size + 7) / 8;
            size_t at = (size_t)(nrec - (s->slot + slots)) * 8, k = 0;
            const uint8_t *b = (const uint8_t *)data + at;
            int i = 0;
            for (; i < s->size && at + (size_t)i < len && b[i]; i++) {
                uint8_t c = b[i];
                if (c >= 32 && c < 127)
                    text[k++] = (char)c;
                else if (c == '\n')
                    k += (size_t)snprintf(text + k, sizeof text - k, "\\n");
                else
                    k += (size_t)snprintf(text + k, sizeof text - k, "\\x%02x", c);
            }
            text[k] = 0;
            if (s->cut && i == s->size - 1) /* as long as it could be: there may be more */
                snprintf(text + k, sizeof text - k, "...");
            piece = text;
            break;
        }
        case LP_HEX:
            snprintf(num, sizeof num, "0x%llx", (unsigned long long)v);
            break;
        case LP_SIGNED: {
            int shift = 64 - 8 * s->size;
            int64_t sv = shift > 0 && shift < 64 ? (int64_t)(v << shift) >> shift : (int64_t)v;
            snprintf(num, sizeof num, "%lld", (long long)sv);
            break;
        }
        case LP_UNSIGNED:
            snprintf(num, sizeof num, "%llu", (unsigned long long)v);
            break;
        case LP_BOOL:
            piece = v ? "true" : "false";
            break;
        case LP_CHAR:
            utf8_char((uint32_t)v, num, sizeof num);
            break;
        case LP_PID:
            snprintf(num, sizeof num, "%u", pid);
            break;
        case LP_COMM:
            piece = comm;
            break;
        case LP_TIME:
            snprintf(num, sizeof num, "%.6f", seconds);
            break;
        }
        size_t k = strlen(piece);
        if (n + k + 1 > cap) {
            cap = (n + k + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + n, piece, k);
        n += k;
    }
    out[n] = 0;
    return out;
}

void logprog_free(struct logprog *lp)
{
    for (int i = 0; i < lp->nsegs; i++)
        free(lp->segs[i].text);
    lp->nsegs = 0;
}
