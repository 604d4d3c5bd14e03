// The browser IDE for a test suite: code-server (scripts/ide.sh) with the
// osdbg extension on a fresh user data folder, in Debian's headless
// Chromium driven by playwright-core, and the user's gestures a suite is
// made of (command palette, quick open, F9 breakpoints, context menus,
// views).  start() brings both up; stop() ends the browser and the server's
// whole process tree by pid.  The debug adapter logs every DAP message to a
// file whose end a failing step shows.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, BUILD } from '../kernel/qemu.mjs';

export const IDE = path.join(BUILD, 'ide');

const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

// The line (1-based) of the first line of a source holding text, after the
// first line starting with `after` if given.
export function lineOf(rel, text, after = '') {
  const lines = fs.readFileSync(path.join(ROOT, rel), 'utf8').split('\n');
  const from = after ? lines.findIndex((l) => l.startsWith(after)) : 0;
  const i = lines.findIndex((l, k) => k > from && l.includes(text));
  if (from < 0 || i < 0) throw new Error(`${text} not in ${rel}`);
  return i + 1;
}

// Every live descendant of a process, from /proc (ppid is the field after
// the parenthesized command name).  QEMU and GDB run in their own process
// groups, so killing the server's group alone could leave them behind.
function descendants(root) {
  const children = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch { /* exited meanwhile */ }
  }
  const out = [];
  for (let todo = [root]; todo.length;) for (const c of children.get(todo.pop()) ?? []) { out.push(c); todo.push(c); }
  return out;
}

// A workbench for one suite: `name` keeps its files apart from another
// suite's (build/ide/<name>-chromium-PID, -user-data-PID, -xdg-PID,
// -dap-PID.log); `settings` go into the user's settings.json
// (e.g. "launch" configurations of the user's own, beside the project's).
export function workbench(name, settings = {}) {
  const profileDir = path.join(IDE, `${name}-chromium-${process.pid}`);
  const userData = path.join(IDE, `${name}-user-data-${process.pid}`);
  const xdg = path.join(IDE, `${name}-xdg-${process.pid}`); // Chromium's crash reports and dconf, not in ~
  const dapLog = path.join(IDE, `${name}-dap-${process.pid}.log`);
  let server; // scripts/ide.sh, exec'd into code-server, leader of its own process group
  let serverLog = '';
  let context;
  // failed: set by a suite when a step fails (the adapter's log is kept).
  const w = { page: undefined, url: undefined, userData, failed: false };

  w.dapLogTail = () => {
    try {
      return fs.readFileSync(dapLog, 'utf8').slice(-4000);
    } catch {
      return '(no log)';
    }
  };

  async function startServer() {
    // detached: its own process group, so code-server's helpers (extension
    // host, terminals, the debug adapter, QEMU, GDB) can be stopped
    // together.  A fresh user data folder: no breakpoints, editors or
    // layout from an earlier run.  The terminal's DOM renderer makes its
    // text readable from the page.
    fs.rmSync(userData, { recursive: true, force: true });
    fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'terminal.integrated.gpuAcceleration': 'off',
      'terminal.integrated.tabs.hideCondition': 'never',
      ...settings,
    }, null, 2));
    server = spawn(path.join(ROOT, 'scripts', 'ide.sh'), ['--auth', 'none', '--user-data', userData], {
      detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BUILD, OSDBG_DAP_LOG: dapLog },
    });
    server.stdout.on('data', (d) => { serverLog += d; });
    server.stderr.on('data', (d) => { serverLog += d; });
    const deadline = Date.now() + 240000; // installs code-server first if needed
    let url;
    while (Date.now() < deadline && server.exitCode === null) {
      url ??= /osdbg IDE: (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(serverLog)?.[1];
      if (url) {
        const ok = await fetch(url).then((r) => r.ok, () => false);
        if (ok) return url;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the IDE server did not come up\n${serverLog}`);
  }

  function stopServer() {
    if (!server || server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
    const pids = descendants(server.pid);
    const gone = new Promise((r) => server.once('exit', r));
    const kill = (sig) => {
      for (const p of pids) try { process.kill(p, sig); } catch { /* already gone */ }
      try { process.kill(-server.pid, sig); } catch { /* already gone */ }
    };
    kill('SIGTERM');
    const hard = setTimeout(() => kill('SIGKILL'), 3000);
    return gone.finally(() => clearTimeout(hard));
  }

  // The server, the browser, the workbench with the project open.
  w.start = async ({ width = 1600, height = 1000 } = {}) => {
    w.url = await startServer();
    fs.rmSync(profileDir, { recursive: true, force: true });
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS, viewport: { width, height },
      env: { ...process.env, XDG_CONFIG_HOME: `${xdg}/config`, XDG_DATA_HOME: `${xdg}/data`, XDG_CACHE_HOME: `${xdg}/cache` },
    });
    const page = w.page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(30000);
    await page.goto(w.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'kernel' }).first().waitFor({ timeout: 60000 });
  };

  // Browser and server gone (by pid), their files removed; the last
  // picture of the page first (build/ide/<lastShot>).
  w.stop = async (lastShot = `${name}-last.png`) => {
    if (w.page) await w.page.screenshot({ path: path.join(IDE, lastShot) }).catch(() => {});
    await context?.close().catch(() => {});
    await stopServer();
    for (const d of [profileDir, userData, xdg]) fs.rmSync(d, { recursive: true, force: true });
    // A run with a failed step keeps the adapter's whole log, to explain it.
    if (w.failed) console.log(`# the debug adapter's log: ${dapLog}`);
    else fs.rmSync(dapLog, { force: true });
  };

  // Run a command from the command palette by its title.  F1 opens the
  // palette unless the keyboard is in a webview being redrawn: then the
  // first editor's tab takes the focus back, and F1 again.
  w.command = async (title) => {
    const page = w.page;
    const input = page.locator('.quick-input-widget input');
    for (let attempt = 0; ; attempt++) {
      await page.keyboard.press('F1');
      try {
        await input.waitFor({ timeout: 5000 });
        break;
      } catch (e) {
        if (attempt === 2) throw e;
        await page.locator('.editor-group-container').first().locator('.tab.active').first().click();
      }
    }
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await page.keyboard.press('Enter');
  };

  // Quick-open a file and go to a line.  Each step waits for its effect:
  // the quick input closed, the editor focused, the cursor on the line.
  w.goTo = async (rel, line) => {
    const page = w.page;
    const quickInput = page.locator('.quick-input-widget');
    const input = quickInput.locator('input');
    const tab = page.locator(`.tab.active[data-resource-name="${path.basename(rel)}"]`);
    const open = page.locator(`.tab[data-resource-name="${path.basename(rel)}"]`).first();
    if (await open.count()) await open.click();
    for (let attempt = 0; !(await tab.count()); attempt++) {
      await quickInput.waitFor({ state: 'hidden' });
      await page.keyboard.press('Control+P');
      await input.waitFor();
      await input.fill(rel);
      const name = new RegExp(`^${path.basename(rel).replace(/\./g, '\\.')}$`);
      const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: name }) }).first();
      await row.waitFor();
      await row.click();
      await quickInput.waitFor({ state: 'hidden' });
      try {
        await tab.waitFor({ timeout: attempt ? 30000 : 5000 });
        break;
      } catch (e) {
        if (attempt) throw e;
      }
    }
    await page.locator('.monaco-editor.focused').waitFor();
    await page.keyboard.press('Control+G');
    await input.waitFor();
    await input.fill(`:${line}`);
    await page.keyboard.press('Enter');
    await quickInput.waitFor({ state: 'hidden' });
    await page.locator('.statusbar-item', { hasText: `Ln ${line},` }).first().waitFor();
    await page.locator('.monaco-editor.focused').waitFor();
  };

  // A breakpoint at a line (F9), waiting for its glyph.
  w.breakpointAt = async (rel, line) => {
    await w.goTo(rel, line);
    await w.page.keyboard.press('F9');
    await w.page.locator('.monaco-editor .codicon-debug-breakpoint, .monaco-editor .codicon-debug-breakpoint-unverified')
      .first().waitFor();
  };

  // Pick an entry of a context menu (the workbench draws them in the
  // page).  A click that lands while the menu is still being laid out can
  // be lost: the menu then stays open, and a second click picks the entry.
  w.menuItem = async (label) => {
    const menu = w.page.locator('.context-view .monaco-menu');
    const item = menu.locator('.action-item:not(.disabled)', { hasText: label }).first();
    await item.waitFor();
    for (let i = 0; ; i++) {
      await item.click();
      try {
        await menu.waitFor({ state: 'hidden', timeout: 3000 });
        return;
      } catch (e) {
        if (i === 2 || !(await item.count())) throw e;
      }
    }
  };

  // Expand a view of the Run and Debug side bar (a click on a collapsed
  // header); its body.
  w.expandView = async (title) => {
    const header = w.page.locator('.pane-header', { hasText: title }).first();
    await header.waitFor();
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    return header.locator('xpath=..').locator('.pane-body');
  };

  // Collapse one (room for the others).
  w.collapseView = async (title) => {
    const header = w.page.locator('.pane-header', { hasText: new RegExp(`^${title}`, 'i') }).first();
    if ((await header.count()) && (await header.getAttribute('aria-expanded')) === 'true') await header.click();
  };

  w.screenshot = (file) => w.page.screenshot({ path: path.join(IDE, file) });

  return w;
}
