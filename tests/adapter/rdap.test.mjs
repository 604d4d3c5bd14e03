// Logpoints in a debug session on the Rust reference kernel (rkernel/,
// profiles/rust-kernel.json, issue 19): in the kernel's
// os::syscall::fs::sys_write and os::task::task::exec_commit (a &str) and in
// rfib's Fib::step (a uprobe, with and without a condition) they run as
// eBPF through the kernel's side-stub (never a GDB stop); one whose Rust
// value eBPF cannot read (an Option) runs through GDB after one notice.
// Real QEMU, real GDB, a real DAP client; expected values from the
// programs' sources and what they print.
// The C kernel's logpoint scenarios are in dap.test.mjs.
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { followStops } from './harts.mjs';
import { ROOT, BUILD } from '../kernel/qemu.mjs';
import { src, lineOf } from './source.mjs';

const test = (name, fn) => nodeTest(name, { timeout: 90000 }, fn);
const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'rust-kernel.json');

async function startSession(t, launchArgs, setup) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  dc.defaultTimeout = 20000;
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  const output = [];
  dc.on('output', (e) => output.push(e.body.output));
  const stopped = [];
  dc.on('stopped', (e) => stopped.push(e));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, stopOnEntry: false, ...launchArgs });
  await initialized;
  await setup(dc);
  await dc.configurationDoneRequest();
  return { dc, output, stopped };
}

// rfib.rs: Fib steps from prev 0, cur 1, n times; the odd values it meets.
function rfibOdd() {
  const n = Number(fs.readFileSync(src('rkernel/user/src/bin/rfib.rs'), 'utf8').match(/fib\((\d+)\)\)/)[1]);
  let [prev, cur] = [0, 1];
  const odd = [];
  for (let i = 0; i < n; i++) {
    [prev, cur] = [cur, prev + cur];
    if (cur % 2) odd.push(cur);
  }
  return odd;
}

test('Rust kernel: an eBPF logpoint in os::syscall::fs::sys_write prints fd and len of each of rfib\'s writes, without a stop', async (t) => {
  const file = 'rkernel/src/syscall/fs.rs';
  const line = lineOf(file, 'if fd != FD_STDOUT {');
  assert.ok(line > lineOf(file, 'pub fn sys_write('), 'the line is sys_write\'s');
  const { dc, output, stopped } = await startSession(t, { bootArgs: 'run=rfib' }, async (dc) => {
    const r = await dc.setBreakpointsRequest({ source: { path: src(file) },
      breakpoints: [{ line, logMessage: 'write fd={fd} len={len} by {comm}' }] });
    // The adapter says which way the logpoint runs: eBPF in the OS.
    assert.equal(r.body.breakpoints[0].verified, true, JSON.stringify(r.body));
    assert.match(r.body.breakpoints[0].message, /eBPF logpoint/, JSON.stringify(r.body));
  });
  await dc.waitForEvent('terminated', 60000);
  const text = output.join('');
  assert.doesNotMatch(text, /runs as a GDB stop-print-resume/, text);
  // Every profile expression evaluates at its hook: initproc's exec comes
  // before any task is current, so the profile gives exec.pid.
  assert.doesNotMatch(text, /osdbg: profile: /, text);
  // rfib's own lines on the console, one write each (user_lib's print!).
  const printed = text.split('\n').filter((l) => /^rfib: /.test(l));
  assert.equal(printed.length, 2, text);
  const writes = text.split('\n').filter((l) => /^write fd=\S+ len=\S+ by rfib$/.test(l));
  assert.deepEqual(writes, printed.map((l) => `write fd=1 len=${l.length + 1} by rfib`), text);
  assert.equal(stopped.length, 0, 'the logpoint never stopped the OS');
  const stats = await dc.customRequest('osdbg/stats', {});
  assert.equal(stats.body.filteredHits + stats.body.userStops, 0, 'no GDB stop at all');
});

test('Rust kernel: a logpoint on rfib\'s Option falls back to GDB with one notice, and prints each odd value', async (t) => {
  const file = 'rkernel/user/src/bin/rfib.rs';
  const line = lineOf(file, 'odd[seen % odd.len()] = v;');
  const { dc, output, stopped } = await startSession(t, { bootArgs: 'run=rfib' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src(file) },
      breakpoints: [{ line, logMessage: 'odd v={v} last={f.last}' }] });
  });
  await dc.waitForEvent('terminated', 60000);
  const text = output.join('');
  const notices = text.match(/osdbg: logpoint at \S*rfib\.rs:\d+ runs as a GDB stop-print-resume: [^\n]*\n/g) ?? [];
  assert.equal(notices.length, 1, text);
  assert.match(notices[0], new RegExp(`rfib\\.rs:${line} runs as a GDB stop-print-resume: \\{f\\.last\\}: Option<u64> cannot be read by an eBPF logpoint`));
  // At that line f.last is Some(v): step() stored the value it returned.
  const logs = text.split('\n').filter((l) => l.startsWith('odd v='));
  const want = rfibOdd();
  assert.equal(logs.length, want.length, text);
  logs.forEach((l, i) => assert.match(l, new RegExp(`^odd v=${want[i]} last=.*Some\\(${want[i]}\\)\\}?$`), l));
  assert.equal(stopped.length, 0, 'GDB logpoints resume by themselves');
});

// rfib.rs: the (prev, cur) Fib::step starts from on each of its n calls.
function rfibSteps() {
  const n = Number(fs.readFileSync(src('rkernel/user/src/bin/rfib.rs'), 'utf8').match(/fib\((\d+)\)\)/)[1]);
  let [prev, cur] = [0, 1];
  const steps = [];
  for (let i = 0; i < n; i++) {
    steps.push([prev, cur]);
    [prev, cur] = [cur, prev + cur];
  }
  return steps;
}

// Sets logpoints in one file, checks the adapter runs each as eBPF.
const ebpfLogpoints = (file, breakpoints) => async (dc) => {
  const r = await dc.setBreakpointsRequest({ source: { path: src(file) }, breakpoints });
  for (const b of r.body.breakpoints) {
    assert.equal(b.verified, true, JSON.stringify(r.body));
    assert.match(b.message, /eBPF logpoint/, JSON.stringify(r.body));
  }
};

// After the run: no GDB fallback notice, no stop, no GDB stop at all.
async function assertOnlyEbpf(dc, text, stopped) {
  assert.doesNotMatch(text, /runs as a GDB stop-print-resume/, text);
  assert.equal(stopped.length, 0, 'the logpoint never stopped the OS');
  const stats = await dc.customRequest('osdbg/stats', {});
  assert.equal(stats.body.filteredHits + stats.body.userStops, 0, 'no GDB stop at all');
}

// Every program is linked at 0x10000: hello has code at Fib::step's
// addresses too (when this was written, hello ran the instruction at that
// line's first address, in core::slice::iter, 3 times per run: `osdbg trace
// uprobe hello:0x11602 count`).  A uprobe logpoint is rfib's alone: hello
// runs before and after rfib and prints none.
const RUN_AROUND_RFIB = 'run=hello,rfib,hello';

test('Rust kernel: an eBPF logpoint in rfib\'s Fib::step prints self.prev and self.cur on each of its calls, in rfib only', async (t) => {
  const file = 'rkernel/user/src/bin/rfib.rs';
  const line = lineOf(file, 'let next = self.prev + self.cur;');
  assert.ok(line > lineOf(file, 'fn step(&mut self)'), 'the line is Fib::step\'s');
  const { dc, output, stopped } = await startSession(t, { bootArgs: RUN_AROUND_RFIB },
    ebpfLogpoints(file, [{ line, logMessage: 'step prev={self.prev} cur={self.cur} in {comm}' }]));
  await dc.waitForEvent('terminated', 60000);
  const text = output.join('');
  // Both hellos and rfib ran to the end.
  assert.equal(text.match(/^Hello, world!/gm)?.length, 2, text);
  assert.match(text, /^rfib: fib\(\d+\) = \d+$/m, text);
  const logs = text.split('\n').filter((l) => l.startsWith('step '));
  assert.deepEqual(logs, rfibSteps().map(([p, c]) => `step prev=${p} cur=${c} in rfib`), text);
  await assertOnlyEbpf(dc, text, stopped);
});

test('Rust kernel: an eBPF logpoint in Fib::step with the condition self.cur > 10 prints only the steps from a cur above 10', async (t) => {
  const file = 'rkernel/user/src/bin/rfib.rs';
  const line = lineOf(file, 'let next = self.prev + self.cur;');
  const { dc, output, stopped } = await startSession(t, { bootArgs: RUN_AROUND_RFIB },
    ebpfLogpoints(file, [{ line, logMessage: 'big {self.cur} after {self.prev}', condition: 'self.cur > 10' }]));
  await dc.waitForEvent('terminated', 60000);
  const text = output.join('');
  const want = rfibSteps().filter(([, c]) => c > 10).map(([p, c]) => `big ${c} after ${p}`);
  assert.ok(want.length > 0 && want.length < rfibSteps().length, 'the condition keeps some steps, not all');
  const logs = text.split('\n').filter((l) => l.startsWith('big '));
  assert.deepEqual(logs, want, text);
  await assertOnlyEbpf(dc, text, stopped);
});

test('Rust kernel: an eBPF logpoint in os::task::task::exec_commit prints its &str path: the programs run, in order', async (t) => {
  const file = 'rkernel/src/task/task.rs';
  const line = lineOf(file, 'let _ = (path, pid, satp);');
  assert.ok(line > lineOf(file, 'pub fn exec_commit(path: &str'), 'the line is exec_commit\'s');
  const programs = ['hello', 'rfib', 'forktest', 'hello'];
  const { dc, output, stopped } = await startSession(t, { bootArgs: `run=${programs.join(',')}` },
    ebpfLogpoints(file, [{ line, logMessage: 'exec [{path}] pid={pid}' }]));
  await dc.waitForEvent('terminated', 60000);
  const text = output.join('');
  const logs = text.split('\n').filter((l) => l.startsWith('exec ['));
  // The kernel makes initproc itself (its first exec_commit, during the
  // side-stub's boot wait, after the probe is in); initproc then runs
  // the boot line's programs.  sys_exec reads the path up to its NUL
  // (translated_str): the &str is the bare name.
  const execs = logs.map((l) => l.match(/^exec \[([a-z_]+)\] pid=(\d+)$/));
  assert.ok(execs.every(Boolean), text);
  assert.deepEqual(execs.map((m) => m[1]), ['initproc', ...programs], text);
  // pid is exec_commit's parameter: each hello's is the pid hello prints.
  const helloPids = [...text.matchAll(/^Hello, world! \(pid (\d+)\)$/gm)].map((m) => m[1]);
  assert.deepEqual(execs.filter((m) => m[1] === 'hello').map((m) => m[2]), helloPids, text);
  assert.equal(helloPids.length, 2, text);
  await assertOnlyEbpf(dc, text, stopped);
});
