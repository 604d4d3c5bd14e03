/*
 * Physical page allocator: a free list threaded through the free pages
 * themselves, from the end of the kernel image to the end of RAM.
 */
#include "kalloc.h"
#include "kstring.h"
#include "printf.h"
#include "riscv.h"
#include "spinlock.h"

extern char end[]; /* first address after the kernel image (kernel.ld) */

struct run {
    struct run *next;
};

static struct {
    struct spinlock lock;
    struct run *free;
    uint64_t nfree;
    uint64_t ram_end;
} kmem;

static void free_page(void *pa);

void kalloc_init(uint64_t ram_end)
{
    spin_init(&kmem.lock, "kmem");
    kmem.ram_end = ram_end;
    for (uint64_t p = PGROUNDUP((uint64_t)end); p + PGSIZE <= ram_end; p += PGSIZE)
        free_page((void *)p);
}

static void free_page(void *pa)
{
    struct run *r = pa;
    acquire(&kmem.lock);
    r->next = kmem.free;
    kmem.free = r;
    kmem.nfree++;
    release(&kmem.lock);
}

void kfree(void *pa)
{
    uint64_t a = (uint64_t)pa;
    if (a % PGSIZE || a < (uint64_t)end || a >= kmem.ram_end)
        panic("kfree: bad page %p", pa);
    /* Fill with junk so a use after free shows up quickly (not at boot:
     * clearing all of RAM would cost a noticeable part of the boot time). */
    memset(pa, 0x5a, PGSIZE);
    free_page(pa);
}

void *kalloc(void)
{
    acquire(&kmem.lock);
    struct run *r = kmem.free;
    if (r) {
        kmem.free = r->next;
        kmem.nfree--;
    }
    release(&kmem.lock);
    if (r)
        memset(r, 0, PGSIZE);
    return r;
}

uint64_t kalloc_free_pages(void)
{
    return kmem.nfree;
}
