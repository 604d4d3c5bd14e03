/*
 * Parser for one line of GDB/MI output (GDB manual, "GDB/MI Output
 * Syntax"):
 *
 *   output        -> out-of-band records, then an optional result record, then "(gdb)"
 *   result-record -> [token] "^" result-class ("," result)*
 *   async-record  -> [token] ("*" | "+" | "=") async-class ("," result)*
 *   stream-record -> ("~" | "@" | "&") c-string
 *   result        -> variable "=" value
 *   value         -> c-string | tuple "{...}" | list "[...]"
 *
 * Values become jansson values: a c-string a JSON string, a tuple a JSON
 * object, a list of values a JSON array, and a list of results
 * ([frame={..},frame={..}]) a JSON array of the result values (the names,
 * always alike in GDB's output, are dropped).  A tuple in which a name
 * repeats keeps every value: the member becomes an array of them.
 */
#ifndef ADAPTER_MI_PARSE_H
#define ADAPTER_MI_PARSE_H

#include <jansson.h>
#include <stddef.h>

enum mi_kind {
    MI_RESULT,       /* ^done, ^running, ^connected, ^error, ^exit */
    MI_EXEC_ASYNC,   /* *running, *stopped */
    MI_STATUS_ASYNC, /* +download ... */
    MI_NOTIFY_ASYNC, /* =thread-created, =breakpoint-modified, ... */
    MI_CONSOLE,      /* ~"text" */
    MI_TARGET,       /* @"text" */
    MI_LOG,          /* &"text" */
    MI_PROMPT,       /* (gdb) */
};

struct mi_record {
    enum mi_kind kind;
    long token;      /* the command token, -1 if the record has none */
    char *klass;     /* result or async class ("done", "stopped", ...); 0 for streams */
    json_t *results; /* object of the record's results (never 0 for result/async records) */
    char *text;      /* stream records: the decoded string; 0 otherwise */
};

/* Parse one line (without its newline; a trailing '\r' is ignored).
 * Returns 0 and fills *out, or -1 with a message in err (the record is
 * then empty and needs no freeing). */
int mi_parse_line(const char *line, size_t len, struct mi_record *out, char *err, size_t errlen);
void mi_record_free(struct mi_record *r);

/* Quote s as an MI c-string argument ("..." with \" \\ \n escapes) into a
 * new malloc'd string. */
char *mi_quote(const char *s);

/* Convenience accessors: the string at a '.'-separated path of object keys
 * inside v ("frame.func"), or 0 if absent or not a string. */
const char *mi_str(json_t *v, const char *path);

#endif
