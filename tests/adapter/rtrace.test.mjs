// osdbg trace against the Rust reference kernel (rkernel/, issue 19: ktrace
// linked into it, the side-stub on its virtio console), booted by `osdbg run
// --profile profiles/rust-kernel.json`: kprobes and kretprobes on Rust
// kernel functions by their demangled paths, uprobes in Rust programs
// (lines, counts, a latency histogram), and the compat suite's clang-built
// objects whose kernel-specific parts apply (user/bpf/compat/; the helpers
// are the same ktrace ones, but the current task is a TaskControlBlock,
// not struct proc).  Expected values come from the programs' sources and
// what they print (the shell names each child's pid), the symbol tables
// (nm) and arithmetic here, never from the tracer.  The C kernel's
// scenarios are trace.test.mjs and trace_compat.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, BUILD } from '../kernel/qemu.mjs';
import { until, bootedOS, traced } from './osrun.mjs';
import { lineOf } from './source.mjs';

const PROFILE = path.join(ROOT, 'profiles', 'rust-kernel.json');
const KERNEL = path.join(BUILD, 'rkernel', 'rkernel.elf');
const USER = (prog) => path.join(BUILD, 'rkernel', 'user', prog);
const COMPAT = (name) => path.join(ROOT, 'user', 'bpf', 'compat', `${name}.bpf.c`);
const WRITE = 'os::syscall::fs::sys_write';
const GETPID = 'os::syscall::process::sys_getpid';
const hex = (n) => `0x${n.toString(16)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Functions of an ELF by demangled name (nm -S --demangle): {addr, size}.
function symbols(elf) {
  const m = new Map();
  for (const l of execFileSync('riscv64-unknown-elf-nm', ['-S', '--demangle', elf], { encoding: 'utf8' }).split('\n')) {
    const f = l.match(/^([0-9a-f]+) ([0-9a-f]+) [tT] (.+)$/);
    if (f) m.set(f[3], { addr: parseInt(f[1], 16), size: parseInt(f[2], 16) });
  }
  return m;
}

const rustOS = (t) => bootedOS(t, { profile: PROFILE, prompt: '>> ' });

// The shell's line when a child ends (rkernel/user/src/bin/user_shell.rs),
// followed by its next prompt.
const EXITED = /Shell: Process (\d+) exited with code (-?\d+)\r?\n>> /g;

// `osdbg trace args` while the Rust shell runs each of commands in turn:
// after the last one's exit line and prompt, a moment for the events still
// on their way (sent on the next timer tick), then Ctrl-C ends the trace.
// Its output lines, its whole output, and per command {pid, lines}: the
// child's pid as the shell says it and the lines the program printed.
async function traceWhile(t, o, args, commands) {
  const tr = await traced(t, o.side, ['--duration', '60', ...args], { profile: PROFILE });
  const runs = [];
  for (const command of commands) {
    const from = o.run.out.length;
    o.run.p.stdin.write(`${command}\n`);
    const seen = () => [...o.run.out.slice(from).matchAll(EXITED)];
    await until(() => seen().length === 1, () => `${command} ran\n${o.run.out.slice(from)}`, 30000);
    const text = o.run.out.slice(from);
    const [exit] = seen();
    assert.equal(exit[2], '0', `${command} exits with 0\n${text}`);
    // Its lines: after the shell's echo of the command, before the exit line.
    const printed = text.slice(text.indexOf('\n') + 1, exit.index).split(/\r?\n/).filter(Boolean);
    runs.push({ pid: Number(exit[1]), printed });
  }
  await sleep(1000);
  tr.p.kill('SIGINT');
  assert.equal(await tr.closed, 0, tr.err);
  assert.match(tr.err, /osdbg trace: \d+ events, 0 lost/);
  return { lines: tr.out.split('\n').filter(Boolean), out: tr.out, runs };
}

// fib(10) of rfib.rs by its own steps: prev, cur = cur, prev + cur from 0, 1.
function fibSteps(n) {
  let [prev, cur] = [0, 1];
  for (let i = 0; i < n; i++) [prev, cur] = [cur, prev + cur];
  return cur;
}
const RFIB_N = Number(fs.readFileSync(path.join(ROOT, 'rkernel/user/src/bin/rfib.rs'), 'utf8').match(/fib\((\d+)\)\)/)[1]);

test(`Rust kernel: osdbg trace kprobe ${WRITE}: one line per write of rfib, each with its length, and count per process`, { timeout: 120000 }, async (t) => {
  const ksym = symbols(KERNEL);
  const write = ksym.get(WRITE);
  assert.ok(write, `${WRITE} in the kernel's symbols`);
  const o = await rustOS(t);
  let r = await traceWhile(t, o, ['kprobe', WRITE], ['rfib']);
  const [{ pid, printed }] = r.runs;
  // rfib prints two lines, each with one write (user_lib's print! buffers a line).
  assert.equal(printed.length, 2, printed.join('\n'));
  assert.equal(printed[1], `rfib: fib(${RFIB_N}) = ${fibSteps(RFIB_N)}`);
  const mine = r.lines.filter((l) => l.includes(` rfib/${pid} `));
  assert.equal(mine.length, 2, r.out);
  const at = lineOf('rkernel/src/syscall/fs.rs', 'pub fn sys_write(');
  mine.forEach((l, i) => {
    // a0 = fd 1, a2 = the line's length with its newline.
    assert.match(l, new RegExp(` rfib/${pid} ${WRITE} fs\\.rs:${at} pc=${hex(write.addr)} .* a0=0x1 a1=0x[0-9a-f]+ a2=${hex(printed[i].length + 1)} probe \\d+$`), l);
  });

  // count: rfib's 2 writes; the shell's (user_shell.rs): the echo of each
  // typed character, the end of the line, the exit line and the prompt.
  r = await traceWhile(t, o, ['kprobe', WRITE, 'count'], ['rfib']);
  const counts = r.out.match(new RegExp(`@count\\[${WRITE}\\]:\\n((?:pid \\d+: \\d+\\n)+)`));
  assert.ok(counts, r.out);
  const byPid = Object.fromEntries([...counts[1].matchAll(/pid (\d+): (\d+)/g)].map((m) => [m[1], Number(m[2])]));
  const rpid = String(r.runs[0].pid);
  assert.equal(byPid[rpid], 2, r.out);
  const others = Object.entries(byPid).filter(([p]) => p !== rpid);
  assert.deepEqual(others.map(([, n]) => n), ['rfib'.length + 3], `the shell's writes\n${r.out}`);
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});

test(`Rust kernel: osdbg trace kretprobe ${WRITE}: rfib's return values are its lines' lengths, returning into os::syscall::syscall`, { timeout: 90000 }, async (t) => {
  const dispatch = symbols(KERNEL).get('os::syscall::syscall');
  assert.ok(dispatch);
  const o = await rustOS(t);
  const r = await traceWhile(t, o, ['kretprobe', WRITE], ['rfib']);
  const [{ pid, printed }] = r.runs;
  const rets = r.lines.filter((l) => l.includes(` rfib/${pid} `));
  assert.equal(rets.length, printed.length, r.out);
  rets.forEach((l, i) => {
    const m = l.match(new RegExp(` rfib/${pid} ${WRITE} returned a0=(0x[0-9a-f]+) \\(to (0x[0-9a-f]+)\\)`));
    assert.ok(m, l);
    assert.equal(Number(m[1]), printed[i].length + 1, l);
    const to = Number(m[2]);
    assert.ok(to > dispatch.addr && to < dispatch.addr + dispatch.size, `${l}: the return lands in os::syscall::syscall`);
  });
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});

test('Rust kernel: uprobes in rfib: Fib::step counted and as a latency histogram of exactly its calls, fib\'s return value', { timeout: 120000 }, async (t) => {
  const o = await rustOS(t);
  // rfib's fib(n) calls Fib::step n times (rfib.rs: for _ in 0..n).
  let r = await traceWhile(t, o, ['uprobe', 'rfib:rfib::Fib::step', 'count'], ['rfib']);
  assert.match(r.out, new RegExp(`@count\\[rfib:rfib::Fib::step\\]:\\npid ${r.runs[0].pid}: ${RFIB_N}\\n$`), r.out);

  r = await traceWhile(t, o, ['--hist', 'uprobe', 'rfib:rfib::Fib::step', 'latency'], ['rfib']);
  assert.match(r.out, new RegExp(`@latency_ns\\[rfib:rfib::Fib::step\\]:\\n${RFIB_N} samples \\(ns\\)\\n`), r.out);
  const buckets = [...r.out.matchAll(/^\[(\d+)([KMG]?), (\d+)([KMG]?)\) +(\d+) \|[@ ]+\|$/gm)];
  assert.ok(buckets.length >= 1, r.out);
  assert.equal(buckets.reduce((a, m) => a + Number(m[5]), 0), RFIB_N, r.out);

  r = await traceWhile(t, o, ['uretprobe', 'rfib:rfib::fib'], ['rfib']);
  const rets = r.lines.filter((l) => l.includes(' rfib::fib returned'));
  assert.equal(rets.length, 1, r.out);
  assert.match(rets[0], new RegExp(` rfib/${r.runs[0].pid} rfib::fib returned a0=${hex(fibSteps(RFIB_N))} \\(to 0x[0-9a-f]+\\)`));
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});

test('Rust kernel: osdbg trace uprobe hello:main fires in hello only, not in rfib at the same addresses', { timeout: 90000 }, async (t) => {
  const main = symbols(USER('hello')).get('main');
  assert.ok(main);
  const o = await rustOS(t);
  const r = await traceWhile(t, o, ['uprobe', 'hello:main'], ['hello', 'rfib']);
  assert.equal(r.lines.length, 1, r.out);
  assert.match(r.lines[0], new RegExp(` hello/${r.runs[0].pid} main hello\\.rs:\\d+ pc=${hex(main.addr)} `));
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});

test('Rust kernel: osdbg trace with the compat kprobe/kretprobe and uprobe/uretprobe objects', { timeout: 150000 }, async (t) => {
  const o = await rustOS(t);
  // BPF_KPROBE's third argument: file_write's n in the C kernel, sys_write's
  // len here; the return value is what sys_write returns, len.
  let r = await traceWhile(t, o, ['kprobe', WRITE, COMPAT('kprobe')], ['hello']);
  let [{ pid, printed }] = r.runs;
  assert.match(printed[0], /^Hello, world! \(pid \d+\)$/);
  assert.deepEqual(r.lines.filter((l) => l.includes(` hello/${pid} `)).map((l) => l.match(/ hello\/\d+ (.*) probe \d+$/)[1]),
    [`file_write of ${printed[0].length + 1} bytes`], r.out);
  r = await traceWhile(t, o, ['kretprobe', WRITE, COMPAT('kprobe')], ['hello']);
  [{ pid, printed }] = r.runs;
  assert.deepEqual(r.lines.filter((l) => l.includes(` hello/${pid} `)).map((l) => l.match(/ hello\/\d+ (.*) probe \d+$/)[1]),
    [`file_write returned ${printed[0].length + 1}`], r.out);

  // main(argc, argv): the shell runs a program with argv = [its name].
  r = await traceWhile(t, o, ['uprobe', 'hello:main', COMPAT('uprobe')], ['hello']);
  const called = r.lines.filter((l) => l.includes(` hello/${r.runs[0].pid} called with `));
  assert.equal(called.length, 1, r.out);
  assert.match(called[0], / called with 1, \d+ probe /, 'argc 1');
  r = await traceWhile(t, o, ['uretprobe', 'hello:main', COMPAT('uprobe')], ['hello']);
  assert.ok(r.lines.some((l) => l.includes(` hello/${r.runs[0].pid} returned 0 probe `)), r.out);
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});

// forktest's children call getpid once each and print the pid they got
// (forktest.rs: "forktest: child i is pid P").
const childPids = (printed) => printed.map((l) => l.match(/^forktest: child \d+ is pid (\d+)$/)).filter(Boolean).map((m) => Number(m[1]));

// The ring buffer's or perf buffer's records of the forktest children:
// [pid in the line, pid and seq in the record (little-endian u32s)].
function records(lines, bytes) {
  const re = new RegExp(` forktest/(\\d+) ${GETPID} ${bytes} bytes:((?: [0-9a-f]{2})+) probe `);
  return lines.map((l) => l.match(re)).filter(Boolean).map((m) => {
    const b = m[2].trim().split(' ').map((x) => parseInt(x, 16));
    const u32 = (i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] * 2 ** 24);
    return { linePid: Number(m[1]), pid: u32(0), seq: u32(4), rest: b.slice(8) };
  });
}

test('Rust kernel: osdbg trace with the compat ring buffer, loop, perf buffer, per-CPU and tail-call objects on sys_getpid', { timeout: 240000 }, async (t) => {
  const o = await rustOS(t);
  const CHILDREN = Number(fs.readFileSync(path.join(ROOT, 'rkernel/user/src/bin/forktest.rs'), 'utf8').match(/const CHILDREN: usize = (\d+);/)[1]);

  // Ring buffer: a record per call, a second one when its seq is odd.
  let r = await traceWhile(t, o, ['kprobe', GETPID, COMPAT('ringbuf')], ['forktest']);
  let kids = childPids(r.runs[0].printed);
  assert.equal(kids.length, CHILDREN, r.runs[0].printed.join('\n'));
  const recs = records(r.lines, 16);
  const bySeq = new Map();
  for (const x of recs) {
    assert.equal(x.pid, x.linePid);
    assert.ok(kids.includes(x.pid), `a child's call: ${x.pid}`);
    assert.deepEqual(x.rest, [0x67, 0x62, 0x64, 0x73, 0x6f, 0, 0, 0], 'the magic 0x6f73646267');
    bySeq.set(x.seq, (bySeq.get(x.seq) ?? 0) + 1);
  }
  assert.deepEqual([...bySeq.keys()].sort(), [...Array(CHILDREN).keys()], r.out);
  for (const [seq, n] of bySeq) assert.equal(n, seq % 2 ? 2 : 1, `records of seq ${seq}`);

  // The loop: n (2n - 1)(2n + 1) / 3 for n = 512, once per call.
  r = await traceWhile(t, o, ['kprobe', GETPID, COMPAT('loop')], ['forktest']);
  kids = childPids(r.runs[0].printed);
  const sums = r.lines.filter((l) => / forktest\/\d+ odd squares add up to 178956800, 512 even probe /.test(l));
  assert.deepEqual(sums.map((l) => Number(l.match(/forktest\/(\d+)/)[1])).sort(), [...kids].sort(), r.out);

  // Perf buffer: one 8-byte record per call, sequence numbers 0, 1, 2.
  r = await traceWhile(t, o, ['kprobe', GETPID, COMPAT('perfbuf')], ['forktest']);
  kids = childPids(r.runs[0].printed);
  const perf = records(r.lines, 8);
  assert.deepEqual(perf.map((x) => x.seq), [...Array(CHILDREN).keys()], r.out);
  assert.deepEqual(perf.map((x) => x.pid).sort(), [...kids].sort(), r.out);

  // Per-CPU (one hart here): each child's first call.
  r = await traceWhile(t, o, ['kprobe', GETPID, COMPAT('percpu')], ['forktest']);
  kids = childPids(r.runs[0].printed);
  const harts = r.lines.map((l) => l.match(/ forktest\/(\d+) hart (\d+): call (\d+) probe /)).filter(Boolean);
  assert.deepEqual(harts.map((m) => [Number(m[1]), m[2], m[3]]).sort(), kids.map((p) => [p, '0', '1']).sort(), r.out);

  // Tail calls: the entry's line, then the target's (jump_table slot 1), per call.
  r = await traceWhile(t, o, ['kprobe', GETPID, COMPAT('tailcall')], ['forktest']);
  const texts = r.lines.map((l) => l.match(/ forktest\/\d+ (tail call [^\n]*?) probe /)).filter(Boolean).map((m) => m[1]);
  assert.deepEqual(texts, [...Array(CHILDREN).keys()].flatMap((k) => [`tail call entry: run ${k + 1}`, `tail call target: run ${k + 1}`]), r.out);
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});

// The stack walker on the Rust kernel: hello's getpid reached from the
// same call sites twice (two runs of hello at the same addresses) gives the
// same kernel and user stack ids; task.bpf.c's struct proc fields do not
// apply (a TaskControlBlock), its stack depths do: sys_getpid is called by
// os::syscall::syscall, called by the trap handler; main calls getpid
// through user_lib.
test('Rust kernel: osdbg trace with the compat stack-trace objects: kernel and user stacks of hello\'s getpid', { timeout: 150000 }, async (t) => {
  const o = await rustOS(t);
  let r = await traceWhile(t, o, ['kprobe', GETPID, COMPAT('stackmap')], ['hello', 'hello']);
  // The kernel may give the second hello the first one's pid again.
  const pids = new Set(r.runs.map(({ pid }) => pid));
  const ids = r.lines.map((l) => l.match(/ hello\/(\d+) kernel stack id (-?\d+), user stack id (-?\d+) probe /)).filter(Boolean);
  assert.equal(ids.length, 2, r.out);
  for (const m of ids) assert.ok(pids.has(Number(m[1])), m[0]);
  const [a, b] = ids.map((m) => m.slice(1));
  assert.ok(Number(a[1]) >= 0 && Number(a[2]) >= 0, `stack ids found:\n${r.out}`);
  assert.deepEqual(b.slice(1), a.slice(1), r.out);

  r = await traceWhile(t, o, ['kprobe', GETPID, COMPAT('task')], ['hello']);
  const st = r.lines.map((l) => l.match(new RegExp(` hello/${r.runs[0].pid} stacks: (\\d+) kernel and (\\d+) user frames`))).find(Boolean);
  assert.ok(st, r.out);
  assert.ok(Number(st[1]) >= 3 && Number(st[1]) <= 8, `kernel frames: sys_getpid, syscall, trap_handler at least: ${st[0]}`);
  assert.ok(Number(st[2]) >= 2 && Number(st[2]) <= 8, `user frames: ${st[0]}`);
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});
