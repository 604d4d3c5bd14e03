/*
 * The C user library of the reference OS: system calls, formatted output,
 * strings and a small allocator.  System calls return a negative error
 * number (include/osdbg/errno.h) on failure, as the kernel does.
 */
#ifndef USER_ULIB_H
#define USER_ULIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <osdbg/errno.h>
#include <osdbg/fs.h>

/* system calls */
long read(int fd, void *buf, size_t n);
long write(int fd, const void *buf, size_t n);
int open(const char *path, int flags);
int close(int fd);
int fstat(int fd, struct ustat *st);
void exit(int status) __attribute__((noreturn));
int fork(void);
int exec(const char *path, char *const argv[]);
int wait(int pid, int *status); /* pid -1: any child */
int getpid(void);
int getppid(void);
int kill(int pid);
int yield(void);
int sleep_ms(long ms);
long uptime_ms(void);
void *sbrk(long increment);
void shutdown(void) __attribute__((noreturn));
/* bpf(cmd, attr, size): Linux's commands and union bpf_attr layouts
 * (include/osdbg/bpf_attr.h); returns a descriptor, 0 or -errno. */
long bpf(int cmd, void *attr, unsigned long size);

/* output */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vfprintf(int fd, const char *fmt, va_list ap);
const char *strerror(long err);

/* strings and memory */
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strcpy(char *dst, const char *src);
/* Copies at most size-1 bytes and always NUL-terminates (size > 0). */
size_t strlcpy(char *dst, const char *src, size_t size);
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
long atol(const char *s);
/* Parse hex digits, with or without 0x. */
unsigned long strtoul_hex(const char *s);
/* Read a line from fd into buf (at most size-1 bytes, '\n' kept).
 * Returns its length, 0 at end of input. */
long getline_fd(int fd, char *buf, size_t size);

/* memory allocation on top of sbrk */
void *malloc(size_t n);
void free(void *p);

#endif
