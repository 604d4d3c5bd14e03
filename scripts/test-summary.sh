#!/usr/bin/env bash
# Adds up what scripts/run-suite.sh recorded and prints the closing line the CI
# reads: "N passed, N failed".  Exits non-zero if anything failed.
set -uo pipefail
results=${RESULTS:-build/test-results}
pass=0 fail=0
echo "=== summary"
for f in "$results"/*; do
    case "$f" in *.log) continue ;; esac
    [ -f "$f" ] || continue
    read -r p q <"$f"
    printf '  %-24s %4d passed %4d failed\n' "$(basename "$f")" "$p" "$q"
    pass=$((pass + p)) fail=$((fail + q))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
