#!/usr/bin/env bash
# test_cli.sh BIN PROGS - the pinned interface of ebpf-run (issue 4):
#   ebpf-run [MEMHEX] [--jit] [--elf] [--verify]
# Expected outputs follow from RFC 9669 and the interface text.
set -u
run=$1 progs=$2
pass=0 fail=0

# expect NAME WANT_STDOUT WANT_STATUS STDERR_PATTERN -- ARGS... (stdin: program)
expect() {
    local name=$1 want=$2 status=$3 errpat=$4; shift 5
    local out err rc
    err=$(mktemp)
    out=$("$run" "$@" 2>"$err")
    rc=$?
    if [ "$out" = "$want" ] && [ "$rc" = "$status" ] &&
        { [ -z "$errpat" ] || grep -qE -- "$errpat" "$err"; }; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name: stdout '$out' (want '$want'), status $rc (want $status), stderr: $(cat "$err")"
    fi
    rm -f "$err"
}

RET42="b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00"
LDW="61 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00"    # r0 = *(u32 *)(r1 + 0)
LEN="bf 20 00 00 00 00 00 00 95 00 00 00 00 00 00 00"    # r0 = r2
R1="bf 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00"     # r0 = r1
OOB="61 10 04 00 00 00 00 00 95 00 00 00 00 00 00 00"    # r0 = *(u32 *)(r1 + 4)
# call 5; r6 = r0; call 5; r0 -= r6; r1 = r0; r0 = 1; if r1 s>= 0 goto +1; r0 = 0; exit
MONO="85 00 00 00 05 00 00 00 bf 06 00 00 00 00 00 00 85 00 00 00 05 00 00 00 1f 60 00 00 00 00 00 00 bf 01 00 00 00 00 00 00 b7 00 00 00 01 00 00 00 75 01 01 00 00 00 00 00 b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"
# lddw r0, 0xffffffff80000000 (low half taken as unsigned 32 bits)
LDDW="18 00 00 00 00 00 00 80 00 00 00 00 ff ff ff ff 95 00 00 00 00 00 00 00"

for mode in "" "--jit"; do
    m=${mode:-interp}
    expect "$m return 42" "0x2a" 0 "" -- $mode <<<"$RET42"
    expect "$m memhex spaced" "0x10ff00" 0 "" -- "00 ff 10 00" $mode <<<"$LDW"
    expect "$m memhex packed" "0x10ff00" 0 "" -- 00ff1000 $mode <<<"$LDW"
    expect "$m r2 is the length" "0x3" 0 "" -- "00ff10" $mode <<<"$LEN"
    expect "$m r1 is 0 without memhex" "0x0" 0 "" -- $mode <<<"$R1"
    expect "$m lddw unsigned low half" "0xffffffff80000000" 0 "" -- $mode <<<"$LDDW"
    expect "$m helper 5 is monotonic" "0x1" 0 "" -- $mode <<<"$MONO"
    expect "$m program packed hex" "0x2a" 0 "" -- $mode <<<"${RET42// /}"
    expect "$m verify accepts" "0x10ff00" 0 "" -- 00ff1000 --verify $mode <<<"$LDW"
    expect "$m verify rejects ctx overrun" "" 1 "invalid bpf_context access" -- 00ff10 --verify $mode <<<"$LDW"
    expect "$m elf main" "0x181" 0 "" -- --elf $mode <"$progs/calls.o"
    expect "$m elf verify" "0x181" 0 "" -- --elf --verify $mode <"$progs/calls.o"
done
expect "bounds-checked interpreter stops an overrun" "" 1 "insn 0: out of bounds" -- 00ff10 <<<"$OOB"
expect "odd program size" "" 1 "multiple of 8" -- <<<"b7 00 00"
expect "not hex" "" 1 "not hex" -- <<<"zz"
expect "bad opcode" "" 1 "unknown opcode" -- <<<"ff 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"
expect "verify: missing r0" "" 1 "R0 !read_ok" -- --verify <<<"95 00 00 00 00 00 00 00"
expect "elf without main" "" 1 "no program or function named 'main'" -- --elf <"$progs/probe.o"
expect "bad option" "" 1 "usage" -- --bogus <<<"$RET42"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
