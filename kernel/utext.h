/* utext.h - instruction boundaries in a program's text (utext.c). */
#ifndef KERNEL_UTEXT_H
#define KERNEL_UTEXT_H

#include "types.h"

/* Is addr the start of an instruction of `program` (a file in the ramdisk)?
 * Returns its length (2, 4, ...) and the start of the function holding it in
 * *func_start, or a negative RVPROBE_E* code: EINVAL (no such ELF program),
 * ERANGE (not in its executable segments), ENOTBOUNDARY (inside an
 * instruction), EREFUSED (an encoding that cannot be decoded). */
int utext_check_insn(const char *program, uint64_t addr, uint64_t *func_start);

#endif
