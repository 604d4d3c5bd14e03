// Benchmarks of `osdbg dap` (issue 3, "Benchmarks") against the real QEMU
// and GDB, driven the way an editor drives it: through the DAP client of
// @vscode/debugadapter-testsupport (installed in tests/node_modules).
//
//   node bench/adapter/adapter.bench.mjs      (or: make bench-adapter)
//
// Figures, all measured in this one run:
//   1. launch -> first stop: spawn the adapter, launch run=hello with a
//      kernel breakpoint in sys_write, until the `stopped` event; median.
//   2. step latency: `next` in matrix.c's work() plus the stackTrace,
//      scopes and variables(Locals) an editor sends after every stop; p50/p95.
//   3. GDB stops per 1000 system calls while breakpoints of `hello` are set
//      and only `sysbench` (1000 getpid calls) runs, next to the same run
//      without breakpoints (osdbg/stats: filteredHits + internalStops).
//   4. adapter peak RSS (VmHWM) at the end of the step benchmark.
//   5. logpoints (issue 6): the same getpid loop (sysbench N, typed at the
//      shell) with a logpoint in the kernel's sys_getpid run as eBPF, then as
//      GDB stop-print-resume (launch key ebpfLogpoints: false), and without
//      one: hits per second in the guest of each and their ratio; and the
//      latency from Enter typed (consoleInput) to the output event of a
//      logpoint on the shell's next prompt write (an upper bound of hit ->
//      output event: it includes the shell waking up).
// The summary is printed and written to build/bench/adapter.json.
// Line numbers are found in the sources by their text, never hard-coded.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, BUILD } from '../../tests/kernel/qemu.mjs';

const { DebugClient } = createRequire(path.join(ROOT, 'tests', 'package.json'))('@vscode/debugadapter-testsupport');

const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
const OUT = path.join(BUILD, 'bench', 'adapter.json');
const LAUNCH_RUNS = Number(process.env.BENCH_LAUNCH_RUNS ?? 5);
const STEPS = Number(process.env.BENCH_STEPS ?? 50);
const SYSCALLS = 1000; // sysbench's default count (run= passes no arguments)
const DEADLINE_MS = 300000; // the whole run stays under ~5 minutes
const RUN_TIMEOUT_MS = 40000; // one sysbench session

const src = (rel) => path.join(ROOT, rel);
const now = () => Number(process.hrtime.bigint()) / 1e6;

/* The first line containing `text` after the first line containing `after`. */
function lineOf(rel, text, after = null) {
  const lines = fs.readFileSync(src(rel), 'utf8').split('\n');
  const from = after === null ? 0 : lines.findIndex((l) => l.includes(after));
  const i = lines.findIndex((l, k) => k >= from && l.includes(text));
  if (from < 0 || i < 0) throw new Error(`no line with '${text}' in ${rel}`);
  return i + 1;
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const median = (xs) => percentile(xs, 50);

// ---- sessions: every adapter (and the QEMU and GDB it starts) is stopped ----

const live = new Set();

/* A process's start time (clock ticks since boot): with the pid it names
 * one process, so a pid reused later is never killed. */
function startTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), start: f[19] };
  } catch {
    return null;
  }
}

/* The adapter and its children (QEMU, GDB), each as {pid, start}. */
function sessionProcesses(pid) {
  const procs = [{ pid, start: startTime(pid)?.start }];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = startTime(d);
    if (st?.ppid === pid) procs.push({ pid: Number(d), start: st.start });
  }
  return procs;
}

const withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, rej) =>
  setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms).unref())]);

/* Disconnect (the adapter stops its QEMU and GDB), then make sure: kill by
 * pid whatever of them is still there. */
async function stopSession(dc) {
  const pid = dc._adapterProcess?.pid;
  const procs = pid ? sessionProcesses(pid) : [];
  await withTimeout(dc.stop(), 5000, 'disconnect').catch(() => dc.stopAdapter());
  await new Promise((r) => setTimeout(r, 100));
  for (const p of procs) {
    if (p.start && startTime(p.pid)?.start === p.start) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  live.delete(dc);
}

async function startSession(bootArgs, setup = async () => {}) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  dc.defaultTimeout = 30000;
  const t0 = now();
  await dc.start();
  live.add(dc);
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, bootArgs, stopOnEntry: false });
  await initialized;
  await setup(dc);
  await dc.configurationDoneRequest();
  return { dc, t0 };
}

/* The next stop; the OS running to its end instead fails at once. */
function nextStop(dc, what, ms = 30000) {
  return new Promise((resolve, reject) => {
    dc.waitForEvent('stopped', ms).then(resolve, reject);
    dc.waitForEvent('terminated', ms).then(() => reject(new Error(`${what}: the OS ran to its end without stopping`)), () => {});
  });
}

// ---- 1. launch -> first stop -----------------------------------------------

async function benchLaunch() {
  const line = lineOf('kernel/sysfile.c', 'argfd(0, 0)', 'long sys_write');
  const times = [];
  for (let i = 0; i < LAUNCH_RUNS; i++) {
    const { dc, t0 } = await startSession('run=hello', async (dc) => {
      const r = await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') }, breakpoints: [{ line }] });
      if (!r.body.breakpoints[0].verified) throw new Error('sys_write breakpoint not verified');
    });
    try {
      const stop = await nextStop(dc, 'sys_write breakpoint');
      times.push(now() - t0);
      if (!/^hello\/\d+, S mode$/.test(stop.body.description))
        throw new Error(`unexpected first stop: ${stop.body.description}`);
    } finally {
      await stopSession(dc);
    }
  }
  return { runs: times.map((t) => +t.toFixed(1)), medianMs: +median(times).toFixed(1) };
}

// ---- 2 and 4. step latency and adapter RSS ---------------------------------

function procStatus(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))[1]);
  return { vmHWMkB: kb('VmHWM'), vmRSSkB: kb('VmRSS') };
}

async function benchStep() {
  const line = lineOf('user/matrix.c', 'long acc = 0;');
  const { dc } = await startSession('run=matrix', async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('user/matrix.c') }, breakpoints: [{ line }] });
  });
  try {
    let stop = await nextStop(dc, 'breakpoint in matrix.c work()');
    // The first hit: clear the breakpoint so that `next` is a plain step.
    await dc.setBreakpointsRequest({ source: { path: src('user/matrix.c') }, breakpoints: [] });
    const total = [], stepOnly = [], lines = new Set();
    let locals = 0;
    for (let i = 0; i < STEPS; i++) {
      const t0 = now();
      const stopped = dc.waitForEvent('stopped', 20000);
      await dc.nextRequest({ threadId: 1 });
      stop = await stopped;
      const t1 = now();
      const st = await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 });
      const frame = st.body.stackFrames[0];
      const scopes = await dc.scopesRequest({ frameId: frame.id });
      const scope = scopes.body.scopes.find((s) => s.name === 'Locals') ?? scopes.body.scopes[0];
      const vars = await dc.variablesRequest({ variablesReference: scope.variablesReference });
      const t2 = now();
      if (stop.body.reason !== 'step') throw new Error(`step ${i}: stopped for ${stop.body.reason}`);
      if (frame.source?.name !== 'matrix.c') throw new Error(`step ${i}: left matrix.c (${frame.name})`);
      lines.add(frame.line);
      locals = vars.body.variables.length;
      stepOnly.push(t1 - t0);
      total.push(t2 - t0);
    }
    const rss = procStatus(dc._adapterProcess.pid);
    return {
      steps: STEPS,
      p50Ms: +percentile(total, 50).toFixed(2),
      p95Ms: +percentile(total, 95).toFixed(2),
      nextOnlyP50Ms: +percentile(stepOnly, 50).toFixed(2),
      nextOnlyP95Ms: +percentile(stepOnly, 95).toFixed(2),
      linesVisited: [...lines].sort((a, b) => a - b),
      localsShown: locals,
      ...rss,
    };
  } finally {
    await stopSession(dc);
  }
}

// ---- 3. GDB stops while another program's breakpoints are set ---------------

/* Where an address of hello falls in sysbench: "function+0xoff". */
function sysbenchSymbolizer() {
  const syms = execFileSync('riscv64-unknown-elf-nm', ['-n', path.join(BUILD, 'user', 'sysbench')], { encoding: 'utf8' })
    .split('\n').map((l) => l.split(' ')).filter((f) => f.length === 3 && /[tT]/.test(f[1]))
    .map(([a, , name]) => ({ addr: parseInt(a, 16), name }));
  return (addr) => {
    let best = null;
    for (const s of syms) if (s.addr <= addr) best = s;
    return best ? `${best.name}+0x${(addr - best.addr).toString(16)}` : '?';
  };
}

// hello's main, line by line, and hello's library code (shared sources, but
// these breakpoints name hello, so they belong to hello only).
const HELLO_LINES = ['int pid = getpid();', 'printf("Hello, world!', 'for (int i = 1; i < argc; i++)',
  'printf("hello: argument', 'return 0;'];
const HELLO_LIB_FUNCS = ['printf', 'write', 'getpid'];
// Every system call stub of hello: sysbench runs its own stubs at hello's
// addresses (both link the same library after a main of different size).
const HELLO_ALL_STUBS = ['read', 'write', 'open', 'close', 'fstat', 'fork', 'exec', 'wait', 'getpid', 'getppid',
  'kill', 'yield', 'sleep_ms', 'uptime_ms', 'sbrk'];

async function sysbenchRun(label, lines, funcs) {
  const armed = [];
  const where = sysbenchSymbolizer();
  const output = [];
  const { dc } = await startSession('run=sysbench', async (dc) => {
    if (lines.length) {
      const r = await dc.setBreakpointsRequest({ source: { path: src('user/hello.c') },
        breakpoints: lines.map((text) => ({ line: lineOf('user/hello.c', text) })) });
      for (const b of r.body.breakpoints) armed.push({ bp: `hello.c:${b.line}`, addr: b.instructionReference, verified: b.verified });
    }
    if (funcs.length) {
      const r = await dc.setFunctionBreakpointsRequest({ breakpoints: funcs.map((f) => ({ name: `hello!${f}` })) });
      r.body.breakpoints.forEach((b, k) => armed.push({ bp: `hello!${funcs[k]}`, addr: b.instructionReference, verified: b.verified }));
    }
  });
  dc.on('output', (e) => output.push(e.body.output));
  let userStops = 0;
  dc.on('stopped', () => { userStops++; dc.continueRequest({ threadId: 1 }).catch(() => {}); });
  const breakpoints = armed.map((a) => ({ ...a, inSysbench: a.addr ? where(parseInt(a.addr, 16)) : null }));
  try {
    const tConf = now();
    const ended = await dc.waitForEvent('terminated', RUN_TIMEOUT_MS).then(() => true, () => false);
    const runMs = now() - tConf;
    const stats = (await dc.customRequest('osdbg/stats', {})).body;
    const gdbStops = stats.filteredHits + stats.internalStops;
    const done = output.join('').match(/sysbench: (\d+) getpid\(\) calls .* in (\d+) ms/);
    const result = { label, breakpoints, ...stats, gdbStops, userStopsSeen: userStops, runMs: +runMs.toFixed(0) };
    if (!ended || !done) {
      // A hang is a finding, not a reason to lose the other figures: say
      // where the OS is (pause, then the stop's description) and go on.
      const stopped = dc.waitForEvent('stopped', 5000).catch(() => null);
      await dc.pauseRequest({ threadId: 1 }).catch(() => {});
      const stop = await stopped;
      return { ...result, hung: true, hungAt: stop?.body.description ?? 'no stop after pause',
        stopsPer1000Syscalls: null, consoleTail: output.join('').slice(-200) };
    }
    return { ...result, syscalls: Number(done[1]),
      stopsPer1000Syscalls: +((gdbStops * 1000) / Number(done[1])).toFixed(1), sysbenchMs: Number(done[2]) };
  } finally {
    await stopSession(dc);
  }
}

function printFalseHits(h) {
  const per = h.hung ? `HUNG (${h.hungAt})` : `${h.stopsPer1000Syscalls} GDB stops / 1000 syscalls, sysbench ${h.sysbenchMs} ms in the guest`;
  console.log(`   ${h.label}: filteredHits ${h.filteredHits}, internalStops ${h.internalStops}, userStops ${h.userStops}; ${per}; session ${h.runMs} ms`);
  for (const b of h.breakpoints)
    console.log(`      ${b.bp.padEnd(16)} ${String(b.addr).padEnd(8)} ${b.verified ? 'verified  ' : 'unverified'}  (sysbench: ${b.inSysbench})`);
}

async function benchFalseHits() {
  const runs = [
    ['no breakpoints', [], []],
    ['hello.c lines + hello!printf/write/getpid', HELLO_LINES, HELLO_LIB_FUNCS],
    ['the same + all of hello\'s syscall stubs', HELLO_LINES, [...new Set([...HELLO_LIB_FUNCS, ...HELLO_ALL_STUBS])]],
  ];
  const results = [];
  for (const [label, lines, funcs] of runs) {
    const r = await measure(label, () => sysbenchRun(label, lines, funcs));
    results.push(r);
    if (!r.error) printFalseHits(r);
  }
  return results;
}

// ---- 5. eBPF logpoints vs GDB logpoints ---------------------------------------

const EBPF_CALLS = Number(process.env.BENCH_EBPF_CALLS ?? 5000);
const GDB_CALLS = Number(process.env.BENCH_GDB_CALLS ?? 300);
const LOGPOINT_RUNS = 3;
const LATENCY_KEYS = 20;

async function shellSession(launchExtra, setup) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  dc.defaultTimeout = 30000;
  await dc.start();
  live.add(dc);
  const output = [];
  dc.on('output', (e) => output.push({ t: now(), ...e.body }));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, bootArgs: '', stopOnEntry: false, ...launchExtra });
  await initialized;
  await setup(dc);
  await dc.configurationDoneRequest();
  const text = () => output.map((o) => o.output).join('');
  const deadline = now() + 20000;
  while (!text().includes('$ ') && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (!text().includes('$ ')) throw new Error('no shell prompt');
  return { dc, output, text };
}

/* sysbench n at the shell, RUNS times, with a logpoint in sys_getpid (or
 * none); the median of the guest's own timing of the loop. */
async function logpointRun(kind, n) {
  const line = lineOf('kernel/sysproc.c', 'return', 'long sys_getpid');
  let stops = 0;
  const { dc, output, text } = await shellSession(kind === 'gdb' ? { ebpfLogpoints: false } : {}, async (dc) => {
    dc.on('stopped', () => { stops++; });
    if (kind !== 'none')
      await dc.setBreakpointsRequest({ source: { path: src('kernel/sysproc.c') }, breakpoints: [{ line, logMessage: 'getpid hit' }] });
  });
  try {
    const t0 = now();
    const guest = [];
    for (let run = 0; run < LOGPOINT_RUNS; run++) {
      const seen = text().length;
      await dc.customRequest('consoleInput', { text: `sysbench ${n}\n` });
      const re = /sysbench: (\d+) getpid\(\) calls \(pid \d+\) in (\d+) ms/;
      const deadline = now() + 120000;
      while (!re.test(text().slice(seen)) && now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const m = text().slice(seen).match(re);
      if (!m) throw new Error(`${kind}: sysbench did not finish`);
      guest.push(Number(m[2]));
    }
    await new Promise((r) => setTimeout(r, 500)); // the last events drain
    const hostMs = now() - t0;
    // Lines of one logpoint that arrive together share an output event.
    const lines = output.filter((o) => o.line === line).map((o) => o.output.split('\n').filter((l) => l === 'getpid hit').length)
      .reduce((a, b) => a + b, 0);
    const lostText = text().match(/\[trace\] \d+ events lost/g) ?? [];
    const lost = lostText.reduce((a, l) => a + Number(l.match(/\d+/)[0]), 0);
    const guestMs = median(guest);
    return { kind, calls: n, runs: LOGPOINT_RUNS, guestMsEach: guest, guestMs, hostMs: +hostMs.toFixed(0),
      linesPrinted: lines, lost, stops, hitsPerSecond: guestMs ? Math.round((n * 1000) / guestMs) : null };
  } finally {
    await stopSession(dc);
  }
}

/* Enter typed -> the shell's next prompt, a write that a logpoint with a
 * condition (comm == "sh") in sys_write reports: the time from the key to
 * the output event, which includes the shell waking up and writing. */
async function logpointLatency() {
  const line = lineOf('kernel/sysfile.c', 'return file_write(f, argraw(1), (long)argraw(2));');
  const { dc, output } = await shellSession({}, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') },
      breakpoints: [{ line, logMessage: 'prompt by {comm}', condition: 'comm == "sh"' }] });
  });
  try {
    const lat = [];
    for (let i = 0; i < LATENCY_KEYS; i++) {
      const seen = output.length;
      const t0 = now();
      await dc.customRequest('consoleInput', { text: '\n' });
      const deadline = t0 + 5000;
      let hit;
      while (!(hit = output.slice(seen).find((o) => o.line === line && o.output.includes('prompt by sh\n'))) && now() < deadline)
        await new Promise((r) => setImmediate(r));
      if (!hit) throw new Error('no logpoint output for the prompt');
      lat.push(hit.t - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { keys: LATENCY_KEYS, p50Ms: +percentile(lat, 50).toFixed(2), p95Ms: +percentile(lat, 95).toFixed(2),
      maxMs: +Math.max(...lat).toFixed(2) };
  } finally {
    await stopSession(dc);
  }
}

async function benchLogpoints() {
  // The bare loop before and after the others (the machine's speed drifts);
  // the faster of the two is the baseline, which can only make the cost
  // per hit look larger.
  const none1 = await logpointRun('none', EBPF_CALLS);
  const ebpf = await logpointRun('ebpf', EBPF_CALLS);
  const gdb = await logpointRun('gdb', GDB_CALLS);
  const none2 = await logpointRun('none', EBPF_CALLS);
  const none = none1.guestMs <= none2.guestMs ? none1 : none2;
  for (const r of [none1, ebpf, gdb, none2])
    console.log(`   ${r.kind.padEnd(5)} ${r.runs} x ${r.calls} getpid, median ${r.guestMs} ms in the guest (${r.guestMsEach.join(', ')})` +
      ` -> ${r.hitsPerSecond ?? '>' + r.calls * 1000} calls/s; ${r.linesPrinted} lines printed, ${r.lost} lost, ${r.stops} stops; ${r.hostMs} ms on the host`);
  const ratio = ebpf.hitsPerSecond && gdb.hitsPerSecond ? +(ebpf.hitsPerSecond / gdb.hitsPerSecond).toFixed(0) : null;
  // What one hit costs the OS on top of the loop's own system call.
  const perCall = (r) => (r.guestMs * 1000) / r.calls;
  const ebpfUs = +(perCall(ebpf) - perCall(none)).toFixed(1), gdbUs = +(perCall(gdb) - perCall(none)).toFixed(1);
  const overheadRatio = ebpfUs > 0 ? +(gdbUs / ebpfUs).toFixed(0) : null;
  console.log(`   eBPF / GDB logpoint hits per second: ${ratio}x; cost per hit over the bare call: eBPF ${ebpfUs} us,` +
    ` GDB ${gdbUs} us (${overheadRatio}x)`);
  const latency = await measure('logpoint latency', logpointLatency);
  if (!latency.error)
    console.log(`   Enter typed -> the shell's prompt write reported by a logpoint: p50 ${latency.p50Ms} ms, p95 ${latency.p95Ms} ms, max ${latency.maxMs} ms (${latency.keys} keys)`);
  return { none, none1, none2, ebpf, gdb, ratio, ebpfUsPerHit: ebpfUs, gdbUsPerHit: gdbUs, overheadRatio, latency };
}

// ---- the run ----------------------------------------------------------------

/* The adapter measured: the commit, and whether adapter/ or profiles/ had
 * local changes (the build is of the working tree). */
function adapterVersion() {
  try {
    const git = (...a) => execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'adapter', 'profiles') !== '';
    return `${git('log', '-1', '--format=%h')}${dirty ? ' + uncommitted adapter/profiles changes' : ''}`;
  } catch {
    return process.env.OSDBG_ADAPTER_REV ?? 'not a git checkout';
  }
}

function machine() {
  const ver = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0]; } catch { return '?'; } };
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model.trim(),
    cores: os.cpus().length,
    qemu: ver('qemu-system-riscv64', ['--version']),
    gdb: ver('gdb-multiarch', ['--version']),
    node: process.version,
    adapter: adapterVersion(),
  };
}

function printTable(rows) {
  const w = [0, 0, 0];
  for (const r of rows) r.forEach((c, i) => { w[i] = Math.max(w[i], String(c).length); });
  for (const r of rows) console.log(`  ${String(r[0]).padEnd(w[0])}  ${String(r[1]).padStart(w[1])}  ${String(r[2]).padEnd(w[2])}`);
}

/* One figure's measurement: a failure is reported and recorded, and the
 * other figures are still measured. */
const failures = [];
async function measure(what, fn) {
  try {
    return await fn();
  } catch (e) {
    console.log(`   FAILED: ${e.message.split('\n')[0]}`);
    failures.push(`${what}: ${e.message.split('\n')[0]}`);
    return { error: e.message.split('\n')[0] };
  }
}

const mb = (kB) => `${(kB / 1024).toFixed(1)} MB`;
const or = (x, f) => (x === undefined || x.error ? 'failed' : f(x));

async function main() {
  if (!fs.existsSync(OSDBG)) throw new Error(`${OSDBG} is not built (make build-all)`);
  const started = now();
  const m = machine();
  console.log(`osdbg dap benchmarks, ${m.date}, ${m.cores} cores (${m.cpu}), ${m.qemu}, ${m.gdb}; adapter ${m.adapter}`);

  console.log(`\n1. launch -> first stop (kernel breakpoint in sys_write, run=hello), ${LAUNCH_RUNS} runs`);
  const launch = await measure('launch', benchLaunch);
  if (!launch.error) console.log(`   ${launch.runs.join(' ')} ms; median ${launch.medianMs} ms`);

  console.log(`\n2. step: next + stackTrace + scopes + variables(Locals) in matrix.c work(), ${STEPS} steps`);
  const step = await measure('step', benchStep);
  if (!step.error)
    console.log(`   p50 ${step.p50Ms} ms, p95 ${step.p95Ms} ms (next -> stopped alone: p50 ${step.nextOnlyP50Ms},` +
      ` p95 ${step.nextOnlyP95Ms}); lines ${step.linesVisited.join(',')}, ${step.localsShown} locals`);

  console.log(`\n3. GDB stops while breakpoints of hello are set and run=sysbench (${SYSCALLS} getpid calls) runs`);
  const hits = await benchFalseHits();

  console.log('\n4. adapter peak RSS at the end of the step benchmark');
  if (!step.error) console.log(`   VmHWM ${mb(step.vmHWMkB)} (VmRSS ${mb(step.vmRSSkB)})`);

  console.log(`\n5. a logpoint in sys_getpid: eBPF (sysbench ${EBPF_CALLS}) vs GDB stop-print-resume (sysbench ${GDB_CALLS})`);
  const logpoints = await measure('logpoints', benchLogpoints);

  // (filteredHits + internalStops) per 1000 syscalls, and what they were:
  // filtered hits scale with the syscalls, exec/exit stops with the processes.
  const perK = (h) => or(h, (x) => (x.hung ? `hung after ${x.filteredHits} filtered + ${x.internalStops} exec/exit/fork`
    : `${x.stopsPer1000Syscalls} (${x.filteredHits} filtered + ${x.internalStops} exec/exit/fork)`));
  const summary = [
    ['figure', 'measured', 'target'],
    ['launch -> first stop, median', or(launch, (x) => `${x.medianMs} ms`), ''],
    ['step + stackTrace/scopes/Locals, p50', or(step, (x) => `${x.p50Ms} ms`), ''],
    ['step + stackTrace/scopes/Locals, p95', or(step, (x) => `${x.p95Ms} ms`), ''],
    ['GDB stops/1000 syscalls, no breakpoints', perK(hits[0]), '0'],
    ['GDB stops/1000 syscalls, hello.c + hello!printf/write/getpid', perK(hits[1]), '0'],
    ['GDB stops/1000 syscalls, + all hello syscall stubs', perK(hits[2]), '0'],
    ['adapter VmHWM', or(step, (x) => mb(x.vmHWMkB)), '<= 15 MB'],
    ['eBPF / GDB logpoint hits per second', or(logpoints, (x) => `${x.ratio}x (${x.ebpf.hitsPerSecond} vs ${x.gdb.hitsPerSecond}/s)`), '>= 100x'],
    ['GDB / eBPF logpoint cost per hit', or(logpoints, (x) => `${x.overheadRatio}x (${x.gdbUsPerHit} vs ${x.ebpfUsPerHit} us)`), ''],
    ['logpoint hit -> DAP output event, p50', or(logpoints, (x) => or(x.latency, (l) => `${l.p50Ms} ms`)), ''],
  ];
  console.log('\nsummary');
  printTable(summary);

  const result = { machine: m, launch, step, falseHits: hits, logpoints, failures, wallMs: +(now() - started).toFixed(0) };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten to ${path.relative(ROOT, OUT)} (${(result.wallMs / 1000).toFixed(0)} s)`);
  for (const h of hits) if (h.hung) failures.push(`${h.label}: hung`);
  if (failures.length) {
    console.error(`adapter benchmark: not every figure was measured:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

const deadline = setTimeout(async () => {
  console.error(`adapter benchmark: over ${DEADLINE_MS / 1000} s, giving up`);
  await Promise.all([...live].map(stopSession));
  process.exit(1);
}, DEADLINE_MS);

try {
  await main();
} catch (e) {
  console.error(`adapter benchmark failed: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await Promise.all([...live].map(stopSession));
  clearTimeout(deadline);
}
