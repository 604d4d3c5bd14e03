/*
 * initialize: the client's line origin and abilities, and ours.
 */
#include "dap/handler/handlers.h"

static bool run_in_terminal; /* the client takes runInTerminal requests */

bool client_supports_run_in_terminal(void)
{
    return run_in_terminal;
}

void req_initialize(json_t *req, json_t *args)
{
    dap_set_origin(!json_is_false(json_object_get(args, "linesStartAt1")),
                   !json_is_false(json_object_get(args, "columnsStartAt1")));
    run_in_terminal = json_is_true(json_object_get(args, "supportsRunInTerminalRequest"));
    dap_respond(req,
                json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, "
                          "s:b, s:b, s:b, s:b, s:b}",
                          "supportsConfigurationDoneRequest", 1, "supportsFunctionBreakpoints", 1,
                          "supportsConditionalBreakpoints", 1, "supportsHitConditionalBreakpoints",
                          1, "supportsLogPoints", 1, "supportsInstructionBreakpoints", 1,
                          "supportsSteppingGranularity", 1, "supportsEvaluateForHovers", 1,
                          "supportsReadMemoryRequest", 1, "supportsTerminateRequest", 1,
                          "supportsWriteMemoryRequest", 1, "supportsDisassembleRequest", 1,
                          "supportsSetVariable", 1, "supportsDataBreakpoints", 1,
                          "supportsLoadedSourcesRequest", 1, "supportsModulesRequest", 1,
                          "supportsRestartRequest", 1, "supportsStepBack", 1,
                          "supportsDataBreakpointBytes", 1));
}
