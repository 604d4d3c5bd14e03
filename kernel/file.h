/* Open files: the console, ramfs files and the root directory. */
#ifndef KERNEL_FILE_H
#define KERNEL_FILE_H

#include "types.h"
#include "ramfs.h"

enum file_type {
    FILE_NONE,
    FILE_CONSOLE,
    FILE_RAMFS,
    FILE_DIR,
    FILE_BPF_MAP,
    FILE_BPF_PROG,
    FILE_BPF_LINK, /* closing it detaches the probes */
};

struct file {
    enum file_type type;
    int ref;
    uint64_t off;
    const struct ramfs_file *rf; /* FILE_RAMFS */
    int bpf_id;                  /* FILE_BPF_*: the object's index */
};

void file_init(void);
struct file *file_open_console(void);
/* Open a path read-only; returns the file or 0 with *err = -errno. */
struct file *file_open_path(const char *path, int flags, long *err);
/* A descriptor for an eBPF map or program (bpf.c). */
struct file *file_open_bpf(enum file_type type, int id, long *err);
struct file *file_dup(struct file *f);
void file_close(struct file *f);
long file_read(struct file *f, uint64_t dst, long n);
long file_write(struct file *f, uint64_t src, long n);
long file_stat(struct file *f, uint64_t dst);

#endif
