/*
 * vmem.c - the verifier's memory rules: every load, store and atomic, and
 * every memory argument of a helper, must fall inside one region of known
 * size: the context (read-only unless declared writable), the current
 * function's or a caller's 512-byte stack (reads only of written bytes), a
 * map value (value_size bytes) or a ring buffer record (its size).
 */
#include "verifier.h"

#define VAR_LIMIT (1ll << 29)

const char *ebpfV_type_name(uint8_t t)
{
    static const char *const names[] = {
        "?",   "scalar",     "ctx", "fp", "map_ptr", "map_value", "map_value_or_null",
        "mem", "mem_or_null"};
    return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static uint32_t region_size(struct verifier *v, const struct vreg *p)
{
    if (p->type == T_MEM)
        return p->size;
    ebpf_map *m = ebpf_map_by_fd(v->vm, p->map);
    return m ? m->def.value_size : 0;
}

/* Checks that [p + off, p + off + size) is inside p's region. */
static int access_ok(struct verifier *v, int regno, const struct vreg *p, int64_t off,
                     uint64_t size, bool write)
{
    int64_t o = (int64_t)p->off + off;
    switch (p->type) {
    case T_NOT_INIT:
        return ebpfV_err(v, "R%d !read_ok", regno);
    case T_CTX:
        if (p->smin || p->smax)
            return ebpfV_err(v, "R%d variable ctx access prohibited", regno);
        if (o < 0 || (uint64_t)o + size > v->opts->ctx_size)
            return ebpfV_err(v, "invalid bpf_context access off=%lld size=%llu", (long long)o,
                             (unsigned long long)size);
        if (write && (!v->opts->ctx_writable ||
                      (v->opts->ctx_wr_len &&
                       (o < v->opts->ctx_wr_off ||
                        (uint64_t)o + size > (uint64_t)v->opts->ctx_wr_off + v->opts->ctx_wr_len))))
            return ebpfV_err(v, "cannot write into ctx off=%lld size=%llu", (long long)o,
                             (unsigned long long)size);
        return 0;
    case T_STACK:
        if (p->smin || p->smax)
            return ebpfV_err(v, "R%d variable stack access prohibited", regno);
        if (o < -BPF_STACK_SIZE || o + (int64_t)size > 0)
            return ebpfV_err(v, "invalid stack off=%lld size=%llu", (long long)o,
                             (unsigned long long)size);
        return 0;
    case T_MAP_VALUE:
    case T_MEM: {
        uint32_t lim = region_size(v, p);
        if (p->type == T_MAP_VALUE) {
            /* a map of maps' "value" is the inner map itself (Linux:
             * CONST_PTR_TO_MAP): a map argument, never memory */
            ebpf_map *m = ebpf_map_by_fd(v->vm, p->map);
            if (m && m->inner)
                return ebpfV_err(v, "R%d is an inner map (map %s): no loads or stores", regno,
                                 m->name);
        }
        if (write && p->type == T_MAP_VALUE) {
            ebpf_map *m = ebpf_map_by_fd(v->vm, p->map);
            if (m && m->prog_rdonly)
                return ebpfV_err(v, "write into map forbidden, value_size=%u off=%lld size=%llu",
                                 lim, (long long)o, (unsigned long long)size);
        }
        if (p->smin < -VAR_LIMIT || p->smax > VAR_LIMIT)
            return ebpfV_err(v,
                             "R%d unbounded memory access, make sure to bounds check any such "
                             "access",
                             regno);
        int64_t lo = o + p->smin, hi = o + p->smax + (int64_t)size;
        if (lo < 0)
            return ebpfV_err(v, "R%d min value is outside of the allowed memory range", regno);
        if (hi > (int64_t)lim) {
            if (p->type == T_MEM)
                return ebpfV_err(v, "invalid access to memory, mem_size=%u off=%lld size=%llu", lim,
                                 (long long)(o + p->smax), (unsigned long long)size);
            return ebpfV_err(v, "invalid access to map value, value_size=%u off=%lld size=%llu",
                             lim, (long long)(o + p->smax), (unsigned long long)size);
        }
        return 0;
    }
    }
    return ebpfV_err(v, "R%d invalid mem access '%s'", regno, ebpfV_type_name(p->type));
}

static struct vframe *stack_frame(struct verifier *v, const struct vreg *p)
{
    return &v->cur->frames[p->frame];
}

static int stack_read_ok(struct verifier *v, const struct vreg *p, int64_t off, uint64_t size)
{
    struct vframe *f = stack_frame(v, p);
    int64_t o = p->off + off;
    for (uint64_t i = 0; i < size; i++)
        if (f->stype[BPF_STACK_SIZE + o + (int64_t)i] == S_INVALID)
            return ebpfV_err(v, "invalid read from stack off %lld+%llu size %llu", (long long)o,
                             (unsigned long long)i, (unsigned long long)size);
    return 0;
}

/*
 * Narrow spills.  clang keeps a variable whose address it passes to a
 * helper (a u32 map key, a loop counter) only in a 4-byte stack slot, so a
 * scalar stored with 1, 2 or 4 bytes keeps its range, as Linux (5.16+)
 * does: a store of a scalar whose value fits in the stored bytes, at an
 * offset aligned to its width, marks just those bytes S_SPILL and keeps
 * the register's state in the slot's spill entry; a load of the same width
 * at the same offset gets it back (zero-extended: the value fits, so it is
 * the same value, and it stays linked to the register it came from).  A
 * constant that does not fit is kept truncated (its bytes are known); any
 * other value that does not fit is plain data.  One spill per slot: a
 * narrow spill beside another turns the older one into plain data.  A
 * store overlapping a spill's bytes turns the whole spill into plain data;
 * a load of another width or offset reads plain data (any value of its
 * width).  A narrow load gets a spilled value back only through r10 (the
 * precision pass, vcfg.c, need not then follow narrow loads through other
 * pointers into every slot).  Pointers are never spilled narrow
 * (check_leak refuses it).
 */

/* The first byte (slot-relative) and width of slot s's spill, 0 if none. */
static uint32_t spill_extent(const struct vframe *f, int64_t s, uint32_t *first)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < 8; k++) {
        if (f->stype[s * 8 + k] != S_SPILL)
            continue;
        if (!n)
            *first = k;
        n++;
    }
    return n;
}

/* Slot s's spill (if any) becomes plain data. */
static void unspill(struct vframe *f, int64_t s)
{
    for (int k = 0; k < 8; k++)
        if (f->stype[s * 8 + k] == S_SPILL)
            f->stype[s * 8 + k] = S_MISC;
    ebpfA_memset(&f->spill[s], 0, sizeof(f->spill[s]));
}

static void mark_written(struct vframe *f, int64_t first)
{
    if (VSLOTS - (uint32_t)(first / 8) > f->written)
        f->written = VSLOTS - (uint32_t)(first / 8);
}

/* Bytes [o, o+size) become plain data; a spilled register whose bytes they
 * touch is lost (its other bytes become plain data too).  A narrow spill
 * they do not touch keeps its value. */
static void stack_scribble(struct vframe *f, int64_t o, uint64_t size)
{
    int64_t first = BPF_STACK_SIZE + o, last = first + (int64_t)size - 1;
    mark_written(f, first);
    for (int64_t s = first / 8; s <= last / 8; s++) {
        uint32_t at = 0, n = spill_extent(f, s, &at);
        int64_t lo = s * 8 + at, hi = lo + n - 1;
        if (n && lo <= last && hi >= first)
            unspill(f, s);
    }
    for (int64_t i = first; i <= last; i++)
        f->stype[i] = S_MISC;
}

void ebpfV_mark_stack_written(struct verifier *v, const struct vreg *p, uint64_t size)
{
    if (p->type == T_STACK && size)
        stack_scribble(stack_frame(v, p), p->off, size);
}

static void stack_spill(struct vframe *f, int64_t o, const struct vreg *val)
{
    int64_t s = (BPF_STACK_SIZE + o) / 8;
    mark_written(f, BPF_STACK_SIZE + o);
    for (int k = 0; k < 8; k++)
        f->stype[s * 8 + k] = S_SPILL;
    f->spill[s] = *val;
}

/* What a narrow store of val keeps in its `size` bytes: true with *out set
 * when it is a known scalar range (see "Narrow spills"). */
static bool narrow_value(const struct vreg *val, uint64_t size, struct vreg *out)
{
    uint64_t mask = (1ull << (8 * size)) - 1;
    if (val->type != T_SCALAR)
        return false;
    if (val->umax <= mask) {
        *out = *val;
        return true;
    }
    if (ebpfV_is_const(val)) { /* truncated, but still known */
        ebpfV_mark_const(out, val->umin & mask);
        return true;
    }
    if (size == 4 && (val->u32min || val->u32max != UINT32_MAX)) {
        ebpfV_mark_range(out, val->u32min, val->u32max); /* the low half's range */
        return true;
    }
    return false;
}

/* A store of `size` < 8 bytes of val at o (see "Narrow spills"). */
static void stack_spill_narrow(struct vframe *f, int64_t o, uint64_t size, const struct vreg *val)
{
    int64_t first = BPF_STACK_SIZE + o, s = first / 8;
    struct vreg kept;
    stack_scribble(f, o, size);
    if (first % (int64_t)size || !narrow_value(val, size, &kept))
        return;
    unspill(f, s); /* one spill per slot */
    for (int64_t i = first; i < first + (int64_t)size; i++)
        f->stype[i] = S_SPILL;
    f->spill[s] = kept;
}

/* A load of `size` bytes at stack byte idx that gets a spilled register
 * back: an 8-byte load of an 8-byte spill, or a narrow one at a spill's
 * first byte, of its width or narrower, when the value fits in the bytes
 * loaded (they are its low bytes: little-endian, RFC 9669 section 5.2
 * loads of any width read memory in host order, and our hosts are
 * little-endian).  A sign-extending load keeps the value only when its top
 * bit is clear. */
static bool stack_fill(const struct vframe *f, int64_t idx, uint64_t size, bool sx,
                       struct vreg *out)
{
    int64_t s = idx / 8;
    uint32_t at = 0, n = spill_extent(f, s, &at);
    const struct vreg *sp = &f->spill[s];
    if (!n || (int64_t)at != idx % 8)
        return false;
    if (size == 8) {
        if (n != 8 || sx)
            return false;
        *out = *sp;
        return true;
    }
    uint64_t limit = sx ? (1ull << (8 * size - 1)) - 1 : (1ull << (8 * size)) - 1;
    if (sp->type != T_SCALAR || n < size || sp->umax > limit)
        return false;
    *out = *sp;
    return true;
}

/* Scalar read of `size` bytes (sign-extended when sx). */
static void loaded_scalar(struct vreg *r, uint64_t size, bool sx)
{
    if (size == 8) {
        ebpfV_mark_unknown(r);
    } else if (!sx) {
        ebpfV_mark_range(r, 0, (1ull << (8 * size)) - 1);
    } else {
        ebpfV_mark_unknown(r);
        r->smin = -(1ll << (8 * size - 1));
        r->smax = (1ll << (8 * size - 1)) - 1;
        ebpfV_sync(NULL, r);
    }
}

static const uint64_t sizes[4] = {4, 2, 1, 8};

static bool is_pointer(const struct vreg *r)
{
    return r->type != T_NOT_INIT && r->type != T_SCALAR;
}

/* Pointer leaks, as Linux refuses them to unprivileged loaders: an address
 * may be kept in a register or spilled whole to the stack, but never
 * stored where user space or another program can read it (a map value,
 * ring buffer memory, the context), never written by an atomic, and never
 * spilled in part (the stack bytes would become plain data, free to copy
 * anywhere). */
static int check_leak(struct verifier *v, const struct ebpf_insn *in, const struct vreg *p,
                      const struct vreg *val, uint64_t size)
{
    if (!is_pointer(val))
        return 0;
    if (BPF_MODE(in->code) == BPF_ATOMIC)
        return ebpfV_err(v, "R%d leaks addr into mem", in->src);
    switch (p->type) {
    case T_MAP_VALUE:
        return ebpfV_err(v, "R%d leaks addr into map", in->src);
    case T_MEM:
        return ebpfV_err(v, "R%d leaks addr into mem", in->src);
    case T_CTX:
        return ebpfV_err(v, "R%d leaks addr into ctx", in->src);
    case T_STACK:
        if (size != 8 || (BPF_STACK_SIZE + p->off + in->off) % 8 != 0)
            return ebpfV_err(v, "R%d leaks addr: invalid size of register spill", in->src);
        return 0;
    }
    return 0;
}

/* A helper reading stack memory [o, o+size) must not see a spilled
 * pointer: map_update_elem would store it in the map (Linux: "leaks addr
 * into map"), ringbuf_output would hand it to user space. */
static int check_stack_leak(struct verifier *v, int regno, const struct vreg *p, uint64_t size)
{
    struct vframe *f = &v->cur->frames[p->frame];
    int64_t first = BPF_STACK_SIZE + p->off, last = first + (int64_t)size - 1;
    for (int64_t s = first / 8; s <= last / 8; s++) {
        if (f->stype[s * 8] != S_SPILL || !is_pointer(&f->spill[s]))
            continue;
        const struct ebpf_insn *in = &v->insns[v->pc];
        bool map = in->code == (BPF_JMP | BPF_CALL) && in->src == 0 &&
                   (in->imm == BPF_FUNC_map_update_elem || in->imm == BPF_FUNC_map_lookup_elem ||
                    in->imm == BPF_FUNC_map_delete_elem);
        return ebpfV_err(v, "R%d leaks addr into %s: fp%lld holds a spilled %s", regno,
                         map ? "map" : "helper memory", (long long)(s * 8 - BPF_STACK_SIZE),
                         ebpfV_type_name(f->spill[s].type));
    }
    return 0;
}

int ebpfV_mem(struct verifier *v, const struct ebpf_insn *in)
{
    struct vframe *f = ebpfV_frame(v);
    uint8_t cls = BPF_CLASS(in->code);
    uint64_t size = sizes[BPF_SIZE(in->code) >> 3];
    int r;
    if (cls == BPF_LDX) {
        const struct vreg *p = &f->regs[in->src];
        bool sx = BPF_MODE(in->code) == BPF_MEMSX;
        if (in->dst == BPF_REG_FP)
            return ebpfV_err(v, "frame pointer is read only");
        if ((r = access_ok(v, in->src, p, in->off, size, false)))
            return r;
        struct vreg val;
        loaded_scalar(&val, size, sx);
        if (p->type == T_STACK) {
            if ((r = stack_read_ok(v, p, in->off, size)))
                return r;
            struct vreg filled;
            if ((size == 8 || in->src == BPF_REG_FP) &&
                stack_fill(stack_frame(v, p), BPF_STACK_SIZE + p->off + in->off, size, sx,
                           &filled))
                val = filled;
        }
        f->regs[in->dst] = val;
        return 0;
    }
    const struct vreg *p = &f->regs[in->dst];
    struct vreg val;
    if (cls == BPF_ST) {
        ebpfV_mark_const(&val, (uint64_t)(int64_t)in->imm);
    } else {
        if (f->regs[in->src].type == T_NOT_INIT)
            return ebpfV_err(v, "R%d !read_ok", in->src);
        val = f->regs[in->src];
    }
    if ((r = check_leak(v, in, p, &val, size)))
        return r;
    if (BPF_MODE(in->code) == BPF_ATOMIC) {
        bool fetch = in->imm & BPF_FETCH;
        if (p->type == T_CTX)
            return ebpfV_err(v, "BPF_ATOMIC stores into R%d ctx is not allowed", in->dst);
        if (in->imm == BPF_CMPXCHG && f->regs[0].type == T_NOT_INIT)
            return ebpfV_err(v, "R0 !read_ok");
        if (fetch && in->imm != BPF_CMPXCHG && in->src == BPF_REG_FP)
            return ebpfV_err(v, "frame pointer is read only");
        if ((r = access_ok(v, in->dst, p, in->off, size, true)))
            return r;
        if (p->type == T_STACK) {
            if ((r = stack_read_ok(v, p, in->off, size)))
                return r;
            stack_scribble(stack_frame(v, p), p->off + in->off, size);
        }
        struct vreg *out = in->imm == BPF_CMPXCHG ? &f->regs[0] : fetch ? &f->regs[in->src] : NULL;
        if (out)
            loaded_scalar(out, size, false);
        return 0;
    }
    if ((r = access_ok(v, in->dst, p, in->off, size, true)))
        return r;
    if (p->type == T_STACK) {
        struct vframe *sf = stack_frame(v, p);
        int64_t o = p->off + in->off;
        /* The spill and the register hold the same value (a narrow one
         * when it fits): linked, so that a bound found on either holds for
         * the other. */
        if (cls == BPF_STX && val.type == T_SCALAR && !ebpfV_is_const(&val) &&
            (size == 8 || val.umax < (1ull << (8 * size)))) {
            if (!f->regs[in->src].id)
                f->regs[in->src].id = ++v->id_gen;
            val.id = f->regs[in->src].id;
        }
        if (size == 8 && (BPF_STACK_SIZE + o) % 8 == 0)
            stack_spill(sf, o, &val);
        else if (size < 8)
            stack_spill_narrow(sf, o, size, &val);
        else
            stack_scribble(sf, o, size);
    }
    return 0;
}

/* A helper's memory argument: R<regno> must point to `size` bytes it may
 * read (stack bytes initialised) or write. */
int ebpfV_check_region(struct verifier *v, int regno, uint64_t size, bool write, bool zero_ok)
{
    const struct vreg *p = &ebpfV_frame(v)->regs[regno];
    if (size == 0) {
        if (zero_ok)
            return 0;
        return ebpfV_err(v, "R%d invalid zero-sized access", regno);
    }
    if (size > (1u << 29))
        return ebpfV_err(v, "R%d size %llu is too large", regno, (unsigned long long)size);
    int r = access_ok(v, regno, p, 0, size, write);
    if (r)
        return r;
    if (p->type == T_STACK && !write) {
        if ((r = stack_read_ok(v, p, 0, size)))
            return r;
        return check_stack_leak(v, regno, p, size);
    }
    return 0;
}
