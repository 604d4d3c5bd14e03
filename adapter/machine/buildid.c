/* The identity of an ELF file (buildid.h). */
#include "machine/buildid.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3 /* <elf.h>: the note ld --build-id writes, owner "GNU" */
#endif

static Elf *open_elf(const char *path, int *fd)
{
    elf_version(EV_CURRENT);
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return 0;
    Elf *e = elf_begin(*fd, ELF_C_READ, 0);
    if (e && elf_kind(e) == ELF_K_ELF)
        return e;
    if (e)
        elf_end(e);
    close(*fd);
    *fd = -2; /* opened, but not an ELF file */
    return 0;
}

bool buildid_is_executable(const char *path)
{
    int fd;
    Elf *e = open_elf(path, &fd);
    if (!e)
        return false;
    GElf_Ehdr eh;
    bool exec = gelf_getehdr(e, &eh) && (eh.e_type == ET_EXEC || eh.e_type == ET_DYN);
    elf_end(e);
    close(fd);
    return exec;
}

/* The descriptor of the first GNU build-id note in a SHT_NOTE section, as
 * hex; false if there is none. */
static bool note_build_id(Elf *e, char *out, size_t n)
{
    for (Elf_Scn *scn = elf_nextscn(e, 0); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data *d = elf_getdata(scn, 0);
        if (!d)
            continue;
        GElf_Nhdr nh;
        size_t off = 0, name_off, desc_off;
        while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
            if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
                memcmp((char *)d->d_buf + name_off, "GNU", 4) != 0 || nh.n_descsz == 0 ||
                nh.n_descsz * 2 + 1 > n)
                continue;
            const unsigned char *id = (const unsigned char *)d->d_buf + desc_off;
            for (size_t i = 0; i < nh.n_descsz; i++)
                snprintf(out + 2 * i, 3, "%02x", id[i]);
            return true;
        }
    }
    return false;
}

/* FNV-1a, 64 bits (Fowler/Noll/Vo, IETF draft-eastlake-fnv): for change
 * detection of an ELF without a build id only, not a cryptographic hash. */
static int content_hash(const char *path, uint64_t *h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char buf[65536];
    size_t k;
    *h = 0xcbf29ce484222325ULL;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < k; i++)
            *h = (*h ^ buf[i]) * 0x100000001b3ULL;
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}

int buildid_of(const char *path, char *out, size_t n, char *err, size_t errlen)
{
    int fd;
    Elf *e = open_elf(path, &fd);
    if (!e) {
        snprintf(err, errlen, "%s: %s", path, fd == -2 ? "not an ELF file" : strerror(errno));
        return -1;
    }
    bool found = note_build_id(e, out, n);
    elf_end(e);
    close(fd);
    if (found)
        return 0;
    return buildid_content_of(path, out, n, err, errlen);
}

int buildid_content_of(const char *path, char *out, size_t n, char *err, size_t errlen)
{
    uint64_t h;
    if (content_hash(path, &h) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(out, n, "sha:%016llx", (unsigned long long)h);
    return 0;
}
