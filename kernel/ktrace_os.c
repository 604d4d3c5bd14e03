/*
 * The C reference kernel's side of ktrace's port, common part
 * (ktrace/include/ktrace_os.h): harts, interrupts, fences, time, the
 * current task, the console.  Each is a thin call into the kernel's own
 * primitives; the bpf() and probe sections live in ktrace_os_*.c.
 */
#include "ktrace_os.h"
#include "cpu.h"
#include "param.h"
#include "printf.h"
#include "proc.h"
#include "riscv.h"
#include "sbi.h"
#include "spinlock.h"
#include "kstring.h"
#include "ksyms.h"

_Static_assert(NCPU <= KT_MAX_HARTS, "ktrace's per-hart state must have room for every hart");
_Static_assert(PROC_NAME_LEN <= KT_COMM_LEN, "a process name must fit ktrace's comm");

unsigned kt_os_hart(void)
{
    return (unsigned)cpuid();
}

/* push_off/pop_off rather than a bare csrrc: they keep this hart's nesting
 * count, so a kernel lock taken inside ktrace's own locks (kalloc, the
 * process table) does not turn interrupts back on when it is released. */
uint64_t kt_os_irq_save(void)
{
    push_off();
    return 0;
}

void kt_os_irq_restore(uint64_t saved)
{
    (void)saved;
    pop_off();
}

void kt_os_fence_i_all(void)
{
    asm volatile("fence.i" ::: "memory");
    sbi_remote_fence_i_all();
}

/* start 0 and size 2^64-1: a full flush on every hart (SBI v1.0 8.3). */
void kt_os_sfence_vma_all(void)
{
    sbi_remote_sfence_vma_all(0, (uint64_t)-1);
}

uint64_t kt_os_timebase_hz(void)
{
    return TIMEBASE_HZ;
}

uint64_t kt_os_jiffies(void)
{
    return ticks_now();
}

uint64_t kt_os_tick_hz(void)
{
    return TICK_HZ;
}

/* A space is named by its page table's address (never 0 for a process
 * that has one); a task by its struct proc. */
bool kt_os_current(struct kt_task *t)
{
    /* Without -O0 myproc, memset and strlcpy (byte loops): they were about
     * 400 guest instructions of every side-stub event (issue 21). */
    struct proc *p = (struct proc *)kt_os_current_task(0, 0);
    *t = (struct kt_task){0};
    if (!p)
        return false;
    t->pid = p->pid;
    t->tgid = p->pid;
    t->task = (uint64_t)p;
    t->space = (uint64_t)p->pagetable;
    for (size_t i = 0; i < sizeof t->comm - 1 && i < sizeof p->name && p->name[i]; i++)
        t->comm[i] = p->name[i];
    return true;
}

/* Every probe hit asks (prog_run, kretprobe instances): myproc()'s own
 * steps inline here, at this file's -O2 (kernel.mk), instead of a call
 * into -O0 cpu.c (~35 guest instructions a hit, issue 21). */
uint64_t kt_os_current_task(int *pid, uint64_t *space)
{
    int on = intr_save();
    struct proc *p = mycpu()->proc;
    intr_restore(on);
    if (!p)
        return 0;
    if (pid)
        *pid = p->pid;
    if (space)
        *space = (uint64_t)p->pagetable;
    return (uint64_t)p;
}

/* The kernel's printf has no precision (%.*s): copy in NUL-terminated
 * pieces, each written under printf's lock. */
void kt_os_print(const char *s, size_t n)
{
    char piece[128];
    while (n > 0) {
        size_t k = n < sizeof piece - 1 ? n : sizeof piece - 1;
        memcpy(piece, s, k);
        piece[k] = '\0';
        printf("%s", piece);
        s += k;
        n -= k;
    }
}

void kt_os_panic(const char *msg)
{
    panic("%s", msg);
}

uint64_t kt_os_ksym_lookup(const char *name)
{
    return ksym_lookup(name);
}

uint64_t kt_os_ksym_func_start(uint64_t addr)
{
    return ksym_func_start(addr);
}
