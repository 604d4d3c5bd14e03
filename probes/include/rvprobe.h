/*
 * rvprobe.h - the OS-independent RISC-V probe engine (kprobes, kretprobes,
 * uprobes, uretprobes).
 *
 * Freestanding C: no libc, no malloc.  The embedder (the reference kernel,
 * xv6, uCore, a Rust OS through FFI) owns every byte of memory the engine
 * uses and supplies the OS-specific operations in a struct rvprobe_port.
 * See docs/probes.md for the design and the porting guide.
 *
 * Layers, each usable on its own:
 *   decode   rvprobe_insn_len, rvprobe_check_boundary, rvprobe_decode
 *   execute  rvprobe_simulate (control flow and auipc), rvprobe_prepare_slot
 *            (out-of-line single step), rvprobe_break_bytes
 *   table    rvprobe_arm / rvprobe_disarm / rvprobe_release / rvprobe_on_break
 *
 * Specs followed: RISC-V unprivileged ISA (20191213 and later): §1.5
 * "Base Instruction-Length Encoding" / "Expanded Instruction-Length Encoding",
 * chapter 2 (RV32I), 5 (RV64I), 7 (M), 8 (A), 16 (C), 24 (opcode map);
 * privileged ISA for sret/mret/wfi/sfence.vma.
 */
#ifndef RVPROBE_H
#define RVPROBE_H

#include <stddef.h>
#include <osdbg/gpr.h>
#include <stdint.h>

/* ---- errors: negative return values ---------------------------------- */
#define RVPROBE_OK           0
#define RVPROBE_EINVAL       (-1) /* bad argument (null, bad length, bad xlen) */
#define RVPROBE_ENOTBOUNDARY (-2) /* address is inside an instruction */
#define RVPROBE_ERANGE       (-3) /* address outside [func_start, func_start+len) */
#define RVPROBE_EREFUSED     (-4) /* instruction may not be probed: see the reason */
#define RVPROBE_EEXIST       (-5) /* RVPROBE_MAX_SHARED probes already armed at that address */
#define RVPROBE_ENOSPC       (-6) /* no free probe entry / slot */
#define RVPROBE_EPORT        (-7) /* a port callback failed */
#define RVPROBE_EBUSY        (-8) /* kretprobe instances still in flight */
#define RVPROBE_ESTATE       (-9) /* operation not valid in the probe's state */

/* A short, static English description of an error code. */
const char *rvprobe_strerror(int err);

/* ---- registers ------------------------------------------------------- */
/*
 * Linux riscv struct user_regs_struct / struct pt_regs (first 32 words):
 * pc, then x1..x31.  Identical to the reference kernel's struct kregs and to
 * the __gregs of a Linux ucontext, so libbpf's PT_REGS_* macros work on it.
 * With xlen 32 every slot holds a zero-extended 32-bit value.
 */
struct rvprobe_regs {
    uint64_t pc;
    OSDBG_GPR_LIST(OSDBG_GPR_U64)
};
#define RVPROBE_REGS_SIZE 256

/* xN by number (x0 reads 0; writing x0 does nothing). */
uint64_t rvprobe_reg_get(const struct rvprobe_regs *r, unsigned n);
void rvprobe_reg_set(struct rvprobe_regs *r, unsigned n, uint64_t v);

/* ---- decoding -------------------------------------------------------- */
/*
 * Length in bytes of the instruction whose first (lowest-addressed) parcel is
 * `first`: 2, 4, 6, 8, or 0 for the reserved >= 192-bit encodings
 * (unprivileged spec §1.5, "Expanded Instruction-Length Encoding").
 */
unsigned rvprobe_insn_len(uint16_t first);

/*
 * `code` holds the `len` bytes of a function starting at address func_start.
 * Decodes instruction lengths forward from func_start.  Returns the length of
 * the instruction that starts exactly at `addr` (2 or 4, or 6/8), or
 * RVPROBE_ENOTBOUNDARY, RVPROBE_ERANGE, RVPROBE_EINVAL.
 */
int rvprobe_check_boundary(const uint8_t *code, size_t len, uint64_t func_start, uint64_t addr);

enum rvprobe_class {
    RVPROBE_REFUSE = 0, /* cannot be probed; see reason */
    RVPROBE_SIMULATE,   /* executed by rvprobe_simulate: one trap per hit */
    RVPROBE_STEP,       /* executed out of line in a slot: two traps per hit */
};

/* What a SIMULATE instruction is (and a few STEP/REFUSE names for messages). */
enum rvprobe_op {
    RVPROBE_OP_NONE = 0,
    RVPROBE_OP_AUIPC,
    RVPROBE_OP_JAL,
    RVPROBE_OP_JALR,
    RVPROBE_OP_BEQ,
    RVPROBE_OP_BNE,
    RVPROBE_OP_BLT,
    RVPROBE_OP_BGE,
    RVPROBE_OP_BLTU,
    RVPROBE_OP_BGEU,
    RVPROBE_OP_C_J,
    RVPROBE_OP_C_JAL, /* RV32 only: the same encoding is c.addiw on RV64 */
    RVPROBE_OP_C_JR,
    RVPROBE_OP_C_JALR,
    RVPROBE_OP_C_BEQZ,
    RVPROBE_OP_C_BNEZ,
    /* Register-only (issue 21: most function entries, one trap instead of
       two): rd = rs1 + imm (c.li: rs1 = x0; c.mv: rs1 = its rs2, imm 0) */
    RVPROBE_OP_ADDI,
    RVPROBE_OP_C_ADDI,
    RVPROBE_OP_C_ADDI16SP,
    RVPROBE_OP_C_LI,
    RVPROBE_OP_C_MV,
    /* rd = rs1 + rs2 (c.add: rs1 = rd) */
    RVPROBE_OP_ADD,
    RVPROBE_OP_C_ADD,
};

/* A decoded instruction, with its operands for the simulated ones. */
struct rvprobe_insn {
    uint32_t raw; /* the instruction bits (16-bit ones in the low half) */
    uint8_t len;  /* 2 or 4 (6/8-byte encodings are refused) */
    uint8_t cls;  /* enum rvprobe_class */
    uint8_t op;   /* enum rvprobe_op, RVPROBE_OP_NONE unless SIMULATE */
    uint8_t rd, rs1, rs2;
    int64_t imm;        /* sign-extended immediate / offset */
    const char *name;   /* mnemonic ("c.addiw", "csrrw", ...) or "unknown" */
    const char *reason; /* REFUSE: why, e.g. "atomic reservation would break" */
};

/*
 * Decodes and classifies one instruction for a hart of the given XLEN
 * (32 or 64; it matters: 0x2xx1 is c.jal on RV32 but c.addiw on RV64).
 * `insn` holds `len` bytes' worth of bits, little-endian (the 16-bit parcel
 * in the low half).  Returns the class; *out (if not null) gets the details.
 * A len that does not match the encoding is refused.
 */
enum rvprobe_class rvprobe_decode(uint32_t insn, unsigned len, unsigned xlen,
                                  struct rvprobe_insn *out);

/* ---- execution ------------------------------------------------------- */
/*
 * Executes a SIMULATE instruction at regs->pc on an RV64 hart: updates rd
 * (never x0) and pc exactly as the hardware would (link = pc + len; jalr
 * clears bit 0 of the target).  Returns 0, or RVPROBE_EREFUSED (regs
 * untouched) when the instruction is not in the SIMULATE class.
 */
int rvprobe_simulate(uint32_t insn, unsigned len, struct rvprobe_regs *regs);
/* The same for a hart of the given XLEN (32: values wrap to 32 bits). */
int rvprobe_simulate_xlen(uint32_t insn, unsigned len, unsigned xlen, struct rvprobe_regs *regs);
/*
 * The same for an instruction rvprobe_decode already classified SIMULATE
 * with the same XLEN (the table decodes once, when it arms a probe, so a hit
 * does not decode again).  RVPROBE_EREFUSED (regs untouched) for any other
 * class or XLEN.
 */
int rvprobe_simulate_insn(const struct rvprobe_insn *insn, unsigned xlen,
                          struct rvprobe_regs *regs);

/* Slot: the displaced instruction followed by a break, at most this long. */
#define RVPROBE_SLOT_SIZE 8
#define RVPROBE_EBREAK    0x00100073u /* ebreak, 4 bytes */
#define RVPROBE_C_EBREAK  0x9002u     /* c.ebreak, 2 bytes */

/*
 * Writes the out-of-line slot for a STEP instruction into slot_buf: the
 * instruction's `len` bytes, then c.ebreak (after a 2-byte instruction) or
 * ebreak (after a 4-byte one).  Returns the slot's size in bytes (the break
 * sits at offset len); after the break traps, execution continues at
 * probe address + len.  RVPROBE_EREFUSED for anything not STEP on RV64
 * (use rvprobe_prepare_slot_xlen for RV32).
 */
int rvprobe_prepare_slot(uint32_t insn, unsigned len, uint8_t slot_buf[RVPROBE_SLOT_SIZE]);
int rvprobe_prepare_slot_xlen(uint32_t insn, unsigned len, unsigned xlen,
                              uint8_t slot_buf[RVPROBE_SLOT_SIZE]);

/*
 * The breakpoint that replaces an instruction of `len` bytes: c.ebreak over a
 * 2-byte instruction, ebreak over a 4-byte one.  Returns the number of bytes
 * written to out (2 or 4), or RVPROBE_EINVAL.
 */
int rvprobe_break_bytes(unsigned len, uint8_t out[4]);

/* ---- the probe table ------------------------------------------------- */

/*
 * Address spaces and tasks are opaque 64-bit names chosen by the embedder.
 * RVPROBE_KERNEL_SPACE is the kernel; a uprobe names the process's address
 * space (a pid, a page-table root, ...).  A task is what a kretprobe instance
 * belongs to (a thread/process identity); it only needs to be unique among
 * live tasks.
 */
#define RVPROBE_KERNEL_SPACE 0
/*
 * Probes armed at one address of one space (kprobes and kretprobes mixed):
 * they share one break and one slot, and a hit runs them all (table.c).
 * One more is refused with RVPROBE_EEXIST.
 */
#define RVPROBE_MAX_SHARED 8
/* Boundary decoding walks at most this far from func_start. */
#define RVPROBE_MAX_FUNC (64u * 1024)

struct rvprobe_port {
    void *ctx; /* passed back to every callback */
    /* Read n bytes at addr in space (probe arming, boundary decoding). 0 or <0. */
    int (*read)(void *ctx, uint64_t space, uint64_t addr, void *buf, unsigned n);
    /*
     * Write n instruction bytes at addr in space and make them visible to
     * instruction fetch on every hart (fence.i; remote fence.i via SBI on
     * SMP).  Text pages are usually read-only: the port maps them writable
     * or writes through a physical alias.  Used for patching the probed
     * instruction, restoring it, and filling slots.  0 or <0.
     */
    int (*write_text)(void *ctx, uint64_t space, uint64_t addr, const void *bytes, unsigned n);
    /*
     * Give an executable address of `size` bytes in space for an out-of-line
     * slot (kernel: a text page; process: a per-process execute-only user
     * page).  0 and *addr, or <0.  slot_free gives it back (may be null).
     */
    int (*slot_alloc)(void *ctx, uint64_t space, unsigned size, uint64_t *addr);
    void (*slot_free)(void *ctx, uint64_t space, uint64_t addr);
    /* The current task (for kretprobe instances). */
    uint64_t (*current_task)(void *ctx);
    /*
     * The kretprobe trampoline of a space: an address holding an ebreak that
     * the engine reserves for returns.  Return 0 if the space has none.
     */
    uint64_t (*trampoline)(void *ctx, uint64_t space);
    /*
     * Optional: a static reason why addr may not be probed (the trap entry,
     * the probe handlers, the tracing runtime, the console...), or null.
     */
    const char *(*forbidden)(void *ctx, uint64_t space, uint64_t addr);
    /*
     * Optional: serialise the table's updates (arm, disarm, release,
     * task_gone, space_gone) across harts: a real lock (a spinlock that also
     * keeps this hart's interrupts off).  rvprobe_on_break never takes it:
     * hits read the table without a lock (see "Several harts" below).
     */
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
    /*
     * Optional (needed with rvprobe_table_set_harts): the index of the hart
     * running now, below the number of harts given there.  Called on every
     * hit: it must be cheap (the reference kernel reads tp).
     */
    unsigned (*hart)(void *ctx);
};

/*
 * Several harts.  Hits take no lock: entries are complete before the
 * release store that arms them, a hit reads an entry's state with acquire,
 * and counters and kretprobe instances are updated with atomics.  What a
 * hit cannot tolerate is an entry (or its slot) freed and reused under it,
 * so each hart says when it is inside the engine: one word per hart
 * (depth of nested hits, and a count of the times it came back to depth 0).
 * rvprobe_release waits, with no lock held, until every hart that was
 * inside when it started has left (rvprobe_sync): RCU's grace period, with
 * the hits as read-side sections.
 *
 * A STEP hit in the kernel's space keeps its hart counted as inside until
 * the break at the end of its slot: so the embedder must return into a
 * kernel slot with interrupts off (clear sstatus.SPIE in the trap's saved
 * status) and restore them at RVPROBE_HIT_SLOT_RETURN, as Linux riscv does
 * (kprobes_save_local_irqflag): the hart cannot be preempted, migrate or
 * take another trap between the two breaks.  A process's slot is left in
 * user mode, so a user STEP hit ends at once; an embedder that releases a
 * uprobe while a process may still be in its slot resolves that slot's
 * break itself (the reference kernel remembers each process's last slot).
 *
 * One word per hart, on its own cache line so harts do not contend.
 */
struct rvprobe_hart {
    uint64_t busy; /* bits 0-15: nesting depth; above: times it became 0 */
    uint64_t pad[7];
};
/* The layout of `busy`, for an embedder that ends a kernel slot without the
 * engine (ktrace's trap-vector fast path, kprobe_text.S): at the slot's
 * break it lowers the depth by one and, when that makes it 0, adds
 * RVPROBE_HART_DEPTH_MASK + 1 (one more pass), with a release store: the
 * same as the engine's RVPROBE_HIT_SLOT_RETURN. */
#define RVPROBE_HART_DEPTH_MASK 0xffffu

struct rvprobe;
/*
 * Handlers run in the trap, on any hart, possibly on several at once for
 * the same probe (they must not call the table functions), with regs as at the probed instruction (pre: regs->pc is
 * the probe address, nothing executed yet) or as after the function's return
 * (ret: regs->pc already the real return address, a0/a1 the return value;
 * entry_sp is the sp at entry, equal to regs->sp for a well-behaved callee).
 * A pre handler returns 0; non-zero means it has set regs->pc itself and the
 * probed instruction is skipped (and a kretprobe does not hijack ra).
 */
typedef int (*rvprobe_pre_fn)(struct rvprobe *p, struct rvprobe_regs *regs, void *arg);
typedef void (*rvprobe_ret_fn)(struct rvprobe *p, struct rvprobe_regs *regs, uint64_t entry_sp,
                               void *arg);

/* One in-flight function return of a kretprobe (embedder-owned pool).
 * A hit takes a free one with a compare-and-swap on `used` (a word: RV64A
 * has no byte-sized atomics). */
struct rvprobe_ri {
    uint32_t used;
    uint64_t task;
    uint64_t space;
    uint64_t ret_addr; /* the original ra */
    uint64_t sp;       /* sp at entry = sp after the return */
    uint64_t seq;      /* allocation order: newest first when sp ties */
};

enum rvprobe_kind { RVPROBE_KPROBE = 1, RVPROBE_KRETPROBE };
enum rvprobe_state { RVPROBE_FREE = 0, RVPROBE_ARMED, RVPROBE_DISARMED };

/* What to probe.  A uprobe is a kprobe in a space other than the kernel's. */
struct rvprobe_def {
    uint8_t kind;        /* enum rvprobe_kind */
    uint64_t space;      /* RVPROBE_KERNEL_SPACE or a process's space */
    uint64_t func_start; /* lengths are decoded forward from here */
    uint64_t addr;       /* the probed instruction; == func_start for kretprobes */
    rvprobe_pre_fn pre;  /* may be null */
    rvprobe_ret_fn ret;  /* kretprobes: may be null */
    void *arg;
    struct rvprobe_ri *pool; /* kretprobes: instance pool and its size */
    unsigned pool_size;
};

/* A probe entry.  Read-only for the embedder once armed. */
struct rvprobe {
    struct rvprobe_def def;
    uint8_t state; /* enum rvprobe_state */
    struct rvprobe_insn insn;
    uint8_t orig[4]; /* the bytes the break replaced */
    uint64_t slot;   /* slot address (STEP only), else 0 */
    uint8_t slot_size;
    uint8_t joined;     /* armed where others were (shares their break) */
    uint64_t hits;      /* entry hits */
    uint64_t ret_hits;  /* kretprobe returns seen */
    uint64_t missed;    /* kretprobe entries with no free instance */
    const char *reason; /* why arming was refused (RVPROBE_EREFUSED) */
};

struct rvprobe_table {
    const struct rvprobe_port *port;
    unsigned xlen;          /* 64 (32 is decoded and simulated, see docs) */
    struct rvprobe *probes; /* embedder-owned array */
    unsigned nprobes;
    uint64_t ri_seq;
    const char *reason; /* reason of the last refused arm */
    unsigned live_end;  /* entries from here on are all FREE (bounds the scans) */
    unsigned joined;    /* live entries that joined others: 0, and a hit runs one entry */
    struct rvprobe_hart *harts; /* rvprobe_table_set_harts, or null: one hart */
    unsigned nharts;
};

/* Prepares a table over the caller's array (zeroed here).  0 or RVPROBE_EINVAL. */
int rvprobe_table_init(struct rvprobe_table *t, const struct rvprobe_port *port, unsigned xlen,
                       struct rvprobe *probes, unsigned nprobes);

/*
 * For several harts: harts[n] (embedder-owned, zeroed here), one per hart
 * the port's `hart` callback may name.  Call once, before the first arm.
 * Without it the engine assumes one hart (rvprobe_sync returns at once).
 * 0 or RVPROBE_EINVAL.
 */
int rvprobe_table_set_harts(struct rvprobe_table *t, struct rvprobe_hart *harts, unsigned n);

/*
 * Waits until every other hart that is inside rvprobe_on_break (or inside
 * a kernel slot) now has left it.  Call with no lock held that a hart in a
 * hit could wait for, and not from a probe handler.  rvprobe_release calls
 * it; an embedder calls it after changing what its handlers read (detaching
 * a program), before freeing that.
 */
void rvprobe_sync(struct rvprobe_table *t);

/*
 * Arms a probe: checks the address is an instruction boundary of the
 * function, classifies the instruction (refusals set t->reason), fills a
 * slot for a STEP instruction, saves the original bytes and writes the
 * break.  Where probes are armed already (up to RVPROBE_MAX_SHARED), the
 * new one joins them: their break, bytes and slot; its handlers run on the
 * same hits.  Returns the probe's index (>= 0) or a negative error.
 */
int rvprobe_arm(struct rvprobe_table *t, const struct rvprobe_def *def);

/*
 * Restores the original bytes exactly (the last of the probes sharing the
 * address; the others keep the break armed).  The entry stays DISARMED so a hart
 * still inside its slot, or a kretprobe return still in flight, is resolved.
 */
int rvprobe_disarm(struct rvprobe_table *t, int id);

/*
 * Frees a DISARMED entry and its slot, once no hart can still be using them:
 * it waits for rvprobe_sync with the port's lock released (so call it with
 * no lock a hit could wait for).  RVPROBE_EBUSY while kretprobe instances
 * are in flight (see rvprobe_task_gone).
 */
int rvprobe_release(struct rvprobe_table *t, int id);

/* A task died: drop its kretprobe instances (their returns never come). */
void rvprobe_task_gone(struct rvprobe_table *t, uint64_t task);

/* Drops every probe of a space that no longer exists (a process exited). */
void rvprobe_space_gone(struct rvprobe_table *t, uint64_t space);

enum rvprobe_hit_kind {
    RVPROBE_HIT_NONE = 0,    /* not ours: an ordinary ebreak */
    RVPROBE_HIT_SIMULATED,   /* probe hit; instruction simulated; pc = its result */
    RVPROBE_HIT_STEP,        /* probe hit; pc = the slot */
    RVPROBE_HIT_SLOT_RETURN, /* the break after a slot; pc = probe addr + len */
    RVPROBE_HIT_RETURN,      /* a kretprobe return at the trampoline; pc = the real ra */
    RVPROBE_HIT_SKIPPED,     /* probe hit; the pre handler set pc itself */
    RVPROBE_HIT_RETRY,       /* the break of a probe disarmed meanwhile: pc unchanged, the
                                original instruction is back; re-execute it (also when
                                the probe is gone from the table but no break is at pc:
                                another hart removed it after this one trapped) */
};

struct rvprobe_hit {
    uint8_t kind; /* enum rvprobe_hit_kind */
    int id;       /* probe index, -1 for NONE */
    uint64_t pc;  /* where execution continues (also in regs->pc) */
    /* RVPROBE_HIT_STEP: the break that ends the slot, and where execution
     * goes on after it.  Copied while the entry was safe to read: once
     * rvprobe_on_break has returned, another hart may release the entry. */
    uint64_t slot_break, resume;
};

/*
 * Call from the breakpoint trap (scause 3) with the trapped registers and
 * the space the trap came from (the kernel's, or the current process's for
 * a trap from U-mode).  Runs the handlers and sets regs->pc.  Returns 1 if
 * the break was the engine's (hit filled in), 0 if not (treat it as an
 * ordinary breakpoint), or a negative error.
 */
int rvprobe_on_break(struct rvprobe_table *t, uint64_t space, struct rvprobe_regs *regs,
                     struct rvprobe_hit *hit);
/* The same for an embedder that knows the hart it runs on (its index, as
 * the port's hart hook would answer), called on every hit: the hook is not
 * called, and t, regs and hit must not be null.  Of hit, only kind and id
 * are reset; the other fields are written by the kinds that define them. */
int rvprobe_on_break_hart(struct rvprobe_table *t, unsigned hart, uint64_t space,
                          struct rvprobe_regs *regs, struct rvprobe_hit *hit);

/*
 * If pc lies in a slot of that space, the probed address it stands for
 * (pc - slot + probe addr), else pc itself: for fault reports from a slot.
 */
uint64_t rvprobe_fixup_pc(const struct rvprobe_table *t, uint64_t space, uint64_t pc);

#endif
