/*
 * Trace probes for `trace` and `osdbg trace` (tprobe.h).
 */
#include "side/tprobe.h"
#include "bpf/bpfgen.h"
#include "bpf/bpfobj.h"
#include "dwarf/debuginfo.h"

#include <osdbg/sidestub_proto.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ_MS 3000

static const char *kind_name(int kind)
{
    return kind == SS_KRETPROBE   ? SS_KIND_KRETPROBE
           : kind == SS_UPROBE    ? SS_KIND_UPROBE
           : kind == SS_URETPROBE ? SS_KIND_URETPROBE
                                  : SS_KIND_KPROBE;
}

/* A return probe: kretprobe or uretprobe. */
static bool is_return(int kind)
{
    return kind == SS_KRETPROBE || kind == SS_URETPROBE;
}

/* In a user program: uprobe or uretprobe. */
static bool is_user(int kind)
{
    return kind == SS_UPROBE || kind == SS_URETPROBE;
}

const char *tprobe_reply_reason(const char *reply)
{
    static const char *const why[] = {
        [SS_ERR_SYNTAX] = "malformed request",
        [SS_ERR_ADDR] = "not an instruction of a function",
        [SS_ERR_NAME] = "bad name",
        [SS_ERR_NOENT] = "no such probe, program, map or user program",
        [SS_ERR_REFUSED] = "the kernel will not probe there (tracing path or system instruction)",
        [SS_ERR_NOMEM] = "no room in the kernel (probe table or program memory full)",
        [SS_ERR_BADOBJ] = "the kernel rejected the program",
        [SS_ERR_RANGE] = "object too large",
        [SS_ERR_BUSY] = "busy (a probe is already there, or the object is incomplete)",
        [SS_ERR_KIND] = "this OS does not support that probe kind",
        [SS_ERR_FAULT] = "the code could not be patched",
    };
    if (reply[0] != SS_REPLY_ERR)
        return reply;
    unsigned long code = strtoul(reply + 1, 0, 16);
    return code < sizeof why / sizeof why[0] && why[code] ? why[code] : "error";
}

/* A symbol, an address or file:line; 0 if not found. */
static uint64_t resolve(struct debuginfo *di, const char *what, bool *is_line)
{
    *is_line = false;
    char *end;
    unsigned long long v = strtoull(what, &end, 0);
    if (end != what && *end == 0)
        return v;
    uint64_t addr;
    if (di && debuginfo_function_addr(di, what, false, &addr) == 0)
        return addr;
    const char *colon = strrchr(what, ':');
    if (di && colon && colon[1] && colon > what && colon[-1] != ':') {
        char file[512];
        snprintf(file, sizeof file, "%.*s", (int)(colon - what), what);
        uint64_t addrs[4];
        int actual;
        if (debuginfo_line_to_addrs(di, file, atoi(colon + 1), addrs, 4, &actual) > 0) {
            *is_line = true;
            return addrs[0];
        }
    }
    return 0;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

bool tprobe_names_program(const char *word)
{
    return builtin_by_name(word) != BUILTIN_NONE || ends_with(word, ".c") || ends_with(word, ".o");
}

int tprobe_parse(struct tprobe *t, const char *kind, const char *target, const char *prog,
                 tprobe_di_fn di_for, void *ctx, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->id = -1;
    if (!strcmp(kind, "kprobe"))
        t->kind = SS_KPROBE;
    else if (!strcmp(kind, "kretprobe"))
        t->kind = SS_KRETPROBE;
    else if (!strcmp(kind, "uprobe"))
        t->kind = SS_UPROBE;
    else if (!strcmp(kind, "uretprobe"))
        t->kind = SS_URETPROBE;
    else {
        snprintf(err, errlen, "unknown probe kind %s (kprobe, kretprobe, uprobe, uretprobe)", kind);
        return -1;
    }
    if (!target || !*target) {
        snprintf(err, errlen, "%s wants a target", kind);
        return -1;
    }
    snprintf(t->target, sizeof t->target, "%s", target);
    const char *what = target;
    if (is_user(t->kind)) {
        const char *colon = strchr(target, ':');
        if (!colon || colon == target || (size_t)(colon - target) >= sizeof t->program) {
            snprintf(err, errlen, "%s wants <program>:<symbol|address|file:line>, not %s", kind,
                     target);
            return -1;
        }
        snprintf(t->program, sizeof t->program, "%.*s", (int)(colon - target), target);
        what = colon + 1;
    }
    t->di = di_for ? di_for(ctx, t->program) : 0;
    if (is_user(t->kind) && !t->di) {
        snprintf(err, errlen, "no user program %s with debug information", t->program);
        return -1;
    }
    bool is_line;
    t->addr = resolve(t->di, what, &is_line);
    if (!t->addr) {
        snprintf(err, errlen, "no function %s in %s (nor such a file:line)", what,
                 t->program[0] ? t->program : "the kernel");
        return -1;
    }
    const char *func = t->di ? debuginfo_function_at(t->di, t->addr) : 0;
    snprintf(t->func, sizeof t->func, "%s", func ? func : "");
    t->builtin = BUILTIN_REGISTERS;
    if (prog && *prog) {
        if (builtin_by_name(prog) == BUILTIN_NONE && tprobe_names_program(prog)) {
            t->builtin = BUILTIN_NONE;
            snprintf(t->path, sizeof t->path, "%s", prog);
        } else if ((t->builtin = builtin_by_name(prog)) == BUILTIN_NONE) {
            snprintf(err, errlen,
                     "unknown program %s: registers, args, count, latency, a .bpf.c or a .o file",
                     prog);
            return -1;
        }
    }
    bool at_entry =
        t->di ? debuginfo_function_addr(t->di, what, false, &(uint64_t){0}) == 0 : !is_line;
    if ((is_return(t->kind) || t->builtin == BUILTIN_LATENCY) && (is_line || !at_entry)) {
        if (!(!is_line && t->func[0])) {
            snprintf(err, errlen, "%s wants a function, not a line or an address inside one",
                     is_return(t->kind) ? kind : "latency");
            return -1;
        }
    }
    if (t->builtin == BUILTIN_LATENCY && is_return(t->kind)) {
        snprintf(err, errlen,
                 "latency sets its own return probe: use kprobe <function> latency "
                 "or uprobe <program>:<function> latency");
        return -1;
    }
    if (t->builtin == BUILTIN_ARGS && is_return(t->kind)) {
        snprintf(err, errlen, "args at a return make no sense: use registers (a0 is the result)");
        return -1;
    }
    return 0;
}

void tprobe_describe(const struct tprobe *t, char *out, size_t cap)
{
    snprintf(out, cap, "%s %s (%s)", kind_name(t->kind), t->target,
             t->builtin == BUILTIN_NONE ? t->path : builtin_name(t->builtin));
}

int tprobe_attach_object(struct side_client *c, int kind, const char *user_program, uint64_t addr,
                         const uint8_t *elf, size_t len, const char *prog, const char *entry,
                         int *id, char *err, size_t errlen)
{
    char verr[1024];
    if (bpfobj_verify(elf, len, prog, verr, sizeof verr) < 0 ||
        (entry && bpfobj_verify(elf, len, entry, verr, sizeof verr) < 0)) {
        snprintf(err, errlen, "%s", verr);
        return -1;
    }
    uint32_t obj;
    if (side_upload(c, elf, len, &obj, err, errlen) < 0)
        return -1;
    char reply[128];
    struct ss_request attach = {
        .cmd = SS_CMD_ATTACH,
        .obj = obj,
        .kind = kind,
        .prog = {prog, strlen(prog)},
        .name = {user_program ? user_program : "", is_user(kind) ? strlen(user_program) : 0},
        .addr = addr,
        .entry = {entry ? entry : "", entry ? strlen(entry) : 0},
    };
    long r = side_request_cmd(c, &attach, reply, sizeof reply, REQ_MS, err, errlen);
    /* The kernel keeps what it loaded: the upload's memory is not needed
     * (freed as soon as the channel is free, also if the attach was given
     * up). */
    side_request_later_cmd(c, &(struct ss_request){.cmd = SS_CMD_OBJ_FREE, .obj = obj});
    if (r < 0)
        return -1;
    uint32_t probe;
    if (!side_reply_id(reply, &probe)) {
        snprintf(err, errlen, "%s (%s)", tprobe_reply_reason(reply), reply);
        return -1;
    }
    *id = (int)probe;
    return 0;
}

static int upload_and_attach(struct side_client *c, struct tprobe *t, const uint8_t *elf,
                             size_t len, const char *prog, const char *entry, char *err,
                             size_t errlen)
{
    /* An entry program (latency) comes with the matching return probe. */
    int kind = !entry ? t->kind : is_user(t->kind) ? SS_URETPROBE : SS_KRETPROBE;
    return tprobe_attach_object(c, kind, t->program, t->addr, elf, len, prog, entry, &t->id, err,
                                errlen);
}

int tprobe_attach(struct side_client *c, struct tprobe *t, char *err, size_t errlen)
{
    char reply[128];
    if (t->builtin == BUILTIN_REGISTERS && !is_return(t->kind)) {
        /* The kernel's own registers program: no upload. */
        struct ss_request trace = {
            .cmd = t->kind == SS_UPROBE ? SS_CMD_TRACE_U : SS_CMD_TRACE_K,
            .name = {t->program, strlen(t->program)},
            .addr = t->addr,
        };
        if (side_request_cmd(c, &trace, reply, sizeof reply, REQ_MS, err, errlen) < 0)
            return -1;
        uint32_t probe;
        if (!side_reply_id(reply, &probe)) {
            snprintf(err, errlen, "%s (%s)", tprobe_reply_reason(reply), reply);
            return -1;
        }
        t->id = (int)probe;
        return 0;
    }
    if (t->builtin == BUILTIN_NONE) {
        uint8_t *elf = 0;
        size_t len = 0;
        int rc = -1;
        if (bpfobj_load(t->path, &elf, &len, err, errlen) < 0)
            return -1;
        if (bpfobj_pick_program(elf, len, kind_name(t->kind), t->progname, sizeof t->progname, err,
                                errlen) == 0)
            rc = upload_and_attach(c, t, elf, len, t->progname, 0, err, errlen);
        free(elf);
        return rc;
    }
    static struct bpfgen g;
    builtin_generate(&g, t->builtin, t->kind);
    uint8_t *elf;
    size_t len;
    if (bpfgen_object(&g, &elf, &len, err, errlen) < 0)
        return -1;
    int rc = t->builtin == BUILTIN_LATENCY
                 ? upload_and_attach(c, t, elf, len, BUILTIN_RETURN_PROG, BUILTIN_ENTRY_PROG, err,
                                     errlen)
                 : upload_and_attach(c, t, elf, len, BUILTIN_ENTRY_PROG, 0, err, errlen);
    free(elf);
    return rc;
}

int tprobe_detach(struct side_client *c, struct tprobe *t, char *err, size_t errlen)
{
    if (t->id < 0)
        return 0;
    char reply[64];
    if (side_request_cmd(c, &(struct ss_request){.cmd = SS_CMD_DETACH, .id = (uint32_t)t->id},
                         reply, sizeof reply, REQ_MS, err, errlen) < 0)
        return -1;
    if (strcmp(reply, SS_REPLY_OK) != 0) {
        snprintf(err, errlen, "%s (%s)", tprobe_reply_reason(reply), reply);
        return -1;
    }
    t->id = -1;
    return 0;
}

static int appendf(char **out, size_t *n, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int appendf(char **out, size_t *n, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(0, 0, fmt, ap);
    va_end(ap);
    if (*n + (size_t)k + 1 > *cap) {
        *cap = (*n + (size_t)k + 1) * 2;
        *out = realloc(*out, *cap);
    }
    va_start(ap, fmt);
    vsnprintf(*out + *n, *cap - *n, fmt, ap);
    va_end(ap);
    *n += (size_t)k;
    return k;
}

char *tprobe_format(const struct tprobe *t, const struct ss_event *ev, double secs)
{
    if (t->builtin == BUILTIN_COUNT || t->builtin == BUILTIN_LATENCY)
        return 0;
    size_t n = 0, cap = 256;
    char *out = malloc(cap);
    out[0] = 0;
    if (secs >= 0)
        appendf(&out, &n, &cap, "%10.6f ", secs);
    appendf(&out, &n, &cap, "%s/%u", ev->comm[0] ? ev->comm : "-", ev->pid);
    const char *func = t->func[0] ? t->func : "?";
    if ((ev->type == SS_EVT_REGS || (ev->type == SS_EVT_DATA && t->builtin == BUILTIN_REGISTERS)) &&
        ev->len >= BUILTIN_RECORD_REGS) {
        uint64_t r[32];
        memcpy(r, ev->data, sizeof r);
        if (is_return(t->kind))
            appendf(&out, &n, &cap, " %s returned a0=0x%llx (to 0x%llx)", func,
                    (unsigned long long)r[10], (unsigned long long)r[0]);
        else {
            const char *file = 0;
            int line = 0;
            if (t->di && debuginfo_addr_to_line(t->di, r[0], &file, &line) == 0) {
                const char *base = strrchr(file, '/');
                appendf(&out, &n, &cap, " %s %s:%d", func, base ? base + 1 : file, line);
                func = "";
            }
            appendf(&out, &n, &cap,
                    "%s%s pc=0x%llx ra=0x%llx sp=0x%llx a0=0x%llx a1=0x%llx a2=0x%llx",
                    func[0] ? " " : "", func, (unsigned long long)r[0], (unsigned long long)r[1],
                    (unsigned long long)r[2], (unsigned long long)r[10], (unsigned long long)r[11],
                    (unsigned long long)r[12]);
        }
    } else if (ev->type == SS_EVT_DATA && t->builtin == BUILTIN_ARGS &&
               ev->len >= BUILTIN_RECORD_ARGS) {
        uint64_t a[8];
        memcpy(a, ev->data, sizeof a);
        appendf(&out, &n, &cap, " %s(", func);
        for (int i = 0; i < 6; i++)
            appendf(&out, &n, &cap, "%sa%d=0x%llx", i ? ", " : "", i, (unsigned long long)a[i]);
        appendf(&out, &n, &cap, ")");
    } else if (ev->type == SS_EVT_TEXT) {
        size_t k = ev->len;
        while (k && (ev->data[k - 1] == '\n' || ev->data[k - 1] == 0))
            k--;
        appendf(&out, &n, &cap, " %.*s", (int)k, (const char *)ev->data);
    } else {
        appendf(&out, &n, &cap, " %s %zu bytes:", func, ev->len);
        for (size_t i = 0; i < ev->len && i < 64; i++)
            appendf(&out, &n, &cap, " %02x", ev->data[i]);
    }
    return out;
}

/* ---- maps ---- */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t unhex(const char *s, size_t n, uint8_t *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i + 1 < n && k < cap; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            break;
        out[k++] = (uint8_t)(hi << 4 | lo);
    }
    return k;
}

typedef void (*map_item_fn)(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                            void *arg);

/* The <hexkey>=<hexvalue>;... items of a vTMap page, each to fn; the last
 * key (hex) in after, to ask for the next page. */
static void map_items(const char *items, map_item_fn fn, void *arg, char *after, size_t aftercap)
{
    for (const char *item = items; *item;) {
        const char *end = strchr(item, ';');
        size_t len = end ? (size_t)(end - item) : strlen(item);
        const char *eq = memchr(item, '=', len);
        if (eq) {
            uint8_t key[128], val[128];
            size_t kl = unhex(item, (size_t)(eq - item), key, sizeof key);
            size_t vl = unhex(eq + 1, len - (size_t)(eq - item) - 1, val, sizeof val);
            fn(key, kl, val, vl, arg);
            snprintf(after, aftercap, "%.*s", (int)(eq - item), item);
        }
        item += len + (end ? 1 : 0);
    }
}

/* Every item of a probe's map, page by page (vTMap). */
static int read_map(struct side_client *c, int id, const char *map, map_item_fn fn, void *arg,
                    char *err, size_t errlen)
{
    char after[600] = "";
    static char reply[SS_PACKET_SIZE + 1];
    for (int pages = 0; pages < 10000; pages++) {
        struct ss_request page = {.cmd = SS_CMD_MAP,
                                  .id = (uint32_t)id,
                                  .prog = {map, strlen(map)},
                                  .key = {after, strnlen(after, 200)}};
        if (side_request_cmd(c, &page, reply, sizeof reply, REQ_MS, err, errlen) < 0)
            return -1;
        if (reply[0] != SS_REPLY_MORE && reply[0] != SS_REPLY_LAST) {
            snprintf(err, errlen, "map %s: %s (%s)", map, tprobe_reply_reason(reply), reply);
            return -1;
        }
        map_items(reply + 1, fn, arg, after, sizeof after);
        if (reply[0] == SS_REPLY_LAST)
            return 0;
    }
    return 0;
}

static void on_hist_item(const uint8_t *key, size_t kl, const uint8_t *val, size_t vl, void *arg)
{
    uint64_t *b = arg;
    uint32_t k = 0;
    uint64_t v = 0;
    memcpy(&k, key, kl < 4 ? kl : 4);
    memcpy(&v, val, vl < 8 ? vl : 8);
    if (k < BUILTIN_HIST_BUCKETS)
        b[k] = v;
}

int tprobe_hist(struct side_client *c, const struct tprobe *t,
                uint64_t buckets[BUILTIN_HIST_BUCKETS], char *err, size_t errlen)
{
    memset(buckets, 0, sizeof(uint64_t) * BUILTIN_HIST_BUCKETS);
    if (t->builtin != BUILTIN_LATENCY) {
        snprintf(err, errlen, "probe %d has no histogram (only latency probes do)", t->id);
        return -1;
    }
    return read_map(c, t->id, BUILTIN_HIST_MAP, on_hist_item, buckets, err, errlen);
}

struct text {
    char *out;
    size_t n, cap;
    bool counts;
};

static void on_text_item(const uint8_t *key, size_t kl, const uint8_t *val, size_t vl, void *arg)
{
    struct text *tx = arg;
    if (tx->counts && kl == 4 && vl == 8) {
        uint32_t pid;
        uint64_t hits;
        memcpy(&pid, key, 4);
        memcpy(&hits, val, 8);
        appendf(&tx->out, &tx->n, &tx->cap, "pid %u: %llu\n", pid, (unsigned long long)hits);
        return;
    }
    for (size_t i = 0; i < kl; i++)
        appendf(&tx->out, &tx->n, &tx->cap, "%02x", key[i]);
    appendf(&tx->out, &tx->n, &tx->cap, " = ");
    for (size_t i = 0; i < vl; i++)
        appendf(&tx->out, &tx->n, &tx->cap, "%02x", val[i]);
    appendf(&tx->out, &tx->n, &tx->cap, "\n");
}

char *tprobe_map_text(struct side_client *c, const struct tprobe *t, char *err, size_t errlen)
{
    if (t->builtin == BUILTIN_LATENCY) {
        uint64_t b[BUILTIN_HIST_BUCKETS];
        if (tprobe_hist(c, t, b, err, errlen) < 0)
            return 0;
        return builtin_hist_text(b, "ns");
    }
    struct text tx = {.cap = 256, .counts = t->builtin == BUILTIN_COUNT};
    tx.out = malloc(tx.cap);
    tx.out[0] = 0;
    const char *map = t->builtin == BUILTIN_COUNT ? BUILTIN_COUNT_MAP : "";
    char req_map[64];
    snprintf(req_map, sizeof req_map, "%s", map);
    if (t->builtin == BUILTIN_REGISTERS || t->builtin == BUILTIN_ARGS) {
        snprintf(err, errlen, "probe %d (%s) keeps no map: its events are its output", t->id,
                 builtin_name(t->builtin));
        free(tx.out);
        return 0;
    }
    if (!map[0]) {
        /* The user's object: its first map (vTMap:<id> without a name). */
        static char reply[SS_PACKET_SIZE + 1];
        if (side_request_cmd(c, &(struct ss_request){.cmd = SS_CMD_MAP, .id = (uint32_t)t->id},
                             reply, sizeof reply, REQ_MS, err, errlen) < 0) {
            free(tx.out);
            return 0;
        }
        if (reply[0] != SS_REPLY_MORE && reply[0] != SS_REPLY_LAST) {
            snprintf(err, errlen, "%s (%s)", tprobe_reply_reason(reply), reply);
            free(tx.out);
            return 0;
        }
        char last[600];
        map_items(reply + 1, on_text_item, &tx, last, sizeof last);
        if (reply[0] == SS_REPLY_MORE)
            appendf(&tx.out, &tx.n, &tx.cap, "...\n");
        return tx.out;
    }
    if (read_map(c, t->id, req_map, on_text_item, &tx, err, errlen) < 0) {
        free(tx.out);
        return 0;
    }
    if (!tx.n)
        appendf(&tx.out, &tx.n, &tx.cap, "(empty)\n");
    return tx.out;
}
