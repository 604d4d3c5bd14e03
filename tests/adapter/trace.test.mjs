// osdbg trace against a running OS (`osdbg run`): kprobes by kernel symbol,
// one line per hit while the OS runs, detach at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD } from '../kernel/qemu.mjs';

const OSDBG = path.join(BUILD, 'bin', 'osdbg');

function proc(args) {
  const p = spawn(OSDBG, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const r = { p, out: '', err: '' };
  p.stdout.on('data', (d) => { r.out += d; });
  p.stderr.on('data', (d) => { r.err += d; });
  r.closed = new Promise((res) => p.on('close', (code) => res(code)));
  return r;
}

async function until(pred, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(pred(), what());
}

test('osdbg trace kprobe sys_write: one line per write of hello, then detach', { timeout: 90000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-trace-'));
  const side = path.join(dir, 'side.sock');
  const run = proc(['run', '--gdb', path.join(dir, 'gdb.sock'), '--side', side]);
  t.after(() => { run.p.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });
  await until(() => run.out.includes('$ '), () => `shell prompt\n${run.out}${run.err}`);
  const tr = proc(['trace', '--socket', side, '--duration', '3', 'kprobe', 'sys_write']);
  t.after(() => tr.p.kill('SIGKILL'));
  await until(() => tr.err.includes('tracing'), () => `trace started\n${tr.err}`);
  run.p.stdin.write('hello\n');
  await until(() => /Hello, world!/.test(run.out), () => run.out);
  const code = await tr.closed;
  assert.equal(code, 0, tr.err);
  const lines = tr.out.split('\n').filter(Boolean);
  const hello = lines.filter((l) => / hello\/\d+ /.test(l));
  assert.equal(hello.length, 1, `one write by hello:\n${tr.out}`);
  assert.match(hello[0], / sys_write pc=0x[0-9a-f]+ /);
  assert.match(tr.err, /osdbg trace: \d+ events, 0 lost/);
  // Detached: the OS runs on without probes (a second hello is not traced by anyone,
  // and the side-stub lists no probe).
  run.p.stdin.write('exit\n');
  assert.equal(await run.closed, 0);
});

test('osdbg trace uprobe rustdemo:rustdemo::work (a demangled Rust name): one line per call', { timeout: 90000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-trace-'));
  const side = path.join(dir, 'side.sock');
  const run = proc(['run', '--gdb', path.join(dir, 'gdb.sock'), '--side', side]);
  t.after(() => { run.p.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });
  await until(() => run.out.includes('$ '), () => `shell prompt\n${run.out}${run.err}`);
  const tr = proc(['trace', '--socket', side, '--duration', '3', 'uprobe', 'rustdemo:rustdemo::work']);
  t.after(() => tr.p.kill('SIGKILL'));
  await until(() => tr.err.includes('tracing'), () => `trace started\n${tr.err}`);
  run.p.stdin.write('rustdemo\n');
  await until(() => /work\(10\) = 143/.test(run.out), () => run.out);
  run.p.stdin.write('hello\n'); // another program at the same addresses: no line
  await until(() => /Hello, world!/.test(run.out), () => run.out);
  assert.equal(await tr.closed, 0, tr.err);
  const lines = tr.out.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, tr.out);
  assert.match(lines[0], / rustdemo\/\d+ /);
  run.p.stdin.write('exit\n');
  assert.equal(await run.closed, 0);
});

test('osdbg trace: unknown symbol, and no side-stub at the socket', { timeout: 30000 }, async () => {
  const a = proc(['trace', '--socket', '/nonexistent.sock', 'kprobe', 'no_such_function_xyz']);
  assert.equal(await a.closed, 1);
  assert.match(a.err, /no function no_such_function_xyz in the kernel/);
  const b = proc(['trace', '--socket', '/nonexistent.sock', 'kprobe', 'sys_write']);
  assert.equal(await b.closed, 1);
  assert.match(b.err, /cannot connect to \/nonexistent.sock/);
});
