#!/bin/sh
# Turn the "#define NAME number /* comment */" lines of a C header into Rust
# constants, so Rust code shares the header's numbers instead of copying them
# (one source for shared numbers: include/osdbg/syscall_nr.h).
#
#   scripts/gen-rust-consts.sh HEADER [TYPE] > out.rs      (TYPE: usize)
#
#   #define SYS_write 64 /* write(fd, buf, n) */
# becomes
#   /// write(fd, buf, n)
#   pub const SYS_WRITE: usize = 64;
#
# Names are upper-cased (Rust's naming for constants).  Other lines (include
# guards, comments) are skipped.  Fails if the header yields no constant, so a
# changed header format cannot silently produce an empty file.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 HEADER [TYPE]" >&2
    exit 2
fi
header=$1
type=${2:-usize}

out=$(sed -nE \
    -e 's@^#define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]+([0-9]+)[[:space:]]*/\*[[:space:]]*(.*[^[:space:]])[[:space:]]*\*/[[:space:]]*$@/// \3\npub const \U\1\E: '"$type"' = \2;@p' \
    -e 's@^#define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]+([0-9]+)[[:space:]]*$@pub const \U\1\E: '"$type"' = \2;@p' \
    "$header")
[ -n "$out" ] || { echo "$0: no '#define NAME number' lines in $header" >&2; exit 1; }

printf '// Generated from %s by scripts/gen-rust-consts.sh; do not edit.\n%s\n' "$header" "$out"
