/*
 * setBreakpoints, setFunctionBreakpoints, setInstructionBreakpoints and
 * setExceptionBreakpoints: the table (target/breakpoints.c) changed with
 * the OS stopped for the moment it takes.
 */
#include "dap/handler/handlers.h"
#include "target/breakpoints.h"
#include "target/runctl.h"

struct set_args {
    json_t *req, *args;
    const char *command;
};

static int set_source(void *p)
{
    struct set_args *a = p;
    json_t *source = json_object_get(a->args, "source");
    const char *path = json_string_value(json_object_get(source, "path"));
    if (!path) {
        dap_error(a->req, "setBreakpoints: source.path is required");
        return -1;
    }
    json_t *out = breakpoints_set_source(path, json_object_get(a->args, "breakpoints"));
    dap_respond(a->req, json_pack("{s:o}", "breakpoints", out));
    return 0;
}

static int set_functions(void *p)
{
    struct set_args *a = p;
    json_t *out = breakpoints_set_functions(json_object_get(a->args, "breakpoints"));
    dap_respond(a->req, json_pack("{s:o}", "breakpoints", out));
    return 0;
}

static int set_instructions(void *p)
{
    struct set_args *a = p;
    json_t *out = breakpoints_set_instructions(json_object_get(a->args, "breakpoints"));
    dap_respond(a->req, json_pack("{s:o}", "breakpoints", out));
    return 0;
}

static void with_stopped(int (*fn)(void *), json_t *req, json_t *args, const char *command)
{
    struct set_args a = {req, args, command};
    if (with_target_stopped(fn, &a) < 0 && !dap_answered(req))
        dap_error(req, "%s: %s", command, target_stop_error());
}

void req_set_breakpoints(json_t *req, json_t *args)
{
    with_stopped(set_source, req, args, "setBreakpoints");
}

void req_set_function_breakpoints(json_t *req, json_t *args)
{
    with_stopped(set_functions, req, args, "setFunctionBreakpoints");
}

void req_set_instruction_breakpoints(json_t *req, json_t *args)
{
    with_stopped(set_instructions, req, args, "setInstructionBreakpoints");
}

void req_set_exception_breakpoints(json_t *req, json_t *args)
{
    (void)args;
    dap_respond(req, json_pack("{s:[]}", "breakpoints"));
}

