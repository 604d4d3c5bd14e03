// The eBPF compatibility suite through `osdbg trace` (issue 18): the same
// libbpf-style objects as test-kernel-compat (user/bpf/compat/*.bpf.c),
// compiled by osdbg with clang and loaded into a running OS over the
// side channel.  Loaded this way their target_pid is 0, so they count
// every process and print what they found with bpf_printk; the expected
// values come from what the traced programs do (the bytes hello writes,
// its arguments, sysbench's calls), never from the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT } from '../kernel/qemu.mjs';
import { until, bootedOS, traced } from './osrun.mjs';
const PROG = (name) => path.join(ROOT, 'user', 'bpf', 'compat', `${name}.bpf.c`);

// One `osdbg trace` of a compat program while `command` runs in the OS's
// shell, until `done` appears on the console; its output lines.
async function traceWhile(t, os_, args, command, done) {
  const tr = await traced(t, os_.side, ['--duration', '3', ...args]);
  const from = os_.run.out.length;
  os_.run.p.stdin.write(`${command}\n`);
  await until(() => done.test(os_.run.out.slice(from)), () => os_.run.out);
  assert.equal(await tr.closed, 0, tr.err);
  return { lines: tr.out.split('\n').filter(Boolean), console: os_.run.out.slice(from), out: tr.out };
}

test('osdbg trace with the compat kprobe/kretprobe and uprobe/uretprobe objects', { timeout: 120000 }, async (t) => {
  const o = await bootedOS(t);
  const hello = /Hello, world! \(pid (\d+)\)/;
  let r = await traceWhile(t, o, ['kprobe', 'file_write', PROG('kprobe')], 'hello', hello);
  let [line, pid] = r.console.match(hello);
  const len = line.length + 1; // hello writes its line with the newline
  assert.ok(r.lines.some((l) => l.includes(` hello/${pid} file_write of ${len} bytes probe `)), r.out);

  r = await traceWhile(t, o, ['kretprobe', 'file_write', PROG('kprobe')], 'hello', hello);
  [line, pid] = r.console.match(hello);
  assert.ok(r.lines.some((l) => l.includes(` hello/${pid} file_write returned ${line.length + 1} probe `)), r.out);

  r = await traceWhile(t, o, ['uprobe', 'hello:main', PROG('uprobe')], 'hello a b', /argument 2 is b/);
  [, pid] = r.console.match(hello);
  assert.ok(r.lines.some((l) => new RegExp(` hello/${pid} called with 3, \\d+ probe `).test(l)), r.out);

  r = await traceWhile(t, o, ['uretprobe', 'hello:main', PROG('uprobe')], 'hello', hello);
  [, pid] = r.console.match(hello);
  assert.ok(r.lines.some((l) => l.includes(` hello/${pid} returned 0 probe `)), r.out);
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});

// The 16-byte ring buffer or 8-byte perf records of sysbench/pid, as
// [pid, seq] pairs (little-endian u32s at the record's start).
function records(lines, pid, bytes) {
  const re = new RegExp(` sysbench/${pid} sys_getpid ${bytes} bytes:((?: [0-9a-f]{2})+) probe `);
  return lines.map((l) => l.match(re)).filter(Boolean).map((m) => {
    const b = m[1].trim().split(' ').map((x) => parseInt(x, 16));
    const u32 = (i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] * 2 ** 24);
    return { pid: u32(0), seq: u32(4), rest: b.slice(8) };
  });
}

test('osdbg trace with the compat ring buffer, loop, task, perf buffer, per-CPU and stack-trace objects', { timeout: 180000 }, async (t) => {
  const o = await bootedOS(t);
  const calls = (n) => new RegExp(`sysbench: ${n} getpid\\(\\) calls \\(pid (\\d+)\\)`);

  // Ring buffer: a reserved record per call, and a second (bpf_ringbuf_output) when its seq is odd.
  let r = await traceWhile(t, o, ['kprobe', 'sys_getpid', PROG('ringbuf')], 'sysbench 3', calls(3));
  let pid = Number(r.console.match(calls(3))[1]);
  const recs = records(r.lines, pid, 16);
  assert.ok(recs.length >= 3, r.out);
  const bySeq = new Map();
  for (const x of recs) {
    assert.equal(x.pid, pid);
    assert.deepEqual(x.rest, [0x67, 0x62, 0x64, 0x73, 0x6f, 0, 0, 0], 'the magic 0x6f73646267');
    bySeq.set(x.seq, (bySeq.get(x.seq) ?? 0) + 1);
  }
  assert.equal(bySeq.size, 3, r.out);
  for (const [seq, n] of bySeq) assert.equal(n, seq % 2 ? 2 : 1, `records of seq ${seq}`);

  // The loop fills the squares itself the first time and adds the odd ones below
  // 1024: n (2n - 1)(2n + 1) / 3 for n = 512.
  r = await traceWhile(t, o, ['kprobe', 'sys_getpid', PROG('loop')], 'sysbench 2', calls(2));
  pid = r.console.match(calls(2))[1];
  assert.equal(r.lines.filter((l) => l.includes(` sysbench/${pid} odd squares add up to 178956800, 512 even probe `)).length, 2, r.out);

  // The current task: its pid, name and parent (the shell), its stacks.
  r = await traceWhile(t, o, ['kprobe', 'sys_getpid', PROG('task')], 'sysbench 1', calls(1));
  pid = r.console.match(calls(1))[1];
  assert.ok(r.lines.some((l) => new RegExp(` sysbench/${pid} task pid ${pid} name sysbench parent \\d+ probe `).test(l)), r.out);
  const st = r.lines.map((l) => l.match(new RegExp(` sysbench/${pid} stacks: (\\d+) kernel and (\\d+) user frames`))).find(Boolean);
  assert.ok(st && Number(st[1]) >= 2 && Number(st[2]) >= 2, r.out);

  // Perf buffer: one 8-byte record per call, sequence numbers one apart.
  r = await traceWhile(t, o, ['kprobe', 'sys_getpid', PROG('perfbuf')], 'sysbench 3', calls(3));
  pid = Number(r.console.match(calls(3))[1]);
  const perf = records(r.lines, pid, 8);
  assert.equal(perf.length, 3, r.out);
  for (let i = 1; i < perf.length; i++) assert.ok(perf[i].seq > perf[i - 1].seq, r.out);

  // Per-CPU: each hart counts the pid's calls in its own copy; the last count
  // each hart printed adds up to the calls.
  r = await traceWhile(t, o, ['kprobe', 'sys_getpid', PROG('percpu')], 'sysbench 20', calls(20));
  pid = r.console.match(calls(20))[1];
  const last = new Map();
  for (const l of r.lines) {
    const m = l.match(new RegExp(` sysbench/${pid} hart (\\d+): call (\\d+) probe `));
    if (m) last.set(m[1], Math.max(last.get(m[1]) ?? 0, Number(m[2])));
  }
  assert.equal([...last.values()].reduce((a, b) => a + b, 0), 20, r.out);

  // Stack ids: the same call site twice gives the same kernel and user ids.
  r = await traceWhile(t, o, ['kprobe', 'sys_getpid', PROG('stackmap')], 'sysbench 2', calls(2));
  pid = r.console.match(calls(2))[1];
  const ids = r.lines.map((l) => l.match(new RegExp(` sysbench/${pid} kernel stack id (-?\\d+), user stack id (-?\\d+) probe `))).filter(Boolean);
  assert.equal(ids.length, 2, r.out);
  assert.ok(Number(ids[0][1]) >= 0 && Number(ids[0][2]) >= 0, r.out);
  assert.deepEqual(ids[1].slice(1), ids[0].slice(1), r.out);
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});

// Tail calls: osdbg trace runs the object's entry (kprobe/sys_getpid), not
// the target that shares its kind (a bare SEC("kprobe")); the kernel's load
// puts the target in jump_table's slot 1, as its .maps initialiser says, so
// every call prints the entry's line, then the target's, and never falls
// through. Three traces in a row: each detach unloads the target with its
// entry, and the next trace loads both again with new maps (runs from 1).
test('osdbg trace with the compat tail-call object', { timeout: 120000 }, async (t) => {
  const o = await bootedOS(t);
  const calls = (n) => new RegExp(`sysbench: ${n} getpid\\(\\) calls \\(pid (\\d+)\\)`);
  for (let i = 0; i < 3; i++) {
    const r = await traceWhile(t, o, ['kprobe', 'sys_getpid', PROG('tailcall')], 'sysbench 3', calls(3));
    const pid = r.console.match(calls(3))[1];
    const texts = r.lines.map((l) => l.match(new RegExp(` sysbench/${pid} (tail call [^\\n]*?) probe `))).filter(Boolean).map((m) => m[1]);
    assert.deepEqual(texts, [1, 2, 3].flatMap((k) => [`tail call entry: run ${k}`, `tail call target: run ${k}`]), r.out);
  }
  o.run.p.stdin.write('exit\n');
  assert.equal(await o.run.closed, 0);
});
