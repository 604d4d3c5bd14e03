// Nothing the host can send through the side-stub hurts the Rust kernel
// (rkernel/, issue 19): every function of its ELF either takes a kprobe and
// then a kretprobe, is hit while the OS forks, execs, reads, writes, faults
// and runs bpf(), and detaches; or is refused, for one of the reasons
// docs/rust-kernel.md lists ("What cannot be probed").  The same for
// uprobes and uretprobes on every function of a Rust program, and bad
// requests (an address inside an instruction, outside any function, in user
// space, an unknown program, an oversized upload, garbage bytes) answered
// with an error.  The C kernel's counterparts are in sidestub.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RKERNEL } from './qemu.mjs';
import { sideSession } from './sidestub_client.mjs';

const USER = path.join(path.dirname(RKERNEL), 'user');

// A copy of the kernel for the test's nm and its QEMU alike: a rebuild
// in the shared build folder while it runs must not move the code under
// the addresses the test took.
function kernelCopy(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-rk-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const elf = path.join(dir, 'rkernel.elf');
  fs.copyFileSync(RKERNEL, elf);
  return elf;
}

// The instructions from addr on (objdump): address and length in bytes.
function insnsAt(elf, addr, bytes = 64n) {
  const dis = execFileSync('riscv64-unknown-elf-objdump', ['-d', `--start-address=0x${addr.toString(16)}`,
    `--stop-address=0x${(addr + bytes).toString(16)}`, elf], { encoding: 'utf8' });
  return dis.split('\n').map((l) => l.match(/^\s*([0-9a-f]+):\s+([0-9a-f]+)\s/)).filter(Boolean)
    .map((m) => ({ addr: BigInt(`0x${m[1]}`), len: m[2].length / 2 }));
}

// Text symbols of an ELF by address (nm -n -C: demangled, hash dropped),
// the names sharing an address together.
function textSymbols(elf) {
  const byAddr = new Map();
  for (const l of execFileSync('riscv64-unknown-elf-nm', ['-n', '-C', elf], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n')) {
    const f = l.split(' ');
    if (f.length < 3 || !/^[tT]$/.test(f[1])) continue;
    const addr = BigInt(`0x${f[0]}`);
    if (!byAddr.has(addr)) byAddr.set(addr, []);
    byAddr.get(addr).push(f.slice(2).join(' '));
  }
  return byAddr;
}

// Markers the linker script defines (rkernel/src/linker.ld), not functions.
const LINKER_MARKS = new Set(['skernel', 'stext', 'strampoline', 'noprobe_start', 'noprobe_end']);

// What the kernel must refuse, worked out from the ELF alone: the boot
// entry (.text.entry, before the trampoline), the trampoline page, the
// no-probe range the linker script gathers, and Rust
// library code (core, alloc, spin, compiler_builtins, lazy_static...: a
// demangled path not under os::), which the port itself runs on every hit.
function kernelFunctions(elf) {
  const syms = textSymbols(elf);
  const mark = (name) => [...syms].find(([, names]) => names.includes(name))[0];
  const tramp = mark('strampoline');
  const [from, to] = [mark('noprobe_start'), mark('noprobe_end')];
  const fns = [];
  for (const [addr, all] of syms) {
    const names = all.filter((n) => !LINKER_MARKS.has(n));
    if (!names.length) continue;
    const name = names[0];
    let expect = 'probeable';
    if (addr < tramp) expect = 'the boot entry';
    else if (addr >= tramp && addr < tramp + 4096n) expect = 'the trampoline';
    else if (addr >= from && addr < to) expect = 'the no-probe range';
    else if (names.every((n) => n.includes('::') && !/^<?os::/.test(n))) expect = "Rust's libraries";
    fns.push({ name, addr, expect });
  }
  return fns;
}

/* Compile tests/kernel/bpf/<name>.bpf.c with clang -target bpf. */
function buildObject(t, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-obj-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const objPath = path.join(dir, `${name}.bpf.o`);
  const here = path.dirname(new URL(import.meta.url).pathname);
  const multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c',
    path.join(here, 'bpf', `${name}.bpf.c`), '-o', objPath]);
  return fs.readFileSync(objPath);
}

/* vTObjNew + vTObjData chunks of raw bytes, the last one short. */
async function upload(request, obj) {
  const created = (await request(`vTObjNew:${obj.length.toString(16)}`)).match(/^OK([0-9a-f]+)$/);
  assert.ok(created, 'an object id');
  for (let off = 0; off < obj.length; off += 1000) {
    const chunk = obj.subarray(off, Math.min(off + 1000, obj.length));
    assert.equal(await request(`vTObjData:${created[1]},${off.toString(16)}:` + chunk.toString('latin1')), 'OK');
  }
  return created[1];
}

// Waits for the n-th match of re in the console output.
const nth = async (osys, re, n, ms = 60000) => {
  const deadline = Date.now() + ms;
  const count = () => (osys.output().match(new RegExp(re.source, 'g')) || []).length;
  while (count() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(count() >= n, `${re} ${n} times\n${osys.output().slice(-3000)}`);
};

// The kernel's work while probes sit everywhere: fork and wait, exec,
// console writes and reads (the shell), Rust formatting, faults that kill a
// program, bad system calls, and bpf() (maps, programs, descriptors).
function workload(osys) {
  let runs = 0;
  return async () => {
    runs++;
    osys.type('forktest\r');
    await nth(osys, /forktest: all 3 children done \(exit codes sum 30\)/, runs);
    osys.type('rfib\r');
    await nth(osys, /rfib: fib\(10\) = 89/, runs);
    osys.type('badcalls\r');
    await nth(osys, /badcalls: done/, runs);
    osys.type('bpfdemo\r');
    await nth(osys, /bpfdemo: \d+ passed, 0 failed/, runs);
    osys.type('hello\r');
    await nth(osys, /Hello, world!/, runs);
    await nth(osys, /\n>> /, 5 * runs + 1);
  };
}

const batches = (fns, n) => Array.from({ length: Math.ceil(fns.length / n) }, (_, i) => fns.slice(i * n, i * n + n));

test('Rust kernel: every function of its ELF takes a kprobe, then a kretprobe, while the OS works, or is refused for a listed reason', { timeout: 900000 }, async (t) => {
  const kernel = kernelCopy(t);
  const fns = kernelFunctions(kernel);
  const probeable = fns.filter((f) => f.expect === 'probeable');
  assert.ok(probeable.length > 150, `${probeable.length} probeable functions of ${fns.length}`);
  const obj = buildObject(t, 'porthelpers');
  const { osys, p, request: send } = await sideSession(t, { kernel, ready: '>> ' });
  const log = [];
  const request = async (x) => { const r = await send(x); log.push(`${x.slice(0, 30)} -> ${r.slice(0, 60)}`); return r; };
  const oid = await upload(request, obj);
  const work = workload(osys);

  // Every function the kernel must refuse is refused (E05), or, for an
  // assembly label its symbol table does not know, not found (E02).
  const refusedBy = {};
  for (const f of fns.filter((x) => x.expect !== 'probeable')) {
    const r = await request(`vTR${f.addr.toString(16)}`);
    assert.match(r, /^E0[25]$/, `kprobe ${f.name} (${f.expect}) must be refused`);
    refusedBy[f.expect] = (refusedBy[f.expect] || 0) + 1;
  }
  assert.equal(await request('vTList'), 'l', 'no refused probe was attached');

  // Kprobes running the same program at every entry, 10 at a time (each
  // attachment loads the program again: the kernel has room for 36).  Not
  // the registers program (vTR, rsidestub.test.mjs): a register event per
  // hit on the hottest functions fills the event ring, and a reply queued
  // behind it waits longer than the link's half-second retransmission.
  const wrong = [];
  let entries = 0n;
  for (const batch of batches(probeable, 10)) {
    const ids = [];
    for (const f of batch) {
      const r = await request(`vTAttach:${oid},kprobe,touch_port,${f.addr.toString(16)}`);
      if (r.startsWith('OK')) ids.push(r.slice(2));
      else wrong.push(`kprobe ${f.name}: ${r}`);
    }
    await work();
    if (ids.length) {
      const m = (await request(`vTMap:${ids[0]}`)).match(/^l00000000=([0-9a-f]{16})$/);
      assert.ok(m, 'the program\'s map');
      entries += Buffer.from(m[1], 'hex').readBigUInt64LE(0);
    }
    const listed = await request('vTList');
    for (const id of ids) {
      assert.equal(await request(`vTDetach:${id}`), 'OK',
        `detach kprobe ${id} of [${ids}] on ${batch.map((f) => f.name).join(', ')}; listed: ${listed}\n` +
        `${log.slice(-40).join('\n')}\n${await send('vTStat')}`);
    }
  }
  let returns = 0n;
  // Kretprobes of one uploaded program that calls every helper reaching
  // the port, 10 at a time (each attachment loads the program again: the
  // kernel has room for 36 programs).
  for (const batch of batches(probeable, 10)) {
    const ids = [];
    for (const f of batch) {
      const r = await request(`vTAttach:${oid},kretprobe,touch_port,${f.addr.toString(16)}`);
      if (r.startsWith('OK')) ids.push(r.slice(2));
      else wrong.push(`kretprobe ${f.name}: ${r}`);
    }
    const listed = await request('vTList');
    await work();
    // The batch's programs share one map (key 0: returns seen).
    if (ids.length) {
      const m = (await request(`vTMap:${ids[0]}`)).match(/^l00000000=([0-9a-f]{16})$/);
      assert.ok(m, 'the returns map');
      returns += Buffer.from(m[1], 'hex').readBigUInt64LE(0);
    }
    for (const id of ids) {
      assert.equal(await request(`vTDetach:${id}`), 'OK',
        `detach kretprobe ${id} of [${ids}] on ${batch.map((f) => f.name).join(', ')}; listed: ${listed}\n` +
        `${log.slice(-40).join('\n')}\n${await send('vTStat')}`);
    }
  }
  console.log(`# ${fns.length} functions in the ELF: ${probeable.length} probeable, each with a kprobe and a kretprobe ` +
    `(${2 * probeable.length - wrong.length} attached, ${entries} entries, ${returns} returns seen); refused: ` +
    `${Object.entries(refusedBy).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  assert.ok(entries > 0n && returns > 0n, 'the probes were hit');
  assert.deepEqual(wrong, [], 'every probeable function takes both probes');
  assert.equal(await request('vTList'), 'l', 'all detached');
  const out = osys.output();
  assert.doesNotMatch(out, /panicked/);
  // badcalls' own ebreak is the only break nobody takes, once a run.
  assert.equal((out.match(/no probe there; killed/g) || []).length, (out.match(/badcalls: done/g) || []).length,
    'no break of a probe was left behind');
  // The OS is as it was: a last run with no probe at all.
  const hitsBefore = p.items.filter((i) => i.start === '%').length;
  await work();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(p.items.filter((i) => i.start === '%').length, hitsBefore, 'no events once detached');
  osys.type('exit\r');
  assert.equal((await osys.waitExit(20000)).code, 0);
});

test('Rust kernel: every function of forktest (Rust) takes a uprobe, then a uretprobe, in every process it forks; it still passes', { timeout: 600000 }, async (t) => {
  const prog = path.join(USER, 'forktest');
  const fns = [...textSymbols(prog)].map(([addr, names]) => ({ name: names[0], addr }));
  assert.ok(fns.length > 60, `${fns.length} functions`);
  const obj = buildObject(t, 'returns');
  const { osys, events, request } = await sideSession(t, { kernel: RKERNEL, ready: '>> ' });
  const oid = await upload(request, obj);
  let runs = 0;
  const work = async () => {
    runs++;
    osys.type('forktest\r');
    await nth(osys, /forktest: all 3 children done \(exit codes sum 30\)/, runs);
    await nth(osys, /\n>> /, runs + 1);
  };
  const refused = [];
  let returns = 0n;
  for (const kind of ['uprobe', 'uretprobe']) {
    // forktest runs in 4 processes at once, each with its own probes: 8
    // probes at a time fit the kernel's table of armed uprobes (64).
    for (const batch of batches(fns, 8)) {
      const ids = [];
      for (const f of batch) {
        const r = kind === 'uprobe' ? await request(`vTUforktest:${f.addr.toString(16)}`)
          : await request(`vTAttach:${oid},uretprobe,on_return,forktest:${f.addr.toString(16)}`);
        if (r.startsWith('OK')) ids.push(r.slice(2));
        else refused.push(`${kind} ${f.name}: ${r}`);
      }
      await work();
      if (kind === 'uretprobe' && ids.length) {
        const m = (await request(`vTMap:${ids[0]}`)).match(/^l00000000=([0-9a-f]{16})$/);
        assert.ok(m, 'the returns map');
        returns += Buffer.from(m[1], 'hex').readBigUInt64LE(0);
      }
      for (const id of ids) assert.equal(await request(`vTDetach:${id}`), 'OK', `detach ${id}`);
    }
  }
  const hits = events().filter((e) => e.comm === 'forktest').length;
  console.log(`# forktest: ${fns.length} functions, ${2 * fns.length - refused.length} probes attached, ` +
    `${hits} uprobe events, ${returns} returns; refused: ${refused.join('; ') || 'none'}`);
  const out = osys.output();
  assert.equal((out.match(/forktest: all 3 children done \(exit codes sum 30\)/g) || []).length, runs, out.slice(-3000));
  assert.doesNotMatch(out, /panicked|killed/);
  assert.deepEqual(refused, [], 'every function start of the program takes both probes');
  assert.ok(hits > 0 && returns > 0n, 'the probes were hit');
  osys.type('exit\r');
  assert.equal((await osys.waitExit(20000)).code, 0);
});

test('Rust kernel: bad requests from the host are answered with an error and the kernel keeps running', { timeout: 120000 }, async (t) => {
  const elf = kernelCopy(t);
  const { osys, p, s, request } = await sideSession(t, { kernel: elf, ready: '>> ' });
  const kernel = new Map([...textSymbols(elf)].flatMap(([a, names]) => names.map((n) => [n, a])));
  const write = kernel.get('os::syscall::fs::sys_write');
  const long = insnsAt(elf, write).find((i) => i.len === 4);
  assert.ok(long, 'sys_write has a 4-byte instruction');
  const helloMain = textSymbols(path.join(USER, 'hello'));
  const main = [...helloMain].find(([, names]) => names.includes('main'))[0];
  // Kernel addresses that are no function start.
  assert.equal(await request(`vTR${(write + 1n).toString(16)}`), 'E02', 'inside an instruction');
  assert.equal(await request(`vTR${(long.addr + 2n).toString(16)}`), 'E02', 'the middle of a 4-byte instruction');
  assert.equal(await request('vTR1234'), 'E02', 'no function there');
  assert.equal(await request(`vTR${main.toString(16)}`), 'E02', 'a user address');
  assert.equal(await request('vTR80000000'), 'E02', 'OpenSBI, below the kernel');
  assert.equal(await request('vTRffffffffffffffff'), 'E02', 'the top of the address space');
  assert.equal(await request('vTR0'), 'E02', 'address 0');
  const dataOf = (file) => BigInt(`0x${execFileSync('riscv64-unknown-elf-nm', [file], { encoding: 'utf8' })
    .split('\n').find((l) => / [bBdDrR] /.test(l)).split(' ')[0]}`);
  assert.equal(await request(`vTR${dataOf(elf).toString(16)}`), 'E02', 'kernel data, not code');
  assert.equal(await request('vTRxyz'), 'E02', 'not an address');
  assert.equal(await request('vTR11112222333344445'), 'E02', 'more than 16 digits');
  // Uprobes where there is no instruction of the program, or no program.
  assert.equal(await request(`vTUhello:${(main + 1n).toString(16)}`), 'E02', 'an odd address');
  assert.equal(await request('vTUhello:4000000'), 'E02', 'far past the program');
  assert.equal(await request(`vTUhello:${dataOf(path.join(USER, 'hello')).toString(16)}`), 'E02', 'data, not code');
  assert.equal(await request(`vTUhello:${write.toString(16)}`), 'E02', 'a kernel address');
  assert.equal(await request('vTUhello:0'), 'E02', 'address 0');
  assert.equal(await request(`vTUnosuchprogram:${main.toString(16)}`), 'E04', 'a program that does not exist');
  assert.equal(await request(`vTU${'x'.repeat(40)}:${main.toString(16)}`), 'E04', 'a name longer than any program');
  // Objects: too big, chunks out of range, unknown ids, garbage.
  assert.equal(await request('vTObjNew:10001'), 'E08', 'an object over 64 KiB');
  assert.equal(await request('vTObjNew:ffffffff'), 'E08', 'an object of 4 GiB');
  assert.equal(await request('vTObjNew:0'), 'E08', 'an empty object');
  const o = (await request('vTObjNew:100')).match(/^OK([0-9a-f]+)$/);
  assert.ok(o, 'a 256-byte object');
  assert.equal(await request(`vTObjData:${o[1]},ff:ab`), 'E08', 'a chunk past the end');
  assert.equal(await request(`vTObjData:${o[1]},ffffffff:ab`), 'E08', 'a chunk far past the end');
  assert.equal(await request(`vTAttach:${o[1]},kprobe,x,${write.toString(16)}`), 'E09', 'an object not all uploaded');
  assert.equal(await request(`vTObjData:${o[1]},0:${'\x7fELF'.padEnd(256, '\xff')}`), 'OK');
  assert.equal(await request(`vTAttach:${o[1]},kprobe,x,${write.toString(16)}`), 'E07', 'an object that is no ELF');
  assert.equal(await request(`vTAttach:${o[1]},nosuchkind,x,${write.toString(16)}`), 'E0a', 'an unknown probe kind');
  assert.equal(await request('vTObjData:7,0:ab'), 'E04', 'an object that does not exist');
  assert.equal(await request('vTAttach:7,kprobe,x,0'), 'E04');
  assert.equal(await request(`vTObjFree:${o[1]}`), 'OK');
  assert.equal(await request(`vTObjFree:${o[1]}`), 'E04', 'freed twice');
  assert.equal(await request('vTDetach:99'), 'E04', 'no such probe');
  assert.equal(await request('vTMap:99'), 'E04', 'no such probe\'s map');
  assert.equal(await request('qNoSuchThing'), '', 'an unknown packet gets the empty reply');
  // Garbage on the wire: a bad checksum is refused ('-'); bytes outside a
  // frame, a frame with no end, and one longer than PacketSize are dropped.
  const naks = () => p.items.filter((i) => i.ack === '-').length;
  const n0 = naks();
  s.write('$vTStat#00');
  for (let i = 0; i < 100 && naks() === n0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(naks(), n0 + 1, "a bad checksum gets '-'");
  const junk = Buffer.alloc(3000);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
  junk.forEach((b, i) => { if (b === 0x24 || b === 0x25) junk[i] = 0x21; }); // no frame starts: no stray reply
  s.write(junk);
  s.write(`$${'A'.repeat(9000)}#00`);
  s.write('$vTStat');  // no end: the next '$' starts over
  s.write('#zz');
  await new Promise((r) => setTimeout(r, 300));
  assert.match(await request('qSupported'), /osdbg-trace\+/, 'the side-stub answers after the garbage');
  assert.equal(await request('vTList'), 'l', 'nothing was attached');
  // The OS was not hurt: a program runs, a probe still works.
  const id = (await request(`vTR${write.toString(16)}`)).match(/^OK([0-9a-f]+)$/);
  assert.ok(id, 'a good kprobe after all that');
  osys.type('hello\r');
  await osys.waitFor(/Hello, world! \(pid \d+\)/);
  assert.equal(await request(`vTDetach:${id[1]}`), 'OK');
  assert.doesNotMatch(osys.output(), /panicked/);
  osys.type('exit\r');
  assert.equal((await osys.waitExit(10000)).code, 0);
});
