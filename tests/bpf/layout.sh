#!/usr/bin/env bash
# The bpf() attribute layouts and numbers of include/osdbg/bpf_attr.h and
# bpf_ids.h against Linux's uapi header, line by line.
set -uo pipefail
b=$1
diff <("$b/layout_linux") <("$b/layout_osdbg") >"$b/layout.diff"
total=$("$b/layout_linux" | wc -l)
failed=$(grep -c '^<' "$b/layout.diff")
cat "$b/layout.diff"
echo "$((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
