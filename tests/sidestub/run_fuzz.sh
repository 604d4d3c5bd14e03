#!/usr/bin/env bash
# run_fuzz.sh FUZZER SECONDS CORPUS_DIR DICT - a bounded libFuzzer run of the side-stub
# receive path for `make test` (run longer by hand: FUZZER -dict=DICT CORPUS_DIR).
set -u
fuzzer=$1 secs=$2 corpus=$3 dict=$4
mkdir -p "$corpus"
# Seeds: a few well-formed streams, so the run starts past the framing.
printf '\x05+$OK#9a%%vTE:1,2,3,0,5,sh;Thi#5b-$E02#a7' >"$corpus/seed-stream"
printf '\x01$vTUmatrix:0x0001097e#5c$vTR10#7d' >"$corpus/seed-requests"
"$fuzzer" -max_total_time="$secs" -max_len=4096 -dict="$dict" -print_final_stats=1 "$corpus" 2>&1 |
    grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|INFO: Running|.*deadly signal)"
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
    echo "1 passed, 0 failed"
else
    echo "fuzzer exited with status $status (crash artifacts are in $(pwd))"
    echo "0 passed, 1 failed"
fi
exit "$status"
