#ifndef KERNEL_KPROBE_TARGET_H
#define KERNEL_KPROBE_TARGET_H

#include "types.h"

extern long kprobe_target_global;
long kprobe_target(long x);
uint64_t kprobe_csr_target(void);

#endif
