/*
 * Every process of the stopped OS, read from its process table with the
 * profile's "processes" expressions (docs/profiles.md), for the editor's
 * Address Spaces view: program, pid, state, page table, and the
 * breakpoints armed while each one runs.
 */
#ifndef ADAPTER_PROCESSES_H
#define ADAPTER_PROCESSES_H

#include <jansson.h>

/* osdbg/processes -> {processes: [{program, pid, state, pageTable,
 * current, breakpoints: [{id, source, line}]}], kernelBreakpoints}
 * (pageTable as hex text).  Only while the OS is stopped. */
void req_processes(json_t *req, json_t *args);

#endif
