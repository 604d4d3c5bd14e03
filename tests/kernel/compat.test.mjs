// The eBPF compatibility suite through bpf() (issue 18): user/bpfcompat
// loads libbpf-style objects (user/bpf/compat/*.bpf.c, built by clang),
// attaches them, triggers them and checks what their maps and globals hold
// against values that follow from the programs' meaning (lengths written,
// squares added, the process's own pid and name...).  On 1 and on 4 harts:
// every helper runs wherever a probe fires.  Each check is one line; the
// test names the failing ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootOS } from './qemu.mjs';

async function bpfcompat(smp) {
  const os = bootOS({ append: 'run=bpfcompat', smp });
  try {
    const { code } = await os.waitExit(120000);
    return { code, out: os.output() };
  } finally {
    os.stop();
  }
}

for (const smp of [1, 4]) {
  test(`compatibility suite through bpf() on ${smp} hart(s)`, async () => {
    const { code, out } = await bpfcompat(smp);
    const m = out.match(/^bpfcompat: (\d+) passed, (\d+) failed$/m);
    assert.ok(m, `no summary in\n${out}`);
    const failures = out.split('\n').filter((l) => l.startsWith('bpfcompat: FAIL'));
    assert.deepEqual(failures, [], out);
    assert.equal(Number(m[2]), 0, out);
    // kprobe 4, uprobe 7, ringbuf 3, loop 2, task 11, percpu 3, perfbuf 3,
    // stackmap 4, tailcall 3, cookie 3: every check ran.
    assert.ok(Number(m[1]) >= 43, `only ${m[1]} checks ran:\n${out}`);
    // A kprobe and a kretprobe on one kernel function, a uprobe and a
    // uretprobe at one user address: each runs, each survives the other's
    // detach, and the text comes back.
    for (const what of ['kprobe+kretprobe: BPF_KPROBE/BPF_KRETPROBE object loads and attaches both to file_write',
      'kprobe: three writes', 'kretprobe: three returns', 'kretprobe: still counts once the kprobe',
      'uprobe+uretprobe: object loads and attaches both to one function', 'uprobe: three calls seen',
      'uretprobe: three returns at the uprobe\'s address', 'uprobe+uretprobe: a forked child\'s call is seen by both',
      'uretprobe: still counts once the uprobe',
      'uprobe: both detached, the function\'s text is as before',
      'ringbuf: BPF_RB_AVAIL_DATA', 'loop: odd squares', 'task: struct proc', 'task: get_stack(BPF_F_USER_STACK)',
      'percpu: PERCPU_ARRAY copies', 'perfbuf: five', 'stackmap: two user stack ids', 'tailcall: four runs',
      'cookie: get_attach_cookie is 111']) {
      assert.ok(out.includes(`bpfcompat: ok   ${what}`), `missing "${what}" in\n${out}`);
    }
    // The kernel's arena figures of every program (docs/ebpf.md "Kernel arenas").
    const arenas = [...out.matchAll(/^bpfcompat: (\w+): arena: (\d+) bytes used, verifier scratch peak (\d+), of (\d+)$/gm)];
    assert.ok(arenas.length >= 13, `arena figures of every program:\n${out}`);
    for (const [line, , used, scratch, size] of arenas) {
      assert.ok(Number(used) + Number(scratch) <= Number(size), line);
      console.log(`# ${line}`);
    }
    assert.equal(code, 0);
  });
}
