/*
 * The DAP request handlers, one file per request or per family of requests
 * that share state (table.c lists which request each answers):
 *   initialize.c        initialize
 *   lifecycle.c         launch, attach, restart, configurationDone,
 *                       terminate, disconnect (and QEMU's and GDB's events)
 *   set_breakpoints.c   setBreakpoints, setFunctionBreakpoints,
 *                       setInstructionBreakpoints, setExceptionBreakpoints
 *   execution.c         threads, continue, pause, next, stepIn, stepOut
 *   inspect.c           stackTrace, scopes, variables, evaluate (they share
 *                       the variable references)
 *   memory.c            readMemory, writeMemory, disassemble, setVariable,
 *                       dataBreakpointInfo, setDataBreakpoints,
 *                       loadedSources, modules
 *   console_input.c     consoleInput                      (custom)
 *   stats.c             osdbg/stats                       (custom)
 *   processes.c         osdbg/processes                   (custom)
 *   page_table.c        osdbg/pageTable                   (custom)
 *   trace.c             osdbg/trace, traceList, traceDetach, traceMap
 */
#ifndef ADAPTER_DAP_HANDLER_HANDLERS_H
#define ADAPTER_DAP_HANDLER_HANDLERS_H

#include "dap/dap.h"
#include <stdbool.h>

extern const struct dap_request_entry osdbg_requests[];

void req_initialize(json_t *req, json_t *args);
void req_launch(json_t *req, json_t *args);
void req_attach(json_t *req, json_t *args);
void req_restart(json_t *req, json_t *args);
void req_configuration_done(json_t *req, json_t *args);
void req_terminate(json_t *req, json_t *args);
void req_disconnect(json_t *req, json_t *args);
void req_set_breakpoints(json_t *req, json_t *args);
void req_set_function_breakpoints(json_t *req, json_t *args);
void req_set_instruction_breakpoints(json_t *req, json_t *args);
void req_set_exception_breakpoints(json_t *req, json_t *args);
void req_threads(json_t *req, json_t *args);
void req_continue(json_t *req, json_t *args);
void req_pause(json_t *req, json_t *args);
void req_next(json_t *req, json_t *args);
void req_step_in(json_t *req, json_t *args);
void req_step_out(json_t *req, json_t *args);
void req_stack_trace(json_t *req, json_t *args);
void req_scopes(json_t *req, json_t *args);
void req_variables(json_t *req, json_t *args);
void req_evaluate(json_t *req, json_t *args);
void req_read_memory(json_t *req, json_t *args);
void req_write_memory(json_t *req, json_t *args);
void req_disassemble(json_t *req, json_t *args);
void req_set_variable(json_t *req, json_t *args);
void req_data_breakpoint_info(json_t *req, json_t *args);
void req_set_data_breakpoints(json_t *req, json_t *args);
void req_loaded_sources(json_t *req, json_t *args);
void req_modules(json_t *req, json_t *args);
void req_console_input(json_t *req, json_t *args);
void req_stats(json_t *req, json_t *args);
void req_processes(json_t *req, json_t *args);
void req_page_table(json_t *req, json_t *args);
void req_trace(json_t *req, json_t *args);
void req_step_back(json_t *req, json_t *args);
void req_reverse_continue(json_t *req, json_t *args);
/* Time travel (lifecycle.c): a live recorded session at this point goes
 * on as a replay of its recording, at the same instruction count; then
 * runs then.  0, or -1 with err (the session goes on live). */
int lifecycle_replay_here(void (*then)(void), char *err, size_t errlen);
/* A request that would change the machine while it is recorded or
 * replayed (the log would no longer match): answered with an error
 * naming what, true; false if it may go on. */
bool refused_while_recorded(json_t *req, const char *what);

/* initialize.c: the client said it takes runInTerminal requests. */
bool client_supports_run_in_terminal(void);
/* inspect.c: the GDB expression of a child `name` of variable reference
 * ref (a structured value's member), or 0: for setVariable and data
 * breakpoints.  Owned by inspect.c until the target runs. */
const char *inspect_varobj_expression(int ref, const char *name);
void inspect_reset(void); /* forget variable references (at every resume) */

#endif
