// A bounded bpf() fuzzer from user space (user/bpffuzz.c; issue 12): random
// commands, attributes, sizes and pointers for FUZZ seconds.  The kernel must
// neither hang (the fuzzer reports within its time, and the shell answers
// afterwards) nor panic (QEMU exits 0 when the shell exits), and the fuzzer
// itself must never be killed (the kernel never writes where it was not
// allowed to).  The seed is printed: `bpffuzz SECONDS SEED` replays a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootOS } from './qemu.mjs';

const SECONDS = Number(process.env.OSDBG_BPF_FUZZ_SECS ?? 30);

test(`bpf() fuzzer: ${SECONDS} s of random system calls, no hang, no panic`, { timeout: (SECONDS + 90) * 1000 }, async () => {
  const os = bootOS();
  try {
    await os.waitFor('$ ', 20000);
    os.type(`bpffuzz ${SECONDS}\n`);
    await os.waitFor(/bpffuzz: seed \d+/, 10000);
    const seed = os.output().match(/bpffuzz: seed (\d+)/)[1];
    console.log(`# bpf() fuzzer seed ${seed} (replay: bpffuzz ${SECONDS} ${seed})`);
    await os.waitFor(/bpffuzz: \d+ calls in \d+ s, \d+ succeeded; the kernel is still here\n/, (SECONDS + 30) * 1000)
      .catch(() => assert.fail(`seed ${seed}: no summary within ${SECONDS + 30} s: the kernel hung?\n${os.output().slice(-2000)}`));
    const [, calls, ok] = os.output().match(/bpffuzz: (\d+) calls in \d+ s, (\d+) succeeded/);
    console.log(`# ${calls} bpf() calls, ${ok} succeeded`);
    assert.ok(Number(calls) > 10000, 'the fuzzer made many calls');
    assert.ok(Number(ok) > 0, 'some calls were well-formed enough to succeed (the fuzzer reaches deep code)');
    assert.doesNotMatch(os.output(), /\(bpffuzz\) killed/, `seed ${seed}: the fuzzer was killed`);
    // The kernel still works: a program runs, and the shell powers off cleanly.
    os.type('hello\n');
    await os.waitFor(/Hello, world! \(pid \d+\)/, 10000);
    os.type('exit\n');
    const { code } = await os.waitExit(10000);
    assert.equal(code, 0, `seed ${seed}: QEMU exits 0 (no panic)`);
    assert.doesNotMatch(os.output(), /panic/i, `seed ${seed}`);
  } finally {
    os.stop();
  }
});
