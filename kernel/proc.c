/*
 * Process table, creation (fork), termination (exit/wait/kill), the
 * scheduler and sleep/wakeup.  Single lock design: ptable.lock guards every
 * field marked in proc.h, so sleep() and wakeup() cannot miss each other.
 */
#include "proc.h"
#include "exec.h"
#include "file.h"
#include "kalloc.h"
#include "kstring.h"
#include "printf.h"
#include "trap.h"
#include "ktrace.h"
#include "vm.h"
#include <osdbg/memlayout.h>
#include <osdbg/errno.h>

static struct {
    struct spinlock lock;
    struct proc proc[NPROC];
    int nextpid;
    uint64_t ticks;
} ptable;

static struct proc *initproc;
static char init_cmdline[BOOTARGS_LEN];

extern void swtch(struct context *old, struct context *new);

/* Give every slot its kernel stack (with a guard page below, unmapped) in the
 * kernel page table. */
void proc_init(void)
{
    spin_init(&ptable.lock, "ptable");
    ptable.nextpid = 1;
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &ptable.proc[i];
        uint64_t va = KSTACK(i);
        for (int k = 0; k < KSTACK_PAGES; k++) {
            void *pa = kalloc();
            if (!pa ||
                kvm_map(kernel_pagetable, va + k * PGSIZE, (uint64_t)pa, PGSIZE, PTE_R | PTE_W) < 0)
                panic("proc_init: no memory for kernel stacks");
        }
        p->kstack = va + KSTACK_PAGES * PGSIZE;
        p->state = UNUSED;
    }
}

/* A page table with only the trampoline and this process's trap frame. */
pagetable_t proc_pagetable(struct proc *p)
{
    pagetable_t pt = uvm_create();
    if (!pt)
        return 0;
    extern char _trampoline[];
    if (mappages(pt, TRAMPOLINE, PGSIZE, (uint64_t)_trampoline, PTE_R | PTE_X) < 0) {
        uvm_free(pt, 0);
        return 0;
    }
    if (mappages(pt, TRAPFRAME, PGSIZE, (uint64_t)p->trapframe, PTE_R | PTE_W) < 0) {
        unmappages(pt, TRAMPOLINE, 1, false);
        uvm_free(pt, 0);
        return 0;
    }
    return pt;
}

void proc_freepagetable(pagetable_t pt, uint64_t sz)
{
    unmappages(pt, TRAMPOLINE, 1, false);
    unmappages(pt, TRAPFRAME, 1, false);
    unmappages(pt, UPROBE_SLOTS, 1, true); /* the uprobe slot page, if any */
    uvm_free(pt, sz);
}

static void forkret(void);

/* Find an UNUSED slot and make it USED with a pid, a trap frame, an empty
 * page table and a kernel context that starts in forkret.  Returns with
 * ptable.lock held, or 0 (lock not held) when out of slots or memory. */
static struct proc *alloc_proc(void)
{
    acquire(&ptable.lock);
    struct proc *p;
    for (p = ptable.proc; p < &ptable.proc[NPROC]; p++)
        if (p->state == UNUSED)
            break;
    if (p == &ptable.proc[NPROC]) {
        release(&ptable.lock);
        return 0;
    }
    p->pid = ptable.nextpid++;
    p->state = USED;
    p->killed = false;
    p->xstatus = 0;
    p->sz = USER_BASE;
    p->name[0] = 0;
    if ((p->trapframe = kalloc()) == 0 || (p->pagetable = proc_pagetable(p)) == 0) {
        if (p->trapframe)
            kfree(p->trapframe);
        p->trapframe = 0;
        p->state = UNUSED;
        release(&ptable.lock);
        return 0;
    }
    memset(&p->context, 0, sizeof p->context);
    p->context.ra = (uint64_t)forkret;
    p->context.sp = p->kstack;
    return p;
}

/* Release everything a slot holds.  ptable.lock held. */
static void free_proc(struct proc *p)
{
    if (p->pagetable)
        kt_uprobe_free((uint64_t)p->pagetable); /* a space is a page table (ktrace_os.c) */
    if (p->pagetable)
        proc_freepagetable(p->pagetable, p->sz);
    if (p->trapframe)
        kfree(p->trapframe);
    p->pagetable = 0;
    p->trapframe = 0;
    p->sz = 0;
    p->pid = 0;
    p->parent = 0;
    p->name[0] = 0;
    p->chan = 0;
    p->killed = false;
    p->xstatus = 0;
    p->state = UNUSED;
}

/* The first user process.  It starts in the kernel (init_start) and execs
 * the user program "init", passing the boot command line as its arguments. */
static void init_start(void);

void user_init(const char *bootargs)
{
    strlcpy(init_cmdline, bootargs ? bootargs : "", sizeof init_cmdline);
    struct proc *p = alloc_proc();
    if (!p)
        panic("user_init: no process");
    initproc = p;
    strlcpy(p->name, "init", sizeof p->name);
    p->context.ra = (uint64_t)init_start;
    p->ofile[0] = file_open_console();
    p->ofile[1] = file_dup(p->ofile[0]);
    p->ofile[2] = file_dup(p->ofile[0]);
    p->state = RUNNABLE;
    release(&ptable.lock);
}

static void init_start(void)
{
    release(&ptable.lock); /* held by scheduler() across swtch */
    /* Split the command line into init's argv. */
    static char words[BOOTARGS_LEN];
    const char *argv[MAXARG + 1];
    int argc = 0;
    argv[argc++] = "init";
    strlcpy(words, init_cmdline, sizeof words);
    for (char *s = words; *s && argc < MAXARG;) {
        while (*s == ' ')
            *s++ = 0;
        if (!*s)
            break;
        argv[argc++] = s;
        while (*s && *s != ' ')
            s++;
    }
    argv[argc] = 0;
    long err = kexec("init", argv);
    if (err < 0)
        panic("cannot run init: error %ld", err);
    usertrapret();
}

/* Where a new process's kernel thread begins: the scheduler switched here
 * with ptable.lock held. */
static void forkret(void)
{
    release(&ptable.lock);
    usertrapret();
}

/* The child is now a copy of the parent: its program's name too.  A
 * function of its own so that a debugger can stop here and learn that the
 * parent's program has one more process (profiles/osdbg-kernel.json
 * "fork"), as exec_commit tells it of a new image. */
__attribute__((noinline)) void fork_commit(struct proc *parent, struct proc *child)
{
    memcpy(child->name, parent->name, sizeof child->name);
}

int fork(void)
{
    struct proc *parent = myproc();
    struct proc *child = alloc_proc();
    if (!child)
        return -EAGAIN;
    release(&ptable.lock);
    if (uvm_copy(parent->pagetable, child->pagetable, parent->sz) < 0) {
        acquire(&ptable.lock);
        free_proc(child);
        release(&ptable.lock);
        return -ENOMEM;
    }
    child->sz = parent->sz;
    kt_uprobe_fork((uint64_t)parent->pagetable, (uint64_t)child->pagetable, (uint64_t)child,
                   parent->trapframe->sp);
    *child->trapframe = *parent->trapframe;
    child->trapframe->a0 = 0; /* fork returns 0 in the child */
    for (int fd = 0; fd < NOFILE; fd++)
        if (parent->ofile[fd])
            child->ofile[fd] = file_dup(parent->ofile[fd]);
    kt_uprobe_spaces_lock(); /* a uprobe attach sees the child's name whole */
    fork_commit(parent, child);
    kt_uprobe_spaces_unlock();
    int pid = child->pid;
    acquire(&ptable.lock);
    child->parent = parent;
    child->state = RUNNABLE;
    release(&ptable.lock);
    return pid;
}

void exit(int status)
{
    struct proc *p = myproc();
    if (p == initproc)
        panic("init exited with status %d", status);
    for (int fd = 0; fd < NOFILE; fd++) {
        if (p->ofile[fd]) {
            file_close(p->ofile[fd]);
            p->ofile[fd] = 0;
        }
    }
    acquire(&ptable.lock);
    /* Orphans go to init, which reaps them. */
    for (struct proc *q = ptable.proc; q < &ptable.proc[NPROC]; q++) {
        if (q->parent == p) {
            q->parent = initproc;
            if (q->state == ZOMBIE)
                wakeup(initproc);
        }
    }
    wakeup(p->parent);
    p->xstatus = status;
    p->state = ZOMBIE;
    sched();
    panic("zombie exit");
}

int wait(int pid, uint64_t status_addr)
{
    struct proc *me = myproc();
    acquire(&ptable.lock);
    for (;;) {
        bool have_kids = false;
        for (struct proc *q = ptable.proc; q < &ptable.proc[NPROC]; q++) {
            if (q->parent != me || (pid > 0 && q->pid != pid))
                continue;
            have_kids = true;
            if (q->state != ZOMBIE)
                continue;
            int child_pid = q->pid;
            if (status_addr &&
                copyout(me->pagetable, status_addr, &q->xstatus, sizeof q->xstatus) < 0) {
                release(&ptable.lock);
                return -EFAULT;
            }
            free_proc(q);
            release(&ptable.lock);
            return child_pid;
        }
        if (!have_kids) {
            release(&ptable.lock);
            return -ECHILD;
        }
        if (me->killed) {
            release(&ptable.lock);
            return -EINTR;
        }
        sleep(me, &ptable.lock);
    }
}

int kill(int pid)
{
    acquire(&ptable.lock);
    for (struct proc *p = ptable.proc; p < &ptable.proc[NPROC]; p++) {
        if (p->pid == pid && p->state != UNUSED && p->state != ZOMBIE) {
            if (p == initproc)
                break;
            p->killed = true;
            if (p->state == SLEEPING)
                p->state = RUNNABLE;
            release(&ptable.lock);
            return 0;
        }
    }
    release(&ptable.lock);
    return -ESRCH;
}

/* Without the lock: the flag is one byte, written under the lock, and reads
 * atomically on its own, so the lock ordered nothing a caller could use
 * (the answer may be stale the moment it is returned either way).  usertrap
 * asks twice per trap. */
bool proc_killed(struct proc *p)
{
    return __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);
}

void proc_set_killed(struct proc *p)
{
    acquire(&ptable.lock);
    p->killed = true;
    release(&ptable.lock);
}

/* Each hart runs this loop forever: pick a RUNNABLE process, switch to it,
 * come back when it gives up the hart.  With nothing to run, wait for an
 * interrupt with interrupts on. */
void scheduler(void)
{
    struct cpu *c = mycpu();
    c->proc = 0;
    for (;;) {
        intr_on();
        bool ran = false;
        acquire(&ptable.lock);
        for (struct proc *p = ptable.proc; p < &ptable.proc[NPROC]; p++) {
            if (p->state != RUNNABLE)
                continue;
            p->state = RUNNING;
            c->proc = p;
            swtch(&c->context, &p->context);
            c->proc = 0;
            ran = true;
        }
        release(&ptable.lock);
        if (!ran)
            asm volatile("wfi");
    }
}

/* Switch to the scheduler.  Caller holds ptable.lock only, and has changed
 * its state away from RUNNING.  intena belongs to this kernel thread, not to
 * the hart, so it is saved across the switch. */
void sched(void)
{
    struct proc *p = myproc();
    struct cpu *c = mycpu();
    if (!holding(&ptable.lock))
        panic("sched: ptable.lock not held");
    if (c->noff != 1)
        panic("sched: holding other locks");
    if (p->state == RUNNING)
        panic("sched: still running");
    if (intr_get())
        panic("sched: interrupts on");
    int intena = c->intena;
    swtch(&p->context, &c->context);
    mycpu()->intena = intena;
}

void yield(void)
{
    struct proc *p = myproc();
    acquire(&ptable.lock);
    p->state = RUNNABLE;
    sched();
    release(&ptable.lock);
}

/* Atomically release lk and sleep on chan; reacquire lk when woken. */
void sleep(void *chan, struct spinlock *lk)
{
    struct proc *p = myproc();
    if (lk != &ptable.lock) {
        acquire(&ptable.lock);
        release(lk);
    }
    p->chan = chan;
    p->state = SLEEPING;
    sched();
    p->chan = 0;
    if (lk != &ptable.lock) {
        release(&ptable.lock);
        acquire(lk);
    }
}

static void wakeup_locked(void *chan)
{
    for (struct proc *p = ptable.proc; p < &ptable.proc[NPROC]; p++)
        if (p->state == SLEEPING && p->chan == chan)
            p->state = RUNNABLE;
}

void wakeup(void *chan)
{
    if (holding(&ptable.lock)) {
        wakeup_locked(chan);
        return;
    }
    acquire(&ptable.lock);
    wakeup_locked(chan);
    release(&ptable.lock);
}

/* Called from the timer interrupt on the boot hart. */
void clock_tick(void)
{
    acquire(&ptable.lock);
    ptable.ticks++;
    wakeup_locked(&ptable.ticks);
    release(&ptable.lock);
}

uint64_t ticks_now(void)
{
    return __atomic_load_n(&ptable.ticks, __ATOMIC_RELAXED);
}

/* Sleep for n timer ticks; returns -EINTR if killed meanwhile. */
int sleep_ticks(uint64_t n)
{
    struct proc *p = myproc();
    acquire(&ptable.lock);
    uint64_t start = ptable.ticks;
    while (ptable.ticks - start < n) {
        if (p->killed) {
            release(&ptable.lock);
            return -EINTR;
        }
        sleep(&ptable.ticks, &ptable.lock);
    }
    release(&ptable.lock);
    return 0;
}

/* Ctrl-P on the console: one line per process.  No lock, so that it works
 * even when the system is wedged. */
void proc_dump(void)
{
    static const char *names[] = {
        [UNUSED] = "unused",   [USED] = "used",   [SLEEPING] = "sleep",
        [RUNNABLE] = "runble", [RUNNING] = "run", [ZOMBIE] = "zombie",
    };
    printf("\n");
    for (struct proc *p = ptable.proc; p < &ptable.proc[NPROC]; p++) {
        if (p->state == UNUSED)
            continue;
        printf("%d %s %s\n", p->pid, names[p->state], p->name);
    }
}

/* Walking the process table without ptable.lock, for ktrace's uprobes
 * (ktrace_os_probes.c): they hold ktrace's spaces lock, which exec (page
 * table and name) and fork (name) also take, and free_proc calls
 * kt_uprobe_free before the page table goes, so the processes they arm
 * cannot change under them; a state read here may be stale, which only
 * means a process being born or dying is armed or not (exec and fork arm
 * it themselves). */
struct proc *proc_first(void)
{
    return proc_next(ptable.proc - 1);
}

struct proc *proc_next(struct proc *p)
{
    for (p++; p < &ptable.proc[NPROC]; p++)
        if (p->state != UNUSED && p->state != ZOMBIE)
            return p;
    return 0;
}
