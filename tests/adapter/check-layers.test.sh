#!/usr/bin/env bash
# check-layers.test.sh - scripts/check-layers.sh on small synthetic adapters.
# Each case builds a fake adapter/ (layers core < dap < dap/handler < cmd) and
# its objects (gcc -c) in a temporary folder, breaks one rule, and checks the
# exit status and the FAIL line the checker prints.  Needs gcc and nm.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
checker=$top/scripts/check-layers.sh
unset LAYERS OSDBG_BUILD
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-layers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
    fail=$((fail + 1))
    echo "FAIL $1: $2"
    # The checker's output, indented: its own "N passed" line is not ours.
    printf '%s\n' "$out" | sed 's/^/    | /'
}

for tool in gcc nm; do
    command -v "$tool" >/dev/null || { echo "FAIL $tool not found"; echo "0 passed, 1 failed"; exit 1; }
done

# The clean tree: every use goes down (or stays in its folder), and headers
# from outside adapter/ (<stdio.h>, "osdbg/proto.h" from include/) are ignored.
base=$tmp/base
mkdir -p "$base"/adapter/{core,dap/handler,cmd} "$base"/include/osdbg
cat >"$base/adapter/LAYERS" <<'EOF'
# The adapter's layers, lowest first.
core
dap        # the protocol
dap/handler
cmd
EOF
cat >"$base/include/osdbg/proto.h" <<'EOF'
#define PROTO_VERSION 1
EOF
cat >"$base/adapter/core/buf.h" <<'EOF'
#pragma once
#include <stddef.h>
extern int buf_count;
size_t buf_len(const char *s);
EOF
cat >"$base/adapter/core/buf.c" <<'EOF'
#include "core/buf.h"
#include "osdbg/proto.h"
int buf_count;
size_t buf_len(const char *s) { size_t n = 0; while (s[n]) n++; buf_count++; return n + PROTO_VERSION - 1; }
EOF
cat >"$base/adapter/core/loop.h" <<'EOF'
#pragma once
void loop_run(void);
EOF
cat >"$base/adapter/core/loop.c" <<'EOF'
#include "core/loop.h"
#include "buf.h"
void loop_run(void) { buf_len("x"); }
EOF
cat >"$base/adapter/dap/dap.h" <<'EOF'
#pragma once
#include "core/buf.h"
int dap_send(const char *msg);
extern int dap_state;
EOF
cat >"$base/adapter/dap/dap.c" <<'EOF'
#include <stdio.h>
#include "dap/dap.h"
#include "core/loop.h"
int dap_state;
int dap_send(const char *msg) { loop_run(); return printf("%zu\n", buf_len(msg)); }
EOF
cat >"$base/adapter/dap/handler/handlers.h" <<'EOF'
#pragma once
void handlers_init(void);
EOF
cat >"$base/adapter/dap/handler/handlers.c" <<'EOF'
#include "dap/handler/handlers.h"
#include "dap/dap.h"
void handlers_init(void) { dap_state = dap_send("init"); }
EOF
cat >"$base/adapter/cmd/main.c" <<'EOF'
#include "dap/handler/handlers.h"
#include "core/buf.h"
int main(void) { handlers_init(); return buf_count; }
EOF

# build DIR [OUT]: compiles DIR/adapter/**/*.c into DIR/OUT/adapter (OUT: build),
# all at once; fails if any does not compile.
build() {
    local dir=$1 out=${2:-build}
    (
        cd "$dir" || exit 1
        pids=()
        while read -r c; do
            o=$out/${c%.c}.o
            mkdir -p "${o%/*}"
            gcc -std=gnu11 -O2 -MMD -MP -Iadapter -Iinclude -c "$c" -o "$o" &
            pids+=($!)
        done < <(find adapter -name '*.c')
        st=0
        for p in "${pids[@]}"; do wait "$p" || st=1; done
        exit $st
    )
}

# tree NAME: a fresh copy of the clean tree, built, in $tmp/NAME.
tree() {
    rm -rf "${tmp:?}/$1"
    cp -r "$base" "$tmp/$1"
    build "$tmp/$1" || { echo "FAIL building $1"; fail=$((fail + 1)); }
}

# run DIR [ARGS...]: runs the checker in DIR; sets out and rc.  Environment
# assignments may precede it (LAYERS=..., OSDBG_BUILD=...).
run() {
    local dir=$1
    shift
    out=$(cd "$dir" && "$checker" "$@" 2>&1)
    rc=$?
}

# expect NAME RC PATTERN...: the last run exited RC, printed a line matching
# each PATTERN (grep -E; a leading ! means no line may match), and ended with
# a "N passed, M failed" line whose M is 0 exactly when RC is 0.
expect() {
    local name=$1 want=$2 pat last m
    shift 2
    if [ "$rc" != "$want" ]; then bad "$name" "exit status $rc, want $want"; return; fi
    for pat in "$@"; do
        if [ "${pat:0:1}" = "!" ]; then
            if grep -qE -- "${pat:1}" <<<"$out"; then bad "$name" "a line matches /${pat:1}/"; return; fi
        elif ! grep -qE -- "$pat" <<<"$out"; then
            bad "$name" "no line matches /$pat/"
            return
        fi
    done
    last=$(tail -1 <<<"$out")
    if ! [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then bad "$name" "last line '$last' is not 'N passed, M failed'"; return; fi
    m=${BASH_REMATCH[2]}
    if { [ "$want" = 0 ] && [ "$m" != 0 ]; } || { [ "$want" != 0 ] && [ "$m" = 0 ]; }; then
        bad "$name" "last line '$last' does not match exit status $rc"
        return
    fi
    ok "$name"
}

build "$base" || { echo "FAIL building the clean tree"; echo "0 passed, 1 failed"; exit 1; }

# --- the clean tree passes, whichever way the build folder is given ---------
run "$base"
expect "clean tree passes" 0 \
    '^check-layers: 9 files in 4 layers, [0-9]+ calls and [0-9]+ includes checked, no upward edge, no cycle$' \
    '^[1-9][0-9]* passed, 0 failed$' '!FAIL'
calls=$(sed -nE 's/.* ([0-9]+) calls and ([0-9]+) includes.*/\1 \2/p' <<<"$out")
# calls: loop->buf_len, dap->loop_run, dap->buf_len, handlers->dap_send,
# handlers->dap_state, main->handlers_init, main->buf_count; includes into
# adapter/: 10 (<stdio.h>, <stddef.h>, "osdbg/proto.h" are not the adapter's).
if [ "$calls" = "7 10" ]; then ok "clean tree: every call and include counted"; else
    bad "clean tree: every call and include counted" "counted '$calls', want '7 10'"
fi
tree out-dir
mv "$tmp/out-dir/build" "$tmp/out-dir/obj"
run "$tmp/out-dir" obj
expect "build folder as argument" 0 'no upward edge, no cycle'
OSDBG_BUILD=obj run "$tmp/out-dir"
expect "build folder from OSDBG_BUILD" 0 'no upward edge, no cycle'
run "$tmp/out-dir"
expect "default build folder is build" 1 '^FAIL not built: adapter/core/buf.c has no object build/adapter/core/buf.o; build first'
run "$base" --help
expect_help() { if [ "$rc" = 0 ] && grep -q '^usage: scripts/check-layers.sh \[BUILD\]' <<<"$out"; then ok "$1"; else bad "$1" "exit $rc"; fi; }
expect_help "--help prints the usage"

# --- 1. upward includes ------------------------------------------------------
tree up-include
sed -i '1i #include "dap/dap.h"' "$tmp/up-include/adapter/core/loop.c"
build "$tmp/up-include"
run "$tmp/up-include"
expect "upward include fails" 1 \
    '^FAIL upward include: adapter/core/loop.c:1 \(layer core\) includes "dap/dap.h" of higher layer dap$' \
    '!upward call'

tree up-include-h
printf '#include "cmd/cmd.h"\n' >>"$tmp/up-include-h/adapter/core/buf.h"
printf '#pragma once\n' >"$tmp/up-include-h/adapter/cmd/cmd.h"
build "$tmp/up-include-h"
run "$tmp/up-include-h"
expect "upward include from a header fails" 1 \
    '^FAIL upward include: adapter/core/buf.h:[0-9]+ \(layer core\) includes "cmd/cmd.h" of higher layer cmd$'

# dap/handler is a layer of its own, above dap; a "x" include is looked up
# beside the including file first, as gcc does.
tree nested
sed -i '1i #include "handler/handlers.h"' "$tmp/nested/adapter/dap/dap.c"
build "$tmp/nested"
run "$tmp/nested"
expect "dap/handler is above dap (include beside the file)" 1 \
    '^FAIL upward include: adapter/dap/dap.c:1 \(layer dap\) includes "handler/handlers.h" \(adapter/dap/handler/handlers.h\) of higher layer dap/handler$'

# --- 2. upward calls and variable uses ---------------------------------------
tree up-call
cat >>"$tmp/up-call/adapter/core/loop.c" <<'EOF'
int dap_send(const char *msg);
void loop_ping(void) { dap_send("ping"); }
EOF
build "$tmp/up-call"
run "$tmp/up-call"
expect "upward call fails" 1 \
    '^FAIL upward call: adapter/core/loop.c \(layer core\) calls dap_send\(\), defined in adapter/dap/dap.c of higher layer dap$' \
    '^FAIL file cycle: adapter/core/loop.c -\[calls dap_send\(\)\]-> adapter/dap/dap.c -\[calls loop_run\(\)\]-> adapter/core/loop.c$' \
    '^FAIL folder cycle: core -\[adapter/core/loop.c calls dap_send\(\)\]-> dap -\[adapter/dap/dap.c [^]]+\]-> core$' \
    '!upward include'

tree up-var
cat >>"$tmp/up-var/adapter/core/buf.c" <<'EOF'
extern int dap_state;
int buf_state(void) { return dap_state; }
EOF
build "$tmp/up-var"
run "$tmp/up-var"
expect "upward variable use fails" 1 \
    '^FAIL upward call: adapter/core/buf.c \(layer core\) uses variable dap_state, defined in adapter/dap/dap.c of higher layer dap$'

# --- 3. cycles -------------------------------------------------------------
tree call-cycle
cat >>"$tmp/call-cycle/adapter/core/buf.c" <<'EOF'
void loop_run(void);
void buf_flush(void) { loop_run(); }
EOF
build "$tmp/call-cycle"
run "$tmp/call-cycle"
expect "call cycle inside one folder fails" 1 \
    '^FAIL file cycle: adapter/core/buf.c -\[calls loop_run\(\)\]-> adapter/core/loop.c -\[(calls buf_len\(\)|includes "buf.h")\]-> adapter/core/buf.c$' \
    '!upward' '!folder cycle'

tree include-cycle
sed -i '1i #include "core/loop.h"' "$tmp/include-cycle/adapter/core/buf.h"
build "$tmp/include-cycle"
run "$tmp/include-cycle"
expect "include cycle between headers fails" 1 \
    '^FAIL file cycle: adapter/core/buf.c -\[buf.h includes "core/loop.h"\]-> adapter/core/loop.c -\[(calls buf_len\(\)|includes "buf.h")\]-> adapter/core/buf.c$' \
    '!upward'

tree knot
d=$tmp/knot/adapter/core
printf 'void a(void); void b(void); void a(void) { b(); }\n' >"$d/a.c"
printf 'void b(void); void c(void); void b(void) { c(); }\n' >"$d/b.c"
printf 'void c(void); void a(void); void b(void); void c(void) { a(); b(); }\n' >"$d/c.c"
build "$tmp/knot"
run "$tmp/knot"
expect "three-file cycle is printed whole" 1 \
    '^FAIL file cycle: adapter/core/a.c -\[calls b\(\)\]-> adapter/core/b.c -\[calls c\(\)\]-> adapter/core/c.c -\[calls a\(\)\]-> adapter/core/a.c$'

# A header may declare the functions of several .c files: a .c including the
# header that declares its own function depends on nothing by that include.
tree shared
printf 'int buf_fmt(void);\n' >>"$tmp/shared/adapter/core/buf.h"
printf '#include "core/buf.h"\nint buf_fmt(void) { return 1; }\n' >"$tmp/shared/adapter/core/buffmt.c"
printf 'int buf_two(void) { return buf_fmt() + 1; }\n' >>"$tmp/shared/adapter/core/buf.c"
build "$tmp/shared"
run "$tmp/shared"
expect "a header shared by two .c files is no cycle" 0 'no upward edge, no cycle'
# ... but a name in a comment declares nothing.
tree shared-comment
printf '/* buf_fmt() is in buffmt.c */\n' >>"$tmp/shared-comment/adapter/core/buf.h"
printf '#include "core/buf.h"\nint buf_fmt(void) { return 1; }\n' >"$tmp/shared-comment/adapter/core/buffmt.c"
printf 'int buf_fmt(void);\nint buf_two(void) { return buf_fmt() + 1; }\n' >>"$tmp/shared-comment/adapter/core/buf.c"
build "$tmp/shared-comment"
run "$tmp/shared-comment"
expect "a name in a header comment is no declaration" 1 \
    '^FAIL file cycle: adapter/core/buf.c -\[calls buf_fmt\(\)\]-> adapter/core/buffmt.c -\[includes "core/buf.h"\]-> adapter/core/buf.c$'

# --- 4. nothing unchecked ----------------------------------------------------
tree unknown
mkdir -p "$tmp/unknown/adapter/misc"
printf 'int misc(void) { return 0; }\n' >"$tmp/unknown/adapter/misc/misc.c"
build "$tmp/unknown"
run "$tmp/unknown"
expect "unknown folder fails" 1 \
    '^FAIL unknown folder: adapter/misc/misc.c is in folder misc, which adapter/LAYERS does not list$'

tree flat
printf 'int flat(void) { return 0; }\n' >"$tmp/flat/adapter/flat.c"
build "$tmp/flat"
run "$tmp/flat"
expect "file directly in adapter/ fails" 1 \
    '^FAIL unknown folder: adapter/flat.c is directly in adapter/, in no layer folder listed in adapter/LAYERS$'

tree deeper
mkdir -p "$tmp/deeper/adapter/dap/handler/extra"
printf '#pragma once\n' >"$tmp/deeper/adapter/dap/handler/extra/x.h"
run "$tmp/deeper"
expect "unlisted subfolder of a layer fails" 1 \
    '^FAIL unknown folder: adapter/dap/handler/extra/x.h is in folder dap/handler/extra, which adapter/LAYERS does not list$'

tree missing
rm "$tmp/missing/build/adapter/dap/dap.o"
run "$tmp/missing"
expect "missing object fails" 1 \
    '^FAIL not built: adapter/dap/dap.c has no object build/adapter/dap/dap.o; build first \(make\)$'

tree stale
touch -d '2000-01-01' "$tmp/stale/build/adapter/core/loop.o"
run "$tmp/stale"
expect "object older than its source fails" 1 \
    '^FAIL out of date: build/adapter/core/loop.o is older than adapter/core/loop.c; build first \(make\)$'
tree stale-h
touch -d '2000-01-01' "$tmp/stale-h/build/adapter/cmd/main.o" "$tmp/stale-h/adapter/cmd/main.c"
run "$tmp/stale-h"
expect "object older than a header it was built from fails" 1 \
    '^FAIL out of date: build/adapter/cmd/main.o is older than adapter/dap/handler/handlers.h; build first \(make\)$'

# --- the layer list ----------------------------------------------------------
printf 'core\ndap\n# no dap/handler\ncmd\n' >"$tmp/layers.short"
LAYERS=$tmp/layers.short run "$base"
expect "LAYERS names the list; an omitted layer fails" 1 \
    "^FAIL unknown folder: adapter/dap/handler/handlers.c is in folder dap/handler, which $tmp/layers.short does not list\$"

printf 'cmd\ndap/handler\ndap\ncore\n' >"$tmp/layers.reversed"
LAYERS=$tmp/layers.reversed run "$base"
expect "the order of LAYERS is the order of the layers" 1 \
    '^FAIL upward call: adapter/cmd/main.c \(layer cmd\) calls handlers_init\(\), defined in adapter/dap/handler/handlers.c of higher layer dap/handler$' \
    '!cycle'

printf 'core\ndap\ndap/\ndap/handler\ncmd\n' >"$tmp/layers.twice"
LAYERS=$tmp/layers.twice run "$base"
expect "a layer listed twice fails" 1 "^FAIL layer list: $tmp/layers.twice:3: dap is listed twice \(first on line 2\)\$"

LAYERS=$tmp/no-such-file run "$base"
expect "a missing layer list is an error" 2 "check-layers: error: no layer list $tmp/no-such-file"

printf 'core\ndap\ndap/handler\ncmd\nside\n' >"$tmp/layers.extra"
LAYERS=$tmp/layers.extra run "$base"
expect "an empty layer is only a note" 0 '^check-layers: note: layer side \(adapter/side/\) has no source file$' \
    '^check-layers: 9 files in 5 layers'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
