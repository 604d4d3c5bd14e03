/* File-system constants shared by the kernel and user programs. */
#ifndef OSDBG_FS_H
#define OSDBG_FS_H

#include <stdint.h>

/* open() flags: Linux values; only O_RDONLY succeeds (read-only ramdisk). */
#define O_RDONLY  0
#define O_WRONLY  1
#define O_RDWR    2
#define O_ACCMODE 3

/* struct ustat.type */
#define T_DIR    1
#define T_FILE   2
#define T_DEVICE 3

struct ustat {
    uint32_t type;
    uint32_t pad;
    uint64_t size; /* bytes; for the root directory, the number of files */
};

#endif
