// The side-stub inside the Rust reference kernel (rkernel/, issue 19: libktrace
// and its port in Rust), driven over the virtio console as `osdbg trace` does:
// a kprobe by address on a Rust kernel function with one register event per
// hit, what must not be probed refused, and uprobes in Rust user programs
// (hello, and the shell already running).  The C kernel's side-stub suite is
// sidestub.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { RKERNEL } from './qemu.mjs';
import { sideSession } from './sidestub_client.mjs';

// Demangled names (nm --demangle), without the hash: os::syscall::fs::sys_write.
const symbols = (elf) => new Map(execFileSync('riscv64-unknown-elf-nm', ['--demangle', elf], { encoding: 'utf8' })
  .split('\n').map((l) => l.split(' ')).filter((f) => f.length >= 3 && /^[tT]$/.test(f[1]))
  .map((f) => [f.slice(2).join(' '), BigInt(`0x${f[0]}`)]));
const kernelSym = symbols(RKERNEL);
const userSym = (prog, name) => symbols(path.join(path.dirname(RKERNEL), 'user', prog)).get(name);
const ok = (reply, what) => {
  const m = reply.match(/^OK([0-9a-f]+)$/);
  assert.ok(m, `${what}: ${reply}`);
  return parseInt(m[1], 16);
};
const settle = () => new Promise((r) => setTimeout(r, 400));

test('Rust kernel side-stub: qSupported, a kprobe on os::syscall::fs::sys_write, one event per write, refusals, detach', { timeout: 90000 }, async (t) => {
  const { osys, request, events } = await sideSession(t, { kernel: RKERNEL, ready: '>> ' });
  assert.match(osys.output(), /\[kernel\] side-stub: listening on the debug channel/);
  const sup = await request('qSupported');
  assert.match(sup, /osdbg-trace\+/);
  assert.match(sup, /(^|;)osdbg-events=1(;|$)/, 'the event encoding\'s version');
  assert.match(sup, /TimeFreq=989680/, 'QEMU virt rdtime: 10 MHz');

  const write = kernelSym.get('os::syscall::fs::sys_write');
  assert.ok(write, 'sys_write in the symbol table');
  const id = ok(await request(`vTR${write.toString(16)}`), 'vTR sys_write');
  assert.equal(await request(`vTR${(write + 1n).toString(16)}`), 'E02', 'inside an instruction');
  assert.equal(await request(`vTR${kernelSym.get('trap_from_kernel').toString(16)}`), 'E05', 'the trap path');
  assert.equal(await request(`vTR${kernelSym.get('kt_os_current').toString(16)}`), 'E05', 'the port');
  const coreFn = [...kernelSym].find(([n]) => n.startsWith('core::fmt::write'));
  assert.ok(coreFn, 'core::fmt::write in the kernel');
  assert.equal(await request(`vTR${coreFn[1].toString(16)}`), 'E05', 'Rust\'s libraries');

  osys.type('hello\r');
  await osys.waitFor(/Hello, world! \(pid (\d+)\)/);
  const pid = Number(osys.output().match(/Hello, world! \(pid (\d+)\)/)[1]);
  await settle();
  const ev = events();
  const fromHello = ev.filter((e) => e.comm === 'hello');
  assert.equal(fromHello.length, 1, 'hello makes one write');
  assert.equal(fromHello[0].pid, pid);
  for (const e of ev) {
    assert.ok(e.ok, 'checksum');
    assert.equal(e.probe, id);
    assert.equal(e.type, 'R');
    assert.equal(e.len, 256, 'struct user_regs_struct');
    assert.equal(e.pc, write, 'pc is the probed instruction');
  }
  assert.ok(ev.some((e) => e.comm === 'user_shell'), 'the shell\'s own writes (its echo) are seen too');
  assert.deepEqual(ev.map((e) => e.seq), ev.map((_, i) => i), 'sequence numbers without gaps');
  assert.match(await request('vTStat'), /dropped=0;/);
  assert.equal(await request(`vTDetach:${id.toString(16)}`), 'OK');
  assert.equal(await request('vTList'), 'l', 'no probes left');
  const n = events().length;
  osys.type('hello\r');
  await osys.waitFor(/Hello, world![^\n]*\n[\s\S]*Hello, world!/);
  await settle();
  assert.equal(events().length, n, 'no events after detach');
  osys.type('exit\r');
  assert.equal((await osys.waitExit(10000)).code, 0);
});

test('Rust kernel side-stub: uprobes in Rust programs, in the shell already running and in hello exec\'d later', { timeout: 90000 }, async (t) => {
  const { osys, request, events } = await sideSession(t, { kernel: RKERNEL, ready: '>> ' });
  const helloMain = userSym('hello', 'main');
  const h = ok(await request(`vTUhello:${helloMain.toString(16)}`), 'vTU hello');
  const shellRead = userSym('user_shell', 'user_lib::syscall::sys_read');
  assert.ok(shellRead, 'the shell reads through user_lib');
  const sh = ok(await request(`vTUuser_shell:${shellRead.toString(16)}`), 'vTU user_shell');
  assert.equal(await request(`vTUhello:${(helloMain + 1n).toString(16)}`), 'E02', 'inside an instruction');
  osys.type('hello\r');
  await osys.waitFor(/Hello, world! \(pid \d+\)/);
  await settle();
  const ev = events();
  const helloEvents = ev.filter((e) => e.probe === h);
  assert.deepEqual(helloEvents.map((e) => e.comm), ['hello'], 'one hit, in hello');
  assert.equal(helloEvents[0].pc, helloMain);
  const shellEvents = ev.filter((e) => e.probe === sh);
  assert.ok(shellEvents.length >= 6, `one hit per key typed: ${shellEvents.length}`);
  assert.ok(shellEvents.every((e) => e.comm === 'user_shell' && e.pc === shellRead));
  assert.equal(await request(`vTDetach:${h.toString(16)}`), 'OK');
  assert.equal(await request(`vTDetach:${sh.toString(16)}`), 'OK');
  const n = events().length;
  osys.type('hello\r');
  await osys.waitFor(/Hello, world![^\n]*\n[\s\S]*Hello, world!/);
  await settle();
  assert.equal(events().length, n, 'no events after detach');
  osys.type('exit\r');
  assert.equal((await osys.waitExit(10000)).code, 0, 'the programs ran on correctly');
});
