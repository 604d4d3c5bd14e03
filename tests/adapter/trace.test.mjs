// osdbg trace against a running OS (`osdbg run`): kprobes by kernel symbol,
// one line per hit while the OS runs, detach at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../kernel/qemu.mjs';
import { proc, until, bootedOS, traced } from './osrun.mjs';

test('osdbg trace kprobe sys_write: one line per write of hello, then detach', { timeout: 90000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-trace-'));
  const side = path.join(dir, 'side.sock');
  const run = proc(['run', '--gdb', path.join(dir, 'gdb.sock'), '--side', side]);
  t.after(() => { run.p.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });
  await until(() => run.out.includes('$ '), () => `shell prompt\n${run.out}${run.err}`);
  const tr = proc(['trace', '--socket', side, '--duration', '3', 'kprobe', 'sys_write']);
  t.after(() => tr.p.kill('SIGKILL'));
  await until(() => tr.err.includes('tracing'), () => `trace started\n${tr.err}`);
  run.p.stdin.write('hello\n');
  await until(() => /Hello, world!/.test(run.out), () => run.out);
  const code = await tr.closed;
  assert.equal(code, 0, tr.err);
  const lines = tr.out.split('\n').filter(Boolean);
  const hello = lines.filter((l) => / hello\/\d+ /.test(l));
  assert.equal(hello.length, 1, `one write by hello:\n${tr.out}`);
  assert.match(hello[0], / sys_write sysfile\.c:\d+ pc=0x[0-9a-f]+ /);
  assert.match(tr.err, /osdbg trace: \d+ events, 0 lost/);
  // Detached: the OS runs on without probes (a second hello is not traced by anyone,
  // and the side-stub lists no probe).
  run.p.stdin.write('exit\n');
  assert.equal(await run.closed, 0);
});

test('osdbg trace uprobe rustdemo:rustdemo::work (a demangled Rust name): one line per call', { timeout: 90000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-trace-'));
  const side = path.join(dir, 'side.sock');
  const run = proc(['run', '--gdb', path.join(dir, 'gdb.sock'), '--side', side]);
  t.after(() => { run.p.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });
  await until(() => run.out.includes('$ '), () => `shell prompt\n${run.out}${run.err}`);
  const tr = proc(['trace', '--socket', side, '--duration', '3', 'uprobe', 'rustdemo:rustdemo::work']);
  t.after(() => tr.p.kill('SIGKILL'));
  await until(() => tr.err.includes('tracing'), () => `trace started\n${tr.err}`);
  run.p.stdin.write('rustdemo\n');
  await until(() => /work\(10\) = 143/.test(run.out), () => run.out);
  run.p.stdin.write('hello\n'); // another program at the same addresses: no line
  await until(() => /Hello, world!/.test(run.out), () => run.out);
  assert.equal(await tr.closed, 0, tr.err);
  const lines = tr.out.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, tr.out);
  assert.match(lines[0], / rustdemo\/\d+ /);
  run.p.stdin.write('exit\n');
  assert.equal(await run.closed, 0);
});

test('osdbg trace: unknown symbol, and no side-stub at the socket', { timeout: 30000 }, async () => {
  const a = proc(['trace', '--socket', '/nonexistent.sock', 'kprobe', 'no_such_function_xyz']);
  assert.equal(await a.closed, 1);
  assert.match(a.err, /no function no_such_function_xyz in the kernel/);
  const b = proc(['trace', '--socket', '/nonexistent.sock', 'kprobe', 'sys_write']);
  assert.equal(await b.closed, 1);
  assert.match(b.err, /cannot connect to \/nonexistent.sock/);
});

test('osdbg trace --hist kprobe sys_getpid: a log2 latency histogram of exactly the calls made', { timeout: 90000 }, async (t) => {
  const { run, side } = await bootedOS(t);
  const tr = await traced(t, side, ['--duration', '3', '--hist', 'kprobe', 'sys_getpid']);
  run.p.stdin.write('sysbench 100\n');
  await until(() => /sysbench: 100 getpid/.test(run.out), () => run.out);
  assert.equal(await tr.closed, 0, tr.err);
  // Like bpftrace's hist(): a total, then "[lo, hi)  count |@@@|" lines.
  assert.match(tr.out, /@latency_ns\[sys_getpid\]:\n100 samples \(ns\)\n/);
  const buckets = [...tr.out.matchAll(/^\[(\d+), (\d+)\) +(\d+) \|[@ ]+\|$/gm)];
  assert.ok(buckets.length >= 1, tr.out);
  assert.equal(buckets.reduce((a, m) => a + Number(m[3]), 0), 100, tr.out);
  for (const m of buckets) assert.equal(Number(m[2]), Number(m[1]) === 0 ? 1 : 2 * Number(m[1]), 'log2 buckets');
  run.p.stdin.write('exit\n');
  assert.equal(await run.closed, 0);
});

test('osdbg trace: count per process, a kretprobe\'s return value, and a user .bpf.c with its map', { timeout: 120000 }, async (t) => {
  const { run, side } = await bootedOS(t);
  // One client at a time on the side channel (QEMU's socket serves one): in turn.
  const cnt = await traced(t, side, ['--duration', '2', 'kprobe', 'sys_getpid', 'count']);
  run.p.stdin.write('sysbench 7\n');
  await until(() => /sysbench: 7 getpid\(\) calls \(pid \d+\)/.test(run.out), () => run.out);
  const pid = run.out.match(/sysbench: 7 getpid\(\) calls \(pid (\d+)\)/)[1];
  assert.equal(await cnt.closed, 0, cnt.err);
  assert.match(cnt.out, new RegExp(`@count\\[sys_getpid\\]:\\npid ${pid}: 7\\n`));
  // A count probe that never fired: an empty map, not an error.
  const none = await traced(t, side, ['--duration', '1', 'kprobe', 'sys_shutdown', 'count']);
  assert.equal(await none.closed, 0, none.err);
  assert.match(none.out, /@count\[sys_shutdown\]:\n\(empty\)\n/);
  const ret = await traced(t, side, ['--duration', '2', 'kretprobe', 'sys_getpid']);
  run.p.stdin.write('sysbench 3\n');
  await until(() => /sysbench: 3 getpid\(\) calls \(pid \d+\)/.test(run.out), () => run.out);
  const pid2 = run.out.match(/sysbench: 3 getpid\(\) calls \(pid (\d+)\)/)[1];
  assert.equal(await ret.closed, 0, ret.err);
  const rets = ret.out.split('\n').filter((l) => l.includes('sys_getpid returned'));
  assert.equal(rets.length, 3, ret.out);
  for (const l of rets) assert.match(l, new RegExp(` sysbench/${pid2} sys_getpid returned a0=0x${Number(pid2).toString(16)} `));

  const prog = path.join(ROOT, 'tests', 'adapter', 'progs', 'write_sizes.bpf.c');
  const user = await traced(t, side, ['--duration', '3', 'kprobe', 'sys_write', prog]);
  run.p.stdin.write('hello\n');
  await until(() => /Hello, world!/.test(run.out), () => run.out);
  assert.equal(await user.closed, 0, user.err);
  assert.match(user.out, / hello\/\d+ write by hello probe \d+\n/);
  // The object's first map, writes per pid: hello wrote once (key and value in hex).
  assert.match(user.out, /@map\[sys_write\]:\n(.*\n)*[0-9a-f]{8} = 0100000000000000\n/);
  run.p.stdin.write('exit\n');
  assert.equal(await run.closed, 0);
});

test('osdbg trace: a uretprobe\'s return value in a user program, and the latency histogram of a user function', { timeout: 120000 }, async (t) => {
  const { run, side } = await bootedOS(t);
  const ret = await traced(t, side, ['--duration', '3', 'uretprobe', 'matrix:work']);
  run.p.stdin.write('matrix\n');
  await until(() => /product checksum (\d+)/.test(run.out), () => run.out);
  assert.equal(await ret.closed, 0, ret.err);
  const sum = Number(run.out.match(/product checksum (\d+)/)[1]); // work()'s result, as matrix prints it
  const rets = ret.out.split('\n').filter((l) => l.includes('work returned'));
  assert.equal(rets.length, 1, ret.out);
  assert.match(rets[0], new RegExp(` matrix/\\d+ work returned a0=0x${sum.toString(16)} \\(to 0x[0-9a-f]+\\)`));
  assert.match(run.out, /matrix: 8x8 product checksum/, 'the program went on after the return');

  // rustdemo 10 calls Fib::step 10 times: 10 samples, from an entry program
  // and a uretprobe that share the start times.
  const hist = await traced(t, side, ['--duration', '3', '--hist', 'uprobe', 'rustdemo:rustdemo::Fib::step', 'latency']);
  run.p.stdin.write('rustdemo 10\n');
  await until(() => /work\(10\) = 143/.test(run.out), () => run.out);
  assert.equal(await hist.closed, 0, hist.err);
  assert.match(hist.out, /@latency_ns\[rustdemo:rustdemo::Fib::step\]:\n10 samples \(ns\)\n/, hist.out);
  const buckets = [...hist.out.matchAll(/^\[(\d+[KMG]?), (\d+[KMG]?)\) +(\d+) \|[@ ]+\|$/gm)];
  assert.equal(buckets.reduce((a, m) => a + Number(m[3]), 0), 10, hist.out);
  run.p.stdin.write('exit\n');
  assert.equal(await run.closed, 0);
});

test('osdbg trace: programs that cannot be built or loaded are refused with the reason', { timeout: 90000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-bpfc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'bad.bpf.c');
  fs.writeFileSync(bad, '#include <bpf/bpf_helpers.h>\nSEC("kprobe/x") int f(void *ctx) { return undeclared; }\n');
  const unbounded = path.join(dir, 'loop.bpf.c');
  fs.writeFileSync(unbounded, '#include <bpf/bpf_helpers.h>\n' +
    'SEC("kprobe/x") int f(void *ctx) { volatile int *p = 0; return *p; }\nchar LICENSE[] SEC("license") = "GPL";\n');
  const { run, side } = await bootedOS(t);
  const a = proc(['trace', '--socket', side, 'kprobe', 'sys_write', bad]);
  assert.equal(await a.closed, 1);
  assert.match(a.err, /clang failed: .*undeclared/s);
  const b = proc(['trace', '--socket', side, 'kprobe', 'sys_write', unbounded]);
  assert.equal(await b.closed, 1);
  assert.match(b.err, /the verifier rejects/);
  const c = proc(['trace', '--socket', side, 'uretprobe', 'matrix:work', 'latency']);
  assert.equal(await c.closed, 1);
  assert.match(c.err, /latency sets its own return probe/);
  const d = proc(['trace', '--socket', side, 'uretprobe', 'matrix:matrix.c:17']);
  assert.equal(await d.closed, 2);
  assert.match(d.err, /uretprobe wants a function, not a line/);
  run.p.stdin.write('exit\n');
  assert.equal(await run.closed, 0);
});
