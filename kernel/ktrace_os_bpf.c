/*
 * The C reference kernel's side of ktrace's port, the bpf() section
 * (ktrace/include/ktrace_os.h): user and kernel memory, where the kernel's
 * code and stacks are, bpf() descriptors in the process's file table, the
 * JIT's pages, waiting.  Called from ktrace's probe handlers too (interrupts
 * off), so kernel.ld keeps this file's code out of reach of probes.
 */
#include "ktrace.h"
#include "file.h"
#include "kalloc.h"
#include "kstring.h"
#include "param.h"
#include "proc.h"
#include "riscv.h"
#include "sbi.h"
#include "vm.h"
#include <osdbg/errno.h>
#include <osdbg/memlayout.h>
#include <stddef.h>

_Static_assert(KT_PAGE_SIZE == PGSIZE, "ktrace's page is the kernel's");

extern char etext[]; /* end of kernel text (kernel.ld) */

/* ---- memory ---- */

/* A space is a process's page table (kt_os_current); copyin and copyout
 * walk it in software and take only user pages, so they never fault. */
int kt_os_user_read(uint64_t space, uint64_t addr, void *buf, size_t n)
{
    if (!space || copyin((pagetable_t)space, buf, addr, n) < 0)
        return -EFAULT;
    return 0;
}

int kt_os_user_write(uint64_t space, uint64_t addr, const void *buf, size_t n)
{
    if (!space || copyout((pagetable_t)space, addr, buf, n) < 0)
        return -EFAULT;
    return 0;
}

bool kt_os_user_addr(uint64_t addr)
{
    return addr >= USER_BASE && addr < MAXVA;
}

/* Device registers lie below KERNBASE: refused whatever the page table says. */
bool kt_os_kernel_readable(uint64_t addr, size_t n)
{
    if (addr + n < addr || addr < KERNBASE)
        return false;
    for (uint64_t a = PGROUNDDOWN(addr); a < addr + n; a += PGSIZE) {
        pte_t *pte = walk(kernel_pagetable, a, false);
        if (!pte || !(*pte & PTE_V) || !(*pte & PTE_R))
            return false;
    }
    return true;
}

void kt_os_kernel_text(uint64_t *lo, uint64_t *hi)
{
    *lo = KERNBASE;
    *hi = (uint64_t)etext;
}

/* ---- stacks ---- */

/* The deepest kernel stack is a boot stack; process stacks are smaller,
 * with unmapped guard pages around them (the walker stops there). */
bool kt_os_kernel_stack(uint64_t sp, uint64_t *lo, uint64_t *hi)
{
    *lo = sp;
    *hi = sp + BOOT_STACK_SIZE;
    return sp < sp + BOOT_STACK_SIZE;
}

/* The trap frame holds epc, then x1..x31 in pt_regs order (trapframe.h). */
bool kt_os_user_stack(struct kt_user_stack *u)
{
    struct proc *p = myproc();
    if (!p || !p->pagetable || !p->trapframe)
        return false;
    const struct trapframe *tf = p->trapframe;
    u->space = (uint64_t)p->pagetable;
    u->stack_lo = USTACK_BOTTOM;
    u->stack_hi = USTACK_TOP;
    u->text_lo = USER_BASE;
    u->text_hi = p->sz;
    u->regs[0] = tf->epc;
    memcpy(&u->regs[1], &tf->ra, 31 * sizeof(uint64_t));
    return true;
}
_Static_assert(offsetof(struct trapframe, t6) - offsetof(struct trapframe, ra) == 30 * 8,
               "the trap frame's registers are x1..x31 in order");

/* ---- descriptors ---- */

static enum file_type file_type_of(int kind)
{
    switch (kind) {
    case KT_FD_MAP:
        return FILE_BPF_MAP;
    case KT_FD_PROG:
        return FILE_BPF_PROG;
    case KT_FD_LINK:
        return FILE_BPF_LINK;
    }
    return FILE_NONE;
}

long kt_os_fd_install(int kind, int id)
{
    struct proc *p = myproc();
    enum file_type type = file_type_of(kind);
    int fd;
    if (type == FILE_NONE)
        return -EINVAL;
    for (fd = 0; fd < NOFILE; fd++)
        if (!p->ofile[fd])
            break;
    if (fd == NOFILE)
        return -EMFILE;
    long err;
    struct file *f = file_open_bpf(type, id, &err);
    if (!f)
        return err;
    p->ofile[fd] = f;
    return fd;
}

int kt_os_fd_lookup(int fd, int kind)
{
    if (fd < 0 || fd >= NOFILE)
        return -EBADF;
    struct file *f = myproc()->ofile[fd];
    enum file_type type = file_type_of(kind);
    return f && type != FILE_NONE && f->type == type ? f->bpf_id : -EBADF;
}

/* ---- the JIT's pages ----
 * Compiled code gets a page of its own, written while the page is mapped
 * R-W, then mapped R-X (never writable and executable at once).  Every
 * hart runs it through the one kernel page table, and a local sfence.vma
 * orders the update only for the hart that executes it (riscv-privileged
 * 4.2.1): another hart may still hold the page's old R-W entry in its TLB
 * (it would fault fetching the code) or an old R-X one after the page is
 * freed.  So the change is fenced on every hart (SBI RFENCE
 * remote_sfence_vma), and so is instruction fetch (remote fence.i): the
 * code must not come from a stale instruction cache on another hart. */

static void set_page_exec(void *page, bool exec)
{
    pte_t *pte = walk(kernel_pagetable, (uint64_t)page, false);
    *pte = exec ? (*pte & ~PTE_W) | PTE_X : (*pte & ~PTE_X) | PTE_W;
    sfence_vma();
    sbi_remote_sfence_vma_all((uint64_t)page, PGSIZE);
    asm volatile("fence.i" ::: "memory");
    sbi_remote_fence_i_all();
}

void *kt_os_code_page_alloc(void)
{
    return kalloc();
}

void kt_os_code_page_seal(void *page)
{
    set_page_exec(page, true);
}

void kt_os_code_page_free(void *page)
{
    set_page_exec(page, false);
    kfree(page);
}

/* ---- waiting ---- */

void kt_os_yield(void)
{
    yield();
}
