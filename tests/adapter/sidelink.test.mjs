// The host's end of the side-stub link (adapter/side/sideclient.c) against
// a side-stub that answers late, as a kernel on a loaded machine does: a
// connection that gave up waiting for qSupported's reply is closed, and
// the kernel still answers that request, to whoever is connected then.
// The next connection must not take that reply for the answer to a later
// request: every reply after it would be one behind (seen in the dap
// suite under load: an object upload "refused" with the qSupported reply,
// the next one with the upload's "OK", and so on).
//
// A fake side-stub on a Unix socket plays the kernel: GDB RSP framing
// (docs/side-stub-protocol.md), written here from the protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BUILD } from '../kernel/qemu.mjs';

const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const SUPPORTED = 'PacketSize=1000;osdbg-trace+;osdbg-events=1';
const frame = (payload) => {
  let sum = 0;
  for (const c of Buffer.from(payload, 'latin1')) sum = (sum + c) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
};

// The fake: each request is acked and handed to answer(payload, sock),
// which writes the replies it wants.
function fakeStub(sockPath, answer) {
  const server = net.createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let m; (m = /\$([^#]*)#[0-9a-f]{2}/.exec(buf));) {
        buf = buf.slice(m.index + m[0].length);
        s.write('+');
        answer(m[1], s);
      }
    });
    s.on('error', () => {});
  });
  server.listen(sockPath);
  return server;
}

function trace(sockPath) {
  return new Promise((resolve) => {
    const p = spawn(OSDBG, ['trace', '--socket', sockPath, '--duration', '1', 'kprobe', '0x80200000'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => resolve({ code, out }));
  });
}

test('a qSupported reply owed to a connection that gave up is not taken for the next connection\'s later reply', { timeout: 60000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-sidelink-'));
  const sock = path.join(dir, 'side.sock');
  let connection = 0, owed = false;
  const seen = [];
  const server = fakeStub(sock, (req, s) => {
    seen.push(`${connection}:${req}`);
    if (req.startsWith('qSupported')) {
      if (connection === 1) {
        owed = true; // too slow: the reply comes once somebody listens again
        return;
      }
      if (owed) s.write(frame(SUPPORTED)); // the first connection's, at last
      owed = false;
      s.write(frame(SUPPORTED));
    } else if (req.startsWith('vTR')) {
      s.write(frame('OK1'));
    } else if (req.startsWith('vTDetach')) {
      s.write(frame('OK'));
    } else {
      s.write(frame(''));
    }
  });
  server.on('connection', () => { connection++; });
  t.after(() => { server.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  const first = await trace(sock);
  assert.notEqual(first.code, 0, 'the first connection gets no reply');
  assert.match(first.out, /does not answer/, first.out);
  const second = await trace(sock);
  assert.equal(second.code, 0, second.out);
  assert.match(second.out, /osdbg trace: probe 1: /, 'vTR\'s own reply, OK1, attached the probe');
  assert.ok(seen.includes('2:vTDetach:1'), `the probe detached at the end: ${seen}`);
});
