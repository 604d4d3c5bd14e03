/*
 * prog_file.h - for the test suites that load clang-built objects: the
 * object PROG_DIR/name (the build's progs folder) read whole into a
 * 16-byte aligned buffer of at most 1 MiB (the caller frees it).  Include
 * after <cmocka.h>: a missing object fails the test.
 */
#ifndef TESTS_EBPF_PROG_FILE_H
#define TESTS_EBPF_PROG_FILE_H

#include <stdio.h>
#include <stdlib.h>

static void *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", PROG_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    void *buf = aligned_alloc(16, 1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

#endif
