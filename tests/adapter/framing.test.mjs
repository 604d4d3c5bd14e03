// The DAP base protocol's framing under bad input (issue 12, defect 5): one
// malformed message must cost nothing after it.  Each case sends a bad frame,
// then a valid request; the valid one must be answered, and the bad one
// reported (an output event of category "important").  Then a bounded fuzzer
// mutates and splits valid frames at random (seeded, so a failure can be
// replayed with OSDBG_FUZZ_SEED) and checks after each that the adapter still
// answers.  No launch: no QEMU or GDB is started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { rawAdapter, frame, OSDBG } from './rawdap.mjs';

const request = (seq, command, args) => JSON.stringify({ seq, type: 'request', command, ...(args ? { arguments: args } : {}) });

/* The raw adapter, with the reports of malformed input. */
function adapter(t) {
  const a = rawAdapter(t);
  const reports = () => a.msgs.filter((m) => m.type === 'event' && m.event === 'output' && m.body.category === 'important' &&
    /malformed DAP input/.test(m.body.output));
  return { ...a, answered: (seq, ms = 5000) => a.answered(seq, `request ${seq}`, ms), reports };
}

const bad = {
  'a negative Content-Length': 'Content-Length: -5\r\n\r\n{"x":1}',
  'a non-numeric Content-Length': 'Content-Length: twelve\r\n\r\n{"seq":7}',
  'a hex Content-Length': 'Content-Length: 0x10\r\n\r\n{"seq":1,"x":22}',
  'a Content-Length of 2^64': 'Content-Length: 18446744073709551616\r\n\r\n{}',
  'a Content-Length with trailing junk': 'Content-Length: 12abc\r\n\r\n{"seq":1234}',
  'no Content-Length': 'Content-Type: application/json\r\n\r\n{}',
  'an empty Content-Length': 'Content-Length: \r\n\r\n{}',
  'a NUL byte in the header': 'Content-Length: 1\u00000\r\n\r\n{"seq":9}',
  'a line that is not a field': 'Content-Length: 2\r\nhello\r\n\r\n{}',
  'bytes between messages': 'garbage that is not a header',
  'a body shorter than declared': 'Content-Length: 500\r\n\r\n{"seq":1,"type":"request","command":"threads"}',
  'a body far shorter than declared': 'Content-Length: 900000\r\n\r\n{}',
};

test('each malformed frame is reported and the next request is still answered', { timeout: 60000 }, async (t) => {
  const a = adapter(t);
  let seq = 100;
  await a.write(frame(request(seq, 'initialize', { adapterID: 'osdbg' })));
  await a.answered(seq);
  for (const [what, bytes] of Object.entries(bad)) {
    const before = a.reports().length;
    seq++;
    await a.write(Buffer.concat([Buffer.from(bytes, 'latin1'), frame(request(seq, 'threads'))]));
    const r = await a.answered(seq).catch((e) => assert.fail(`after ${what}: ${e.message}`));
    assert.equal(r.command, 'threads', what);
    assert.ok(a.reports().length > before, `${what} is reported to the user`);
  }
  // A header split across writes, byte by byte, is not an error.
  const before = a.reports().length;
  seq++;
  for (const b of frame(request(seq, 'threads'))) await a.write(Buffer.from([b]));
  await a.answered(seq);
  assert.equal(a.reports().length, before, 'a frame that arrives a byte at a time is fine');
  // "Content-Type" before "Content-Length" is a valid header.
  seq++;
  const body = request(seq, 'threads');
  await a.write(Buffer.from(`Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
  await a.answered(seq);
  assert.equal(a.reports().length, before, 'Content-Type first is fine');
});

/* mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('framing fuzzer: mutated and split frames never stop the adapter from answering', { timeout: 120000 }, async (t) => {
  const seed = Number(process.env.OSDBG_FUZZ_SEED ?? Date.now() % 1000000);
  const seconds = Number(process.env.OSDBG_FUZZ_SECS ?? 15);
  console.log(`# framing fuzzer: seed ${seed}, ${seconds} s (OSDBG_FUZZ_SEED=${seed} replays it)`);
  const r = rng(seed);
  const pick = (arr) => arr[Math.floor(r() * arr.length)];
  const a = adapter(t);
  const harmless = ['threads', 'initialize', 'evaluate', 'noSuchCommand', 'scopes', 'osdbg/traceList'];
  const alphabet = Buffer.from('0123456789-+xX :\r\n\u0000{}"Content-LengthType\u00ff', 'latin1');
  let seq = 1, cases = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    let bytes = frame(request(seq++, pick(harmless), { adapterID: 'osdbg', expression: '1' }));
    const mutations = 1 + Math.floor(r() * 4);
    for (let m = 0; m < mutations; m++) {
      const at = Math.floor(r() * bytes.length);
      const kind = r();
      if (kind < 0.4) bytes[at] = pick([...alphabet]);
      else if (kind < 0.6) bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + Math.floor(r() * 8))]);
      else if (kind < 0.8) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([pick([...alphabet]), Math.floor(r() * 256)]), bytes.subarray(at)]);
      else bytes = Buffer.concat([bytes, Buffer.from(`Content-Length: ${Math.floor(r() * 100)}\r\n\r\n`)]);
    }
    // then a valid request, all sent in random pieces
    // The valid request's seq is far from the mutated ones': a mutated digit
    // must not give a mutated request the same seq (both would be answered).
    const sentinel = 1000000000 + cases;
    const all = Buffer.concat([bytes, frame(request(sentinel, 'threads'))]);
    for (let off = 0; off < all.length;) {
      const n = 1 + Math.floor(r() * 64);
      await a.write(all.subarray(off, off + n));
      off += n;
    }
    await a.answered(sentinel).catch((e) => assert.fail(`seed ${seed}, case ${cases}: ${e.message}\nframe: ${JSON.stringify(bytes.toString('latin1'))}`));
    cases++;
  }
  console.log(`# framing fuzzer: ${cases} mutated frames, each followed by a request that was answered`);
  assert.ok(cases > 100, 'the fuzzer ran');
});

// osdbg dap --socket PATH: the server mode only this user can reach (a
// client owns an adapter that runs programs): the socket is mode 0600, and
// it serves DAP to one client.
test('dap --socket: a Unix socket of mode 0600 that serves one client', { timeout: 30000 }, async (t) => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const net = await import('node:net');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-dapsock-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, 'dap.sock');
  const p = spawn(OSDBG, ['dap', '--socket', sock], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => p.kill('SIGKILL'));
  const end = Date.now() + 10000;
  while (!fs.existsSync(sock) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.equal(fs.statSync(sock).mode & 0o777, 0o600, 'only this user may connect');
  const c = net.createConnection(sock);
  t.after(() => c.destroy());
  let got = '';
  c.on('data', (d) => { got += d; });
  await new Promise((r) => c.on('connect', r));
  c.write(frame(request(1, 'initialize', { adapterID: 'osdbg' })));
  const until = Date.now() + 10000;
  while (!got.includes('"request_seq":1') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.match(got, /"command":"initialize"/);
  assert.match(got, /"success":true/);
});
