// The reference OS on several harts, debugged: every hart is a DAP thread
// named with what it runs, a breakpoint stops only in its own program
// whichever hart runs which, the stop names the hart that hit it, stacks
// and registers belong to the thread asked about, and a step runs one hart
// while the others stay where they are.  Real QEMU (-smp 2 from the
// profile, or the launch key "harts"), real GDB, a real DAP client.
// user/tick.c and user/tock.c are two programs whose counting loops lie at
// the same virtual addresses (checked below with the toolchain's nm).
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { followStops } from './harts.mjs';
import { ROOT, BUILD } from '../kernel/qemu.mjs';
import { src, lineOf } from './source.mjs';

const test = (name, fn) => nodeTest(name, { timeout: 120000 }, fn);
const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
const TICK_LINE = lineOf('user/tick.c', 'tick: the loop\'s line');
const TOCK_LINE = lineOf('user/tock.c', 'tock: the loop\'s line');
const KERNEL_TOP = 0x80000000n; // the kernel's text starts here (kernel/kernel.ld); programs at 0x10000

async function startSession(t, launchArgs, setup = async () => {}) {
  const dc = followStops(new DebugClient(OSDBG, 'dap', 'osdbg'));
  dc.defaultTimeout = 30000;
  await dc.start();
  // Bounded: stop() of a client whose adapter has already gone waits forever.
  t.after(() => Promise.race([dc.stop().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]));
  const output = [];
  dc.on('output', (e) => output.push(e.body.output));
  const spaces = [];
  dc.on('osdbg/addressSpace', (e) => spaces.push(e.body));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, ...launchArgs });
  await initialized;
  await setup(dc);
  await dc.configurationDoneRequest();
  return { dc, output, spaces };
}

const waitStopped = (dc, ms = 30000) => dc.waitForEvent('stopped', ms);
const threads = async (dc) => (await dc.threadsRequest()).body.threads;
const NAME = /^hart (\d+) · (?:(\w+)\/(\d+)|kernel|user) ([USM])$/;
function parseName(name) {
  const m = name.match(NAME);
  assert.ok(m, `thread name "${name}" reads "hart N · program/pid MODE"`);
  return { hart: Number(m[1]), program: m[2] ?? null, pid: m[3] ? Number(m[3]) : null, mode: m[4] };
}
// The program counter of a thread's innermost frame, from its Registers scope.
async function pcOf(dc, threadId) {
  const frame = (await dc.stackTraceRequest({ threadId, levels: 1 })).body.stackFrames[0];
  const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
  const regs = scopes.find((s) => s.name === 'Registers');
  const vars = (await dc.variablesRequest({ variablesReference: regs.variablesReference })).body.variables;
  const pc = vars.find((v) => v.name === 'pc');
  assert.ok(pc, `a pc register for thread ${threadId}`);
  return BigInt(pc.value.split(' ')[0]);
}

// How far a hart has got: in tick's or tock's loop its counter i (the pc
// alone may stop at the same instruction of a short loop twice), else its pc.
async function progress(dc, threadId) {
  const frame = (await dc.stackTraceRequest({ threadId, levels: 1 })).body.stackFrames[0];
  if (/^to?ck_count|^tick_count|^tock_count/.test(frame.name)) {
    const r = await dc.evaluateRequest({ expression: 'i', frameId: frame.id, context: 'watch' });
    return `${frame.name} i=${r.body.result}`;
  }
  return `pc=${(await pcOf(dc, threadId)).toString(16)}`;
}

test('tick and tock share the addresses of their loops (what the scenarios below rely on)', () => {
  const nm = (prog, sym) => execFileSync('riscv64-unknown-elf-nm', [path.join(BUILD, 'user', prog)], { encoding: 'utf8' })
    .split('\n').find((l) => l.endsWith(` ${sym}`))?.split(' ')[0];
  const tick = nm('tick', 'tick_count'), tock = nm('tock', 'tock_count');
  assert.ok(tick && tock, 'both functions are in their programs');
  assert.equal(tick, tock, 'tick_count and tock_count start at the same address');
});

test('every hart is a thread named with its hart, program, pid and mode; a profile without {hart} is named', async (t) => {
  const { dc, output } = await startSession(t, { bootArgs: 'run=tick', stopOnEntry: true });
  await waitStopped(dc);
  const before = await threads(dc);
  assert.deepEqual(before.map((th) => th.id), [1, 2], 'two harts from the profile\'s -smp 2');
  assert.deepEqual(before.map((th) => parseName(th.name).hart), [0, 1]);
  await dc.setBreakpointsRequest({ source: { path: src('user/tock.c') }, breakpoints: [{ line: TOCK_LINE }] });
  await dc.continueRequest({ threadId: dc.thread });
  const stop = await waitStopped(dc);
  const named = (await threads(dc)).map((th) => ({ id: th.id, ...parseName(th.name) }));
  const me = named.find((n) => n.id === stop.body.threadId);
  assert.equal(me.program, 'tock');
  assert.equal(me.mode, 'U');
  assert.match(stop.body.description, new RegExp(`^tock/${me.pid}, U mode, hart ${me.hart}$`));
  assert.ok(!output.join('').includes('does not depend on the hart'), 'the reference profile uses {hart}');
});

test('two harts run two programs at the same addresses: each breakpoint stops only in its own program', async (t) => {
  const { dc, spaces } = await startSession(t, { bootArgs: 'run=tick' }, async (dc) => {
    const a = await dc.setBreakpointsRequest({ source: { path: src('user/tick.c') }, breakpoints: [{ line: TICK_LINE }] });
    const b = await dc.setBreakpointsRequest({ source: { path: src('user/tock.c') }, breakpoints: [{ line: TOCK_LINE }] });
    dc.ids = { [a.body.breakpoints[0].id]: 'tick', [b.body.breakpoints[0].id]: 'tock' };
  });
  const seen = { tick: 0, tock: 0 };
  let together = 0; // stops where the other hart ran the other program
  for (let i = 0; i < 24; i++) {
    const stop = await waitStopped(dc);
    assert.equal(stop.body.reason, 'breakpoint');
    const bp = dc.ids[stop.body.hitBreakpointIds?.[0]];
    assert.ok(bp, `stop ${i} names one of the two breakpoints: ${JSON.stringify(stop.body)}`);
    const named = (await threads(dc)).map((th) => ({ id: th.id, ...parseName(th.name) }));
    const me = named.find((n) => n.id === stop.body.threadId);
    assert.equal(me.program, bp, `stop ${i}: ${bp}'s breakpoint stopped in ${me.program} (hart ${me.hart})`);
    assert.match(stop.body.description, new RegExp(`^${bp}/\\d+, U mode, hart ${me.hart}$`));
    const top = (await dc.stackTraceRequest({ threadId: stop.body.threadId, levels: 1 })).body.stackFrames[0];
    assert.equal(top.source.path, src(`user/${bp}.c`), `stop ${i}: the stack is ${bp}'s`);
    const other = named.find((n) => n.id !== stop.body.threadId);
    if (other.program && other.program !== bp) together++;
    // The Address Spaces view's event: every hart, the stopped one selected.
    const space = spaces.at(-1);
    assert.equal(space.harts.length, 2);
    assert.equal(space.harts.find((h) => h.selected).threadId, stop.body.threadId);
    assert.equal(space.harts.find((h) => h.threadId === other.id).program, other.program);
    seen[bp]++;
    // Alternate: take the breakpoint of the program that just stopped out,
    // so that the next stop is the other program's.
    const prog = bp === 'tick' ? 'tock' : 'tick';
    for (const [p, line] of [['tick', TICK_LINE], ['tock', TOCK_LINE]]) {
      const r = await dc.setBreakpointsRequest({ source: { path: src(`user/${p}.c`) },
        breakpoints: p === prog ? [{ line }] : [] });
      if (p === prog) dc.ids = { [r.body.breakpoints[0].id]: p };
    }
    await dc.continueRequest({ threadId: dc.thread });
  }
  assert.ok(seen.tick >= 10 && seen.tock >= 10, `both programs stopped: ${JSON.stringify(seen)}`);
  assert.ok(together > 0, 'at some stop the two harts ran the two programs at once');
  const stats = (await dc.customRequest('osdbg/stats', {})).body;
  console.log(`# stops with tick and tock on the two harts at once: ${together}/24; hits resumed unseen: ${stats.filteredHits}`);
});

test('a breakpoint hit on hart 1 while hart 0 is in the kernel: each thread has its own stack and registers', async (t) => {
  // tock alone: one hart counts in user mode, the other idles in the
  // kernel's scheduler.  The stop is the counting hart's; which hart that
  // is, is the scheduler's choice, so the OS is restarted until it is hart
  // 1 (in practice the first time: hart 0 starts the others, which pick
  // init, and tock, first).
  let dc;
  for (let attempt = 0; attempt < 8; attempt++) {
    ({ dc } = await startSession(t, { bootArgs: 'run=tock' }, async (dc) => {
      await dc.setBreakpointsRequest({ source: { path: src('user/tock.c') }, breakpoints: [{ line: TOCK_LINE }] });
    }));
    const stop = await waitStopped(dc);
    if (stop.body.threadId === 2) break;
    console.log(`# attempt ${attempt}: tock ran on thread ${stop.body.threadId}; again`);
    await dc.disconnectRequest({ terminateDebuggee: true });
    dc = null;
  }
  assert.ok(dc, 'tock ran on hart 1 in one of 8 boots');
  assert.equal(dc.thread, 2);
  const named = Object.fromEntries((await threads(dc)).map((th) => [th.id, parseName(th.name)]));
  assert.equal(named[2].program, 'tock');
  assert.equal(named[2].mode, 'U');
  assert.equal(named[1].mode, 'S', `hart 0 is in the kernel: ${JSON.stringify(named[1])}`);
  // Each thread's stack: tock's loop on hart 1, the kernel on hart 0.
  const s2 = (await dc.stackTraceRequest({ threadId: 2 })).body.stackFrames;
  assert.equal(s2[0].source.path, src('user/tock.c'));
  assert.equal(s2[0].line, TOCK_LINE);
  const s1 = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
  // Kernel code is every source the kernel image links: its own folder and
  // the embedded engines (an idle hart polls the side-stub, ktrace/).
  assert.match(s1[0].source?.path ?? '', /\/(kernel|ktrace|probes|ebpf|sidestub)\/[\w./]+$/,
    `hart 0's innermost frame is kernel code: ${JSON.stringify(s1[0])}`);
  // The scheduler's loop, or an interrupt taken there: kernel frames only.
  assert.ok(s1.every((f) => / \[kernel\]$/.test(f.name)), `hart 0 runs the kernel: ${s1.map((f) => f.name)}`);
  assert.ok(s1.every((f) => !s2.some((g) => g.id === f.id)), 'frame ids of the two threads differ');
  // Registers belong to the thread: hart 0's pc is kernel text, hart 1's tock's.
  const pc1 = await pcOf(dc, 1), pc2 = await pcOf(dc, 2);
  assert.ok(pc1 >= KERNEL_TOP, `hart 0's pc 0x${pc1.toString(16)} is in the kernel`);
  assert.ok(pc2 < KERNEL_TOP, `hart 1's pc 0x${pc2.toString(16)} is in tock`);
  // Back to thread 2's frame after looking at thread 1: its Locals are tock's.
  const scopes = (await dc.scopesRequest({ frameId: s2[0].id })).body.scopes;
  const locals = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
  assert.ok(locals.some((v) => v.name === 'rounds'), `tock_count's locals: ${locals.map((v) => v.name)}`);
  const i = await dc.evaluateRequest({ expression: 'rounds', frameId: s2[0].id, context: 'watch' });
  assert.equal(i.body.result, '2000000');
  // Continue after looking at hart 0 last: the hart on the breakpoint (1) is
  // stepped over it, not the one looked at (stepping an idle hart's wfi with
  // its interrupts masked never ended: the OS hung).
  await dc.stackTraceRequest({ threadId: 1 });
  await dc.continueRequest({ threadId: 1 });
  const again = await waitStopped(dc);
  assert.equal(again.body.reason, 'breakpoint');
  assert.match(again.body.description, /^tock\//);
});

test('a step runs one hart: it ends in the same process, and the other hart has not moved', async (t) => {
  const { dc } = await startSession(t, { bootArgs: 'run=tick' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/tick.c') }, breakpoints: [{ line: TICK_LINE }] });
  });
  let stop = await waitStopped(dc);
  // Step the tick hart with the other hart running tock: then no process
  // waits for a hart, and a timer tick on the stepping hart gives it back
  // to tick (before tock has exec'd and runs, the tick could give it to
  // tock: a step that is carried on across harts, the test below).
  for (let i = 0; i < 200; i++) {
    const named = (await threads(dc)).map((th) => ({ id: th.id, ...parseName(th.name) }));
    if (named.find((n) => n.id !== stop.body.threadId).program === 'tock') break;
    await dc.continueRequest({ threadId: dc.thread });
    stop = await waitStopped(dc);
  }
  const me = stop.body.threadId, other = me === 1 ? 2 : 1;
  await dc.setBreakpointsRequest({ source: { path: src('user/tick.c') }, breakpoints: [] });
  const where = parseName((await threads(dc)).find((th) => th.id === me).name);
  const otherPc = await pcOf(dc, other);
  const otherName = (await threads(dc)).find((th) => th.id === other).name;
  assert.equal(parseName(otherName).program, 'tock', 'the other hart runs tock');
  for (let i = 0; i < 8; i++) {
    await dc.nextRequest({ threadId: me });
    stop = await waitStopped(dc);
    assert.equal(stop.body.reason, 'step');
    assert.equal(stop.body.threadId, me, `step ${i} stopped on the hart it ran`);
    const now = parseName((await threads(dc)).find((th) => th.id === me).name);
    assert.equal(now.program, 'tick');
    assert.equal(now.pid, where.pid, `step ${i} stayed in tick/${where.pid}`);
    assert.equal(await pcOf(dc, other), otherPc, `step ${i}: the other hart did not run`);
    assert.equal((await threads(dc)).find((th) => th.id === other).name, otherName);
  }
  // Stepping the other thread selects it: its step is its own.
  if (parseName(otherName).mode === 'U') {
    await dc.nextRequest({ threadId: other });
    stop = await waitStopped(dc);
    assert.equal(stop.body.threadId, other);
  }
});

test('pause stops every hart: each is named with what it runs; continue runs them all again', async (t) => {
  // The shell, then tick and tock counting for a minute (they stop with the session).
  const { dc, spaces, output } = await startSession(t, {});
  for (let i = 0; i < 300 && !output.join('').includes('$ '); i++) await new Promise((r) => setTimeout(r, 100));
  await dc.customRequest('consoleInput', { text: 'tick 300000000\n' });
  await new Promise((r) => setTimeout(r, 1500));
  await dc.pauseRequest({ threadId: 1 });
  const stop = await waitStopped(dc);
  assert.equal(stop.body.reason, 'pause');
  assert.equal(stop.body.allThreadsStopped, true);
  const named = (await threads(dc)).map((th) => parseName(th.name));
  assert.equal(named.length, 2);
  assert.ok(named.every((n) => 'USM'.includes(n.mode)), 'every hart was read at the stop');
  assert.equal(spaces.at(-1).harts.length, 2);
  // Both stopped: what they run stays put while we look.
  const before = [await progress(dc, 1), await progress(dc, 2)];
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual([await progress(dc, 1), await progress(dc, 2)], before, 'nothing ran while stopped');
  // A pause often finds a hart at the first instruction of the trap
  // vector (the trampoline's uservec, 0x3ffffff000: a timer interrupt taken
  // as the hart stops), and there the sample is that pc, the same each
  // time.  So a hart seen at the same place is given more chances: one that
  // does not run at all fails every one.
  let after;
  for (let attempt = 0; attempt < 5; attempt++) {
    await dc.continueRequest({ threadId: 1 });
    await new Promise((r) => setTimeout(r, 500));
    await dc.pauseRequest({ threadId: 1 });
    await waitStopped(dc);
    after = [await progress(dc, 1), await progress(dc, 2)];
    if (after[0] !== before[0] && after[1] !== before[1])
      break;
    console.log(`# continue and pause ${attempt + 1}: a hart at the same place (${before} then ${after}); again`);
  }
  assert.ok(after[0] !== before[0] && after[1] !== before[1],
    `both harts ran after continue: ${before} then ${after}; ${JSON.stringify(named)}`);
});

test('the launch key "harts" boots another number of harts; a bad one is refused', async (t) => {
  const { dc } = await startSession(t, { bootArgs: 'run=tick', stopOnEntry: true, harts: 4 });
  await waitStopped(dc);
  assert.deepEqual((await threads(dc)).map((th) => parseName(th.name).hart), [0, 1, 2, 3]);
  const bad = followStops(new DebugClient(OSDBG, 'dap', 'osdbg'));
  await bad.start();
  t.after(() => bad.stop().catch(() => {}));
  await bad.initializeRequest();
  await assert.rejects(bad.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, harts: 0 }),
    /"harts" must be a number of harts from 1 to \d+/);
});

for (const harts of [1, 2]) {
  test(`a long step (${harts} hart${harts > 1 ? 's' : ''}), preempted while it runs: another process execs and exits on the stepping hart, the step still ends in tick`, async (t) => {
    // next over tick_count(): two million rounds, many timer ticks.  A tick
    // gives the hart to tock (forked, waiting to run), which execs and
    // exits: hook stops on the stepping hart, after which GDB's step is
    // gone.  The step must go on until tick is back and has finished the line.
    const callLine = lineOf('user/tick.c', 'long total = tick_count(rounds);');
    const nextLine = lineOf('user/tick.c', 'printf("tick: done');
    const { dc, output } = await startSession(t, { bootArgs: 'run=tick', harts }, async (dc) => {
      await dc.setBreakpointsRequest({ source: { path: src('user/tick.c') }, breakpoints: [{ line: callLine }] });
    });
    let stop = await waitStopped(dc);
    const pid = Number(stop.body.description.match(/^tick\/(\d+)/)[1]);
    await dc.setBreakpointsRequest({ source: { path: src('user/tick.c') }, breakpoints: [] });
    await dc.nextRequest({ threadId: dc.thread });
    stop = await waitStopped(dc, 90000);
    assert.equal(stop.body.reason, 'step');
    assert.match(stop.body.description, new RegExp(`^tick/${pid}, U mode`));
    const top = (await dc.stackTraceRequest({ threadId: dc.thread, levels: 1 })).body.stackFrames[0];
    assert.equal(top.source.path, src('user/tick.c'));
    assert.equal(top.line, nextLine, 'the step ended on the next line of tick');
    // On one hart tock can only run when a tick preempts tick: it did.  On
    // two, it may have run on the other hart (stopped during the step).
    if (harts === 1) assert.ok(output.join('').includes('tock: done'), 'tock ran (and exited) while tick was being stepped');
    assert.ok(!output.join('').includes('tick: done'), 'tick has not printed yet: the step stopped before its printf');
  });
}
