#!/usr/bin/env bash
# test_cli.sh BIN PROGS - the pinned interface of ebpf-run (issue 4), which is
# a bpf_conformance plugin (issue 11):
#   ebpf-run [MEMHEX] [--jit] [--elf] [--verify] [--section NAME]
# Expected outputs follow from RFC 9669, the interface text, the plugin
# protocol (bpf_conformance's README: program as hex text on stdin, with
# --elf the object as hex text too) and the C sources of the objects.
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
# bpf_conformance's callx.data: r1 = -1; r2 = 5; callx r2 (opcode 0x8d, the
# register in dst); r0 = 2; exit
CALLX="b7 01 00 00 ff ff ff ff b7 02 00 00 05 00 00 00 8d 02 00 00 00 00 00 00 b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00"
# callx returns the helper's own r0:
# r2 = 14 (get_current_pid_tgid); callx r2; r0 >>= 32; r0 = (r0 != 0); exit
CALLX_RESULT="b7 02 00 00 0e 00 00 00 8d 02 00 00 00 00 00 00 77 00 00 00 20 00 00 00 55 00 01 00 00 00 00 00 95 00 00 00 00 00 00 00 b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00"
# r2 = 77 (no such helper here); callx r2
CALLX_UNKNOWN="b7 02 00 00 4d 00 00 00 8d 02 00 00 00 00 00 00 b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00"
# r2 = *(u32 *)(r1 + 0), a value the verifier cannot know; callx r2
CALLX_COMPUTED="61 12 00 00 00 00 00 00 8d 02 00 00 00 00 00 00 b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00"
# The plugin protocol's form of an object: its bytes as hex text.
hex_of() { od -An -v -tx1 "$1" | tr -d ' \n'; }
# riscv pt_regs (asm/ptrace.h): epc ra sp gp tp t0 t1 t2 s0 s1 a0 a1 ...; a0 at
# byte 80 = 5, a1 at byte 88 = 47 (little-endian u64s).
REGS="$(printf '00 %.0s' $(seq 80))05 00 00 00 00 00 00 00 2f 00 00 00 00 00 00 00"

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
    expect "$m elf as hex text (plugin protocol)" "0x181" 0 "" -- --elf $mode <<<"$(hex_of "$progs/calls.o")"
    expect "$m elf as spaced hex text" "0x181" 0 "" -- --elf --verify $mode < <(od -An -v -tx1 "$progs/calls.o")
    expect "$m elf main outside .text" "0x7" 0 "" -- --elf $mode <<<"$(hex_of "$progs/xdp_main.o")"
    expect "$m --section uprobe: a1 - a0" "0x2a" 0 "" -- "$REGS" --elf --section uprobe/libc:malloc $mode <"$progs/probe.o"
    expect "$m --section kretprobe: a0 + 1, from hex" "0x6" 0 "" -- "$REGS" --elf --section kretprobe/do_sys_open $mode <<<"$(hex_of "$progs/probe.o")"
    expect "$m --section that is not there" "" 1 "no program or function named 'xdp'" -- --elf --section xdp $mode <"$progs/probe.o"
    expect "$m callx (conformance callx.data)" "0x2" 0 "" -- $mode <<<"$CALLX"
    expect "$m callx verified" "0x2" 0 "" -- --verify $mode <<<"$CALLX"
    expect "$m callx returns the helper's r0" "0x1" 0 "" -- $mode <<<"$CALLX_RESULT"
    expect "$m callx of an unknown helper fails the run" "" 1 "callx: unknown helper 77" -- $mode <<<"$CALLX_UNKNOWN"
    expect "$m verifier: callx of an unknown helper" "" 1 "invalid func unknown#77" -- --verify $mode <<<"$CALLX_UNKNOWN"
    expect "$m verifier: callx id not a constant" "" 1 "must be a known constant" -- 05000000 --verify $mode <<<"$CALLX_COMPUTED"
done
# --verify --section NAME: as the kernel loads a probe program (issue 18):
# its helpers only, a read-only 256-byte pt_regs with MEMHEX at its start.
# osdbg_probe.o is built against include/bpf; multi.o has two programs in
# one section.
for mode in "" "--jit"; do
    m=${mode:-interp}
    expect "$m kernel: BPF_KPROBE(fd, buf) = a0 + a1" "0x34" 0 "" -- "$REGS" --elf --verify --section kprobe/sys_write $mode <"$progs/osdbg_probe.o"
    expect "$m kernel: pt_regs without MEMHEX is zero" "0x0" 0 "" -- --elf --verify --section kprobe/sys_write $mode <"$progs/osdbg_probe.o"
    expect "$m kernel: kernel memory reads fault on the host" "0x63" 0 "" -- --elf --verify --section kprobe/sys_close $mode <"$progs/osdbg_probe.o"
    expect "$m kernel: the second program of a section" "0x15" 0 "" -- --elf --verify --section second $mode <"$progs/multi.o"
done
# osdbg_task.o: get_current_task + BPF_CORE_READ chains (kernel helpers); on the
# host the task pointer is 0 and reads fault, so r0 is 1 + sizeof(struct proc) =
# 321 (320 bytes in the kernel's DWARF; test-ebpf-headers checks osdbg.h's copy).
expect "kernel: BPF_CORE_READ through get_current_task" "0x141" 0 "" -- --elf --verify --section kprobe/sys_getpid <"$progs/osdbg_task.o"
expect "kernel: the context is read-only" "" 1 "cannot write into ctx off=80" -- --elf --verify --section kprobe/writes_ctx <"$progs/osdbg_probe.o"
expect "without --verify the context is MEMHEX, writable" "0x0" 0 "" -- "$REGS" --elf --section kprobe/writes_ctx <"$progs/osdbg_probe.o"
expect "kernel: a helper the kernel does not offer" "" 1 "invalid func unknown#26" -- --elf --verify --section kprobe/other_helper <"$progs/osdbg_probe.o"
expect "kernel: pt_regs is 256 bytes" "" 2 "MEMHEX is the 256-byte pt_regs" -- "$(printf '00 %.0s' $(seq 257))" --elf --verify --section kprobe/sys_write <"$progs/osdbg_probe.o"
expect "a section of several programs names them" "" 1 "holds 2 programs \(first, second\)" -- --elf --verify --section kprobe/sys_write <"$progs/multi.o"
em_none=$(mktemp)
cp "$progs/calls.o" "$em_none"
printf '\x00\x00' | dd of="$em_none" bs=1 seek=18 conv=notrunc 2>/dev/null # e_machine = EM_NONE
expect "EM_NONE object: runs, warning on stderr" "0x181" 0 "warning: ELF: e_machine is EM_NONE" -- --elf --verify <"$em_none"
rm -f "$em_none"
expect "bounds-checked interpreter stops an overrun" "" 1 "insn 0: out of bounds" -- 00ff10 <<<"$OOB"
expect "odd program size" "" 1 "multiple of 8" -- <<<"b7 00 00"
expect "not hex" "" 1 "not hex" -- <<<"zz"
expect "bad opcode" "" 1 "unknown opcode" -- <<<"ff 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"
expect "verify: missing r0" "" 1 "R0 !read_ok" -- --verify <<<"95 00 00 00 00 00 00 00"
expect "elf without main" "" 1 "no program or function named 'main'" -- --elf <"$progs/probe.o"
expect "elf: neither an object nor hex" "" 1 "neither an ELF object nor its hex bytes" -- --elf <<<"not an object"
expect "callx through r10 is malformed" "" 1 "callx through r10" -- <<<"8d 0a 00 00 00 00 00 00 95 00 00 00 00 00 00 00"
expect "callx with an immediate is malformed" "" 1 "callx with nonzero" -- <<<"8d 02 00 00 05 00 00 00 95 00 00 00 00 00 00 00"

# Command-line conventions: --help on stdout with status 0; a usage error on
# stderr with status 2; load/verify/run errors status 1 (above).
expect "bad option is a usage error" "" 2 "unknown option --bogus" -- --bogus <<<"$RET42"
expect "two MEMHEX arguments" "" 2 "only one MEMHEX" -- 00 01 <<<"$RET42"
expect "--section without a name" "" 2 "needs a name" -- --elf --section <<<"$RET42"
expect "--section without --elf" "" 2 "needs --elf" -- --section xdp <<<"$RET42"
help=$("$run" --help </dev/null 2>/dev/null); rc=$?
if [ "$rc" = 0 ] && grep -q '^usage: ebpf-run \[MEMHEX\] \[--jit\] \[--elf\] \[--verify\]' <<<"$help"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1)); echo "FAIL --help: status $rc, stdout '$help'"
fi
h=$("$run" -h </dev/null 2>&1 >/dev/null); rc=$?
if [ "$rc" = 0 ] && [ -z "$h" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL -h: status $rc, stderr '$h'"; fi
v=$("$run" --version </dev/null); rc=$?
if [ "$rc" = 0 ] && grep -qE '^ebpf-run \(osdbg\) [0-9]+\.[0-9]+\.[0-9]+$' <<<"$v"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1)); echo "FAIL --version: status $rc, '$v'"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
