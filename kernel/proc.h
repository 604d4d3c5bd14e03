/*
 * Processes.  One lock (ptable.lock in proc.c) protects every process's
 * state, parent link, killed flag and exit status; a process's memory,
 * files and trap frame are touched only by the process itself (or by its
 * parent after it became a zombie).
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include "types.h"
#include "param.h"
#include "cpu.h"
#include "riscv.h"
#include "spinlock.h"
#include <osdbg/trapframe.h>

enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct file;

struct proc {
    enum procstate state;
    int pid;
    struct proc *parent;
    void *chan; /* what a SLEEPING process waits for */
    bool killed;
    int xstatus; /* exit status for the parent's wait() */

    uint64_t kstack; /* top of this slot's kernel stack (kernel VA) */
    uint64_t sz;     /* user image + heap end: [USER_BASE, sz) */
    pagetable_t pagetable;
    struct trapframe *trapframe; /* kernel address of the page at TRAPFRAME */
    struct context context;      /* swtch() here to run the process */
    struct file *ofile[NOFILE];
    char name[PROC_NAME_LEN]; /* program name (comm), set by exec */
};

void proc_init(void);
struct proc *myproc(void);
void user_init(const char *bootargs);
NORETURN void scheduler(void);
void sched(void);
void yield(void);
void sleep(void *chan, struct spinlock *lk);
void wakeup(void *chan);
int fork(void);
/* fork copies the parent into the child (a debugger hook, see proc.c). */
void fork_commit(struct proc *parent, struct proc *child);
NORETURN void exit(int status);
int wait(int pid, uint64_t status_addr);
int kill(int pid);
bool proc_killed(struct proc *p);
void proc_set_killed(struct proc *p);
pagetable_t proc_pagetable(struct proc *p);
void proc_freepagetable(pagetable_t pt, uint64_t sz);
void proc_dump(void);
/* Live processes, for the probe code (uprobe.c walks them under its lock). */
struct proc *proc_first(void);
struct proc *proc_next(struct proc *p);
int sleep_ticks(uint64_t n);
uint64_t ticks_now(void);
void clock_tick(void);

#endif
