// A debug session's socket folder ($TMPDIR/osdbg-XXXXXX) is removed on every
// ending (issue 12, defect 11): disconnect, terminate, the OS powering off,
// SIGTERM; and a folder left by an adapter killed with SIGKILL is swept by
// the next session.  Each test gives the adapter a TMPDIR of its own, so the
// folders counted are only its.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { followStops } from './harts.mjs';
import { ROOT, BUILD } from '../kernel/qemu.mjs';

const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');

function privateTmp(t) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-sockdir-test-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  return tmp;
}
const folders = (tmp) => fs.readdirSync(tmp).filter((n) => /^osdbg-[A-Za-z0-9]{6}$/.test(n));

async function launch(t, tmp, bootArgs = 'run=hello') {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg', { env: { ...process.env, TMPDIR: tmp } });
  followStops(dc);
  dc.defaultTimeout = 20000;
  await dc.start();
  // stop() of a client whose adapter already ended would wait forever
  const proc = dc._adapterProcess;
  proc.stdin.on('error', () => {});
  t.after(() => Promise.race([dc.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]));
  const output = [];
  dc.on('output', (e) => output.push(e.body.output));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, stopOnEntry: false, bootArgs });
  await initialized;
  await dc.configurationDoneRequest();
  // The session's folder holds its trace relay, named in the Debug Console.
  const end = Date.now() + 20000;
  while (!output.join('').includes('trace.sock') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const m = output.join('').match(/--socket (\S+)\/trace\.sock/);
  assert.ok(m, `the trace socket is named:\n${output.join('')}`);
  assert.ok(fs.existsSync(m[1]), 'the folder exists while the session runs');
  assert.equal(path.dirname(m[1]), tmp, 'in $TMPDIR');
  return { dc, dir: m[1], proc };
}

/* (the client unrefs its adapter process: poll, a timer keeps the test alive) */
async function killed(proc, sig) {
  proc.kill(sig);
  const end = Date.now() + 10000;
  while (proc.exitCode === null && proc.signalCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(proc.exitCode !== null || proc.signalCode !== null, `the adapter ended after ${sig}`);
}

async function gone(dir, ms = 10000) {
  const end = Date.now() + ms;
  while (fs.existsSync(dir) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return !fs.existsSync(dir);
}

test('the socket folder goes with disconnect, terminate, the OS powering off and SIGTERM', { timeout: 180000 }, async (t) => {
  const tmp = privateTmp(t);
  {
    const { dc, dir } = await launch(t, tmp, '');
    await dc.disconnectRequest({ terminateDebuggee: true });
    assert.ok(await gone(dir), `disconnect: ${fs.existsSync(dir) ? fs.readdirSync(dir) : ''}`);
  }
  {
    const { dc, dir } = await launch(t, tmp, '');
    const terminated = dc.waitForEvent('terminated', 20000);
    await dc.terminateRequest();
    await terminated;
    assert.ok(await gone(dir), `terminate: ${fs.existsSync(dir) ? fs.readdirSync(dir) : ''}`);
  }
  {
    // run=hello powers the machine off when hello is done
    const { dc, dir } = await launch(t, tmp, 'run=hello');
    await dc.waitForEvent('terminated', 30000);
    assert.ok(await gone(dir), `power-off: ${fs.existsSync(dir) ? fs.readdirSync(dir) : ''}`);
  }
  {
    const { dir, proc } = await launch(t, tmp, '');
    await killed(proc, 'SIGTERM');
    assert.ok(await gone(dir), `SIGTERM: ${fs.existsSync(dir) ? fs.readdirSync(dir) : ''}`);
  }
  assert.deepEqual(folders(tmp), [], 'no folder left behind');
});

test('after SIGKILL of an adapter, the next session sweeps its folder and leaves others\' alone', { timeout: 120000 }, async (t) => {
  const tmp = privateTmp(t);
  const { dir, proc } = await launch(t, tmp, '');
  await killed(proc, 'SIGKILL');
  assert.ok(fs.existsSync(dir), 'SIGKILL leaves the folder (nothing can run then)');
  // A folder whose owner still runs (this test process) is not touched.
  const live = path.join(tmp, 'osdbg-live01');
  fs.mkdirSync(live, { mode: 0o700 });
  fs.writeFileSync(path.join(live, 'owner'), `${process.pid}\n`);
  // QEMU was the adapter's child and went with it? It may outlive a
  // SIGKILLed parent only until its sockets close; either way the next
  // session must not trip over the old folder.
  const next = await launch(t, tmp, '');
  assert.ok(!fs.existsSync(dir), `the stale folder is swept: ${fs.readdirSync(tmp)}`);
  assert.ok(fs.existsSync(live), 'a live owner\'s folder stays');
  await next.dc.disconnectRequest({ terminateDebuggee: true });
  assert.ok(await gone(next.dir));
  assert.deepEqual(folders(tmp), ['osdbg-live01']);
});
