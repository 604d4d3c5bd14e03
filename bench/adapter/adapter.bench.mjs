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
//   6. the two reference kernels side by side: figures 1 and 2 of the C
//      kernel (profiles/osdbg-kernel.json) are measured together with the
//      same on the Rust kernel (profiles/rust-kernel.json, rkernel.elf):
//      launch run=hello with a function breakpoint on
//      os::syscall::fs::sys_write, and `next` (+ the editor's requests) in
//      the loop of rfib.rs's fib() from a breakpoint on its
//      `if let Parity::Odd(v) = f.step()` line, run=rfib. fib(10) gives
//      about 30 steps in the loop: a step that leaves it is not counted and
//      the session is restarted. The launch runs alternate C, Rust, C, Rust
//      (a base run before each C run), the steps likewise, so the machine's
//      drift falls on both; a table `figure | C kernel | Rust kernel`, kept
//      under `kernels` in the JSON.
// The summary is printed and written to build/bench/adapter.json.
// Line numbers are found in the sources by their text, never hard-coded.
//
// BENCH_ADAPTER_BASE=<commit> (make: ADAPTER_BASE, default in adapter.mk)
// also builds that commit's osdbg into a temporary folder and measures it in
// the same run against the current one: figures 1, 2 and 4, the runs of the
// two alternating (base, current, base, current, ...; the two step sessions
// are open together and take turns step by step), so the machine's drift
// falls on both. Both adapters use this tree's kernel, profile and programs:
// only the adapter differs. A commit that is not here, a build that fails or
// a base adapter that cannot launch is reported in one line, and the figures
// of the current adapter are measured as without a base.
import { createRequire } from 'node:module';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, BUILD } from '../../tests/kernel/qemu.mjs';

const { DebugClient } = createRequire(path.join(ROOT, 'tests', 'package.json'))('@vscode/debugadapter-testsupport');

const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');
const RUST_PROFILE = path.join(ROOT, 'profiles', 'rust-kernel.json');
const RKERNEL_ELF = path.join(BUILD, 'rkernel', 'rkernel.elf');
const RFIB = 'rkernel/user/src/bin/rfib.rs';
const OUT = path.join(BUILD, 'bench', 'adapter.json');
const LAUNCH_RUNS = Number(process.env.BENCH_LAUNCH_RUNS ?? 5);
const STEPS = Number(process.env.BENCH_STEPS ?? 50);
const SYSCALLS = 1000; // sysbench's default count (run= passes no arguments)
const DEADLINE_MS = 300000; // the whole run stays under ~5 minutes
const BASE_REF = (process.env.BENCH_ADAPTER_BASE ?? '').trim();
const BASE_BUILD_TIMEOUT_MS = 180000;
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

/* The lines of the block opened on the first line containing `text` after
 * `after`: [that line, the line of its closing brace]. */
function blockOf(rel, text, after) {
  const lines = fs.readFileSync(src(rel), 'utf8').split('\n');
  const start = lineOf(rel, text, after);
  let depth = 0;
  for (let k = start - 1; k < lines.length; k++) {
    for (const ch of lines[k]) {
      if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) return [start, k + 1];
    }
  }
  throw new Error(`no end of the block '${text}' in ${rel}`);
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

/* An adapter that exits during the launch (an older one that cannot start,
 * say) fails the session at once: no write to its closed stdin crashes the
 * benchmark, no request waits for its timeout. */
function exitedEarly(dc, osdbg) {
  const proc = dc._adapterProcess;
  proc.stdin.on('error', () => {});
  const p = new Promise((_, reject) => proc.once('exit', (code, signal) =>
    reject(new Error(`${osdbg} exited during the launch (${signal ?? `status ${code}`})`))));
  p.catch(() => {});
  return p;
}

async function startSession(bootArgs, setup = async () => {}, osdbg = OSDBG, profile = PROFILE) {
  const dc = new DebugClient(osdbg, 'dap', 'osdbg');
  dc.defaultTimeout = 30000;
  const t0 = now();
  await dc.start();
  live.add(dc);
  try {
    await Promise.race([exitedEarly(dc, osdbg), (async () => {
      const initialized = dc.waitForEvent('initialized');
      await dc.initializeRequest();
      await dc.launchRequest({ type: 'osdbg', request: 'launch', profile, bootArgs, stopOnEntry: false });
      await initialized;
      await setup(dc);
      await dc.configurationDoneRequest();
    })()]);
  } catch (e) {
    await stopSession(dc); // its QEMU does not run on beside the next sessions
    throw e;
  }
  return { dc, t0 };
}

/* The next stop; the OS running to its end instead fails at once. */
function nextStop(dc, what, ms = 30000) {
  return new Promise((resolve, reject) => {
    dc.waitForEvent('stopped', ms).then(resolve, reject);
    dc.waitForEvent('terminated', ms).then(() => reject(new Error(`${what}: the OS ran to its end without stopping`)), () => {});
  });
}

// ---- the two reference kernels (figures 1, 2 and 6) --------------------------

/* What the launch and step benchmarks need to know of each kernel: the
 * breakpoint that ends a launch (hello's first write, in the kernel), and
 * where the steps go. Figures 1 to 5 are the C kernel's. */
const KERNELS = {
  c: {
    name: 'C kernel',
    profile: PROFILE,
    launchBreakpoint: 'source breakpoint in sys_write, kernel/sysfile.c',
    // The line is found before the clock starts; the setup sets it.
    launchSetup() {
      const line = lineOf('kernel/sysfile.c', 'argfd(0, 0)', 'long sys_write');
      return async (dc) => {
        const r = await dc.setBreakpointsRequest({ source: { path: src('kernel/sysfile.c') }, breakpoints: [{ line }] });
        if (!r.body.breakpoints[0].verified) throw new Error('sys_write breakpoint not verified');
      };
    },
    step: { bootArgs: 'run=matrix', file: 'user/matrix.c', text: 'long acc = 0;', where: 'breakpoint in matrix.c work()',
      // Every step stays in matrix.c: leaving it is an error.
      inside: (frame) => frame.source?.name === 'matrix.c', restartWhenLeft: false },
  },
  rust: {
    name: 'Rust kernel',
    profile: RUST_PROFILE,
    launchBreakpoint: 'function breakpoint os::syscall::fs::sys_write',
    launchSetup() {
      return async (dc) => {
        const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'os::syscall::fs::sys_write' }] });
        if (!r.body.breakpoints[0].verified) throw new Error('os::syscall::fs::sys_write breakpoint not verified');
      };
    },
    step: { bootArgs: 'run=rfib', file: RFIB, text: 'if let Parity::Odd(v) = f.step()', where: "breakpoint in rfib.rs's fib() loop",
      // The loop of fib(10): about 30 steps, then the session restarts.
      loop: () => blockOf(RFIB, 'for _ in 0..n', 'fn fib('),
      inside(frame) {
        const [from, to] = this.loop();
        return frame.source?.path === src(RFIB) && frame.line >= from && frame.line <= to;
      },
      restartWhenLeft: true },
  },
};

/* Why the Rust kernel cannot be measured, or null. */
function rustUnavailable() {
  return fs.existsSync(RKERNEL_ELF) ? null : `${path.relative(ROOT, RKERNEL_ELF)} is not built (make ${RKERNEL_ELF})`;
}

// ---- 1. launch -> first stop -----------------------------------------------

/* One session of `osdbg` to its first stop: the milliseconds, and what the
 * adapter printed on stderr (a base adapter's words about the profile). */
async function launchOnce(osdbg = OSDBG, kernel = KERNELS.c) {
  const setBreakpoint = kernel.launchSetup();
  const stderr = [];
  const { dc, t0 } = await startSession('run=hello', async (dc) => {
    dc.on('output', (e) => { if (e.body.category === 'stderr') stderr.push(e.body.output.trimEnd()); });
    await setBreakpoint(dc);
  }, osdbg, kernel.profile);
  try {
    const stop = await nextStop(dc, 'sys_write breakpoint');
    const ms = now() - t0;
    if (!/^hello\/\d+, S mode$/.test(stop.body.description))
      throw new Error(`unexpected first stop: ${stop.body.description}`);
    return { ms, stderr };
  } finally {
    await stopSession(dc);
  }
}

const launchFigures = (times) => ({ runs: times.map((t) => +t.toFixed(1)), medianMs: +median(times).toFixed(1) });

/* LAUNCH_RUNS sessions of the current adapter; with a base, each after one
 * of the base (base, current, base, current, ...). A failure of the base
 * ends its runs (recorded in base.error), not the current adapter's. Each
 * current run is followed by one on the Rust kernel (result.rust): C, Rust,
 * C, Rust, ...; a failure of the Rust kernel ends its runs only. */
async function benchLaunch(base = null) {
  const times = [], baseTimes = [], rustTimes = [];
  let baseError = null, rustError = rustUnavailable();
  for (let i = 0; i < LAUNCH_RUNS; i++) {
    if (base && !baseError) {
      try {
        baseTimes.push((await launchOnce(base.osdbg)).ms);
      } catch (e) {
        baseError = e.message.split('\n')[0];
      }
    }
    times.push((await launchOnce()).ms);
    if (!rustError) {
      try {
        rustTimes.push((await launchOnce(OSDBG, KERNELS.rust)).ms);
      } catch (e) {
        rustError = e.message.split('\n')[0];
      }
    }
  }
  const result = launchFigures(times);
  result.rust = rustError ? { error: rustError, runs: rustTimes.map((t) => +t.toFixed(1)) } : launchFigures(rustTimes);
  if (base && baseError) result.base = { error: baseError, runs: baseTimes.map((t) => +t.toFixed(1)) };
  else if (base) {
    // Each current run over the base run just before it: the drift between
    // two neighbouring runs is small, so their ratio is steadier than the
    // ratio of the two medians.
    const paired = times.map((t, i) => t / baseTimes[i]);
    result.base = { ...launchFigures(baseTimes), pairedRatios: paired.map((r) => +r.toFixed(2)),
      pairedRatioMedian: +median(paired).toFixed(2) };
  }
  return result;
}

// ---- 2 and 4. step latency and adapter RSS ---------------------------------

function procStatus(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))[1]);
  return { vmHWMkB: kb('VmHWM'), vmRSSkB: kb('VmRSS') };
}

/* A session of `osdbg` stopped at the kernel's step breakpoint (matrix.c's
 * work() for the C kernel), the breakpoint cleared so that `next` is a
 * plain step. */
async function openStepSession(osdbg = OSDBG, kernel = KERNELS.c) {
  const { file, text, bootArgs, where } = kernel.step;
  const line = lineOf(file, text);
  const { dc } = await startSession(bootArgs, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src(file) }, breakpoints: [{ line }] });
  }, osdbg, kernel.profile);
  try {
    await nextStop(dc, where);
    await dc.setBreakpointsRequest({ source: { path: src(file) }, breakpoints: [] });
  } catch (e) {
    await stopSession(dc);
    throw e;
  }
  return { kernel, dc, total: [], stepOnly: [], lines: new Set(), locals: 0, sessions: 1, stepsInSession: 0, leftLoop: 0 };
}

/* One `next` and what an editor asks after it, kept as a sample; false
 * (not kept) when it left the loop of a kernel whose session restarts then. */
async function stepOnce(s, i) {
  const { dc } = s;
  const t0 = now();
  const stopped = dc.waitForEvent('stopped', 20000);
  await dc.nextRequest({ threadId: 1 });
  const stop = await stopped;
  const t1 = now();
  const st = await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 });
  const frame = st.body.stackFrames[0];
  const scopes = await dc.scopesRequest({ frameId: frame.id });
  const scope = scopes.body.scopes.find((x) => x.name === 'Locals') ?? scopes.body.scopes[0];
  const vars = await dc.variablesRequest({ variablesReference: scope.variablesReference });
  const t2 = now();
  if (stop.body.reason !== 'step') throw new Error(`step ${i}: stopped for ${stop.body.reason}`);
  const step = s.kernel.step;
  if (!step.inside(frame)) {
    if (!step.restartWhenLeft || s.stepsInSession === 0)
      throw new Error(`step ${i}: left ${path.basename(step.file)}${step.loop ? `'s loop` : ''} (${frame.name}, line ${frame.line})`);
    s.leftLoop++;
    return false;
  }
  s.stepsInSession++;
  s.lines.add(frame.line);
  s.locals = vars.body.variables.length;
  s.stepOnly.push(t1 - t0);
  s.total.push(t2 - t0);
  return true;
}

/* One sample of a kernel whose steps leave the loop: when a `next` leaves
 * it, a new session stops at the breakpoint again (not counted). */
async function stepKept(s, i) {
  while (!(await stepOnce(s, i))) {
    const old = s.dc;
    s.dc = null;
    await stopSession(old);
    s.dc = (await openStepSession(OSDBG, s.kernel)).dc;
    s.sessions++;
    s.stepsInSession = 0;
  }
}

function stepFigures(s) {
  const restarts = s.kernel.step.restartWhenLeft
    ? { sessions: s.sessions, stepsLeavingLoop: s.leftLoop, loopLines: s.kernel.step.loop() } : {};
  return {
    steps: s.total.length,
    p50Ms: +percentile(s.total, 50).toFixed(2),
    p95Ms: +percentile(s.total, 95).toFixed(2),
    nextOnlyP50Ms: +percentile(s.stepOnly, 50).toFixed(2),
    nextOnlyP95Ms: +percentile(s.stepOnly, 95).toFixed(2),
    linesVisited: [...s.lines].sort((a, b) => a - b),
    localsShown: s.locals,
    ...restarts,
    ...procStatus(s.dc._adapterProcess.pid),
  };
}

/* STEPS steps of the current adapter; with a base, its session is open too
 * (stopped, its QEMU idle, while the other steps) and the two take turns:
 * base step, current step, ... A failure of the base ends its part only.
 * A session on the Rust kernel takes its turn after each current step
 * (result.rust); a failure there ends its part only. */
async function benchStep(base = null) {
  const cur = await openStepSession();
  let b = null, baseError = null, r = null, rustError = rustUnavailable();
  try {
    if (base) {
      try { b = await openStepSession(base.osdbg); } catch (e) { baseError = e.message.split('\n')[0]; }
    }
    if (!rustError) {
      try { r = await openStepSession(OSDBG, KERNELS.rust); } catch (e) { rustError = e.message.split('\n')[0]; }
    }
    for (let i = 0; i < STEPS; i++) {
      if (b && !baseError) {
        try {
          await stepOnce(b, i);
        } catch (e) {
          baseError = e.message.split('\n')[0];
          await stopSession(b.dc); // a broken base does not run on beside the current steps
          b = null;
        }
      }
      await stepOnce(cur, i);
      if (r && !rustError) {
        try {
          await stepKept(r, i);
        } catch (e) {
          rustError = e.message.split('\n')[0];
          if (r.dc) await stopSession(r.dc);
          r = null;
        }
      }
    }
    const result = stepFigures(cur);
    if (base) result.base = baseError ? { error: baseError } : stepFigures(b);
    result.rust = rustError ? { error: rustError } : stepFigures(r);
    return result;
  } finally {
    await stopSession(cur.dc);
    if (b) await stopSession(b.dc);
    if (r?.dc) await stopSession(r.dc);
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
// The long runs for the sustained rate (LONG_ROUNDS of each): long enough that the kernel's ring
// (and the channel) reach their steady state, so a rate the side-stub
// cannot sustain shows as loss.
const SUSTAINED_CALLS = Number(process.env.BENCH_SUSTAINED_CALLS ?? 50000);
const LONG_ROUNDS = Number(process.env.BENCH_LONG_ROUNDS ?? 2);
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
async function logpointRun(kind, n, runs = LOGPOINT_RUNS) {
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
    for (let run = 0; run < runs; run++) {
      const seen = text().length;
      await dc.customRequest('consoleInput', { text: `sysbench ${n}\n` });
      const re = /sysbench: (\d+) getpid\(\) calls \(pid \d+\) in (\d+) ms/;
      const deadline = now() + 120000;
      while (!re.test(text().slice(seen)) && now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const m = text().slice(seen).match(re);
      if (!m) throw new Error(`${kind}: sysbench did not finish`);
      guest.push(Number(m[2]));
    }
    // Lines of one logpoint that arrive together share an output event.
    const lines = () => output.filter((o) => o.line === line).map((o) => o.output.split('\n').filter((l) => l === 'getpid hit').length)
      .reduce((a, b) => a + b, 0);
    const lost = () => (text().match(/\[trace\] \d+ events lost/g) ?? []).reduce((a, l) => a + Number(l.match(/\d+/)[0]), 0);
    // Every hit is produced (one event each); the last ones drain: wait
    // until each is a line or a counted loss (or 10 s), then a little more.
    const produced = kind === 'none' ? 0 : n * runs;
    for (const end = now() + 10000; lines() + lost() < produced && now() < end;) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const hostMs = now() - t0;
    const guestMs = median(guest);
    const linesPrinted = lines();
    return { kind, calls: n, runs, guestMsEach: guest, guestMs, hostMs: +hostMs.toFixed(0),
      produced, linesPrinted, lost: lost(), addsUp: linesPrinted + lost() === produced, stops,
      hitsPerSecond: guestMs ? Math.round((n * 1000) / guestMs) : null };
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
  // The long runs, bare and with the logpoint: the guest's clock counts
  // whole ticks (10 ms), too coarse for a 5000-call loop to show a hit of
  // a few microseconds; over 50,000 calls a tick is 0.2 us a call.  In
  // turn, LONG_ROUNDS times, the faster of each kind kept: on this shared
  // machine one pair moved the cost per hit by several microseconds.
  const longBare = [], longEbpf = [];
  for (let round = 0; round < LONG_ROUNDS; round++) {
    longBare.push(await logpointRun('none', SUSTAINED_CALLS, 1));
    longEbpf.push(await logpointRun('ebpf', SUSTAINED_CALLS, 1));
  }
  const fastest = (rs) => rs.reduce((a, b) => (b.guestMs < a.guestMs ? b : a));
  const noneLong = fastest(longBare), sustained = fastest(longEbpf);
  const none = none1.guestMs <= none2.guestMs ? none1 : none2;
  for (const r of [none1, ebpf, gdb, none2, ...longBare, ...longEbpf]) {
    console.log(`   ${r.kind.padEnd(5)} ${r.runs} x ${r.calls} getpid, median ${r.guestMs} ms in the guest (${r.guestMsEach.join(', ')})` +
      ` -> ${r.hitsPerSecond ?? '>' + r.calls * 1000} calls/s; ${r.stops} stops; ${r.hostMs} ms on the host`);
    if (r.kind !== 'none') {
      console.log(`         produced ${r.produced}, delivered ${r.linesPrinted}, lost ${r.lost}: ` +
        (r.addsUp ? 'adds up' : `ADDS UP TO ${r.linesPrinted + r.lost}`));
      if (!r.addsUp) failures.push(`logpoint ${r.kind} ${r.runs} x ${r.calls}: produced ${r.produced} != delivered ${r.linesPrinted} + lost ${r.lost}`);
    }
  }
  const ratio = ebpf.hitsPerSecond && gdb.hitsPerSecond ? +(ebpf.hitsPerSecond / gdb.hitsPerSecond).toFixed(0) : null;
  // What one hit costs the OS on top of the loop's own system call.
  const perCall = (r) => (r.guestMs * 1000) / r.calls;
  // eBPF: from the long runs; GDB: its 300 stops dwarf a tick.
  const ebpfUs = +(perCall(sustained) - perCall(noneLong)).toFixed(1), gdbUs = +(perCall(gdb) - perCall(none)).toFixed(1);
  const shortEbpfUs = +(perCall(ebpf) - perCall(none)).toFixed(1);
  const overheadRatio = ebpfUs > 0 ? +(gdbUs / ebpfUs).toFixed(0) : null;
  // Issue 21: the two ratios side by side, from the same runs.
  console.log(`   GDB / eBPF cost per hit over the bare call: ${overheadRatio ?? 'unmeasurable: eBPF within a tick'}x` +
    ` (GDB ${gdbUs} us, eBPF ${ebpfUs} us over ${SUSTAINED_CALLS} calls; ${shortEbpfUs} us over 3 x ${EBPF_CALLS})` +
    ` | eBPF / GDB hits per second: ${ratio}x (${ebpf.hitsPerSecond} vs ${gdb.hitsPerSecond}/s)`);
  // The sustained lossless rate: the long run's rate if it lost nothing
  // (the loop runs as fast as it can, so the true bound is at least that);
  // if it lost, the rate it could not sustain.
  const lossless = longEbpf.every((r) => r.lost === 0 && r.addsUp);
  const sustainedLine = lossless
    ? `>= ${sustained.hitsPerSecond} hits/s (${longEbpf.length} x ${sustained.calls} hits at full speed, none lost)`
    : `below ${sustained.hitsPerSecond} hits/s (${longEbpf.map((r) => r.lost).join(' + ')} of ${longEbpf.length} x ${sustained.calls} lost at full speed)`;
  console.log(`   sustained lossless eBPF logpoint rate: ${sustainedLine}`);
  const latency = await measure('logpoint latency', logpointLatency);
  if (!latency.error)
    console.log(`   Enter typed -> the shell's prompt write reported by a logpoint: p50 ${latency.p50Ms} ms, p95 ${latency.p95Ms} ms, max ${latency.maxMs} ms (${latency.keys} keys)`);
  return { none, none1, none2, noneLong, ebpf, gdb, sustained, longBare, longEbpf, ratio, shortEbpfUsPerHit: shortEbpfUs, ebpfUsPerHit: ebpfUs, gdbUsPerHit: gdbUs, overheadRatio,
    sustainedLossless: lossless ? sustained.hitsPerSecond : null, sustainedLine, latency };
}

// ---- the base adapter: an older commit's osdbg, built aside -----------------

let baseDir = null; // the temporary folder, removed at the end whatever happens

function removeBaseDir() {
  if (!baseDir) return;
  try { fs.rmSync(baseDir, { recursive: true, force: true }); } catch { /* nothing more to do */ }
  baseDir = null;
}

/* The commit BASE_REF's tree in a temporary folder and its osdbg built
 * there (its own Makefile, BUILD inside the folder): {ref, commit, short,
 * osdbg, buildMs}, or {ref, skipped: why}. */
function buildBase() {
  const ref = BASE_REF;
  const git = (args, opts = {}) => execFileSync('git', ['-C', ROOT, ...args],
    { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30, ...opts });
  let commit;
  try {
    if (ref.startsWith('-')) throw new Error();
    commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  } catch {
    return { ref, skipped: `commit '${ref}' is not in this clone (or this is not a git checkout)` };
  }
  const short = commit.slice(0, 7);
  baseDir = fs.mkdtempSync(path.join(os.tmpdir(), `osdbg-bench-base-${short}-`));
  const t0 = now();
  try {
    execFileSync('tar', ['-x', '-C', baseDir], { input: git(['archive', '--format=tar', commit]), stdio: ['pipe', 'ignore', 'pipe'] });
  } catch (e) {
    return { ref, commit, skipped: `git archive ${short} | tar -x failed: ${String(e.stderr ?? e.message).trim().split('\n')[0]}` };
  }
  // The base's own Makefile; nothing of this make (its -j, its variables)
  // reaches it through the environment.
  const env = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'MAKE_TERMOUT', 'MAKE_TERMERR', 'V']) delete env[k];
  const osdbg = path.join(baseDir, 'build', 'bin', 'osdbg');
  const make = spawnSync('make', ['-C', baseDir, `-j${Math.max(1, os.cpus().length)}`, '--no-print-directory',
    `BUILD=${path.join(baseDir, 'build')}`, osdbg], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8',
    timeout: BASE_BUILD_TIMEOUT_MS, maxBuffer: 64 << 20 });
  const buildMs = now() - t0;
  if (make.status !== 0 || !fs.existsSync(osdbg)) {
    const why = make.error ? make.error.message : make.signal ? `killed by ${make.signal}` : `exit status ${make.status}`;
    const errors = (make.stderr ?? '').trimEnd().split('\n').filter(Boolean).slice(-20);
    return { ref, commit, skipped: `the build of ${short}'s osdbg failed (${why})`, buildErrors: errors };
  }
  return { ref, commit, short, osdbg, buildMs: +buildMs.toFixed(0) };
}

/* The base adapter launches with this tree's profile and stops where the
 * current one does (one session, not counted): what it says about the
 * profile (unknown keys are fine) is kept. */
async function checkBase(base) {
  try {
    const { ms, stderr } = await launchOnce(base.osdbg);
    return { ...base, checkLaunchMs: +ms.toFixed(1), profileWarnings: stderr.filter((l) => /profile/.test(l)) };
  } catch (e) {
    return { ref: base.ref, commit: base.commit,
      skipped: `the base osdbg (${base.short}) cannot run with the current profile and kernel: ${e.message.split('\n')[0]}` };
  }
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

/* Columns: the first left-aligned, the last left-aligned when `lastLeft`,
 * the others right-aligned. */
function printTable(rows, lastLeft = true) {
  const w = rows[0].map(() => 0);
  for (const r of rows) r.forEach((c, i) => { w[i] = Math.max(w[i], String(c).length); });
  const cell = (c, i) => (i === 0 || (lastLeft && i === w.length - 1) ? String(c).padEnd(w[i]) : String(c).padStart(w[i]));
  for (const r of rows) console.log(`  ${r.map(cell).join('  ')}`);
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
  if (process.env.BENCH_ADAPTER_ONLY === 'logpoints') { // figure 5 alone (make bench-logpoints)
    console.log(`\n5. a logpoint in sys_getpid: eBPF (sysbench ${EBPF_CALLS}) vs GDB stop-print-resume (sysbench ${GDB_CALLS})`);
    const logpoints = await measure('logpoints', benchLogpoints);
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(path.join(path.dirname(OUT), 'logpoints.json'), JSON.stringify({ machine: m, logpoints, failures }, null, 2));
    if (failures.length) process.exitCode = 1;
    return;
  }

  // The base adapter (BENCH_ADAPTER_BASE), or one line on why there is none.
  let base = null, baseline;
  if (!BASE_REF) {
    baseline = { ref: null, skipped: 'BENCH_ADAPTER_BASE (make: ADAPTER_BASE) is empty' };
    console.log('\nno comparison with an older adapter: ADAPTER_BASE (BENCH_ADAPTER_BASE) is empty');
  } else {
    console.log(`\nbase adapter: building osdbg of ${BASE_REF} in a temporary folder`);
    baseline = buildBase();
    if (!baseline.skipped) baseline = await checkBase(baseline);
    if (baseline.skipped) {
      console.log(`   no comparison with ${BASE_REF}: ${baseline.skipped}; the current adapter is measured alone`);
      for (const l of baseline.buildErrors ?? []) console.log(`      ${l}`);
      removeBaseDir();
    } else {
      base = baseline;
      console.log(`   ${base.short} built in ${(base.buildMs / 1000).toFixed(1)} s; it launches with the current profile` +
        ` (first stop in ${base.checkLaunchMs} ms, not counted)`);
      for (const w of base.profileWarnings) console.log(`   base says: ${w}`);
      console.log('   figures 1, 2 and 4 are measured for both, alternating: base, current, base, current, ...');
    }
  }
  const baseName = base ? `base ${base.short}` : '';
  const splitBase = (r) => {
    if (r.error || !base) return [r, null];
    const { base: b, ...cur } = r;
    return [cur, b];
  };
  // The Rust kernel's part of figures 1 and 2 (figure 6) is taken out
  // first: `launch` and `step` keep the C kernel's figures as before.
  const splitRust = (r, what) => {
    if (r.error) return [r, { error: `not measured: the ${what} benchmark failed` }];
    const { rust, ...rest } = r;
    if (rust.error) failures.push(`Rust kernel ${what}: ${rust.error}`);
    return [rest, rust];
  };
  const curLabel = (kernel) => (base ? `current${kernel === 'Rust' ? ', Rust kernel' : ''}: ` : `${kernel} kernel: `);

  console.log(`\n1. launch -> first stop (kernel breakpoint in sys_write, run=hello), ${LAUNCH_RUNS} runs` +
    (base ? ' of each adapter' : '') + `; and ${LAUNCH_RUNS} of the current adapter on the Rust kernel` +
    ' (function breakpoint os::syscall::fs::sys_write), each after a C kernel run');
  const [launchAll, rustLaunch] = splitRust(await measure('launch', () => benchLaunch(base)), 'launch');
  const [launch, baseLaunch] = splitBase(launchAll);
  const launchLine = (x) => (x.error ? `FAILED: ${x.error}` : `${x.runs.join(' ')} ms; median ${x.medianMs} ms`);
  if (baseLaunch) console.log(`   ${baseName}: ${launchLine(baseLaunch)}`);
  if (!launch.error) console.log(`   ${curLabel('C')}${launchLine(launch)}`);
  if (!launch.error) console.log(`   ${curLabel('Rust')}${launchLine(rustLaunch)}`);

  const [rFrom, rTo] = KERNELS.rust.step.loop();
  console.log(`\n2. step: next + stackTrace + scopes + variables(Locals) in matrix.c work(), ${STEPS} steps` +
    (base ? ' of each adapter, taking turns' : '') + `; and ${STEPS} on the Rust kernel in the loop of rfib.rs's fib()` +
    ` (lines ${rFrom}-${rTo}), taking turns with the current adapter's`);
  const [stepAll, rustStep] = splitRust(await measure('step', () => benchStep(base)), 'step');
  const [step, baseStep] = splitBase(stepAll);
  const stepLine = (x) => (x.error ? `FAILED: ${x.error}` : `p50 ${x.p50Ms} ms, p95 ${x.p95Ms} ms (next -> stopped alone: p50 ${x.nextOnlyP50Ms},` +
    ` p95 ${x.nextOnlyP95Ms}); lines ${x.linesVisited.join(',')}, ${x.localsShown} locals` +
    (x.sessions ? `; ${x.sessions} sessions, ${x.stepsLeavingLoop} ${x.stepsLeavingLoop === 1 ? 'step' : 'steps'} out of the loop not counted` : ''));
  if (baseStep) console.log(`   ${baseName}: ${stepLine(baseStep)}`);
  if (!step.error) console.log(`   ${curLabel('C')}${stepLine(step)}`);
  if (!step.error) console.log(`   ${curLabel('Rust')}${stepLine(rustStep)}`);

  console.log(`\n3. GDB stops while breakpoints of hello are set and run=sysbench (${SYSCALLS} getpid calls) runs`);
  const hits = await benchFalseHits();

  console.log('\n4. adapter peak RSS at the end of the step benchmark');
  const rssLine = (x) => `VmHWM ${mb(x.vmHWMkB)} (VmRSS ${mb(x.vmRSSkB)})`;
  if (baseStep && !baseStep.error) console.log(`   ${baseName}: ${rssLine(baseStep)}`);
  if (!step.error) console.log(`   ${base ? 'current: ' : ''}${rssLine(step)}`);

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
    ['GDB / eBPF logpoint cost per hit', or(logpoints, (x) => `${x.overheadRatio}x (${x.gdbUsPerHit} vs ${x.ebpfUsPerHit} us)`), '>= 100x'],
    ['sustained lossless eBPF logpoint rate', or(logpoints, (x) => x.sustainedLine), ''],
    ['logpoint hit -> DAP output event, p50', or(logpoints, (x) => or(x.latency, (l) => `${l.p50Ms} ms`)), ''],
  ];
  console.log('\nsummary');
  printTable(summary);

  // 6. The two reference kernels, measured together in figures 1 and 2.
  const kernelFigure = (figure, key, unit) => {
    const get = (x) => (x && !x.error && typeof x[key] === 'number' ? x[key] : null);
    const isLaunch = key === 'medianMs';
    return { figure, c: get(isLaunch ? launch : step), rust: get(isLaunch ? rustLaunch : rustStep), unit };
  };
  const kernelTable = [
    kernelFigure('launch -> first stop, median', 'medianMs', 'ms'),
    kernelFigure('step + stackTrace/scopes/Locals, p50', 'p50Ms', 'ms'),
    kernelFigure('step + stackTrace/scopes/Locals, p95', 'p95Ms', 'ms'),
    kernelFigure('next -> stopped alone, p50', 'nextOnlyP50Ms', 'ms'),
    kernelFigure('steps measured', 'steps', ''),
    kernelFigure('adapter VmHWM (end of its step session)', 'vmHWMkB', 'kB'),
  ];
  const kfmt = (v, unit) => (v === null ? 'failed' : unit === 'kB' ? mb(v) : unit ? `${v} ${unit}` : String(v));
  console.log('\n6. the two reference kernels (current adapter), measured alternately in this run: C, Rust, C, Rust, ...');
  printTable([['figure', 'C kernel', 'Rust kernel'], ...kernelTable.map((f) => [f.figure, kfmt(f.c, f.unit), kfmt(f.rust, f.unit)])], false);
  console.log(`   launch: run=hello to the kernel's write of hello (C: ${KERNELS.c.launchBreakpoint};` +
    ` Rust: ${KERNELS.rust.launchBreakpoint}); steps: matrix.c work() (run=matrix) and rfib.rs fib()'s loop (run=rfib)`);
  const rel = (p) => path.relative(ROOT, p);
  const kernels = {
    order: 'alternating: each launch run of the current adapter on the C kernel is followed by one on the Rust kernel' +
      ' (a base adapter run, if any, before each C run); the step sessions take turns step by step (base, C, Rust)',
    c: { profile: rel(PROFILE), launchBreakpoint: KERNELS.c.launchBreakpoint, launch, step },
    rust: { profile: rel(RUST_PROFILE), kernel: rel(RKERNEL_ELF), launchBreakpoint: KERNELS.rust.launchBreakpoint,
      stepLoop: `${RFIB}:${rFrom}-${rTo}`, launch: rustLaunch, step: rustStep },
    table: kernelTable,
  };

  if (base) {
    // The base's figures beside the current's, measured in this run.
    const figure = (name, b, c, unit, fmt) => {
      const ok = (x) => typeof x === 'number' && Number.isFinite(x);
      return { figure: name, base: ok(b) ? b : null, current: ok(c) ? c : null, unit,
        ratio: ok(b) && ok(c) && b > 0 ? +(c / b).toFixed(2) : null, fmt };
    };
    const val = (r, k) => (r && !r.error ? r[k] : undefined);
    const figures = [
      figure('launch -> first stop, median', val(baseLaunch, 'medianMs'), val(launch, 'medianMs'), 'ms', (x) => `${x} ms`),
      { figure: 'launch -> first stop, median of current/base per pair', base: null, current: null, unit: '',
        ratio: val(baseLaunch, 'pairedRatioMedian') ?? null, fmt: () => '' },
      figure('step + stackTrace/scopes/Locals, p50', val(baseStep, 'p50Ms'), val(step, 'p50Ms'), 'ms', (x) => `${x} ms`),
      figure('step + stackTrace/scopes/Locals, p95', val(baseStep, 'p95Ms'), val(step, 'p95Ms'), 'ms', (x) => `${x} ms`),
      figure('adapter VmHWM', val(baseStep, 'vmHWMkB'), val(step, 'vmHWMkB'), 'kB', mb),
    ];
    console.log(`\nthe current adapter against ${base.short}${base.commit.startsWith(base.ref) ? '' : ` (${base.ref})`}, measured alternately in this run`);
    printTable([['figure', baseName, 'current', 'current/base'],
      ...figures.map((f) => [f.figure, f.base === null ? (f.unit ? 'failed' : '') : f.fmt(f.base),
        f.current === null ? (f.unit ? 'failed' : '') : f.fmt(f.current), f.ratio === null ? '' : f.ratio.toFixed(2)])], false);
    const { osdbg, ...kept } = base;
    baseline = { ...kept, order: 'alternating: base then current, for each launch run and each step',
      launch: baseLaunch, step: baseStep, comparison: figures.map(({ fmt, ...f }) => f) };
  }

  const result = { machine: m, launch, step, falseHits: hits, logpoints, kernels, baseline, failures, wallMs: +(now() - started).toFixed(0) };
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

// The base adapter's folder goes whatever ends the run: the end, an error,
// the deadline (process.exit), Ctrl-C or a kill (its sessions are killed by
// pid first: the base adapter runs from that folder).
process.on('exit', removeBaseDir);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    for (const dc of live) {
      const pid = dc._adapterProcess?.pid;
      for (const p of pid ? sessionProcesses(pid) : []) {
        if (p.start && startTime(p.pid)?.start === p.start) {
          try { process.kill(p.pid, 'SIGKILL'); } catch { /* already gone */ }
        }
      }
    }
    process.exit(128 + os.constants.signals[sig]);
  });
}

try {
  await main();
} catch (e) {
  console.error(`adapter benchmark failed: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await Promise.all([...live].map(stopSession));
  clearTimeout(deadline);
  removeBaseDir();
}
// Nothing is left to wait for but the test client's timers of events that
// never came (a `terminated` after a stop): do not sit them out.
process.exit();
