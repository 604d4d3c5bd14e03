/*
 * What the DWARF readers' unit tests (test_debuginfo.c, test_varloc.c)
 * compare the adapter against: the build's outputs, and the output of tools
 * that do not share the adapter's code (objdump, nm, GDB).
 */
#ifndef TESTS_ADAPTER_INDEPENDENT_TOOLS_H
#define TESTS_ADAPTER_INDEPENDENT_TOOLS_H

#define RV_OBJDUMP "riscv64-unknown-elf-objdump"
#define RV_NM      "riscv64-unknown-elf-nm"
#define GDB        "gdb-multiarch -nx -batch"

/* rel inside the build folder ($OSDBG_BUILD, else the one compiled in);
 * the last 4 answers stay valid. */
const char *build_path(const char *rel);

/* A shell command's whole output (malloc'd); the test fails if it cannot
 * be started. */
char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
