/* A growable byte buffer, used for protocol input that arrives in pieces. */
#ifndef ADAPTER_BUF_H
#define ADAPTER_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len, cap;
};

void buf_append(struct buf *b, const void *data, size_t len);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* A malloc'd formatted string (aborts when memory is exhausted). */
char *xvasprintf(const char *fmt, va_list ap);
void buf_consume(struct buf *b, size_t n); /* drop the first n bytes */
/* Read what fd has (one read); returns bytes read, 0 at EOF, -1 on error. */
long buf_read_fd(struct buf *b, int fd);
void buf_free(struct buf *b);

#endif
