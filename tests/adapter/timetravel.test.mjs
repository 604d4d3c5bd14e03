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

const test = (name, fn) => nodeTest(name, { timeout: 120000 }, fn);

const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
const src = (rel) => path.join(ROOT, rel);
const lineOf = (rel, text, after = 0) => {
  const i = fs.readFileSync(src(rel), 'utf8').split('\n').findIndex((l, n) => n >= after && l.includes(text));
  assert.ok(i >= 0, `${text} in ${rel}`);
  return i + 1;
};
const BUGHUNT = 'user/bughunt.c';
const SYMPTOM = lineOf(BUGHUNT, '/* the symptom */');
const WRITER = lineOf(BUGHUNT, '/* writes dst[n] too */');
const OPEN_INIT = lineOf(BUGHUNT, 'ledger[i].balance = INITIAL;');
const LOOP = lineOf(BUGHUNT, 'for (int i = 0; i <= n; i++) {');

async function startSession(t, launchArgs, setup = async () => {}) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  dc.defaultTimeout = 30000;
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

const top = async (dc) => (await dc.stackTraceRequest({ threadId: dc.thread, levels: 1 })).body.stackFrames[0];
const where = async (dc) => {
  const f = await top(dc);
  return `${path.basename(f.source?.path ?? '?')}:${f.line}`;
};
const evaluate = async (dc, expression) => {
  const f = await top(dc);
  return (await dc.evaluateRequest({ expression, frameId: f.id, context: 'watch' })).body.result;
};

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
  await rec.dc.continueRequest({ threadId: rec.dc.thread });
  await rec.dc.waitForEvent('terminated', 60000);
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
