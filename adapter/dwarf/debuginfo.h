/*
 * Debug information of one ELF file (kernel or user program), read with
 * libelf/libdw: source lines <-> addresses, function symbols by (demangled)
 * name.  The adapter resolves user breakpoints itself, from each program's
 * own ELF, so that it knows which program a breakpoint belongs to even
 * before that program runs and although all programs share addresses.
 */
#ifndef ADAPTER_DEBUGINFO_H
#define ADAPTER_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct debuginfo;

/* Open an ELF file.  Returns 0 with a message in err on failure (missing
 * file, not an ELF, no DWARF line table). */
struct debuginfo *debuginfo_open(const char *path, char *err, size_t errlen);
void debuginfo_close(struct debuginfo *di);
const char *debuginfo_path(const struct debuginfo *di);

/* Does the line table mention this source file?  A file matches when the
 * given path and the table's path are equal after resolving both to
 * absolute paths, or when one is a path suffix of the other on a '/'
 * boundary (so "hello.c", "user/hello.c" and "/abs/user/hello.c" match). */
bool debuginfo_has_source(struct debuginfo *di, const char *file);

/* Breakpoint addresses for file:line.  Like GDB: if no is_stmt row starts
 * that line, the next line that has code (within the same function/CU) is
 * used and reported in *actual_line.  One address per distinct function or
 * inlined copy: the lowest is_stmt address of the line in each.  Returns the
 * number of addresses stored (at most max), 0 if the line has no code,
 * -1 if the file is unknown. */
int debuginfo_line_to_addrs(struct debuginfo *di, const char *file, int line, uint64_t *addrs,
                            int max, int *actual_line);

/* The source position of an address: absolute file path and line (both
 * owned by di).  Returns 0, or -1 if the address has no line info. */
int debuginfo_addr_to_line(struct debuginfo *di, uint64_t addr, const char **file, int *line);

/* A function's address by name: the plain C name ("main"), the mangled
 * name, or the demangled name ("rustdemo::work", without the Rust hash
 * suffix; C++ names without parameter lists also match).  With
 * after_prologue the address is the function's second line-table row
 * (where GDB's "break func" stops), else its entry.  Returns 0 or -1. */
/* Does GDB's name of a frame's function (qualified: "os::trap::trap_handler")
 * name the function a profile calls by its symbol ("trap_handler", for a
 * Rust #[no_mangle] function), or the other way round? */
bool debuginfo_same_function(const char *frame_function, const char *symbol);
int debuginfo_function_addr(struct debuginfo *di, const char *name, bool after_prologue,
                            uint64_t *addr);

/* The demangled name of the function containing addr (owned by di), or 0. */
const char *debuginfo_function_at(struct debuginfo *di, uint64_t addr);
/* The ELF's entry point (e_entry): the outermost frame of a program. */
uint64_t debuginfo_entry(struct debuginfo *di);

/* Demangle a C++/Rust (legacy or v0) symbol with libiberty; returns a new
 * malloc'd string, or 0 if name is not mangled.  Rust legacy hashes
 * ("::h0123456789abcdef") are removed. */
char *debuginfo_demangle(const char *name);

/* Every source file in the line table (absolute paths, owned by di);
 * returns the count. */
int debuginfo_sources(struct debuginfo *di, const char ***files);

/* One step of unwinding with the file's DWARF call-frame information:
 * regs holds x0..x31 of a frame whose pc is *pc; on return they and *pc
 * are the caller's (RISC-V DWARF register numbers: xN is N).  innermost:
 * *pc is where the frame stopped (not a return address).  read fetches 8
 * bytes of the program's memory.  Returns 0, or -1 at the outermost frame,
 * without CFI, or when a read fails. */
int debuginfo_unwind(struct debuginfo *di, uint64_t regs[32], uint64_t *pc, bool innermost,
                     int (*read)(void *ctx, uint64_t addr, uint64_t *val), void *ctx);

/* The libdw handles behind di, for readers of other DWARF sections
 * (varloc.c): the Dwarf session, and the call-frame information
 * (.debug_frame, else .eh_frame) or 0.  Both are owned by di. */
struct Dwarf *debuginfo_dwarf(struct debuginfo *di);
struct Dwarf_CFI_s *debuginfo_cfi(struct debuginfo *di);

#endif
