/* Process system calls. */
#include "sysfuncs.h"
#include "exec.h"
#include "kalloc.h"
#include "param.h"
#include "printf.h"
#include "proc.h"
#include "sbi.h"
#include "ktrace.h"
#include "spinlock.h"
#include "syscall.h"
#include "vm.h"
#include <osdbg/errno.h>
#include <osdbg/memlayout.h>

long sys_exit(void)
{
    exit((int)argraw(0));
}

long sys_getpid(void)
{
    return myproc()->pid;
}

long sys_getppid(void)
{
    struct proc *p = myproc();
    return p->parent ? p->parent->pid : 0;
}

long sys_fork(void)
{
    return fork();
}

long sys_wait(void)
{
    return wait((int)argraw(0), argraw(1));
}

long sys_kill(void)
{
    return kill((int)argraw(0));
}

long sys_yield(void)
{
    yield();
    return 0;
}

long sys_sleep(void)
{
    long ms = (long)argraw(0);
    if (ms < 0)
        return -EINVAL;
    return sleep_ticks(((uint64_t)ms * TICK_HZ + 999) / 1000);
}

long sys_uptime(void)
{
    return (long)(ticks_now() * (1000 / TICK_HZ));
}

long sys_sbrk(void)
{
    struct proc *p = myproc();
    long n = (long)argraw(0);
    uint64_t old = p->sz;
    if (n > 0) {
        if (n > (long)(USTACK_BOTTOM - PGSIZE) ||
            !uvm_alloc(p->pagetable, old, old + n, PTE_R | PTE_W))
            return -ENOMEM;
        p->sz = old + n;
    } else if (n < 0) {
        if (n < -(long)(old - USER_BASE)) /* no negation: n may be LONG_MIN */
            return -EINVAL;
        p->sz = uvm_dealloc(p->pagetable, old, old + n);
    }
    return (long)old;
}

/* exec(path, argv): argv is a user array of user string pointers ending in
 * 0.  The strings are copied into one kernel page before the old image is
 * dropped, so a failing exec leaves the caller as it was. */
long sys_exec(void)
{
    char path[MAXPATH];
    long err = argpath(0, path);
    if (err < 0)
        return err;
    struct proc *p = myproc();
    char *page = kalloc();
    if (!page)
        return -ENOMEM;
    const char *argv[MAXARG + 1];
    uint64_t uargv = argraw(1);
    uint64_t used = 0;
    int argc = 0;
    err = 0;
    for (;; argc++) {
        uint64_t uarg;
        if (argc > MAXARG) {
            err = -E2BIG;
            break;
        }
        if (uargv == 0) {
            argv[argc] = 0;
            break;
        }
        if (copyin(p->pagetable, &uarg, uargv + 8 * argc, sizeof uarg) < 0) {
            err = -EFAULT;
            break;
        }
        if (uarg == 0) {
            argv[argc] = 0;
            break;
        }
        if (argc == MAXARG) {
            err = -E2BIG;
            break;
        }
        uint64_t room = PGSIZE - used < MAXARGLEN ? PGSIZE - used : MAXARGLEN;
        long len = copyinstr(p->pagetable, page + used, uarg, room);
        if (len < 0) {
            err = room < MAXARGLEN ? -E2BIG : -EFAULT;
            break;
        }
        argv[argc] = page + used;
        used += len + 1;
    }
    if (err == 0)
        err = kexec(path, argv);
    kfree(page);
    return err;
}

long sys_shutdown(void)
{
    push_off();
    kt_sidestub_flush(); /* tracing events still queued */
    pop_off();
    printf("[kernel] power off\n");
    sbi_shutdown();
}
