/*
 * Frame-pointer stack walks for the eBPF stack helpers (bpf_stack.h).
 *
 * The frame record.  Kernel and user programs are built with
 * -fno-omit-frame-pointer (kernel.mk, user.mk), so s0 holds the frame
 * pointer: the value sp had on entry, the top of the function's frame.  A
 * function that calls others saves its return address at fp-8 and its
 * caller's frame pointer at fp-16; a leaf function (GCC's choice) saves only
 * the caller's frame pointer, at fp-8, and keeps its return address in ra.
 * Walking is following fp-16 (fp-8 after a leaf) from frame to frame, taking
 * fp-8 as the next return address.
 *
 * Where a probe stops, the innermost function may not have built its frame
 * yet.  At a function's first instruction (where kprobes and uprobes are
 * usually placed) ra is the return address and s0 is still the caller's
 * frame.  In the kernel the symbol table tells the first instruction apart
 * (kt_os_ksym_func_start).  In user code there are no symbols: the return address
 * is taken from ra when fp-8 does not already hold it, which is right at an
 * entry and after a prologue, and adds one frame (a return address inside
 * the probed function itself) for a probe placed after a call in its body.
 * A probe inside a prologue (between `addi sp` and `addi s0`) misses the
 * caller.  A kretprobe in flight replaces a return address on the stack by
 * its trampoline (kprobe_text.S), and the walk reports that address.
 *
 * Safety.  Every word is read through the OS's port: kernel memory only
 * where kt_os_kernel_readable says (RAM only: never device registers), the
 * process's through kt_os_user_read (user pages only).
 * Frame pointers must stay in the stack's bounds, 8-aligned, and go up
 * strictly from frame to frame, so a corrupt or cyclic chain ends the walk;
 * the depth is bounded too.  No lock, no allocation: callable from a probe
 * on every hart at once.
 */
#include "bpf_stack.h"
#include "ktrace_os.h"
#include "kstring.h"
#include <osdbg/gpr.h>

/* The probe context's layout (Linux riscv struct pt_regs). */
struct walk_regs {
    uint64_t pc;
    OSDBG_GPR_LIST(OSDBG_GPR_U64)
};
_Static_assert(sizeof(struct walk_regs) == sizeof(((struct kt_user_stack *)0)->regs),
               "the port's user registers are a pt_regs");

/* The stack being walked: where its words are read from and what a frame
 * pointer and a return address may be. */
struct stack_src {
    uint64_t user;             /* a process's space, or 0: the kernel's memory */
    uint64_t lo, hi;           /* a frame pointer lies in (lo, hi] */
    uint64_t text_lo, text_hi; /* a return address lies in [text_lo, text_hi) */
};

/* The collector: skips the first `skip` addresses, keeps up to max. */
struct stack_out {
    uint64_t *ips;
    int n, max, skip;
};

static bool out_full(const struct stack_out *o)
{
    return o->n >= o->max;
}

static void emit(struct stack_out *o, uint64_t ip)
{
    if (o->skip > 0)
        o->skip--;
    else if (o->n < o->max)
        o->ips[o->n++] = ip;
}

static bool is_text(const struct stack_src *s, uint64_t a)
{
    return a >= s->text_lo && a < s->text_hi;
}

static bool in_stack(const struct stack_src *s, uint64_t a)
{
    return a > s->lo && a <= s->hi && (a & 7) == 0;
}

/* One aligned word of the stack, or false if no mapping says readable. */
static bool read_word(const struct stack_src *s, uint64_t addr, uint64_t *out)
{
    if ((addr & 7) || addr < s->lo || addr + 8 > s->hi)
        return false;
    if (s->user)
        return kt_os_user_read(s->user, addr, out, 8) == 0;
    if (!kt_os_kernel_readable(addr, 8)) /* device registers: a read may have effects */
        return false;
    *out = *(const volatile uint64_t *)addr;
    return true;
}

static bool is_kernel_text(uint64_t pc)
{
    uint64_t lo, hi;
    kt_os_kernel_text(&lo, &hi);
    return pc >= lo && pc < hi;
}

/* The registers and stack to walk, or false if there is none. */
static bool pick_stack(const void *ctx, int user, struct walk_regs *r, struct stack_src *s)
{
    const struct walk_regs *c = ctx;
    bool probe_in_kernel = is_kernel_text(c->pc);
    if (!user) {
        if (!probe_in_kernel)
            return false; /* a user probe: the kernel stack says nothing of it */
        *r = *c;
        *s = (struct stack_src){0, 0, 0, 0, 0};
        kt_os_kernel_text(&s->text_lo, &s->text_hi);
        return kt_os_kernel_stack(r->sp, &s->lo, &s->hi);
    }
    /* Per hart, off the kernel stack a probe runs on: a walk runs inside a
     * program's run, interrupts off, one per hart at a time. */
    static struct kt_user_stack us[KT_MAX_HARTS];
    struct kt_user_stack *u = &us[kt_os_hart()];
    if (!kt_os_user_stack(u))
        return false;
    if (probe_in_kernel)
        memcpy(r, u->regs, sizeof *r); /* in a system call or trap: the registers it entered with */
    else
        *r = *c;
    *s = (struct stack_src){u->space, u->stack_lo, u->stack_hi, u->text_lo, u->text_hi};
    return true;
}

/* The innermost function: its own pc, then its caller, found in ra or in
 * its frame (see the top).  Returns the frame pointer the chain goes on
 * from, or 0 to stop. */
static uint64_t walk_innermost(const struct walk_regs *r, const struct stack_src *s,
                               struct stack_out *o)
{
    emit(o, r->pc);
    uint64_t fp = r->s0, at_fp8;
    if (!s->user && kt_os_ksym_func_start(r->pc) == r->pc) {
        if (is_text(s, r->ra))
            emit(o, r->ra);
        return fp; /* s0 is the caller's frame */
    }
    if (!in_stack(s, fp) || !read_word(s, fp - 8, &at_fp8)) {
        if (s->user && is_text(s, r->ra))
            emit(o, r->ra); /* a function with no frame at all (a system call stub) */
        return 0;
    }
    if (at_fp8 > fp && in_stack(s, at_fp8)) {
        /* a leaf's frame: fp-8 is the caller's frame pointer */
        if (is_text(s, r->ra))
            emit(o, r->ra);
        return at_fp8;
    }
    if (s->user && at_fp8 != r->ra && is_text(s, r->ra))
        emit(o, r->ra); /* at a user function's entry (probably) */
    return fp;
}

int bpf_stack_walk(const void *ctx, int user, uint64_t *ips, int max, int skip)
{
    struct walk_regs r;
    struct stack_src s;
    if (!ctx || !ips || max <= 0)
        return 0;
    if (max > BPF_STACK_MAX_DEPTH)
        max = BPF_STACK_MAX_DEPTH;
    struct stack_out o = {ips, 0, max, skip < 0 ? 0 : skip > 255 ? 255 : skip};
    if (!pick_stack(ctx, user, &r, &s))
        return 0;
    uint64_t fp = walk_innermost(&r, &s, &o), below = s.lo;
    /* Each step moves up the stack by at least 16 bytes, so the stack's
     * size bounds the loop too; the count keeps it short. */
    for (int depth = 0; fp && !out_full(&o) && depth < BPF_STACK_MAX_DEPTH + 256; depth++) {
        uint64_t ra, next;
        if (!in_stack(&s, fp) || fp <= below || !read_word(&s, fp - 8, &ra) ||
            !read_word(&s, fp - 16, &next) || !is_text(&s, ra))
            break;
        emit(&o, ra);
        below = fp;
        fp = next;
    }
    return o.n;
}
