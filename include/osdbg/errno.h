/*
 * Error numbers returned (negated) by the reference kernel's system calls.
 * Values are Linux's (include/uapi/asm-generic/errno-base.h) so the later
 * Linux-compatible bpf() call and host tools agree on them.
 */
#ifndef OSDBG_ERRNO_H
#define OSDBG_ERRNO_H

#define EPERM        1
#define ENOENT       2
#define ESRCH        3
#define EINTR        4
#define EIO          5
#define E2BIG        7
#define ENOEXEC      8
#define EBADF        9
#define ECHILD       10
#define EAGAIN       11
#define ENOMEM       12
#define EACCES       13
#define EFAULT       14
#define EBUSY        16
#define EEXIST       17
#define ENOTDIR      20
#define EISDIR       21
#define EINVAL       22
#define ENFILE       23
#define EMFILE       24
#define ENOSPC       28
#define ENAMETOOLONG 36
#define ENOSYS       38

#endif
