/* Sizes and limits of the reference kernel. */
#ifndef KERNEL_PARAM_H
#define KERNEL_PARAM_H

#define NCPU            4   /* harts the per-hart state has room for */
#define NPROC           32  /* process table slots */
#define NOFILE          16  /* open files per process */
#define NFILE           64  /* open files in the whole system */
#define MAXARG          16  /* exec arguments */
#define MAXARGLEN       128 /* bytes per exec argument, NUL included */
#define MAXPATH         64  /* bytes in a path, NUL included */
#define PROC_NAME_LEN   16  /* process name (comm) bytes, NUL included */
#define BOOT_STACK_SIZE 16384
#define TICK_HZ         100 /* timer interrupts per second */
#define TIMEBASE_HZ                                                                                \
    10000000UL /* QEMU virt's time CSR frequency (device tree: timebase-frequency) */
#define BOOTARGS_LEN 256
#define CONSOLE_BUF  256 /* console input line buffer */

#endif
