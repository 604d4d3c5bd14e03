/* Patching instructions other harts may be executing (probes). */
#ifndef KERNEL_TEXTPATCH_H
#define KERNEL_TEXTPATCH_H

#include "types.h"

/* Write n bytes of instructions at lo (kernel address; hi is where the
 * bytes from offset 2 on live, lo + 2 unless the patch crosses a page of
 * a process mapped elsewhere) so that a hart fetching at the same time
 * sees the old instruction or the new one, never a mix; then fence every
 * hart's instruction fetch.  See textpatch.c. */
void text_patch(uint8_t *lo, uint8_t *hi, const uint8_t *bytes, unsigned n);

#endif
