#!/usr/bin/env bash
# run_fuzz.sh FUZZER SECONDS CORPUS_DIR [SEED_DIR...] - a bounded libFuzzer run for CI
# (run longer by hand: FUZZER -max_total_time=3600 CORPUS_DIR).
set -u
fuzzer=$1 secs=$2 corpus=$3
shift 3
mkdir -p "$corpus"
"$fuzzer" -max_total_time="$secs" -max_len=8192 -print_final_stats=1 "$corpus" "$@" 2>&1 |
    grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|INFO: Running)" 
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
    echo "1 passed, 0 failed"
else
    echo "fuzzer exited with status $status (crash artifacts are in the current directory)"
    echo "0 passed, 1 failed"
fi
exit "$status"
