#!/usr/bin/env bash
# test_summary.sh - scripts/test-summary.sh, the line CI reads: the counts of
# the suites that ran are added up, and a suite that was meant to run but
# recorded nothing (its build failed) counts as one failure.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # check NAME WANT_STATUS PATTERN -- SUITES...
    local name=$1 want=$2 pat=$3; shift 4
    local out rc
    out=$(RESULTS=$tmp "$top/scripts/test-summary.sh" "$@" 2>&1)
    rc=$?
    if [ "$rc" = "$want" ] && grep -qE -- "$pat" <<<"$out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name: status $rc (want $want): $out"
    fi
}

echo "5 0" >"$tmp/alpha"
echo "3 0" >"$tmp/beta"
echo "irrelevant" >"$tmp/alpha.log"
check "all ran and passed" 0 '^8 passed, 0 failed$' -- alpha beta
check "a suite that did not run is a failure" 1 '^8 passed, 1 failed$' -- alpha beta gamma
check "and is named" 1 'gamma +did not run' -- alpha beta gamma
echo "2 1" >"$tmp/gamma"
check "a failed test is a failure" 1 '^10 passed, 1 failed$' -- alpha beta gamma
rm -f "$tmp"/*
check "nothing ran at all" 1 '^0 passed, 0 failed$' --

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
