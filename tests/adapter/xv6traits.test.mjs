// The reference kernel given, one at a time, the traits of xv6-riscv that
// broke osdbg when it was tried on a stock xv6 checkout (issue 16): program
// files named with a prefix (xv6's "_echo") and reached through links, and a
// disk image named by a path relative to the OS's folder.  (The trap entry
// that saves the user pc late is the reference kernel's own now: see
// kernels.test.mjs, stepIn.)  Each scenario failed before its fix.
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { followStops } from './harts.mjs';
import { ROOT, BUILD } from '../kernel/qemu.mjs';

const test = (name, fn) => nodeTest(name, { timeout: 120000 }, fn);
const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const reference = JSON.parse(fs.readFileSync(path.join(ROOT, 'profiles', 'osdbg-kernel.json'), 'utf8'));
const lineOf = (rel, text) => fs.readFileSync(path.join(ROOT, rel), 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-xv6traits-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeProfile(dir, change) {
  const p = structuredClone(reference);
  p.root = ROOT;
  change(p);
  const file = path.join(dir, 'student.json');
  fs.writeFileSync(file, JSON.stringify(p, null, 2));
  return file;
}

// A session from a client started in cwd (not the project's folder).
async function start(t, profile, bootArgs, cwd, setup) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg', { cwd });
  followStops(dc);
  dc.defaultTimeout = 20000;
  await dc.start();
  t.after(() => Promise.race([dc.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]));
  const output = [];
  dc.on('output', (e) => output.push(e.body.output));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile, bootArgs });
  await initialized;
  await setup(dc);
  await dc.configurationDoneRequest();
  return { dc, output };
}

test('programs named "_{name}", reached through links, are found, and each stop has its own program\'s symbols', async (t) => {
  const dir = tempDir(t);
  const progs = path.join(dir, 'user');
  fs.mkdirSync(progs);
  for (const name of ['hello', 'matrix', 'sh', 'init'])
    fs.symlinkSync(path.join(BUILD, 'user', name), path.join(progs, `_${name}`));
  fs.copyFileSync(path.join(BUILD, 'user', 'hello.o'), path.join(progs, 'hello.o')); // not a program
  const profile = writeProfile(dir, (p) => { p.userPrograms = { dir: progs, file: '_{name}' }; });
  const helloLine = lineOf('user/hello.c', 'int pid = getpid();');
  const matrixLine = lineOf('user/matrix.c', 'int main(');
  const { dc, output } = await start(t, profile, 'run=matrix,hello', dir, async (dc) => {
    let r = await dc.setBreakpointsRequest({ source: { path: path.join(ROOT, 'user', 'hello.c') }, breakpoints: [{ line: helloLine }] });
    assert.ok(r.body.breakpoints[0].instructionReference, `hello.c resolves in _hello: ${JSON.stringify(r.body)}`);
    r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'matrix!main' }] });
    assert.ok(r.body.breakpoints[0].instructionReference, JSON.stringify(r.body));
  });
  let stop = await dc.waitForEvent('stopped');
  assert.match(stop.body.description, /^matrix\/\d+, U mode(, hart \d+)?$/);
  let f = (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames[0];
  assert.equal(f.name, 'main [matrix]');
  assert.equal(f.source?.path, path.join(ROOT, 'user', 'matrix.c'));
  await dc.continueRequest({ threadId: dc.thread });
  stop = await dc.waitForEvent('stopped');
  assert.match(stop.body.description, /^hello\/\d+, U mode(, hart \d+)?$/);
  f = (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames[0];
  // matrix's symbols were unloaded: this is hello's main at its line.
  assert.equal(f.name, 'main [hello]');
  assert.equal(f.source?.path, path.join(ROOT, 'user', 'hello.c'));
  assert.equal(f.line, helloLine);
  assert.doesNotMatch(output.join(''), /cannot unload the symbols|no user program/);
  void matrixLine;
});

test('a profile whose file pattern fits no program says so', async (t) => {
  const dir = tempDir(t);
  const profile = writeProfile(dir, (p) => { p.userPrograms = { dir: path.join(BUILD, 'user'), file: '_{name}' }; });
  const { dc, output } = await start(t, profile, 'run=hello', dir, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: path.join(ROOT, 'user', 'hello.c') }, breakpoints: [{ line: 6 }] });
  });
  await dc.waitForEvent('terminated', 30000);
  assert.match(output.join(''), /no user program in .* fits userPrograms\.file "_\{name\}"/);
});

test('a disk image named by a path relative to the profile\'s root is found, whatever folder the adapter runs in', async (t) => {
  const dir = tempDir(t);
  const profile = writeProfile(dir, (p) => {
    p.qemu.args = [...p.qemu.args, '-drive', 'file=build/user/fs.cpio,if=none,format=raw,id=disk0,snapshot=on'];
  });
  const { dc, output } = await start(t, profile, 'run=hello', dir, async () => {});
  await dc.waitForEvent('terminated', 30000);
  assert.match(output.join(''), /Hello, world!/, output.join(''));
});

test('a system call made through an assembly stub without call-frame information shows the stub and its callers below the kernel', async (t) => {
  const dir = tempDir(t);
  const profile = writeProfile(dir, () => {});
  const { dc } = await start(t, profile, 'run=stubs', dir, async (dc) => {
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'sys_write' }] });
  });
  const stop = await dc.waitForEvent('stopped');
  assert.match(stop.body.description, /^stubs\/\d+, S mode(, hart \d+)?$/);
  const names = (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames.map((f) => f.name);
  const border = names.findIndex((n) => /trap from user mode/.test(n));
  assert.ok(border > 0, names.join(' | '));
  // The stub (a global label, no size, no CFI), then main through ra, and
  // nothing beyond the program's entry.
  assert.deepEqual(names.slice(border + 1), ['asm_write [stubs]', 'main [stubs]', '_start [stubs]'], names.join(' | '));
});

test('a Watch or hover while the OS runs asks to pause first, as the other requests do', async (t) => {
  const dir = tempDir(t);
  const profile = writeProfile(dir, () => {});
  const { dc, output } = await start(t, profile, '', dir, async () => {});
  for (let i = 0; i < 100 && !/\$ $/.test(output.join('')); i++) await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(dc.evaluateRequest({ expression: 'ticks', context: 'watch' }), /the OS is running; pause it first/);
  await assert.rejects(dc.evaluateRequest({ expression: 'ticks', context: 'hover' }), /the OS is running; pause it first/);
});

test('an OS without a side-stub that the profile does not declare: logpoints fall back to GDB once the handshake goes unanswered, with one notice', async (t) => {
  const dir = tempDir(t);
  const profile = writeProfile(dir, () => {}); // the reference profile: it expects a side-stub
  const line = lineOf('user/hello.c', 'int pid = getpid();');
  const { dc, output } = await start(t, profile, 'dbgchan=off', dir, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: path.join(ROOT, 'user', 'hello.c') }, breakpoints: [{ line, logMessage: 'hello is {comm}' }] });
  });
  const text = () => output.join('');
  for (let i = 0; i < 800 && !/seems to have no side-stub/.test(text()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(text(), /nothing answered on the debug channel within 15 s: this OS seems to have no side-stub/);
  for (let i = 0; i < 100 && !/\$ $/.test(text()); i++) await new Promise((r) => setTimeout(r, 50));
  await dc.customRequest('consoleInput', { text: 'hello\n' });
  for (let i = 0; i < 200 && !/hello is hello\n/.test(text()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal((text().match(/hello is hello\n/g) ?? []).length, 1, text());
  assert.equal((text().match(/seems to have no side-stub/g) ?? []).length, 1, 'said once');
});

test('a function breakpoint on an assembly stub (an ELF symbol with no DWARF) stops there', async (t) => {
  const dir = tempDir(t);
  const profile = writeProfile(dir, () => {});
  const { dc } = await start(t, profile, 'run=stubs', dir, async (dc) => {
    const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'stubs!asm_write' }] });
    assert.ok(r.body.breakpoints[0].instructionReference, JSON.stringify(r.body));
  });
  const stop = await dc.waitForEvent('stopped');
  assert.match(stop.body.description, /^stubs\/\d+, U mode(, hart \d+)?$/);
  const f = (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames;
  assert.equal(f[0].name, 'asm_write [stubs]');
});
