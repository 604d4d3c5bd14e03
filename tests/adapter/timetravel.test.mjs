// Time travel (issue 20) end to end: osdbg dap against the real QEMU (its
// record/replay) and the real GDB, driven by a real DAP client.  The bug
// hunt of docs/bug-hunt.md: user/bughunt.c's copy_name writes one byte
// past an 8-byte name into ledger[2].balance, and the audit finds it much
// later.  Lines are found in the sources by their text.
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { followStops } from './harts.mjs';
import { ROOT, BUILD } from '../kernel/qemu.mjs';
import { src, lineOf } from './source.mjs';

const test = (name, fn) => nodeTest(name, { timeout: 120000 }, fn);

const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
const BUGHUNT = 'user/bughunt.c';
const SYMPTOM = lineOf(BUGHUNT, '/* the symptom */');
const WRITER = lineOf(BUGHUNT, '/* writes dst[n] too */');
const OPEN_INIT = lineOf(BUGHUNT, 'ledger[i].balance = INITIAL;');
const LOOP = lineOf(BUGHUNT, 'for (int i = 0; i <= n; i++) {');

test('initialize says the adapter can go back and set data breakpoints at an address (the editor shows Step Back, Reverse, Add Data Breakpoint at Address)', async (t) => {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  const r = await dc.initializeRequest();
  assert.equal(r.body.supportsStepBack, true);
  assert.equal(r.body.supportsDataBreakpointBytes, true);
  assert.equal(r.body.supportsDataBreakpoints, true);
});

async function startSession(t, launchArgs, setup = async () => {}) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  dc.defaultTimeout = 30000;
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  const output = [];
  dc.on('output', (e) => output.push(e.body.output));
  // The OS console's terminal (consoleTerminal "event"), sent with launch.
  dc.consoleEvent = new Promise((resolve) => dc.on('osdbg/console', resolve));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, stopOnEntry: false, ...launchArgs });
  await initialized;
  await setup(dc);
  await dc.configurationDoneRequest();
  return { dc, output };
}

const top = async (dc) => (await dc.stackTraceRequest({ threadId: dc.thread, levels: 1 })).body.stackFrames[0];
const where = async (dc) => {
  const f = await top(dc);
  return `${path.basename(f.source?.path ?? '?')}:${f.line}`;
};
const evaluate = async (dc, expression) => {
  const f = await top(dc);
  return (await dc.evaluateRequest({ expression, frameId: f.id, context: 'watch' })).body.result;
};

// Continue to the end of the run: the stop where the OS powers off (the
// profile's powerOff), then on: the OS powers off and the session ends.
async function toTheEnd(dc) {
  const last = dc.waitForEvent('stopped', 60000);
  await dc.continueRequest({ threadId: dc.thread });
  const s = await last;
  assert.equal(s.body.text, 'the OS powers off here: the end of the recording', JSON.stringify(s.body));
  const ended = dc.waitForEvent('terminated', 60000);
  await dc.continueRequest({ threadId: dc.thread });
  await ended;
}

// A recorded session, stopped at the symptom: the recording's folder and
// the session, its breakpoint at the audit's printf.
async function recordToSymptom(t) {
  const stopped = [];
  const { dc, output } = await startSession(t, { record: true, bootArgs: 'run=bughunt' }, async (dc) => {
    dc.on('stopped', (e) => stopped.push(e.body));
    const r = await dc.setBreakpointsRequest({ source: { path: src(BUGHUNT) }, breakpoints: [{ line: SYMPTOM }] });
    assert.equal(r.body.breakpoints.length, 1);
  });
  await dc.waitForEvent('stopped', 60000);
  assert.equal(await where(dc), `bughunt.c:${SYMPTOM}`);
  const text = output.join('');
  const dir = /osdbg: recording to (\S+) /.exec(text)?.[1];
  assert.ok(dir && fs.existsSync(dir), `the recording's folder is named: ${text}`);
  return { dc, output, dir, stopped };
}

test('a live recorded session stopped at the symptom: Step Back replays the recording by itself and goes back one line', async (t) => {
  const { dc, output } = await recordToSymptom(t);
  const balance = await evaluate(dc, 'ledger[2].balance');
  assert.equal(Number(balance), 1000 & ~0xff, 'the damage is there at the symptom');
  // Step Back: the adapter ends the recording, replays it to this point,
  // then goes back a line: the comparison on the line before the printf.
  const stopped = dc.waitForEvent('stopped', 60000);
  await dc.stepBackRequest({ threadId: dc.thread });
  const s = await stopped;
  assert.equal(s.body.reason, 'step');
  const here = await top(dc);
  assert.equal(path.basename(here.source.path), 'bughunt.c');
  assert.ok(here.line < SYMPTOM && here.line >= SYMPTOM - 2, `one line back from ${SYMPTOM}: ${here.line}`);
  assert.match(output.join(''), /going back: the recording is replayed up to where you were/);
});

test('replay: a data breakpoint on the corrupted balance, reverseContinue stops on the line that wrote it, in the parent', async (t) => {
  // Record to the end (the OS powers off), then replay the folder.
  const rec = await recordToSymptom(t);
  await toTheEnd(rec.dc);
  const meta = JSON.parse(fs.readFileSync(path.join(rec.dir, 'recording.json'), 'utf8'));
  assert.equal(meta.status, 'complete');

  const { dc, output } = await startSession(t, { replay: rec.dir }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src(BUGHUNT) }, breakpoints: [{ line: SYMPTOM }] });
  });
  await dc.waitForEvent('stopped', 60000);
  assert.equal(await where(dc), `bughunt.c:${SYMPTOM}`);
  // As the editor's "Add Data Breakpoint at Address" asks: 8 bytes at the
  // balance's address (the Variables view shows no globals).
  const info = await dc.customRequest('dataBreakpointInfo', { name: '&ledger[2].balance', asAddress: true, bytes: 8 });
  assert.match(info.body.description, /^8 bytes at 0x[0-9a-f]+$/);
  const set = await dc.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
  assert.equal(set.body.breakpoints[0].verified, true);
  const stopped = dc.waitForEvent('stopped', 90000);
  await dc.customRequest('reverseContinue', { threadId: dc.thread });
  const s = await stopped;
  assert.equal(s.body.reason, 'data breakpoint');
  assert.equal(await where(dc), `bughunt.c:${WRITER}`, output.join('').slice(-3000));
  assert.match(s.body.description, /^bughunt\/2, U mode/, 'the parent (pid 2), not the child');
  // Before the store: the balance is still 1000; one instruction on it is 768.
  assert.equal(Number(await evaluate(dc, 'ledger[2].balance')), 1000);
  assert.equal(Number(await evaluate(dc, 'i')), 8, 'i == n: one past the name');
  // Back further: the write before it in the parent is the opening balance.
  const again = dc.waitForEvent('stopped', 90000);
  await dc.customRequest('reverseContinue', { threadId: dc.thread });
  await again;
  assert.equal(await where(dc), `bughunt.c:${OPEN_INIT}`);
  void LOOP;
});

// A recording made once for the tests below: run=bughunt to power-off.
let recorded;
async function recording(t) {
  if (recorded) return recorded;
  const { dc, dir } = await recordToSymptom(t);
  await toTheEnd(dc);
  recorded = dir;
  return dir;
}

test('replay: the OS console shows what the OS had written by the point it is back at; forwards again after going back; the end of the recording is a stop where the OS powers off', async (t) => {
  const dir = await recording(t);
  const { dc, output } = await startSession(t, { replay: dir, consoleTerminal: 'event' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src(BUGHUNT) }, breakpoints: [{ line: SYMPTOM }] });
  });
  // The terminal the editor would open on the console's socket.
  const net = await import('node:net');
  const sock = net.createConnection((await dc.consoleEvent).body.socket);
  t.after(() => sock.destroy());
  let screen = '';
  sock.on('data', (d) => { screen += d.toString('latin1'); });
  await dc.waitForEvent('stopped', 60000);
  const end = Date.now() + 5000;
  while (!screen.includes('child 3 did 50 transactions') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.match(screen, /bughunt: child \d+ did 50 transactions/, 'the replay prints what the recording printed');
  assert.doesNotMatch(screen, /ledger corrupted/, 'stopped before the symptom is printed');

  // Back to copy_name's write: before it, nothing of bughunt's was printed.
  await dc.customRequest('setDataBreakpoints', {
    breakpoints: [{ dataId: (await dc.customRequest('dataBreakpointInfo', { name: 'ledger[2].balance' })).body.dataId, accessType: 'write' }],
  });
  screen = '';
  const back = dc.waitForEvent('stopped', 90000);
  await dc.customRequest('reverseContinue', { threadId: dc.thread });
  await back;
  assert.equal(await where(dc), `bughunt.c:${WRITER}`);
  const until = Date.now() + 5000;
  while (!screen.includes('1 hart running') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  // ECMA-48 erase display, then the console as it was at this point.
  const cleared = screen.lastIndexOf('\x1b[2J');
  assert.ok(cleared >= 0, `the terminal is cleared: ${JSON.stringify(screen.slice(0, 200))}`);
  const now = screen.slice(cleared);
  assert.match(now, /\[kernel\] 1 hart running/);
  assert.doesNotMatch(now, /accounts opened|child \d+ did/, 'nothing bughunt printed after this point');

  // Forwards from here: one instruction on (the store), the damage done.
  const stepped = dc.waitForEvent('stopped', 30000);
  await dc.stepInRequest({ threadId: dc.thread, granularity: 'instruction' });
  await stepped;
  assert.equal(Number(await evaluate(dc, 'ledger[2].balance')), 1000 & ~0xff, 'the store wrote the name\'s 0');
  // And back one instruction: before the store again.
  const insnBack = dc.waitForEvent('stopped', 60000);
  await dc.stepBackRequest({ threadId: dc.thread, granularity: 'instruction' });
  await insnBack;
  assert.equal(Number(await evaluate(dc, 'ledger[2].balance')), 1000);
  assert.equal(await where(dc), `bughunt.c:${WRITER}`);
  // Continue to the end of the recording: the symptom's breakpoint first.
  await dc.customRequest('setDataBreakpoints', { breakpoints: [] });
  const again = dc.waitForEvent('stopped', 60000);
  await dc.continueRequest({ threadId: dc.thread });
  await again;
  assert.equal(await where(dc), `bughunt.c:${SYMPTOM}`);
  // The end of the recording is a stop: where the OS powers off, init's
  // power-off system call below it; one instruction back from it, and
  // forwards to it again; then the OS powers off and the replay ends.
  const last = dc.waitForEvent('stopped', 60000);
  await dc.continueRequest({ threadId: dc.thread });
  assert.equal((await last).body.text, 'the OS powers off here: the end of the recording');
  const frames = (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames;
  assert.match(frames[0].name, /^sbi_shutdown /, frames.map((f) => f.name).join(' | '));
  assert.ok(frames.some((f) => f.source?.path === src('kernel/sysproc.c')), 'the system call that powers off, below it');
  assert.match(output.join(''), /the end of the recording: the OS powers off here \(sbi_shutdown\)/);
  const backOne = dc.waitForEvent('stopped', 60000);
  await dc.stepBackRequest({ threadId: dc.thread, granularity: 'instruction' });
  await backOne;
  assert.doesNotMatch((await top(dc)).name, /^sbi_shutdown /, 'one instruction before the power-off function');
  await toTheEnd(dc);
  assert.match(output.join(''), /the end of the recording: the OS powered off there/);
});

test('going back where nothing was recorded is refused with the reason; a replay refuses input and writes', async (t) => {
  // A live session that does not record.
  const { dc } = await startSession(t, { bootArgs: 'run=hello' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line: lineOf('user/hello.c', 'int pid = getpid();') }] });
  });
  await dc.waitForEvent('stopped', 60000);
  await assert.rejects(dc.stepBackRequest({ threadId: dc.thread }), /going back needs a recording of the run: launch with "record": true/);
  await assert.rejects(dc.customRequest('reverseContinue', { threadId: dc.thread }), /needs a recording/);

  const dir = await recording(t);
  const r = await startSession(t, { replay: dir, stopOnEntry: true });
  await r.dc.waitForEvent('stopped', 30000);
  await assert.rejects(r.dc.customRequest('consoleInput', { text: 'x\n' }), /this is a replay/);
  // GDB may not write registers or memory there (an expression's assignment).
  await assert.rejects(r.dc.evaluateRequest({ expression: 'print $a0 = 1', context: 'repl' }), /not allowed/i);
  await assert.rejects(r.dc.customRequest('setVariable', { variablesReference: 1, name: 'x', value: '1' }), /part from the recording/);
  await assert.rejects(r.dc.stepBackRequest({ threadId: r.dc.thread }), /the start of the recording/);
});

test('a replay checks its recording: a folder that is not one, and a changed program, are refused with what to do', async (t) => {
  const dir = await recording(t);
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  await dc.initializeRequest();
  await assert.rejects(dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, replay: path.join(ROOT, 'docs') }),
    /launch: replay: .*recording/);
  // The same recording against a profile whose bughunt is another ELF.
  const tmp = fs.mkdtempSync(path.join(BUILD, 'tt-profile-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  fs.cpSync(path.join(BUILD, 'user'), path.join(tmp, 'user'), { recursive: true, filter: (f) => !f.endsWith('.o') && !f.endsWith('.d') });
  fs.copyFileSync(path.join(BUILD, 'user', 'hello'), path.join(tmp, 'user', 'bughunt'));
  const prof = JSON.parse(fs.readFileSync(PROFILE, 'utf8'));
  prof.root = ROOT;
  prof.userPrograms.dir = path.join(tmp, 'user');
  fs.writeFileSync(path.join(tmp, 'profile.json'), JSON.stringify(prof));
  await assert.rejects(dc.launchRequest({ type: 'osdbg', request: 'launch', profile: path.join(tmp, 'profile.json'), replay: dir }),
    /bughunt.*(rebuild|record again)/);
});

test('xv6\'s trait, a disk the profile gives QEMU: recorded behind blkreplay on an overlay, replayed, the image itself untouched; a changed image is refused', async (t) => {
  // xv6-riscv's profile: -drive file=fs.img,if=none,format=raw,id=x0 and a
  // virtio-blk device naming it.  Our kernel leaves the disk alone; QEMU's
  // snapshot and log must still cover it, or the replay cannot start.
  const tmp = fs.mkdtempSync(path.join(BUILD, 'tt-disk-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const disk = path.join(tmp, 'fs.img');
  fs.writeFileSync(disk, Buffer.alloc(1 << 20, 0x5a));
  const prof = JSON.parse(fs.readFileSync(PROFILE, 'utf8'));
  prof.root = ROOT;
  prof.qemu.args.push('-drive', `file=${disk},if=none,format=raw,id=x0`,
    '-device', 'virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0');
  const profile = path.join(tmp, 'profile.json');
  fs.writeFileSync(profile, JSON.stringify(prof));
  const hello = lineOf('user/hello.c', 'int pid = getpid();');
  const setup = async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') }, breakpoints: [{ line: hello }] });
  };
  const rec = await startSession(t, { profile, record: true, bootArgs: 'run=hello' }, setup);
  await rec.dc.waitForEvent('stopped', 60000);
  const dir = /osdbg: recording to (\S+) /.exec(rec.output.join(''))?.[1];
  await toTheEnd(rec.dc);
  assert.ok(fs.existsSync(path.join(dir, 'disk-x0.qcow2')), 'the disk\'s overlay is in the recording');

  const { dc } = await startSession(t, { profile, replay: dir }, setup);
  await dc.waitForEvent('stopped', 60000);
  assert.equal(await where(dc), `hello.c:${hello}`);
  const back = dc.waitForEvent('stopped', 60000);
  await dc.stepBackRequest({ threadId: dc.thread, granularity: 'instruction' });
  await back;
  const fwd = dc.waitForEvent('stopped', 60000);
  await dc.continueRequest({ threadId: dc.thread });
  await fwd;
  assert.equal(await where(dc), `hello.c:${hello}`);
  assert.ok(fs.readFileSync(disk).equals(Buffer.alloc(1 << 20, 0x5a)), 'the profile\'s image is only read');
  // The overlay reads the image for every block the run did not write: a
  // rebuilt image (one byte here) would replay another run, so it is refused.
  const changed = Buffer.alloc(1 << 20, 0x5a);
  changed[4096] = 0;
  fs.writeFileSync(disk, changed);
  const again = new DebugClient(OSDBG, 'dap', 'osdbg');
  await again.start();
  t.after(() => again.stop().catch(() => {}));
  await again.initializeRequest();
  await assert.rejects(again.launchRequest({ type: 'osdbg', request: 'launch', profile, replay: dir }),
    /disk image .*fs\.img changed since the recording.*record again/);
});

// The Rust kernel's run is long (its system calls cost 15 times the C
// kernel's): each move back replays about 120 million instructions, over a
// minute on a loaded 2-core machine.
nodeTest('the Rust kernel, whose processes have no name (known by exec hooks): Step Back in a live recorded session, then forwards', { timeout: 400000 }, async (t) => {
  const rprofile = path.join(ROOT, 'profiles', 'rust-kernel.json');
  const rfib = 'rkernel/user/src/bin/rfib.rs';
  const body = lineOf(rfib, 'let next = self.prev + self.cur;');
  const head = lineOf(rfib, 'fn step(&mut self) -> Parity {');
  const { dc } = await startSession(t, { profile: rprofile, record: true, bootArgs: 'run=rfib' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src(rfib) }, breakpoints: [{ line: body }] });
  });
  const first = await dc.waitForEvent('stopped', 180000);
  assert.match(first.body.description, /^rfib\/\d+, U mode/);
  assert.equal(await where(dc), `rfib.rs:${body}`);
  // Back from the body's first line: the function's own line (its prologue).
  const back = dc.waitForEvent('stopped', 180000);
  await dc.stepBackRequest({ threadId: dc.thread });
  const s = await back;
  assert.equal(s.body.reason, 'step');
  assert.match(s.body.description, /^rfib\/\d+, U mode/, 'the process is known in the replay');
  assert.equal(await where(dc), `rfib.rs:${head}`);
  // No breakpoint before the first call: back to the start of the recording.
  const start = dc.waitForEvent('stopped', 180000);
  await dc.customRequest('reverseContinue', { threadId: dc.thread });
  assert.equal((await start).body.text, 'the start of the recording');
  const fwd = dc.waitForEvent('stopped', 180000);
  await dc.continueRequest({ threadId: dc.thread });
  await fwd;
  assert.equal(await where(dc), `rfib.rs:${body}`);
});

test('restart in a recorded session: the recording so far is finished, a new one is made', async (t) => {
  const { dc, output, dir } = await recordToSymptom(t);
  const again = dc.waitForEvent('stopped', 60000);
  await dc.customRequest('restart', {});
  await again;
  assert.equal(await where(dc), `bughunt.c:${SYMPTOM}`);
  const text = output.join('');
  assert.match(text, new RegExp(`osdbg: recorded to ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')};`));
  const second = [...text.matchAll(/osdbg: recording to (\S+)/g)].map((m) => m[1]);
  assert.equal(second.length, 2, text);
  assert.notEqual(second[1], dir, 'a new folder');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'recording.json'), 'utf8'));
  assert.equal(meta.status, 'complete', 'the first recording ends properly (SIGTERM)');
});
