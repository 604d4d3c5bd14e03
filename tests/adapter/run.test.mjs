// osdbg run: the OS on a terminal, with its gdbstub and debug channel on
// the Unix sockets asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BUILD } from '../kernel/qemu.mjs';

const OSDBG = path.join(BUILD, 'bin', 'osdbg');

test('osdbg run boots the shell with the debug channel and the gdbstub at the given paths', { timeout: 60000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-run-'));
  const gdbSock = path.join(dir, 'gdb.sock');
  const sideSock = path.join(dir, 'side.sock');
  const p = spawn(OSDBG, ['run', '--gdb', gdbSock, '--side', sideSock, 'dbgchan=echo'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => { p.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => p.on('exit', (code) => r(code)));
  const until = async (pred, what) => {
    const deadline = Date.now() + 20000;
    while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(pred(), `${what}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
  };
  await until(() => out.includes('$ '), 'shell prompt');
  assert.match(err, new RegExp(`gdbstub: +${gdbSock}`));
  assert.ok(fs.existsSync(gdbSock), 'the gdbstub listens at --gdb');
  // The debug channel echoes (dbgchan=echo) through --side.
  const echoed = await new Promise((resolve, reject) => {
    const s = net.createConnection(sideSock);
    let got = '';
    s.on('data', (d) => { got += d; if (got.length >= 11) { s.end(); resolve(got); } });
    s.on('error', reject);
    s.write('ping-osdbg!');
  });
  assert.equal(echoed, 'ping-osdbg!');
  // GDB can attach through --gdb while the OS runs.
  const bt = execFileSync('gdb-multiarch', ['-nx', '-q', '-batch', '-ex', `target remote ${gdbSock}`, '-ex', 'print $priv',
    '-ex', 'detach', path.join(BUILD, 'kernel', 'kernel.elf')], { encoding: 'utf8', timeout: 20000 });
  assert.match(bt, /\$1 = [013]/);
  p.stdin.write('exit\n');
  assert.equal(await exited, 0);
});

test('osdbg run with a missing profile says so', { timeout: 20000 }, async () => {
  const r = spawn(OSDBG, ['run', '--profile', '/nonexistent.json']);
  let err = '';
  r.stderr.on('data', (d) => { err += d; });
  // 'close', not 'exit': stderr may still hold the message when the process exits.
  const code = await new Promise((res) => r.on('close', res));
  assert.equal(code, 1);
  assert.match(err, /cannot load profile \/nonexistent.json/);
});
