// eBPF logpoint lines faster than an editor shows them (issue 21, "the host
// side keeps up"): the adapter sends them in batches, many lines to an
// output event, and says so once; no line is dropped.  Driven by a real DAP
// client against the real kernel: a logpoint in sys_getpid while
// `sysbench N` makes N getpid calls as fast as the kernel goes (thousands a
// second, past the adapter's 1,000 lines a second), with a second logpoint
// on the call in sysbench itself (a uprobe): the two are hit in turn, and
// each must still be one output event per batch, not one per line.  A
// console trace (`trace kprobe sys_getpid`, typed in the Debug Console)
// on the same function goes the same way.
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { followStops } from './harts.mjs';
import { ROOT, BUILD } from '../kernel/qemu.mjs';
import { src } from './source.mjs';

const test = (name, fn) => nodeTest(name, { timeout: 120000 }, fn);
const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
const CALLS = 6000;
const MESSAGE = 'getpid by sysbench';
const NOTICE = /logpoint lines come faster than (\d+) a second.*sent together every (\d+) ms.*None is dropped/;

/* The line of the first `text` after the first `after` in a source file. */
function lineOf(rel, text, after) {
  const lines = fs.readFileSync(src(rel), 'utf8').split('\n');
  const from = lines.findIndex((l) => l.includes(after));
  const i = lines.findIndex((l, k) => k >= from && l.includes(text));
  assert.ok(from >= 0 && i >= 0, `${text} in ${rel}`);
  return i + 1;
}

async function until(pred, ms) {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return pred();
}

test('logpoint lines past the editor\'s pace come in batches with one notice, none dropped', async (t) => {
  const line = lineOf('kernel/sysproc.c', 'return', 'long sys_getpid');
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  dc.defaultTimeout = 30000;
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  const output = [];
  dc.on('output', (e) => output.push({ t: Date.now(), ...e.body }));
  const text = () => output.map((o) => o.output).join('');
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, bootArgs: '', stopOnEntry: false });
  await initialized;
  await dc.setBreakpointsRequest({ source: { path: src('kernel/sysproc.c') },
    breakpoints: [{ line, logMessage: MESSAGE, condition: 'comm == "sysbench"' }] });
  const userLine = lineOf('user/sysbench.c', 'pid = getpid();', 'long start = uptime_ms();');
  await dc.setBreakpointsRequest({ source: { path: src('user/sysbench.c') }, breakpoints: [{ line: userLine, logMessage: 'call {i}' }] });
  await dc.configurationDoneRequest();
  assert.ok(await until(() => text().includes('$ '), 30000), `no shell prompt:\n${text()}`);
  const k = await dc.evaluateRequest({ expression: 'trace kprobe sys_getpid', context: 'repl' });
  const kid = k.body.result.match(/^probe (\d+) attached/)[1];
  const seen = output.length;
  await dc.customRequest('consoleInput', { text: `sysbench ${CALLS}\n` });
  const done = new RegExp(`sysbench: ${CALLS} getpid\\(\\) calls \\(pid \\d+\\) in (\\d+) ms`);
  assert.ok(await until(() => done.test(text()), 90000), `sysbench did not finish:\n${text().slice(-2000)}`);

  // Every call is a line or is counted as lost: wait for the last batch.
  const logEvents = () => output.slice(seen).filter((o) => o.line === line);
  const lines = () => logEvents().reduce((n, o) => n + o.output.split('\n').filter((l) => l === MESSAGE).length, 0);
  const lost = () => (text().match(/\[trace\] \d+ events lost/g) ?? []).reduce((n, l) => n + Number(l.match(/\d+/)[0]), 0);
  // The user logpoint's lines: call 0 .. call N-1, each once, in order.
  const userEvents = () => output.slice(seen).filter((o) => o.line === userLine);
  const calls = () => userEvents().flatMap((o) => o.output.split('\n').filter((l) => /^call \d+$/.test(l)).map((l) => Number(l.slice(5))));
  // The console trace's lines (other processes' getpid calls, if any, are
  // lines too, but not sysbench's).
  // (a batch may begin with the newline that ends a console line the OS left open)
  const traceEvents = () => output.slice(seen).filter((o) => !o.line && o.output.replace(/^\n/, '').startsWith(`[trace ${kid}] `));
  const traced = () => traceEvents().reduce((n, o) => n + o.output.split('\n').filter((l) => l.startsWith(`[trace ${kid}] sysbench/`)).length, 0);
  await until(() => lines() + calls().length + traced() + lost() >= 3 * CALLS, 10000);
  await new Promise((r) => setTimeout(r, 500)); // nothing more may come
  const ms = Number(text().match(done)[1]);
  t.diagnostic(`${CALLS} calls in ${ms} ms in the guest: ${lines()} kernel lines in ${logEvents().length} output events,` +
    ` ${calls().length} user lines in ${userEvents().length}, ${traced()} trace lines in ${traceEvents().length}, ${lost()} lost`);
  // One sequence for all events: a loss may fall on any of them.
  assert.equal(lines() + calls().length + traced() + lost(), 3 * CALLS, 'every hit of each logpoint and the trace is a line or counted as lost');
  assert.ok(lines() > 0 && calls().length > 0 && traced() > 0, 'lines arrived from all three');
  assert.doesNotMatch(text(), /[^\n]\[trace \d+\]/, 'a trace line starts a line');
  const got = calls();
  assert.ok(got.every((c, k) => k === 0 || c > got[k - 1]), 'the user lines come in order, none twice');
  if (lost() === 0) assert.deepEqual(got, [...Array(CALLS).keys()], 'call 0 .. call N-1');

  // Said once, before the batches, in the console.
  const notices = output.filter((o) => NOTICE.test(o.output));
  assert.equal(notices.length, 1, `one notice of batching:\n${text().slice(0, 3000)}`);
  const [, perSecond, batchMs] = notices[0].output.match(NOTICE).map(Number);
  // Batched: from the notice on, at most one output event per batch period
  // (a batch also goes out early when it reaches 60,000 bytes), not one
  // per read of the channel.
  const after = output.slice(output.indexOf(notices[0]));
  for (const [what, events] of [['kernel', after.filter((o) => o.line === line)], ['user', after.filter((o) => o.line === userLine)],
    ['console trace', after.filter((o) => !o.line && o.output.replace(/^\n/, '').startsWith(`[trace ${kid}] `))]]) {
    const afterNotice = events;
    const span = afterNotice.length ? afterNotice.at(-1).t - notices[0].t : 0;
    const bytes = afterNotice.reduce((n, o) => n + o.output.length, 0);
    const periods = Math.ceil(span / batchMs) + 1 + Math.ceil(bytes / 60000);
    assert.ok(afterNotice.length <= periods,
      `${what} logpoint: ${afterNotice.length} output events after the notice over ${span} ms (${periods} batch periods of ${batchMs} ms)`);
    assert.ok(afterNotice.some((o) => o.output.split('\n').length > 10), `${what} logpoint: a batch holds many lines`);
  }
  assert.ok(lines() > perSecond, `the run was past the pace (${lines()} lines)`);
});
