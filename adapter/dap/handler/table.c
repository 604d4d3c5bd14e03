/*
 * The adapter's table of contents: every DAP request it answers, and the
 * handler that does (one file per request, or per family of requests that
 * share their state; handlers.h lists them).  A request not here is
 * answered with an error by dap.c.
 */
#include "dap/handler/handlers.h"

const struct dap_request_entry osdbg_requests[] = {
    {"initialize", req_initialize},
    {"launch", req_launch},
    {"attach", req_attach},
    {"configurationDone", req_configuration_done},
    {"setBreakpoints", req_set_breakpoints},
    {"setFunctionBreakpoints", req_set_function_breakpoints},
    {"setInstructionBreakpoints", req_set_instruction_breakpoints},
    {"setExceptionBreakpoints", req_set_exception_breakpoints},
    {"threads", req_threads},
    {"continue", req_continue},
    {"pause", req_pause},
    {"next", req_next},
    {"stepIn", req_step_in},
    {"stepOut", req_step_out},
    {"stepBack", req_step_back},
    {"reverseContinue", req_reverse_continue},
    {"stackTrace", req_stack_trace},
    {"scopes", req_scopes},
    {"variables", req_variables},
    {"evaluate", req_evaluate},
    {"readMemory", req_read_memory},
    {"writeMemory", req_write_memory},
    {"disassemble", req_disassemble},
    {"setVariable", req_set_variable},
    {"dataBreakpointInfo", req_data_breakpoint_info},
    {"setDataBreakpoints", req_set_data_breakpoints},
    {"loadedSources", req_loaded_sources},
    {"modules", req_modules},
    {"terminate", req_terminate},
    {"restart", req_restart},
    {"disconnect", req_disconnect},
    {"consoleInput", req_console_input},
    {"osdbg/stats", req_stats},
    {"osdbg/processes", req_processes},
    {"osdbg/pageTable", req_page_table},
    {"osdbg/trace", req_trace},
    {"osdbg/traceList", req_trace},
    {"osdbg/traceDetach", req_trace},
    {"osdbg/traceMap", req_trace},
    {0, 0},
};
