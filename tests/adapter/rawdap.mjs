// `osdbg dap` on pipes, driven byte by byte (for what a DAP client library
// would never send: malformed frames, requests after faults), with its
// messages parsed as they come.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BUILD } from '../kernel/qemu.mjs';

export const OSDBG = path.join(BUILD, 'bin', 'osdbg');

/* A DAP frame of a body (a string). */
export const frame = (body) => Buffer.concat([Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`), Buffer.from(body)]);

/* The adapter, stopped (SIGKILL) when the test ends. */
export function rawAdapter(t) {
  const p = spawn(OSDBG, ['dap'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => p.kill('SIGKILL'));
  p.stdin.on('error', () => {});
  const msgs = [];
  let buf = Buffer.alloc(0);
  let exited = null;
  p.on('exit', (code, sig) => { exited = { code, sig }; });
  p.stdout.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const m = buf.toString('latin1').match(/^Content-Length: (\d+)\r\n\r\n/);
      if (!m || buf.length < m[0].length + Number(m[1])) break;
      msgs.push(JSON.parse(buf.subarray(m[0].length, m[0].length + Number(m[1])).toString('utf8')));
      buf = buf.subarray(m[0].length + Number(m[1]));
    }
  });
  let seq = 1;
  /* Bytes as they are. */
  const write = (b) => new Promise((r) => p.stdin.write(b, r));
  /* A request; returns its seq. */
  const send = (command, args = {}) => {
    const s = seq++;
    p.stdin.write(frame(JSON.stringify({ seq: s, type: 'request', command, arguments: args })));
    return s;
  };
  const responses = (s) => msgs.filter((m) => m.type === 'response' && m.request_seq === s);
  /* The one response to request s, within ms. */
  const answered = async (s, what = `request ${s}`, ms = 20000) => {
    const end = Date.now() + ms;
    while (!responses(s).length && !exited && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    assert.equal(responses(s).length, 1, `${what}: one response within ${ms / 1000} s` +
      `${exited ? ` (the adapter exited: ${JSON.stringify(exited)})` : ''}; last messages ${JSON.stringify(msgs.slice(-5))}`);
    return responses(s)[0];
  };
  const event = async (name, ms = 20000) => {
    const end = Date.now() + ms;
    while (!msgs.some((m) => m.type === 'event' && m.event === name) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.ok(msgs.some((m) => m.type === 'event' && m.event === name), `event ${name}`);
  };
  return { p, msgs, write, send, answered, event };
}
