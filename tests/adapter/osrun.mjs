// An OS booted by `osdbg run` and `osdbg trace` clients of it, for the
// tests of osdbg trace (trace.test.mjs, trace_compat.test.mjs).  Every
// process is killed by pid when its test ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD } from '../kernel/qemu.mjs';

export const OSDBG = path.join(BUILD, 'bin', 'osdbg');

// osdbg with these arguments: its output as it comes, and its exit code.
export function proc(args) {
  const p = spawn(OSDBG, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const r = { p, out: '', err: '' };
  p.stdout.on('data', (d) => { r.out += d; });
  p.stderr.on('data', (d) => { r.err += d; });
  r.closed = new Promise((res) => p.on('close', (code) => res(code)));
  return r;
}

// Wait until pred() holds (polling), or fail with what().
export async function until(pred, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(pred(), what());
}

// An OS booted by `osdbg run`, at its shell prompt: {run, side, profile}.
// The C kernel's by default; another OS by its profile and shell prompt
// (the Rust kernel: profiles/rust-kernel.json, '>> ').
export async function bootedOS(t, { profile, prompt = '$ ' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-trace-'));
  const side = path.join(dir, 'side.sock');
  const run = proc(['run', ...(profile ? ['--profile', profile] : []), '--gdb', path.join(dir, 'gdb.sock'), '--side', side]);
  t.after(() => { run.p.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });
  await until(() => run.out.includes(prompt), () => `shell prompt\n${run.out}${run.err}`);
  return { run, side, profile };
}

// `osdbg trace` on that OS's side channel, once it says it is tracing
// (symbols from the profile's kernel and programs when one is given).
export async function traced(t, side, args, { profile } = {}) {
  const tr = proc(['trace', ...(profile ? ['--profile', profile] : []), '--socket', side, ...args]);
  t.after(() => tr.p.kill('SIGKILL'));
  await until(() => tr.err.includes('tracing') || tr.p.exitCode !== null, () => `trace started\n${tr.err}`);
  assert.match(tr.err, /tracing/);
  return tr;
}
