/*
 * listing.c - the bodies of vTList, vTMap and vTStat replies: items separated
 * by ';', fields by ',' (probes) or '=' (map entries, counters), numbers and
 * map bytes in lowercase hex.  See docs/side-stub-protocol.md, "Listings".
 */
#include "sidestub_int.h"

bool ss_next_item(struct ss_str *rest, char sep, struct ss_str *item)
{
    size_t i = 0;
    if (rest->n == 0)
        return false;
    while (i < rest->n && rest->p[i] != sep)
        i++;
    item->p = rest->p;
    item->n = i;
    if (i < rest->n)
        i++; /* the separator */
    rest->p += i;
    rest->n -= i;
    return true;
}

size_t ss_hex_encode(const void *data, size_t len, char *out, size_t cap)
{
    const uint8_t *d = data;
    struct ss_out o;
    ss_out_init(&o, out, cap);
    for (size_t i = 0; i < len; i++)
        ss_out_hex2(&o, d[i]);
    return ss_out_done(&o);
}

size_t ss_hex_decode(const char *hex, size_t n, uint8_t *out, size_t cap)
{
    if (n % 2 != 0 || n / 2 > cap)
        return (size_t)-1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = ss_hexval((uint8_t)hex[i]), lo = ss_hexval((uint8_t)hex[i + 1]);
        if (hi < 0 || lo < 0)
            return (size_t)-1;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

size_t ss_probe_info_format(const struct ss_probe_info *p, char *out, size_t cap)
{
    struct ss_out o;
    const char *kind = ss_kind_name(p->kind);
    if (!kind || ss_check_name(p->prog.p, p->prog.n))
        return 0;
    ss_out_init(&o, out, cap);
    ss_out_hex(&o, p->id);
    ss_out_byte(&o, ',');
    ss_out_str(&o, kind);
    ss_out_byte(&o, ',');
    ss_out_hex(&o, p->hits);
    ss_out_byte(&o, ',');
    ss_out_mem(&o, p->prog.p, p->prog.n);
    ss_out_byte(&o, ',');
    if (p->kind == SS_UPROBE || p->kind == SS_URETPROBE) {
        if (ss_check_name(p->name.p, p->name.n))
            return 0;
        ss_out_mem(&o, p->name.p, p->name.n);
        ss_out_byte(&o, ':');
    }
    ss_out_hex(&o, p->addr);
    return ss_out_done(&o);
}

int ss_probe_info_parse(const char *s, size_t n, struct ss_probe_info *p)
{
    struct ss_str rest = {s, n}, id, kind, hits, target;
    uint64_t v;
    ss_zero(p, sizeof *p);
    if (!ss_next_item(&rest, ',', &id) || !ss_next_item(&rest, ',', &kind) ||
        !ss_next_item(&rest, ',', &hits) || !ss_next_item(&rest, ',', &p->prog))
        return -SS_ERR_SYNTAX;
    target = rest;
    if (ss_parse_u32(id.p, id.n, &p->id))
        return -SS_ERR_SYNTAX;
    p->kind = ss_kind_parse(kind.p, kind.n);
    if (p->kind < 0)
        return p->kind;
    if (ss_parse_hex(hits.p, hits.n, 16, &v)) /* a 64-bit counter */
        return -SS_ERR_SYNTAX;
    p->hits = v;
    int err = ss_check_name(p->prog.p, p->prog.n);
    if (err)
        return err;
    if (p->kind == SS_UPROBE || p->kind == SS_URETPROBE) {
        if (!ss_next_item(&target, ':', &p->name) || target.n == 0)
            return -SS_ERR_SYNTAX;
        err = ss_check_name(p->name.p, p->name.n);
        if (err)
            return err;
    }
    return ss_parse_addr(target.p, target.n, &p->addr);
}

bool ss_stat_value(const char *reply, size_t len, const char *name, uint64_t *value)
{
    struct ss_str rest = {reply, len}, item, key;
    size_t n = ss_strlen(name);
    while (ss_next_item(&rest, ';', &item)) {
        if (!ss_next_item(&item, '=', &key) || key.n != n || !ss_has_prefix(key.p, key.n, name))
            continue;
        return ss_parse_hex(item.p, item.n, 16, value) == 0;
    }
    return false;
}
