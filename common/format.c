/*
 * printf-style formatting shared by the kernel and the user library:
 * %d %i %u %x %p %s %c %%, with l/ll/z size modifiers and an optional
 * width, 0-padded for numbers (%08lx).  Output goes through a callback so
 * the same code writes to the UART, to a buffer or to a file descriptor.
 */
#include "format.h"

static void put_number(void (*put)(void *, char), void *arg, uint64_t v, int base, int negative,
                       int width, char pad, int *count)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (negative)
        buf[n++] = '-';
    for (int i = n; i < width; i++, (*count)++)
        put(arg, pad);
    while (n--) {
        put(arg, buf[n]);
        (*count)++;
    }
}

int vformat(void (*put)(void *arg, char c), void *arg, const char *fmt, va_list ap)
{
    int count = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(arg, *fmt);
            count++;
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, longs = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
            put_number(put, arg, mag, 10, v < 0, width, pad, &count);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
            put_number(put, arg, v, *fmt == 'u' ? 10 : 16, 0, width, pad, &count);
            break;
        }
        case 'p':
            put(arg, '0');
            put(arg, 'x');
            count += 2;
            put_number(put, arg, (uint64_t)va_arg(ap, void *), 16, 0, 0, ' ', &count);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = 0;
            while (s[len])
                len++;
            for (int i = len; i < width; i++, count++)
                put(arg, ' ');
            for (; *s; s++, count++)
                put(arg, *s);
            break;
        }
        case 'c':
            put(arg, (char)va_arg(ap, int));
            count++;
            break;
        case '%':
            put(arg, '%');
            count++;
            break;
        case 0:
            return count;
        default:
            put(arg, '%');
            put(arg, *fmt);
            count += 2;
            break;
        }
    }
    return count;
}

struct bufout {
    char *buf;
    size_t size, len;
};

static void put_buf(void *arg, char c)
{
    struct bufout *b = arg;
    if (b->len + 1 < b->size)
        b->buf[b->len] = c;
    b->len++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct bufout b = {buf, size, 0};
    vformat(put_buf, &b, fmt, ap);
    if (size)
        buf[b.len < size ? b.len : size - 1] = 0;
    return (int)b.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
