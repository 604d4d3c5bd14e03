/*
 * asm.h - assemble RISC-V text with riscv64-unknown-elf-as at test time, so
 * the encodings under test come from the GNU assembler, never from the
 * engine (or a test encoder).
 */
#ifndef TESTS_PROBES_ASM_H
#define TESTS_PROBES_ASM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RVP_WORKDIR
#define RVP_WORKDIR "/tmp"
#endif

/*
 * Assembles `text` (into .data, no relaxation) for -march=march; copies the
 * section's bytes to out.  Returns the byte count, or -1 (the assembler's
 * messages are on stderr).
 */
static inline long rvp_assemble(const char *march, const char *text, uint8_t *out, size_t max)
{
    static unsigned seq;
    char s[400], o[400], b[400], cmd[2400];
    snprintf(s, sizeof s, "%s/rvp%u_%u.s", RVP_WORKDIR, (unsigned)getpid(), seq);
    snprintf(o, sizeof o, "%s/rvp%u_%u.o", RVP_WORKDIR, (unsigned)getpid(), seq);
    snprintf(b, sizeof b, "%s/rvp%u_%u.bin", RVP_WORKDIR, (unsigned)getpid(), seq++);
    FILE *f = fopen(s, "w");
    if (!f)
        return -1;
    fprintf(f, ".option norelax\n.section .data\n%s\n", text);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "riscv64-unknown-elf-as -march=%s -o %s %s && "
             "riscv64-unknown-elf-objcopy -O binary -j .data %s %s",
             march, o, s, o, b);
    if (system(cmd) != 0)
        return -1;
    f = fopen(b, "rb");
    if (!f)
        return -1;
    long n = (long)fread(out, 1, max, f);
    fclose(f);
    remove(s);
    remove(o);
    remove(b);
    return n;
}

#endif
