// The host end of the debug channel for tests (docs/dbgchan.md): QEMU's
// device arguments with the chardev on a Unix socket, connecting to it, and
// echo checks.  Shared by the C kernel's test (dbgchan.test.mjs) and the
// Rust kernel's (rdbgchan.test.mjs).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bootOS, KERNEL } from './qemu.mjs';

// The line both kernels print once the channel is up: slot, transport,
// port, and what follows (the Rust kernel names its driver's mode).
export const BOOT_LINE = /\[kernel\] debug channel: virtio console at slot (\d) \((legacy|modern)\), port (\d)([^\n]*)\n/;
// QEMU's virtio-mmio in its modern transport (virtio 1.x, 4.2.2) instead of
// the legacy one it picks by default.
export const MODERN = ['-global', 'virtio-mmio.force-legacy=false'];

// The channel as osdbg starts it, a serial port (port 1, reached through
// MULTIPORT's control queues); with console: true the console port 0 that a
// driver without MULTIPORT would use.
export function dbgchanArgs(sock, { console = false } = {}) {
  return ['-device', 'virtio-serial-device',
    '-chardev', `socket,id=dbg,path=${sock},server=on,wait=off`,
    '-device', console ? 'virtconsole,chardev=dbg' : 'virtserialport,chardev=dbg,nr=1,name=org.osdbg.side'];
}

// 3 KiB covering every byte value, in an order that is not a simple cycle,
// so a dropped, repeated or reordered buffer shows up.
export function testData(n = 3072) {
  const b = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = i < 256 ? i : x >>> 24;
  }
  return b;
}

// Connect to QEMU's listening socket, retrying while QEMU creates it.
export async function connect(sock, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise((ok, fail) => {
        const s = net.createConnection(sock);
        s.once('connect', () => { s.removeAllListeners('error'); ok(s); });
        s.once('error', fail);
      });
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`cannot connect to ${sock}: ${e.message}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

// Resolve with the first n bytes read from s (rejects after timeoutMs with
// how far it got).
export function readBytes(s, n, timeoutMs = 10000) {
  return new Promise((ok, fail) => {
    const chunks = [];
    let got = 0;
    const done = (err) => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      if (err) fail(err); else ok(Buffer.concat(chunks).subarray(0, n));
    };
    const onData = (d) => { chunks.push(d); got += d.length; if (got >= n) done(); };
    const onClose = () => done(new Error(`socket closed after ${got} of ${n} bytes`));
    const timer = setTimeout(() => done(new Error(`only ${got} of ${n} bytes came back in ${timeoutMs} ms`)), timeoutMs);
    s.on('data', onData);
    s.on('close', onClose);
  });
}

// Write data in several pieces of uneven size, with short pauses, so the
// guest sees both single small buffers and bursts filling many buffers.
export async function writeInPieces(s, data) {
  const sizes = [1, 7, 300, 1024, 13, 700];
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length], data.length - off);
    s.write(data.subarray(off, off + n));
    off += n;
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Write 3 KiB to a kernel in echo mode and check the same bytes come back.
export async function echoes(s) {
  const data = testData();
  const back = readBytes(s, data.length);
  await writeInPieces(s, data);
  const got = await back;
  assert.equal(got.length, data.length);
  assert.ok(got.equals(data), `echoed bytes differ from sent bytes (first difference at ${got.findIndex((b, i) => b !== data[i])})`);
}

// Boot kernel with the device and dbgchan=echo (no run=: the shell waits
// for input, the kernel keeps polling); run fn(socket, match, vm), match
// being the kernel's BOOT_LINE, and clean up.  With beforeBoot, connect as
// soon as QEMU listens and call beforeBoot(s) before waiting for the boot
// line.
export async function withEchoChannel(extraArgs, fn, { beforeBoot = null, console = false, kernel = KERNEL } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-dbgchan-'));
  const sock = path.join(dir, 'dbg.sock');
  const vm = bootOS({ kernel, append: 'dbgchan=echo', args: [...dbgchanArgs(sock, { console }), ...extraArgs] });
  let s;
  try {
    if (beforeBoot) {
      s = await connect(sock);
      await beforeBoot(s);
    }
    const { match } = await vm.waitFor(BOOT_LINE, 20000);
    if (!s) s = await connect(sock);
    await fn(s, match, vm);
  } finally {
    if (s) s.destroy();
    vm.stop();
    await vm.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
