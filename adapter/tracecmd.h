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
struct bp;
/* Compile a logpoint (message, condition, hit condition) to one eBPF
 * program per location.  false, with *why, if part of it needs GDB. */
bool logpoint_compile(struct bp *b, const char **why);
/* Free the compiled programs. */
void logpoint_forget(struct bp *b);
/* Attach an eBPF logpoint's probes now if the side channel is up (else at
 * logpoints_start), and detach them. */
void logpoint_attach(struct bp *b);
void logpoint_detach(struct bp *b);
/* After the first continue: connect to the side-stub (the kernel waits
 * for us at boot when asked), attach pending logpoints, let it go on. */
void logpoints_start(void);
bool logpoints_wanted(void);
/* The OS runs again: attach logpoints set while it was stopped. */
void logpoints_resumed(void);
/* The session ends: close the side channel. */
void tracecmd_close(void);
struct side_client;
/* The adapter's connection to the side-stub, made if need be (the relay
 * of siderelay.c shares it); 0 with a reason. */
struct side_client *tracecmd_side(char *err, size_t errlen);

#endif
