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
