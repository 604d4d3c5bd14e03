// The Rust kernel's debug channel (rkernel/src/drivers/): its polled virtio
// console driver in the real QEMU, with the channel on a host Unix socket.
// With the boot argument dbgchan=echo the kernel sends back every byte it
// receives, so what we write must come back unchanged: on the serial port
// osdbg starts by default and on the console port of a profile's
// "debugChannel": "virtconsole", on both virtio-mmio transports.  Without
// the device the kernel boots and runs its programs as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runOS, RKERNEL } from './qemu.mjs';
import { dbgchanArgs, connect, readBytes, echoes, withEchoChannel as withEcho, BOOT_LINE, MODERN } from './dbgchan_socket.mjs';

const withEchoChannel = (extra, fn, opts = {}) => withEcho(extra, fn, { ...opts, kernel: RKERNEL });
const HELLO = /Hello, world! \(pid \d+\)\ninitproc: all programs done, powering off\n/;

for (const { name, console, port } of [
  { name: 'serial port (MULTIPORT, port 1)', console: false, port: '1' },
  { name: 'console port (port 0, "debugChannel": "virtconsole")', console: true, port: '0' },
]) {
  for (const { transport, args } of [{ transport: 'legacy', args: [] }, { transport: 'modern', args: MODERN }]) {
    test(`${name}, ${transport} transport: echoes 3 KiB written to the socket, twice`, { timeout: 40000 }, async () => {
      await withEchoChannel(args, async (s, match) => {
        // One -device: QEMU fills the virtio-mmio slots from the top.
        assert.equal(match[1], '7');
        assert.equal(match[2], transport);
        assert.equal(match[3], port);
        if (!console) assert.equal(match[4], ' (serial port, flow-controlled) org.osdbg.side', 'the name from PORT_NAME');
        await echoes(s);
        // Receive buffers were posted again and transmit ones reclaimed.
        await echoes(s);
      }, { console });
    });
  }
}

test('bytes sent before the driver is up are echoed once it is', { timeout: 40000 }, async () => {
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

test('while echoing, the shell still runs programs typed on the console', { timeout: 40000 }, async () => {
  await withEchoChannel([], async (s, match, vm) => {
    await vm.waitFor('>> ');
    const data = Buffer.alloc(64 * 1024, 'x');
    const back = readBytes(s, data.length, 20000);
    s.write(data);
    vm.type('hello\r');
    await vm.waitFor(/Hello, world! \(pid \d+\)\nShell: Process \d+ exited with code 0\n>> /);
    assert.ok((await back).equals(data), '64 KiB came back');
  });
});

test('with the device but no client, programs run and QEMU powers off', { timeout: 40000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-rdbgchan-'));
  try {
    const { code, out } = await runOS('dbgchan=echo run=hello', 30000, dbgchanArgs(path.join(dir, 'dbg.sock')), RKERNEL);
    assert.match(out, BOOT_LINE);
    assert.equal(code, 0, out);
    assert.match(out, HELLO);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without the device: prints "debug channel: none" and runs the programs', { timeout: 40000 }, async () => {
  const { code, out } = await runOS('dbgchan=echo run=hello', 30000, [], RKERNEL);
  assert.match(out, /\[kernel\] debug channel: none\n/);
  assert.equal(code, 0, out);
  assert.match(out, HELLO);
});
