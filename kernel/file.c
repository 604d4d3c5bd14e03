/*
 * The open-file table.  Reading the root directory yields one file name per
 * line, which is all `ls` needs from a flat read-only file system.
 */
#include "file.h"
#include "ktrace.h"
#include "console.h"
#include "kstring.h"
#include "param.h"
#include "printf.h"
#include "proc.h"
#include "spinlock.h"
#include "vm.h"
#include <osdbg/errno.h>
#include <osdbg/fs.h>

static struct {
    struct spinlock lock;
    struct file file[NFILE];
} ftable;

void file_init(void)
{
    spin_init(&ftable.lock, "ftable");
}

static struct file *file_alloc(enum file_type type)
{
    acquire(&ftable.lock);
    for (struct file *f = ftable.file; f < &ftable.file[NFILE]; f++) {
        if (f->ref == 0) {
            f->ref = 1;
            f->type = type;
            f->off = 0;
            f->rf = 0;
            release(&ftable.lock);
            return f;
        }
    }
    release(&ftable.lock);
    return 0;
}

struct file *file_open_console(void)
{
    return file_alloc(FILE_CONSOLE);
}

struct file *file_open_path(const char *path, int flags, long *err)
{
    if ((flags & O_ACCMODE) != O_RDONLY) {
        *err = -EPERM; /* the file system is read-only */
        return 0;
    }
    const char *p = path;
    while (*p == '/')
        p++;
    if (*p == 0 || strcmp(p, ".") == 0) {
        struct file *f = file_alloc(FILE_DIR);
        *err = f ? 0 : -ENFILE;
        return f;
    }
    const struct ramfs_file *rf = ramfs_lookup(p);
    if (!rf) {
        *err = -ENOENT;
        return 0;
    }
    struct file *f = file_alloc(FILE_RAMFS);
    if (!f) {
        *err = -ENFILE;
        return 0;
    }
    f->rf = rf;
    *err = 0;
    return f;
}

struct file *file_open_bpf(enum file_type type, int id, long *err)
{
    struct file *f = file_alloc(type);
    if (!f) {
        *err = -ENFILE;
        return 0;
    }
    f->bpf_id = id;
    *err = 0;
    return f;
}

struct file *file_dup(struct file *f)
{
    acquire(&ftable.lock);
    if (f->ref < 1)
        panic("file_dup: free file");
    f->ref++;
    release(&ftable.lock);
    return f;
}

void file_close(struct file *f)
{
    acquire(&ftable.lock);
    if (f->ref < 1)
        panic("file_close: free file");
    enum file_type type = FILE_NONE;
    int id = f->bpf_id;
    if (--f->ref == 0) {
        type = f->type;
        f->type = FILE_NONE;
    }
    release(&ftable.lock);
    if (type == FILE_BPF_MAP)
        kt_bpf_file_closed(KT_FD_MAP, id);
    else if (type == FILE_BPF_PROG)
        kt_bpf_file_closed(KT_FD_PROG, id);
    else if (type == FILE_BPF_LINK)
        kt_bpf_file_closed(KT_FD_LINK, id);
}

/* The directory listing as text: "name\n" for every file, read from off. */
static long dir_read(struct file *f, uint64_t dst, long n)
{
    long done = 0;
    uint64_t pos = 0;
    for (int i = 0; ramfs_at(i) && done < n; i++) {
        const char *name = ramfs_at(i)->name;
        uint64_t len = strlen(name) + 1;
        for (uint64_t k = 0; k < len && done < n; k++, pos++) {
            if (pos < f->off)
                continue;
            char c = k + 1 == len ? '\n' : name[k];
            if (copyout(myproc()->pagetable, dst + done, &c, 1) < 0)
                return done ? done : -EFAULT;
            done++;
        }
    }
    f->off += done;
    return done;
}

long file_read(struct file *f, uint64_t dst, long n)
{
    if (n < 0)
        return -EINVAL;
    switch (f->type) {
    case FILE_CONSOLE:
        return console_read(dst, n);
    case FILE_DIR:
        return dir_read(f, dst, n);
    case FILE_RAMFS: {
        if (f->off >= f->rf->size)
            return 0;
        uint64_t k = f->rf->size - f->off;
        if ((uint64_t)n < k)
            k = n;
        if (copyout(myproc()->pagetable, dst, f->rf->data + f->off, k) < 0)
            return -EFAULT;
        f->off += k;
        return (long)k;
    }
    default:
        return -EBADF;
    }
}

long file_write(struct file *f, uint64_t src, long n)
{
    if (n < 0)
        return -EINVAL;
    if (f->type == FILE_CONSOLE)
        return console_write(src, n);
    return -EBADF; /* read-only file system */
}

long file_stat(struct file *f, uint64_t dst)
{
    struct ustat st = {0};
    switch (f->type) {
    case FILE_CONSOLE:
        st.type = T_DEVICE;
        break;
    case FILE_DIR:
        st.type = T_DIR;
        st.size = (uint64_t)ramfs_count();
        break;
    case FILE_RAMFS:
        st.type = T_FILE;
        st.size = f->rf->size;
        break;
    default:
        return -EBADF;
    }
    if (copyout(myproc()->pagetable, dst, &st, sizeof st) < 0)
        return -EFAULT;
    return 0;
}
