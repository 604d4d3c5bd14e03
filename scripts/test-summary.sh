#!/usr/bin/env bash
# test-summary.sh [SUITE...]
# Adds up what scripts/run-suite.sh recorded and prints the closing line the CI
# reads: "N passed, N failed".  Exits non-zero if anything failed.  Each SUITE
# named (the test targets without "test-") that recorded nothing, because its
# build failed and make -k went on, counts as one failure: a suite never run
# must not vanish from the count.
set -uo pipefail
results=${RESULTS:-build/test-results}
pass=0 fail=0
echo "=== summary"
for s in "$@"; do
    if [ ! -f "$results/$s" ]; then
        printf '  %-24s did not run (its build failed; see above): 1 failed\n' "$s"
        fail=$((fail + 1))
    fi
done
for f in "$results"/*; do
    case "$f" in *.log) continue ;; esac
    [ -f "$f" ] || continue
    read -r p q <"$f"
    printf '  %-24s %4d passed %4d failed\n' "$(basename "$f")" "$p" "$q"
    pass=$((pass + p)) fail=$((fail + q))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
