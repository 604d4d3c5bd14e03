// The trace relay (<dir>/trace.sock) next to a debug session (issue 12,
// defect 10): a terminal acts on its own probes and objects only, and a
// terminal that sends without reading never stalls the DAP side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { followStops } from './harts.mjs';
import { ROOT, BUILD } from '../kernel/qemu.mjs';
import { lineOf } from './source.mjs';

const OSDBG = path.join(BUILD, 'bin', 'osdbg');
const PROFILE = path.join(ROOT, 'profiles', 'osdbg-kernel.json');

/* GDB RSP framing (docs/side-stub-protocol.md): $payload#checksum. */
const frame = (payload) => {
  let sum = 0;
  for (const b of Buffer.from(payload, 'latin1')) sum = (sum + b) & 0xff;
  return Buffer.from(`$${payload}#${sum.toString(16).padStart(2, '0')}`, 'latin1');
};

function terminal(sockPath) {
  const s = net.createConnection(sockPath);
  let buf = '';
  const replies = [];
  s.on('data', (d) => {
    buf += d.toString('latin1');
    for (;;) {
      const m = buf.match(/^\+?\$([^#]*)#[0-9a-f]{2}/);
      if (m) { replies.push(m[1]); buf = buf.slice(m[0].length); continue; }
      const ev = buf.match(/^\+?%([^#]*)#[0-9a-f]{2}/);
      if (ev) { buf = buf.slice(ev[0].length); continue; }
      if (buf.startsWith('+')) { buf = buf.slice(1); continue; }
      break;
    }
  });
  const request = async (payload, ms = 5000) => {
    const n = replies.length;
    s.write(frame(payload));
    const end = Date.now() + ms;
    while (replies.length === n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.ok(replies.length > n, `a reply to ${payload}`);
    return replies[n];
  };
  return { s, request, connected: new Promise((r) => s.on('connect', r)) };
}

async function session(t) {
  const dc = new DebugClient(OSDBG, 'dap', 'osdbg');
  followStops(dc);
  dc.defaultTimeout = 20000;
  await dc.start();
  t.after(() => Promise.race([dc.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]));
  const output = [];
  dc.on('output', (e) => output.push(e.body.output));
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launchRequest({ type: 'osdbg', request: 'launch', profile: PROFILE, stopOnEntry: false });
  await initialized;
  const writeLine = lineOf('kernel/sysfile.c', 'return file_write(f, argraw(1), (long)argraw(2));');
  await dc.setBreakpointsRequest({ source: { path: path.join(ROOT, 'kernel/sysfile.c') },
    breakpoints: [{ line: writeLine, logMessage: 'session logpoint: write by {comm}' }] });
  await dc.configurationDoneRequest();
  const until = async (pred, what, ms = 20000) => {
    const end = Date.now() + ms;
    while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(pred(), `${what}\n${output.join('')}`);
  };
  await until(() => output.join('').includes('$ '), 'the shell prompt');
  const relay = output.join('').match(/osdbg trace --socket (\S+) /)[1];
  return { dc, output, until, relay };
}

test('a terminal may not detach the session\'s probes nor touch objects that are not its own', { timeout: 120000 }, async (t) => {
  const { dc, output, until, relay } = await session(t);
  const probes = (await dc.customRequest('osdbg/traceList', {})).body.probes;
  assert.equal(probes.length, 1, 'the session\'s logpoint');
  const id = probes[0].id;
  const term = terminal(relay);
  t.after(() => term.s.destroy());
  await term.connected;
  assert.equal(await term.request(`vTDetach:${id.toString(16)}`), 'E04', 'not the terminal\'s probe');
  for (const obj of [0, 1, 2]) {
    assert.equal(await term.request(`vTObjFree:${obj.toString(16)}`), 'E04', `object ${obj} is not the terminal's`);
    assert.equal(await term.request(`vTObjData:${obj.toString(16)},0:xx`), 'E04');
    assert.equal(await term.request(`vTAttach:${obj.toString(16)},kprobe,x,80200000`), 'E04');
  }
  // Its own object it may write and free.
  const own = (await term.request('vTObjNew:40')).match(/^OK([0-9a-f]+)$/);
  assert.ok(own, 'an object of its own');
  assert.equal(await term.request(`vTObjFree:${own[1]}`), 'OK');
  // The session's logpoint still prints.
  assert.equal((await dc.customRequest('osdbg/traceList', {})).body.probes.length, 1);
  await dc.customRequest('consoleInput', { text: 'hello\n' });
  await until(() => output.join('').includes('session logpoint: write by hello'), 'the logpoint prints');
  // vTStat through the relay: the kernel's counters, then the session's own
  // count of the whole channel (the authoritative loss count, issue 12
  // defect 3), as many events as the session's logpoint printed.
  const stat = await term.request('vTStat');
  const items = Object.fromEntries(stat.split(';').map((kv) => kv.split('=')));
  for (const name of ['events', 'dropped', 'host_events', 'host_lost', 'host_damaged']) assert.match(items[name] ?? '', /^[0-9a-f]+$/, `${name} in ${stat}`);
  const printed = output.join('').split('session logpoint: write by').length - 1;
  assert.ok(parseInt(items.host_events, 16) >= printed && printed > 0, `host_events ${items.host_events} counts the ${printed} lines printed`);
  assert.equal(parseInt(items.host_lost, 16), 0);
  await dc.terminateRequest();
});

test('a terminal that floods the relay without reading never stalls the DAP side', { timeout: 120000 }, async (t) => {
  const { dc, relay } = await session(t);
  const s = net.createConnection(relay);
  t.after(() => s.destroy());
  await new Promise((r) => s.on('connect', r));
  s.pause(); // reads nothing: its replies pile up
  const flood = Buffer.concat(Array.from({ length: 4000 }, () => frame('vTList')));
  let sent = 0;
  const pump = setInterval(() => { if (sent < 5) { s.write(flood); sent++; } }, 100);
  t.after(() => clearInterval(pump));
  let worst = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = Date.now();
    await dc.threadsRequest();
    worst = Math.max(worst, Date.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`# 20 threads requests during the flood: the slowest took ${worst} ms`);
  assert.ok(worst < 3000, `the DAP side answered within 3 s (slowest ${worst} ms)`);
  await dc.terminateRequest();
});
