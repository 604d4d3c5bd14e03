/*
 * interp_body.h - the interpreter loop, included twice by interp.c: once with
 * INTERP_CHECKED 0 (trusted, verified code) and once with 1 (every load and
 * store checked against the VM's memory regions).  Dispatch is direct
 * threaded through a table of label addresses indexed by opcode (GNU C
 * "labels as values"), so each handler ends in its own indirect jump.
 *
 * Semantics are RFC 9669 section 4 (arithmetic and jumps) and 5 (memory):
 * 32-bit results are zero-extended, shift counts are masked, division by
 * zero gives 0, modulo by zero leaves the dividend, INT_MIN / -1 wraps.
 */
static int INTERP_NAME(ebpf_vm *vm, const ebpf_vm *prog, void *ctx, uint64_t ctx_len,
                       uint64_t *ret)
{
    /* Direct threading: each decoded instruction holds its handler's
     * address, filled in for whichever loop (checked or not) runs. */
    static const void *const tbl[256] = {
        [0 ... 255] = &&bad,
#define ALU_ENTRY(OP, name)                                                                        \
    [BPF_ALU64 | OP | BPF_K] = &&name##64k, [BPF_ALU64 | OP | BPF_X] = &&name##64x,                \
                      [BPF_ALU | OP | BPF_K] = &&name##32k, [BPF_ALU | OP | BPF_X] = &&name##32x
        ALU_ENTRY(BPF_ADD, add),
        ALU_ENTRY(BPF_SUB, sub),
        ALU_ENTRY(BPF_MUL, mul),
        ALU_ENTRY(BPF_DIV, div),
        ALU_ENTRY(BPF_OR, or),
        ALU_ENTRY(BPF_AND, and),
        ALU_ENTRY(BPF_LSH, lsh),
        ALU_ENTRY(BPF_RSH, rsh),
        ALU_ENTRY(BPF_MOD, mod),
        ALU_ENTRY(BPF_XOR, xor),
        ALU_ENTRY(BPF_MOV, mov),
        ALU_ENTRY(BPF_ARSH, arsh),
#undef ALU_ENTRY
        [BPF_ALU64 | BPF_NEG] = &&neg64,
        [BPF_ALU | BPF_NEG] = &&neg32,
        [BPF_ALU | BPF_END | BPF_TO_LE] = &&le,
        [BPF_ALU | BPF_END | BPF_TO_BE] = &&be,
        [BPF_ALU64 | BPF_END] = &&bswap,
#define JMP_ENTRY(OP, name)                                                                        \
    [BPF_JMP | OP | BPF_K] = &&name##64k, [BPF_JMP | OP | BPF_X] = &&name##64x,                    \
                    [BPF_JMP32 | OP | BPF_K] = &&name##32k, [BPF_JMP32 | OP | BPF_X] = &&name##32x
        JMP_ENTRY(BPF_JEQ, jeq),
        JMP_ENTRY(BPF_JGT, jgt),
        JMP_ENTRY(BPF_JGE, jge),
        JMP_ENTRY(BPF_JSET, jset),
        JMP_ENTRY(BPF_JNE, jne),
        JMP_ENTRY(BPF_JSGT, jsgt),
        JMP_ENTRY(BPF_JSGE, jsge),
        JMP_ENTRY(BPF_JLT, jlt),
        JMP_ENTRY(BPF_JLE, jle),
        JMP_ENTRY(BPF_JSLT, jslt),
        JMP_ENTRY(BPF_JSLE, jsle),
#undef JMP_ENTRY
        [BPF_JMP | BPF_JA] = &&ja,
        [BPF_JMP32 | BPF_JA] = &&ja,
        [BPF_JMP | BPF_CALL] = &&call,
        [BPF_JMP | BPF_CALL | BPF_X] = &&callx,
        [BPF_JMP | BPF_EXIT] = &&exit,
        [BPF_LD | BPF_IMM | BPF_DW] = &&lddw,
        [BPF_LDX | BPF_MEM | BPF_B] = &&ldxb,
        [BPF_LDX | BPF_MEM | BPF_H] = &&ldxh,
        [BPF_LDX | BPF_MEM | BPF_W] = &&ldxw,
        [BPF_LDX | BPF_MEM | BPF_DW] = &&ldxdw,
        [BPF_LDX | BPF_MEMSX | BPF_B] = &&ldxsb,
        [BPF_LDX | BPF_MEMSX | BPF_H] = &&ldxsh,
        [BPF_LDX | BPF_MEMSX | BPF_W] = &&ldxsw,
        [BPF_ST | BPF_MEM | BPF_B] = &&stb,
        [BPF_ST | BPF_MEM | BPF_H] = &&sth,
        [BPF_ST | BPF_MEM | BPF_W] = &&stw,
        [BPF_ST | BPF_MEM | BPF_DW] = &&stdw,
        [BPF_STX | BPF_MEM | BPF_B] = &&stxb,
        [BPF_STX | BPF_MEM | BPF_H] = &&stxh,
        [BPF_STX | BPF_MEM | BPF_W] = &&stxw,
        [BPF_STX | BPF_MEM | BPF_DW] = &&stxdw,
        [BPF_STX | BPF_ATOMIC | BPF_W] = &&atomic32,
        [BPF_STX | BPF_ATOMIC | BPF_DW] = &&atomic64,
    };
    /* prog: whose program runs (vm's own, or a tail call's target, which
     * shares vm's run state: stack, context, budget, tail call count). */
    struct ebpf_dinsn *const code = prog->code;
    const struct ebpf_dinsn *ip = code;
    if (prog->threaded != INTERP_CHECKED + 1) {
        /* A replica shares code[] with harts running the other replicas:
         * it was threaded once, for the mode it has. */
        if (vm->origin || prog != vm)
            return ebpfA_fail(vm, EBPF_EINVAL, -1, "a replica runs in its original's mode");
        for (uint32_t i = 0; i < vm->ninsns; i++) {
            code[i].h = tbl[code[i].code];
            /* bpf_tail_call is a jump, not a call */
            if (code[i].code == (BPF_JMP | BPF_CALL) && code[i].src == BPF_PSEUDO_HELPER &&
                code[i].imm == BPF_FUNC_tail_call &&
                vm->helpers[BPF_FUNC_tail_call].fn == ebpfH_tail_call)
                code[i].h = &&tailcall;
        }
        vm->threaded = INTERP_CHECKED + 1;
    }
    if (!ret)
        return 0; /* ebpfI_thread: only the handlers were wanted */
    uint64_t reg[BPF_NREGS];
    struct frame frames[BPF_MAX_FRAMES];
    int depth = 0;
    uint64_t left = vm->budget ? vm->budget : UINT64_MAX;
    uintptr_t addr;
#if INTERP_CHECKED
    uint64_t executed = 0;
#endif

    reg[0] = reg[3] = reg[4] = reg[5] = 0;
    reg[6] = reg[7] = reg[8] = reg[9] = 0;
    reg[1] = (uint64_t)(uintptr_t)ctx;
    reg[2] = ctx_len;
    reg[BPF_REG_FP] = (uint64_t)(uintptr_t)(vm->stack + BPF_MAX_FRAMES * BPF_STACK_SIZE);

#define D   reg[ip->dst]
#define S   reg[ip->src]
#define IMM ip->imm
#if INTERP_CHECKED
#define COUNT executed++, /* the checked loop also counts instructions */
#else
#define COUNT
#endif
#define NEXT goto *(COUNT(++ip)->h)
#define PC   ((uint32_t)(ip - code))
#if INTERP_CHECKED
#define CHECK(n, w)                                                                                \
    do {                                                                                           \
        if (!ebpfI_access_ok(vm, addr, n, w, ctx, ctx_len))                                        \
            goto fault;                                                                            \
    } while (0)
#else
#define CHECK(n, w) ((void)0)
#endif
/* Backward jumps count against the run's budget (a safety net for
 * unverified programs; verified ones always terminate). */
#define JUMP                                                                                       \
    do {                                                                                           \
        if (ip->aux && --left == 0)                                                                \
            goto budget;                                                                           \
        ip = code + ip->off;                                                                       \
        goto *(COUNT ip->h);                                                                       \
    } while (0)

    goto *(COUNT ip->h);

#define ALU(name, OP)                                                                              \
    name##64k : D = D OP IMM;                                                                      \
    NEXT;                                                                                          \
    name##64x : D = D OP S;                                                                        \
    NEXT;                                                                                          \
    name##32k : D = (uint32_t)((uint32_t)D OP(uint32_t) IMM);                                      \
    NEXT;                                                                                          \
    name##32x : D = (uint32_t)((uint32_t)D OP(uint32_t) S);                                        \
    NEXT;
    ALU(add, +)
    ALU(sub, -)
    ALU(mul, *)
    ALU(or, |)
    ALU(and, &)
    ALU(xor, ^)
#undef ALU

#define SHIFT(name, EXPR64, EXPR32)                                                                \
    name##64k : D = EXPR64(D, IMM & 63);                                                           \
    NEXT;                                                                                          \
    name##64x : D = EXPR64(D, S & 63);                                                             \
    NEXT;                                                                                          \
    name##32k : D = EXPR32((uint32_t)D, IMM & 31);                                                 \
    NEXT;                                                                                          \
    name##32x : D = EXPR32((uint32_t)D, S & 31);                                                   \
    NEXT;
#define LSH64(a, n)  ((a) << (n))
#define LSH32(a, n)  (uint32_t)((a) << (n))
#define RSH64(a, n)  ((a) >> (n))
#define RSH32(a, n)  ((a) >> (n))
#define ARSH64(a, n) (uint64_t)((int64_t)(a) >> (n))
#define ARSH32(a, n) (uint32_t)((int32_t)(a) >> (n))
    SHIFT(lsh, LSH64, LSH32)
    SHIFT(rsh, RSH64, RSH32)
    SHIFT(arsh, ARSH64, ARSH32)
#undef SHIFT

    /* off (aux) 0: unsigned, 1: signed (RFC 9669 4.1). */
div64k:
    D = ip->aux ? sdiv64(D, IMM) : udiv64(D, IMM);
    NEXT;
div64x:
    D = ip->aux ? sdiv64(D, S) : udiv64(D, S);
    NEXT;
div32k:
    D = ip->aux ? sdiv32((uint32_t)D, (uint32_t)IMM) : udiv32((uint32_t)D, (uint32_t)IMM);
    NEXT;
div32x:
    D = ip->aux ? sdiv32((uint32_t)D, (uint32_t)S) : udiv32((uint32_t)D, (uint32_t)S);
    NEXT;
mod64k:
    D = ip->aux ? smod64(D, IMM) : umod64(D, IMM);
    NEXT;
mod64x:
    D = ip->aux ? smod64(D, S) : umod64(D, S);
    NEXT;
mod32k:
    D = ip->aux ? smod32((uint32_t)D, (uint32_t)IMM) : umod32((uint32_t)D, (uint32_t)IMM);
    NEXT;
mod32x:
    D = ip->aux ? smod32((uint32_t)D, (uint32_t)S) : umod32((uint32_t)D, (uint32_t)S);
    NEXT;
neg64:
    D = 0 - D;
    NEXT;
neg32:
    D = (uint32_t)(0 - (uint32_t)D);
    NEXT;
mov64k:
    D = IMM;
    NEXT;
mov64x:
    D = ip->aux ? sext(S, ip->aux) : S;
    NEXT;
mov32k:
    D = (uint32_t)IMM;
    NEXT;
mov32x:
    D = (uint32_t)(ip->aux ? sext(S, ip->aux) : S);
    NEXT;
    /* RFC 9669 4.2: to little endian on a little-endian host only
     * truncates; to big endian and the ALU64 form swap. */
le:
    D = IMM == 16 ? (uint16_t)D : IMM == 32 ? (uint32_t)D : D;
    NEXT;
be:
bswap:
    D = IMM == 16 ? bswap16(D) : IMM == 32 ? bswap32(D) : bswap64(D);
    NEXT;

#define JMP(name, T, OP)                                                                           \
    name##64k : if ((T##64)D OP(T##64) IMM) JUMP;                                                  \
    NEXT;                                                                                          \
    name##64x : if ((T##64)D OP(T##64) S) JUMP;                                                    \
    NEXT;                                                                                          \
    name##32k : if ((T##32)D OP(T##32) IMM) JUMP;                                                  \
    NEXT;                                                                                          \
    name##32x : if ((T##32)D OP(T##32) S) JUMP;                                                    \
    NEXT;
    JMP(jeq, u, ==)
    JMP(jne, u, !=)
    JMP(jgt, u, >)
    JMP(jge, u, >=)
    JMP(jlt, u, <)
    JMP(jle, u, <=)
    JMP(jsgt, s, >)
    JMP(jsge, s, >=)
    JMP(jslt, s, <)
    JMP(jsle, s, <=)
    JMP(jset, u, &)
#undef JMP
ja:
    JUMP;

lddw:
    D = IMM;
    ip++;
    NEXT;

#define LOAD(name, T, base, n)                                                                     \
    name:                                                                                          \
    addr = (uintptr_t)(base + (int64_t)ip->off);                                                   \
    CHECK(n, 0);                                                                                   \
    D = (uint64_t)(T)load##n(addr);                                                                \
    NEXT;
    LOAD(ldxb, uint8_t, S, 1)
    LOAD(ldxh, uint16_t, S, 2)
    LOAD(ldxw, uint32_t, S, 4)
    LOAD(ldxdw, uint64_t, S, 8)
    LOAD(ldxsb, int8_t, S, 1)
    LOAD(ldxsh, int16_t, S, 2)
    LOAD(ldxsw, int32_t, S, 4)
#undef LOAD
#define STORE(name, VAL, n)                                                                        \
    name:                                                                                          \
    addr = (uintptr_t)(D + (int64_t)ip->off);                                                      \
    CHECK(n, 1);                                                                                   \
    store##n(addr, VAL);                                                                           \
    NEXT;
    STORE(stb, IMM, 1)
    STORE(sth, IMM, 2)
    STORE(stw, IMM, 4)
    STORE(stdw, IMM, 8)
    STORE(stxb, S, 1)
    STORE(stxh, S, 2)
    STORE(stxw, S, 4)
    STORE(stxdw, S, 8)
#undef STORE

atomic32:
    addr = (uintptr_t)(D + (int64_t)ip->off);
    CHECK(4, 1);
    atomic32((uint32_t *)addr, ip->aux, &S, &reg[0]);
    NEXT;
atomic64:
    addr = (uintptr_t)(D + (int64_t)ip->off);
    CHECK(8, 1);
    atomic64((uint64_t *)addr, ip->aux, &S, &reg[0]);
    NEXT;

call:
    if (ip->src == BPF_PSEUDO_CALL) {
        /* RFC 9669 4.3.2: a local call gets a fresh 512-byte frame; r6-r9
         * and r10 are restored at its exit. */
        if (depth + 1 >= BPF_MAX_FRAMES) {
            ebpfA_fail(vm, EBPF_E2BIG, (int)PC, "call depth exceeds %d frames", BPF_MAX_FRAMES);
            return -EBPF_E2BIG;
        }
        if (--left == 0)
            goto budget;
        struct frame *f = &frames[depth++];
        f->ret = ip + 1;
        for (int i = 0; i < 5; i++)
            f->saved[i] = reg[6 + i];
        reg[BPF_REG_FP] -= BPF_STACK_SIZE;
        ip = code + ip->off;
        goto *(COUNT ip->h);
    } else {
        const struct ebpf_helper_slot *h =
            &prog->helpers[ip->imm < BPF_FUNC_MAX_ID ? ip->imm : 0];
        if (ip->imm >= BPF_FUNC_MAX_ID || !h->fn) {
            ebpfA_fail(vm, EBPF_ENOENT, (int)PC, "unknown helper %u", (uint32_t)ip->imm);
            return -EBPF_ENOENT;
        }
        reg[0] = h->fn(reg[1], reg[2], reg[3], reg[4], reg[5], vm);
        NEXT;
    }
callx : {
    uint64_t id = reg[ip->dst];
    const struct ebpf_helper_slot *h = &prog->helpers[id < BPF_FUNC_MAX_ID ? id : 0];
    if (id >= BPF_FUNC_MAX_ID || !h->fn) {
        ebpfA_fail(vm, EBPF_ENOENT, (int)PC, "callx: unknown helper %llu", (unsigned long long)id);
        return -EBPF_ENOENT;
    }
    reg[0] = h->fn(reg[1], reg[2], reg[3], reg[4], reg[5], vm);
    NEXT;
}
tailcall : {
    /* Linux bpf_tail_call(ctx, map, index): the target replaces this
     * program (same context, a fresh stack, never returns here); with no
     * target, or after EBPF_MAX_TAIL_CALLS in this run, or a target that
     * cannot run in this loop's mode, execution goes on after the call. */
    const ebpf_vm *t = ebpfM_tail_target(ebpfH_map_arg(vm, reg[2]), reg[3]);
    if (!t || t->threaded != INTERP_CHECKED + 1 || vm->tail_calls >= EBPF_MAX_TAIL_CALLS) {
        reg[0] = (uint64_t)-2; /* -ENOENT */
        NEXT;
    }
    vm->tail_calls++;
    vm->tail_next = t;
#if INTERP_CHECKED
    vm->executed += executed;
#endif
    return 1; /* ebpf_exec runs t */
}
exit:
    if (depth == 0) {
        *ret = reg[0];
#if INTERP_CHECKED
        vm->executed += executed;
#endif
        return 0;
    } else {
        struct frame *f = &frames[--depth];
        for (int i = 0; i < 5; i++)
            reg[6 + i] = f->saved[i];
        ip = f->ret;
        goto *(COUNT ip->h);
    }

bad:
    ebpfA_fail(vm, EBPF_EINVAL, (int)PC, "invalid opcode 0x%02x", ip->code);
    return -EBPF_EINVAL;
budget:
    ebpfA_fail(vm, EBPF_ELOOP, (int)PC, "instruction budget exhausted");
    return -EBPF_ELOOP;
#if INTERP_CHECKED
fault:
    ebpfA_fail(vm, EBPF_EFAULT, (int)PC, "out of bounds memory access at 0x%llx",
               (unsigned long long)addr);
    return -EBPF_EFAULT;
#endif
#undef D
#undef S
#undef IMM
#undef NEXT
#undef PC
#undef CHECK
#undef JUMP
#undef COUNT
}
