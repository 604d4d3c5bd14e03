/*
 * The C reference kernel's side of ktrace's port, the probes and side-stub
 * section (ktrace/include/ktrace_os.h): patching kernel text, what must not
 * be probed, the processes and their spaces for uprobes, the uprobe slot
 * page, and the debug channel.  A space is a process's page table
 * (kt_os_current in ktrace_os.c); user memory is read and written in
 * ktrace_os_bpf.c.  Called from probe hits too, so kernel.ld keeps this
 * file's code out of reach of probes.
 */
#include "ktrace.h"
#include "kalloc.h"
#include "kstring.h"
#include "proc.h"
#include "riscv.h"
#include "sbi.h"
#include "textpatch.h"
#include "utext.h"
#include "virtio_console.h"
#include "vm.h"
#include <osdbg/errno.h>
#include <osdbg/memlayout.h>

extern char noprobe_start[], noprobe_end[], _trampoline[]; /* kernel.ld */

/* ---- kernel text ---- */

/* The text is mapped R-X: the PTE is made writable for the copy, then the
 * TLB entry is flushed on every hart (privileged spec 4.2.1: sfence.vma
 * orders only the executing hart, and the kernel page table is every
 * hart's).  text_patch fences instruction fetch on every hart. */
int kt_os_kernel_write_text(uint64_t addr, const void *bytes, size_t n)
{
    for (uint64_t a = PGROUNDDOWN(addr); a < addr + n; a += PGSIZE) {
        pte_t *pte = walk(kernel_pagetable, a, false);
        if (!pte || !(*pte & PTE_V))
            return -EFAULT;
    }
    push_off();
    for (uint64_t a = PGROUNDDOWN(addr); a < addr + n; a += PGSIZE)
        *walk(kernel_pagetable, a, false) |= PTE_W;
    sfence_vma();
    /* Other harts may be running these very instructions: never a torn
     * one (textpatch.c), and fenced on every hart. */
    text_patch((uint8_t *)addr, (uint8_t *)addr + 2, bytes, (unsigned)n);
    for (uint64_t a = PGROUNDDOWN(addr); a < addr + n; a += PGSIZE)
        *walk(kernel_pagetable, a, false) &= ~PTE_W;
    sfence_vma();
    sbi_remote_sfence_vma_all(PGROUNDDOWN(addr), PGROUNDUP(addr + n) - PGROUNDDOWN(addr));
    pop_off();
    return 0;
}

const char *kt_os_kprobe_forbidden(uint64_t addr)
{
    if (addr >= (uint64_t)noprobe_start && addr < (uint64_t)noprobe_end)
        return "the trap path, the probe engine, the eBPF runtime and the console are not "
               "probeable (a probe there would trap inside its own handling)";
    if (addr >= (uint64_t)_trampoline && addr < (uint64_t)_trampoline + PGSIZE)
        return "the user/kernel trampoline is not probeable";
    return 0;
}

/* ---- user spaces ---- */

/* The process table walked without its lock (proc_first: ktrace holds the
 * spaces lock, which exec, fork and free_proc take around the changes). */
void kt_os_each_task(void (*fn)(const struct kt_task *t, void *arg), void *arg)
{
    for (struct proc *p = proc_first(); p; p = proc_next(p)) {
        if (!p->pagetable)
            continue;
        struct kt_task t = {
            .pid = p->pid,
            .tgid = p->pid,
            .task = (uint64_t)p,
            .space = (uint64_t)p->pagetable,
        };
        strlcpy(t.comm, p->name, sizeof t.comm);
        fn(&t, arg);
    }
}

/* Through the frames' kernel addresses, as text_patch wants: the process
 * may be running this code on another hart (textpatch.c). */
int kt_os_user_write_text(uint64_t space, uint64_t addr, const void *bytes, size_t n)
{
    pagetable_t pt = (pagetable_t)space;
    uint64_t lo = walkaddr(pt, PGROUNDDOWN(addr)), hi = walkaddr(pt, PGROUNDDOWN(addr + 2));
    if (!lo || !hi || n < 2 || (n > 4 && PGROUNDDOWN(addr) != PGROUNDDOWN(addr + n - 1)))
        return -EFAULT;
    text_patch((uint8_t *)(lo + (addr - PGROUNDDOWN(addr))),
               (uint8_t *)(hi + (addr + 2 - PGROUNDDOWN(addr + 2))), bytes, (unsigned)n);
    return 0;
}

/* At UPROBE_SLOTS, below the user stack's guard page (memlayout.h);
 * proc_freepagetable frees it with the page table. */
int kt_os_uprobe_slot_page(uint64_t space, uint64_t *addr)
{
    pagetable_t pt = (pagetable_t)space;
    *addr = UPROBE_SLOTS;
    if (walkaddr(pt, UPROBE_SLOTS))
        return 0;
    uint8_t *page = kalloc();
    if (!page)
        return -ENOMEM;
    memset(page, 0, PGSIZE);
    if (mappages(pt, UPROBE_SLOTS, PGSIZE, (uint64_t)page, PTE_R | PTE_X | PTE_U) < 0) {
        kfree(page);
        return -ENOMEM;
    }
    return 0;
}

/* A process running on another hart may be anywhere; any other (this
 * hart's, in a trap; or not running) is at its trap frame's epc. */
int kt_os_user_pc(uint64_t space, uint64_t *pc)
{
    for (struct proc *p = proc_first(); p; p = proc_next(p)) {
        if ((uint64_t)p->pagetable != space)
            continue;
        if (p != myproc() && __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == RUNNING)
            return -EBUSY;
        *pc = p->trapframe->epc;
        return 0;
    }
    return -ESRCH;
}

int kt_os_uprobe_check_insn(const char *program, uint64_t addr, uint64_t *func_start)
{
    return utext_check_insn(program, addr, func_start);
}

/* ---- the debug channel (virtio_console.c) ---- */

size_t kt_os_chan_send(const void *data, size_t n)
{
    return dbgchan_send(data, n);
}

size_t kt_os_chan_room(void)
{
    return dbgchan_room();
}

uint64_t kt_os_chan_dropped(void)
{
    return dbgchan_dropped();
}

void kt_os_wait_interrupt(void)
{
    intr_on();
    asm volatile("wfi");
    intr_off();
}
