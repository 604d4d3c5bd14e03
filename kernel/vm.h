/*
 * Sv39 page tables.  The kernel has one page table; every process has its
 * own.  The kernel never dereferences a user address: it goes through
 * copyin/copyout/copyinstr, which walk the process's page table in software
 * and refuse pages that are not user-accessible.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include "types.h"
#include "riscv.h"

extern pagetable_t kernel_pagetable;

void kvm_init(uint64_t ram_end);
void kvm_enable(void); /* turn paging on for this hart with the kernel table */
int kvm_map(pagetable_t pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t perm);

pte_t *walk(pagetable_t pt, uint64_t va, bool alloc);
uint64_t walkaddr(pagetable_t pt, uint64_t va); /* PA of a user page, or 0 */
int mappages(pagetable_t pt, uint64_t va, uint64_t size, uint64_t pa, uint64_t perm);
void unmappages(pagetable_t pt, uint64_t va, uint64_t npages, bool free_pages);

pagetable_t uvm_create(void);
/* Grow a user image from oldsz to newsz (page-granular, from USER_BASE);
 * returns newsz or 0 on failure (nothing leaked). */
uint64_t uvm_alloc(pagetable_t pt, uint64_t oldsz, uint64_t newsz, uint64_t perm);
uint64_t uvm_dealloc(pagetable_t pt, uint64_t oldsz, uint64_t newsz);
int uvm_alloc_range(pagetable_t pt, uint64_t start, uint64_t stop, uint64_t perm);
/* Copy every user page mapped in [USER_BASE, sz) and the stack. */
int uvm_copy(pagetable_t from, pagetable_t to, uint64_t sz);
void uvm_free(pagetable_t pt, uint64_t sz);
void uvm_clear_user(pagetable_t pt, uint64_t va);

int copyout(pagetable_t pt, uint64_t dstva, const void *src, uint64_t len);
/* Like copyout, into read-only user pages too (exec filling a new image). */
int uvm_fill(pagetable_t pt, uint64_t dstva, const void *src, uint64_t len);
int copyin(pagetable_t pt, void *dst, uint64_t srcva, uint64_t len);
/* Copy a NUL-terminated string of at most max bytes (NUL included).
 * Returns its length, or -1 (bad address / too long). */
long copyinstr(pagetable_t pt, char *dst, uint64_t srcva, uint64_t max);

#endif
