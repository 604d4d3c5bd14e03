/* Where osdbg is: its build folder and the source tree above it, found from
 * the running binary (build/bin/osdbg), so that the default sockets,
 * profile and headers are found whatever the current directory is. */
#ifndef ADAPTER_PATHS_H
#define ADAPTER_PATHS_H

#include <stddef.h>

/* build gets ".../build", root the tree containing it (both canonical when
 * they exist); each at most n bytes. */
void osdbg_locate(char *build, char *root, size_t n);

#endif
