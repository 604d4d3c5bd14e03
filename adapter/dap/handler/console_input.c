/*
 * consoleInput (custom): type into the OS console.
 */
#include "dap/handler/handlers.h"
#include "machine/qemu.h"
#include "target/timetravel.h"

#include <errno.h>
#include <string.h>

void req_console_input(json_t *req, json_t *args)
{
    const char *text = json_string_value(json_object_get(args, "text"));
    if (!text) {
        dap_error(req, "consoleInput: \"text\" is required");
        return;
    }
    if (tt_mode() == TT_REPLAY) {
        /* What the OS reads in a replay is what it read when recorded. */
        dap_error(req, "consoleInput: this is a replay: the OS reads what was typed when it was "
                       "recorded");
        return;
    }
    if (!qemu_running()) {
        dap_error(req, "consoleInput: the OS is not running under this adapter");
        return;
    }
    if (qemu_console_input(text, strlen(text)) < 0) {
        dap_error(req, "consoleInput: %s",
                  errno == ENOBUFS ? "64 MiB of input are already waiting for the OS to read them"
                                   : strerror(errno));
        return;
    }
    dap_respond(req, 0);
}
