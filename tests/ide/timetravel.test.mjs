// Time travel in the browser IDE (issue 20), as a student does the bug hunt
// of docs/bug-hunt.md: a launch configuration of their own (user settings)
// with "record": true and run=bughunt, a breakpoint at the audit's symptom
// line, the session started from the command palette, Locals and Watch at
// the stop; then the debug toolbar's Step Back button (the adapter moves
// the session to a replay of its recording by itself), a data breakpoint on
// the damaged balance from the Breakpoints view's "Add Data Breakpoint at
// Address" (an address and a length: the input takes no expression), and
// the Reverse button (Reverse Continue), which stops on the store in
// copy_name, then once more on the opening balance.  Last, a replay
// configuration of a recording `osdbg record` made at the start, by a
// folder relative to the workspace: the symptom again, and Step Back.  Every step is a click
// or a key a user can press and waits for its effect on the screen; a
// missing or disabled button fails the step.  Screenshots go to
// build/ide/tt-*.png (docs/images/bug-hunt-*.png are taken from them).
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, BUILD } from '../kernel/qemu.mjs';
import { IDE, lineOf, workbench } from './workbench.mjs';

const BUGHUNT = 'user/bughunt.c';
const SYMPTOM = lineOf(BUGHUNT, '/* the symptom */');
const WRITER = lineOf(BUGHUNT, '/* writes dst[n] too */');
const CONFIG = 'osdbg: the bug hunt, recorded';
const REPLAY_CONFIG = 'osdbg: replay the bug hunt';

// A recording made at the start by `osdbg record run=bughunt`, as a student
// makes one on a terminal, into a folder of this run's own.
const RECORDINGS = path.join(IDE, `tt-recordings-${process.pid}`);
function record() {
  fs.rmSync(RECORDINGS, { recursive: true, force: true });
  const r = spawnSync(path.join(BUILD, 'bin', 'osdbg'), ['record', '--out', RECORDINGS, 'run=bughunt'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120000 });
  const dir = /recorded to (\S+)/.exec(r.stderr + r.stdout)?.[1];
  if (r.status !== 0 || !dir) throw new Error(`osdbg record run=bughunt: ${r.status}\n${r.stdout}${r.stderr}`);
  return dir;
}
const recorded = record();

// The student's own launch configurations, in their user settings (VS Code
// lists them beside the project's .vscode/launch.json): a recorded session,
// and a replay of the recording by a folder relative to the workspace.
const w = workbench('tt', {
  launch: {
    configurations: [{
      type: 'osdbg', request: 'launch', name: CONFIG,
      profile: '${workspaceFolder}/profiles/osdbg-kernel.json', bootArgs: 'run=bughunt', record: true,
    }, {
      type: 'osdbg', request: 'launch', name: REPLAY_CONFIG,
      profile: '${workspaceFolder}/profiles/osdbg-kernel.json', replay: path.relative(ROOT, recorded),
    }],
  },
});

// A failing step leaves a picture of the moment: build/ide/tt-failed-<n>.png.
let stepNumber = 0;
const test = (name, fn) => {
  const n = ++stepNumber;
  return nodeTest(name, { timeout: 240000 }, async () => {
    try {
      await fn();
    } catch (e) {
      await w.page?.screenshot({ path: path.join(IDE, `tt-failed-${n}.png`) }).catch(() => {});
      w.failed = true;
      if (e instanceof Error) e.message += `\nthe adapter's log ends with:\n${w.dapLogTail()}`;
      throw e;
    }
  });
};

const callStack = () => w.page.locator('.debug-call-stack');
// The top frame of the Call Stack: its function and its line, as shown
// (e.g. "audit [bughunt]" and "bughunt.c 88:13").
async function topFrame() {
  const row = callStack().locator('.stack-frame').first();
  await row.waitFor();
  const text = (await row.innerText()).replace(/\s+/g, ' ');
  const line = Number(/(\d+):\d+\s*$/.exec(text)?.[1] ?? NaN);
  return { text, line };
}
// Wait until the top frame is at a line for which ok(line) holds.
async function topFrameWhere(ok, what, timeout) {
  const deadline = Date.now() + timeout;
  let last;
  const errors = w.page.locator('.notifications-toasts .notification-toast:has(.codicon-error), .monaco-dialog-box');
  while (Date.now() < deadline) {
    // An error the workbench shows (the adapter's answer to a request, a
    // launch that failed) ends the wait at once, with its text.
    if (await errors.count()) throw new Error(`waiting for the top frame ${what}: ${await errors.first().innerText()}`);
    last = await callStack().locator('.stack-frame').count() ? await topFrame().catch(() => undefined) : undefined;
    if (last && ok(last.line)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the top frame is not ${what} after ${timeout / 1000} s: ${last?.text ?? 'no frame'}`);
}
// The line the editor's current-line marker (the top frame's line,
// highlighted) is on: the line number level with the highlight.
async function markedLine() {
  return w.page.evaluate(() => {
    for (const editor of document.querySelectorAll('.monaco-editor')) {
      const mark = editor.querySelector('.view-overlays .debug-top-stack-frame-line');
      if (!mark) continue;
      const top = mark.getBoundingClientRect().top;
      for (const n of editor.querySelectorAll('.margin-view-overlays .line-numbers'))
        if (Math.abs(n.getBoundingClientRect().top - top) < 3) return Number(n.textContent.trim());
    }
    return undefined;
  });
}
async function markerAt(line) {
  const deadline = Date.now() + 15000;
  let seen;
  while (Date.now() < deadline) {
    seen = await markedLine();
    if (seen === line) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the editor's current-line marker is on line ${seen}, not ${line}`);
}

// A Watch expression's value as the Watch view shows it.
async function watchValue(expression) {
  const body = await w.expandView('Watch');
  const escaped = expression.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const row = body.locator('.monaco-list-row', { hasText: new RegExp(`^\\s*${escaped}\\s*=`) }).first();
  await row.waitFor();
  const text = (await row.innerText()).replace(/\s+/g, ' ');
  return text.slice(text.indexOf('=') + 1).trim();
}
async function watchUntil(expression, re, timeout = 15000) {
  const deadline = Date.now() + timeout;
  let v;
  while (Date.now() < deadline) {
    v = await watchValue(expression).catch(() => undefined);
    if (v && re.test(v)) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Watch ${expression} is ${v}, not ${re}`);
}

// A local's row in the Variables view, with its value (its aria-label is
// "name, value V").
async function local(view, name, value, timeout = 5000) {
  const row = view.locator(`[aria-label^="${name}, value ${value}"]`).first();
  await row.waitFor({ timeout });
  const label = await row.getAttribute('aria-label');
  assert.match(label, new RegExp(`^${name}, value ${value}\\b`), label);
}

// A debug toolbar button by its title, clicked.
async function toolbarButton(title) {
  const button = w.page.locator(`.debug-toolbar .action-label[aria-label^="${title}"]`).first();
  await button.waitFor({ timeout: 15000 });
  assert.equal(await button.getAttribute('aria-disabled'), null, `${title} is enabled`);
  await button.click();
}

before(async () => {
  await w.start({ width: 1280, height: 800 });
});

// The recording the session made (build/recordings/<time>), removed at
// the end: each run makes one.
let recording;

after(async () => {
  await w.stop();
  if (recording && path.dirname(recording) === path.join(BUILD, 'recordings')) fs.rmSync(recording, { recursive: true, force: true });
  fs.rmSync(RECORDINGS, { recursive: true, force: true });
});

test('a recorded session of run=bughunt stops at the symptom; the Debug Console names the recording', async () => {
  const page = w.page;
  await w.breakpointAt(BUGHUNT, SYMPTOM);
  await w.command('Debug: Select and Start Debugging');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: CONFIG }).first().click();
  const top = await topFrameWhere((l) => l === SYMPTOM, `at the symptom (line ${SYMPTOM})`, 120000);
  assert.match(top.text, /audit/);
  await page.locator('.tab.active[data-resource-name="bughunt.c"]').waitFor();
  await markerAt(SYMPTOM);
  await w.command('Focus on Debug Console View');
  const named = page.locator('.repl').getByText(/osdbg: recording to \S+/).first();
  await named.waitFor({ timeout: 15000 });
  recording = /osdbg: recording to (\S+)/.exec(await named.innerText())[1];
  // The damaged balance, and where it is, in Watch (a global is not in
  // Variables): the watch's + button, an expression, Enter.
  for (const expression of ['ledger[2].balance', '&ledger[2].balance']) {
    const body = await w.expandView('Watch');
    await page.locator('.pane-header', { hasText: /^Watch/i }).first().hover();
    await page.locator('.pane-header', { hasText: /^Watch/i }).first().locator('.action-label[aria-label="Add Expression"]').click();
    await body.locator('input, textarea').first().waitFor();
    await page.keyboard.type(expression, { delay: 10 });
    await page.keyboard.press('Enter');
  }
  const locals = await w.expandView('Variables');
  await local(locals, 'has', '768', 15000);
  await local(locals, 'want', '1000');
  assert.equal(await watchUntil('ledger[2].balance', /^768\b/), '768');
  await watchUntil('&ledger[2].balance', /^0x[0-9a-f]+/);
  await w.screenshot('tt-symptom.png');
});

test('the Step Back button moves the live recorded session to its replay and one line back from the symptom', async () => {
  const page = w.page;
  await toolbarButton('Step Back');
  const back = await topFrameWhere((l) => l < SYMPTOM && l >= SYMPTOM - 2, `one line back from ${SYMPTOM}`, 120000);
  assert.match(back.text, /audit/);
  await markerAt(back.line);
  await w.command('Focus on Debug Console View');
  await page.locator('.repl').getByText(/going back: the recording is replayed up to where you were/).first().waitFor({ timeout: 15000 });
  await w.screenshot('tt-record-live.png');
});

test('a data breakpoint from the Breakpoints view\'s "Add Data Breakpoint at Address", then Reverse Continue stops on the store in copy_name', async () => {
  const page = w.page;
  // The address the Watch view shows for &ledger[2].balance, 8 bytes: the
  // input takes an address and a length ("0x12028 + 8"), not an expression.
  const address = /^0x[0-9a-f]+/.exec(await watchValue('&ledger[2].balance'))[0];
  await w.collapseView('Variables');
  const body = await w.expandView('Breakpoints');
  const header = page.locator('.pane-header', { hasText: /^Breakpoints/i }).first();
  await header.hover();
  const add = header.locator('.action-label[aria-label="Add Data Breakpoint at Address"]');
  await add.waitFor({ timeout: 10000 });
  await add.click();
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`${address} + 8`);
  await page.keyboard.press('Enter');
  // The adapter offers read, write and readWrite: the student picks write.
  const row = body.locator('.monaco-list-row', { hasText: new RegExp(`8 bytes at ${address}`) }).first();
  const picker = page.locator('.quick-input-widget:has(input[placeholder*="access type"])');
  await picker.or(row).first().waitFor({ timeout: 30000 });
  if (await picker.isVisible()) {
    await picker.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: /^write$/ }) }).first().click();
    await picker.waitFor({ state: 'hidden' });
  }
  await row.waitFor({ timeout: 15000 });
  await w.screenshot('tt-data-breakpoint.png');
  await toolbarButton('Reverse');
  const stop = await topFrameWhere((l) => l === WRITER, `on the store (line ${WRITER})`, 180000);
  assert.match(stop.text, /copy_name/);
  await markerAt(WRITER);
  // In the parent, before the store: the balance still 1000.
  // (With one thread VS Code shows the stop's description in the Call
  // Stack's header.)
  await page.locator('.pane-header', { hasText: /call stack/i }).filter({ hasText: /bughunt\/2, U mode/ }).first().waitFor({ timeout: 15000 });
  assert.equal(await watchUntil('ledger[2].balance', /^1000\b/), '1000');
  // copy_name's locals: i == n, one past the 8-byte name.
  const locals = await w.expandView('Variables');
  await local(locals, 'i', '8', 15000);
  await local(locals, 'n', '8');
  await w.screenshot('tt-reverse-stop.png');
});

test('Reverse Continue again goes back to the write before it in the same process: the opening balance in open_accounts', async () => {
  const openInit = lineOf(BUGHUNT, 'ledger[i].balance = INITIAL;');
  await toolbarButton('Reverse');
  const stop = await topFrameWhere((l) => l === openInit, `on the opening balance's store (line ${openInit})`, 180000);
  assert.match(stop.text, /open_accounts/);
  await markerAt(openInit);
  // Before that store the balance was never written: 0 (the program's bss).
  assert.equal(await watchUntil('ledger[2].balance', /^0\b/), '0');
  await w.screenshot('tt-reverse-again.png');
});

test('stopping the session (Shift+F5) ends the replay', async () => {
  await w.page.keyboard.press('Shift+F5');
  await w.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30000 });
});

test('a replay configuration ("replay": a folder made by osdbg record, relative to the workspace) stops at the symptom; Step Back goes one line back', async () => {
  const page = w.page;
  await w.command('Remove All Breakpoints');
  await w.breakpointAt(BUGHUNT, SYMPTOM);
  await w.command('Debug: Select and Start Debugging');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: REPLAY_CONFIG }).first().click();
  const top = await topFrameWhere((l) => l === SYMPTOM, `at the symptom (line ${SYMPTOM})`, 120000);
  assert.match(top.text, /audit/);
  await watchUntil('ledger[2].balance', /^768\b/);
  // The stop's views filled in first, as a student sees them: a request of
  // theirs still on its way while the OS goes back is refused with a pop-up.
  await local(await w.expandView('Variables'), 'has', '768', 15000);
  await toolbarButton('Step Back');
  const back = await topFrameWhere((l) => l < SYMPTOM && l >= SYMPTOM - 2, `one line back from ${SYMPTOM}`, 120000);
  await markerAt(back.line);
  await page.keyboard.press('Shift+F5');
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30000 });
});
