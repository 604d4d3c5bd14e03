/* Replacing a process's program (exec) with an ELF from the ramdisk. */
#ifndef KERNEL_EXEC_H
#define KERNEL_EXEC_H

#include "types.h"

struct proc;

/* Run the program at path with the given arguments (kernel strings, ending
 * in 0) in the current process.  Returns argc on success (the caller returns
 * to the new program, with a0 = argc) or -errno with the old program intact: -ENOENT (no
 * such file), -ENOEXEC (not a valid RISC-V executable), -ENOMEM, -E2BIG. */
long kexec(const char *path, const char *const argv[]);

/* Called once exec has committed the new image: p->name, p->pagetable and
 * the entry point are final.  Never inlined: the debugger breaks here to
 * learn which program now runs in which address space (satp). */
void exec_commit(struct proc *p, uint64_t satp);

#endif
