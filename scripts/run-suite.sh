#!/usr/bin/env bash
# run-suite.sh NAME CMD [ARGS...]
# Runs one test suite, shows its output, and records how many of its tests
# passed and failed in $RESULTS/NAME (read by scripts/test-summary.sh).
# Understands node:test ("# pass N"/"# fail N"), cmocka ("[  PASSED  ] N test(s)")
# and the plain "N passed, N failed" line.  A suite that exits non-zero without
# reporting a failure is recorded as one failure, so a crash is never lost.
set -uo pipefail
name=$1; shift
results=${RESULTS:-build/test-results}
mkdir -p "$results"
log="$results/$name.log"
echo "=== suite $name: $*"
"$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
pass=0 fail=0
if grep -qE '^# (pass|fail) [0-9]+' "$log"; then
    pass=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
    fail=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
    # A test cancelled by its time limit is a failure too, and so is every
    # top-level "not ok" whatever the totals say.
    cancelled=$(grep -E '^# cancelled [0-9]+' "$log" | tail -1 | awk '{print $3}')
    notok=$(grep -cE '^not ok ' "$log")
    fail=$((${fail:-0} + ${cancelled:-0}))
    [ "$notok" -gt "$fail" ] && fail=$notok
elif grep -qE '^\[  (PASSED|FAILED)  \] [0-9]+ test' "$log"; then
    pass=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{s+=$4} END{print s+0}')
    fail=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END{print s+0}')
elif grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log"; then
    pass=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | awk '{print $1}')
    fail=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | awk '{print $3}')
fi
if [ "$status" -ne 0 ] && [ "${fail:-0}" -eq 0 ]; then
    echo "suite $name: exited with status $status without reporting a failed test; counted as a failure"
    fail=1
fi
if [ "$status" -eq 0 ] && [ "${pass:-0}" -eq 0 ] && [ "${fail:-0}" -eq 0 ]; then
    echo "suite $name: ran no test; counted as a failure"
    fail=1
fi
echo "$pass $fail" >"$results/$name"
[ "$fail" -eq 0 ]
