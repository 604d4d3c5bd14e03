// The Rust reference kernel (rkernel/, docs/rust-kernel.md) in the real QEMU:
// its programs, its shell, and what a program cannot do to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootOS, runOS, RKERNEL } from './qemu.mjs';

// The programs' lines, after the kernel's banner, without "[kernel]" lines.
function lines(out) {
  const start = out.indexOf('osdbg Rust reference kernel');
  assert.ok(start >= 0, `the kernel's banner\n${out}`);
  return out.slice(start).split('\n').slice(1).filter((l) => l && !l.startsWith('[kernel]'));
}

test('run= runs the programs in order, each to completion, then powers off with status 0', async () => {
  const { code, out } = await runOS('run=hello,forktest,rfib', 30000, [], RKERNEL);
  assert.equal(code, 0, out);
  assert.match(out, /\[kernel\] boot arguments: run=hello,forktest,rfib\n/);
  const l = lines(out);
  assert.match(l[0], /^Hello, world! \(pid \d+\)$/);
  // three children, in any order, and their exit codes 0 + 10 + 20
  assert.deepEqual(l.slice(1, 4).map((x) => x.replace(/ is pid \d+/, '')).sort(),
    ['forktest: child 0', 'forktest: child 1', 'forktest: child 2']);
  assert.equal(l[4], 'forktest: all 3 children done (exit codes sum 30)');
  assert.equal(l[5], 'rfib: last odd values [21, 55, 89, 13], last Some(89)');
  assert.equal(l[6], 'rfib: fib(10) = 89');
  assert.equal(l[7], 'initproc: all programs done, powering off');
});

test('the shell runs programs by name and says so for one that does not exist', async (t) => {
  const os = bootOS({ kernel: RKERNEL });
  t.after(() => os.stop());
  await os.waitFor('>> ');
  os.type('hello\r');
  await os.waitFor(/Hello, world! \(pid \d+\)\nShell: Process \d+ exited with code 0\n>> /);
  os.type('nosuch\r');
  await os.waitFor(/nosuch: no such program\nShell: Process \d+ exited with code -4\n>> /);
  os.type('exit\r');
  await os.waitFor('initproc: the shell exited, powering off');
  assert.equal((await os.waitExit()).code, 0);
});

test('bad system call arguments fail with -1 and faults kill only the program', async () => {
  const { code, out } = await runOS('run=badcalls,hello', 30000, [], RKERNEL);
  assert.equal(code, 0, out);
  for (const what of ['write from kernel memory', 'write from unmapped memory', 'write of a huge length',
    'exec of a bad path', 'exec of a bad argv', 'exec of no such program', 'wait with a bad status pointer',
    'unknown system call'])
    assert.match(out, new RegExp(`badcalls: ${what} -1\\n`), what);
  assert.match(out, /badcalls: load fault child exit code -2\n/);
  assert.match(out, /badcalls: store to kernel child exit code -2\n/);
  assert.match(out, /badcalls: illegal instruction child exit code -3\n/);
  // A break with no uprobe there kills the program, named, as a fault does.
  assert.match(out, /\[kernel\] badcalls \(pid \d+\): breakpoint \(ebreak\) at 0x[0-9a-f]+, no probe there; killed\n/);
  assert.match(out, /badcalls: breakpoint child exit code -2\n/);
  assert.match(out, /badcalls: done\nHello, world!/, 'the kernel went on');
  assert.doesNotMatch(out, /panicked/);
});

test('a program that forks without end gets an error, not a kernel panic', async () => {
  const { code, out } = await runOS('run=forkbomb,hello', 60000, [], RKERNEL);
  assert.equal(code, 0, out);
  assert.match(out, /forkbomb: fork refused after \d+ children\nforkbomb: all reaped\n/);
  assert.match(out, /Hello, world!/);
  assert.doesNotMatch(out, /panicked/);
});

// Boot argument selftest (rkernel/src/ktrace/selftest.rs): the groundwork
// of the tracing port, checked inside the running kernel.
test('selftest: the C libraries, kernel traps that return, the symbol table, text writes, the uprobe slot page', async () => {
  const { code, out } = await runOS('selftest run=hello', 30000, [], RKERNEL);
  assert.equal(code, 0, out);
  const checks = [
    'ebpf verified and run', 'rvprobe decodes auipc a0, 0x1', "rvprobe decodes sys_write's first instruction",
    'ksym_lookup\\(os::syscall::fs::sys_write\\)', 'ksym_lookup\\(ebpf_create\\), a C function',
    'ksym_lookup of no such function is 0', 'ksym_func_start\\(inside sys_write\\)', 'ksym_func_start\\(data\\) is 0',
    'ksym_name\\(inside sys_write\\)', 'kernel ebreak and c.ebreak return, registers as the hook left them',
    'text patch shapes \\(2, 4 aligned, in a doubleword, across, slot\\)', 'is_kernel_text\\(break_target\\)',
    'is_kernel_text\\(data\\) is false', 'write_kernel_text\\(data\\) refused',
    'kernel text written \\(break\\) and restored, read-only after', 'uprobe slot page mapped and written',
    "user text written at hello's entry", 'fork copies the slot page \\(a frame of its own\\)',
    "exec's new memory set has no slot page", 'write_user_text outside user text refused'];
  for (const c of checks) assert.match(out, new RegExp(`\\[kernel\\] selftest: ${c} ok\\n`), c);
  // The values behind them: 6 * 7 + 1 computed by the eBPF program; the
  // hook added 100 twice to a0 = 5; the patched function returned the
  // hook's 42, then its own 7; the table names sys_write by its Rust path.
  assert.match(out, /selftest: ebpf program r0 = 6 \* 7 \+ 1 = 43 /);
  assert.match(out, /selftest: after ebreak and c.ebreak a0 = 205\n/);
  assert.match(out, /selftest: break_target\(\) with a break 42, restored 7\n/);
  assert.match(out, /selftest: 0x[0-9a-f]+ is in os::syscall::fs::sys_write at 0x[0-9a-f]+\n/);
  assert.match(out, /\[kernel\] selftest: done, 0 failed\n/);
  assert.doesNotMatch(out, /FAILED|panicked/);
  assert.match(out, /Hello, world!/, 'the kernel went on to run the programs');
});

test('without the boot argument no selftest runs; jiffies count timer ticks', async () => {
  const { code, out } = await runOS('run=forktest', 30000, [], RKERNEL);
  assert.equal(code, 0, out);
  assert.doesNotMatch(out, /selftest/);
  const m = out.match(/\[kernel\] shutdown after (\d+) timer ticks in (\d+) ms\n/);
  assert.ok(m, out);
  // Some ticks (initproc polls waitpid in user mode meanwhile), and 100 a
  // second at most (the kernel takes them only from user mode).
  assert.ok(Number(m[1]) > 0 && Number(m[1]) <= Number(m[2]) / 10 + 1, `${m[1]} ticks in ${m[2]} ms`);
});
