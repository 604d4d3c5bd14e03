/*
 * cpio "newc" reader (format of GNU cpio's manual, "newc" = SVR4 portable
 * ASCII without CRC): each member is a 110-byte header starting with
 * "070701" and thirteen 8-digit hex fields, then the NUL-terminated name,
 * padded to a multiple of 4 from the header start, then the data, padded to
 * a multiple of 4.  The member named "TRAILER!!!" ends the archive.
 */
#include "ramfs.h"
#include "kstring.h"
#include "printf.h"

extern const uint8_t ramdisk_start[], ramdisk_end[]; /* ramdisk.S */

static struct ramfs_file files[RAMFS_MAX_FILES];
static int nfiles;

#define CPIO_HDR      110
#define CPIO_FIELD(i) (6 + 8 * (i)) /* offset of the i-th hex field */
#define F_MODE        1
#define F_FILESIZE    6
#define F_NAMESIZE    11
#define S_IFMT        0170000
#define S_IFREG       0100000

static int hex_field(const uint8_t *h, int i, uint64_t *out)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) {
        uint8_t c = h[CPIO_FIELD(i) + k];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

static bool no_slash(const char *s)
{
    for (; *s; s++)
        if (*s == '/')
            return false;
    return true;
}

static uint64_t align4(uint64_t x)
{
    return (x + 3) & ~3UL;
}

int ramfs_parse(const uint8_t *archive, uint64_t size, struct ramfs_file *out, int max)
{
    uint64_t off = 0;
    int n = 0;
    for (;;) {
        uint64_t mode, filesize, namesize;
        if (off > size || size - off < CPIO_HDR)
            return -1;
        const uint8_t *h = archive + off;
        if (memcmp(h, "070701", 6) != 0 || hex_field(h, F_MODE, &mode) < 0 ||
            hex_field(h, F_FILESIZE, &filesize) < 0 || hex_field(h, F_NAMESIZE, &namesize) < 0)
            return -1;
        if (namesize == 0 || namesize > size - off - CPIO_HDR)
            return -1;
        const char *name = (const char *)h + CPIO_HDR;
        if (name[namesize - 1] != 0)
            return -1;
        uint64_t data = align4(off + CPIO_HDR + namesize);
        if (data > size || filesize > size - data)
            return -1;
        if (strcmp(name, "TRAILER!!!") == 0)
            return n;
        /* Keep regular files; "./x" and "x" name the same file. */
        if (name[0] == '.' && name[1] == '/')
            name += 2;
        if ((mode & S_IFMT) == S_IFREG && no_slash(name) && n < max) {
            if (strlen(name) >= RAMFS_NAME_LEN)
                printf("[kernel] ramfs: name too long, skipped: %s\n", name);
            else {
                strlcpy(out[n].name, name, RAMFS_NAME_LEN);
                out[n].data = archive + data;
                out[n].size = filesize;
                n++;
            }
        }
        off = align4(data + filesize);
    }
}

int ramfs_init(void)
{
    int n =
        ramfs_parse(ramdisk_start, (uint64_t)(ramdisk_end - ramdisk_start), files, RAMFS_MAX_FILES);
    if (n < 0) {
        printf("[kernel] ramfs: malformed archive, no files\n");
        nfiles = 0;
        return -1;
    }
    nfiles = n;
    return n;
}

const struct ramfs_file *ramfs_lookup(const char *path)
{
    while (*path == '/')
        path++;
    for (int i = 0; i < nfiles; i++)
        if (strcmp(files[i].name, path) == 0)
            return &files[i];
    return 0;
}

const struct ramfs_file *ramfs_at(int i)
{
    return i >= 0 && i < nfiles ? &files[i] : 0;
}

int ramfs_count(void)
{
    return nfiles;
}
