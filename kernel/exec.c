/*
 * exec: load a statically linked RISC-V ELF executable (ELF-64 spec; RISC-V
 * psABI) from the ramdisk into a fresh page table, build the argument
 * vector on a fresh stack, then switch the process over.  Every check
 * happens before the switch, so a bad file only makes exec fail.
 */
#include "exec.h"
#include "elf.h"
#include "kstring.h"
#include "param.h"
#include "printf.h"
#include "proc.h"
#include "ramfs.h"
#include "ktrace.h"
#include "vm.h"
#include <osdbg/errno.h>
#include <osdbg/memlayout.h>

void NOINLINE exec_commit(struct proc *p, uint64_t satp)
{
    /* An empty body the debugger can stop at; the asm keeps the call. */
    asm volatile("" : : "r"(p), "r"(satp) : "memory");
}

static uint64_t pte_perm(uint32_t pflags)
{
    uint64_t perm = 0;
    if (pflags & PF_R)
        perm |= PTE_R;
    if (pflags & PF_W)
        perm |= PTE_W | PTE_R;
    if (pflags & PF_X)
        perm |= PTE_X;
    return perm;
}

/* Map and fill one PT_LOAD segment.  Pages shared with an earlier segment
 * get the union of both permissions. */
static int load_segment(pagetable_t pt, const struct elf64_phdr *ph, const uint8_t *file)
{
    uint64_t perm = pte_perm(ph->flags);
    uint64_t start = PGROUNDDOWN(ph->vaddr), stop = ph->vaddr + ph->memsz;
    for (uint64_t a = start; a < stop; a += PGSIZE) {
        pte_t *pte = walk(pt, a, false);
        if (pte && (*pte & PTE_V))
            *pte |= perm;
        else if (uvm_alloc_range(pt, a, a + PGSIZE, perm) < 0)
            return -1;
    }
    return uvm_fill(pt, ph->vaddr, file + ph->off, ph->filesz);
}

/* Is the header table of this ELF image something we can load? */
static long check_elf(const uint8_t *data, uint64_t size, uint64_t *image_end)
{
    const struct elf64_ehdr *eh = (const void *)data;
    if (size < sizeof *eh || !elf64_magic_ok(eh->ident) || eh->ident[EI_CLASS] != ELFCLASS64 ||
        eh->ident[EI_DATA] != ELFDATA2LSB || eh->type != ET_EXEC || eh->machine != EM_RISCV)
        return -ENOEXEC;
    if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 || eh->phoff > size ||
        (size - eh->phoff) / sizeof(struct elf64_phdr) < eh->phnum)
        return -ENOEXEC;
    const struct elf64_phdr *ph = (const void *)(data + eh->phoff);
    bool entry_ok = false;
    uint64_t end = USER_BASE;
    for (int i = 0; i < eh->phnum; i++) {
        if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
            continue;
        uint64_t va = ph[i].vaddr, mem = ph[i].memsz;
        if (ph[i].filesz > mem || ph[i].off > size || ph[i].filesz > size - ph[i].off)
            return -ENOEXEC; /* truncated file, or a nonsensical header */
        if (va < USER_BASE || mem > USTACK_BOTTOM - PGSIZE || va > USTACK_BOTTOM - PGSIZE - mem)
            return -ENOEXEC; /* outside the user image area */
        if (va % PGSIZE != ph[i].off % PGSIZE)
            return -ENOEXEC;
        if ((ph[i].flags & PF_X) && eh->entry >= va && eh->entry < va + mem)
            entry_ok = true;
        if (va + mem > end)
            end = va + mem;
    }
    if (!entry_ok)
        return -ENOEXEC;
    *image_end = end;
    return 0;
}

/* Push the argument strings and argv[] on the new stack; returns the new sp
 * (16-byte aligned, RISC-V psABI) or 0 if they do not fit. */
static uint64_t push_args(pagetable_t pt, const char *const argv[], int *argcp, uint64_t *argvp)
{
    uint64_t sp = USTACK_TOP, uargv[MAXARG + 1];
    int argc;
    for (argc = 0; argv[argc]; argc++) {
        if (argc >= MAXARG)
            return 0;
        uint64_t len = strlen(argv[argc]) + 1;
        if (sp - USTACK_BOTTOM < len + 64)
            return 0;
        sp -= len;
        if (copyout(pt, sp, argv[argc], len) < 0)
            return 0;
        uargv[argc] = sp;
    }
    uargv[argc] = 0;
    sp -= (argc + 1) * sizeof(uint64_t);
    sp &= ~15UL;
    if (sp < USTACK_BOTTOM || copyout(pt, sp, uargv, (argc + 1) * sizeof(uint64_t)) < 0)
        return 0;
    *argcp = argc;
    *argvp = sp;
    return sp;
}

long kexec(const char *path, const char *const argv[])
{
    struct proc *p = myproc();
    const struct ramfs_file *rf = ramfs_lookup(path);
    if (!rf)
        return -ENOENT;
    uint64_t image_end;
    long err = check_elf(rf->data, rf->size, &image_end);
    if (err < 0)
        return err;

    pagetable_t pt = proc_pagetable(p);
    if (!pt)
        return -ENOMEM;
    uint64_t sz = PGROUNDUP(image_end);
    const struct elf64_ehdr *eh = (const void *)rf->data;
    const struct elf64_phdr *ph = (const void *)(rf->data + eh->phoff);
    int argc = 0;
    uint64_t uargv = 0, sp = 0;
    err = -ENOMEM;
    for (int i = 0; i < eh->phnum; i++)
        if (ph[i].type == PT_LOAD && ph[i].memsz && load_segment(pt, &ph[i], rf->data) < 0)
            goto fail;
    if (uvm_alloc_range(pt, USTACK_BOTTOM, USTACK_TOP, PTE_R | PTE_W) < 0)
        goto fail;
    if ((sp = push_args(pt, argv, &argc, &uargv)) == 0) {
        err = -E2BIG;
        goto fail;
    }

    /* Commit: from here on the old program is gone. */
    const char *base = path;
    for (const char *s = path; *s; s++)
        if (*s == '/')
            base = s + 1;
    /* Under ktrace's spaces lock: a uprobe attach on another hart arms
     * either the old image (dropped by kt_uprobe_free below) or the new
     * one, never a page table being freed. */
    kt_uprobe_spaces_lock();
    strlcpy(p->name, base, sizeof p->name);
    pagetable_t old = p->pagetable;
    uint64_t oldsz = p->sz;
    p->pagetable = pt;
    p->sz = sz;
    kt_uprobe_spaces_unlock();
    memset(p->trapframe, 0, sizeof *p->trapframe);
    p->trapframe->epc = eh->entry;
    p->trapframe->sp = sp;
    p->trapframe->a0 = (uint64_t)argc;
    p->trapframe->a1 = uargv;
    kt_uprobe_free((uint64_t)old); /* a space is a page table (ktrace_os.c) */
    proc_freepagetable(old, oldsz);
    kt_uprobe_exec((uint64_t)pt, p->name); /* arm the uprobes of the new program */
    exec_commit(p, MAKE_SATP(pt));
    return argc; /* becomes a0: main's argc */

fail:
    proc_freepagetable(pt, sz);
    return err;
}
