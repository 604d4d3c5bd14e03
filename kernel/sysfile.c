/* File system calls: file descriptors index the process's ofile[]. */
#include "sysfuncs.h"
#include "file.h"
#include "param.h"
#include "proc.h"
#include "syscall.h"
#include <osdbg/errno.h>

static struct file *argfd(int n, int *fdp)
{
    long fd = (long)argraw(n);
    if (fd < 0 || fd >= NOFILE)
        return 0;
    struct file *f = myproc()->ofile[fd];
    if (f && fdp)
        *fdp = (int)fd;
    return f;
}

long sys_open(void)
{
    char path[MAXPATH];
    long err = argpath(0, path);
    if (err < 0)
        return err;
    struct proc *p = myproc();
    int fd;
    for (fd = 0; fd < NOFILE; fd++)
        if (!p->ofile[fd])
            break;
    if (fd == NOFILE)
        return -EMFILE;
    struct file *f = file_open_path(path, (int)argraw(1), &err);
    if (!f)
        return err;
    p->ofile[fd] = f;
    return fd;
}

long sys_close(void)
{
    int fd;
    struct file *f = argfd(0, &fd);
    if (!f)
        return -EBADF;
    myproc()->ofile[fd] = 0;
    file_close(f);
    return 0;
}

long sys_read(void)
{
    struct file *f = argfd(0, 0);
    if (!f)
        return -EBADF;
    return file_read(f, argraw(1), (long)argraw(2));
}

/* The write system call.  Its name is a contract: tests, docs and the
 * debugger's examples put breakpoints and probes on sys_write. */
long sys_write(void)
{
    struct file *f = argfd(0, 0);
    if (!f)
        return -EBADF;
    return file_write(f, argraw(1), (long)argraw(2));
}

long sys_fstat(void)
{
    struct file *f = argfd(0, 0);
    if (!f)
        return -EBADF;
    return file_stat(f, argraw(1));
}
