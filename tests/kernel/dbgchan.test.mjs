// The debug channel (kernel/virtio_console.c): a virtio console on a
// virtio-mmio slot, wired to a host Unix socket.  With the boot argument
// dbgchan=echo the kernel sends back every byte it receives, so what we
// write to the socket must come back unchanged, on both virtio-mmio
// transports.  Without the device the kernel must boot exactly as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runOS, programLines } from './qemu.mjs';
import { dbgchanArgs, connect, readBytes, echoes, withEchoChannel, BOOT_LINE, MODERN } from './dbgchan_socket.mjs';

for (const { name, console, port } of [
  { name: 'serial port (MULTIPORT, port 1)', console: false, port: '1' },
  { name: 'console port (port 0)', console: true, port: '0' },
]) {
  test(`${name}, legacy transport (QEMU default): echoes 3 KiB written to the socket`, { timeout: 30000 }, async () => {
    await withEchoChannel([], async (s, match) => {
      assert.equal(match[2], 'legacy');
      // One -device: QEMU fills the virtio-mmio slots from the top.
      assert.equal(match[1], '7');
      assert.equal(match[3], port);
      await echoes(s);
      // The channel keeps working after the first burst (buffers re-posted).
      await echoes(s);
    }, { console });
  });

  test(`${name}, modern transport (force-legacy=false): echoes 3 KiB written to the socket`, { timeout: 30000 }, async () => {
    await withEchoChannel(MODERN, async (s, match) => {
      assert.equal(match[2], 'modern');
      assert.equal(match[3], port);
      await echoes(s);
      await echoes(s);
    }, { console });
  });
}

test('a console port and the serial port on one device: the serial port is the channel', { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-dbgchan-'));
  const other = path.join(dir, 'console.sock');
  const extra = ['-chardev', `socket,id=con0,path=${other},server=on,wait=off`, '-device', 'virtconsole,chardev=con0'];
  try {
    await withEchoChannel(extra, async (s, match) => {
      assert.equal(match[3], '1');
      assert.match(match[0], /org\.osdbg\.side/, 'the port\'s name, from VIRTIO_CONSOLE_PORT_NAME');
      await echoes(s);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bytes sent before the driver is up are echoed once it is', { timeout: 30000 }, async () => {
  const early = Buffer.from('sent while the kernel was still booting\n');
  let back;
  await withEchoChannel([], async (s) => {
    assert.ok((await back).equals(early));
    await echoes(s);
  }, {
    beforeBoot: (s) => {
      back = readBytes(s, early.length, 20000);
      s.write(early);
    },
  });
});

test('with the device but no client, programs run and QEMU powers off', { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-dbgchan-'));
  try {
    const { code, out } = await runOS('dbgchan=echo run=hello', 20000, dbgchanArgs(path.join(dir, 'dbg.sock')));
    assert.match(out, BOOT_LINE);
    assert.equal(code, 0);
    assert.deepEqual(programLines(out), ['Hello, world! (pid 2)', 'init: all programs done, powering off']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without the device: prints "debug channel: none" and runs init', { timeout: 30000 }, async () => {
  const { code, out } = await runOS('dbgchan=echo run=hello', 20000);
  assert.match(out, /\[kernel\] debug channel: none\n/);
  assert.equal(code, 0);
  assert.deepEqual(programLines(out), ['Hello, world! (pid 2)', 'init: all programs done, powering off']);
});
