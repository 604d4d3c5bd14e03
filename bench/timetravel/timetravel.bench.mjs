// make bench-timetravel: what going backwards costs in a replay (issue 20).
// A run=hello,sysbench,sysbench,hello recording (each sysbench makes 1000
// getpid calls): hello's main runs twice, a little over a million
// instructions apart.  In the replay, stopped at hello's second run:
//   reverseContinue  back to the first run (the last breakpoint before);
//   continue         forwards over the same stretch again;
//   stepBack line    from the second run's first line (to its call);
//   stepBack insn    one instruction back.
// Each ROUNDS times (default 3), medians, and the instruction counts (QEMU's,
// osdbg/stats instructionCount) that say how far each went.  Figures, not a
// test: it fails only when a stop is not where it must be.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT, BUILD } from '../../tests/kernel/qemu.mjs';

// A real DAP client (installed in tests/node_modules).
const { DebugClient } = createRequire(path.join(ROOT, 'tests', 'package.json'))('@vscode/debugadapter-testsupport');

const ROUNDS = Number(process.env.BENCH_TIMETRAVEL_RUNS ?? 3);
const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
const HELLO = path.join(ROOT, 'user', 'hello.c');
const HELLO_LINE = fs.readFileSync(HELLO, 'utf8').split('\n').findIndex((l) => l.includes('int pid = getpid();')) + 1;

async function session(args, lines) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  dc.defaultTimeout = 120000;
  await dc.start();
  dc.out = [];
  dc.on('output', (e) => dc.out.push(e.body.output));
  await dc.initializeRequest();
  const init = dc.waitForEvent('initialized');
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, ...args });
  await init;
  await dc.setBreakpointsRequest({ source: { path: HELLO }, breakpoints: lines.map((line) => ({ line })) });
  await dc.configurationDoneRequest();
  return dc;
}
const count = async (dc) => (await dc.customRequest('osdbg/stats', {})).body.instructionCount;
const line = async (dc) => (await dc.stackTraceRequest({ threadId: 1, levels: 1 })).body.stackFrames[0].line;
async function timed(dc, what, fn) {
  const stopped = dc.waitForEvent('stopped', 120000);
  const t0 = process.hrtime.bigint();
  await fn();
  await stopped;
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The recording: a "record" session run to the OS's power-off (a stop
// there, the profile's powerOff; continued, the OS powers off).
const rec = await session({ record: true, bootArgs: 'run=hello,sysbench,sysbench,hello' }, []);
await rec.waitForEvent('stopped', 120000);
const ended = rec.waitForEvent('terminated', 120000);
await rec.continueRequest({ threadId: 1 });
await ended;
const dir = /osdbg: recording to (\S+) /.exec(rec.out.join(''))?.[1];
await rec.stop();
assert.ok(dir, 'the recording\'s folder');

const dc = await session({ replay: dir }, [HELLO_LINE]);
await dc.waitForEvent('stopped', 120000);
const first = await count(dc);
await timed(dc, 'continue', () => dc.continueRequest({ threadId: 1 }));
const second = await count(dc);
assert.equal(await line(dc), HELLO_LINE);
const t = { reverseContinue: [], continue: [], stepBackLine: [], stepBackInsn: [] };
let back = 0;
for (let r = 0; r < ROUNDS; r++) {
  t.reverseContinue.push(await timed(dc, 'reverseContinue', () => dc.customRequest('reverseContinue', { threadId: 1 })));
  back = await count(dc);
  assert.equal(back, first, 'reverseContinue lands on the first run of hello');
  t.continue.push(await timed(dc, 'continue', () => dc.continueRequest({ threadId: 1 })));
  assert.equal(await count(dc), second);
  t.stepBackLine.push(await timed(dc, 'stepBack', () => dc.stepBackRequest({ threadId: 1 })));
  // Back at the call of main: forwards to the breakpoint again.
  await timed(dc, 'continue', () => dc.continueRequest({ threadId: 1 }));
  assert.equal(await count(dc), second);
  t.stepBackInsn.push(await timed(dc, 'stepBack', () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' })));
  assert.equal(await count(dc), second - 1);
  await timed(dc, 'continue', () => dc.continueRequest({ threadId: 1 }));
}
await dc.stop();
fs.rmSync(dir, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
const out = {
  recording: 'run=hello,sysbench,sysbench,hello',
  firstStop: first, secondStop: second, distance: second - first, rounds: ROUNDS,
  ms: m, ratioReverseToForward: m.reverseContinue / m.continue,
};
fs.mkdirSync(path.join(BUILD, 'bench'), { recursive: true });
fs.writeFileSync(path.join(BUILD, 'bench', 'timetravel.json'), JSON.stringify({ ...out, all: t }, null, 1));
console.log(`bench-timetravel: replay of ${out.recording}; hello's main at instruction ${first} and ${second} (${second - first} apart)`);
console.log(`  reverseContinue back over them   ${m.reverseContinue.toFixed(0)} ms`);
console.log(`  continue forwards over them      ${m.continue.toFixed(0)} ms   (reverse / forward: ${out.ratioReverseToForward.toFixed(1)}x)`);
console.log(`  stepBack, line (to main's call)  ${m.stepBackLine.toFixed(0)} ms`);
console.log(`  stepBack, one instruction        ${m.stepBackInsn.toFixed(0)} ms`);
console.log(`  (medians of ${ROUNDS}; each backwards move replays ${second} instructions from the start)`);
