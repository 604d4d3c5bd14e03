// Every request gets exactly one response, whatever happened before it
// (issue 12, defect 6).  After each kind of fault (GDB killed, the session
// terminated, `quit` typed into the Debug Console's GDB command line), every
// request the adapter serves is sent once, and each must be answered exactly
// once, within a time limit.  The list of requests is the adapter's own
// table (adapter/dap/handler/table.c), so a new request is covered without a change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../kernel/qemu.mjs';
import { rawAdapter } from './rawdap.mjs';
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
const HELLO = path.join(ROOT, 'user', 'hello.c');

const commands = [...fs.readFileSync(path.join(ROOT, "adapter", "dap", "handler", "table.c"), 'utf8')
  .split('osdbg_requests[] = {')[1].split('};')[0].matchAll(/\{"([^"]+)", req_/g)].map((m) => m[1]);

// Plausible arguments for each; anything not here gets {}.
const argsOf = {
  launch: { profile: PROFILE },
  attach: { profile: PROFILE },
  setBreakpoints: { source: { path: HELLO }, breakpoints: [{ line: 6 }] },
  setFunctionBreakpoints: { breakpoints: [{ name: 'sys_write' }] },
  setInstructionBreakpoints: { breakpoints: [{ instructionReference: '0x80200000' }] },
  setExceptionBreakpoints: { filters: [] },
  continue: { threadId: 1 }, pause: { threadId: 1 }, next: { threadId: 1 }, stepIn: { threadId: 1 }, stepOut: { threadId: 1 },
  stackTrace: { threadId: 1 },
  scopes: { frameId: 1 },
  variables: { variablesReference: 1 },
  evaluate: { expression: 'cpus', context: 'watch' },
  readMemory: { memoryReference: '0x80200000', count: 16 },
  writeMemory: { memoryReference: '0x87000000', data: 'AAAA' },
  disassemble: { memoryReference: '0x80200000', instructionCount: 4 },
  setVariable: { variablesReference: 1, name: 'x', value: '1' },
  dataBreakpointInfo: { name: 'ticks' },
  setDataBreakpoints: { breakpoints: [] },
  consoleInput: { text: 'hello\n' },
  'osdbg/trace': { command: 'list' },
  'osdbg/traceDetach': { id: 999 },
  'osdbg/traceMap': { id: 999 },
};

const adapter = rawAdapter;

/* The adapter's child processes (from /proc: no ps on a minimal machine). */
function children(pid) {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return { pid: Number(d), comm, ppid };
    } catch { return null; }
  }).filter((c) => c && c.ppid === pid);
}

async function session(t) {
  const a = adapter(t);
  await a.answered(a.send('initialize', { adapterID: 'osdbg', linesStartAt1: true }), 'initialize');
  const l = await a.answered(a.send('launch', { type: 'osdbg', request: 'launch', profile: PROFILE, bootArgs: '', stopOnEntry: false }), 'launch');
  assert.equal(l.success, true, JSON.stringify(l));
  await a.event('initialized');
  await a.answered(a.send('configurationDone'), 'configurationDone');
  return a;
}

async function everyRequestAnswered(a, fault) {
  const last = ['restart', 'terminate', 'disconnect'];
  const order = [...commands.filter((c) => !last.includes(c)), ...last];
  for (const c of order) {
    const s = a.send(c, argsOf[c] ?? {});
    const r = await a.answered(s, `after ${fault}: ${c}`);
    assert.equal(r.command, c);
    // (dispatch's own answer for a handler that gave none is a bug to fix)
    assert.doesNotMatch(r.message ?? '', /please report/, `after ${fault}: ${c} answers for itself`);
  }
  // and no second response turns up later
  await new Promise((r) => setTimeout(r, 500));
  const counts = new Map();
  for (const m of a.msgs) if (m.type === 'response') counts.set(m.request_seq, (counts.get(m.request_seq) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, n]) => n > 1), [], `after ${fault}: exactly one response each`);
}

test('after GDB is killed, every request is answered once', { timeout: 240000 }, async (t) => {
  const a = await session(t);
  const gdb = children(a.p.pid).find((c) => /gdb/.test(c.comm));
  assert.ok(gdb, `GDB runs under the adapter: ${JSON.stringify(children(a.p.pid))}`);
  process.kill(gdb.pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  await everyRequestAnswered(a, 'GDB killed');
});

test('after terminate, every request is answered once', { timeout: 240000 }, async (t) => {
  const a = await session(t);
  await a.answered(a.send('terminate'), 'terminate');
  await everyRequestAnswered(a, 'terminate');
});

test('after quit in the Debug Console, every request is answered once', { timeout: 240000 }, async (t) => {
  const a = await session(t);
  await a.answered(a.send('evaluate', { expression: 'quit', context: 'repl' }), 'quit');
  await new Promise((r) => setTimeout(r, 300));
  await everyRequestAnswered(a, 'quit');
});

// Defect 4: writes to QEMU never block the adapter.  1 MiB typed into the OS
// console takes QEMU's UART minutes to read; meanwhile every request must be
// answered at once, and the input must arrive in order (the shell echoes it).
test('a 1 MiB consoleInput does not block the adapter', { timeout: 120000 }, async (t) => {
  const a = await session(t);
  const echoed = () => a.msgs.filter((m) => m.event === 'output' && m.body.category === 'stdout').map((m) => m.body.output).join('');
  // Typed once the shell is up: typed earlier, the console echoes it while
  // the kernel and the shell still print their banners, interleaved.
  const up = Date.now() + 60000;
  while (!/\$ $/m.test(echoed()) && Date.now() < up) await new Promise((res) => setTimeout(res, 50));
  assert.match(echoed(), /\$ $/m, 'the shell prompts');
  const big = `echo ${'x'.repeat(1 << 20)}\n`;
  const t0 = Date.now();
  const c = a.send('consoleInput', { text: big });
  const r = await a.answered(c, 'consoleInput of 1 MiB', 5000);
  assert.equal(r.success, true, JSON.stringify(r));
  for (let i = 0; i < 5; i++) {
    const s = a.send('threads');
    await a.answered(s, `threads while the OS reads 1 MiB (${i})`, 2000);
  }
  console.log(`# 1 MiB of console input queued; 5 requests answered in ${Date.now() - t0} ms`);
  // The OS is reading it: the shell echoes the x's as they come (its line
  // buffer cuts them into many lines).
  const end = Date.now() + 20000;
  const xs = () => (echoed().match(/x/g) ?? []).length;
  while (xs() < 20000 && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
  assert.match(echoed(), /\$ echo x/, 'the input starts where it was typed');
  assert.ok(xs() >= 20000, `the OS goes on reading the input: ${xs()} bytes echoed`);
  await a.answered(a.send('terminate'), 'terminate');
});

// Defect 7: the work a request gives GDB is bounded by what it asks for, not
// by an offset: disassemble far from the reference, and a 1 MiB readMemory.
test('disassemble at a huge instructionOffset and readMemory of 1 MiB answer in bounded time', { timeout: 120000 }, async (t) => {
  const a = await session(t);
  await a.answered(a.send('pause', { threadId: 1 }), 'pause');
  await a.event('stopped');
  const ref = '0x80200000';
  for (const ioff of [1000000, -1000000, 4000000]) {
    const t0 = Date.now();
    const r = await a.answered(a.send('disassemble', { memoryReference: ref, instructionOffset: ioff, instructionCount: 50 }), `disassemble at ${ioff}`, 10000);
    assert.equal(r.success, true, JSON.stringify(r).slice(0, 300));
    assert.equal(r.body.instructions.length, 50, 'exactly instructionCount entries');
    console.log(`# disassemble 50 at instructionOffset ${ioff}: ${Date.now() - t0} ms`);
  }
  const far = await a.answered(a.send('disassemble', { memoryReference: ref, instructionOffset: 1e9, instructionCount: 10 }), 'disassemble at 1e9', 10000);
  assert.equal(far.success, false, 'an offset of 10^9 instructions is refused');
  assert.match(far.message, /instructionOffset/);
  const t0 = Date.now();
  const m = await a.answered(a.send('readMemory', { memoryReference: ref, count: 1 << 20 }), 'readMemory 1 MiB', 30000);
  const took = Date.now() - t0;
  assert.equal(m.success, true);
  assert.equal(Buffer.from(m.body.data ?? '', 'base64').length + (m.body.unreadableBytes ?? 0), 1 << 20, '1 MiB read or marked unreadable');
  console.log(`# readMemory of 1 MiB: ${took} ms`);
  // the session is still there
  const th = await a.answered(a.send('threads'), 'threads afterwards');
  assert.equal(th.success, true);
  await a.answered(a.send('terminate'), 'terminate');
});

// Defects 8 and 9: GDB logpoints while the client keeps changing other
// breakpoints (each change stops the OS: its interrupt races with the
// logpoint's own stops).  Every hit prints exactly once; removing the busy
// logpoint leaves the OS running with no stop shown.

/* A session whose logpoints are GDB's (ebpfLogpoints: false), with one at
 * the line of `file` holding `text`; at the shell prompt. */
async function gdbLogpointSession(t, file, text, logMessage) {
  const a = adapter(t);
  await a.answered(a.send('initialize', { adapterID: 'osdbg' }), 'initialize');
  await a.answered(a.send('launch', { type: 'osdbg', request: 'launch', profile: PROFILE, bootArgs: '', stopOnEntry: false, ebpfLogpoints: false }), 'launch');
  await a.event('initialized');
  const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
  const logpoint = (on) => a.send('setBreakpoints', { source: { path: file }, breakpoints: on ? [{ line, logMessage }] : [] });
  await a.answered(logpoint(true), 'the logpoint');
  await a.answered(a.send('configurationDone'), 'configurationDone');
  const out = () => a.msgs.filter((m) => m.event === 'output').map((m) => m.body.output).join('');
  const wait = async (re, what, ms = 60000) => {
    const end = Date.now() + ms;
    while (!re.test(out()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.match(out(), re, what);
  };
  await wait(/\$ $/m, 'the shell prompt');
  /* Other breakpoints change every 15 ms until done(): each change stops the OS. */
  const churn = async (done) => {
    let on = false;
    const end = Date.now() + 90000;
    while (!done() && Date.now() < end) {
      on = !on;
      await a.answered(a.send('setBreakpoints', { source: { path: HELLO }, breakpoints: on ? [{ line: 6 }] : [] }), 'churn');
      await new Promise((r) => setTimeout(r, 15));
    }
  };
  const noStops = () => assert.deepEqual(a.msgs.filter((m) => m.event === 'stopped').map((m) => m.body), [], 'no stop was shown');
  return { a, out, wait, churn, logpoint, noStops };
}

test('a busy GDB logpoint prints once per hit while breakpoints change, and removing it stops nothing', { timeout: 180000 }, async (t) => {
  const { a, out, wait, churn, logpoint, noStops } =
    await gdbLogpointSession(t, path.join(ROOT, 'kernel', 'sysproc.c'), 'return myproc()->pid;', 'getpid by {comm}');
  const N = 300;
  a.send('consoleInput', { text: `sysbench ${N}\n` });
  const done1 = /sysbench: 300 getpid\(\) calls/;
  await churn(() => done1.test(out()));
  await wait(done1, 'sysbench ran');
  await new Promise((r) => setTimeout(r, 500));
  const lines = out().split('\n').filter((l) => l === 'getpid by sysbench');
  assert.equal(lines.length, N, `one line per getpid of sysbench (${lines.length} for ${N})`);
  // Now remove the logpoint while it fires.
  a.send('consoleInput', { text: `sysbench ${N}\n` });
  await wait(/getpid by sysbench[\s\S]*getpid by sysbench[\s\S]*getpid by sysbench\n(?![\s\S]*sysbench: 300 getpid\(\) calls[\s\S]*sysbench: 300)/, 'the second run has begun');
  await a.answered(logpoint(false), 'remove the busy logpoint');
  await wait(/sysbench: 300 getpid\(\) calls[\s\S]*sysbench: 300 getpid\(\) calls/, 'the OS goes on and sysbench finishes', 60000);
  noStops();
  await a.answered(a.send('terminate'), 'terminate');
});

// The same in user code: a GDB logpoint in sysbench's loop (user mode, where
// the timer lets the scheduler run other programs over the same addresses).
test('a GDB logpoint in a user program prints once per hit while breakpoints change', { timeout: 180000 }, async (t) => {
  const { a, out, wait, churn, noStops } =
    await gdbLogpointSession(t, path.join(ROOT, 'user', 'sysbench.c'), 'pid = getpid();', 'call {i}');
  const N = 200;
  a.send('consoleInput', { text: `sysbench ${N}\n` });
  const done = new RegExp(`sysbench: ${N} getpid\\(\\) calls`);
  await churn(() => done.test(out()));
  await wait(done, 'sysbench ran');
  await new Promise((r) => setTimeout(r, 500));
  const calls = out().split('\n').filter((l) => /^call \d+$/.test(l)).map((l) => Number(l.slice(5)));
  assert.deepEqual(calls, Array.from({ length: N }, (_, i) => i), 'each iteration printed once, in order');
  noStops();
  await a.answered(a.send('terminate'), 'terminate');
});
