// osdbg record (issue 20): a run recorded at full speed with the console on
// the terminal, into a folder that QEMU replays to the same output.  The
// replay is run here with QEMU alone (rr=replay, the machine written out
// below, no GDB): that the recording replays is what the test proves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD } from '../kernel/qemu.mjs';

const OSDBG = path.join(BUILD, 'bin', 'osdbg');
// As the profile names it once resolved (build/ may be a link).
const KERNEL = fs.realpathSync(path.join(BUILD, 'kernel', 'kernel.elf'));
// The reference profile's machine on one hart (profiles/osdbg-kernel.json).
const MACHINE = ['-machine', 'virt', '-bios', 'default', '-m', '128M', '-smp', '1',
  '-display', 'none', '-monitor', 'none', '-serial', 'stdio'];

// The children of pid (QEMU, for osdbg record), from /proc.
function children(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch { return []; }
}

function killTree(pid) {
  for (const c of children(pid)) { try { process.kill(c, 'SIGKILL'); } catch { /* gone */ } }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

// Runs cmd to its end (or kills it at ms); stdin from /dev/null unless keepStdin.
function run(cmd, args, { ms = 60000, keepStdin = false, t } = {}) {
  const p = spawn(cmd, args, { stdio: [keepStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { err += d; });
  const timer = setTimeout(() => killTree(p.pid), ms);
  if (t) t.after(() => { clearTimeout(timer); killTree(p.pid); });
  const done = new Promise((r) => p.on('close', (code, signal) => { clearTimeout(timer); r({ code, signal, out, err }); }));
  return { p, done, get out() { return out; }, get err() { return err; } };
}

function replayArgs(dir, bootArgs) {
  return [...MACHINE, '-kernel', KERNEL, ...(bootArgs ? ['-append', bootArgs] : []),
    '-icount', `shift=auto,rr=replay,rrfile=${dir}/replay.bin,rrsnapshot=init`,
    '-drive', `file=${dir}/snapshot.qcow2,if=none,id=rr`];
}

function tmpdir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-record-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function onlyFolder(parent) {
  const names = fs.readdirSync(parent);
  assert.equal(names.length, 1, `one recording folder in ${parent}: ${names}`);
  assert.match(names[0], /^\d{8}-\d{6}$/);
  return path.join(parent, names[0]);
}

test('osdbg record records run=hello with the console on stdout, and QEMU replays it to the same output', { timeout: 90000 }, async (t) => {
  const parent = tmpdir(t);
  const r = await run(OSDBG, ['record', '--out', parent, 'run=hello'], { t }).done;
  assert.equal(r.code, 0, `osdbg record's status\n--- stderr ---\n${r.err}`);
  assert.match(r.out, /Hello, world!/, 'the console reached stdout');
  assert.match(r.out, /\[kernel\] power off/);
  // The profile says -smp 2: one notice that it records one hart.
  assert.equal(r.err.match(/one hart/g)?.length, 1, r.err);
  const dir = onlyFolder(parent);
  assert.match(r.err, new RegExp(`osdbg record: recorded to ${dir}\\n`));
  assert.match(r.err, new RegExp(`"replay": "${dir}"`));
  for (const f of ['replay.bin', 'snapshot.qcow2', 'recording.json'])
    assert.ok(fs.statSync(path.join(dir, f)).size > 0, `${f} in the folder`);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'recording.json'), 'utf8'));
  assert.equal(meta.status, 'complete');
  assert.equal(meta.qemuStatus, 'exit 0');
  assert.equal(meta.bootArgs, 'run=hello');
  assert.equal(meta.harts, 1);
  assert.ok(meta.programs.some((p) => p.name === 'hello' && /^[0-9a-f]{40}$/.test(p.buildId)), 'hello and its build id');
  // What QEMU ran: the machine on one hart, no debug channel, recording.
  const recordArgs = replayArgs(dir, 'run=hello').map((a) => a.replace('rr=replay', 'rr=record'));
  assert.deepEqual(meta.qemuArgs, ['qemu-system-riscv64', ...recordArgs]);

  const replay = await run('qemu-system-riscv64', replayArgs(dir, 'run=hello'), { ms: 60000, t }).done;
  assert.equal(replay.code, 0, `the replay's status\n${replay.err}`);
  assert.match(replay.out, /Hello, world!/);
  // The same console, byte for byte, from the kernel's first line on
  // (OpenSBI's banner comes before the snapshot the replay starts at).
  const fromKernel = (s) => s.slice(s.indexOf('[kernel]'));
  assert.equal(fromKernel(replay.out), fromKernel(r.out));
});

test('osdbg record records typed input, ends properly on SIGTERM (forwarded to QEMU), and it replays', { timeout: 90000 }, async (t) => {
  const parent = tmpdir(t);
  // The shell waits for input that never comes: only the signal ends it.
  const rec = run(OSDBG, ['record', '--out', parent], { keepStdin: true, t });
  const deadline = Date.now() + 30000;
  while (!rec.out.includes('$ ') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  assert.ok(rec.out.includes('$ '), `the shell's prompt\n${rec.out}\n${rec.err}`);
  // Typed input is an input of the machine: it goes in the log.
  rec.p.stdin.write('hello\r');
  while (!/Hello, world![^]*\$ /.test(rec.out) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  assert.match(rec.out, /Hello, world![^]*\$ /, 'hello ran, typed at the prompt');
  rec.p.kill('SIGTERM');
  const r = await rec.done;
  assert.equal(r.code, 0, r.err);
  const dir = onlyFolder(parent);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'recording.json'), 'utf8'));
  assert.equal(meta.status, 'complete');
  const replay = await run('qemu-system-riscv64', replayArgs(dir, ''), { ms: 60000, t }).done;
  assert.equal(replay.code, 0, replay.err);
  // The replay types nothing: hello runs because the log says it was typed.
  assert.match(replay.out, /Hello, world![^]*\$ /, 'the replay runs what was typed');
});

test('osdbg record --help, a bad option, a missing profile', { timeout: 20000 }, async () => {
  const help = await run(OSDBG, ['record', '--help']).done;
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: osdbg record/);
  assert.equal(help.err, '');
  const bad = await run(OSDBG, ['record', '--frobnicate']).done;
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--frobnicate: unknown or incomplete option/);
  assert.equal(bad.out, '');
  const missing = await run(OSDBG, ['record', '--profile', '/nonexistent.json', '--out', os.tmpdir()]).done;
  assert.equal(missing.code, 1);
  assert.match(missing.err, /cannot load profile \/nonexistent.json/);
});
