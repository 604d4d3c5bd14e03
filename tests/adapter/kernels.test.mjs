// The same debugging scenarios on both reference kernels: the C kernel
// (kernel/, profiles/osdbg-kernel.json) and the Rust kernel in the mould of
// rCore-Tutorial-v3 (rkernel/, profiles/rust-kernel.json), whose processes
// have no name and whose globals sit behind lazy_static.  Each kernel is
// described by what a test needs to know of it; the scenarios are written
// once.  Real QEMU, real GDB, a real DAP client.
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { followStops, noHart } from './harts.mjs';
import { ROOT, BUILD } from '../kernel/qemu.mjs';
import { src, lineOf } from './source.mjs';

const test = (name, fn) => nodeTest(name, { timeout: 90000 }, fn);
const OSDBG = path.join(BUILD, 'bin', 'osdbg');

const KERNELS = [
  {
    name: 'C kernel',
    profile: 'profiles/osdbg-kernel.json',
    userDir: path.join(BUILD, 'user'),
    hello: 'user/hello.c',
    other: 'matrix', // another program, linked at the same addresses
    writeSyscall: 'sys_write',
    kernelWriteFile: 'kernel/sysfile.c',
    kernelWriteLine: 'return file_write(f, argraw(1), (long)argraw(2));',
    userWrite: 'write',
    syscallStub: '<syscall3>:', // the function holding hello's ecall (objdump -d -C)
    trapEntryFrame: /^usertrap \[kernel\]$/,
    fib: { program: 'rustdemo', step: 'rustdemo!rustdemo::Fib::step', hits: 10 },
    // eBPF logpoints exist here: ask for GDB's to compare like with like.
    gdbLogpoints: { ebpfLogpoints: false },
  },
  {
    name: 'Rust kernel',
    profile: 'profiles/rust-kernel.json',
    userDir: path.join(BUILD, 'rkernel', 'user'),
    hello: 'rkernel/user/src/bin/hello.rs',
    other: 'forktest',
    writeSyscall: 'os::syscall::fs::sys_write',
    kernelWriteFile: 'rkernel/src/syscall/fs.rs',
    kernelWriteLine: 'if fd != FD_STDOUT {',
    userWrite: 'user_lib::write',
    syscallStub: '<user_lib::syscall::syscall>:',
    trapEntryFrame: /^os::trap::trap_handler \[kernel\]$/,
    fib: { program: 'rfib', step: 'rfib!rfib::Fib::step', hits: 10 },
    gdbLogpoints: { ebpfLogpoints: false }, // as for the C kernel
  },
];

async function startSession(t, k, launchArgs, setup = async () => {}) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  dc.defaultTimeout = 20000;
  await dc.start();
  t.after(() => dc.stop().catch(() => {}));
  const output = [];
  dc.on('output', (e) => output.push(e.body.output));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: src(k.profile), ...launchArgs });
  await initialized;
  await setup(dc);
  await dc.configurationDoneRequest();
  return { dc, output };
}

const waitStopped = (dc, ms = 20000) => dc.waitForEvent('stopped', ms);
const frames = async (dc) => (await dc.stackTraceRequest({ threadId: dc.thread })).body.stackFrames;

for (const k of KERNELS) {
  test(`${k.name}: a kernel breakpoint on write stops in S mode serving hello, with hello's frames below the kernel's`, async (t) => {
    const { dc } = await startSession(t, k, { bootArgs: 'run=hello' }, async (dc) => {
      const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: k.writeSyscall }] });
      assert.equal(r.body.breakpoints[0].verified, true, JSON.stringify(r.body));
    });
    const stop = await waitStopped(dc);
    assert.equal(stop.body.reason, 'function breakpoint');
    assert.match(stop.body.description, /^hello\/\d+, S mode(, hart \d+)?$/);
    const fs_ = await frames(dc);
    assert.ok(fs_[0].name.startsWith(`${k.writeSyscall} [kernel]`), fs_[0].name);
    const border = fs_.findIndex((f) => /trap from user mode/.test(f.name));
    assert.ok(border > 0, `the border between kernel and user frames: ${fs_.map((f) => f.name).join(' | ')}`);
    assert.ok(fs_.slice(border + 1).some((f) => / \[hello\]$/.test(f.name)), fs_.map((f) => f.name).join(' | '));
  });

  test(`${k.name}: a breakpoint in hello stops only in hello, not in ${k.other} at the same address`, async (t) => {
    const line = lineOf(k.hello, 'getpid()');
    const { dc } = await startSession(t, k, { bootArgs: `run=${k.other},hello,${k.other}` }, async (dc) => {
      const r = await dc.setBreakpointsRequest({ source: { path: src(k.hello) }, breakpoints: [{ line }] });
      assert.equal(r.body.breakpoints[0].verified, false, 'hello has not run yet');
    });
    const stop = await waitStopped(dc);
    assert.match(stop.body.description, /^hello\/\d+, U mode(, hart \d+)?$/);
    const f = (await frames(dc))[0];
    assert.equal(f.source.path, src(k.hello));
    assert.equal(f.line, line);
    // The symbol file follows the program: the frame is hello's.
    assert.match(f.name, /\[hello\]$/);
    await dc.continueRequest({ threadId: dc.thread });
    await dc.waitForEvent('terminated', 30000);
    const stats = await dc.customRequest('osdbg/stats').catch(() => null);
    if (stats) assert.equal(stats.body.userStops, 1);
  });

  test(`${k.name}: every hit of ${k.fib.step} stops, and Locals show self's fields`, async (t) => {
    const { dc } = await startSession(t, k, { bootArgs: `run=hello,${k.fib.program}` }, async (dc) => {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: k.fib.step }] });
    });
    for (let hit = 1; hit <= k.fib.hits; hit++) {
      const stop = await waitStopped(dc);
      assert.match(stop.body.description, new RegExp(`^${k.fib.program}/\\d+, U mode(, hart \\d+)?$`), `hit ${hit}`);
      if (hit === 2) {
        const fid = (await frames(dc))[0].id;
        const scopes = (await dc.scopesRequest({ frameId: fid })).body.scopes;
        const locals = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === 'Locals').variablesReference })).body.variables;
        const self = locals.find((v) => v.name === 'self');
        assert.ok(self && self.variablesReference > 0, JSON.stringify(locals));
        const fields = (await dc.variablesRequest({ variablesReference: self.variablesReference })).body.variables;
        // self is a pointer: its one child is the struct, or the fields themselves.
        let names = fields.map((v) => v.name);
        if (!names.includes('cur') && fields[0]?.variablesReference)
          names = (await dc.variablesRequest({ variablesReference: fields[0].variablesReference })).body.variables.map((v) => v.name);
        assert.ok(names.includes('cur') && names.includes('prev'), names.join(','));
        const regs = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === 'Registers').variablesReference })).body.variables;
        assert.ok(['pc', 'sp', 'priv'].every((n) => regs.some((r) => r.name === n)), regs.map((r) => r.name).join(','));
      }
      await dc.continueRequest({ threadId: dc.thread });
    }
  });

  test(`${k.name}: stepIn at hello's ecall enters the kernel's trap handler, stepOut returns after it`, async (t) => {
    const dis = execFileSync('riscv64-unknown-elf-objdump', ['-d', '-C', path.join(k.userDir, 'hello')], { encoding: 'utf8' });
    const at = dis.indexOf(k.syscallStub);
    assert.ok(at >= 0, `${k.syscallStub} in hello`);
    const ecall = dis.slice(at).match(/^\s+([0-9a-f]+):\s+00000073\s+ecall/m);
    assert.ok(ecall, 'an ecall in the stub');
    const ecallAddr = parseInt(ecall[1], 16);
    const { dc } = await startSession(t, k, { bootArgs: 'run=hello' }, async (dc) => {
      await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `hello!0x${ecallAddr.toString(16)}` }] });
    });
    let stop = await waitStopped(dc);
    assert.match(stop.body.description, /^hello\/(\d+), U mode(, hart \d+)?$/);
    const pid = stop.body.description.match(/\/(\d+),/)[1];
    await dc.stepInRequest({ threadId: dc.thread });
    stop = await waitStopped(dc);
    assert.equal(stop.body.reason, 'step');
    assert.equal(noHart(stop.body.description), `hello/${pid}, S mode`);
    const inKernel = await frames(dc);
    assert.match(inKernel[0].name, k.trapEntryFrame);
    // Below the kernel's frames, hello at its ecall: the trap entry has not
    // saved the user pc yet (both kernels save it inside the handler, as
    // xv6 does), so it comes from sepc.
    const border = inKernel.findIndex((f) => /trap from user mode/.test(f.name));
    assert.ok(border > 0, inKernel.map((f) => f.name).join(' | '));
    assert.equal(parseInt(inKernel[border + 1].instructionPointerReference, 16), ecallAddr,
      inKernel.map((f) => `${f.name} ${f.instructionPointerReference}`).join(' | '));
    await dc.stepOutRequest({ threadId: dc.thread });
    stop = await waitStopped(dc);
    assert.equal(stop.body.reason, 'step');
    assert.equal(noHart(stop.body.description), `hello/${pid}, U mode`);
    assert.equal(parseInt((await frames(dc))[0].instructionPointerReference, 16), ecallAddr + 4);
  });

  test(`${k.name}: a logpoint in hello prints through GDB with the program's values`, async (t) => {
    const line = lineOf(k.hello, 'getpid()');
    const { dc, output } = await startSession(t, k, { bootArgs: 'run=hello', ...k.gdbLogpoints }, async (dc) => {
      await dc.setBreakpointsRequest({ source: { path: src(k.hello) }, breakpoints: [{ line, logMessage: 'hello runs as {comm}/{pid}' }] });
    });
    await dc.waitForEvent('terminated', 30000);
    assert.equal(output.filter((o) => /^hello runs as hello\/\d+\n$/.test(o)).length, 1, output.join(''));
  });
}

test('Rust kernel: Arc, RefCell-like cells, Vec and Option read as rust-gdb shows them, in Locals and hovers', async (t) => {
  const k = KERNELS.find((x) => x.name === 'Rust kernel');
  const file = 'rkernel/src/syscall/process.rs';
  const line = lineOf(file, 'let mut inner = task.inner_exclusive_access();');
  const { dc } = await startSession(t, k, { bootArgs: 'run=hello' }, async (dc) => {
    await dc.setBreakpointsRequest({ source: { path: src(file) }, breakpoints: [{ line }] });
  });
  const stop = await waitStopped(dc);
  assert.match(stop.body.description, /^initproc\/\d+, S mode(, hart \d+)?$/, 'initproc waits for hello');
  const fid = (await frames(dc))[0].id;
  const scopes = (await dc.scopesRequest({ frameId: fid })).body.scopes;
  const locals = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === 'Locals').variablesReference })).body.variables;
  const task = locals.find((v) => v.name === 'task');
  assert.match(task?.value ?? '', /^Arc\(strong=\d+, weak=\d+\)/, JSON.stringify(locals));
  const hover = async (e) => (await dc.evaluateRequest({ expression: e, frameId: fid, context: 'hover' })).body.result;
  assert.match(await hover('(*task.ptr.pointer).data.inner.inner'), /^RefCell\(borrow=\d+\)/);
  assert.match(await hover('(*task.ptr.pointer).data.inner.inner.value.value.children'), /^Vec\(size=1\)/);
  assert.match(await hover('(*task.ptr.pointer).data.inner.inner.value.value.parent'), /Option<.*>::None$/);
  assert.match(await hover('(*task.ptr.pointer).data.inner.inner.value.value.task_status'), /TaskStatus::Running$/);
});

for (const k of KERNELS) {
  test(`${k.name}: a source breakpoint in the kernel's write, and a function breakpoint on the user library's write by its path`, async (t) => {
    const line = lineOf(k.kernelWriteFile, k.kernelWriteLine);
    const { dc } = await startSession(t, k, { bootArgs: 'run=hello' }, async (dc) => {
      const r = await dc.setBreakpointsRequest({ source: { path: src(k.kernelWriteFile) }, breakpoints: [{ line }] });
      assert.equal(r.body.breakpoints[0].verified, true, JSON.stringify(r.body));
      const f = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: `hello!${k.userWrite}` }] });
      assert.ok(f.body.breakpoints[0].instructionReference, JSON.stringify(f.body));
    });
    let stop = await waitStopped(dc);
    assert.equal(stop.body.reason, 'function breakpoint');
    assert.match(stop.body.description, /^hello\/\d+, U mode(, hart \d+)?$/);
    assert.ok((await frames(dc))[0].name.startsWith(`${k.userWrite} [hello]`));
    await dc.continueRequest({ threadId: dc.thread });
    stop = await waitStopped(dc);
    assert.equal(stop.body.reason, 'breakpoint');
    assert.match(stop.body.description, /^hello\/\d+, S mode(, hart \d+)?$/);
    const f0 = (await frames(dc))[0];
    assert.equal(f0.source.path, src(k.kernelWriteFile));
    assert.equal(f0.line, line);
  });
}

// The Rust kernel has a side-stub (issue 19): its profile with "sideStub":
// false stands for an OS that has none.
test('an OS without a side-stub: trace in the Debug Console and osdbg trace say so and point to the port', async (t) => {
  const rust = KERNELS.find((x) => x.name === 'Rust kernel');
  const profile = JSON.parse(fs.readFileSync(src(rust.profile), 'utf8'));
  const dir = fs.mkdtempSync(path.join(BUILD, 'no-sidestub-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'profile.json'), JSON.stringify({ ...profile, root: ROOT, sideStub: false }));
  const k = { ...rust, profile: path.relative(ROOT, path.join(dir, 'profile.json')) };
  const { dc } = await startSession(t, k, {}, async () => {});
  const r = await dc.evaluateRequest({ expression: 'trace kprobe os::syscall::fs::sys_write count', context: 'repl' })
    .then((x) => x.body.result, (e) => e.message);
  assert.match(r, /has no side-stub .*docs\/porting\.md/);
  let cli = '';
  try {
    execFileSync(OSDBG, ['trace', '--profile', src(k.profile), 'kprobe', 'os::syscall::fs::sys_write', 'count'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) { cli = e.stderr; assert.equal(e.status, 1); }
  assert.match(cli, /has no side-stub .*docs\/porting\.md/);
});
