/*
 * load.c - copy a program into the VM, check its structure, split it into
 * functions and pre-decode it for the interpreter.
 *
 * Structural rules (RFC 9669 sections 3-5 plus the usual Linux ones): every
 * opcode is defined, registers are r0-r10, lddw occupies two slots whose
 * second has opcode 0, every jump lands inside its own function and not on
 * the second half of a lddw, every function ends with exit or ja.  Type and
 * memory safety are the verifier's business, not this file's.
 */
#include "ebpf_int.h"

bool ebpfL_is_lddw(const struct ebpf_insn *in)
{
    return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* Index of the function holding pc (functions are sorted by start). */
int ebpfL_func_of(const ebpf_vm *vm, uint32_t pc)
{
    int lo = 0, hi = (int)vm->nfuncs - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (vm->funcs[mid].start <= pc)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static bool atomic_op_ok(int32_t imm)
{
    switch (imm) {
    case BPF_ADD:
    case BPF_OR:
    case BPF_AND:
    case BPF_XOR:
    case BPF_ADD | BPF_FETCH:
    case BPF_OR | BPF_FETCH:
    case BPF_AND | BPF_FETCH:
    case BPF_XOR | BPF_FETCH:
    case BPF_XCHG:
    case BPF_CMPXCHG:
        return true;
    }
    return false;
}

/* Checks one instruction's encoding; returns NULL or the reason it is bad. */
static const char *bad_encoding(const struct ebpf_insn *in)
{
    uint8_t c = in->code;
    if (in->dst > 10 || in->src > 10)
        return "invalid register";
    switch (BPF_CLASS(c)) {
    case BPF_ALU:
    case BPF_ALU64: {
        uint8_t op = BPF_OP(c);
        bool is64 = BPF_CLASS(c) == BPF_ALU64;
        if (op > BPF_END)
            return "unknown opcode";
        if (op == BPF_END) {
            if (is64 && BPF_SRC(c))
                return "unknown opcode";
            if (in->imm != 16 && in->imm != 32 && in->imm != 64)
                return "invalid byte swap width";
            return NULL;
        }
        if (op == BPF_NEG && BPF_SRC(c))
            return "unknown opcode";
        if (op == BPF_DIV || op == BPF_MOD) {
            if (in->off != 0 && in->off != 1)
                return "invalid offset for div/mod";
        } else if (op == BPF_MOV && BPF_SRC(c) == BPF_X && in->off) {
            if (in->off != 8 && in->off != 16 && !(is64 && in->off == 32))
                return "invalid movsx width";
        } else if (in->off) {
            return "nonzero offset in alu instruction";
        }
        return NULL;
    }
    case BPF_JMP:
    case BPF_JMP32: {
        uint8_t op = BPF_OP(c);
        bool is32 = BPF_CLASS(c) == BPF_JMP32;
        if (op > BPF_JSLE)
            return "unknown opcode";
        if (op == BPF_CALL) {
            if (is32)
                return "unknown opcode";
            if (BPF_SRC(c) == BPF_X) {
                /* callx: a helper whose id is in dst (the bpf_conformance
                 * "callx" group; Linux has no such call).  Every other
                 * field must be 0. */
                if (in->src || in->off || in->imm)
                    return "callx with nonzero src, offset or immediate";
                if (in->dst >= BPF_REG_FP)
                    return "callx through r10";
                return NULL;
            }
            if (in->src == BPF_PSEUDO_KFUNC)
                return "kfunc calls are not supported";
            if (in->src != BPF_PSEUDO_HELPER && in->src != BPF_PSEUDO_CALL)
                return "invalid call source";
            return NULL;
        }
        if (op == BPF_EXIT && (is32 || BPF_SRC(c)))
            return "unknown opcode";
        if (op == BPF_JA && BPF_SRC(c))
            return "unknown opcode";
        return NULL;
    }
    case BPF_LD:
        if (c == (BPF_LD | BPF_IMM | BPF_DW))
            return NULL;
        if (BPF_MODE(c) == BPF_ABS || BPF_MODE(c) == BPF_IND)
            return "legacy packet access is not supported";
        return "unknown opcode";
    case BPF_LDX:
        if (BPF_MODE(c) == BPF_MEM)
            return NULL;
        if (BPF_MODE(c) == BPF_MEMSX && BPF_SIZE(c) != BPF_DW)
            return NULL;
        return "unknown opcode";
    case BPF_ST:
        return BPF_MODE(c) == BPF_MEM ? NULL : "unknown opcode";
    case BPF_STX:
        if (BPF_MODE(c) == BPF_MEM)
            return NULL;
        if (BPF_MODE(c) == BPF_ATOMIC && (BPF_SIZE(c) == BPF_W || BPF_SIZE(c) == BPF_DW))
            return atomic_op_ok(in->imm) ? NULL : "invalid atomic operation";
        return "unknown opcode";
    }
    return "unknown opcode";
}

static bool is_jump(uint8_t c)
{
    uint8_t cls = BPF_CLASS(c), op = BPF_OP(c);
    return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

static int64_t jump_target(const struct ebpf_insn *in, uint32_t pc)
{
    if (in->code == (BPF_JMP32 | BPF_JA))
        return (int64_t)pc + in->imm + 1;
    return (int64_t)pc + in->off + 1;
}

/* Function starts: 0 and every local call target; sorted, unique. */
static int find_funcs(ebpf_vm *vm, const struct ebpf_insn *p, uint32_t n)
{
    vm->nfuncs = 1;
    vm->funcs[0].start = 0;
    for (uint32_t pc = 0; pc < n; pc++) {
        if (p[pc].code != (BPF_JMP | BPF_CALL) || p[pc].src != BPF_PSEUDO_CALL)
            continue;
        int64_t t = (int64_t)pc + p[pc].imm + 1;
        if (t < 0 || t >= n)
            return ebpfA_fail(vm, EBPF_EINVAL, (int)pc, "call to pc %lld out of range",
                              (long long)t);
        uint32_t i = 0;
        while (i < vm->nfuncs && vm->funcs[i].start < t)
            i++;
        if (i < vm->nfuncs && vm->funcs[i].start == t)
            continue;
        if (vm->nfuncs == EBPF_MAX_FUNCS)
            return ebpfA_fail(vm, EBPF_E2BIG, (int)pc, "too many functions");
        for (uint32_t j = vm->nfuncs; j > i; j--)
            vm->funcs[j] = vm->funcs[j - 1];
        vm->funcs[i].start = (uint32_t)t;
        vm->nfuncs++;
    }
    for (uint32_t i = 0; i < vm->nfuncs; i++)
        vm->funcs[i].end = i + 1 < vm->nfuncs ? vm->funcs[i + 1].start : n;
    return 0;
}

static uint64_t resolve_lddw(ebpf_vm *vm, const struct ebpf_insn *in, uint32_t pc, int *err)
{
    uint64_t v = (uint64_t)(uint32_t)in[0].imm | ((uint64_t)(uint32_t)in[1].imm << 32);
    ebpf_map *m;
    *err = 0;
    switch (in->src) {
    case 0:
        /* RFC 9669 5.4: imm64 = (next_imm << 32) | imm, the low half taken
         * as an unsigned 32-bit number (no sign extension). */
        return v;
    case BPF_PSEUDO_MAP_FD:
    case BPF_PSEUDO_MAP_IDX:
        m = ebpf_map_by_fd(vm, in->imm);
        if (!m)
            break;
        return (uint64_t)(uintptr_t)m;
    case BPF_PSEUDO_MAP_VALUE:
    case BPF_PSEUDO_MAP_IDX_VALUE:
        m = ebpf_map_by_fd(vm, in->imm);
        if (!m)
            break;
        /* as Linux: direct value access only into a one-element array */
        if (m->def.type != BPF_MAP_TYPE_ARRAY || m->def.max_entries != 1 ||
            (uint32_t)in[1].imm >= m->def.value_size) {
            *err = ebpfA_fail(vm, EBPF_EINVAL, (int)pc,
                              "invalid direct value access: map %s, offset %u", m->name,
                              (uint32_t)in[1].imm);
            return 0;
        }
        return (uint64_t)(uintptr_t)(m->data + (uint32_t)in[1].imm);
    default:
        *err = ebpfA_fail(vm, EBPF_EINVAL, (int)pc, "unsupported lddw source %d", in->src);
        return 0;
    }
    *err = ebpfA_fail(vm, EBPF_EINVAL, (int)pc, "fd %d is not pointing to valid bpf_map", in->imm);
    return 0;
}

static int check_structure(ebpf_vm *vm, const struct ebpf_insn *p, uint32_t n)
{
    for (uint32_t pc = 0; pc < n; pc++) {
        const char *why = bad_encoding(&p[pc]);
        if (why)
            return ebpfA_fail(vm, EBPF_EINVAL, (int)pc, "%s (opcode 0x%02x)", why, p[pc].code);
        if (ebpfL_is_lddw(&p[pc])) {
            if (pc + 1 >= n || p[pc + 1].code || p[pc + 1].dst || p[pc + 1].src || p[pc + 1].off)
                return ebpfA_fail(vm, EBPF_EINVAL, (int)pc, "invalid lddw: bad second slot");
            pc++;
        }
    }
    int r = find_funcs(vm, p, n);
    if (r)
        return r;
    for (uint32_t i = 0; i < vm->nfuncs; i++)
        if (p[vm->funcs[i].start].code == 0)
            return ebpfA_fail(vm, EBPF_EINVAL, (int)vm->funcs[i].start,
                              "call into the middle of ldimm64");
    for (uint32_t pc = 0; pc < n; pc++) {
        uint32_t f = (uint32_t)ebpfL_func_of(vm, pc);
        if (is_jump(p[pc].code)) {
            int64_t t = jump_target(&p[pc], pc);
            if (t < 0 || t >= n)
                return ebpfA_fail(vm, EBPF_EINVAL, (int)pc,
                                  "jump out of range from insn %u to %lld", pc, (long long)t);
            if (t < vm->funcs[f].start || t >= vm->funcs[f].end)
                return ebpfA_fail(vm, EBPF_EINVAL, (int)pc, "jump out of function to insn %lld",
                                  (long long)t);
            /* Opcode 0 is only valid as the second slot of a lddw, which
             * the first pass checked; so code 0 here means "middle of lddw". */
            if (p[t].code == 0)
                return ebpfA_fail(vm, EBPF_EINVAL, (int)pc, "jump into the middle of ldimm64");
        }
        if (ebpfL_is_lddw(&p[pc]))
            pc++;
    }
    for (uint32_t i = 0; i < vm->nfuncs; i++) {
        uint32_t last = vm->funcs[i].end - 1;
        uint8_t c = p[last].code;
        bool lddw_tail = last > 0 && ebpfL_is_lddw(&p[last - 1]) && c == 0;
        if (lddw_tail ||
            (c != (BPF_JMP | BPF_EXIT) && c != (BPF_JMP | BPF_JA) && c != (BPF_JMP32 | BPF_JA)))
            return ebpfA_fail(vm, EBPF_EINVAL, (int)last, "last insn is not an exit or jmp");
    }
    return 0;
}

static int decode(ebpf_vm *vm)
{
    const struct ebpf_insn *p = vm->insns;
    for (uint32_t pc = 0; pc < vm->ninsns; pc++) {
        const struct ebpf_insn *in = &p[pc];
        struct ebpf_dinsn *d = &vm->code[pc];
        d->code = in->code;
        d->dst = in->dst;
        d->src = in->src;
        d->off = in->off;
        d->imm = (uint64_t)(int64_t)in->imm;
        uint8_t cls = BPF_CLASS(in->code);
        if (ebpfL_is_lddw(in)) {
            int err;
            d->imm = resolve_lddw(vm, in, pc, &err);
            if (err)
                return err;
            pc++;
            continue;
        }
        if (cls == BPF_ALU || cls == BPF_ALU64) {
            d->aux = (uint8_t)in->off;
        } else if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC) {
            d->aux = (uint8_t)in->imm;
        } else if (is_jump(in->code)) {
            d->off = (int32_t)jump_target(in, pc);
            d->aux = d->off <= (int32_t)pc; /* backward: counts against the budget */
        } else if (in->code == (BPF_JMP | BPF_CALL) && in->src == BPF_PSEUDO_CALL) {
            d->off = (int32_t)(pc + in->imm + 1);
        } else if (in->code == (BPF_JMP | BPF_CALL)) {
            d->imm = (uint32_t)in->imm;
        } /* callx: the id is read from dst at run time */
    }
    return 0;
}

int ebpf_load(ebpf_vm *vm, const struct ebpf_insn *insns, uint32_t count)
{
    if (vm->origin)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "a replica only runs its original's program");
    vm->err_insn = -1;
    if (vm->insns)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "a program is already loaded");
    if (count == 0 || count > EBPF_MAX_INSNS)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "program size %u out of range", count);
    int r = check_structure(vm, insns, count);
    if (r)
        return r;
    size_t mark = vm->arena_used;
    vm->insns = ebpfA_alloc(vm, count * sizeof(*insns));
    vm->code = ebpfA_alloc(vm, count * sizeof(*vm->code));
    if (!vm->insns || !vm->code) {
        vm->insns = NULL;
        vm->arena_used = mark;
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena too small for %u instructions", count);
    }
    ebpfA_memcpy(vm->insns, insns, count * sizeof(*insns));
    vm->ninsns = count;
    r = decode(vm);
    if (r) {
        vm->insns = NULL;
        vm->code = NULL;
        vm->ninsns = 0;
        vm->arena_used = mark;
    }
    return r;
}

const struct ebpf_insn *ebpf_insns(const ebpf_vm *vm, uint32_t *count)
{
    if (count)
        *count = vm->ninsns;
    return vm->insns;
}
