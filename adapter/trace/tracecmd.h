/* The debug console's `trace` commands: eBPF probes from the editor through
 * the kernel's side-stub, without stopping the OS (tracecmd.c). */
#ifndef ADAPTER_TRACECMD_H
#define ADAPTER_TRACECMD_H

#include <jansson.h>
#include <stdbool.h>

/* Is this debug-console line a trace command? */
bool tracecmd_is(const char *line);
/* Run it; answers req (a DAP evaluate request). */
void tracecmd_run(json_t *req, const char *line);
/* The custom requests osdbg/trace, osdbg/traceList, osdbg/traceDetach,
 * osdbg/traceMap (tracecmd.c says what they take and answer). */
void tracecmd_request(json_t *req, const char *command, json_t *args);
/* Once at start: listen to the side channel. */
void tracecmd_init(void);
/* The session ends: close the side channel. */
void tracecmd_close(void);

#endif
