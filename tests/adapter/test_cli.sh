#!/usr/bin/env bash
# test_cli.sh OSDBG - the command-line conventions of every osdbg subcommand
# (issue 11): --help/-h prints the usage on stdout and exits 0 (nothing on
# stderr); a usage error prints on stderr and exits 2 (nothing on stdout);
# `osdbg --version` prints one line with the version that the VS Code
# extension's package.json also carries.
set -u
osdbg=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# help NAME PATTERN -- ARGS: status 0, usage on stdout matching PATTERN, empty stderr
help() {
    local name=$1 pat=$2; shift 3
    local out err rc
    err=$(mktemp)
    out=$(timeout 10 "$osdbg" "$@" 2>"$err" </dev/null)
    rc=$?
    if [ "$rc" = 0 ] && grep -qE -- "$pat" <<<"$out" && [ ! -s "$err" ]; then ok; else
        bad "$name: status $rc (want 0), stdout '$(head -1 <<<"$out")', stderr '$(head -1 "$err")'"
    fi
    rm -f "$err"
}

# usage NAME PATTERN -- ARGS: status 2, PATTERN on stderr, empty stdout
usage() {
    local name=$1 pat=$2; shift 3
    local out err rc
    err=$(mktemp)
    out=$(timeout 10 "$osdbg" "$@" 2>"$err" </dev/null)
    rc=$?
    if [ "$rc" = 2 ] && grep -qE -- "$pat" "$err" && grep -q '^usage: osdbg' "$err" && [ -z "$out" ]; then ok; else
        bad "$name: status $rc (want 2), stdout '$(head -1 <<<"$out")', stderr '$(head -1 "$err")'"
    fi
    rm -f "$err"
}

help "osdbg --help" '^usage: osdbg dap' -- --help
help "osdbg -h" '^usage: osdbg dap' -- -h
help "osdbg help" '^usage: osdbg dap' -- help
for cmd in dap console run record trace; do
    help "osdbg $cmd --help" "^usage: osdbg $cmd" -- "$cmd" --help
    help "osdbg $cmd -h" "^usage: osdbg $cmd" -- "$cmd" -h
done
# --help wins wherever it stands, and starts nothing (no QEMU for run).
help "osdbg run run=hello --help" '^usage: osdbg run' -- run run=hello --help
help "osdbg record run=hello --help" '^usage: osdbg record' -- record run=hello --help
help "osdbg trace kprobe sys_write --help" '^usage: osdbg trace' -- trace kprobe sys_write --help

usage "osdbg with no command" 'which command' --
usage "unknown command" 'unknown command frobnicate' -- frobnicate
usage "dap: unknown option" '--bogus: unknown' -- dap --bogus
usage "dap: port is not a number" 'bad port x' -- dap --port x
usage "dap: port out of range" 'bad port 70000' -- dap --port 70000
usage "dap: --port without a value" '--port: unknown or incomplete' -- dap --port
usage "dap: --socket and --port together" 'exclude each other' -- dap --socket /nonexistent/x.sock --port 0
usage "console without a socket" 'wants one SOCKET' -- console
usage "console with two sockets" 'wants one SOCKET' -- console a b
usage "run: unknown option" '--bogus: unknown' -- run --bogus
usage "record: unknown option" '--bogus: unknown' -- record --bogus
usage "trace without a probe" 'wants a probe kind' -- trace
usage "trace: unknown option" '--bogus: unknown' -- trace --bogus kprobe sys_write
usage "trace: --duration not a number" '--duration soon: not a number' -- trace --duration soon kprobe sys_write
usage "trace: unknown probe kind" 'unknown' -- trace --socket /nonexistent/sock fooprobe sys_write

# A failure that is not a usage error exits 1.
out=$(timeout 10 "$osdbg" console /nonexistent/console.sock 2>&1); rc=$?
if [ "$rc" = 1 ]; then ok; else bad "console on a missing socket: status $rc (want 1): $out"; fi

ver=$("$osdbg" --version 2>/dev/null); rc=$?
want=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$top/editors/vscode/package.json")
if [ "$rc" = 0 ] && [ "$ver" = "osdbg $want" ] && [ -n "$want" ]; then ok; else
    bad "--version: status $rc, '$ver' (want 'osdbg $want', the extension's version)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
