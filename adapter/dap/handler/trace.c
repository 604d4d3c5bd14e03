/*
 * osdbg/trace, osdbg/traceList, osdbg/traceDetach, osdbg/traceMap
 * (custom): the trace commands of trace/tracecmd.c, from the extension.
 */
#include "dap/handler/handlers.h"
#include "trace/tracecmd.h"

void req_trace(json_t *req, json_t *args)
{
    tracecmd_request(req, json_string_value(json_object_get(req, "command")), args);
}

