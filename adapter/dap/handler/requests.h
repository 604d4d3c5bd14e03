/* The DAP request handlers: requests.c (session lifecycle and execution
 * control), breakpoints.c, inspect.c (stack, scopes, variables, evaluate,
 * memory). */
#ifndef ADAPTER_REQUESTS_H
#define ADAPTER_REQUESTS_H

#include "dap/dap.h"

extern const struct dap_request_entry osdbg_requests[];

void req_set_breakpoints(json_t *req, json_t *args);
void req_set_function_breakpoints(json_t *req, json_t *args);
void req_set_instruction_breakpoints(json_t *req, json_t *args);
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
/* The GDB expression of a child `name` of variable reference ref (a
 * structured value's member), or 0: for setVariable and data breakpoints.
 * Owned by inspect.c until the target runs. */
const char *inspect_varobj_expression(int ref, const char *name);
void inspect_reset(void); /* forget variable references (at every resume) */

#endif
