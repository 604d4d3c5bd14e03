#!/bin/sh
# The user programs inside the Rust kernel's image, as rCore-Tutorial-v3
# links them (its build.rs writes link_app.S): a table of where each ELF
# starts and ends, their names, and the ELFs themselves (.incbin).
#
#   scripts/gen-link-app.sh ELF... > link_app.S
#
# The kernel's loader (rkernel/src/loader.rs) reads _num_app and
# _app_names.  Each ELF is 8-byte aligned so that its header can be read
# in place.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 ELF..." >&2; exit 2; }
n=$#
echo "    .align 3"
echo "    .section .data"
echo "    .global _num_app"
echo "_num_app:"
echo "    .quad $n"
i=0
for elf in "$@"; do echo "    .quad app_${i}_start"; i=$((i + 1)); done
echo "    .quad app_$((n - 1))_end"
echo "    .global _app_names"
echo "_app_names:"
for elf in "$@"; do echo "    .string \"$(basename "$elf")\""; done
i=0
for elf in "$@"; do
    echo "    .section .data"
    echo "    .global app_${i}_start"
    echo "    .global app_${i}_end"
    echo "    .align 3"
    echo "app_${i}_start:"
    echo "    .incbin \"$elf\""
    echo "app_${i}_end:"
    i=$((i + 1))
done
