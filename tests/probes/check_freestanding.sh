#!/usr/bin/env bash
# check_freestanding.sh LIB: the kernel-flag build of the probe engine must not
# call anything it does not define (no memset/memcpy, no libgcc, no libc), and
# must export only rvprobe_* symbols.  Prints "N passed, N failed".
set -uo pipefail
lib=$1
nm=riscv64-unknown-elf-nm
pass=0 fail=0
# -P: "name type [value size]" lines, plus "archive[member]:" headers
defined=$($nm -P -g --defined-only "$lib" | grep -v ':$' | awk '{print $1}' | sort -u)
undef=$($nm -P -g --undefined-only "$lib" | grep -v ':$' | awk '{print $1}' | sort -u)
external=$(comm -23 <(echo "$undef") <(echo "$defined") | grep -v '^$' || true)
if [ -z "$external" ]; then
    echo "ok: no external references"; pass=$((pass + 1))
else
    echo "FAIL: external references: $external"; fail=$((fail + 1))
fi
foreign=$(echo "$defined" | grep -v '^rvprobe_' | grep -v '^$' || true)
if [ -z "$foreign" ]; then
    echo "ok: every exported symbol has the rvprobe_ prefix"; pass=$((pass + 1))
else
    echo "FAIL: exported without the prefix: $foreign"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
