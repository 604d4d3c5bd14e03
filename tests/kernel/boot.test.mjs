// The reference OS boots, runs programs from the command line, and survives
// bad programs.  Expected outputs are written from what the programs are
// specified to print (user/*.c), not captured from a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootOS, runOS, programLines } from './qemu.mjs';

test('boots to the shell, runs commands typed on the console, exits on `exit`', async () => {
  const os = bootOS();
  try {
    const { ms } = await os.waitFor('$ ', 20000);
    console.log(`# boot to shell prompt: ${ms.toFixed(0)} ms`);
    os.type('hello one two\n');
    await os.waitFor('hello: argument 2 is two\n');
    os.type('cat motd\n');
    await os.waitFor('Welcome to the osdbg reference OS.\n');
    os.type('ls\n');
    await os.waitFor(/ \d+ matrix\n/);
    os.type('no-such-program\n');
    await os.waitFor('sh: no-such-program: no such file\n');
    os.type('exit\n');
    const { code } = await os.waitExit(10000);
    assert.equal(code, 0, 'QEMU exits with status 0 after the shell exits');
    assert.match(os.output(), /init: shell exited, powering off/);
  } finally {
    os.stop();
  }
});

test('line editing: backspace removes the last typed character', async () => {
  const os = bootOS();
  try {
    await os.waitFor('$ ');
    os.type('hellx\x7fo\n');
    await os.waitFor(/Hello, world! \(pid \d+\)\n/);
    os.type('exit\n');
    assert.equal((await os.waitExit(10000)).code, 0);
  } finally {
    os.stop();
  }
});

test('run=hello,matrix runs both in order, then QEMU exits 0', async () => {
  const { code, out } = await runOS('run=hello,matrix');
  assert.equal(code, 0);
  assert.deepEqual(programLines(out), [
    'Hello, world! (pid 2)',
    'matrix: 8x8 product checksum 896', // sum of c = 2a, a[i][j] = i + j, i,j < 8
    'init: all programs done, powering off',
  ]);
});

test('a boot argument nobody understands is named at boot, with the known ones (ran=hello)', async () => {
  const { code, out } = await runOS('ran=hello run=hello dbgchan');
  assert.equal(code, 0);
  assert.match(out, /\[kernel\] boot argument "ran=hello" not understood; known: dbgchan ktest run\n/);
  assert.equal(out.match(/not understood/g).length, 1, 'run= and dbgchan are known');
  assert.deepEqual(programLines(out), ['Hello, world! (pid 2)', 'init: all programs done, powering off']);
});

test('fork/exec/wait exerciser passes', async () => {
  const { code, out } = await runOS('run=forktest');
  assert.equal(code, 0);
  const lines = programLines(out);
  assert.ok(lines.includes('forktest: 5 children exited with their own status'), out);
  assert.ok(lines.includes('hello: argument 2 is forktest'), 'exec passes arguments');
  assert.ok(lines.includes('forktest: OK'), out);
  assert.ok(!out.includes('FAILED'), out);
});

test('the Rust program runs: rustdemo prints the sum of the first 10 Fibonacci numbers', async () => {
  const { code, out } = await runOS('run=rustdemo');
  assert.equal(code, 0);
  assert.deepEqual(programLines(out), [
    'rustdemo: hello from Rust (pid 2)',
    'rustdemo: work(10) = 143', // 1+1+2+3+5+8+13+21+34+55
    'init: all programs done, powering off',
  ]);
});

test('the Rust program takes arguments from the shell', async () => {
  const os = bootOS();
  try {
    await os.waitFor('$ ');
    os.type('rustdemo 20\n');
    await os.waitFor('rustdemo: work(20) = 17710\n'); // F(22) - 1
    os.type('exit\n');
    assert.equal((await os.waitExit(10000)).code, 0);
  } finally {
    os.stop();
  }
});

test('the bpf() system call: maps, program load with the verifier log, test runs, errors', async () => {
  const { code, out } = await runOS('run=bpftest', 60000);
  assert.equal(code, 0);
  const m = out.match(/^bpftest: (\d+) passed, (\d+) failed$/m);
  assert.ok(m, out);
  assert.equal(Number(m[2]), 0, out.split('\n').filter((l) => l.includes('FAIL')).join('\n'));
  assert.ok(Number(m[1]) >= 30);
  assert.match(out, /the verifier said:\n.*R2/s, 'the log names the uninitialised register');
});

test('bpf() programs, maps and links are freed with their last descriptor: bpftest ten times in a row', async () => {
  // Each run loads programs, creates maps and links, and exits without
  // closing them: the kernel has room for 36 programs (MAX_PROGS in
  // ktrace/src/bpf.c) and each run would keep at least five, so without
  // freeing one of these runs fails.
  const { code, out } = await runOS(`run=${Array(10).fill('bpftest').join(',')}`, 120000);
  assert.equal(code, 0);
  const runs = [...out.matchAll(/^bpftest: (\d+) passed, (\d+) failed$/gm)];
  assert.equal(runs.length, 10, out);
  for (const m of runs) assert.equal(Number(m[2]), 0, out.split('\n').filter((l) => l.includes('FAIL')).join('\n'));
});

test('bpfload: an eBPF ELF object from the file system (clang -target bpf), attached, its map read back', async () => {
  const os = bootOS();
  try {
    await os.waitFor('$ ');
    os.type('bpfload getpid_count.bpf.o 25\n');
    await os.waitFor('bpfload: kprobe/sys_getpid (');
    await os.waitFor(/bpfload: map calls\[0\] = (\d+)\n/);
    const n = Number(os.output().match(/bpfload: map calls\[0\] = (\d+)\n/)[1]);
    assert.equal(n, 25, 'bpfload itself made 25 getpid calls while attached, and nothing else did');
    os.type('exit\n');
    assert.equal((await os.waitExit(10000)).code, 0);
  } finally {
    os.stop();
  }
});

test('in-kernel self-tests pass (ktest)', async () => {
  const { code, out } = await runOS('ktest run=hello');
  assert.equal(code, 0);
  const m = out.match(/^ktest: (\d+) passed, (\d+) failed$/m);
  assert.ok(m, `no ktest summary in\n${out}`);
  assert.equal(Number(m[2]), 0, out);
  assert.ok(Number(m[1]) >= 20, 'all the in-kernel checks ran');
  assert.ok(out.includes('Hello, world!'), 'the system runs normally after the self-test');
});

test('user-space system-call self-test passes (selftest)', async () => {
  const { code, out } = await runOS('run=selftest', 60000);
  assert.equal(code, 0);
  assert.ok(out.includes('selftest: done\n'), `no sentinel in\n${out}`);
  const m = out.match(/^selftest: (\d+) passed, (\d+) failed$/m);
  assert.ok(m);
  assert.equal(Number(m[2]), 0, out.split('\n').filter((l) => l.includes('FAIL')).join('\n'));
  assert.ok(Number(m[1]) >= 40);
});

test('exec of a non-ELF and of a truncated ELF fail with an error, no panic', async () => {
  const { code, out } = await runOS('run=notelf,truncated,hello');
  assert.equal(code, 0);
  assert.deepEqual(programLines(out), [
    'init: cannot run notelf: not an executable',
    'init: notelf exited with status 127',
    'init: cannot run truncated: not an executable',
    'init: truncated exited with status 127',
    'Hello, world! (pid 4)',
    'init: all programs done, powering off',
  ]);
});

test('a faulting program is killed with a message and the system keeps running', async () => {
  const { code, out } = await runOS('run=fault,hello');
  assert.equal(code, 0);
  assert.match(out, /\[kernel\] pid 2 \(fault\) killed: store page fault at pc 0x[0-9a-f]+, address 0x0\n/);
  assert.ok(!out.includes('still alive'));
  const lines = programLines(out);
  assert.ok(lines.includes('init: fault exited with status -1'));
  assert.ok(lines.includes('Hello, world! (pid 3)'), 'the next program runs');
});

test('a missing program in run= is reported and skipped', async () => {
  const { code, out } = await runOS('run=nosuch,hello');
  assert.equal(code, 0);
  assert.ok(programLines(out).includes('init: cannot run nosuch: no such file'));
  assert.ok(out.includes('Hello, world!'));
});

test('a kernel panic makes QEMU exit with a failure status', async () => {
  const { code, out } = await runOS('ktest=panic');
  assert.match(out, /kernel panic: requested by the boot argument ktest=panic/);
  assert.notEqual(code, 0);
});
