/* ELF-64 for exec: the structures and numbers are include/osdbg/elf64.h's. */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include <osdbg/elf64.h>

#endif
