// The reference kernel on 1, 2 and 4 harts (issue 17, "eBPF on every hart"):
// probes hit on several harts at once by processes that hammer the same
// system call, counted by an eBPF program (clang-built, user/bpf/
// smp_count.bpf.c, loaded through bpf()) and by the side-stub's event
// stream; and the usual programs on 1 and 4 harts.  Every expected number
// comes from the workload (processes x calls), never from the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bootOS, KERNEL } from './qemu.mjs';

const PROCS = 4;
const CALLS = 3000;

// Boot to the shell, type one command, wait for its last line.
async function shell(smp, command, done, timeoutMs = 120000) {
  const osys = bootOS({ smp });
  try {
    await osys.waitFor('$ ', 60000);
    osys.type(`${command}\n`);
    await osys.waitFor(done, timeoutMs);
    const out = osys.output();
    osys.type('exit\n');
    assert.equal((await osys.waitExit(20000)).code, 0);
    return out;
  } finally {
    osys.stop();
  }
}

// bpfload's "bpfload: map NAME[KEY] = VALUE" lines, as {NAME: {KEY: VALUE}}.
function maps(out) {
  const m = {};
  for (const [, name, key, value] of out.matchAll(/^bpfload: map (\w+)\[(\d+)\] = (\d+)$/gm)) {
    (m[name] ??= {})[key] = Number(value);
  }
  return m;
}

for (const smp of [1, 2, 4]) {
  test(`${smp} hart(s): ${PROCS} processes x ${CALLS} getpid under one kprobe program - every hit counted once, on the hart it ran`, { timeout: 240000 }, async () => {
    const out = await shell(smp, `bpfload smp_count.bpf.o ${CALLS} ${PROCS}`, `bpfload: ${PROCS} processes done`);
    const m = maps(out);
    assert.ok(out.includes('attached to sys_getpid'), out);
    const total = PROCS * CALLS;
    assert.equal(m.calls?.[0], total, 'the array slot: every call once (atomic adds from every hart)');
    const harts = Object.values(m.per_hart ?? {});
    assert.equal(harts.reduce((a, b) => a + b, 0), total, 'the per-hart slots add up');
    for (const [h, n] of Object.entries(m.per_hart)) {
      if (Number(h) >= smp) assert.equal(n, 0, `no hart ${h} on a ${smp}-hart machine`);
    }
    if (smp > 1) {
      assert.ok(m.per_hart[1] > 0, `bpf_get_smp_processor_id() said 1 for some hits: ${JSON.stringify(m.per_hart)}`);
    }
    const pids = Object.values(m.per_pid ?? {});
    assert.equal(pids.length, PROCS, `one hash element per process: ${JSON.stringify(m.per_pid)}`);
    for (const n of pids) assert.equal(n, CALLS, 'each process: exactly its calls (concurrent inserts of a key)');
  });
}

// The side-stub's registers events for a kprobe hit on several harts at
// once: one event per call, sequence numbers unique and in order with gaps
// only where the kernel counted a drop, and each event's hart is the hart
// that hit the probe (the kernel keeps its hart id in tp, which the event's
// registers carry).
const sideChannel = (sock) => ['-device', 'virtio-serial-device',
  '-chardev', `socket,id=side,path=${sock},server=on,wait=off`,
  '-device', 'virtserialport,chardev=side,nr=1,name=org.osdbg.side'];

const frame = (payload) => {
  const sum = [...Buffer.from(payload, 'latin1')].reduce((a, b) => (a + b) & 0xff, 0);
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
};

function parser() {
  let buf = Buffer.alloc(0);
  const items = [];
  return {
    items,
    feed(d) {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!buf.length) return;
        const c = String.fromCharCode(buf[0]);
        if (c !== '$' && c !== '%') { buf = buf.subarray(1); continue; }
        const end = buf.indexOf(0x23, 1);
        if (end < 0 || buf.length < end + 3) return;
        const raw = buf.subarray(1, end);
        const sum = raw.reduce((a, b) => (a + b) & 0xff, 0);
        const ok = parseInt(buf.subarray(end + 1, end + 3).toString(), 16) === sum;
        const out = [];
        for (let i = 0; i < raw.length; i++) out.push(raw[i] === 0x7d ? raw[++i] ^ 0x20 : raw[i]);
        items.push({ start: c, ok, payload: Buffer.from(out) });
        buf = buf.subarray(end + 3);
      }
    },
  };
}

const symbol = (name) => {
  const line = execFileSync('riscv64-unknown-elf-nm', [KERNEL], { encoding: 'utf8' }).split('\n')
    .find((l) => l.endsWith(` ${name}`));
  return BigInt(`0x${line.split(' ')[0]}`);
};

for (const smp of [2, 4]) {
  test(`${smp} harts: side-stub events of one kprobe hit from every hart - none lost or doubled, each with its hart`, { timeout: 240000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-smp-'));
    const sock = path.join(dir, 'side.sock');
    const osys = bootOS({ smp, args: sideChannel(sock) });
    t.after(() => { osys.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
    await osys.waitFor('$ ', 60000);
    const p = parser();
    const s = net.createConnection(sock);
    t.after(() => s.destroy());
    s.on('data', (d) => p.feed(d));
    await new Promise((r) => s.on('connect', r));
    const replies = () => p.items.filter((i) => i.start === '$');
    const request = async (payload) => {
      const before = replies().length;
      s.write(frame(payload));
      const deadline = Date.now() + 20000;
      while (replies().length <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(replies().length > before, `a reply to ${payload}`);
      s.write('+');
      return replies()[before].payload.toString('latin1');
    };
    const getpid = symbol('sys_getpid');
    const ok = (await request(`vTR${getpid.toString(16)}`)).match(/^OK([0-9a-f]+)$/);
    assert.ok(ok, 'the kprobe is armed');
    const id = parseInt(ok[1], 16);
    osys.type(`sysbench ${CALLS} ${PROCS}\n`);
    await osys.waitFor(`sysbench: ${PROCS} processes x ${CALLS} getpid() calls`, 180000);
    const field = async (name) => {
      const stat = await request('vTStat');
      return parseInt(stat.match(new RegExp(`(?:^|;)${name}=([0-9a-f]+)`))[1], 16);
    };
    // Wait until every event the kernel made arrived or was counted dropped.
    const events = () => p.items.filter((i) => i.start === '%');
    let produced = 0;
    let dropped = 0;
    for (let i = 0; i < 100; i++) {
      produced = await field('events');
      dropped = await field('dropped');
      if (events().length + dropped >= produced) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const evs = events().map((i) => {
      const sep = i.payload.indexOf(0x3b); // ';'
      const [probe, seq, , hart, , comm] = i.payload.subarray(0, sep).toString('latin1').slice('vTE:'.length).split(',');
      const regs = i.payload.subarray(sep + 2);
      return { ok: i.ok, probe: parseInt(probe, 16), seq: parseInt(seq, 16), hart: parseInt(hart, 16), comm,
        type: String.fromCharCode(i.payload[sep + 1]), tp: regs.length >= 40 ? regs.readBigUInt64LE(32) : -1n };
    });
    console.log(`# ${smp} harts: ${produced} events, ${evs.length} received, ${dropped} dropped in the kernel`);
    assert.ok(evs.every((e) => e.ok), 'checksums');
    assert.equal(produced, PROCS * CALLS, 'one event per call made by the workload, no more');
    assert.equal(evs.length + dropped, produced, 'received + dropped = produced');
    const seqs = evs.map((e) => e.seq);
    assert.equal(new Set(seqs).size, seqs.length, 'no sequence number twice');
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in sequence order');
    assert.ok(seqs.every((q) => q < produced), 'numbers 0 .. produced-1');
    for (const e of evs) {
      assert.equal(e.probe, id);
      assert.equal(e.type, 'R');
      assert.equal(e.comm, 'sysbench');
      assert.equal(BigInt(e.hart), e.tp, 'the event\'s hart is the hart that trapped (its tp)');
    }
    const harts = new Set(evs.map((e) => e.hart));
    assert.ok(harts.size > 1, `hits came from several harts: ${[...harts]}`);
    assert.ok([...harts].every((h) => h < smp));
    osys.type('exit\n');
    assert.equal((await osys.waitExit(20000)).code, 0);
  });
}

const userSymbol = (prog, name) => {
  const line = execFileSync('riscv64-unknown-elf-nm', [path.join(path.dirname(KERNEL), '..', 'user', prog)], { encoding: 'utf8' })
    .split('\n').find((l) => l.endsWith(` ${name}`));
  return BigInt(`0x${line.split(' ')[0]}`);
};

// A side-stub session on a machine of `smp` harts.
async function session(t, smp) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-smp-'));
  const sock = path.join(dir, 'side.sock');
  const osys = bootOS({ smp, args: sideChannel(sock) });
  t.after(() => { osys.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
  await osys.waitFor('$ ', 60000);
  const p = parser();
  const s = net.createConnection(sock);
  t.after(() => s.destroy());
  s.on('data', (d) => p.feed(d));
  await new Promise((r) => s.on('connect', r));
  const replies = () => p.items.filter((i) => i.start === '$');
  const request = async (payload) => {
    const before = replies().length;
    s.write(frame(payload));
    const deadline = Date.now() + 30000;
    while (replies().length <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(replies().length > before, `a reply to ${payload}\n${osys.output().slice(-2000)}`);
    s.write('+');
    return replies()[before].payload.toString('latin1');
  };
  return { osys, p, request };
}

// A uprobe in a program whose processes run on every hart at once (each
// process is its own space, armed at fork): every call is one hit.
test('2 harts: a uprobe hit by four processes of one program at once - hits = calls', { timeout: 240000 }, async (t) => {
  const { osys, request } = await session(t, 2);
  const ok = (await request(`vTUsysbench:${userSymbol("sysbench", "getpid").toString(16)}`)).match(/^OK([0-9a-f]+)$/);
  assert.ok(ok, 'the uprobe is attached');
  osys.type(`sysbench ${CALLS} ${PROCS}\n`);
  await osys.waitFor(`sysbench: ${PROCS} processes x ${CALLS} getpid() calls`, 180000);
  const list = await request('vTList');
  const item = list.slice(1).split(';').find((i) => i.startsWith(`${ok[1]},uprobe,`));
  assert.ok(item, list);
  assert.equal(parseInt(item.split(',')[2], 16), PROCS * CALLS, `the uprobe's hits: ${item}`);
  assert.equal(await request(`vTDetach:${ok[1]}`), 'OK');
  osys.type('exit\n');
  assert.equal((await osys.waitExit(20000)).code, 0);
});

// Attach and detach, again and again, a kprobe (stepped: its slot is freed
// each time) and a uprobe that processes on every hart are hitting, two of
// each at one address (the second shares the first's break and slot): a
// detach returns only when no hart can be in the handler or the slot, so
// nothing crashes, no process is killed by a stray break, and the
// workload finishes.
test('2 harts: probes attached and detached 40 times while four processes hit them from both harts', { timeout: 300000 }, async (t) => {
  const { osys, request } = await session(t, 2);
  const dis = execFileSync('riscv64-unknown-elf-objdump', ['-d', '--no-show-raw-insn', KERNEL], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const body = dis.slice(dis.indexOf('<sys_getpid>:')).split('\n\n')[0].split('\n').slice(1)
    .map((l) => l.match(/^\s*([0-9a-f]+):\s+(\S+)/)).filter(Boolean).map((m) => ({ addr: m[1], op: m[2] }));
  // A store or load: really stepped (register-only adds and moves are
  // simulated since issue 21, with no slot to free).
  const stepped = body.find((i) => ['sd', 'ld'].includes(i.op));
  const ustub = userSymbol('sysbench', 'getpid').toString(16);
  osys.type(`sysbench ${CALLS * 20} ${PROCS}\n`);
  let rounds = 0;
  const done = `sysbench: ${PROCS} processes x ${CALLS * 20} getpid() calls`;
  while (rounds < 40 && !osys.output().includes(done)) {
    const k = (await request(`vTR${stepped.addr}`)).match(/^OK([0-9a-f]+)$/);
    const u = (await request(`vTUsysbench:${ustub}`)).match(/^OK([0-9a-f]+)$/);
    // A second probe at each address (they share its break and slot): the
    // first, whose slot it is, goes while the harts still step the second's.
    const k2 = (await request(`vTR${stepped.addr}`)).match(/^OK([0-9a-f]+)$/);
    const u2 = (await request(`vTUsysbench:${ustub}`)).match(/^OK([0-9a-f]+)$/);
    assert.ok(k && u && k2 && u2, 'attached, two at each address');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await request(`vTDetach:${k[1]}`), 'OK');
    assert.equal(await request(`vTDetach:${u[1]}`), 'OK');
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(await request(`vTDetach:${k2[1]}`), 'OK');
    assert.equal(await request(`vTDetach:${u2[1]}`), 'OK');
    rounds++;
  }
  await osys.waitFor(done, 240000);
  console.log(`# ${rounds} attach/detach rounds while the workload ran`);
  assert.ok(rounds >= 5, 'the probes came and went while the processes ran');
  assert.doesNotMatch(osys.output(), /killed|panic/, 'no process killed, no panic');
  assert.equal(await request('vTList'), 'l', 'nothing left attached');
  osys.type('exit\n');
  assert.equal((await osys.waitExit(20000)).code, 0);
});

// The usual programs and the in-kernel tests on 1 and on 4 harts.
for (const smp of [1, 4]) {
  test(`${smp} hart(s): ktest, selftest, forktest, twins`, { timeout: 240000 }, async () => {
    const os1 = bootOS({ smp, append: 'ktest run=selftest,forktest,twins' });
    try {
      const { code } = await os1.waitExit(200000);
      const out = os1.output();
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(`\\[kernel\\] ${smp} harts? running`));
      const k = out.match(/^ktest: (\d+) passed, (\d+) failed$/m);
      assert.ok(k, `no ktest summary in\n${out}`);
      assert.equal(Number(k[2]), 0, out);
      const st = out.match(/^selftest: (\d+) passed, (\d+) failed$/m);
      assert.ok(st, out);
      assert.equal(Number(st[2]), 0, out);
      assert.ok(out.includes('forktest: OK'), out);
      const twins = [...out.matchAll(/^twins: (child|parent) done, total (\d+)$/gm)];
      assert.equal(twins.length, 2, out);
      let expect = 0; // user/twins.c's loop, done here
      for (let i = 0; i < 3000000; i++) expect += (i % 7) - (i % 3);
      for (const m of twins) assert.equal(Number(m[2]), expect, `${m[1]}'s registers stayed its own`);
    } finally {
      os1.stop();
    }
  });
}

