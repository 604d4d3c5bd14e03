// The host end of the side-stub for tests (docs/side-stub-protocol.md):
// QEMU's debug channel arguments, GDB remote protocol framing (checksum =
// sum of the payload bytes modulo 256, '}' escapes), a parser that splits
// the byte stream into acks and frames, and a session that sends requests
// and acknowledges replies.  Used by the Rust kernel's side-stub test
// (rsidestub.test.mjs).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bootOS } from './qemu.mjs';

// The debug channel as osdbg starts it: a virtio-serial port (flow
// controlled), or with console: true the console port.
export const sideChannel = (sock, { console = false } = {}) => ['-device', 'virtio-serial-device',
  '-chardev', `socket,id=side,path=${sock},server=on,wait=off`,
  '-device', console ? 'virtconsole,chardev=side' : 'virtserialport,chardev=side,nr=1,name=org.osdbg.side'];

const hex2 = (n) => n.toString(16).padStart(2, '0');

export const frame = (start, payload) => {
  const esc = [];
  for (const b of Buffer.from(payload, 'latin1')) {
    if ([0x23, 0x24, 0x7d, 0x2a, 0x25].includes(b)) esc.push(0x7d, b ^ 0x20);
    else esc.push(b);
  }
  const sum = esc.reduce((a, b) => (a + b) & 0xff, 0);
  return Buffer.concat([Buffer.from(start), Buffer.from(esc), Buffer.from(`#${hex2(sum)}`)]);
};

// items: { ack: '+' | '-' } or { start: '$' | '%', ok (checksum), payload }.
export function parser() {
  let buf = Buffer.alloc(0);
  const items = [];
  return {
    items,
    feed(d) {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!buf.length) return;
        const c = String.fromCharCode(buf[0]);
        if (c === '+' || c === '-') { items.push({ ack: c }); buf = buf.subarray(1); continue; }
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

// A '%vTE:<probe>,<seq>,<time>,<hart>,<pid>,<comm>;<type><data>' event.
export function parseEvent(item) {
  const sep = item.payload.indexOf(0x3b); // ';'
  const [probe, seq, , , pid, comm] = item.payload.subarray(4, sep).toString('latin1').split(',');
  const data = item.payload.subarray(sep + 2);
  return { ok: item.ok, probe: parseInt(probe, 16), seq: parseInt(seq, 16), pid: parseInt(pid, 16), comm,
    type: String.fromCharCode(item.payload[sep + 1]), pc: data.length >= 8 ? data.readBigUInt64LE(0) : undefined,
    len: data.length };
}

// The OS booted with the debug channel on a fresh socket, waiting for
// `ready` on its console, and a connection to its side-stub:
// request(payload) -> reply payload (acknowledged), events() parsed.
export async function sideSession(t, { ready, kernel, append, channel = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-side-'));
  const sock = path.join(dir, 'side.sock');
  const osys = bootOS({ kernel, append, args: sideChannel(sock, channel) });
  t.after(() => { osys.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
  await osys.waitFor(ready);
  const p = parser();
  const s = net.createConnection(sock);
  t.after(() => s.destroy());
  s.on('data', (d) => p.feed(d));
  await new Promise((r) => s.on('connect', r));
  const replies = () => p.items.filter((i) => i.start === '$');
  const request = async (payload) => {
    const before = replies().length;
    s.write(frame('$', payload));
    const deadline = Date.now() + 10000;
    while (replies().length <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(replies().length > before, `no reply to ${payload} in 10 s; last: ${JSON.stringify(
      p.items.slice(-8).map((i) => i.ack || `${i.start}${i.payload.toString('latin1').slice(0, 60)}`))}\n` +
      `console: ${osys.output().slice(-1500)}`);
    s.write('+');
    return replies()[before].payload.toString('latin1');
  };
  const events = () => p.items.filter((i) => i.start === '%').map(parseEvent);
  return { osys, p, s, request, events };
}
