// The host's side of the event path at full speed (issue 21, "the host side
// keeps up"): how many events a second the adapter takes from the side
// channel, decodes, formats and hands on, with no kernel to limit the rate.
//
//   node bench/adapter/hostpath.bench.mjs      (or: make bench-hostpath)
//
// 1. `osdbg trace`: a fake side-stub (fakestub.c, frames made by the
//    side-stub library) streams COUNT register events of a kprobe on
//    sys_getpid to `osdbg trace`, once as fast as the socket takes them and
//    once offered at 100,000/s; the lines osdbg trace prints are counted.
// 2. `osdbg dap`: a real debug session (DAP client of
//    @vscode/debugadapter-testsupport, real QEMU, GDB and kernel) with an
//    eBPF logpoint in sys_getpid; the kernel's debug channel goes through
//    sideproxy.c, which follows the logpoint's first hit (`sysbench 1` at
//    the shell) with COUNT copies of it, at the same two rates.  The
//    logpoint's lines in output events are counted at the client.
// Each run prints produced, delivered and lost (they must add up: a run
// whose sum is off is a FAILED line), the delivered rate, and how many
// output events carried the lines.  Written to build/bench/hostpath.json.
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, BUILD } from '../../tests/kernel/qemu.mjs';

const { DebugClient } = createRequire(path.join(ROOT, 'tests', 'package.json'))('@vscode/debugadapter-testsupport');

// BENCH_HOST_OSDBG: another osdbg (an older commit's, built aside) on the same sources.
const OSDBG = process.env.BENCH_HOST_OSDBG || path.join(BUILD, 'bin', 'osdbg');
const FAKESTUB = path.join(BUILD, 'bench', 'fakestub');
const SIDEPROXY = path.join(BUILD, 'bench', 'sideproxy');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
const OUT = path.join(BUILD, 'bench', 'hostpath.json');
const COUNT = Number(process.env.BENCH_HOST_EVENTS ?? 100000);
const RATES = [0, 100000]; // 0: as fast as the host reads
const ONLY = process.env.BENCH_HOST_ONLY ?? ''; // 'trace' or 'dap': that part alone
const failures = [];

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rateName = (r) => (r ? `offered ${r.toLocaleString('en')}/s` : 'as fast as read');

function check(what, r) {
  const sum = r.delivered + r.lost;
  r.addsUp = sum === r.produced;
  console.log(`   ${what}, ${rateName(r.offered)}: produced ${r.produced}, delivered ${r.delivered}, lost ${r.lost}` +
    ` (${r.addsUp ? 'adds up' : `ADDS UP TO ${sum}`}); ${r.rate.toLocaleString('en')} events/s delivered` +
    (r.outputEvents !== undefined ? ` in ${r.outputEvents} output events` : '') +
    (r.sent ? `, the stub sent ${r.sent.toLocaleString('en')}/s` : ''));
  if (!r.addsUp) failures.push(`${what} ${rateName(r.offered)}: produced ${r.produced} != delivered ${r.delivered} + lost ${r.lost}`);
  return r;
}

// ---- 1. osdbg trace -------------------------------------------------------------

async function traceRun(rate) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-hostpath-'));
  const sock = path.join(dir, 'side.sock');
  try {
    const stub = spawn(FAKESTUB, [sock, String(COUNT), String(rate)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stubErr = '';
    stub.stderr.on('data', (d) => { stubErr += d; });
    const stubDone = new Promise((r) => stub.on('exit', r));
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await sleep(10);
    const t0 = now();
    // Lines go to a file, as to a terminal that keeps up: the count is
    // taken after, so that counting takes no CPU from osdbg meanwhile.
    const outFile = path.join(dir, 'trace.out');
    const out = fs.openSync(outFile, 'w');
    let err = '';
    const tr = spawn(OSDBG, ['trace', '--socket', sock, '--profile', PROFILE, '--duration', String(Math.max(3, COUNT / 20000)), 'kprobe', 'sys_getpid'],
      { stdio: ['ignore', out, 'pipe'] });
    fs.closeSync(out);
    tr.stderr.on('data', (d) => { err += d; });
    await new Promise((r) => tr.on('exit', r));
    stub.kill('SIGTERM');
    await stubDone;
    const m = err.match(/osdbg trace: (\d+) events, (\d+) lost/);
    if (!m) throw new Error(`osdbg trace said: ${err.trim().split('\n').pop()}`);
    const sent = JSON.parse(stubErr.trim().split('\n').find((l) => l.startsWith('{')) ?? '{}');
    // The lines' own timestamps (the events' times, from the stub's clock)
    // are the send times; the delivered rate is the stub's: it can send
    // only as fast as osdbg reads (a blocking socket), so it is osdbg's.
    const lines = fs.readFileSync(outFile, 'utf8').split('\n').filter((l) => l.endsWith(' probe 1')).length;
    const ms = sent.ms ?? 0;
    return check('osdbg trace', { offered: rate, produced: COUNT, delivered: lines, lost: Number(m[2]), received: Number(m[1]),
      ms: +ms.toFixed(0), rate: sent.rate ?? 0, wallMs: +(now() - t0).toFixed(0) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- 2. osdbg dap ---------------------------------------------------------------

function lineOf(rel, text, after) {
  const lines = fs.readFileSync(path.join(ROOT, rel), 'utf8').split('\n');
  const from = lines.findIndex((l) => l.includes(after));
  return lines.findIndex((l, k) => k >= from && l.includes(text)) + 1;
}

/* The reference profile with sideproxy as its QEMU. */
function proxyProfile(dir) {
  const p = JSON.parse(fs.readFileSync(PROFILE, 'utf8'));
  p.root = path.resolve(path.dirname(PROFILE), p.root);
  p.qemu.binary = SIDEPROXY;
  const file = path.join(dir, 'proxy.json');
  fs.writeFileSync(file, JSON.stringify(p));
  return file;
}

async function dapRun(rate) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-hostpath-'));
  const report = path.join(dir, 'proxy.report');
  const env = { ...process.env, SIDEPROXY_COUNT: String(COUNT), SIDEPROXY_RATE: String(rate), SIDEPROXY_REPORT: report,
    ...(process.env.BENCH_HOST_PROXY_LOG ? { SIDEPROXY_LOG: `${process.env.BENCH_HOST_PROXY_LOG}.${rate}` } : {}) };
  const line = lineOf('kernel/sysproc.c', 'return', 'long sys_getpid');
  const message = 'getpid by {comm}/{pid}';
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg', { env });
  dc.defaultTimeout = 30000;
  await dc.start();
  const output = [];
  dc.on('output', (e) => output.push({ t: now(), ...e.body }));
  dc.on('stopped', () => dc.continueRequest({ threadId: 1 }).catch(() => {}));
  const text = () => output.map((o) => o.output).join('');
  try {
    const initialized = dc.waitForEvent('initialized');
    await dc.initializeRequest();
    await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: proxyProfile(dir), bootArgs: '', stopOnEntry: false });
    await initialized;
    await dc.setBreakpointsRequest({ source: { path: path.join(ROOT, 'kernel/sysproc.c') },
      breakpoints: [{ line, logMessage: message, condition: 'comm == "sysbench"' }] });
    await dc.configurationDoneRequest();
    for (let end = now() + 30000; !text().includes('$ ') && now() < end;) await sleep(20);
    if (!text().includes('$ ')) throw new Error('no shell prompt');
    const seen = output.length;
    await dc.customRequest('consoleInput', { text: 'sysbench 1\n' });
    const mine = () => output.slice(seen).filter((o) => o.line === line);
    const count = () => mine().reduce((n, o) => n + o.output.split('\n').filter((l) => /^getpid by sysbench\/\d+$/.test(l)).length, 0);
    const lost = () => (text().match(/\[trace\] \d+ events lost/g) ?? []).reduce((n, l) => n + Number(l.match(/\d+/)[0]), 0);
    const produced = COUNT + 1; // the kernel's hit and its copies
    for (let end = now() + 60000 + COUNT / 10; count() + lost() < produced && now() < end;) await sleep(20);
    await sleep(500); // nothing more may come
    const ev = mine();
    const delivered = count();
    const ms = ev.length > 1 ? ev.at(-1).t - ev[0].t : 0;
    const proxy = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : {};
    const notice = /logpoint lines come faster than/.test(text());
    if (delivered + lost() !== produced)
      console.log(`      proxy: ${JSON.stringify(proxy)}; the session said: ${JSON.stringify(output.filter((o) => o.category !== 'stdout' && !o.line).map((o) => o.output).join('').slice(-1500))}`);
    const r = check('osdbg dap', { offered: rate, produced, delivered, lost: lost(), outputEvents: ev.length, notice,
      ms: +ms.toFixed(0), rate: ms > 0 ? Math.round((delivered * 1000) / ms) : 0, sent: proxy.rate });
    console.log(`      the batching notice ${notice ? 'was given once' : 'was NOT given'}`);
    return r;
  } finally {
    await Promise.race([dc.stop().catch(() => {}), sleep(5000)]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(what, fn) {
  try {
    return await fn();
  } catch (e) {
    console.log(`   ${what}: FAILED: ${e.message.split('\n')[0]}`);
    failures.push(`${what}: ${e.message.split('\n')[0]}`);
    return { error: e.message.split('\n')[0] };
  }
}

const started = now();
console.log(`host path: ${COUNT.toLocaleString('en')} events through parse -> format -> output (issue 21)`);
console.log(' 1. osdbg trace, from a fake side-stub (bench/adapter/fakestub.c)');
const trace = [];
for (const r of ONLY === 'dap' ? [] : RATES) trace.push(await measure(`osdbg trace ${rateName(r)}`, () => traceRun(r)));
console.log(' 2. osdbg dap, an eBPF logpoint in sys_getpid, its first hit followed by copies (bench/adapter/sideproxy.c)');
const dap = [];
for (const r of ONLY === 'trace' ? [] : RATES) dap.push(await measure(`osdbg dap ${rateName(r)}`, () => dapRun(r)));
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify({ count: COUNT, trace, dap, failures, wallMs: +(now() - started).toFixed(0) }, null, 2));
console.log(`   written to ${path.relative(ROOT, OUT)} (${((now() - started) / 1000).toFixed(0)} s)`);
if (failures.length) {
  console.log(`FAILED: ${failures.join('; ')}`);
  process.exitCode = 1;
}
