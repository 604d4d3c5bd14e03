/*
 * Supervisor-mode CSRs, status bits and Sv39 page-table entry format, from
 * the RISC-V privileged spec (v1.12), chapter 4 "Supervisor-Level ISA".
 */
#ifndef KERNEL_RISCV_H
#define KERNEL_RISCV_H

#include <stdint.h>
#include <osdbg/memlayout.h>

#define csr_read(name)                                                                             \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        asm volatile("csrr %0, " #name : "=r"(v_));                                                \
        v_;                                                                                        \
    })
#define csr_write(name, v) asm volatile("csrw " #name ", %0" : : "r"((uint64_t)(v)))
#define csr_set(name, v)   asm volatile("csrs " #name ", %0" : : "r"((uint64_t)(v)))
#define csr_clear(name, v) asm volatile("csrc " #name ", %0" : : "r"((uint64_t)(v)))

/* sstatus (4.1.1) */
#define SSTATUS_SIE  (1UL << 1)  /* supervisor interrupts enabled */
#define SSTATUS_SPIE (1UL << 5)  /* SIE before the trap */
#define SSTATUS_SPP  (1UL << 8)  /* privilege before the trap: 1 = S, 0 = U */
#define SSTATUS_SUM  (1UL << 18) /* S-mode may touch U pages (we never set it) */

/* sie / sip (4.1.3) */
#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIE_SEIE (1UL << 9)

/* scause (4.1.9): interrupt bit and the codes we handle */
#define SCAUSE_INTERRUPT     (1UL << 63)
#define IRQ_S_SOFT           1
#define IRQ_S_TIMER          5
#define IRQ_S_EXT            9
#define EXC_INST_MISALIGNED  0
#define EXC_INST_ACCESS      1
#define EXC_ILLEGAL_INST     2
#define EXC_BREAKPOINT       3
#define EXC_LOAD_ACCESS      5
#define EXC_STORE_ACCESS     7
#define EXC_ECALL_U          8
#define EXC_INST_PAGE_FAULT  12
#define EXC_LOAD_PAGE_FAULT  13
#define EXC_STORE_PAGE_FAULT 15

/* satp (4.1.11): MODE = 8 selects Sv39 */
#define SATP_SV39            (8UL << 60)
#define MAKE_SATP(pagetable) (SATP_SV39 | (((uint64_t)(pagetable)) >> 12))

/* Sv39 page-table entries (4.4.1) */
#define PTE_V          (1UL << 0)
#define PTE_R          (1UL << 1)
#define PTE_W          (1UL << 2)
#define PTE_X          (1UL << 3)
#define PTE_U          (1UL << 4)
#define PTE_G          (1UL << 5)
#define PTE_A          (1UL << 6)
#define PTE_D          (1UL << 7)
#define PA2PTE(pa)     ((((uint64_t)(pa)) >> 12) << 10)
#define PTE2PA(pte)    (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte)&0x3FF)
#define PX(level, va)  ((((uint64_t)(va)) >> (12 + 9 * (level))) & 0x1FF)

#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(uint64_t)(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(uint64_t)(PGSIZE - 1))

/*
 * The accessors below are always inlined, even in the -O0 debug build: each
 * is one or two instructions, and as calls they cost ten times that on
 * every trap, lock and myproc() (the trap path calls them dozens of times).
 */
#define RISCV_INLINE static inline __attribute__((always_inline))

typedef uint64_t pte_t;
typedef uint64_t *pagetable_t; /* 512 PTEs */

RISCV_INLINE void sfence_vma(void)
{
    asm volatile("sfence.vma zero, zero");
}

RISCV_INLINE uint64_t r_tp(void)
{
    uint64_t x;
    asm volatile("mv %0, tp" : "=r"(x));
    return x;
}

RISCV_INLINE uint64_t r_time(void)
{
    uint64_t x;
    asm volatile("rdtime %0" : "=r"(x));
    return x;
}

RISCV_INLINE void intr_on(void)
{
    csr_set(sstatus, SSTATUS_SIE);
}

RISCV_INLINE void intr_off(void)
{
    csr_clear(sstatus, SSTATUS_SIE);
}

RISCV_INLINE int intr_get(void)
{
    return (csr_read(sstatus) & SSTATUS_SIE) != 0;
}

/* Turns interrupts off and returns whether they were on (csrrc reads and
 * clears in one instruction), for a short section that nests nothing. */
RISCV_INLINE int intr_save(void)
{
    uint64_t s;
    asm volatile("csrrc %0, sstatus, %1" : "=r"(s) : "r"(SSTATUS_SIE) : "memory");
    return (s & SSTATUS_SIE) != 0;
}

/* Undoes intr_save(): interrupts back on if they were on before. */
RISCV_INLINE void intr_restore(int on)
{
    if (on)
        asm volatile("csrs sstatus, %0" : : "r"(SSTATUS_SIE) : "memory");
}

#endif
