/*
 * Memory, code and data: writeMemory, disassemble, setVariable, data
 * breakpoints (GDB watchpoints), loadedSources and modules.
 */
#include "gdb/gdb.h"
#include "dap/handler/handlers.h"
#include "target/breakpoints.h"
#include "target/liveness.h"
#include "target/programs.h"
#include "target/runctl.h"
#include "target/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* disassemble: skip at most this many instructions exactly (by decoding);
 * refuse offsets beyond DISASM_MAX_OFFSET (16 MiB of code either way). */
#define DISASM_EXACT_SKIP 1000
#define DISASM_MAX_OFFSET (4 << 20)

static bool stopped_or_error(json_t *req)
{
    if (T.state == TARGET_STOPPED)
        return true;
    dap_error(req, "the OS is running; pause it first");
    return false;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

void req_write_memory(json_t *req, json_t *args)
{
    const char *ref = json_string_value(json_object_get(args, "memoryReference"));
    const char *data = json_string_value(json_object_get(args, "data"));
    json_int_t offset = json_integer_value(json_object_get(args, "offset"));
    if (!ref || !data) {
        dap_error(req, "writeMemory: needs memoryReference and data (base64)");
        return;
    }
    if (refused_while_recorded(req, "writeMemory: writing the OS's memory"))
        return;
    if (!stopped_or_error(req))
        return;
    size_t len = strlen(data);
    char *hex = malloc(len / 4 * 6 + 8);
    size_t nbytes = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && data[i] != '='; i++) {
        int v = b64_value(data[i]);
        if (v < 0) {
            free(hex);
            dap_error(req, "writeMemory: data is not base64");
            return;
        }
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sprintf(hex + 2 * nbytes++, "%02x", (acc >> bits) & 0xff);
        }
    }
    hex[2 * nbytes] = 0;
    unsigned long long addr = strtoull(ref, 0, 0) + (unsigned long long)offset;
    char err[256];
    int r = nbytes ? gdb_cmd(err, sizeof err, "-data-write-memory-bytes 0x%llx %s", addr, hex) : 0;
    free(hex);
    if (r < 0) {
        dap_error(req, "writeMemory: %s", err);
        return;
    }
    dap_respond(req, json_pack("{s:i}", "bytesWritten", (int)nbytes));
    dap_event("invalidated", json_pack("{s:[s]}", "areas", "variables"));
}

void req_disassemble(json_t *req, json_t *args)
{
    const char *ref = json_string_value(json_object_get(args, "memoryReference"));
    json_int_t offset = json_integer_value(json_object_get(args, "offset"));
    json_int_t ioff = json_integer_value(json_object_get(args, "instructionOffset"));
    json_int_t count = json_integer_value(json_object_get(args, "instructionCount"));
    if (!ref || count <= 0 || count > 10000) {
        dap_error(req, "disassemble: needs memoryReference and 0 < instructionCount <= 10000");
        return;
    }
    if (!stopped_or_error(req))
        return;
    /* RISC-V instructions are 2 or 4 bytes: walk back 4 bytes per
     * instruction asked before the reference, forward until count.  GDB's
     * work must grow with count, never with the offset (an offset of 10^6
     * kept GDB busy for minutes): past DISASM_EXACT_SKIP instructions
     * forward, the start is estimated at 4 bytes per instruction, as it
     * always is backward. */
    if (ioff < -DISASM_MAX_OFFSET || ioff > DISASM_MAX_OFFSET) {
        dap_error(req, "disassemble: instructionOffset beyond +-%d instructions",
                  DISASM_MAX_OFFSET);
        return;
    }
    unsigned long long base = strtoull(ref, 0, 0) + (unsigned long long)offset;
    unsigned long long start = ioff < 0 ? base - (unsigned long long)(-ioff) * 4 : base;
    int skip = ioff > 0 && ioff <= DISASM_EXACT_SKIP ? (int)ioff : 0;
    if (ioff > DISASM_EXACT_SKIP)
        start = base + (unsigned long long)ioff * 4;
    unsigned long long end = start + (unsigned long long)(count + skip) * 4 + 4;
    char err[256];
    struct mi_record rec;
    json_t *out = json_array();
    if (gdb_run(&rec, err, sizeof err, "-data-disassemble -s 0x%llx -e 0x%llx -- 2", start, end) ==
        0) {
        json_t *insns = json_object_get(rec.results, "asm_insns");
        size_t i;
        json_t *in;
        json_array_foreach(insns, i, in)
        {
            if (skip > 0) {
                skip--;
                continue;
            }
            if ((json_int_t)json_array_size(out) >= count)
                break;
            const char *a = mi_str(in, "address");
            const char *text = mi_str(in, "inst");
            const char *opcodes = mi_str(in, "opcodes");
            const char *func = mi_str(in, "func-name");
            json_t *ji =
                json_pack("{s:s, s:s}", "address", a ? a : "?", "instruction", text ? text : "?");
            if (opcodes)
                json_object_set_new(ji, "instructionBytes", json_string(opcodes));
            if (func)
                json_object_set_new(ji, "symbol", json_string(func));
            json_array_append_new(out, ji);
        }
        mi_record_free(&rec);
    }
    /* Unreadable memory: DAP wants exactly count entries. */
    while ((json_int_t)json_array_size(out) < count)
        json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "address", "0x0", "instruction",
                                             "??", "presentationHint", "invalid"));
    dap_respond(req, json_pack("{s:o}", "instructions", out));
}

void req_set_variable(json_t *req, json_t *args)
{
    const char *name = json_string_value(json_object_get(args, "name"));
    const char *value = json_string_value(json_object_get(args, "value"));
    int ref = (int)json_integer_value(json_object_get(args, "variablesReference"));
    if (!name || !value) {
        dap_error(req, "setVariable: needs name and value");
        return;
    }
    if (refused_while_recorded(req, "setVariable: changing a value"))
        return;
    if (!stopped_or_error(req))
        return;
    char err[256];
    char expr[512];
    const char *target = inspect_varobj_expression(ref, name);
    if (ref % 4 == 2 && ref < 1000000)
        snprintf(expr, sizeof expr, "$%s = %s", name, value); /* Registers scope */
    else if (target)
        snprintf(expr, sizeof expr, "%s = %s", target, value);
    else
        snprintf(expr, sizeof expr, "%s = %s", name, value);
    char *v = gdb_eval_in(GDB_LANG_CURRENT, err, sizeof err, "%s", expr);
    if (!v) {
        dap_error(req, "setVariable: %s", err);
        return;
    }
    dap_respond(req, json_pack("{s:s}", "value", v));
    free(v);
    dap_event("invalidated", json_pack("{s:[s]}", "areas", "variables"));
}

/* Data breakpoints: the expression itself is the data id. */
void req_data_breakpoint_info(json_t *req, json_t *args)
{
    const char *name = json_string_value(json_object_get(args, "name"));
    /* "Add Data Breakpoint at Address" (supportsDataBreakpointBytes): name
     * is an address (any expression of one), bytes its length; the dataId
     * names the memory, whatever variable it belongs to. */
    if (name && json_is_true(json_object_get(args, "asAddress"))) {
        json_int_t bytes = json_integer_value(json_object_get(args, "bytes"));
        uint64_t addr;
        if (!gdb_eval_u64(&addr, "(unsigned long)(%s)", name)) {
            dap_respond(req, json_pack("{s:n, s:s}", "dataId", "description",
                                       "not an address GDB can evaluate"));
            return;
        }
        if (bytes <= 0)
            bytes = 8;
        const char *type = bytes == 1 ? "unsigned char" : bytes == 2 ? "unsigned short"
                           : bytes == 4 ? "unsigned int" : bytes == 8 ? "unsigned long" : 0;
        char id[96], desc[96];
        if (type)
            snprintf(id, sizeof id, "*(%s *)0x%llx", type, (unsigned long long)addr);
        else
            snprintf(id, sizeof id, "*(unsigned char (*)[%lld])0x%llx", (long long)bytes,
                     (unsigned long long)addr);
        snprintf(desc, sizeof desc, "%lld bytes at 0x%llx", (long long)bytes,
                 (unsigned long long)addr);
        dap_respond(req, json_pack("{s:s, s:s, s:[s,s,s], s:b}", "dataId", id, "description", desc,
                                   "accessTypes", "read", "write", "readWrite", "canPersist", 0));
        return;
    }
    int ref = (int)json_integer_value(json_object_get(args, "variablesReference"));
    const char *expr = name ? inspect_varobj_expression(ref, name) : 0;
    if (!expr)
        expr = name;
    if (!expr) {
        dap_respond(req, json_pack("{s:n, s:s}", "dataId", "description", "no such variable"));
        return;
    }
    dap_respond(req, json_pack("{s:s, s:s, s:[s,s,s], s:b}", "dataId", expr, "description", expr,
                               "accessTypes", "read", "write", "readWrite", "canPersist", 0));
}

struct set_args {
    json_t *req, *args;
};

static int do_set_data_breakpoints(void *p)
{
    struct set_args *a = p;
    json_t *out = breakpoints_set_watches(json_object_get(a->args, "breakpoints"));
    dap_respond(a->req, json_pack("{s:o}", "breakpoints", out));
    return 0;
}

void req_set_data_breakpoints(json_t *req, json_t *args)
{
    struct set_args a = {req, args};
    if (with_target_stopped(do_set_data_breakpoints, &a) < 0 && !dap_answered(req))
        dap_error(req, "setDataBreakpoints: %s", target_stop_error());
}

static json_t *sources_of(struct debuginfo *di, json_t *seen)
{
    json_t *out = json_array();
    const char **files;
    int n = di ? debuginfo_sources(di, &files) : 0;
    for (int i = 0; i < n; i++) {
        if (json_object_get(seen, files[i]))
            continue;
        json_object_set_new(seen, files[i], json_true());
        const char *base = strrchr(files[i], '/');
        json_array_append_new(
            out, json_pack("{s:s, s:s}", "name", base ? base + 1 : files[i], "path", files[i]));
    }
    return out;
}

void req_loaded_sources(json_t *req, json_t *args)
{
    (void)args;
    json_t *seen = json_object();
    json_t *all = sources_of(T.kernel_di, seen);
    const char **names;
    int np = user_programs(&names);
    for (int i = 0; i < np; i++)
        json_array_extend(all, sources_of(user_debuginfo(names[i]), seen));
    json_decref(seen);
    dap_respond(req, json_pack("{s:o}", "sources", all));
}

void req_modules(json_t *req, json_t *args)
{
    (void)args;
    json_t *mods = json_array();
    if (T.profile)
        json_array_append_new(mods, json_pack("{s:s, s:s, s:s, s:s}", "id", "kernel", "name",
                                              "kernel", "path", T.profile->kernel, "symbolStatus",
                                              T.kernel_di ? "symbols loaded" : "no symbols"));
    const char **names;
    int np = user_programs(&names);
    for (int i = 0; i < np; i++) {
        char *path = profile_user_elf(T.profile, names[i]);
        json_array_append_new(mods, json_pack("{s:s, s:s, s:s, s:s}", "id", names[i], "name",
                                              names[i], "path", path, "symbolStatus",
                                              program_live(names[i]) ? "running" : "not running"));
        free(path);
    }
    dap_respond(
        req, json_pack("{s:o, s:i}", "modules", mods, "totalModules", (int)json_array_size(mods)));
}
