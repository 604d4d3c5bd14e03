// bpf() on the Rust reference kernel (rkernel/, issue 19), from a Rust user
// program as a libbpf-style loader calls it (rkernel/user/src/bin/bpfdemo.rs):
// maps, a program load, a kprobe on os::syscall::process::sys_getpid by name,
// a uprobe on a function of the program, and bad input refused with the right
// errno while the kernel goes on.  bpf() is libktrace, linked into the Rust
// kernel with its port in Rust (rkernel/src/ktrace/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOS, RKERNEL } from './qemu.mjs';

test('bpfdemo: every bpf() check passes on the Rust kernel, which goes on running programs', async () => {
  const { code, out } = await runOS('run=bpfdemo,hello', 60000, [], RKERNEL);
  assert.equal(code, 0, out);
  assert.doesNotMatch(out, /bpf: not supported/, 'the kernel has bpf()');
  assert.doesNotMatch(out, /^FAIL: /m, out);
  assert.doesNotMatch(out, /panicked/, out);
  const oks = out.match(/^ok: .*$/gm) ?? [];
  const m = out.match(/^bpfdemo: (\d+) passed, (\d+) failed$/m);
  assert.ok(m, `bpfdemo's summary line\n${out}`);
  assert.equal(Number(m[2]), 0, out);
  assert.equal(Number(m[1]), oks.length, 'the summary counts the ok lines');
  // The probes themselves, not only the calls that set them up.
  for (const what of ['the kprobe program ran once per getpid()', 'closing the link detaches the kprobe',
    'the uprobe program ran once per call', "a forked child's call is counted too",
    'closing the link detaches the uprobe', 'attributes in kernel memory: EFAULT', 'an unknown command: EINVAL',
    'a map lookup on a program\'s descriptor: EBADF'])
    assert.ok(oks.includes(`ok: ${what}`), `ok: ${what}\n${out}`);
  assert.match(out, /bpfdemo: \d+ passed, 0 failed\n(.*\n)*Hello, world!/, 'the kernel went on');
});
