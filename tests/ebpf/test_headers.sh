#!/usr/bin/env bash
# test_headers.sh KERNEL_ELF - include/bpf/ as programs use it (issue 18):
#   - every macro (tests/ebpf/progs/headers_all.c) compiles with -Wall -Werror
#     -Werror=int-conversion (clang 15's default) under clang 14, with
#     <linux/bpf.h> before bpf_helpers.h, after it, and without it (also
#     without the multiarch include path, where <linux/bpf.h> cannot be used);
#   - the object has no CO-RE relocation (bpf_core_read.h reads at fixed
#     offsets: the loader refuses CO-RE);
#   - <bpf/osdbg.h> matches the kernel: each struct's size and every field's
#     offset and size, as GDB prints them from the DWARF of KERNEL_ELF and of
#     an object compiled from osdbg.h (`ptype/o`).
set -u
kernel=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

multi=/usr/include/$(gcc -print-multiarch)
flags=(-O2 -g -target bpf -D__TARGET_ARCH_riscv -I"$top/include" -Wall -Werror -Werror=int-conversion)
for order in none LINUX_BPF_FIRST LINUX_BPF_AFTER; do
    def=(); [ "$order" = none ] || def=(-D"$order")
    if clang "${flags[@]}" -I"$multi" "${def[@]}" -c "$top/tests/ebpf/progs/headers_all.c" \
        -o "$tmp/all-$order.o" 2>"$tmp/err"; then ok; else bad "headers ($order): $(head -5 "$tmp/err")"; fi
done
if clang "${flags[@]}" -c "$top/tests/ebpf/progs/headers_all.c" -o "$tmp/nomulti.o" 2>"$tmp/err"; then
    ok
else
    bad "headers without $multi: $(head -5 "$tmp/err")"
fi
# No CO-RE relocation: the core_relo part of .BTF.ext (its header's u32 at
# byte 28, when the header is 32 bytes long or more) is empty.
core_relo_len() {
    llvm-objcopy --dump-section .BTF.ext="$tmp/ext" "$1" "$tmp/scratch.o" || return 1
    local hdr; hdr=$(od -An -t u4 -j 4 -N 4 "$tmp/ext" | tr -d ' ')
    if [ "$hdr" -lt 32 ]; then echo 0; else od -An -t u4 -j 28 -N 4 "$tmp/ext" | tr -d ' '; fi
}
n=$(core_relo_len "$tmp/all-none.o")
if [ "$n" = 0 ]; then ok; else bad "headers_all.o has $n bytes of CO-RE relocations"; fi

# osdbg.h against the kernel's DWARF.
structs="proc trapframe context cpu file"
printf '#include <bpf/osdbg.h>\n' >"$tmp/o.c"
for s in $structs; do printf 'struct %s v_%s;\n' "$s" "$s" >>"$tmp/o.c"; done
clang -O0 -g -target bpf -I"$top/include" -c "$tmp/o.c" -o "$tmp/o.o" || bad "osdbg.h does not compile"
# ptype/o lines: "/* OFF | SIZE */ TYPE NAME;" -> "OFF SIZE NAME" (types differ
# in spelling: uint64_t vs unsigned long long), then the total size.
layout() {
    gdb-multiarch -batch -nx -ex "ptype/o struct $2" "$1" 2>/dev/null |
        sed -nE 's#^/\* *([0-9]+) *\| *([0-9]+) \*/.*[ *]([A-Za-z_0-9]+)(\[[0-9]+\])?;$#\1 \2 \3#p; s#.*total size \(bytes\): *([0-9]+).*#size \1#p'
}
for s in $structs; do
    layout "$kernel" "$s" >"$tmp/k.$s"
    layout "$tmp/o.o" "$s" >"$tmp/h.$s"
    if [ ! -s "$tmp/k.$s" ]; then
        bad "struct $s: not in $kernel's DWARF"
    elif diff "$tmp/k.$s" "$tmp/h.$s" >"$tmp/d"; then
        ok
    else
        bad "struct $s: osdbg.h differs from the kernel (< kernel, > osdbg.h): $(cat "$tmp/d")"
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
