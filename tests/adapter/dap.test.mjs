// osdbg dap against the real QEMU and GDB, driven by a real DAP client
// (@vscode/debugadapter-testsupport).  Line numbers are found in the
// sources by their text, never hard-coded.
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { followStops, noHart } from './harts.mjs';
import { ROOT, BUILD } from '../kernel/qemu.mjs';
import { src, lineOf } from './source.mjs';

// Every test has a time limit: a hang fails the test instead of the CI run.
const test = (name, fn) => nodeTest(name, { timeout: 90000 }, fn);

const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
/* The 1-based line of the first line holding text (after line `after`). */

async function startSession(t, launchArgs, setup = async () => {}) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  dc.defaultTimeout = 20000;
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  const output = [];
  dc.on('output', (e) => output.push(e.body.output));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, stopOnEntry: false, ...launchArgs });
  await initialized;
  await setup(dc);
  await dc.configurationDoneRequest();
  return { dc, output };
}

// Wait until pred() holds (polling), or fail naming what and showing the
// session's output so far.
function waitUntil(output) {
  return async (pred, what, ms = 15000) => {
    const end = Date.now() + ms;
    while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(pred(), `${what}\n${output.join('')}`);
  };
}

function waitStopped(dc, ms = 20000) {
  return dc.waitForEvent('stopped', ms);
}

test('initialize reports what the adapter can do', async (t) => {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  const r = await dc.initializeRequest();
  for (const cap of ['supportsConfigurationDoneRequest', 'supportsFunctionBreakpoints', 'supportsConditionalBreakpoints',
    'supportsHitConditionalBreakpoints', 'supportsLogPoints', 'supportsInstructionBreakpoints', 'supportsTerminateRequest'])
    assert.equal(r.body[cap], true, cap);
});

test('malformed DAP input gets an error response and the adapter stays alive', async () => {
  const p = spawn(OSDBG, ['dap'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    const send = (s) => p.stdin.write(`Content-Length: ${Buffer.byteLength(s)}\r\n\r\n${s}`);
    send('{not json');
    send('{"seq":1,"type":"request"}');
    send('{"seq":2,"type":"request","command":"noSuchCommand"}');
    send('{"seq":3,"type":"request","command":"initialize","arguments":{"adapterID":"osdbg"}}');
    const deadline = Date.now() + 5000;
    while (!out.includes('"request_seq":3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const msgs = out.split(/Content-Length: \d+\r\n\r\n/).filter(Boolean).map((s) => JSON.parse(s));
    assert.equal(msgs.length, 4, out);
    assert.deepEqual(msgs.map((m) => m.success), [false, false, false, true]);
    assert.match(msgs[0].message, /malformed/);
    assert.equal(msgs[1].request_seq, 1);
    assert.match(msgs[2].message, /unsupported request 'noSuchCommand'/);
    assert.equal(msgs[3].request_seq, 3);
  } finally {
    p.kill('SIGKILL');
  }
});

test('launch with a missing profile fails with a clear message', async (t) => {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  await dc.initializeRequest();
  await assert.rejects(dc.launchRequest({ profile: '/nonexistent/profile.json' }), (e) => {
    assert.match(e.message, /cannot load profile \/nonexistent\/profile\.json: unable to open/);
    assert.doesNotMatch(e.message, /line -1/, 'no line number for a file that could not be read');
    return true;
  });
});

test('kernel breakpoint in sys_write: stops in S mode serving hello, with the kernel stack', async (t) => {
  const line = lineOf('kernel/sysfile.c', 'struct file *f = argfd(0, 0);\n    if (!f)\n'.split('\n')[0]);
  // The first such line after "long sys_write".
  const text = fs.readFileSync(src('kernel/sysfile.c'), 'utf8').split('\n');
  const writeLine = text.findIndex((l, i) => i > text.findIndex((x) => x.startsWith('long sys_write')) && l.includes('argfd(0, 0)')) + 1;
  assert.ok(writeLine > line - 1000);
  const { dc } = await startSession(t, { bootArgs: 'run=hello' }, async (dc) => {
    const r = await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') }, breakpoints: [{ line: writeLine }] });
    assert.equal(r.body.breakpoints[0].verified, true);
  });
  const stop = await waitStopped(dc);
  assert.equal(stop.body.reason, 'breakpoint');
  assert.match(stop.body.description, /^hello\/\d+, S mode(, hart \d+)?$/);
  const st = await dc.stackTraceRequest({ threadId: dc.thread });
  const names = st.body.stackFrames.map((f) => f.name);
  assert.match(names[0], /^sys_write /);
  assert.equal(st.body.stackFrames[0].source.name, 'sysfile.c');
  assert.equal(st.body.stackFrames[0].line, writeLine);
  assert.ok(names.some((n) => n.startsWith('syscall ')), names.join(','));
  assert.ok(names.some((n) => n.startsWith('usertrap ')), names.join(','));
  // The cross-privilege stack: below the kernel's frames, hello's own, from
  // the trap frame, with hello's sources.
  const label = names.indexOf('── trap from user mode ──');
  assert.ok(label > 0, names.join(','));
  assert.match(names[label - 1], /^usertrap \[kernel\]$/, 'the kernel stack ends at the trap entry (no trampoline "??")');
  const user = st.body.stackFrames.slice(label + 1);
  assert.ok(user.every((f) => f.name.endsWith(' [hello]')), names.join(','));
  // user/lib/syscall.c: the ecall is in syscall3(), called by write().
  assert.equal(user[0].name, 'syscall3 [hello]');
  assert.equal(user[0].source.name, 'syscall.c');
  assert.equal(user[1].name, 'write [hello]');
  const helloMain = user.find((f) => f.name === 'main [hello]');
  assert.ok(helloMain, names.join(','));
  assert.equal(helloMain.source.name, 'hello.c');
  assert.equal(helloMain.line, lineOf('user/hello.c', 'printf("Hello, world!'));
  // hello's frame is osdbg's own (below GDB's): its Locals come from hello's
  // DWARF, read through hello's page table; pid is the stop's process.
  const pid = stop.body.description.match(/^hello\/(\d+)/)[1];
  const hScopes = await dc.scopesRequest({ frameId: helloMain.id });
  const hLocals = await dc.variablesRequest({ variablesReference: hScopes.body.scopes[0].variablesReference });
  const hv = Object.fromEntries(hLocals.body.variables.map((v) => [v.name, v.value]));
  assert.equal(hv.pid, pid, JSON.stringify(hLocals.body.variables));
  assert.equal(hv.argc, '1');
  assert.match(hv.argv, /^0x[0-9a-f]+$/);
  const hRegs = await dc.variablesRequest({ variablesReference: hScopes.body.scopes[1].variablesReference });
  const hr = Object.fromEntries(hRegs.body.variables.map((v) => [v.name, v.value]));
  assert.equal(BigInt(hr.pc), BigInt(helloMain.instructionPointerReference));
  const scopes = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
  const regs = await dc.variablesRequest({ variablesReference: scopes.body.scopes[1].variablesReference });
  const reg = Object.fromEntries(regs.body.variables.map((v) => [v.name, v.value]));
  assert.match(reg.priv, /^1 \(S, supervisor\)/);
  assert.match(reg.satp, /MODE=Sv39/);
  assert.match(reg.sstatus, /SPP=U/, 'the trap came from user mode');
  // scause is the last trap's cause (here hello's ecall), and says so.
  assert.match(reg.scause, /^0x8 \(last trap: exception 8, ecall from U\)$/);
  const locals = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
  assert.ok(locals.body.variables.some((v) => v.name === 'f'), JSON.stringify(locals.body.variables));
});

test('a client that counts lines from 0 (linesStartAt1: false) gets 0-based lines everywhere', async (t) => {
  const helloLine = lineOf('user/hello.c', 'int pid = getpid();'); // 1-based
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  dc.defaultTimeout = 20000;
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest({ adapterID: 'osdbg', linesStartAt1: false, columnsStartAt1: false, pathFormat: 'path' });
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, stopOnEntry: false, bootArgs: 'run=hello' });
  await initialized;
  const r = await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line: helloLine - 1 }] });
  assert.equal(r.body.breakpoints[0].line, helloLine - 1, 'the breakpoint\'s line, 0-based');
  await dc.configurationDoneRequest();
  await waitStopped(dc);
  const top = (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames[0];
  assert.match(top.name, /^main \[hello\]/);
  assert.equal(top.line, helloLine - 1, 'the frame\'s line, 0-based');
  assert.equal(top.column, 0, 'columns from 0 too');
  await dc.continueRequest({ threadId: dc.thread });
  await dc.waitForEvent('terminated', 20000);
});

test('breakpoints in hello and matrix stop only in their own program (run=matrix,hello,matrix)', async (t) => {
  const helloLine = lineOf('user/hello.c', 'int pid = getpid();');
  const matrixLine = lineOf('user/matrix.c', 'long sum = work(N);');
  const { dc } = await startSession(t, { bootArgs: 'run=matrix,hello,matrix' }, async (dc) => {
    const h = await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line: helloLine }] });
    const m = await dc.setBreakpointsRequest({ source: { path: src('user/matrix.c') }, breakpoints: [{ line: matrixLine }] });
    assert.equal(h.body.breakpoints[0].verified, false, 'hello has not run yet');
    assert.match(h.body.breakpoints[0].message, /hello has not run yet/);
    assert.equal(m.body.breakpoints[0].verified, false);
  });
  // When matrix first runs, its breakpoint is verified through a breakpoint event.
  const verified = dc.waitForEvent('breakpoint', 20000);
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const stop = await waitStopped(dc);
    const st = await dc.stackTraceRequest({ threadId: dc.thread });
    const top = st.body.stackFrames[0];
    seen.push(`${stop.body.description.split('/')[0]}:${top.source.name}:${top.line}`);
    await dc.continueRequest({ threadId: dc.thread });
  }
  assert.deepEqual(seen, [`matrix:matrix.c:${matrixLine}`, `hello:hello.c:${helloLine}`, `matrix:matrix.c:${matrixLine}`]);
  const ev = await verified;
  assert.equal(ev.body.reason, 'changed');
  assert.equal(ev.body.breakpoint.verified, true);
  assert.equal(ev.body.breakpoint.line, matrixLine);
  await dc.waitForEvent('terminated', 20000);
});

test('an instruction breakpoint at 0x10000 for hello stops once in run=matrix,hello,matrix', async (t) => {
  const { dc } = await startSession(t, { bootArgs: 'run=matrix,hello,matrix' }, async (dc) => {
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: 'hello!0x10000' }] });
  });
  const stop = await waitStopped(dc);
  assert.equal(stop.body.reason, 'instruction breakpoint');
  assert.match(stop.body.description, /^hello\/\d+, U mode(, hart \d+)?$/);
  const stopped = [];
  dc.on('stopped', (e) => stopped.push(e));
  await dc.continueRequest({ threadId: dc.thread });
  await dc.waitForEvent('terminated', 20000);
  assert.equal(stopped.length, 0, 'no other stop');
});

test('pause while the OS runs, then continue and finish', async (t) => {
  const { dc } = await startSession(t, {});
  await new Promise((r) => setTimeout(r, 500));
  await dc.pauseRequest({ threadId: dc.thread });
  const stop = await waitStopped(dc);
  assert.equal(stop.body.reason, 'pause');
  await dc.continueRequest({ threadId: dc.thread });
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('a breakpoint set while the OS runs takes effect', async (t) => {
  const helloLine = lineOf('user/hello.c', 'int pid = getpid();');
  const { dc, output } = await startSession(t, {});
  const deadline = Date.now() + 10000;
  while (!output.join('').includes('$ ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const r = await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line: helloLine }] });
  assert.equal(r.body.breakpoints.length, 1);
  await dc.customRequest('consoleInput', { text: 'hello\n' });
  const stop = await waitStopped(dc);
  assert.match(stop.body.description, /^hello\/\d+, U mode(, hart \d+)?$/);
  await dc.continueRequest({ threadId: dc.thread });
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('Rust: breakpoint by rustdemo!rustdemo::work', async (t) => {
  const { dc } = await startSession(t, { bootArgs: 'run=rustdemo' }, async (dc) => {
    const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'rustdemo!rustdemo::work' }] });
    assert.ok(r.body.breakpoints[0].instructionReference, JSON.stringify(r.body));
  });
  const stop = await waitStopped(dc);
  assert.equal(stop.body.reason, 'function breakpoint');
  const st = await dc.stackTraceRequest({ threadId: dc.thread });
  assert.match(st.body.stackFrames[0].name, /work/);
  assert.equal(st.body.stackFrames[0].source.name, 'rustdemo.rs');
});

test('Rust: every hit of rustdemo!rustdemo::Fib::step stops, after a stop in Rust code made GDB\'s language Rust', async (t) => {
  // work(10) calls step 10 times; hello runs first, so the hooks and the
  // process expressions (C) are evaluated after each stop in Rust code.
  const { dc } = await startSession(t, { bootArgs: 'run=hello,rustdemo' }, async (dc) => {
    const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'rustdemo!rustdemo::Fib::step' }] });
    assert.ok(r.body.breakpoints[0].instructionReference, JSON.stringify(r.body));
  });
  for (let hit = 1; hit <= 10; hit++) {
    const stop = await waitStopped(dc);
    assert.equal(stop.body.reason, 'function breakpoint', `hit ${hit}`);
    assert.match(stop.body.description, /^rustdemo\/\d+, U mode(, hart \d+)?$/, `hit ${hit}`);
    const st = await dc.stackTraceRequest({ threadId: dc.thread });
    assert.match(st.body.stackFrames[0].name, /step/, `hit ${hit}`);
    await dc.continueRequest({ threadId: dc.thread });
  }
  const out = await dc.customRequest('osdbg/stats');
  assert.equal(out.body.userStops, 10);
});

test('QEMU killed: terminated within 1 s', async (t) => {
  const { dc } = await startSession(t, {});
  await new Promise((r) => setTimeout(r, 300));
  const pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      return cmd.startsWith('qemu-system-riscv64') && cmd.includes('osdbg-');
    } catch { return false; }
  });
  // The adapter's own QEMU is its child: find it among QEMUs with our socket dir.
  const mine = pids.filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(' ')[3] === String(dc['_adapterProcess']?.pid); } catch { return false; }
  });
  assert.equal(mine.length, 1, `one QEMU child of the adapter (${pids})`);
  const t0 = Date.now();
  const terminated = dc.waitForEvent('terminated', 1000);
  process.kill(Number(mine[0]), 'SIGKILL');
  await terminated;
  assert.ok(Date.now() - t0 <= 1000);
});

test('step from user into the system call and back out', async (t) => {
  // The ecall in hello's syscall stub, found by an independent tool.
  const dis = execFileSync('riscv64-unknown-elf-objdump', ['-d', path.join(BUILD, 'user', 'hello')], { encoding: 'utf8' });
  const stub = dis.slice(dis.indexOf('<syscall3>:'));
  const ecall = stub.match(/^\s+([0-9a-f]+):\s+00000073\s+ecall/m);
  assert.ok(ecall, 'ecall in syscall3');
  const ecallAddr = parseInt(ecall[1], 16);
  const { dc } = await startSession(t, { bootArgs: 'run=hello' }, async (dc) => {
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `hello!0x${ecallAddr.toString(16)}` }] });
  });
  let stop = await waitStopped(dc);
  assert.match(stop.body.description, /^hello\/(\d+), U mode(, hart \d+)?$/);
  const pid = stop.body.description.match(/\/(\d+),/)[1];
  // stepIn at the ecall enters the kernel's trap handler for this process.
  await dc.stepInRequest({ threadId: dc.thread });
  stop = await waitStopped(dc);
  assert.equal(stop.body.reason, 'step');
  assert.equal(noHart(stop.body.description), `hello/${pid}, S mode`);
  let st = await dc.stackTraceRequest({ threadId: dc.thread });
  assert.match(st.body.stackFrames[0].name, /^usertrap \[kernel\]$/);
  // stepOut from the trap path returns to the instruction after the ecall.
  await dc.stepOutRequest({ threadId: dc.thread });
  stop = await waitStopped(dc);
  assert.equal(stop.body.reason, 'step');
  assert.equal(noHart(stop.body.description), `hello/${pid}, U mode`);
  st = await dc.stackTraceRequest({ threadId: dc.thread });
  assert.equal(parseInt(st.body.stackFrames[0].instructionPointerReference, 16), ecallAddr + 4);
  assert.match(st.body.stackFrames[0].name, /^syscall3 \[hello\]$/);
});

test('breakpoints of a program that is not running cost no stop (run=matrix with breakpoints in hello)', async (t) => {
  // Every line of hello.c: hello's code shares its addresses with matrix's.
  const lines = fs.readFileSync(src('user/hello.c'), 'utf8').split('\n').map((_, i) => ({ line: i + 1 }));
  const stopped = [];
  const { dc } = await startSession(t, { bootArgs: 'run=matrix' }, async (dc) => {
    dc.on('stopped', (e) => stopped.push(e));
    await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: lines });
  });
  await dc.waitForEvent('terminated', 20000);
  const stats = await dc.customRequest('osdbg/stats', {});
  assert.equal(stopped.length, 0);
  assert.equal(stats.body.filteredHits, 0, 'no hit of hello\'s breakpoints in matrix reached GDB');
  assert.ok(stats.body.internalStops <= 4, `exec/exit/fork stops only (${stats.body.internalStops})`);
});

test('inspect and change a stopped program: evaluate, setVariable, memory, disassemble, watchpoint, sources, modules', async (t) => {
  const workLine = lineOf('user/matrix.c', 'long acc = 0;');
  const { dc } = await startSession(t, { bootArgs: 'run=matrix' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/matrix.c') }, breakpoints: [{ line: workLine }] });
  });
  await waitStopped(dc);
  const st = await dc.stackTraceRequest({ threadId: dc.thread });
  const frameId = st.body.stackFrames[0].id;
  // evaluate in the watch/hover context and in the GDB console (repl)
  const n = await dc.evaluateRequest({ expression: 'n', frameId, context: 'watch' });
  assert.equal(n.body.result, '8', 'work(N) with N = 8');
  const repl = await dc.evaluateRequest({ expression: 'print n * 2', frameId, context: 'repl' });
  assert.match(repl.body.result, /= 16/);
  await assert.rejects(dc.evaluateRequest({ expression: 'no_such_variable', frameId, context: 'watch' }), /No symbol/);
  // setVariable on a local, seen by a later evaluate
  const scopes = await dc.scopesRequest({ frameId });
  const locals = scopes.body.scopes[0].variablesReference;
  const set = await dc.setVariableRequest({ variablesReference: locals, name: 'sum', value: '1000' });
  assert.equal(set.body.value, '1000');
  assert.equal((await dc.evaluateRequest({ expression: 'sum', frameId, context: 'watch' })).body.result, '1000');
  // memory: write 8 bytes into a[0][0] and read them back
  const addr = (await dc.evaluateRequest({ expression: '(unsigned long)&a[0][0]', frameId, context: 'watch' })).body.result;
  const ref = '0x' + BigInt(addr).toString(16);
  await dc.customRequest('writeMemory', { memoryReference: ref, data: Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]).toString('base64') });
  assert.equal((await dc.evaluateRequest({ expression: 'a[0][0]', frameId, context: 'watch' })).body.result, '7');
  const mem = await dc.customRequest('readMemory', { memoryReference: ref, count: 8 });
  assert.deepEqual([...Buffer.from(mem.body.data, 'base64')], [7, 0, 0, 0, 0, 0, 0, 0]);
  // disassemble at the pc
  const pc = st.body.stackFrames[0].instructionPointerReference;
  const dis = await dc.customRequest('disassemble', { memoryReference: pc, instructionCount: 4 });
  assert.equal(dis.body.instructions.length, 4);
  assert.equal(BigInt(dis.body.instructions[0].address), BigInt(pc));
  // a watchpoint on c[0][0]: the next write stops with reason "data breakpoint"
  const info = await dc.customRequest('dataBreakpointInfo', { name: 'c[0][0]' });
  const wp = await dc.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
  assert.equal(wp.body.breakpoints[0].verified, true, JSON.stringify(wp.body));
  await dc.setBreakpointsRequest({ source: { path: src('user/matrix.c') }, breakpoints: [] });
  await dc.continueRequest({ threadId: dc.thread });
  const stop = await waitStopped(dc);
  assert.equal(stop.body.reason, 'data breakpoint');
  await dc.customRequest('setDataBreakpoints', { breakpoints: [] });
  // loaded sources and modules
  const sources = (await dc.customRequest('loadedSources', {})).body.sources.map((s) => s.path);
  assert.ok(sources.includes(src('kernel/sysfile.c')) && sources.includes(src('user/matrix.c')));
  const modules = (await dc.customRequest('modules', {})).body.modules;
  assert.ok(modules.some((m) => m.name === 'kernel') && modules.some((m) => m.name === 'matrix' && m.symbolStatus === 'running'));
});

test('conditions, hit conditions and log messages on breakpoints', async (t) => {
  const line = lineOf('user/matrix.c', 'long acc = 0;');
  const logLine = lineOf('user/matrix.c', 'c[i][j] = acc;');
  const { dc, output } = await startSession(t, { bootArgs: 'run=matrix' }, async (dc) => {
    await dc.setBreakpointsRequest({
      source: { path: src('user/matrix.c') },
      breakpoints: [
        { line, condition: 'i == 2 && j == 3', hitCondition: '2' },
        { line: logLine, logMessage: 'c[{i}][{j}] = {acc}' },
      ],
    });
  });
  // The condition holds once per (i, j) = (2, 3) only; "hit 2" of it never
  // comes, so no stop happens at all...
  await dc.waitForEvent('terminated', 30000);
  const text = output.join('');
  // ...while the log point printed all 64 products, each with its values:
  // c = 2a (b = 2I), a[i][j] = i + j.
  const logs = text.split('\n').filter((l) => /^c\[\d+\]\[\d+\] = /.test(l));
  assert.equal(logs.length, 64, text);
  assert.ok(logs.includes('c[2][3] = 10'));
  assert.ok(logs.includes('c[7][7] = 28'));
});

test('a condition that holds stops exactly there', async (t) => {
  const line = lineOf('user/matrix.c', 'long acc = 0;');
  const { dc } = await startSession(t, { bootArgs: 'run=matrix' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/matrix.c') }, breakpoints: [{ line, condition: 'i == 2 && j == 3' }] });
  });
  const stop = await waitStopped(dc);
  const frameId = (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames[0].id;
  assert.equal((await dc.evaluateRequest({ expression: 'i * 10 + j', frameId, context: 'watch' })).body.result, '23');
  assert.deepEqual(stop.body.hitBreakpointIds.length, 1);
});

// QEMU frozen before its first instruction with its gdbstub on a Unix
// socket (stdin a pipe: the console's input), and an adapter attached to it
// (attach request answered, initialized).  Both are stopped when the test
// ends, the adapter unless the test disconnected it (it has exited then:
// stopping it again would write to a closed pipe).
async function attachToQemu(t, append) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-attach-'));
  const sock = path.join(dir, 'gdb.sock');
  const qemu = spawn('qemu-system-riscv64', ['-machine', 'virt', '-bios', 'default', '-m', '128M', '-display', 'none',
    '-monitor', 'none', '-serial', 'stdio', '-kernel', path.join(BUILD, 'kernel', 'kernel.elf'),
    ...(append ? ['-append', append] : []), '-gdb', `unix:${sock},server=on,wait=off`, '-S'],
  { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => { qemu.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });
  const s = { qemu, out: '', disconnected: false };
  qemu.stdout.on('data', (d) => { s.out += d; });
  s.exited = new Promise((r) => qemu.on('exit', (code) => r(code)));
  while (!fs.existsSync(sock)) await new Promise((r) => setTimeout(r, 20));
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  dc.defaultTimeout = 20000;
  await dc.start();
  t.after(() => (s.disconnected ? undefined : dc.stop().catch(() => {})));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.attachRequest({ type: 'osdbg', request: 'attach', profile: PROFILE, target: sock });
  await initialized;
  s.dc = dc;
  return s;
}

test('attach to a running gdbstub, stop in hello, detach and let the OS finish', async (t) => {
  const q = await attachToQemu(t, 'run=hello');
  const { dc } = q;
  await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line: lineOf('user/hello.c', 'int pid = getpid();') }] });
  await dc.configurationDoneRequest();
  const stop = await waitStopped(dc);
  assert.match(stop.body.description, /^hello\/\d+, U mode(, hart \d+)?$/);
  await dc.disconnectRequest({ terminateDebuggee: false });
  q.disconnected = true;
  let timer;
  const code = await Promise.race([q.exited, new Promise((r) => { timer = setTimeout(() => r('timeout'), 15000); })]);
  clearTimeout(timer);
  assert.equal(code, 0, `the OS ran on to its end after the detach\n${q.out}`);
  assert.match(q.out.replace(/\r/g, ''), /Hello, world! \(pid \d+\)\n/);
});

test('detach while the OS runs: the adapter stops it for the detach, answers, and the OS runs on', async (t) => {
  const q = await attachToQemu(t, '');
  const { dc, qemu } = q;
  await dc.configurationDoneRequest();
  // The shell is up: the OS runs, waiting for input.
  for (let i = 0; i < 200 && !/\$ $/.test(q.out); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(q.out, /\$ $/, `the shell's prompt\n${q.out}`);
  const adapterExit = new Promise((r) => dc._adapterProcess?.on('exit', (code, sig) => r({ code, sig })));
  const answer = await dc.disconnectRequest({ terminateDebuggee: false });
  q.disconnected = true;
  assert.equal(answer.success, true);
  const ended = await Promise.race([adapterExit, new Promise((r) => setTimeout(() => r('still running'), 10000))]);
  assert.deepEqual(ended, { code: 0, sig: null }, 'the adapter ends normally, not by a signal');
  // Detached, the OS still runs its shell.
  const before = q.out.length;
  qemu.stdin.write('hello\n');
  for (let i = 0; i < 200 && !/Hello, world!/.test(q.out.slice(before)); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(q.out.slice(before), /Hello, world! \(pid \d+\)/);
});

test('restart: a fresh machine with the same breakpoints', async (t) => {
  const line = lineOf('user/hello.c', 'int pid = getpid();');
  const { dc } = await startSession(t, { bootArgs: 'run=hello' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line }] });
  });
  await waitStopped(dc);
  const stopped = waitStopped(dc);
  await dc.customRequest('restart', {});
  const stop = await stopped;
  assert.match(stop.body.description, /^hello\/2, U mode(, hart \d+)?$/, 'hello is pid 2 again: a new machine');
  await dc.continueRequest({ threadId: dc.thread });
  await dc.waitForEvent('terminated', 20000);
});

test('--log writes the DAP traffic and the GDB/MI dialogue to a file', async () => {
  const log = path.join(os.tmpdir(), `osdbg-log-${process.pid}.txt`);
  fs.rmSync(log, { force: true });
  const p = spawn(OSDBG, ['dap', '--log', log], { stdio: ['pipe', 'pipe', 'inherit'] });
  const body = '{"seq":1,"type":"request","command":"initialize","arguments":{"adapterID":"osdbg"}}';
  p.stdin.write(`Content-Length: ${body.length}\r\n\r\n${body}`);
  p.stdin.end();
  await new Promise((r) => p.on('exit', r));
  const text = fs.readFileSync(log, 'utf8');
  fs.rmSync(log, { force: true });
  assert.match(text, /-> \{"seq":1,"type":"request","command":"initialize"/);
  assert.match(text, /<- \{"type":"response","request_seq":1,"success":true/);
});

// A raw DAP client that says it supports runInTerminal; answer(rit) is its
// response to the adapter's runInTerminal request.
async function rawTerminalSession(fn) {
  const p = spawn(OSDBG, ['dap'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const kids = [];
  try {
    let buf = '';
    const msgs = [];
    p.stdout.on('data', (d) => {
      buf += d;
      for (;;) {
        const m = buf.match(/^Content-Length: (\d+)\r\n\r\n/);
        if (!m || buf.length < m[0].length + Number(m[1])) break;
        msgs.push(JSON.parse(buf.slice(m[0].length, m[0].length + Number(m[1]))));
        buf = buf.slice(m[0].length + Number(m[1]));
      }
    });
    let seq = 1;
    const write = (msg) => {
      const s = JSON.stringify({ seq: seq++, ...msg });
      p.stdin.write(`Content-Length: ${Buffer.byteLength(s)}\r\n\r\n${s}`);
    };
    const send = (command, args) => write({ type: 'request', command, arguments: args });
    const answer = (req, success, body) => write({ type: 'response', request_seq: req.seq, command: req.command, success,
      ...(success ? { body } : { message: 'no terminals here' }) });
    const waitFor = async (pred, what, ms = 15000) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const m = msgs.find(pred);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no ${what}: ${JSON.stringify(msgs.map((m) => m.command || m.event))}`);
    };
    const stdout = () => msgs.filter((m) => m.event === 'output' && m.body.category === 'stdout').map((m) => m.body.output).join('');
    send('initialize', { adapterID: 'osdbg', supportsRunInTerminalRequest: true });
    send('launch', { profile: PROFILE });
    const rit = await waitFor((m) => m.type === 'request' && m.command === 'runInTerminal', 'runInTerminal');
    await fn({ rit, send, answer, waitFor, stdout, kids });
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    p.kill('SIGKILL');
  }
}

test('the OS console as a terminal: runInTerminal asks for `osdbg console`, which talks to the shell', async () => {
  await rawTerminalSession(async ({ rit, send, answer, waitFor, stdout, kids }) => {
    assert.equal(rit.arguments.args[0], OSDBG);
    assert.equal(rit.arguments.args[1], 'console');
    send('configurationDone', {});
    // An editor's terminal comes late: the OS has booted to its shell
    // meanwhile.  What it printed waits for the terminal, which gets it
    // first; the Debug Console does not get a copy.
    await new Promise((r) => setTimeout(r, 1500));
    const term = spawn(rit.arguments.args[0], rit.arguments.args.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    kids.push(term);
    answer(rit, true, { processId: term.pid });
    let screen = '';
    term.stdout.on('data', (d) => { screen += d; });
    const deadline = Date.now() + 15000;
    while (!screen.includes('$ ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(screen, /osdbg shell; `help` lists what you can do\r?\n/, `the boot output, before the terminal came: ${JSON.stringify(screen)}`);
    term.stdin.write('hello from the terminal\n');
    while (!screen.includes('hello: argument 3 is terminal') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(screen, /hello: argument 3 is terminal/);
    assert.equal(stdout(), '', 'the console is the terminal\'s, not the Debug Console\'s');
    // A second terminal (the user reopened it) starts with the screen so far.
    const again = spawn(rit.arguments.args[0], rit.arguments.args.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    kids.push(again);
    let screen2 = '';
    again.stdout.on('data', (d) => { screen2 += d; });
    while (!screen2.includes('hello: argument 3 is terminal') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(screen2, /osdbg shell;[^]*hello: argument 3 is terminal/);
    term.stdin.write('exit\n');
    await waitFor((m) => m.type === 'event' && m.event === 'terminated', 'terminated');
  });
});

test('an editor that refuses runInTerminal gets the OS console in the Debug Console, from the first byte', async () => {
  await rawTerminalSession(async ({ rit, send, answer, waitFor, stdout }) => {
    send('configurationDone', {});
    await new Promise((r) => setTimeout(r, 1500));
    answer(rit, false);
    await waitFor(() => stdout().includes('$ '), 'the shell\'s prompt');
    assert.match(stdout(), /osdbg shell; `help` lists what you can do\n/);
    send('disconnect', {});
    await waitFor((m) => m.type === 'response' && m.command === 'disconnect', 'disconnect');
  });
});

test('a terminal that never comes: after 10 s the OS console goes to the Debug Console, nothing lost', async () => {
  await rawTerminalSession(async ({ send, waitFor, stdout }) => {
    send('configurationDone', {});
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(stdout(), '', 'still waiting for the terminal');
    await waitFor(() => stdout().includes('$ '), 'the shell\'s prompt', 20000);
    assert.match(stdout(), /^[^]*OpenSBI[^]*osdbg shell; `help` lists what you can do\n\$ $/);
    send('disconnect', {});
    await waitFor((m) => m.type === 'response' && m.command === 'disconnect', 'disconnect');
  });
});

test('GDB killed: the user is told and the session ends', async (t) => {
  const { dc, output } = await startSession(t, {});
  await new Promise((r) => setTimeout(r, 300));
  const adapterPid = String(dc['_adapterProcess']?.pid);
  const gdb = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).find((d) => {
    try {
      return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').startsWith('gdb-multiarch') &&
        fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(' ')[3] === adapterPid;
    } catch { return false; }
  });
  assert.ok(gdb, 'the adapter runs one GDB');
  const terminated = dc.waitForEvent('terminated', 2000);
  process.kill(Number(gdb), 'SIGKILL');
  await terminated;
  assert.match(output.join(''), /GDB exited unexpectedly/);
});

test('every process at a stop, and a process\'s Sv39 page table: its pages translate to the bytes the program sees (issue 13.7)', async (t) => {
  const helloLine = lineOf('user/hello.c', 'int pid = getpid();');
  const { dc } = await startSession(t, { bootArgs: 'run=hello' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line: helloLine }] });
  });
  await waitStopped(dc);
  const { processes } = (await dc.customRequest('osdbg/processes', {})).body;
  const init = processes.find((p) => p.program === 'init');
  const hello = processes.find((p) => p.program === 'hello');
  assert.ok(init && hello, JSON.stringify(processes));
  assert.equal(init.pid, 1);
  assert.equal(init.current, false);
  assert.match(init.state, /^(SLEEPING|RUNNABLE)$/, 'init waits for hello (or was just woken): not running, one hart');
  assert.equal(hello.current, true);
  assert.equal(hello.state, 'RUNNING');
  assert.deepEqual(hello.breakpoints.map((b) => [path.basename(b.source), b.line]), [['hello.c', helloLine]]);
  assert.deepEqual(init.breakpoints, [], 'no breakpoint of init\'s program');
  assert.notEqual(init.pageTable, hello.pageTable, 'each process has its own page table');
  const pt = (await dc.customRequest('osdbg/pageTable', { pageTable: hello.pageTable })).body;
  assert.equal(pt.root, hello.pageTable);
  assert.equal(pt.truncated, false);
  // Programs are linked at 0x10000: code there, readable, executable, user.
  const code = pt.mappings.find((m) => BigInt(m.va) <= 0x10000n && 0x10000n < BigInt(m.end));
  assert.ok(code, JSON.stringify(pt.mappings));
  assert.match(code.flags, /^r-xu/);
  assert.ok(pt.mappings.some((m) => /^rw-u/.test(m.flags)), 'a writable user page (data, stack)');
  assert.ok(pt.mappings.some((m) => m.flags[3] === '-'), 'kernel pages in the process table (the trampoline)');
  // The translation is right: the physical page holds what the program
  // reads at 0x10000 (readMemory: virtual, in hello's address space; x/16xb
  // through QEMU's physical-memory mode in the Debug Console, GDB's CLI).
  const pa = BigInt(code.pa) + (0x10000n - BigInt(code.va));
  const virt = Buffer.from((await dc.customRequest('readMemory', { memoryReference: '0x10000', count: 16 })).body.data, 'base64');
  await dc.evaluateRequest({ expression: 'maint packet Qqemu.PhyMemMode:1', context: 'repl' });
  const phys = (await dc.evaluateRequest({ expression: `x/16xb 0x${pa.toString(16)}`, context: 'repl' })).body.result;
  await dc.evaluateRequest({ expression: 'maint packet Qqemu.PhyMemMode:0', context: 'repl' });
  const physBytes = Buffer.from([...phys.matchAll(/0x([0-9a-f]{2})\b/g)].map((m) => parseInt(m[1], 16)).slice(-16));
  assert.deepEqual(physBytes, virt, `physical 0x${pa.toString(16)}: ${phys}`);
  await assert.rejects(dc.customRequest('osdbg/pageTable', { satp: '0x12345' }), /not in Sv39 mode/);
  await assert.rejects(dc.customRequest('osdbg/pageTable', {}), /needs satp or pageTable/);
  await dc.continueRequest({ threadId: dc.thread });
  await dc.waitForEvent('terminated', 20000);
});

test('a user program announces itself as a module when it first runs', async (t) => {
  const modules = [];
  const { dc } = await startSession(t, { bootArgs: 'run=hello' }, async (dc) => {
    dc.on('module', (e) => modules.push(e.body.module.name));
    await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line: lineOf('user/hello.c', 'int pid = getpid();') }] });
  });
  await waitStopped(dc);
  assert.ok(modules.includes('hello'), modules.join(','));
});

test('the debug console is GDB: a typed `continue` sends a continued event; commands work while the OS runs', async (t) => {
  const line = lineOf('user/hello.c', 'int pid = getpid();');
  const { dc, output } = await startSession(t, {}, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line }] });
  });
  const info = await dc.evaluateRequest({ expression: 'info breakpoints', context: 'repl' });
  assert.match(info.body.result, /breakpoint/, 'GDB commands answer while the OS runs');
  // Type at the prompt (keys typed before the firmware set up the UART are lost).
  const deadline = Date.now() + 10000;
  while (!output.join('').includes('$ ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await dc.customRequest('consoleInput', { text: 'hello\n' });
  const stop = await waitStopped(dc);
  const frameId = (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames[0].id;
  assert.match(stop.body.description, /^hello\//);
  const continued = dc.waitForEvent('continued', 5000);
  await dc.evaluateRequest({ expression: 'continue', frameId, context: 'repl' });
  await continued;
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('Rust: breakpoint by source line in rustdemo.rs, with Rust locals', async (t) => {
  const line = lineOf('user/rust/rustdemo.rs', 'sum += fib.cur;');
  const { dc } = await startSession(t, { bootArgs: 'run=rustdemo' }, async (dc) => {
    const r = await dc.setBreakpointsRequest({ source: { path: src('user/rust/rustdemo.rs') }, breakpoints: [{ line }] });
    assert.equal(r.body.breakpoints[0].line, line);
  });
  const stop = await waitStopped(dc);
  assert.match(stop.body.description, /^rustdemo\/\d+, U mode(, hart \d+)?$/);
  const st = await dc.stackTraceRequest({ threadId: dc.thread });
  assert.equal(st.body.stackFrames[0].source.name, 'rustdemo.rs');
  assert.equal(st.body.stackFrames[0].line, line);
  assert.match(st.body.stackFrames[0].name, /^rustdemo::work \[rustdemo\]$/);
  const frameId = st.body.stackFrames[0].id;
  assert.equal((await dc.evaluateRequest({ expression: 'n', frameId, context: 'watch' })).body.result, '10');
  assert.equal((await dc.evaluateRequest({ expression: 'i', frameId, context: 'watch' })).body.result, '0');
});

test('steps stay in their process when two processes run the same code (twins)', async (t) => {
  const line = lineOf('user/twins.c', 'total += i % 7;');
  const { dc } = await startSession(t, { bootArgs: 'run=twins' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/twins.c') }, breakpoints: [{ line }] });
  });
  const first = await waitStopped(dc);
  const where = first.body.description;
  assert.match(where, /^twins\/\d+, U mode(, hart \d+)?$/);
  await dc.setBreakpointsRequest({ source: { path: src('user/twins.c') }, breakpoints: [] });
  for (let i = 0; i < 30; i++) {
    await dc.nextRequest({ threadId: dc.thread });
    const stop = await waitStopped(dc);
    assert.equal(stop.body.reason, 'step');
    assert.equal(noHart(stop.body.description), noHart(where), `step ${i} stayed in the same process`);
  }
  const stats = await dc.customRequest('osdbg/stats', {});
  console.log(`# steps that landed in the other twin and were carried on: ${stats.body.filteredHits}`);
});

for (const sig of ['SIGTERM', 'SIGKILL']) {
  test(`the adapter killed with ${sig} leaves no QEMU or GDB behind`, async (t) => {
    // A raw client: the test-support client dies on writes to a killed adapter.
    const adapter = spawn(OSDBG, ['dap'], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => adapter.kill('SIGKILL'));
    let out = '';
    adapter.stdout.on('data', (d) => { out += d; });
    adapter.stdin.on('error', () => {});
    let seq = 1;
    const send = (command, args) => {
      const m = JSON.stringify({ seq: seq++, type: 'request', command, arguments: args });
      adapter.stdin.write(`Content-Length: ${Buffer.byteLength(m)}\r\n\r\n${m}`);
    };
    send('initialize', { adapterID: 'osdbg' });
    send('launch', { profile: PROFILE });
    send('configurationDone', {});
    const children = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try { return fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(' ')[3] === String(adapter.pid); } catch { return false; }
    });
    let deadline = Date.now() + 10000;
    while ((children().length < 2 || !out.includes('"configurationDone"')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const kids = children();
    assert.equal(kids.length, 2, 'QEMU and GDB run as children of the adapter');
    adapter.kill(sig);
    const alive = () => kids.filter((k) => {
      try { return !/\) Z /.test(fs.readFileSync(`/proc/${k}/stat`, 'utf8')); } catch { return false; }
    });
    deadline = Date.now() + 3000;
    while (alive().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(alive(), [], 'QEMU and GDB are gone');
  });
}

test('trace in the debug console: eBPF probes whose hits print while the OS runs, no stop', async (t) => {
  const { dc, output } = await startSession(t, {});
  const stopped = [];
  dc.on('stopped', (e) => stopped.push(e));
  const deadline = Date.now() + 15000;
  while (!output.join('').includes('$ ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const k = await dc.evaluateRequest({ expression: 'trace kprobe sys_write', context: 'repl' });
  const kid = k.body.result.match(/^probe (\d+) attached/)[1];
  const accLine = lineOf('user/matrix.c', 'c[i][j] = acc;');
  const u = await dc.evaluateRequest({ expression: `trace uprobe matrix:matrix.c:${accLine}`, context: 'repl' });
  const uid = u.body.result.match(/^probe (\d+) attached/)[1];
  await dc.customRequest('consoleInput', { text: 'hello\n' });
  const until = waitUntil(output);
  await until(() => output.join('').includes(`[trace ${kid}] hello/`), 'a sys_write hit from hello');
  assert.match(output.join(''), new RegExp(`\\[trace ${kid}\\] hello/\\d+ sys_write sysfile.c:\\d+ pc=0x`));
  await dc.customRequest('consoleInput', { text: 'matrix\n' });
  // The console's own text is what is left without the trace lines.
  const consoleText = () => output.join('').replace(/\[trace \d+\] [^\n]*\n/g, '');
  await until(() => consoleText().includes('checksum 896'), 'matrix ran');
  const traced = () => output.join('').split(`[trace ${uid}] `).slice(1).filter((l) => l.startsWith('matrix/'));
  // Events travel after the program's own output, later on a loaded machine.
  await until(() => traced().length >= 64, '64 uprobe lines');
  await new Promise((r) => setTimeout(r, 300));
  const lines = traced();
  assert.equal(lines.length, 64, 'the line runs once per element of the 8x8 product');
  // Each trace line is a line of its own: never in the middle of a console
  // line ("product ch[trace 2] ...\necksum"), nor after the prompt "$ ".
  assert.doesNotMatch(output.join(''), /[^\n]\[trace \d+\]/, output.join(''));
  assert.match(lines[0], new RegExp(`work matrix.c:${accLine} `));
  const list = await dc.evaluateRequest({ expression: 'trace list', context: 'repl' });
  // id, kind, hits (64 = 0x40 in the kernel's reply), program, target as typed
  assert.match(list.body.result, new RegExp(`\\n${uid} +uprobe +64 +registers +matrix:matrix.c:${accLine}\\n`));
  const listed = await dc.customRequest('osdbg/traceList', {});
  const probe = listed.body.probes.find((p) => p.id === Number(uid));
  assert.deepEqual([probe.kind, probe.hits, probe.program], ['uprobe', 64, 'registers']);
  assert.equal((await dc.evaluateRequest({ expression: `trace detach ${kid}`, context: 'repl' })).body.result, `probe ${kid} detached`);
  assert.equal((await dc.evaluateRequest({ expression: `trace detach ${uid}`, context: 'repl' })).body.result, `probe ${uid} detached`);
  assert.deepEqual((await dc.customRequest('osdbg/traceList', {})).body.probes, []);
  await assert.rejects(dc.customRequest('osdbg/traceDetach', {}), /wants the probe's id/);
  await assert.rejects(dc.customRequest('osdbg/traceMap', { id: 'x' }), /wants the probe's id/);
  await assert.rejects(dc.customRequest('osdbg/traceDetach', { id: 99 }), /detach 99: .*no such probe/);
  assert.equal(stopped.length, 0, 'tracing never stopped the OS');
  await assert.rejects(dc.evaluateRequest({ expression: 'trace kprobe no_such_function_xyz', context: 'repl' }), /no function no_such_function_xyz in the kernel/);
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('eBPF logpoints: one line per write from the kernel handler, a user logpoint with an argument register, text, members and array elements, no stop', async (t) => {
  const writeLine = lineOf('kernel/sysfile.c', 'return file_write(f, argraw(1), (long)argraw(2));');
  const execLine = lineOf('kernel/sysproc.c', 'err = kexec(path, argv);');
  const execSeenLine = lineOf('kernel/sysproc.c', 'struct proc *p = myproc();',
    lineOf('kernel/sysproc.c', 'long sys_exec(void)'));
  const workLine = lineOf('user/matrix.c', 'long sum = 0;');
  const cellLine = lineOf('user/matrix.c', 'c[i][j] = acc;');
  const helloLine = lineOf('user/hello.c', 'int pid = getpid();');
  const stopped = [];
  const { dc, output } = await startSession(t, { bootArgs: 'run=matrix,hello' }, async (dc) => {
    dc.on('stopped', (e) => stopped.push(e));
    const k = await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') },
      breakpoints: [{ line: writeLine, logMessage: 'write by {comm}/{pid}' }] });
    assert.match(k.body.breakpoints[0].message, /eBPF logpoint/);
    const e = await dc.setBreakpointsRequest({ source: { path: src('kernel/sysproc.c') },
      breakpoints: [{ line: execSeenLine, logMessage: 'exec of hello seen', condition: 'path == "hello"' },
        { line: execLine, logMessage: 'exec {path} [{argv[0]}] by {p->name}/{comm}' }] });
    for (const b of e.body.breakpoints) assert.match(b.message, /eBPF logpoint/);
    // A kernel probe printing the calling process's buffer (user memory).
    const fw = await dc.setBreakpointsRequest({ source: { path: src('kernel/file.c') },
      breakpoints: [{ line: lineOf('kernel/file.c', 'if (n < 0)', lineOf('kernel/file.c', 'long file_write(')),
        logMessage: '{comm} writes {n} bytes: {(ustr)src}', condition: 'comm == "hello"' }] });
    assert.match(fw.body.breakpoints[0].message, /eBPF logpoint/);
    const m = await dc.setBreakpointsRequest({ source: { path: src('user/matrix.c') },
      breakpoints: [{ line: workLine, logMessage: 'work(n = {n}, a0 = {a0}) in {comm}' },
        { line: cellLine, logMessage: 'c[{i}][{j}] = {acc} = 2 * {a[i][j]}, b={b[j][j]}',
          condition: 'i == 3 && j == 5 || i == 7 && j == 7' }] });
    for (const b of m.body.breakpoints) assert.match(b.message, /eBPF logpoint/);
    await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') },
      breakpoints: [{ line: helloLine, logMessage: 'hello main pc={pc} {argc} {argv[0]}' }] });
  });
  await dc.waitForEvent('terminated', 30000);
  const text = output.join('');
  const writes = text.split('write by ').slice(1).map((s) => s.split('\n')[0]);
  // The writes of the run: matrix's one line, hello's one line, init's closing line.
  assert.deepEqual(writes.map((w) => w.split('/')[0]), ['matrix', 'hello', 'init'], text);
  // n by name (DWARF: a stack slot at this line), printed as the int it is.
  assert.match(text, /work\(n = 8, a0 = 0x[0-9a-f]+\) in matrix\n/);
  // Text: a char array (path), an element of an array of pointers (argv),
  // a member of struct proc (name) that is the event's comm.
  const execs = [...text.matchAll(/exec (\S+) \[(\S+)\] by (\S+)\/(\S+)\n/g)];
  assert.deepEqual(execs.map((x) => [x[1], x[2]]), [['matrix', 'matrix'], ['hello', 'hello']], text);
  for (const x of execs) assert.equal(x[3], x[4], 'p->name is the comm');
  assert.equal(text.split('exec of hello seen\n').length - 1, 1, 'a text condition');
  assert.match(text, /hello writes 22 bytes: Hello, world! \(pid \d+\)\\n\n/, 'hello\'s buffer, read from user memory');
  // matrix: b = 2I so c = 2a, a[i][j] = i + j (user/matrix.c).
  const cells = text.split('\n').filter((l) => l.startsWith('c['));
  assert.deepEqual(cells, ['c[3][5] = 16 = 2 * 8, b=2', 'c[7][7] = 28 = 2 * 14, b=2']);
  assert.equal(text.split('hello main pc=').length - 1, 1, 'hello\'s logpoint once, never in matrix');
  assert.match(text, /hello main pc=0x[0-9a-f]+ 1 hello\n/, 'user memory read as text');
  assert.equal(stopped.length, 0, 'logpoints never stopped the OS');
  const stats = await dc.customRequest('osdbg/stats', {});
  assert.equal(stats.body.filteredHits + stats.body.userStops, 0, 'no GDB stop at all');
});

test('an eBPF logpoint\'s lines that arrive while the adapter waits for a side-stub reply are not held back', async (t) => {
  // The eBPF view asks for the probe list (osdbg/traceList) while the OS
  // runs; events the side-stub sends before its reply are read during the
  // request.  The last lines of a burst, with the shell then waiting for
  // input, must still reach the editor without a later event to push them.
  const writeLine = lineOf('kernel/sysfile.c', 'return file_write(f, argraw(1), (long)argraw(2));');
  const { dc, output } = await startSession(t, {}, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') },
      breakpoints: [{ line: writeLine, logMessage: 'held? {comm}' }] });
  });
  const text = () => output.join('');
  const until = waitUntil(output);
  await until(() => text().includes('$ '), 'the shell\'s prompt');
  // The logpoint's output events (after the prompt "$ ", which has no
  // newline, one starts with a line break of its own).
  const lines = () => output.filter((o) => /^\n?(held\? \w+\n)+$/.test(o)).join('').split('\n').filter(Boolean).length;
  const hits = async () => (await dc.customRequest('osdbg/traceList', {})).body.probes.reduce((n, p) => n + p.hits, 0);
  for (let round = 0; round < 5; round++) {
    // Requests back to back while hello runs and the shell prompts again.
    await dc.customRequest('consoleInput', { text: 'hello\n' });
    for (const end = Date.now() + 1000; Date.now() < end;) await hits();
    const n = await hits();
    assert.ok(n >= 2 * (round + 1), `hello's write and the prompt, ${round + 1} times: ${n} hits`);
    await until(() => lines() === n, `${n} logpoint lines`, 3000);
  }
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('the OS stops while the adapter waits for the side-stub: the stop shows at once, the logpoint stays eBPF, nothing leaks (issue 13)', async (t) => {
  // A logpoint added while the OS is stopped attaches when it runs again.
  // Here the OS stops again (a breakpoint in the side-stub's own attach
  // handler: a stand-in for any stop, such as the adapter's exec and exit
  // hooks, that comes while a request is on its way).  A stopped OS answers
  // nothing: the adapter must give the request up at once (it waited 3 s,
  // then turned the logpoint into a GDB one), undo what the request made
  // when it is carried out later, and attach the logpoint when the OS runs.
  const writeLine = lineOf('kernel/sysfile.c', 'return file_write(f, argraw(1), (long)argraw(2));');
  const attachLine = lineOf('ktrace/src/sidestub_server.c', 'static size_t attach(const struct ss_request *req, char *out)') + 2;
  const { dc, output } = await startSession(t, {});
  const text = () => output.join('');
  const until = waitUntil(output);
  await until(() => text().includes('$ '), 'the shell\'s prompt');
  const paused = waitStopped(dc);
  await dc.pauseRequest({ threadId: dc.thread });
  await paused;
  await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') },
    breakpoints: [{ line: writeLine, logMessage: 'eager {comm}' }] });
  const inAttach = await dc.setBreakpointsRequest({ source: { path: src('ktrace/src/sidestub_server.c') }, breakpoints: [{ line: attachLine }] });
  assert.ok(inAttach.body.breakpoints[0].verified, JSON.stringify(inAttach.body));
  const stopped = waitStopped(dc);
  const t0 = Date.now();
  await dc.continueRequest({ threadId: dc.thread });
  const stop = await stopped;
  const waited = Date.now() - t0;
  const top = (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames[0];
  assert.equal(top.name.split(' ')[0], 'attach', `stopped in the side-stub's attach handler: ${JSON.stringify(stop.body)}`);
  console.log(`# continue -> the stop in attach(): ${waited} ms`);
  assert.ok(waited < 2500, `the stop was shown at once, not after a side-stub timeout (${waited} ms)`);
  await dc.setBreakpointsRequest({ source: { path: src('ktrace/src/sidestub_server.c') }, breakpoints: [] });
  await dc.continueRequest({ threadId: dc.thread });
  // The logpoint attaches once the OS runs (after the given-up attach's
  // late reply is undone); hello is typed when it is there.
  let listed = [];
  for (const end = Date.now() + 15000; listed.length === 0 && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 100));
    listed = (await dc.customRequest('osdbg/traceList', {})).body.probes;
  }
  assert.equal(listed.length, 1, 'the logpoint attached when the OS ran again');
  await dc.customRequest('consoleInput', { text: 'hello\n' });
  await until(() => text().includes('eager hello'), 'the logpoint prints hello\'s write');
  assert.doesNotMatch(text(), /GDB|no reply|\[trace \d+\]|owes/, 'no fallback to GDB, no timeout, no raw event');
  const probes = (await dc.customRequest('osdbg/traceList', {})).body.probes;
  assert.equal(probes.length, 1, `one probe, the logpoint's; the one whose attach was given up is gone: ${JSON.stringify(probes)}`);
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('more eBPF logpoints than the OS has room for: the rest print through GDB, with a notice, the same text', async (t) => {
  // Every statement line of the system calls' bodies in sysproc.c and
  // sysfile.c: more logpoints than the kernel has program slots (36).  The
  // one in sys_write comes last, so it is among those that do not fit.
  const statements = (rel) => {
    const lines = fs.readFileSync(path.join(ROOT, rel), 'utf8').split('\n');
    const out = [];
    let inside = false;
    lines.forEach((l, i) => {
      if (/^long sys_\w+\(void\)/.test(l)) inside = true;
      else if (l === '}') inside = false;
      else if (inside && /^\s+(\w.*;|if \(.*\))\s*$/.test(l) && !/^\s+(else|return;)/.test(l)) out.push(i + 1);
    });
    return out;
  };
  const writeLine = lineOf('kernel/sysfile.c', 'return file_write(f, argraw(1), (long)argraw(2));');
  const proc = statements('kernel/sysproc.c');
  const file = statements('kernel/sysfile.c').filter((l) => l !== writeLine);
  assert.ok(proc.length + file.length >= 40, `${proc.length + file.length} lines`);
  const changed = [];
  const { dc, output } = await startSession(t, { bootArgs: 'run=hello' }, async (dc) => {
    dc.on('breakpoint', (e) => changed.push(e.body.breakpoint));
    const p = await dc.setBreakpointsRequest({ source: { path: src('kernel/sysproc.c') },
      breakpoints: proc.map((line) => ({ line, logMessage: `proc ${line}` })) });
    const f = await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') },
      breakpoints: [...file.map((line) => ({ line, logMessage: `file ${line}` })),
        { line: writeLine, logMessage: 'last one: write by {comm}/{pid}, a0={a0}' }] });
    for (const b of [...p.body.breakpoints, ...f.body.breakpoints]) assert.match(b.message, /eBPF logpoint/);
  });
  await dc.waitForEvent('terminated', 60000);
  const text = output.join('');
  const notices = text.match(/osdbg: logpoint at \S+ runs as a GDB stop-print-resume: the OS refused its eBPF probe: [^\n]+\n/g) ?? [];
  const total = proc.length + file.length + 1;
  assert.ok(notices.length > 0 && notices.length <= total - 30, `${notices.length} of ${total} fell back:\n${notices.join('')}`);
  assert.match(notices.at(-1), new RegExp(`sysfile\\.c:${writeLine} .*no room`));
  // The editor was told: the breakpoint is now an ordinary (GDB) one.
  assert.ok(changed.some((b) => b.line === writeLine && b.verified && !/eBPF/.test(b.message ?? '')), JSON.stringify(changed));
  // Through GDB it prints what eBPF would have: {comm} and {pid} are the
  // process's, {a0} a register in hex.
  const writes = [...text.matchAll(/last one: write by (\S+)\/(\d+), a0=(0x[0-9a-f]+)\n/g)].map((m) => m[1]);
  assert.deepEqual(writes, ['hello', 'init'], text);
  assert.doesNotMatch(text, /No symbol/);
  // The ones that fit printed as eBPF: sys_exec's lines ran for hello.
  assert.match(text, /\nproc \d+\n/);
});

test('a breakpoint where an eBPF probe sits: the instruction under the probe still runs, in the kernel and in a program', async (t) => {
  // GDB takes an ebreak it finds under a new breakpoint for the program's
  // own and resumes past it without running it: sys_getpid's first
  // instruction (its stack frame) and main's would be skipped, and the
  // kernel would panic, hello be killed.
  const { dc, output } = await startSession(t, {});
  const text = () => output.join('');
  const until = waitUntil(output);
  await until(() => text().includes('$ '), 'shell prompt');
  const k = (await dc.evaluateRequest({ expression: 'trace kprobe sys_getpid', context: 'repl' })).body.result;
  const kaddr = k.match(/ at (0x[0-9a-f]+) in sys_getpid/)[1];
  const u = (await dc.evaluateRequest({ expression: 'trace uprobe hello:main', context: 'repl' })).body.result;
  const uaddr = u.match(/ at (0x[0-9a-f]+) in main/)[1];
  const ins = await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: kaddr }] });
  assert.equal(ins.body.breakpoints[0].verified, true);
  const main = await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') },
    breakpoints: [{ line: lineOf('user/hello.c', 'int main(') }] });
  assert.equal(main.body.breakpoints[0].instructionReference, uaddr, 'the line of main is its first instruction');
  await dc.customRequest('consoleInput', { text: 'hello\n' });
  for (const where of [uaddr, kaddr]) {
    const stop = await waitStopped(dc);
    const st = await dc.stackTraceRequest({ threadId: stop.body.threadId ?? 1, levels: 1 });
    assert.equal(BigInt(st.body.stackFrames[0].instructionPointerReference), BigInt(where));
    await dc.continueRequest({ threadId: dc.thread });
  }
  await until(() => /Hello, world! \(pid \d+\)/.test(text()), 'hello ran to its end');
  assert.doesNotMatch(text(), /panic|killed/);
  assert.match(text(), /\[trace \d+\] hello\/\d+ main hello\.c:\d+ pc=/);
  assert.match(text(), /\[trace \d+\] hello\/\d+ sys_getpid /);
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('GDB logpoints and conditions read like the eBPF ones: text compared with a string, {comm}, {pid}, registers', async (t) => {
  // ebpfLogpoints: false makes every logpoint a GDB one ({path}, a char
  // array, prints as its text, as in eBPF); the breakpoint
  // (not a logpoint) has a text condition too.  GDB alone cannot compare
  // a char array with a string (it wants the target's malloc).
  const execSeenLine = lineOf('kernel/sysproc.c', 'struct proc *p = myproc();', lineOf('kernel/sysproc.c', 'long sys_exec(void)'));
  const execLine = lineOf('kernel/sysproc.c', 'err = kexec(path, argv);');
  const stops = [];
  const { dc, output } = await startSession(t, { bootArgs: 'run=matrix,hello', ebpfLogpoints: false }, async (dc) => {
    dc.on('stopped', (e) => stops.push(e));
    await dc.setBreakpointsRequest({ source: { path: src('kernel/sysproc.c') }, breakpoints: [
      { line: execSeenLine, logMessage: 'exec of {path} by {comm}/{pid}, a0={a0}', condition: 'path == "hello" && comm == "init"' },
      { line: execLine, condition: '"matrix" != path' }] });
  });
  const stop = await waitStopped(dc);
  const frame = (await dc.stackTraceRequest({ threadId: stop.body.threadId ?? 1, levels: 1 })).body.stackFrames[0];
  assert.equal(frame.line, execLine);
  await dc.continueRequest({ threadId: dc.thread });
  await dc.waitForEvent('terminated', 30000);
  const text = output.join('');
  // init's child (still named init) execs hello: the pid hello prints.
  const helloPid = text.match(/Hello, world! \(pid (\d+)\)/)[1];
  assert.deepEqual(text.match(/exec of hello by [^\n]*\n/g), [`exec of hello by init/${helloPid}, a0=0x0\n`], text);
  assert.equal(stops.length, 1, 'the breakpoint stopped for hello only');
  assert.doesNotMatch(text, /breakpoint condition/);
});

/* A kernel function's address and size (nm) and its bytes in the ELF file
 * (objcopy): what the code must be again after every probe is detached. */
function kernelFunction(name) {
  const elf = path.join(BUILD, 'kernel', 'kernel.elf');
  const line = execFileSync('riscv64-unknown-elf-nm', ['-S', elf], { encoding: 'utf8' })
    .split('\n').find((l) => l.endsWith(` ${name}`) && / [tT] /.test(l));
  const [addr, size] = line.split(' ').slice(0, 2).map((h) => parseInt(h, 16));
  const bin = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-text-')), 'text.bin');
  execFileSync('riscv64-unknown-elf-objcopy', ['-O', 'binary', '--only-section=.text', elf, bin]);
  const bytes = fs.readFileSync(bin).subarray(addr - 0x80200000, addr - 0x80200000 + size);
  fs.rmSync(path.dirname(bin), { recursive: true, force: true });
  return { addr, size, bytes: [...bytes] };
}

test('probes of every kind and eBPF logpoints leave the kernel code byte-identical after detach', async (t) => {
  const { dc, output } = await startSession(t, {});
  const text = () => output.join('');
  const until = waitUntil(output);
  await until(() => text().includes('$ '), 'shell prompt');
  const fns = ['sys_getpid', 'sys_write', 'sys_read'].map(kernelFunction);
  const read = async (f) => [...Buffer.from((await dc.customRequest('readMemory',
    { memoryReference: `0x${f.addr.toString(16)}`, count: f.size })).body.data, 'base64')];
  const writeLine = lineOf('kernel/sysfile.c', 'return file_write(f, argraw(1), (long)argraw(2));');

  const lat = await dc.customRequest('osdbg/trace', { command: 'kprobe sys_getpid latency' });
  await dc.evaluateRequest({ expression: 'trace kretprobe sys_write', context: 'repl' });
  await dc.evaluateRequest({ expression: 'trace kprobe sys_read count', context: 'repl' });
  // Probes share an address (a libbpf object's kprobe/f and kretprobe/f): a
  // kprobe where the kretprobe sits is accepted; detach restores the bytes all the same.
  await dc.evaluateRequest({ expression: 'trace kprobe sys_write', context: 'repl' });
  await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') },
    breakpoints: [{ line: writeLine, logMessage: 'write of {*(u8*)(a1)} bytes', condition: 'comm == "sysbench"' }] });
  await dc.customRequest('consoleInput', { text: 'sysbench 5\n' });
  await until(() => /sysbench: 5 getpid/.test(text()), 'sysbench ran');
  await new Promise((r) => setTimeout(r, 300));
  const hist = await dc.customRequest('osdbg/traceMap', { id: lat.body.ids[0] });
  assert.equal(hist.body.histogram.total, 5, hist.body.text);
  const listed = await dc.customRequest('osdbg/traceList', {});
  assert.equal(listed.body.probes.length, 5, listed.body.text + text());

  // While attached, the pristine bytes are not there (the check can fail).
  const stopped = dc.waitForEvent('stopped');
  await dc.pauseRequest({ threadId: dc.thread });
  await stopped;
  for (const f of fns) assert.notDeepEqual(await read(f), f.bytes, 'a probe patches the code');
  await dc.continueRequest({ threadId: dc.thread });

  await dc.evaluateRequest({ expression: 'trace detach all', context: 'repl' });
  await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') }, breakpoints: [] });
  assert.deepEqual((await dc.customRequest('osdbg/traceList', {})).body.probes, []);
  const stopped2 = dc.waitForEvent('stopped');
  await dc.pauseRequest({ threadId: dc.thread });
  await stopped2;
  for (const f of fns) assert.deepEqual(await read(f), f.bytes, `${f.addr.toString(16)}: restored`);
  await dc.continueRequest({ threadId: dc.thread });
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('a logpoint that cannot run as eBPF falls back to GDB with a one-line notice, and still prints', async (t) => {
  const logLine = lineOf('user/matrix.c', 'c[i][j] = acc;');
  const stopped = [];
  const { dc, output } = await startSession(t, { bootArgs: 'run=matrix' }, async (dc) => {
    dc.on('stopped', (e) => stopped.push(e));
    const r = await dc.setBreakpointsRequest({ source: { path: src('user/matrix.c') },
      breakpoints: [{ line: logLine, logMessage: 'a={a[i][j] + 0.5}' }, { line: lineOf('user/matrix.c', 'long sum = work(N);'), logMessage: 'typo={nosuchname}' }] });
    assert.equal(r.body.breakpoints[0].verified, false); // matrix has not run yet
    // A name that is nothing at that line: said at once, not set (GDB
    // would print "No symbol" into the message at every hit).
    assert.equal(r.body.breakpoints[1].verified, false);
    assert.match(r.body.breakpoints[1].message, /^not set: \{nosuchname\}: no variable nosuchname at 0x[0-9a-f]+ \(name a local, a parameter or a global/);
  });
  await dc.waitForEvent('terminated', 30000);
  const text = output.join('');
  assert.equal(text.match(/osdbg: logpoint at .*matrix\.c:\d+ not set: \{nosuchname\}/g).length, 1, 'one notice in the Debug Console');
  assert.doesNotMatch(text, /typo=|No symbol/);
  assert.match(text, /osdbg: logpoint at .*matrix\.c:\d+ runs as a GDB stop-print-resume: \{a\[i\]\[j\] \+ 0\.5\}: floating point \(0\.5\) is not supported in eBPF\n/);
  const logs = text.split('\n').filter((l) => /^a=\d+\.5$/.test(l));
  assert.equal(logs.length, 64, text);
  assert.ok(logs.includes('a=14.5'), 'a[7][7] = 7 + 7, plus 0.5 by GDB');
  assert.equal(stopped.length, 0);
});

test('an eBPF logpoint in Rust: locals and a parameter by name, a condition evaluated in the OS', async (t) => {
  const line = lineOf('user/rust/rustdemo.rs', 'sum += fib.cur;');
  const stopped = [];
  const { dc, output } = await startSession(t, { bootArgs: 'run=rustdemo' }, async (dc) => {
    dc.on('stopped', (e) => stopped.push(e));
    const r = await dc.setBreakpointsRequest({ source: { path: src('user/rust/rustdemo.rs') },
      breakpoints: [{ line, logMessage: 'rust i={i} sum={sum} n={n} cur={fib.cur}', condition: 'i == 9 || i == 0' }] });
    assert.match(r.body.breakpoints[0].message, /eBPF logpoint/);
  });
  await dc.waitForEvent('terminated', 30000);
  const lines = output.join('').split('\n').filter((l) => l.startsWith('rust i='));
  // Before the first and the tenth addition: the sum of the first 0 and 9
  // Fibonacci numbers 1, 1, 2, 3, 5, 8, 13, 21, 34.
  // fib.cur, a member of a struct in the frame: the (i+1)-th Fibonacci number.
  assert.deepEqual(lines, ['rust i=0 sum=0 n=10 cur=1', 'rust i=9 sum=88 n=10 cur=55']);
  assert.equal(stopped.length, 0);
});

test('a uretprobe does not cut the call stack: the caller comes from the probe\'s record, in user and in kernel mode', async (t) => {
  const { dc, output } = await startSession(t, {});
  const deadline = Date.now() + 15000;
  while (!output.join('').includes('$ ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // main's return address becomes the trampoline while main runs.
  const r = await dc.evaluateRequest({ expression: 'trace uretprobe hello:main', context: 'repl' });
  assert.match(r.body.result, /^probe \d+ attached/);
  const bodyLine = lineOf('user/hello.c', 'printf("Hello, world!');
  await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line: bodyLine }] });
  await dc.customRequest('consoleInput', { text: 'hello\n' });
  const stop = await waitStopped(dc);
  assert.match(stop.body.description, /^hello\/\d+, U mode(, hart \d+)?$/);
  const st = await dc.stackTraceRequest({ threadId: dc.thread });
  assert.deepEqual(st.body.stackFrames.map((f) => f.name), ['main [hello]', '_start [hello]']);
  // The same from the kernel, across the trap: hello's printf -> write.
  const writeLine = lineOf('kernel/sysfile.c', 'return file_write(f, argraw(1), (long)argraw(2));');
  await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') }, breakpoints: [{ line: writeLine }] });
  await dc.continueRequest({ threadId: dc.thread });
  const kstop = await waitStopped(dc);
  assert.match(kstop.body.description, /^hello\/\d+, S mode(, hart \d+)?$/);
  const kst = await dc.stackTraceRequest({ threadId: dc.thread });
  const names = kst.body.stackFrames.map((f) => f.name);
  const label = names.indexOf('── trap from user mode ──');
  assert.ok(label > 0, names.join(','));
  assert.deepEqual(names.slice(-2), ['main [hello]', '_start [hello]'], names.join(','));
  assert.ok(!names.some((n) => n.startsWith('??')), names.join(','));
  await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') }, breakpoints: [] });
  await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [] });
  await dc.continueRequest({ threadId: dc.thread });
  // The return went to the real caller: hello finished normally.
  const end = Date.now() + 15000;
  while (!/main returned a0=0x0 \(to 0x[0-9a-f]+\)/.test(output.join('')) && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
  assert.match(output.join(''), /hello\/\d+ main returned a0=0x0 \(to 0x[0-9a-f]+\)/);
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('a program\'s frames below the kernel\'s: its struct and array locals expand, member by member, element by element', async (t) => {
  // Stopped in ktrace's kt_sys_bpf (the kernel's sys_bpf gives it the
  // system call's arguments) for bpftest's first map_create(): its struct
  // bpf_attr_map_create a = {type, key, value, max, 0, 0, 0, "bpftest"}
  // (user/bpftest.c) lives on the program's stack, read through its page table.
  const bpfLine = lineOf('ktrace/src/bpf.c', 'if (size == 0 || size > 4096)', lineOf('ktrace/src/bpf.c', 'long kt_sys_bpf(int cmd, uint64_t uattr, uint64_t size)'));
  const { dc } = await startSession(t, { bootArgs: 'run=bpftest,forktest' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('ktrace/src/bpf.c') }, breakpoints: [{ line: bpfLine }] });
  });
  const localsOf = async (frameName) => {
    const st = await dc.stackTraceRequest({ threadId: dc.thread });
    const f = st.body.stackFrames.find((x) => x.name === frameName);
    assert.ok(f, st.body.stackFrames.map((x) => x.name).join(', '));
    const scopes = await dc.scopesRequest({ frameId: f.id });
    return (await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference })).body.variables;
  };
  const expand = async (v) => {
    assert.ok(v.variablesReference > 0, `${v.name} expands: ${JSON.stringify(v)}`);
    return Object.fromEntries((await dc.variablesRequest({ variablesReference: v.variablesReference })).body.variables.map((x) => [x.name, x]));
  };
  // The first stop in kt_sys_bpf made from map_create() (bpftest loads programs first).
  await waitStopped(dc);
  for (;;) {
    const st = await dc.stackTraceRequest({ threadId: dc.thread });
    if (st.body.stackFrames.some((f) => f.name === 'map_create [bpftest]')) break;
    await dc.continueRequest({ threadId: dc.thread });
    await waitStopped(dc);
  }
  const a = (await localsOf('map_create [bpftest]')).find((v) => v.name === 'a');
  assert.match(a.value, /^\{\.\.\.\} \(struct bpf_attr_map_create at 0x[0-9a-f]+\)$/);
  const m = await expand(a);
  const hash = fs.readFileSync(path.join(ROOT, 'include', 'osdbg', 'bpf_ids.h'), 'utf8').match(/#define BPF_MAP_TYPE_HASH\s+(\d+)/)[1];
  assert.deepEqual(['map_type', 'key_size', 'value_size', 'max_entries', 'map_flags'].map((k) => m[k].value), [hash, '4', '8', '16', '0']);
  assert.equal(m.map_name.value, '"bpftest"');
  // forktest waits for its children: pids[] holds their pids, given in
  // order after its own (the kernel's pids count up).
  await dc.setBreakpointsRequest({ source: { path: src('ktrace/src/bpf.c') }, breakpoints: [] });
  const waitLine = lineOf('kernel/sysproc.c', 'return wait((int)argraw(0), argraw(1));');
  await dc.setBreakpointsRequest({ source: { path: src('kernel/sysproc.c') }, breakpoints: [{ line: waitLine }] });
  await dc.continueRequest({ threadId: dc.thread });
  let stop = await waitStopped(dc);
  while (!/^forktest\//.test(stop.body.description)) { // init waits too
    await dc.continueRequest({ threadId: dc.thread });
    stop = await waitStopped(dc);
  }
  const locals = await localsOf('main [forktest]');
  const me = Number(locals.find((v) => v.name === 'me').value);
  const pids = await expand(locals.find((v) => v.name === 'pids'));
  const nchild = Number(fs.readFileSync(src('user/forktest.c'), 'utf8').match(/#define NCHILD (\d+)/)[1]);
  assert.deepEqual(Object.keys(pids), [...Array(nchild).keys()].map((i) => `[${i}]`));
  assert.deepEqual(Object.values(pids).map((v) => Number(v.value)), [...Array(nchild).keys()].map((i) => me + 1 + i));
});

test('osdbg trace in a terminal next to a debug session: the trace socket shares the OS\'s debug channel', async (t) => {
  // The session holds QEMU's side-stub socket (its eBPF logpoint); a
  // terminal's osdbg trace joins through the socket the adapter prints.
  const writeLine = lineOf('kernel/sysfile.c', 'return file_write(f, argraw(1), (long)argraw(2));');
  const { dc, output } = await startSession(t, {}, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') },
      breakpoints: [{ line: writeLine, logMessage: 'session sees a write by {comm}' }] });
  });
  const until = waitUntil(output);
  await until(() => output.join('').includes('$ '), 'shell prompt');
  const relay = output.join('').match(/osdbg trace --socket (\S+) /)[1];
  const tr = spawn(OSDBG, ['trace', '--socket', relay, '--duration', '3', 'kprobe', 'sys_getpid', 'count'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => tr.kill('SIGKILL'));
  let trOut = '', trErr = '';
  tr.stdout.on('data', (d) => { trOut += d; });
  tr.stderr.on('data', (d) => { trErr += d; });
  const closed = new Promise((res) => tr.on('close', res));
  await until(() => trErr.includes('tracing'), `trace started: ${trErr}`);
  const both = (await dc.customRequest('osdbg/traceList', {})).body.probes;
  assert.equal(both.length, 2, 'the logpoint\'s probe and the terminal\'s');
  assert.match(both.find((p) => p.program !== 'logpoint').target, /\(osdbg trace in a terminal\)$/);
  await dc.customRequest('consoleInput', { text: 'sysbench 7\n' });
  await until(() => /sysbench: 7 getpid\(\) calls \(pid \d+\)/.test(output.join('')), 'sysbench ran');
  const pid = output.join('').match(/sysbench: 7 getpid\(\) calls \(pid (\d+)\)/)[1];
  assert.equal(await closed, 0, trErr);
  assert.match(trOut, new RegExp(`@count\\[sys_getpid\\]:\\npid ${pid}: 7\\n`), trOut + trErr);
  assert.match(trErr, /osdbg trace: \d+ events, 0 lost/);
  // The session's logpoint printed all along, and nothing of the terminal's probe.
  await until(() => output.join('').includes('session sees a write by sysbench\n'), 'the logpoint\'s line');
  assert.doesNotMatch(output.join(''), /\[trace \d+\]/);
  // The terminal's probe went with it.
  const left = (await dc.customRequest('osdbg/traceList', {})).body.probes;
  assert.equal(left.length, 1, JSON.stringify(left));
  assert.equal(left[0].program, 'logpoint');
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});

test('a child forked without exec keeps its program\'s breakpoints after its parent exits (orphan)', async (t) => {
  const { dc, output } = await startSession(t, {}, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/orphan.c') },
      breakpoints: [{ line: lineOf('user/orphan.c', 'long sum = 0;') }] });
  });
  const deadline = Date.now() + 15000;
  while (!output.join('').includes('$ ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await dc.customRequest('consoleInput', { text: 'orphan\n' });
  // The parent is gone by the time the child calls orphan_work().
  const stop = await waitStopped(dc, 30000);
  const child = output.join('').match(/orphan: parent exits, child (\d+) runs on/);
  assert.ok(child, output.join(''));
  assert.equal(noHart(stop.body.description), `orphan/${child[1]}, U mode`);
  const st = await dc.stackTraceRequest({ threadId: dc.thread });
  assert.match(st.body.stackFrames[0].name, /^orphan_work \[orphan\]$/);
  await dc.continueRequest({ threadId: dc.thread });
  const end = Date.now() + 15000;
  while (!/orphan_work\(10\) = 55/.test(output.join('')) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.match(output.join(''), new RegExp(`orphan: child ${child[1]}: orphan_work\\(10\\) = 55`));
  await dc.customRequest('consoleInput', { text: 'exit\n' });
  await dc.waitForEvent('terminated', 20000);
});
