/* The system call handlers (sysproc.c, sysfile.c).  Each reads its own
 * arguments from the trap frame and returns the value for a0. */
#ifndef KERNEL_SYSFUNCS_H
#define KERNEL_SYSFUNCS_H

long sys_open(void);
long sys_close(void);
long sys_read(void);
long sys_write(void);
long sys_fstat(void);
long sys_exit(void);
long sys_sleep(void);
long sys_yield(void);
long sys_kill(void);
long sys_uptime(void);
long sys_getpid(void);
long sys_getppid(void);
long sys_sbrk(void);
long sys_fork(void);
long sys_exec(void);
long sys_wait(void);
long sys_shutdown(void);

#endif
