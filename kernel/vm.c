/*
 * Sv39 page tables (RISC-V privileged spec 4.3 "Sv32" and 4.4 "Sv39"):
 * three levels of 512 eight-byte entries, 9 VA bits per level above the
 * 12-bit page offset.
 */
#include "vm.h"
#include "kalloc.h"
#include "kstring.h"
#include "printf.h"
#include "param.h"
#include <osdbg/memlayout.h>

pagetable_t kernel_pagetable;

extern char etext[];       /* end of kernel text (kernel.ld) */
extern char _trampoline[]; /* trampoline.S */

int kvm_map(pagetable_t pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t perm)
{
    return mappages(pt, va, size, pa, perm);
}

/* The kernel page table: devices, kernel text read-execute, the rest of RAM
 * read-write, the trampoline at the top.  Kernel stacks are mapped as
 * processes are created (proc.c). */
void kvm_init(uint64_t ram_end)
{
    pagetable_t kpt = kalloc();
    if (!kpt)
        panic("kvm_init: out of memory");
    int err = 0;
    err |= kvm_map(kpt, VIRT_TEST, VIRT_TEST, PGSIZE, PTE_R | PTE_W);
    err |= kvm_map(kpt, PLIC, PLIC, PLIC_SIZE, PTE_R | PTE_W);
    err |= kvm_map(kpt, UART0, UART0, PGSIZE, PTE_R | PTE_W);
    err |= kvm_map(kpt, VIRTIO_MMIO_BASE, VIRTIO_MMIO_BASE, VIRTIO_MMIO_SLOTS * VIRTIO_MMIO_STRIDE,
                   PTE_R | PTE_W);
    err |= kvm_map(kpt, KERNBASE, KERNBASE, (uint64_t)etext - KERNBASE, PTE_R | PTE_X);
    err |= kvm_map(kpt, (uint64_t)etext, (uint64_t)etext, ram_end - (uint64_t)etext, PTE_R | PTE_W);
    err |= kvm_map(kpt, TRAMPOLINE, (uint64_t)_trampoline, PGSIZE, PTE_R | PTE_X);
    if (err)
        panic("kvm_init: cannot map the kernel");
    kernel_pagetable = kpt;
}

void kvm_enable(void)
{
    sfence_vma();
    csr_write(satp, MAKE_SATP(kernel_pagetable));
    sfence_vma();
}

/* The PTE for va, creating intermediate tables when alloc is true. */
pte_t *walk(pagetable_t pt, uint64_t va, bool alloc)
{
    if (va >= MAXVA)
        return 0;
    for (int level = 2; level > 0; level--) {
        pte_t *pte = &pt[PX(level, va)];
        if (*pte & PTE_V) {
            if (*pte & (PTE_R | PTE_W | PTE_X))
                return 0; /* a superpage: we never make them */
            pt = (pagetable_t)PTE2PA(*pte);
        } else {
            if (!alloc || (pt = kalloc()) == 0)
                return 0;
            *pte = PA2PTE(pt) | PTE_V;
        }
    }
    return &pt[PX(0, va)];
}

uint64_t walkaddr(pagetable_t pt, uint64_t va)
{
    pte_t *pte = walk(pt, va, false);
    if (!pte || !(*pte & PTE_V) || !(*pte & PTE_U))
        return 0;
    return PTE2PA(*pte);
}

int mappages(pagetable_t pt, uint64_t va, uint64_t size, uint64_t pa, uint64_t perm)
{
    if (size == 0)
        panic("mappages: size 0");
    uint64_t a = PGROUNDDOWN(va), last = PGROUNDDOWN(va + size - 1);
    for (;; a += PGSIZE, pa += PGSIZE) {
        pte_t *pte = walk(pt, a, true);
        if (!pte)
            return -1;
        if (*pte & PTE_V)
            panic("mappages: remap of %p", (void *)a);
        /* A and D set up front: QEMU would set them anyway, and hardware that
         * traps on clear A/D bits is allowed by the spec (4.3.1). */
        *pte = PA2PTE(pa) | perm | PTE_V | PTE_A | PTE_D;
        if (a == last)
            break;
    }
    return 0;
}

void unmappages(pagetable_t pt, uint64_t va, uint64_t npages, bool free_pages)
{
    for (uint64_t a = va; a < va + npages * PGSIZE; a += PGSIZE) {
        pte_t *pte = walk(pt, a, false);
        if (!pte || !(*pte & PTE_V))
            continue; /* holes are fine: heaps and stacks are sparse */
        if (free_pages)
            kfree((void *)PTE2PA(*pte));
        *pte = 0;
    }
}

pagetable_t uvm_create(void)
{
    return kalloc();
}

uint64_t uvm_alloc(pagetable_t pt, uint64_t oldsz, uint64_t newsz, uint64_t perm)
{
    if (newsz <= oldsz)
        return oldsz;
    if (newsz > USTACK_BOTTOM - PGSIZE)
        return 0;
    if (uvm_alloc_range(pt, PGROUNDUP(oldsz), newsz, perm) < 0)
        return 0;
    return newsz;
}

int uvm_alloc_range(pagetable_t pt, uint64_t start, uint64_t stop, uint64_t perm)
{
    for (uint64_t a = PGROUNDDOWN(start); a < stop; a += PGSIZE) {
        if (walkaddr(pt, a))
            continue; /* already mapped (segments sharing a page) */
        void *mem = kalloc();
        if (!mem || mappages(pt, a, PGSIZE, (uint64_t)mem, perm | PTE_U) < 0) {
            if (mem)
                kfree(mem);
            unmappages(pt, PGROUNDDOWN(start), (a - PGROUNDDOWN(start)) / PGSIZE, true);
            return -1;
        }
    }
    return 0;
}

uint64_t uvm_dealloc(pagetable_t pt, uint64_t oldsz, uint64_t newsz)
{
    if (newsz >= oldsz)
        return oldsz;
    if (PGROUNDUP(newsz) < PGROUNDUP(oldsz))
        unmappages(pt, PGROUNDUP(newsz), (PGROUNDUP(oldsz) - PGROUNDUP(newsz)) / PGSIZE, true);
    return newsz;
}

static int copy_range(pagetable_t from, pagetable_t to, uint64_t start, uint64_t stop)
{
    for (uint64_t a = start; a < stop; a += PGSIZE) {
        pte_t *pte = walk(from, a, false);
        if (!pte || !(*pte & PTE_V))
            continue;
        void *mem = kalloc();
        if (!mem)
            return -1;
        memcpy(mem, (void *)PTE2PA(*pte), PGSIZE);
        if (mappages(to, a, PGSIZE, (uint64_t)mem,
                     PTE_FLAGS(*pte) & (PTE_R | PTE_W | PTE_X | PTE_U)) < 0) {
            kfree(mem);
            return -1;
        }
    }
    return 0;
}

int uvm_copy(pagetable_t from, pagetable_t to, uint64_t sz)
{
    if (copy_range(from, to, USER_BASE, PGROUNDUP(sz)) == 0 &&
        copy_range(from, to, USTACK_BOTTOM, USTACK_TOP) == 0)
        return 0;
    unmappages(to, USER_BASE, (PGROUNDUP(sz) - USER_BASE) / PGSIZE, true);
    unmappages(to, USTACK_BOTTOM, USTACK_PAGES, true);
    return -1;
}

static void free_tables(pagetable_t pt, int level)
{
    for (int i = 0; i < 512; i++) {
        pte_t pte = pt[i];
        if ((pte & PTE_V) && !(pte & (PTE_R | PTE_W | PTE_X))) {
            free_tables((pagetable_t)PTE2PA(pte), level - 1);
            pt[i] = 0;
        } else if (pte & PTE_V) {
            panic("free_tables: leaf left mapped at level %d", level);
        }
    }
    kfree(pt);
}

/* Free a process's user memory and page table.  The caller has unmapped the
 * trampoline and trap frame (they are not the process's to free). */
void uvm_free(pagetable_t pt, uint64_t sz)
{
    if (sz > USER_BASE)
        unmappages(pt, USER_BASE, (PGROUNDUP(sz) - USER_BASE) / PGSIZE, true);
    unmappages(pt, USTACK_BOTTOM, USTACK_PAGES, true);
    free_tables(pt, 2);
}

/* Make a page inaccessible from user mode (the stack guard). */
void uvm_clear_user(pagetable_t pt, uint64_t va)
{
    pte_t *pte = walk(pt, va, false);
    if (pte)
        *pte &= ~PTE_U;
}

/* Copy into user pages whose PTEs have all of `need` (and V). */
static int copy_to_user(pagetable_t pt, uint64_t dstva, const void *src, uint64_t len,
                        uint64_t need)
{
    const char *s = src;
    while (len > 0) {
        uint64_t va0 = PGROUNDDOWN(dstva);
        pte_t *pte = walk(pt, va0, false);
        if (!pte || (*pte & (PTE_V | need)) != (PTE_V | need))
            return -1;
        uint64_t n = PGSIZE - (dstva - va0);
        if (n > len)
            n = len;
        memmove((void *)(PTE2PA(*pte) + (dstva - va0)), s, n);
        len -= n;
        s += n;
        dstva = va0 + PGSIZE;
    }
    return 0;
}

int copyout(pagetable_t pt, uint64_t dstva, const void *src, uint64_t len)
{
    return copy_to_user(pt, dstva, src, len, PTE_U | PTE_W);
}

int uvm_fill(pagetable_t pt, uint64_t dstva, const void *src, uint64_t len)
{
    return copy_to_user(pt, dstva, src, len, PTE_U);
}

int copyin(pagetable_t pt, void *dst, uint64_t srcva, uint64_t len)
{
    char *d = dst;
    while (len > 0) {
        uint64_t va0 = PGROUNDDOWN(srcva);
        uint64_t pa0 = walkaddr(pt, va0);
        if (!pa0)
            return -1;
        uint64_t n = PGSIZE - (srcva - va0);
        if (n > len)
            n = len;
        memmove(d, (void *)(pa0 + (srcva - va0)), n);
        len -= n;
        d += n;
        srcva = va0 + PGSIZE;
    }
    return 0;
}

long copyinstr(pagetable_t pt, char *dst, uint64_t srcva, uint64_t max)
{
    uint64_t got = 0;
    while (got < max) {
        uint64_t va0 = PGROUNDDOWN(srcva);
        uint64_t pa0 = walkaddr(pt, va0);
        if (!pa0)
            return -1;
        const char *p = (const char *)(pa0 + (srcva - va0));
        uint64_t n = PGSIZE - (srcva - va0);
        for (; n > 0 && got < max; n--, got++, srcva++) {
            dst[got] = *p++;
            if (dst[got] == 0)
                return (long)got;
        }
    }
    return -1;
}
