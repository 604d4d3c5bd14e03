#!/usr/bin/env bash
# compare.sh BASE BENCH KERNELS_O: the host interpreter and the verifier of
# commit BASE against the current ones, in the same run (make bench-ebpf,
# EBPF_BASE).  BASE's bench is built from its own sources in a temporary
# folder; then the two benches run in turns, base first, ROUNDS times each,
# on the same kernels object, and each figure's best (lowest) over the
# rounds is compared: on a shared machine a round that other work slowed
# down says nothing of the code, the best one does.  A ratio current/base
# below 1 is faster now.
set -uo pipefail
base=$1 bench=$2 kernels=$3
rounds=${ROUNDS:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/osdbg-ebpf-base.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

short=$(git -C "$top" rev-parse --short "$base" 2>/dev/null) || {
    echo "no comparison: $base is not a commit of this repository"; exit 0; }
echo "eBPF library of $short against the current one, $rounds rounds each, taking turns"
if ! git -C "$top" archive "$base" | tar -x -C "$tmp" ||
   ! make -s -C "$tmp" "$tmp/build/ebpf/bench/bench" >"$tmp/build.log" 2>&1; then
    echo "no comparison: $short's bench does not build:"; tail -3 "$tmp/build.log" | sed 's/^/   /'
    exit 0
fi
for ((r = 0; r < rounds; r++)); do
    "$tmp/build/ebpf/bench/bench" "$kernels" >"$tmp/base.$r" 2>&1
    "$bench" "$kernels" >"$tmp/cur.$r" 2>&1
done

# Rows "kernel insns ms ns/insn checked" of the interpreter table and
# "insns processed ms us/insn KiB" of the verifier's; one figure per
# round, the best of each, ratios.
awk -v rounds="$rounds" -v short="$short" '
function best(key,    i, b) {
    b = -1
    for (i = 0; i < rounds; i++) if ((key, i) in fig && (b < 0 || fig[key, i] < b)) b = fig[key, i]
    return b
}
FNR == 1 { side = FILENAME ~ /base\.[0-9]+$/ ? "base" : "cur"; round = FILENAME; sub(/.*\./, "", round); table = "" }
/^host interpreter/ { table = "interp"; next }
/^verifier time/ { table = "verifier"; next }
/^$/ { table = ""; next }
table == "interp" && $2 ~ /^[0-9]+$/ { fig[side, "interp " $1, round] = $4; fig[side, "checked " $1, round] = $5; seen["interp " $1]; seen["checked " $1]; order[++n] = "interp " $1; order2[n] = "checked " $1 }
table == "verifier" && $2 ~ /^[0-9]+$/ { fig[side, "verify " $1, round] = $3; seen["verify " $1]; vorder[++vn] = "verify " $1 }
END {
    printf "  %-22s %10s %10s %8s\n", "figure (best)", short, "current", "ratio"
    for (i = 1; i <= n; i++) for (k = 0; k < 2; k++) {
        key = k ? order2[i] : order[i]
        if (done[key]++) continue
        b = best("base" SUBSEP key); c = best("cur" SUBSEP key)
        if (b > 0 && c > 0) printf "  %-22s %10.2f %10.2f %8.2f   ns/insn\n", key, b, c, c / b
    }
    for (i = 1; i <= vn; i++) {
        key = vorder[i]
        if (done[key]++) continue
        b = best("base" SUBSEP key); c = best("cur" SUBSEP key)
        if (b > 0 && c > 0) printf "  %-22s %10.3f %10.3f %8.2f   ms\n", key, b, c, c / b
        else if (c > 0) printf "  %-22s %10s %10.3f %8s   ms (not in %s)\n", key, "-", c, "-", short
    }
}' $(for ((r = 0; r < rounds; r++)); do echo "$tmp/base.$r" "$tmp/cur.$r"; done)
