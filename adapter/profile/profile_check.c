/*
 * profile_check.c - a profile's keys and their types, checked at load.
 *
 * A misspelt key ("procces") is not an error in JSON, and a profile that
 * silently lacks "process" gives a debugger that silently follows nothing.
 * So every key is looked up in the table of keys osdbg reads (docs/
 * profiles.md); an unknown one is reported with the closest known key of
 * its level, and a known one of the wrong type is reported too.  The words
 * go into the profile's warnings, which the adapter prints in the Debug
 * Console and `osdbg trace`/`osdbg run` on stderr.
 */
#include "profile/profile.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { STR, NUM, BOOL, OBJ, ARR, ADDR, OBJ_OR_FALSE };

static const struct known {
    const char *path; /* "a" or "a.b" */
    enum kind kind;
} known[] = {
    {"$schema", STR},
    {"description", STR},
    {"comment", STR},
    {"name", STR},
    {"language", STR},
    {"root", STR},
    {"kernel", STR},
    {"gdb", STR},
    {"qemu", OBJ},
    {"qemu.binary", STR},
    {"qemu.args", ARR},
    {"qemu.debugChannel", STR},
    {"userPrograms", OBJ},
    {"userPrograms.dir", STR},
    {"userPrograms.file", STR},
    {"process", OBJ},
    {"process.name", STR},
    {"process.pid", STR},
    {"process.pageTable", STR},
    {"process.kernelIdentityMapped", BOOL},
    {"kernelBase", ADDR},
    {"sideStub", OBJ_OR_FALSE}, /* false: the OS has none */
    {"sideStub.bootWait", STR},
    {"processes", OBJ},
    {"processes.table", STR},
    {"processes.live", STR},
    {"processes.name", STR},
    {"processes.pid", STR},
    {"processes.state", STR},
    {"processes.pageTable", STR},
    {"exec", OBJ},
    {"exec.symbol", STR},
    {"exec.name", STR},
    {"exec.satp", STR},
    {"exec.pid", STR},
    {"exit", OBJ},
    {"exit.symbol", STR},
    {"exit.pid", STR},
    {"fork", OBJ},
    {"fork.symbol", STR},
    {"fork.pid", STR},
    {"fork.name", STR},
    {"fork.satp", STR},
    {"fork.parentSatp", STR},
    {"setup", ARR},
    {"powerOff", ARR},
    {"process.satp", STR},
    {"trap", OBJ},
    {"trap.entry", STR},
    {"trap.return", STR},
    {"trap.frame", STR},
    {"trap.dispatch", STR},
    {"trap.epcOffset", NUM},
    {"trap.raOffset", NUM},
    {"trap.spOffset", NUM},
    {"trap.fpOffset", NUM},
    {"uretprobes", OBJ},
    {"uretprobes.trampoline", STR},
    {"uretprobes.instances", STR},
    {"uretprobes.task", STR},
};
#define NKNOWN (sizeof known / sizeof known[0])

static const char *kind_name[] = {
    "a string",  "a number", "true or false",
    "an object", "an array", "an address (a number, or hex text like \"0x80000000\")",
    "an object, or false"};

static bool has_kind(json_t *v, enum kind k)
{
    switch (k) {
    case STR:
        return json_is_string(v);
    case NUM:
        return json_is_integer(v);
    case BOOL:
        return json_is_boolean(v);
    case OBJ:
        return json_is_object(v);
    case ARR:
        return json_is_array(v);
    case ADDR:
        return json_is_integer(v) || json_is_string(v);
    case OBJ_OR_FALSE:
        return json_is_object(v) || json_is_false(v);
    }
    return false;
}

/* Levenshtein distance, case-insensitive (keys are short). */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = (a[i - 1] | 0x20) != (b[j - 1] | 0x20);
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            d[i][j] = best;
        }
    return d[la][lb];
}

static void warn(struct profile *p, const char *fmt, const char *a, const char *b)
{
    char line[512];
    snprintf(line, sizeof line, fmt, a, b);
    size_t old = p->warnings ? strlen(p->warnings) : 0;
    p->warnings = realloc(p->warnings, old + strlen(line) + 2);
    memcpy(p->warnings + old, line, strlen(line));
    p->warnings[old + strlen(line)] = '\n';
    p->warnings[old + strlen(line) + 1] = 0;
}

/* The keys of one object: prefix "" for the top level, "qemu" below it. */
static void check_level(struct profile *p, json_t *obj, const char *prefix)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key);
        const struct known *k = 0;
        for (size_t i = 0; i < NKNOWN && !k; i++)
            if (!strcmp(known[i].path, path))
                k = &known[i];
        if (!k) {
            /* The closest known key of the same level. */
            const char *best = 0;
            int bestd = 99;
            size_t plen = strlen(prefix);
            for (size_t i = 0; i < NKNOWN; i++) {
                const char *kp = known[i].path;
                const char *dot = strchr(kp, '.');
                bool same_level = plen ? (!strncmp(kp, prefix, plen) && kp[plen] == '.') : dot == 0;
                if (!same_level)
                    continue;
                int d = distance(key, plen ? kp + plen + 1 : kp);
                if (d < bestd)
                    bestd = d, best = plen ? kp + plen + 1 : kp;
            }
            if (best && bestd <= 3)
                warn(p, "unknown key \"%s\" (did you mean \"%s\"?)", path, best);
            else
                warn(p, "unknown key \"%s\"%s", path, "");
            continue;
        }
        if (!has_kind(v, k->kind)) {
            warn(p, "\"%s\" should be %s", path, kind_name[k->kind]);
            continue;
        }
        if (k->kind == OBJ || (k->kind == OBJ_OR_FALSE && json_is_object(v)))
            check_level(p, v, path);
    }
}

void profile_check_keys(struct profile *p, json_t *j)
{
    check_level(p, j, "");
}
