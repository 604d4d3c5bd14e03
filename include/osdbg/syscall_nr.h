/*
 * System call numbers of the reference kernel, shared by the kernel, the C
 * user library, the Rust user program (scripts/gen-rust-consts.sh turns this
 * file into Rust constants) and the host tools.
 *
 * The numbers are Linux's generic ones (include/uapi/asm-generic/unistd.h,
 * the riscv64 table) wherever a Linux call of the same meaning exists, so that
 * strace-like tools and the later Linux-compatible bpf() call line up.
 * Calling convention (RISC-V Linux): number in a7, arguments in a0..a5,
 * result in a0; a negative result is -errno (include/osdbg/errno.h).
 *
 * Only #define lines of the form "#define SYS_name number" belong here.
 */
#ifndef OSDBG_SYSCALL_NR_H
#define OSDBG_SYSCALL_NR_H

#define SYS_open     56   /* open(path, flags) -> fd; read-only ramdisk (Linux: openat) */
#define SYS_close    57   /* close(fd) */
#define SYS_read     63   /* read(fd, buf, n) -> bytes */
#define SYS_write    64   /* write(fd, buf, n) -> bytes */
#define SYS_fstat    80   /* fstat(fd, struct ustat *) */
#define SYS_exit     93   /* exit(status) */
#define SYS_sleep    101  /* sleep(milliseconds) (Linux: nanosleep) */
#define SYS_yield    124  /* yield() (Linux: sched_yield) */
#define SYS_kill     129  /* kill(pid) */
#define SYS_uptime   169  /* uptime() -> milliseconds since boot (Linux: gettimeofday) */
#define SYS_getpid   172  /* getpid() */
#define SYS_getppid  173  /* getppid() */
#define SYS_sbrk     214  /* sbrk(increment) -> old break (Linux: brk) */
#define SYS_fork     220  /* fork() (Linux: clone without flags) */
#define SYS_exec     221  /* exec(path, argv) (Linux: execve without envp) */
#define SYS_wait     260  /* wait(pid or -1, int *status) -> pid (Linux: wait4) */
#define SYS_bpf      280  /* bpf(cmd, union bpf_attr *, size): a Linux-compatible subset */
#define SYS_shutdown 1000 /* power the machine off through SBI (osdbg-only) */

#endif
