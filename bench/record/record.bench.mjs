// make bench-record: what recording a run costs (issue 20).  The same
// workload, one after the other in each round, the order turned round
// every round:
//   plain    QEMU as a debug session runs it (one hart, no -icount);
//   icount   the same with -icount shift=auto, the deterministic clock a
//            recording needs, without recording: how much of the cost is
//            the clock and how much the log;
//   record   `osdbg record` (qemu-img making the image, QEMU recording);
//   replay   QEMU replaying that round's recording alone (no GDB);
// and run=hello alone with -icount and recorded (icount-hello,
// record-hello): the part of the cost that does not grow with the run (the
// image, the snapshot at the start, qemu-img).
// Wall-clock from spawning to the process's end, medians over the rounds,
// and the ratios to plain; the log's and the image's sizes.  Figures, not a
// test: it fails only when a run does not print its workload's output.
// BENCH_RECORD_RUNS rounds (default 5).  Everything into build/bench/record.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, KERNEL } from '../../tests/kernel/qemu.mjs';

const ROUNDS = Number(process.env.BENCH_RECORD_RUNS ?? 5);
const OSDBG = path.join(BUILD, 'bin', 'osdbg');
// sysbench (1000 getpid calls) and matrix, 12 times each: about 0.5 s of
// guest time after a 0.2 s boot.
const PROGS = Array(12).fill('sysbench,matrix').join(',');
const BOOTARGS = `run=${PROGS}`;
const machine = (bootArgs) => ['-machine', 'virt', '-bios', 'default', '-m', '128M', '-smp', '1',
  '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-kernel', KERNEL, '-append', bootArgs];
const MACHINE = machine(BOOTARGS);
// What a complete run prints: 12 sysbench lines; hello's greeting.
const FULL = { re: /^sysbench: /gm, n: 12 };
const HELLO = { re: /^Hello, world!/gm, n: 1 };

const pids = new Set();
process.on('exit', () => { for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } });

function timed(cmd, args, want = FULL) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    pids.add(p.pid);
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 120000);
    p.on('close', (code) => {
      clearTimeout(timer);
      pids.delete(p.pid);
      const ms = performance.now() - t0;
      const lines = (out.match(want.re) ?? []).length;
      if (code !== 0 || lines !== want.n)
        reject(new Error(`${cmd} ${args.slice(0, 2).join(' ')}...: status ${code}, ${lines} of ${want.n} ${want.re} lines\n${err}`));
      else resolve(ms);
    });
  });
}

const rrArgs = (dir, mode) => ['-icount', `shift=auto,rr=${mode},rrfile=${dir}/replay.bin,rrsnapshot=init`,
  '-drive', `file=${dir}/snapshot.qcow2,if=none,id=rr`];

const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-bench-record-'));
const hellos = path.join(parent, 'hello'); // its recordings: not the round's
const kinds = ['plain', 'icount', 'record', 'replay', 'icount-hello', 'record-hello'];
const times = Object.fromEntries(kinds.map((k) => [k, []]));
const sizes = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const before = new Set(fs.readdirSync(parent));
    const runs = {
      plain: () => timed('qemu-system-riscv64', MACHINE),
      icount: () => timed('qemu-system-riscv64', [...MACHINE, '-icount', 'shift=auto']),
      record: () => timed(OSDBG, ['record', '--out', parent, BOOTARGS]),
      'icount-hello': () => timed('qemu-system-riscv64', [...machine('run=hello'), '-icount', 'shift=auto'], HELLO),
      'record-hello': () => timed(OSDBG, ['record', '--out', hellos, 'run=hello'], HELLO),
    };
    const forward = ['plain', 'icount', 'record', 'icount-hello', 'record-hello'];
    const order = round % 2 ? [...forward].reverse() : forward;
    const got = {};
    for (const k of order) got[k] = await runs[k]();
    const dir = path.join(parent, fs.readdirSync(parent).find((n) => !before.has(n) && n !== 'hello'));
    got.replay = await timed('qemu-system-riscv64', [...MACHINE, ...rrArgs(dir, 'replay')]);
    for (const k of kinds) times[k].push(got[k]);
    const log = fs.statSync(path.join(dir, 'replay.bin')).size;
    const image = fs.statSync(path.join(dir, 'snapshot.qcow2'));
    sizes.push({ log, image: image.size, imageAllocated: image.blocks * 512 });
    fs.rmSync(hellos, { recursive: true, force: true });
    console.log(`round ${round + 1}: ${order.map((k) => `${k} ${got[k].toFixed(0)} ms`).join(', ')}, ` +
      `replay ${got.replay.toFixed(0)} ms; log ${(log / 1024).toFixed(0)} KiB`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
} finally {
  fs.rmSync(parent, { recursive: true, force: true });
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const med = Object.fromEntries(kinds.map((k) => [k, median(times[k])]));
console.log(`\nRecording's cost: run=${Array(12).fill('sysbench,matrix').length}x(sysbench,matrix), 1 hart, median of ${ROUNDS} rounds`);
console.log('  run       wall ms   / plain');
for (const k of kinds.slice(0, 4)) console.log(`  ${k.padEnd(8)} ${med[k].toFixed(0).padStart(8)}   ${(med[k] / med.plain).toFixed(2)}x`);
console.log(`  record / icount: ${(med.record / med.icount).toFixed(2)}x, +${(med.record - med.icount).toFixed(0)} ms ` +
  `(the log, the snapshot and qemu-img)`);
console.log(`  of which fixed (run=hello recorded - with -icount): +${(med['record-hello'] - med['icount-hello']).toFixed(0)} ms`);
const s = sizes[sizes.length - 1];
console.log(`  log ${(s.log / 1024).toFixed(0)} KiB; image ${(s.image / 1024).toFixed(0)} KiB ` +
  `(${(s.imageAllocated / 1024).toFixed(0)} KiB on disk) with its one snapshot`);
fs.mkdirSync(path.join(BUILD, 'bench'), { recursive: true });
fs.writeFileSync(path.join(BUILD, 'bench', 'record.json'),
  JSON.stringify({ bootArgs: BOOTARGS, rounds: ROUNDS, times, medians: med, sizes }, null, 2));
