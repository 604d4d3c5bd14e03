/*
 * The read-only file system: a cpio "newc" archive built at make time from
 * build/user/ (programs and data files) and linked into the kernel image
 * (ramdisk.S).  Flat: one directory, the root.
 */
#ifndef KERNEL_RAMFS_H
#define KERNEL_RAMFS_H

#include "types.h"

#define RAMFS_MAX_FILES 64
#define RAMFS_NAME_LEN  32

struct ramfs_file {
    char name[RAMFS_NAME_LEN];
    const uint8_t *data;
    uint64_t size;
};

/* Parse the embedded archive.  Returns the number of files, or -1 if the
 * archive is malformed (the kernel then runs with an empty file system). */
int ramfs_init(void);
/* Look up "name" or "/name"; 0 if absent. */
const struct ramfs_file *ramfs_lookup(const char *path);
/* The i-th file, 0 past the end. */
const struct ramfs_file *ramfs_at(int i);
int ramfs_count(void);
/* Parse a cpio newc archive in memory (exposed for the self-test). */
int ramfs_parse(const uint8_t *archive, uint64_t size, struct ramfs_file *out, int max);

#endif
