// make bench-kprobe: guest instructions per kprobe hit (an empty eBPF
// program attached through bpf(BPF_LINK_CREATE)), for an instruction the
// engine simulates and one it runs out of line, side by side with an empty
// system call round trip in the same run.  QEMU counts instructions exactly
// with -icount shift=0 (without it, instret follows host time).  Then hits
// per second with one process per hart hitting the same probe.  The C
// kernel on 1 and on 2 harts in the same run (issue 17): hits per second
// must not fall with 2 harts (the run fails if they do).  The Rust kernel
// (rkernel/, issue 19) in the same run, through its twin of the program
// (rkernel/user/src/bin/probebench.rs): it has one hart, so one process.
// KPROBE_BASE=<commit> (make bench-kprobe, issue 21): that commit's C kernel
// is built from its own sources in a temporary folder and its per-hit
// counts are measured in the same run, side by side with the current ones
// (exact -icount figures: one round each is enough).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootOS, BUILD, KERNEL, RKERNEL } from '../../tests/kernel/qemu.mjs';
import { buildBase } from './basekernel.mjs';

// What differs between the kernels: the image, getpid's symbol (Rust's
// demangled), the shell's prompt.  Both shells split words into argv and
// leave with `exit`, which powers the machine off.
const KERNELS = {
  c: { name: 'C kernel', elf: KERNEL, getpid: 'sys_getpid', prompt: '$ ' },
  rust: { name: 'Rust kernel', elf: RKERNEL, getpid: 'os::syscall::process::sys_getpid', prompt: '>> ' },
};

// getpid's instructions, from the kernel as built: nm -C finds the
// function (its address and size), objdump disassembles just that range.
function getpidBody(k) {
  const nm = execFileSync('riscv64-unknown-elf-nm', ['-C', '-S', '--defined-only', k.elf], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const sym = nm.split('\n').map((l) => l.match(/^([0-9a-f]+) ([0-9a-f]+) [Tt] (.*)$/)).find((m) => m && m[3] === k.getpid);
  if (!sym) throw new Error(`${k.name}: no function ${k.getpid} in ${k.elf}`);
  const start = BigInt(`0x${sym[1]}`);
  const dis = execFileSync('riscv64-unknown-elf-objdump', ['-d', '--no-show-raw-insn', `--start-address=0x${start.toString(16)}`,
    `--stop-address=0x${(start + BigInt(`0x${sym[2]}`)).toString(16)}`, k.elf], { encoding: 'utf8' });
  return dis.split('\n').map((l) => l.match(/^\s*([0-9a-f]+):\s+(\S+)/)).filter(Boolean).map((m) => ({ addr: m[1], op: m[2] }));
}

// One instruction the engine runs in a slot, one it simulates (the first
// of each in the function).
function probedInstructions(k) {
  const body = getpidBody(k);
  const stepped = body.find((i) => ['add', 'addi', 'sd', 'mv', 'ld'].includes(i.op));
  const simulated = body.find((i) => ['jal', 'call', 'auipc', 'beq', 'bne', 'j', 'jalr'].includes(i.op));
  if (!stepped || !simulated) throw new Error(`${k.name}: cannot find instructions in ${k.getpid}:\n${JSON.stringify(body)}`);
  return { stepped, simulated };
}

// Types cmd into the shell; resolves with want's match.  Fails, naming what
// the program printed, if the shell's prompt comes back first (the program
// ended without it: no bpf(), a refused attach...), QEMU exits or time runs out.
async function shellCommand(os, k, cmd, want, timeoutMs) {
  const from = os.output().length;
  os.type(`${cmd}\n`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = os.output().slice(from);
    const m = out.match(want);
    if (m) return m;
    const ended = out.indexOf(k.prompt);
    if (ended >= 0 || os.proc.exitCode !== null || Date.now() > deadline) {
      const said = (ended >= 0 ? out.slice(0, ended) : out).split('\n').slice(1).join('\n').trim();
      const why = ended >= 0 ? 'ended' : os.proc.exitCode !== null ? 'QEMU exited' : `no answer in ${timeoutMs} ms`;
      throw new Error(`${k.name}: \`${cmd}\`: ${why} without ${want}; it printed:\n${said || '(nothing)'}`);
    }
    await sleep(100);
  }
}

async function withShell(k, opts, body) {
  const os = bootOS({ kernel: k.elf, ...opts });
  try {
    await os.waitFor(k.prompt, 180000);
    const result = await body(os);
    os.type('exit\n');
    await os.waitExit(20000);
    return result;
  } finally {
    os.stop();
  }
}

// Guest instructions per hit (-icount: exact).
function cost(k, probes, smp) {
  return withShell(k, { smp, args: ['-icount', 'shift=0'] }, async (os) => {
    await shellCommand(os, k, `probebench ${probes.stepped.addr} ${probes.simulated.addr} 2000`, /stepped kprobe: .*\n/, 180000);
    const out = os.output();
    const num = (re) => Number(out.match(re)[1]);
    return { syscall: num(/round trip: (\d+) instructions/), simulated: num(/simulated kprobe: \+(\d+)/),
      stepped: num(/stepped kprobe: \+(\d+)/) };
  });
}

// Hits per second, in real time (no -icount: every hart runs on its own
// host thread): procs processes, each CALLS getpid() on the stepped probe;
// the same burst bare first.
const CALLS = Number(process.env.BENCH_KPROBE_CALLS ?? 20000);
function rate(k, probes, smp, procs) {
  return withShell(k, { smp }, async (os) => {
    const m = await shellCommand(os, k, `probebench rate ${probes.stepped.addr} ${procs} ${CALLS}`,
      /rate: (\d+) processes x (\d+) calls: (\d+) ms bare, (\d+) ms with the kprobe/, 300000);
    const hits = procs * CALLS;
    return { procs, calls: hits, bareMs: Number(m[3]), probedMs: Number(m[4]),
      callsPerSecond: Math.round(hits / (Number(m[3]) / 1000)), hitsPerSecond: Math.round(hits / (Number(m[4]) / 1000)) };
  });
}

// -icount runs the harts in turn on one host thread, and QEMU 7.2 never
// takes the turn from a hart that spins waiting for another (OpenSBI's
// remote fence when a probe is armed does): exact counts on 1 hart only.
// The C kernel of commit base, built in a temporary folder: its image, or
// why there is none (the comparison is then left out, the run goes on).
const BASE = process.env.KPROBE_BASE;
let base;
if (BASE) {
  base = buildBase(BASE);
  if (!base.error) {
    const k = { ...KERNELS.c, name: `C kernel of ${base.short}`, elf: base.elf };
    try {
      base.probes = probedInstructions(k);
      Object.assign(base, await cost(k, base.probes, 1));
    } catch (e) {
      base.error = e.message;
    }
  }
}

const cProbes = probedInstructions(KERNELS.c);
const result = { 1: await cost(KERNELS.c, cProbes, 1) };
for (const smp of [1, 2]) (result[smp] ??= {}).rate = await rate(KERNELS.c, cProbes, smp, smp);
// The Rust kernel's failure (no bpf() yet, say) fails the run after the C
// kernel's figures are printed.
let rust;
try {
  const probes = probedInstructions(KERNELS.rust);
  rust = { probes, ...await cost(KERNELS.rust, probes, 1) };
  rust.rate = await rate(KERNELS.rust, probes, 1, 1);
} catch (e) {
  rust = { error: e.message };
}

const r1 = result[1];
const has = (v) => v !== undefined;
const times = (extra, syscall) => (has(extra) ? `${(extra / syscall).toFixed(2)}x` : '-');
const insns = (v, sign = '') => (has(v) ? `${sign}${v} insns` : '-');
const line = (name, ...cells) => console.log(`  ${name.padEnd(44)}${cells.map((c) => `${c}`.padStart(14)).join('')}`);
console.log('kprobe cost, guest instructions per hit (1 hart, QEMU -icount shift=0, empty eBPF program)');
line('', 'C kernel', 'Rust kernel');
line('empty system call (getpid) round trip', insns(r1.syscall), insns(rust.syscall));
line('kprobe, simulated, extra', insns(r1.simulated, '+'), insns(rust.simulated, '+'));
line('  / empty system call (target <= 1.0x)', times(r1.simulated, r1.syscall), times(rust.simulated, rust.syscall));
line('kprobe, stepped, extra', insns(r1.stepped, '+'), insns(rust.stepped, '+'));
line('  / empty system call (target <= 1.3x)', times(r1.stepped, r1.syscall), times(rust.stepped, rust.syscall));
const where = (k, p) => `${k.getpid}: simulated ${p.simulated.op} at ${p.simulated.addr}, stepped ${p.stepped.op} at ${p.stepped.addr}`;
console.log(`  probed in C ${where(KERNELS.c, cProbes)}`);
if (rust.probes) console.log(`       in Rust ${where(KERNELS.rust, rust.probes)}`);
if (base && !base.error) {
  console.log(`C kernel per hit against ${base.short} (KPROBE_BASE), same run, guest instructions`);
  line('', base.short, 'current', 'current/base');
  const cmp = (name, b, c) => line(name, b, c, (c / b).toFixed(2));
  cmp('empty system call (getpid) round trip', base.syscall, r1.syscall);
  cmp('kprobe, simulated, extra', base.simulated, r1.simulated);
  cmp('kprobe, stepped, extra', base.stepped, r1.stepped);
  line('  simulated / empty system call', times(base.simulated, base.syscall), times(r1.simulated, r1.syscall));
  line('  stepped / empty system call', times(base.stepped, base.syscall), times(r1.stepped, r1.syscall));
} else if (base) {
  console.log(`no comparison with KPROBE_BASE: ${base.error}`);
}
console.log(`kprobe hits per second, one process per hart, ${CALLS} getpid() each, stepped probe (real time)`);
const rates = [result[1].rate, result[2].rate, rust.rate];
line('', 'C, 1 hart', 'C, 2 harts', 'Rust, 1 hart');
line('processes', ...rates.map((r) => (r ? r.procs : '-')));
line('getpid calls/s, no probe', ...rates.map((r) => (r ? r.callsPerSecond : '-')));
line('kprobe hits/s (empty eBPF program)', ...rates.map((r) => (r ? r.hitsPerSecond : '-')));
const ratio = result[2].rate.hitsPerSecond / result[1].rate.hitsPerSecond;
console.log(`  C kernel, 2 harts / 1 hart: ${ratio.toFixed(2)}x hits per second${ratio < 1 ? '  (FELL: it must not)' : ''}`);
if (rust.error) console.log(`FAILED, no figures from the ${rust.error}`);
fs.mkdirSync(path.join(BUILD, 'bench'), { recursive: true });
// The C kernel's 1-hart counts stay at the top level, where earlier runs kept theirs.
fs.writeFileSync(path.join(BUILD, 'bench', 'kprobe.json'), JSON.stringify({
  syscall: r1.syscall, simulated: r1.simulated, stepped: r1.stepped, harts: result, probed: cProbes, rust, base,
}, null, 2));
if (ratio < 1 || rust.error) process.exitCode = 1;
