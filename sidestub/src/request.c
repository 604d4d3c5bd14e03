/*
 * request.c - the side-stub's packets: a table of request names with one
 * argument parser each, the matching encoder for the host, and reply
 * builders/parsers.  docs/side-stub-protocol.md is the reference; every
 * number in a packet is hex (addresses may carry 0x), names are checked by
 * ss_check_name.  Parsers only read payload[0..len): nothing is NUL-terminated.
 */
#include "sidestub_int.h"

/* ---- argument helpers --------------------------------------------------------- */

int ss_parse_addr(const char *s, size_t n, uint64_t *out)
{
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    return ss_parse_hex(s, n, SS_ADDR_DIGITS, out) < 0 ? -SS_ERR_ADDR : 0;
}

int ss_parse_u32(const char *s, size_t n, uint32_t *out)
{
    uint64_t v;
    if (ss_parse_hex(s, n, SS_NUM_DIGITS, &v) < 0)
        return -SS_ERR_SYNTAX;
    *out = (uint32_t)v;
    return 0;
}

int ss_check_name(const char *s, size_t n)
{
    if (n == 0 || n > SS_NAME_MAX)
        return -SS_ERR_NAME;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c <= ' ' || c >= 0x7f || c == ':' || c == ',' || c == ';')
            return -SS_ERR_NAME;
    }
    return 0;
}

static const char *const kind_names[SS_NKINDS] = {
    [SS_KPROBE] = SS_KIND_KPROBE,
    [SS_KRETPROBE] = SS_KIND_KRETPROBE,
    [SS_UPROBE] = SS_KIND_UPROBE,
    [SS_URETPROBE] = SS_KIND_URETPROBE,
};

static bool equals(const char *s, size_t n, const char *lit)
{
    return ss_strlen(lit) == n && ss_has_prefix(s, n, lit);
}

int ss_kind_parse(const char *s, size_t n)
{
    for (int k = 0; k < SS_NKINDS; k++)
        if (equals(s, n, kind_names[k]))
            return k;
    return -SS_ERR_KIND;
}

const char *ss_kind_name(int kind)
{
    return kind >= 0 && kind < SS_NKINDS ? kind_names[kind] : 0;
}

/* Index of the first c in s[0..n), or n. */
static size_t find(const char *s, size_t n, char c)
{
    size_t i = 0;
    while (i < n && s[i] != c)
        i++;
    return i;
}

/* Splits off the field before the next sep: *field gets it, s/n the rest.
 * Returns false if there is no sep. */
static bool field(const char **s, size_t *n, char sep, struct ss_str *f)
{
    size_t i = find(*s, *n, sep);
    if (i == *n)
        return false;
    f->p = *s;
    f->n = i;
    *s += i + 1;
    *n -= i + 1;
    return true;
}

/* <program>:<hexaddr>, the program name running up to the first ':'. */
static int parse_user_target(const char *s, size_t n, struct ss_request *req)
{
    if (!field(&s, &n, ':', &req->name))
        return -SS_ERR_SYNTAX;
    int err = ss_check_name(req->name.p, req->name.n);
    if (err)
        return err;
    return ss_parse_addr(s, n, &req->addr);
}

/* ---- the packet table ---------------------------------------------------------- */

static int parse_supported(const char *s, size_t n, struct ss_request *req)
{
    if (n == 0)
        return 0;
    if (s[0] != ':')
        return -SS_ERR_SYNTAX;
    req->key.p = s + 1;
    req->key.n = n - 1;
    return 0;
}

static int parse_trace_k(const char *s, size_t n, struct ss_request *req)
{
    req->kind = SS_KPROBE;
    return ss_parse_addr(s, n, &req->addr);
}

static int parse_trace_u(const char *s, size_t n, struct ss_request *req)
{
    req->kind = SS_UPROBE;
    return parse_user_target(s, n, req);
}

static int parse_obj_new(const char *s, size_t n, struct ss_request *req)
{
    return ss_parse_u32(s, n, &req->size);
}

static int parse_obj_data(const char *s, size_t n, struct ss_request *req)
{
    struct ss_str obj, off;
    if (!field(&s, &n, ',', &obj) || !field(&s, &n, ':', &off))
        return -SS_ERR_SYNTAX;
    if (ss_parse_u32(obj.p, obj.n, &req->obj) || ss_parse_u32(off.p, off.n, &req->off))
        return -SS_ERR_SYNTAX;
    req->data = (const uint8_t *)s; /* binary: may hold ':' or ',' */
    req->len = n;
    return 0;
}

static int parse_id(const char *s, size_t n, struct ss_request *req)
{
    return ss_parse_u32(s, n, &req->id);
}

static int parse_obj_free(const char *s, size_t n, struct ss_request *req)
{
    return ss_parse_u32(s, n, &req->obj);
}

static int parse_attach(const char *s, size_t n, struct ss_request *req)
{
    struct ss_str obj, kind;
    if (!field(&s, &n, ',', &obj) || !field(&s, &n, ',', &kind) || !field(&s, &n, ',', &req->prog))
        return -SS_ERR_SYNTAX;
    if (ss_parse_u32(obj.p, obj.n, &req->obj))
        return -SS_ERR_SYNTAX;
    req->kind = ss_kind_parse(kind.p, kind.n);
    if (req->kind < 0)
        return req->kind;
    int err = ss_check_name(req->prog.p, req->prog.n);
    if (err)
        return err;
    size_t i = n;
    if (req->kind == SS_KRETPROBE || req->kind == SS_URETPROBE) {
        /* <target>[,<entry-prog>]: a return probe's entry handler, as Linux's */
        i = find(s, n, ',');
        if (i < n) {
            req->entry.p = s + i + 1;
            req->entry.n = n - i - 1;
            err = ss_check_name(req->entry.p, req->entry.n);
            if (err)
                return err;
        }
    }
    if (req->kind == SS_KPROBE || req->kind == SS_KRETPROBE)
        return ss_parse_addr(s, i, &req->addr);
    return parse_user_target(s, i, req);
}

static int parse_list(const char *s, size_t n, struct ss_request *req)
{
    if (n == 0)
        return 0;
    if (s[0] != ':')
        return -SS_ERR_SYNTAX;
    req->has_after = true;
    return ss_parse_u32(s + 1, n - 1, &req->id);
}

static int parse_map(const char *s, size_t n, struct ss_request *req)
{
    size_t i = find(s, n, ',');
    if (ss_parse_u32(s, i, &req->id))
        return -SS_ERR_SYNTAX;
    if (i == n) /* vTMap:<id> */
        return 0;
    s += i + 1;
    n -= i + 1;
    i = find(s, n, ',');
    req->prog.p = s;
    req->prog.n = i;
    int err = ss_check_name(s, i);
    if (err || i == n) /* vTMap:<id>,<map> */
        return err;
    s += i + 1;
    n -= i + 1;
    /* vTMap:<id>,<map>,<after-key>: the key's bytes in hex, two digits each. */
    if (n == 0 || n % 2 != 0)
        return -SS_ERR_SYNTAX;
    for (i = 0; i < n; i++)
        if (ss_hexval((uint8_t)s[i]) < 0)
            return -SS_ERR_SYNTAX;
    req->key.p = s;
    req->key.n = n;
    return 0;
}

static int parse_none(const char *s, size_t n, struct ss_request *req)
{
    (void)s;
    (void)req;
    return n == 0 ? 0 : -SS_ERR_SYNTAX;
}

/* Order matters only for names that prefix one another: none of these do. */
static const struct ss_cmd_desc builtin[] = {
    {SS_PKT_SUPPORTED, SS_CMD_SUPPORTED, parse_supported},
    {SS_PKT_OBJ_NEW, SS_CMD_OBJ_NEW, parse_obj_new},
    {SS_PKT_OBJ_DATA, SS_CMD_OBJ_DATA, parse_obj_data},
    {SS_PKT_OBJ_FREE, SS_CMD_OBJ_FREE, parse_obj_free},
    {SS_PKT_ATTACH, SS_CMD_ATTACH, parse_attach},
    {SS_PKT_DETACH, SS_CMD_DETACH, parse_id},
    {SS_PKT_LIST, SS_CMD_LIST, parse_list},
    {SS_PKT_MAP, SS_CMD_MAP, parse_map},
    {SS_PKT_STAT, SS_CMD_STAT, parse_none},
    {SS_PKT_TRACE_K, SS_CMD_TRACE_K, parse_trace_k},
    {SS_PKT_TRACE_U, SS_CMD_TRACE_U, parse_trace_u},
};

static const struct ss_cmd_desc *lookup(const char *s, size_t n, const struct ss_cmd_desc *t,
                                        size_t nt)
{
    for (size_t i = 0; i < nt; i++)
        if (ss_has_prefix(s, n, t[i].name))
            return &t[i];
    return 0;
}

int ss_parse_request(const void *payload, size_t len, const struct ss_cmd_desc *extra,
                     size_t nextra, struct ss_request *req)
{
    const char *s = payload;
    ss_zero(req, sizeof *req);
    const struct ss_cmd_desc *d = extra ? lookup(s, len, extra, nextra) : 0;
    if (!d)
        d = lookup(s, len, builtin, sizeof builtin / sizeof builtin[0]);
    if (!d)
        return 0; /* SS_CMD_UNKNOWN */
    size_t skip = ss_strlen(d->name);
    req->cmd = d->cmd;
    return d->parse(s + skip, len - skip, req);
}

/* ---- encoding requests (host side) ----------------------------------------------- */

static void out_name(struct ss_out *o, struct ss_str s)
{
    if (ss_check_name(s.p, s.n))
        o->overflow = true; /* refuse to build a packet the kernel would reject */
    ss_out_mem(o, s.p, s.n);
}

size_t ss_build_request(const struct ss_request *r, char *out, size_t cap)
{
    struct ss_out o;
    ss_out_init(&o, out, cap);
    switch (r->cmd) {
    case SS_CMD_SUPPORTED:
        ss_out_str(&o, SS_PKT_SUPPORTED);
        if (r->key.n) {
            ss_out_byte(&o, ':');
            ss_out_mem(&o, r->key.p, r->key.n);
        }
        break;
    case SS_CMD_TRACE_K:
        ss_out_str(&o, SS_PKT_TRACE_K);
        ss_out_hex(&o, r->addr);
        break;
    case SS_CMD_TRACE_U:
        ss_out_str(&o, SS_PKT_TRACE_U);
        out_name(&o, r->name);
        ss_out_byte(&o, ':');
        ss_out_hex(&o, r->addr);
        break;
    case SS_CMD_OBJ_NEW:
        ss_out_str(&o, SS_PKT_OBJ_NEW);
        ss_out_hex(&o, r->size);
        break;
    case SS_CMD_OBJ_DATA:
        ss_out_str(&o, SS_PKT_OBJ_DATA);
        ss_out_hex(&o, r->obj);
        ss_out_byte(&o, ',');
        ss_out_hex(&o, r->off);
        ss_out_byte(&o, ':');
        ss_out_mem(&o, r->data, r->len);
        break;
    case SS_CMD_OBJ_FREE:
        ss_out_str(&o, SS_PKT_OBJ_FREE);
        ss_out_hex(&o, r->obj);
        break;
    case SS_CMD_ATTACH:
        if (!ss_kind_name(r->kind))
            return 0;
        ss_out_str(&o, SS_PKT_ATTACH);
        ss_out_hex(&o, r->obj);
        ss_out_byte(&o, ',');
        ss_out_str(&o, ss_kind_name(r->kind));
        ss_out_byte(&o, ',');
        out_name(&o, r->prog);
        ss_out_byte(&o, ',');
        if (r->kind == SS_UPROBE || r->kind == SS_URETPROBE) {
            out_name(&o, r->name);
            ss_out_byte(&o, ':');
        }
        ss_out_hex(&o, r->addr);
        if ((r->kind == SS_KRETPROBE || r->kind == SS_URETPROBE) && r->entry.n) {
            ss_out_byte(&o, ',');
            out_name(&o, r->entry);
        }
        break;
    case SS_CMD_DETACH:
        ss_out_str(&o, SS_PKT_DETACH);
        ss_out_hex(&o, r->id);
        break;
    case SS_CMD_LIST:
        ss_out_str(&o, SS_PKT_LIST);
        if (r->has_after) {
            ss_out_byte(&o, ':');
            ss_out_hex(&o, r->id);
        }
        break;
    case SS_CMD_MAP:
        ss_out_str(&o, SS_PKT_MAP);
        ss_out_hex(&o, r->id);
        if (r->prog.n) {
            ss_out_byte(&o, ',');
            out_name(&o, r->prog);
            if (r->key.n) {
                ss_out_byte(&o, ',');
                ss_out_mem(&o, r->key.p, r->key.n);
            }
        }
        break;
    case SS_CMD_STAT:
        ss_out_str(&o, SS_PKT_STAT);
        break;
    default:
        return 0;
    }
    return ss_out_done(&o);
}

/* ---- replies ------------------------------------------------------------------------ */

size_t ss_reply_ok(char *out, size_t cap)
{
    struct ss_out o;
    ss_out_init(&o, out, cap);
    ss_out_str(&o, SS_REPLY_OK);
    return ss_out_done(&o);
}

size_t ss_reply_ok_id(char *out, size_t cap, uint32_t id)
{
    struct ss_out o;
    ss_out_init(&o, out, cap);
    ss_out_str(&o, SS_REPLY_OK);
    ss_out_hex(&o, id);
    return ss_out_done(&o);
}

size_t ss_reply_err(char *out, size_t cap, int code)
{
    struct ss_out o;
    ss_out_init(&o, out, cap);
    if (code < 0)
        code = -code;
    ss_out_byte(&o, SS_REPLY_ERR);
    ss_out_hex2(&o, (uint8_t)code);
    return ss_out_done(&o);
}

size_t ss_reply_supported(char *out, size_t cap, uint32_t packet_size, uint64_t time_hz)
{
    struct ss_out o;
    ss_out_init(&o, out, cap);
    ss_out_str(&o, SS_FEATURE_PKTSIZE);
    ss_out_hex(&o, packet_size);
    ss_out_byte(&o, ';');
    ss_out_str(&o, SS_FEATURE_TRACE);
    ss_out_byte(&o, ';');
    ss_out_str(&o, SS_FEATURE_EVENTS);
    ss_out_hex(&o, SS_EVENTS_VERSION);
    if (time_hz) {
        ss_out_byte(&o, ';');
        ss_out_str(&o, SS_FEATURE_TIMEFREQ);
        ss_out_hex(&o, time_hz);
    }
    return ss_out_done(&o);
}

void ss_parse_reply(const void *payload, size_t len, struct ss_reply *rep)
{
    const char *s = payload;
    uint64_t v;
    ss_zero(rep, sizeof *rep);
    if (len == 0) {
        rep->kind = SS_REPLY_EMPTY;
    } else if (equals(s, len, SS_REPLY_OK)) {
        rep->kind = SS_REPLY_IS_OK;
    } else if (ss_has_prefix(s, len, SS_REPLY_OK) &&
               ss_parse_hex(s + 2, len - 2, SS_NUM_DIGITS, &v) == 0) {
        rep->kind = SS_REPLY_IS_OK;
        rep->has_id = true;
        rep->id = (uint32_t)v;
    } else if (len == 3 && s[0] == SS_REPLY_ERR && ss_parse_hex(s + 1, 2, 2, &v) == 0) {
        rep->kind = SS_REPLY_IS_ERR;
        rep->err = (int)v;
    } else {
        rep->kind = SS_REPLY_DATA;
    }
}

bool ss_supported_parse(const void *payload, size_t len, struct ss_features *feat)
{
    const char *s = payload;
    ss_zero(feat, sizeof *feat);
    feat->events = 1; /* a side-stub from before the feature */
    while (len > 0) {
        struct ss_str f;
        if (!field(&s, &len, ';', &f)) { /* the last feature */
            f.p = s;
            f.n = len;
            len = 0;
        }
        size_t k;
        uint64_t v;
        if (equals(f.p, f.n, SS_FEATURE_TRACE)) {
            feat->trace = true;
        } else if (ss_has_prefix(f.p, f.n, SS_FEATURE_PKTSIZE)) {
            k = ss_strlen(SS_FEATURE_PKTSIZE);
            if (ss_parse_hex(f.p + k, f.n - k, SS_NUM_DIGITS, &v) == 0)
                feat->packet_size = (uint32_t)v;
        } else if (ss_has_prefix(f.p, f.n, SS_FEATURE_TIMEFREQ)) {
            k = ss_strlen(SS_FEATURE_TIMEFREQ);
            if (ss_parse_hex(f.p + k, f.n - k, 16, &v) == 0)
                feat->time_hz = v;
        } else if (ss_has_prefix(f.p, f.n, SS_FEATURE_EVENTS)) {
            k = ss_strlen(SS_FEATURE_EVENTS);
            /* A version that does not parse is not one this host reads. */
            feat->events = ss_parse_hex(f.p + k, f.n - k, 8, &v) == 0 ? (uint32_t)v : UINT32_MAX;
        }
    }
    return feat->trace;
}
