/*
 * eBPF objects on the host, before they go to the OS: compile a user's
 * .bpf.c with clang against the headers the project ships (include/bpf/),
 * list an object's programs, and run the same verifier the kernel runs
 * (ebpf/, host build) so that a rejected program's log reaches the user
 * instead of the kernel console.
 */
#ifndef ADAPTER_BPFOBJ_H
#define ADAPTER_BPFOBJ_H

#include <stddef.h>
#include <stdint.h>

/* The project's top directory (where include/bpf is), found from the osdbg
 * binary's location (build/bin/osdbg -> ../..). */
const char *bpfobj_top(void);
/* clang -O2 -g -target bpf -I<top>/include -c path: the object in *elf
 * (malloc'd).  0, or -1 with clang's first error lines in err. */
int bpfobj_compile(const char *path, uint8_t **elf, size_t *len, char *err, size_t errlen);
/* A user's program: a built object (path ends in .o) as it is, a source
 * (.c) through bpfobj_compile.  0, or -1 with the reason. */
int bpfobj_load(const char *path, uint8_t **elf, size_t *len, char *err, size_t errlen);
/* The object's first program whose section starts with prefix ("kprobe",
 * "kretprobe", "uprobe") and that no program array's initialiser names (a
 * tail-call target is not where a probe starts), else its first program.
 * 0 or -1 (err). */
int bpfobj_pick_program(const uint8_t *elf, size_t len, const char *prefix, char *name,
                        size_t namelen, char *err, size_t errlen);
/* Load and verify program `name` for a pt_regs context with the helpers the
 * kernel offers.  0, or -1 with the loader's or verifier's message in err. */
int bpfobj_verify(const uint8_t *elf, size_t len, const char *name, char *err, size_t errlen);

#endif
