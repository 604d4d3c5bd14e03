/*
 * The reference kernel as a port of the probe engine (docs/probes.md):
 * reading kernel text, patching it (the text is mapped R-X: the PTE is made
 * writable for the copy, then the TLB entry and the instruction cache are
 * flushed - RISC-V privileged spec 4.2.1 sfence.vma, unprivileged spec
 * "Zifencei"), slots and the kretprobe trampoline in kprobe_text.S, and the
 * list of code that must not be probed (kernel.ld puts it between
 * noprobe_start and noprobe_end).
 */
#include "kprobe.h"
#include "kstring.h"
#include "printf.h"
#include "proc.h"
#include "riscv.h"
#include "spinlock.h"
#include "sbi.h"
#include "vm.h"

_Static_assert(sizeof(struct kregs) == sizeof(struct rvprobe_regs), "kregs is pt_regs");
_Static_assert(__builtin_offsetof(struct kregs, a0) == __builtin_offsetof(struct rvprobe_regs, a0),
               "kregs is pt_regs");
_Static_assert(KPROBE_SLOT_SIZE == RVPROBE_SLOT_SIZE, "slot size");

extern char kprobe_slots[], kretprobe_trampoline[];
extern char noprobe_start[], noprobe_end[], _trampoline[];

static struct rvprobe probes[KPROBE_MAX];
static struct rvprobe_table table;
static bool slot_used[KPROBE_NSLOTS];
static bool ready;

static bool text_mapped(uint64_t addr, unsigned n)
{
    for (uint64_t a = PGROUNDDOWN(addr); a < addr + n; a += PGSIZE) {
        pte_t *pte = walk(kernel_pagetable, a, false);
        if (!pte || !(*pte & PTE_V))
            return false;
    }
    return addr + n >= addr;
}

static int port_read(void *ctx, uint64_t space, uint64_t addr, void *buf, unsigned n)
{
    (void)ctx;
    if (space != RVPROBE_KERNEL_SPACE || !text_mapped(addr, n))
        return -1;
    memcpy(buf, (const void *)addr, n);
    return 0;
}

static int port_write_text(void *ctx, uint64_t space, uint64_t addr, const void *bytes, unsigned n)
{
    (void)ctx;
    if (space != RVPROBE_KERNEL_SPACE || !text_mapped(addr, n))
        return -1;
    push_off();
    for (uint64_t a = PGROUNDDOWN(addr); a < addr + n; a += PGSIZE)
        *walk(kernel_pagetable, a, false) |= PTE_W;
    sfence_vma();
    memcpy((void *)addr, bytes, n);
    for (uint64_t a = PGROUNDDOWN(addr); a < addr + n; a += PGSIZE)
        *walk(kernel_pagetable, a, false) &= ~PTE_W;
    sfence_vma();
    asm volatile("fence.i" ::: "memory");
    sbi_remote_fence_i_all(); /* the other harts too (RFENCE) */
    pop_off();
    return 0;
}

static int port_slot_alloc(void *ctx, uint64_t space, unsigned size, uint64_t *addr)
{
    (void)ctx;
    if (space != RVPROBE_KERNEL_SPACE || size > KPROBE_SLOT_SIZE)
        return -1;
    for (int i = 0; i < KPROBE_NSLOTS; i++) {
        if (!slot_used[i]) {
            slot_used[i] = true;
            *addr = (uint64_t)kprobe_slots + (uint64_t)i * KPROBE_SLOT_SIZE;
            return 0;
        }
    }
    return -1;
}

static void port_slot_free(void *ctx, uint64_t space, uint64_t addr)
{
    (void)ctx;
    (void)space;
    uint64_t i = (addr - (uint64_t)kprobe_slots) / KPROBE_SLOT_SIZE;
    if (i < KPROBE_NSLOTS)
        slot_used[i] = false;
}

static uint64_t port_current_task(void *ctx)
{
    (void)ctx;
    return (uint64_t)myproc();
}

static uint64_t port_trampoline(void *ctx, uint64_t space)
{
    (void)ctx;
    return space == RVPROBE_KERNEL_SPACE ? (uint64_t)kretprobe_trampoline : 0;
}

const char *kprobe_forbidden(uint64_t addr)
{
    if (addr >= (uint64_t)noprobe_start && addr < (uint64_t)noprobe_end)
        return "the trap path, the probe engine, the eBPF runtime and the console are not "
               "probeable (a probe there would trap inside its own handling)";
    if (addr >= (uint64_t)_trampoline && addr < (uint64_t)_trampoline + PGSIZE)
        return "the user/kernel trampoline is not probeable";
    return 0;
}

static const char *port_forbidden(void *ctx, uint64_t space, uint64_t addr)
{
    (void)ctx;
    return space == RVPROBE_KERNEL_SPACE ? kprobe_forbidden(addr) : 0;
}

static void port_lock(void *ctx)
{
    (void)ctx;
    push_off();
}

static void port_unlock(void *ctx)
{
    (void)ctx;
    pop_off();
}

static const struct rvprobe_port port = {
    .read = port_read,
    .write_text = port_write_text,
    .slot_alloc = port_slot_alloc,
    .slot_free = port_slot_free,
    .current_task = port_current_task,
    .trampoline = port_trampoline,
    .forbidden = port_forbidden,
    .lock = port_lock,
    .unlock = port_unlock,
};

/* Instances of kretprobes in flight: one pool per probe. */
#define KRETPROBE_INSTANCES 16
static struct rvprobe_ri ri_pools[KPROBE_MAX][KRETPROBE_INSTANCES];

void kprobe_init(void)
{
    if (rvprobe_table_init(&table, &port, 64, probes, KPROBE_MAX) != 0)
        panic("kprobe_init");
    ready = true;
}

int kprobe_arm(int kind, uint64_t func, uint64_t addr, rvprobe_pre_fn pre, rvprobe_ret_fn ret,
               void *arg, const char **why)
{
    *why = 0;
    struct rvprobe_def def = {
        .kind = (uint8_t)kind,
        .space = RVPROBE_KERNEL_SPACE,
        .func_start = func,
        .addr = addr,
        .pre = pre,
        .ret = ret,
        .arg = arg,
    };
    /* The pool of instances belongs to the table slot the probe will get:
     * the first free one (rvprobe_arm takes the first free entry too). */
    if (kind == RVPROBE_KRETPROBE) {
        int slot;
        for (slot = 0; slot < KPROBE_MAX; slot++)
            if (probes[slot].state == RVPROBE_FREE)
                break;
        if (slot == KPROBE_MAX) {
            *why = "no free probe";
            return RVPROBE_ENOSPC;
        }
        memset(ri_pools[slot], 0, sizeof ri_pools[slot]);
        def.pool = ri_pools[slot];
        def.pool_size = KRETPROBE_INSTANCES;
    }
    int id = rvprobe_arm(&table, &def);
    if (id < 0)
        *why = table.reason ? table.reason : rvprobe_strerror(id);
    return id;
}

int kprobe_disarm(int id)
{
    int r = rvprobe_disarm(&table, id);
    if (r == 0)
        r = rvprobe_release(&table, id); /* one hart: nobody is inside the slot */
    return r;
}

const struct rvprobe *kprobe_get(int id)
{
    return id >= 0 && id < KPROBE_MAX ? &probes[id] : 0;
}

int kprobe_on_break(struct kregs *regs)
{
    if (!ready)
        return 0;
    struct rvprobe_hit hit;
    int r = rvprobe_on_break(&table, RVPROBE_KERNEL_SPACE, (struct rvprobe_regs *)regs, &hit);
    return r == 1;
}
