/*
 * Trap handling (RISC-V privileged spec 4.1: stvec, scause, sepc, stval).
 * From user mode: trampoline.S uservec -> usertrap() -> ... ->
 * usertrapret() -> trampoline.S userret.  From kernel mode: kernelvec.S ->
 * kerneltrap().
 *
 * The debugger relies on two names here (profiles/osdbg-kernel.json):
 * usertrap, where every trap from user mode enters C, and usertrapret,
 * where the kernel leaves for user mode.
 */
#include "trap.h"
#include "kregs.h"
#include "kstring.h"
#include "ktrace.h"
#include "plic.h"
#include "printf.h"
#include "proc.h"
#include "riscv.h"
#include "sbi.h"
#include "syscall.h"
#include "uart.h"
#include "virtio_console.h"
#include <osdbg/memlayout.h>
#include <rvprobe.h>

/* kernelvec saves struct kregs, which ktrace's kprobes take as pt_regs. */
_Static_assert(sizeof(struct kregs) == sizeof(struct rvprobe_regs), "kregs is pt_regs");
_Static_assert(__builtin_offsetof(struct kregs, a0) == __builtin_offsetof(struct rvprobe_regs, a0),
               "kregs is pt_regs");

extern char trampoline[], uservec[], userret[];
extern void kernelvec(void);

static void timer_arm(void)
{
    sbi_set_timer(r_time() + TIMEBASE_HZ / TICK_HZ);
}

void trap_init_hart(void)
{
    csr_write(stvec, (uint64_t)kernelvec);
    /* User programs may read cycle, time and instret (benchmarks). */
    csr_write(scounteren, 0x7);
    csr_set(sie, SIE_SEIE | SIE_STIE | SIE_SSIE);
    timer_arm();
}

const char *trap_cause_name(uint64_t scause)
{
    switch (scause) {
    case EXC_INST_MISALIGNED:
        return "instruction address misaligned";
    case EXC_INST_ACCESS:
        return "instruction access fault";
    case EXC_ILLEGAL_INST:
        return "illegal instruction";
    case EXC_BREAKPOINT:
        return "breakpoint";
    case 4:
        return "load address misaligned";
    case EXC_LOAD_ACCESS:
        return "load access fault";
    case 6:
        return "store address misaligned";
    case EXC_STORE_ACCESS:
        return "store access fault";
    case EXC_INST_PAGE_FAULT:
        return "instruction page fault";
    case EXC_LOAD_PAGE_FAULT:
        return "load page fault";
    case EXC_STORE_PAGE_FAULT:
        return "store page fault";
    default:
        return "unknown exception";
    }
}

/* Interrupts.  Returns 2 for a timer tick (the caller yields), 1 for another
 * device, 0 if scause is not an interrupt we know. */
static int devintr(uint64_t scause)
{
    if (!(scause & SCAUSE_INTERRUPT))
        return 0;
    switch (scause & ~SCAUSE_INTERRUPT) {
    case IRQ_S_EXT: {
        int irq = plic_claim();
        if (irq == UART0_IRQ)
            uart_intr();
        else if (irq > 0)
            virtio_console_intr(irq);
        if (irq)
            plic_complete(irq);
        return 1;
    }
    case IRQ_S_TIMER:
        /* One hart keeps the time: ticks count 100 Hz, not 100 Hz per hart.
         * Every hart's tick sends the side-stub's waiting events (the first
         * to take its lock does): with more harts they leave more often. */
        if (cpuid() == boot_hartid)
            clock_tick();
        kt_sidestub_tick();
        timer_arm();
        return 2;
    default:
        return 0;
    }
}

/* A breakpoint from user mode, for ktrace's uprobes: the trap frame holds
 * x1..x31 in order (include/osdbg/trapframe.h), as struct rvprobe_regs
 * does after its pc.  1 if it was a uprobe's (the trap frame now says
 * where to go on). */
static int uprobe_break(struct proc *p)
{
    struct rvprobe_regs regs;
    regs.pc = p->trapframe->epc;
    memcpy(&regs.ra, &p->trapframe->ra, 31 * sizeof(uint64_t));
    if (!kt_uprobe_on_break(&regs))
        return 0;
    p->trapframe->epc = regs.pc;
    memcpy(&p->trapframe->ra, &regs.ra, 31 * sizeof(uint64_t));
    return 1;
}

/* A trap from user mode, entered from uservec on the process's kernel stack
 * with the kernel page table. */
void usertrap(void)
{
    if (csr_read(sstatus) & SSTATUS_SPP)
        panic("usertrap: not from user mode");
    csr_write(stvec, (uint64_t)kernelvec);

    struct proc *p = myproc();
    /* The user pc, saved here as xv6 saves it (not in uservec): until
     * now only sepc holds it, and interrupts stay off until intr_on(). */
    p->trapframe->epc = csr_read(sepc);
    uint64_t scause = csr_read(scause);
    int which = 0;

    if (scause == EXC_ECALL_U) {
        if (proc_killed(p))
            exit(-1);
        p->trapframe->epc += 4; /* return after the ecall */
        intr_on();
        syscall();
    } else if ((which = devintr(scause)) != 0) {
        /* handled */
    } else if (scause == EXC_BREAKPOINT && uprobe_break(p)) {
        /* a uprobe: its handler ran, the trap frame says where to go on */
    } else {
        /* The program did something wrong: kill it, keep the system up. */
        printf("[kernel] pid %d (%s) killed: %s at pc 0x%lx, address 0x%lx\n", p->pid, p->name,
               trap_cause_name(scause), p->trapframe->epc, csr_read(stval));
        proc_set_killed(p);
    }

    if (proc_killed(p))
        exit(-1);
    if (which == 2)
        yield();
    kt_sidestub_poll();
    usertrapret();
}

/* Return to user mode through the trampoline. */
void usertrapret(void)
{
    struct proc *p = myproc();
    intr_off(); /* until sret: stvec is about to point at uservec */
    csr_write(stvec, TRAMPOLINE + ((uint64_t)uservec - (uint64_t)trampoline));

    p->trapframe->kernel_satp = csr_read(satp);
    p->trapframe->kernel_sp = p->kstack;
    p->trapframe->kernel_trap = (uint64_t)usertrap;
    p->trapframe->kernel_hartid = r_tp();

    uint64_t sstatus = csr_read(sstatus);
    sstatus &= ~SSTATUS_SPP; /* sret goes to user mode */
    sstatus |= SSTATUS_SPIE; /* with interrupts on */
    csr_write(sstatus, sstatus);
    csr_write(sepc, p->trapframe->epc);

    uint64_t satp = MAKE_SATP(p->pagetable);
    uint64_t entry = TRAMPOLINE + ((uint64_t)userret - (uint64_t)trampoline);
    ((void (*)(uint64_t))entry)(satp);
    __builtin_unreachable();
}

/* A trap while in the kernel: interrupts only; an exception here is a
 * kernel bug. */
void kerneltrap(struct kregs *regs)
{
    uint64_t sstatus = csr_read(sstatus);
    uint64_t scause = csr_read(scause);
    if (!(sstatus & SSTATUS_SPP))
        panic("kerneltrap: not from supervisor mode");
    if (intr_get())
        panic("kerneltrap: interrupts enabled");
    /* A probe's breakpoint never gets here: kernelvec hands breakpoints to
     * kt_kprobe_on_break itself; one that is no probe's panics below. */
    int which = devintr(scause);
    if (which == 0)
        panic("kernel trap: %s (scause 0x%lx) at pc 0x%lx, address 0x%lx", trap_cause_name(scause),
              scause, regs->pc, csr_read(stval));
    /* Preempt a process's kernel thread on a tick (not the scheduler). */
    if (which == 2 && myproc() && myproc()->state == RUNNING)
        yield();
    /* yield() may have taken other traps that changed sstatus. */
    csr_write(sstatus, sstatus);
}
