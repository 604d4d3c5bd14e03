/*
 * Tests of adapter/mi_parse.c against the GDB manual's "GDB/MI Output
 * Syntax" and against real gdb-multiarch 13.1 output (tests/adapter/
 * mi_samples/, see its README).  Expected values are written from the
 * grammar by hand; in the tables, JSON is written with ' for " to stay
 * readable (no expected value contains an apostrophe).
 *
 * Every parse goes through parse_exact(), which copies the line into a
 * malloc'd buffer of exactly its length, so ASan catches any read past len.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gdb/mi_parse.h"

/* The recorded samples, found from wherever the test runs. */
#define MI_SAMPLES_DIR OSDBG_TOP "/tests/adapter/mi_samples"

static int parse_exact(const char *s, size_t len, struct mi_record *r, char *err, size_t errlen)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    int rc = mi_parse_line(copy, len, r, err, errlen);
    free(copy);
    return rc;
}

/* JSON written with ' for ". */
static json_t *sq_json(const char *sq)
{
    char *s = strdup(sq);
    assert_non_null(s);
    for (char *q = s; *q; q++)
        if (*q == '\'')
            *q = '"';
    json_error_t e;
    json_t *v = json_loads(s, 0, &e);
    if (!v)
        fail_msg("bad expected JSON in the test table: %s (%s)", sq, e.text);
    free(s);
    return v;
}

static void assert_json_eq(json_t *got, const char *expected_sq, const char *what)
{
    json_t *want = sq_json(expected_sq);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        print_error("%s:\n  got  %s\n  want %s\n", what, g ? g : "(null)", w ? w : "(null)");
        free(g);
        free(w);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

static void assert_record_empty(const struct mi_record *r)
{
    assert_int_equal(r->token, -1);
    assert_null(r->klass);
    assert_null(r->results);
    assert_null(r->text);
}

/* ---- lines that must parse ------------------------------------------- */

struct ok_case {
    const char *name;
    const char *line;
    enum mi_kind kind;
    long token;
    const char *klass;   /* 0 for streams and the prompt */
    const char *results; /* JSON with ' for "; 0 for streams and the prompt */
    const char *text;    /* stream records */
};

#define R(n, l, k, t, c, res)                                                                      \
    {                                                                                              \
        n, l, k, t, c, res, 0                                                                      \
    }
#define S(n, l, k, txt)                                                                            \
    {                                                                                              \
        n, l, k, -1, 0, 0, txt                                                                     \
    }

/* clang-format off */
/* Lines captured from gdb-multiarch 13.1 (see mi_samples/README). */
static const struct ok_case real_cases[] = {
    R("break-insert main",
      "1^done,bkpt={number=\"1\",type=\"breakpoint\",disp=\"keep\",enabled=\"y\","
      "addr=\"0x000000000001001a\",func=\"main\",file=\"user/hello.c\","
      "fullname=\"/work/main/user/hello.c\",line=\"6\",thread-groups=[\"i1\"],times=\"0\","
      "original-location=\"main\"}",
      MI_RESULT, 1, "done",
      "{'bkpt':{'number':'1','type':'breakpoint','disp':'keep','enabled':'y',"
      "'addr':'0x000000000001001a','func':'main','file':'user/hello.c',"
      "'fullname':'/work/main/user/hello.c','line':'6','thread-groups':['i1'],'times':'0',"
      "'original-location':'main'}}"),
    R("stopped at breakpoint",
      "*stopped,reason=\"breakpoint-hit\",disp=\"keep\",bkptno=\"1\","
      "frame={addr=\"0x0000000080204646\",func=\"sys_write\",args=[],file=\"kernel/sysfile.c\","
      "fullname=\"/work/main/kernel/sysfile.c\",line=\"63\",arch=\"riscv:rv64\"},thread-id=\"1\","
      "stopped-threads=\"all\"",
      MI_EXEC_ASYNC, -1, "stopped",
      "{'reason':'breakpoint-hit','disp':'keep','bkptno':'1',"
      "'frame':{'addr':'0x0000000080204646','func':'sys_write','args':[],"
      "'file':'kernel/sysfile.c','fullname':'/work/main/kernel/sysfile.c','line':'63',"
      "'arch':'riscv:rv64'},'thread-id':'1','stopped-threads':'all'}"),
    R("reason-less stop after target-select",
      "*stopped,frame={addr=\"0x0000000000001000\",func=\"??\",args=[],arch=\"riscv:rv64\"},"
      "thread-id=\"1\",stopped-threads=\"all\"",
      MI_EXEC_ASYNC, -1, "stopped",
      "{'frame':{'addr':'0x0000000000001000','func':'?\?','args':[],'arch':'riscv:rv64'},"
      "'thread-id':'1','stopped-threads':'all'}"),
    R("stopped by SIGINT with args",
      "*stopped,reason=\"signal-received\",signal-name=\"SIGINT\",signal-meaning=\"Interrupt\","
      "frame={addr=\"0x0000000080204190\",func=\"release\",args=[{name=\"lk\","
      "value=\"0x80239750 <kmem>\"}],file=\"kernel/spinlock.c\","
      "fullname=\"/work/main/kernel/spinlock.c\",line=\"24\",arch=\"riscv:rv64\"},"
      "thread-id=\"1\",stopped-threads=\"all\"",
      MI_EXEC_ASYNC, -1, "stopped",
      "{'reason':'signal-received','signal-name':'SIGINT','signal-meaning':'Interrupt',"
      "'frame':{'addr':'0x0000000080204190','func':'release','args':[{'name':'lk',"
      "'value':'0x80239750 <kmem>'}],'file':'kernel/spinlock.c',"
      "'fullname':'/work/main/kernel/spinlock.c','line':'24','arch':'riscv:rv64'},"
      "'thread-id':'1','stopped-threads':'all'}"),
    R("register values",
      "2^done,register-values=[{number=\"449\",value=\"0x0\"},{number=\"321\","
      "value=\"0x200000000\"},{number=\"4161\",value=\"0x3\"},{number=\"1\",value=\"0x0\"},"
      "{number=\"2\",value=\"0x0\"}]",
      MI_RESULT, 2, "done",
      "{'register-values':[{'number':'449','value':'0x0'},{'number':'321','value':'0x200000000'},"
      "{'number':'4161','value':'0x3'},{'number':'1','value':'0x0'},{'number':'2',"
      "'value':'0x0'}]}"),
    R("stack frames (list of results)",
      "6^done,stack=[frame={level=\"0\",addr=\"0x0000000080204646\",func=\"sys_write\","
      "file=\"kernel/sysfile.c\",fullname=\"/work/main/kernel/sysfile.c\",line=\"63\","
      "arch=\"riscv:rv64\"},frame={level=\"1\",addr=\"0x0000000080204438\",func=\"syscall\","
      "file=\"kernel/syscall.c\",fullname=\"/work/main/kernel/syscall.c\",line=\"60\","
      "arch=\"riscv:rv64\"},frame={level=\"2\",addr=\"0x0000000080204d52\",func=\"usertrap\","
      "file=\"kernel/trap.c\",fullname=\"/work/main/kernel/trap.c\",line=\"100\","
      "arch=\"riscv:rv64\"},frame={level=\"3\",addr=\"0x0000000000010528\",func=\"??\","
      "arch=\"riscv:rv64\"}]",
      MI_RESULT, 6, "done",
      "{'stack':[{'level':'0','addr':'0x0000000080204646','func':'sys_write',"
      "'file':'kernel/sysfile.c','fullname':'/work/main/kernel/sysfile.c','line':'63',"
      "'arch':'riscv:rv64'},{'level':'1','addr':'0x0000000080204438','func':'syscall',"
      "'file':'kernel/syscall.c','fullname':'/work/main/kernel/syscall.c','line':'60',"
      "'arch':'riscv:rv64'},{'level':'2','addr':'0x0000000080204d52','func':'usertrap',"
      "'file':'kernel/trap.c','fullname':'/work/main/kernel/trap.c','line':'100',"
      "'arch':'riscv:rv64'},{'level':'3','addr':'0x0000000000010528','func':'?\?',"
      "'arch':'riscv:rv64'}]}"),
    R("stack args with empty lists",
      "10^done,stack-args=[frame={level=\"0\",args=[]},frame={level=\"1\",args=[]},"
      "frame={level=\"2\",args=[]},frame={level=\"3\",args=[]}]",
      MI_RESULT, 10, "done",
      "{'stack-args':[{'level':'0','args':[]},{'level':'1','args':[]},{'level':'2','args':[]},"
      "{'level':'3','args':[]}]}"),
    R("thread-list-ids: duplicate names in a tuple",
      "2^done,thread-ids={thread-id=\"1\",thread-id=\"2\"},current-thread-id=\"1\","
      "number-of-threads=\"2\"",
      MI_RESULT, 2, "done",
      "{'thread-ids':{'thread-id':['1','2']},'current-thread-id':'1','number-of-threads':'2'}"),
    R("thread-list-ids with one thread",
      "8^done,thread-ids={thread-id=\"1\"},current-thread-id=\"1\",number-of-threads=\"1\"",
      MI_RESULT, 8, "done",
      "{'thread-ids':{'thread-id':'1'},'current-thread-id':'1','number-of-threads':'1'}"),
    R("thread-group-added", "=thread-group-added,id=\"i1\"", MI_NOTIFY_ASYNC, -1,
      "thread-group-added", "{'id':'i1'}"),
    R("thread-created", "=thread-created,id=\"2\",group-id=\"i1\"", MI_NOTIFY_ASYNC, -1,
      "thread-created", "{'id':'2','group-id':'i1'}"),
    R("running result", "5^running", MI_RESULT, 5, "running", "{}"),
    R("running async", "*running,thread-id=\"all\"", MI_EXEC_ASYNC, -1, "running",
      "{'thread-id':'all'}"),
    R("connected", "1^connected", MI_RESULT, 1, "connected", "{}"),
    R("exit", "^exit", MI_RESULT, -1, "exit", "{}"),
    R("done without token", "^done", MI_RESULT, -1, "done", "{}"),
    R("error with escaped quotes", "9^error,msg=\"Function \\\"nosuchfunc\\\" not defined.\"",
      MI_RESULT, 9, "error", "{'msg':'Function \\\"nosuchfunc\\\" not defined.'}"),
    R("error with code", "8^error,msg=\"Undefined MI command: kill\",code=\"undefined-command\"",
      MI_RESULT, 8, "error", "{'msg':'Undefined MI command: kill','code':'undefined-command'}"),
    R("value with escaped backslash", "6^done,value=\"\\\"a\\\\tb\\\"\"", MI_RESULT, 6, "done",
      "{'value':'\\\"a\\\\tb\\\"'}"),
    R("value with UTF-8 as octal", "18^done,value=\"\\\"h\\303\\251llo\\\"\"", MI_RESULT, 18,
      "done", "{'value':'\\\"h\\u00e9llo\\\"'}"),
    R("char value", "7^done,value=\"10 '\\\\n'\"", MI_RESULT, 7, "done",
      "{'value':'10 \\u0027\\\\n\\u0027'}"),
    R("list of empty strings", "10^done,register-names=[\"\",\"\",\"\"]", MI_RESULT, 10, "done",
      "{'register-names':['','','']}"),
    R("trace variables: empty body list",
      "20^done,trace-variables={nr_rows=\"0\",nr_cols=\"3\",hdr=[{width=\"15\",alignment=\"-1\","
      "col_name=\"name\",colhdr=\"Name\"},{width=\"11\",alignment=\"-1\",col_name=\"initial\","
      "colhdr=\"Initial\"},{width=\"11\",alignment=\"-1\",col_name=\"current\","
      "colhdr=\"Current\"}],body=[]}",
      MI_RESULT, 20, "done",
      "{'trace-variables':{'nr_rows':'0','nr_cols':'3','hdr':[{'width':'15','alignment':'-1',"
      "'col_name':'name','colhdr':'Name'},{'width':'11','alignment':'-1','col_name':'initial',"
      "'colhdr':'Initial'},{'width':'11','alignment':'-1','col_name':'current',"
      "'colhdr':'Current'}],'body':[]}}"),
    R("symbol-info-functions nesting",
      "4^done,symbols={debug=[{filename=\"user/hello.c\",fullname=\"/work/main/user/hello.c\","
      "symbols=[{line=\"4\",name=\"main\",type=\"int (int, char **)\",description=\"int main(int,"
      " char **);\"}]}]}",
      MI_RESULT, 4, "done",
      "{'symbols':{'debug':[{'filename':'user/hello.c','fullname':'/work/main/user/hello.c',"
      "'symbols':[{'line':'4','name':'main','type':'int (int, char **)',"
      "'description':'int main(int, char **);'}]}]}}"),
    R("memory contents",
      "22^done,memory=[{begin=\"0x0000000000010000\",offset=\"0x0000000000000000\","
      "end=\"0x0000000000010008\",contents=\"ef008000ef006076\"}]",
      MI_RESULT, 22, "done",
      "{'memory':[{'begin':'0x0000000000010000','offset':'0x0000000000000000',"
      "'end':'0x0000000000010008','contents':'ef008000ef006076'}]}"),
    R("var-create",
      "16^done,name=\"var1\",numchild=\"0\",value=\"-9223372028264816606\",type=\"long\","
      "thread-id=\"1\",has_more=\"0\"",
      MI_RESULT, 16, "done",
      "{'name':'var1','numchild':'0','value':'-9223372028264816606','type':'long',"
      "'thread-id':'1','has_more':'0'}"),
    R("info-gdb-mi-command", "17^done,command={exists=\"true\"}", MI_RESULT, 17, "done",
      "{'command':{'exists':'true'}}"),
    S("console with tab", "~\"63\\t    struct file *f = argfd(0, 0);\\n\"", MI_CONSOLE,
      "63\t    struct file *f = argfd(0, 0);\n"),
    S("console starting with newline", "~\"\\nThread \"", MI_CONSOLE, "\nThread "),
    S("console with quotes",
      "~\"\\nType \\\"show copying\\\" and \\\"show warranty\\\" for details.\\n\"", MI_CONSOLE,
      "\nType \"show copying\" and \"show warranty\" for details.\n"),
    S("log", "&\"Remote connection closed\\n\"", MI_LOG, "Remote connection closed\n"),
    S("prompt as GDB writes it", "(gdb) ", MI_PROMPT, 0),
};

/* Hand-written from the grammar. */
static const struct ok_case edge_cases[] = {
    R("empty tuple", "^done,a={}", MI_RESULT, -1, "done", "{'a':{}}"),
    R("empty list", "^done,a=[]", MI_RESULT, -1, "done", "{'a':[]}"),
    R("list of mixed values", "^done,a=[[],{},\"\",[\"x\"]]", MI_RESULT, -1, "done",
      "{'a':[[],{},'',['x']]}"),
    R("list of results drops names", "^done,a=[b=\"1\",b=\"2\"]", MI_RESULT, -1, "done",
      "{'a':['1','2']}"),
    R("list of results with unlike names", "^done,a=[b=\"1\",c={}]", MI_RESULT, -1, "done",
      "{'a':['1',{}]}"),
    R("name repeated three times", "^done,a={b=\"1\",b=\"2\",b=\"3\"}", MI_RESULT, -1, "done",
      "{'a':{'b':['1','2','3']}}"),
    R("repeated name whose values are lists", "^done,a={b=[\"x\"],b=[\"y\"],b=[]}", MI_RESULT, -1,
      "done", "{'a':{'b':[['x'],['y'],[]]}}"),
    R("repeated names interleaved", "^done,a={b=\"1\",c=\"2\",b=\"3\",c=\"4\",d=\"5\"}", MI_RESULT,
      -1, "done", "{'a':{'b':['1','3'],'c':['2','4'],'d':'5'}}"),
    R("repeated name at record level", "^done,x=\"1\",x=\"2\"", MI_RESULT, -1, "done",
      "{'x':['1','2']}"),
    R("single-element list is not a repeat", "^done,a={b=[\"x\"]}", MI_RESULT, -1, "done",
      "{'a':{'b':['x']}}"),
    R("deep nesting", "^done,a={b={c={d=[[[\"deep\"]]]}}}", MI_RESULT, -1, "done",
      "{'a':{'b':{'c':{'d':[[['deep']]]}}}}"),
    R("grammar characters inside a string", "^done,a=\"x,y={}[]=^*~\"", MI_RESULT, -1, "done",
      "{'a':'x,y={}[]=^*~'}"),
    R("token zero", "0^done", MI_RESULT, 0, "done", "{}"),
    R("token on an exec async record", "123*stopped,reason=\"exited-normally\"", MI_EXEC_ASYNC, 123,
      "stopped", "{'reason':'exited-normally'}"),
    R("token on a notify record", "7=thread-selected,id=\"1\"", MI_NOTIFY_ASYNC, 7,
      "thread-selected", "{'id':'1'}"),
    R("status async", "+download,section=\".text\",section-size=\"1024\",total-size=\"4096\"",
      MI_STATUS_ASYNC, -1, "download",
      "{'section':'.text','section-size':'1024','total-size':'4096'}"),
    R("library-loaded with ranges",
      "=library-loaded,id=\"/lib/x.so\",target-name=\"/lib/x.so\",symbols-loaded=\"0\","
      "thread-group=\"i1\",ranges=[{from=\"0x1\",to=\"0x2\"}]",
      MI_NOTIFY_ASYNC, -1, "library-loaded",
      "{'id':'/lib/x.so','target-name':'/lib/x.so','symbols-loaded':'0','thread-group':'i1',"
      "'ranges':[{'from':'0x1','to':'0x2'}]}"),
    R("names with underscores and capitals", "^done,BreakpointTable={nr_rows=\"0\",body=[]}",
      MI_RESULT, -1, "done", "{'BreakpointTable':{'nr_rows':'0','body':[]}}"),
    R("trailing CR ignored", "^done,a=\"1\"\r", MI_RESULT, -1, "done", "{'a':'1'}"),
    S("all named escapes", "~\"\\a\\b\\e\\f\\v\\'\\\"\\\\\\r\"", MI_CONSOLE, "\a\b\x1b\f\v'\"\\\r"),
    S("octal escapes", "~\"\\101\\060x\\1012\\7\"", MI_CONSOLE, "A0xA2\a"),
    S("octal UTF-8 bytes", "~\"caf\\303\\251 \\342\\202\\254 \\360\\237\\230\\200\"", MI_CONSOLE,
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
    S("raw UTF-8 bytes", "~\"h\xc3\xa9llo\"", MI_CONSOLE, "h\xc3\xa9llo"),
    S("invalid UTF-8 byte becomes U+FFFD", "~\"\\377ok\"", MI_CONSOLE, "\xef\xbf\xbdok"),
    S("truncated UTF-8 sequence becomes U+FFFD", "~\"a\\303\"", MI_CONSOLE, "a\xef\xbf\xbd"),
    S("overlong UTF-8 becomes U+FFFD", "~\"\\300\\257\"", MI_CONSOLE, "\xef\xbf\xbd\xef\xbf\xbd"),
    S("UTF-16 surrogate becomes U+FFFD", "~\"\\355\\240\\200\"", MI_CONSOLE,
      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"),
    S("empty c-string", "~\"\"", MI_CONSOLE, ""),
    S("target stream", "@\"target out\\n\"", MI_TARGET, "target out\n"),
    S("stream with trailing CR", "&\"x\"\r", MI_LOG, "x"),
    S("prompt without space", "(gdb)", MI_PROMPT, 0),
    S("prompt with spaces and CR", "(gdb)   \r", MI_PROMPT, 0),
};

/* clang-format on */

static void run_ok_case(void **state)
{
    const struct ok_case *c = *state;
    struct mi_record r;
    char err[256];
    int rc = parse_exact(c->line, strlen(c->line), &r, err, sizeof err);
    if (rc != 0)
        fail_msg("\"%s\" did not parse: %s", c->line, err);
    assert_int_equal(r.kind, c->kind);
    assert_int_equal(r.token, c->token);
    if (c->klass) {
        assert_non_null(r.klass);
        assert_string_equal(r.klass, c->klass);
    } else {
        assert_null(r.klass);
    }
    if (c->results) {
        assert_non_null(r.results);
        assert_true(json_is_object(r.results));
        assert_json_eq(r.results, c->results, c->name);
    } else {
        assert_null(r.results);
    }
    if (c->kind == MI_CONSOLE || c->kind == MI_TARGET || c->kind == MI_LOG) {
        assert_non_null(r.text);
        assert_string_equal(r.text, c->text);
    } else {
        assert_null(r.text);
    }
    mi_record_free(&r);
    assert_record_empty(&r);
}

/* ---- lines that must be rejected -------------------------------------- */

/* clang-format off */
struct bad_case {
    const char *name;
    const char *line;
    size_t len;      /* 0: strlen(line) */
    const char *msg; /* substring the message must contain */
};

static const struct bad_case bad_cases[] = {
    {"empty line", "", 0, "empty line"},
    {"unterminated c-string", "~\"abc", 0, "offset 1: unterminated c-string"},
    {"line ends after a backslash", "~\"abc\\", 0, "escape character after"},
    {"unknown escape", "~\"a\\qb\"", 0, "offset 4: expected a c-string escape"},
    {"hex escape", "~\"\\x41\"", 0, "expected a c-string escape"},
    {"octal escape above 255", "~\"\\400\"", 0, "octal escape above"},
    {"stream without quotes", "~abc", 0, "offset 1: expected '\"'"},
    {"garbage after a stream record", "~\"a\"b", 0, "offset 4: expected end of line"},
    {"raw newline inside a c-string", "~\"a\nb\"", 0, "control byte 0x0a"},
    {"raw NUL inside a c-string", "~\"a\0b\"", 6, "control byte 0x00"},
    {"missing '=' at end", "^done,a", 0,
     "offset 7: expected '=' after the name \"a\", found end of line"},
    {"missing '=' before value", "^done,a\"1\"", 0, "expected '=' after the name \"a\""},
    {"missing name", "^done,=\"1\"", 0, "offset 6: expected a result name"},
    {"missing value", "^done,a=", 0, "offset 8: expected a value"},
    {"unquoted value", "^done,a=1", 0, "offset 8: expected a value"},
    {"truncated tuple", "^done,a={b=\"1\"", 0,
     "offset 14: expected ',' or '}' in a tuple, found end of line"},
    {"tuple truncated after comma", "^done,a={b=\"1\",", 0, "expected a result name"},
    {"trailing comma in a tuple", "^done,a={b=\"1\",}", 0, "expected a result name"},
    {"tuple of bare values", "^done,a={\"1\"}", 0, "expected a result name"},
    {"tuple missing its value", "^done,a={b=}", 0, "expected a value"},
    {"truncated list", "^done,a=[\"1\"", 0, "expected ',' or ']' in a list"},
    {"trailing comma in a list", "^done,a=[\"1\",]", 0, "expected a value"},
    {"results then values in a list", "^done,a=[b=\"1\",\"2\"]", 0,
     "offset 15: expected a result name"},
    {"values then results in a list", "^done,a=[\"1\",b=\"2\"]", 0, "this list holds values"},
    {"missing comma in a list", "^done,a=[b=\"1\" c=\"2\"]", 0, "expected ',' or ']'"},
    {"truncated nested lists", "^done,a=[[[[", 0, "expected a value"},
    {"trailing comma in a record", "^done,", 0, "expected a result name"},
    {"space instead of comma", "^done a=\"1\"", 0, "offset 5: expected ',' or end of line"},
    {"stray closing brace", "^done,a=\"1\"}", 0, "offset 11: expected ',' or end of line"},
    {"two CRs", "^done,a=\"1\"\r\r", 0, "offset 11"},
    {"unknown result class", "^bogus", 0, "unknown result class \"bogus\""},
    {"result class missing", "^", 0, "expected a result class"},
    {"async class missing", "*,reason=\"x\"", 0, "expected an async class"},
    {"token on a stream record", "12~\"x\"", 0, "stream record takes no token"},
    {"token alone", "12", 0, "after the token"},
    {"token before the prompt", "12(gdb)", 0, "after the token"},
    {"text after the prompt", "(gdb) x", 0, "end of line after \"(gdb)\""},
    {"truncated prompt", "(gdb", 0, "expected a record"},
    {"plain text", "hello world", 0, "offset 0: expected a record"},
    {"token overflow", "99999999999999999999^done", 0, "token too large"},
    {"CR alone", "\r", 0, "empty line"},
};

/* clang-format on */

static void run_bad_case(void **state)
{
    const struct bad_case *c = *state;
    size_t len = c->len ? c->len : strlen(c->line);
    struct mi_record r;
    char err[256];
    memset(&r, 0x5a, sizeof r); /* garbage in: the parser must clear it */
    int rc = parse_exact(c->line, len, &r, err, sizeof err);
    assert_int_equal(rc, -1);
    assert_record_empty(&r);
    if (!strstr(err, c->msg))
        fail_msg("message for \"%s\" is \"%s\", which lacks \"%s\"", c->name, err, c->msg);
    mi_record_free(&r); /* harmless on an empty record */
}

static void test_nesting_limit(void **state)
{
    (void)state;
    enum { N = 100000 };
    char *line = malloc(N);
    assert_non_null(line);
    memcpy(line, "^done,a=", 8);
    memset(line + 8, '[', N - 8);
    struct mi_record r;
    char err[256];
    assert_int_equal(parse_exact(line, N, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "nested deeper"));
    assert_record_empty(&r);
    /* Moderate nesting is fine. */
    char ok[300];
    size_t n = 0;
    n += (size_t)sprintf(ok, "^done,a=");
    for (int i = 0; i < 100; i++)
        ok[n++] = '[';
    for (int i = 0; i < 100; i++)
        ok[n++] = ']';
    assert_int_equal(parse_exact(ok, n, &r, err, sizeof err), 0);
    mi_record_free(&r);
    free(line);
}

/* ---- properties ------------------------------------------------------- */

static void test_line_is_a_slice(void **state)
{
    (void)state;
    /* Only len bytes belong to the line; what follows is not read. */
    const char *s = "^done,a=\"1\"XYZ";
    struct mi_record r;
    char err[128];
    assert_int_equal(mi_parse_line(s, 11, &r, err, sizeof err), 0);
    assert_string_equal(mi_str(r.results, "a"), "1");
    mi_record_free(&r);
    assert_int_equal(mi_parse_line(s, 10, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "unterminated"));
}

static void test_nul_inside_string(void **state)
{
    (void)state;
    const char line[] = "^done,a=\"x\\000y\"";
    struct mi_record r;
    char err[128];
    assert_int_equal(parse_exact(line, sizeof line - 1, &r, err, sizeof err), 0);
    json_t *a = json_object_get(r.results, "a");
    assert_int_equal(json_string_length(a), 3);
    assert_memory_equal(json_string_value(a), "x\0y", 3);
    mi_record_free(&r);
}

static void test_error_buffer(void **state)
{
    (void)state;
    struct mi_record r;
    char small[8];
    memset(small, 'q', sizeof small);
    assert_int_equal(parse_exact("^bogus", 6, &r, small, sizeof small), -1);
    assert_int_equal(strlen(small), sizeof small - 1); /* truncated, terminated */
    assert_int_equal(parse_exact("^bogus", 6, &r, 0, 0), -1);
    assert_int_equal(parse_exact("^done", 5, &r, 0, 0), 0);
    mi_record_free(&r);
    char err[64] = "stale";
    assert_int_equal(parse_exact("^done", 5, &r, err, sizeof err), 0);
    assert_string_equal(err, ""); /* cleared on success */
    mi_record_free(&r);
    assert_int_equal(mi_parse_line("^done", 5, 0, err, sizeof err), -1);
    mi_record_free(0);
}

/* Every prefix of a real line parses or fails cleanly. */
static void test_truncations(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof real_cases / sizeof real_cases[0]; i++) {
        const char *l = real_cases[i].line;
        size_t n = strlen(l);
        for (size_t k = 0; k < n; k++) {
            struct mi_record r;
            char err[160];
            int rc = parse_exact(l, k, &r, err, sizeof err);
            if (rc == 0)
                mi_record_free(&r);
            else
                assert_true(err[0] != 0);
        }
    }
}

/* ---- the captured transcripts ----------------------------------------- */

struct lines {
    char **v;
    size_t *len;
    size_t n;
};

static void read_samples(struct lines *L)
{
    static const char *const files[] = {"gdb13-hello-static.mi", "gdb13-kernel-live.mi",
                                        "gdb13-smp2-interrupt.mi"};
    memset(L, 0, sizeof *L);
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", MI_SAMPLES_DIR, files[f]);
        FILE *fp = fopen(path, "r");
        if (!fp)
            fail_msg("cannot open %s", path);
        char *line = 0;
        size_t cap = 0;
        ssize_t got;
        while ((got = getline(&line, &cap, fp)) >= 0) {
            size_t n = (size_t)got;
            if (n && line[n - 1] == '\n')
                n--;
            L->v = realloc(L->v, (L->n + 1) * sizeof *L->v);
            L->len = realloc(L->len, (L->n + 1) * sizeof *L->len);
            assert_non_null(L->v);
            assert_non_null(L->len);
            L->v[L->n] = malloc(n ? n : 1);
            assert_non_null(L->v[L->n]);
            memcpy(L->v[L->n], line, n);
            L->len[L->n++] = n;
        }
        free(line);
        fclose(fp);
    }
}

static void free_lines(struct lines *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->v[i]);
    free(L->v);
    free(L->len);
}

static void test_samples_all_parse(void **state)
{
    (void)state;
    struct lines L;
    read_samples(&L);
    assert_true(L.n >= 150);
    size_t kinds[MI_PROMPT + 1] = {0};
    for (size_t i = 0; i < L.n; i++) {
        struct mi_record r;
        char err[256];
        if (mi_parse_line(L.v[i], L.len[i], &r, err, sizeof err) != 0)
            fail_msg("sample line %zu \"%.*s\": %s", i, (int)L.len[i], L.v[i], err);
        kinds[r.kind]++;
        mi_record_free(&r);
    }
    assert_true(kinds[MI_RESULT] >= 50);
    assert_true(kinds[MI_PROMPT] >= 50);
    assert_true(kinds[MI_EXEC_ASYNC] >= 10);
    assert_true(kinds[MI_NOTIFY_ASYNC] >= 5);
    assert_true(kinds[MI_CONSOLE] >= 20);
    assert_true(kinds[MI_LOG] >= 1);
    free_lines(&L);
}

/* The "gdb 13.1" table rows are verbatim lines of the transcripts. */
static void test_real_cases_are_captured(void **state)
{
    (void)state;
    struct lines L;
    read_samples(&L);
    for (size_t i = 0; i < sizeof real_cases / sizeof real_cases[0]; i++) {
        size_t n = strlen(real_cases[i].line);
        int found = 0;
        for (size_t j = 0; j < L.n && !found; j++)
            found = L.len[j] == n && memcmp(L.v[j], real_cases[i].line, n) == 0;
        if (!found)
            fail_msg("real case \"%s\" is not a line of the transcripts", real_cases[i].name);
    }
    free_lines(&L);
}

/* -break-list: a list of results inside a tuple, with nested lists. */
static void test_breakpoint_table(void **state)
{
    (void)state;
    struct lines L;
    read_samples(&L);
    int seen = 0;
    for (size_t i = 0; i < L.n; i++) {
        if (L.len[i] < 22 || memcmp(L.v[i], "3^done,BreakpointTable", 22) != 0)
            continue;
        struct mi_record r;
        char err[256];
        assert_int_equal(mi_parse_line(L.v[i], L.len[i], &r, err, sizeof err), 0);
        json_t *t = json_object_get(r.results, "BreakpointTable");
        assert_string_equal(mi_str(t, "nr_rows"), "2");
        assert_int_equal(json_array_size(json_object_get(t, "hdr")), 6);
        json_t *body = json_object_get(t, "body");
        assert_int_equal(json_array_size(body), 2);
        assert_string_equal(mi_str(json_array_get(body, 1), "disp"), "del");
        assert_string_equal(mi_str(json_array_get(body, 1), "original-location"), "hello.c:5");
        mi_record_free(&r);
        seen = 1;
    }
    assert_true(seen);
    free_lines(&L);
}

/* ---- mutations -------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Random edits of valid lines (fixed seed, bounded count) must give 0 or -1,
 * never a crash or an ASan report; a success must be a well-formed record
 * whose JSON jansson can serialise (so every string is valid UTF-8). */
static void test_mutations(void **state)
{
    (void)state;
    static const char interesting[] = "\"\\{}[],=^*+~@&()gdb0179\r\n\t\x80\xc3\xff";
    struct lines L;
    read_samples(&L);
    enum { ROUNDS = 40000 };
    size_t ok = 0, bad = 0;
    char *buf = 0;
    for (int round = 0; round < ROUNDS; round++) {
        size_t pick = rng() % L.n;
        size_t n = L.len[pick];
        size_t cap = n * 2 + 16;
        buf = realloc(buf, cap);
        assert_non_null(buf);
        memcpy(buf, L.v[pick], n);
        int edits = 1 + (int)(rng() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = n ? rng() % n : 0;
            switch (rng() % 6) {
            case 0: /* flip a bit */
                if (n)
                    buf[at] ^= (char)(1u << (rng() % 8));
                break;
            case 1: /* replace with an interesting byte */
                if (n)
                    buf[at] = interesting[rng() % (sizeof interesting - 1)];
                break;
            case 2: /* delete a byte */
                if (n) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
                break;
            case 3: /* insert a byte */
                if (n + 1 < cap) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = interesting[rng() % (sizeof interesting - 1)];
                    n++;
                }
                break;
            case 4: /* truncate */
                n = at;
                break;
            default: { /* duplicate a span */
                size_t span = n ? 1 + rng() % (n - at) : 0;
                if (n + span < cap) {
                    memmove(buf + at + span, buf + at, n - at);
                    n += span;
                }
                break;
            }
            }
        }
        char *exact = malloc(n ? n : 1);
        assert_non_null(exact);
        memcpy(exact, buf, n);
        struct mi_record r;
        char err[200];
        int rc = mi_parse_line(exact, n, &r, err, sizeof err);
        free(exact);
        if (rc == 0) {
            ok++;
            int is_stream = r.kind == MI_CONSOLE || r.kind == MI_TARGET || r.kind == MI_LOG;
            if (r.kind == MI_PROMPT) {
                assert_null(r.results);
            } else if (is_stream) {
                assert_non_null(r.text);
            } else {
                assert_non_null(r.klass);
                assert_true(json_is_object(r.results));
                char *dump = json_dumps(r.results, JSON_COMPACT);
                assert_non_null(dump);
                free(dump);
            }
            mi_record_free(&r);
        } else {
            assert_int_equal(rc, -1);
            assert_true(err[0] != 0);
            assert_record_empty(&r);
            bad++;
        }
    }
    free(buf);
    free_lines(&L);
    /* Both outcomes occur, so the mutations really exercise both paths. */
    assert_true(ok > 1000);
    assert_true(bad > 1000);
}

/* ---- mi_quote and mi_str ---------------------------------------------- */

/* clang-format off */
struct quote_case {
    const char *name, *in, *out;
};

static const struct quote_case quote_cases[] = {
    {"empty", "", "\"\""},
    {"plain", "break main", "\"break main\""},
    {"quote", "a\"b", "\"a\\\"b\""},
    {"backslash", "a\\b", "\"a\\\\b\""},
    {"newline", "a\nb", "\"a\\nb\""},
    {"tab and CR", "\t\r", "\"\\t\\r\""},
    {"other control bytes as octal", "\x01\x1b\x7f", "\"\\001\\033\\177\""},
    {"UTF-8 passes through", "h\xc3\xa9llo", "\"h\xc3\xa9llo\""},
    {"path with spaces", "/tmp/my dir/x.c:12", "\"/tmp/my dir/x.c:12\""},
};

/* clang-format on */

static void run_quote_case(void **state)
{
    const struct quote_case *c = *state;
    char *q = mi_quote(c->in);
    assert_non_null(q);
    assert_string_equal(q, c->out);
    /* Round trip: quoted text read back as a c-string is the input. */
    size_t n = strlen(q) + 1;
    char *line = malloc(n + 1);
    assert_non_null(line);
    line[0] = '~';
    memcpy(line + 1, q, n);
    struct mi_record r;
    char err[128];
    assert_int_equal(parse_exact(line, n, &r, err, sizeof err), 0);
    assert_string_equal(r.text, c->in);
    mi_record_free(&r);
    free(line);
    free(q);
}

static void test_quote_null(void **state)
{
    (void)state;
    assert_null(mi_quote(0));
}

static void test_mi_str(void **state)
{
    (void)state;
    const char *l = real_cases[1].line; /* *stopped at sys_write */
    struct mi_record r;
    char err[128];
    assert_int_equal(parse_exact(l, strlen(l), &r, err, sizeof err), 0);
    assert_string_equal(mi_str(r.results, "reason"), "breakpoint-hit");
    assert_string_equal(mi_str(r.results, "frame.func"), "sys_write");
    assert_string_equal(mi_str(r.results, "frame.line"), "63");
    assert_null(mi_str(r.results, "frame"));      /* an object, not a string */
    assert_null(mi_str(r.results, "frame.args")); /* a list */
    assert_null(mi_str(r.results, "frame.nope"));
    assert_null(mi_str(r.results, "frame.func.x")); /* through a string */
    assert_null(mi_str(r.results, "frame."));
    assert_null(mi_str(r.results, ".frame"));
    assert_null(mi_str(r.results, ""));
    assert_null(mi_str(r.results, 0));
    assert_null(mi_str(0, "reason"));
    assert_string_equal(mi_str(json_object_get(r.results, "frame"), "arch"), "riscv:rv64");
    mi_record_free(&r);
}

/* ---- main ------------------------------------------------------------- */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char *name_of(const char *group, const char *name)
{
    size_t n = strlen(group) + strlen(name) + 3;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%s: %s", group, name);
    return s;
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_line_is_a_slice),
        cmocka_unit_test(test_nul_inside_string),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_samples_all_parse),
        cmocka_unit_test(test_real_cases_are_captured),
        cmocka_unit_test(test_breakpoint_table),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_quote_null),
        cmocka_unit_test(test_mi_str),
    };
    /* One named test per table row, so a failure names its case. */
    size_t n = COUNT(real_cases) + COUNT(edge_cases) + COUNT(bad_cases) + COUNT(quote_cases) +
               COUNT(fixed);
    struct CMUnitTest *t = calloc(n, sizeof *t);
    char **names = calloc(n, sizeof *names);
    if (!t || !names)
        return 1;
    size_t k = 0;
    for (size_t i = 0; i < COUNT(real_cases); i++, k++) {
        names[k] = name_of("gdb 13.1", real_cases[i].name);
        t[k] = (struct CMUnitTest){names[k], run_ok_case, 0, 0, (void *)&real_cases[i]};
    }
    for (size_t i = 0; i < COUNT(edge_cases); i++, k++) {
        names[k] = name_of("grammar", edge_cases[i].name);
        t[k] = (struct CMUnitTest){names[k], run_ok_case, 0, 0, (void *)&edge_cases[i]};
    }
    for (size_t i = 0; i < COUNT(bad_cases); i++, k++) {
        names[k] = name_of("malformed", bad_cases[i].name);
        t[k] = (struct CMUnitTest){names[k], run_bad_case, 0, 0, (void *)&bad_cases[i]};
    }
    for (size_t i = 0; i < COUNT(quote_cases); i++, k++) {
        names[k] = name_of("mi_quote", quote_cases[i].name);
        t[k] = (struct CMUnitTest){names[k], run_quote_case, 0, 0, (void *)&quote_cases[i]};
    }
    for (size_t i = 0; i < COUNT(fixed); i++, k++)
        t[k] = fixed[i];
    int failed = _cmocka_run_group_tests("adapter-mi", t, n, 0, 0);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(t);
    return failed ? 1 : 0;
}
