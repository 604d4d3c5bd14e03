// osdbg VS Code extension: starts the osdbg debug adapter for "osdbg"
// sessions and shows what the adapter knows about address spaces (the eBPF
// view, histograms and editor commands are in ebpf.js).
//
// Plain JavaScript (CommonJS, no build step).  Everything the views show
// comes from the adapter's DAP messages, read with a DebugAdapterTracker:
//   osdbg/addressSpace      {program, pid, mode, satp, pageTable, hart,
//                           harts: [{hart, threadId, program, pid, mode, satp,
//                           selected}]} (custom event, before every stopped
//                           event; program and pid null when no process runs;
//                           numbers as hex text)
//   stopped, continued, the editor's continue and step requests -> running or not
//   setBreakpoints response, breakpoint events -> each breakpoint's state
//   osdbg/console           {socket, title} -> the OS console terminal (osconsole.js)
'use strict';

const vscode = require('vscode');
const fs = require('fs');
const path = require('path');
const { activateEbpf } = require('./ebpf');
const { OsConsole } = require('./osconsole');
const { openPageTable } = require('./pagetable');

const TYPE = 'osdbg';

// Where the adapter binary is: the osdbg.adapterPath setting, else the
// project's build output in the session's workspace folder.
function adapterPath(folder) {
  const configured = vscode.workspace.getConfiguration('osdbg', folder).get('adapterPath');
  if (configured) return configured;
  if (!folder) return 'osdbg';
  return path.join(folder.uri.fsPath, 'build', 'bin', 'osdbg');
}

// The folder of a session: its own, or for a launch configuration in the
// user's settings (which belongs to no folder) the workspace's only one.
function folderOf(folder) {
  const all = vscode.workspace.workspaceFolders;
  return folder ?? (all && all.length === 1 ? all[0] : undefined);
}

class AdapterFactory {
  createDebugAdapterDescriptor(session) {
    const folder = folderOf(session.workspaceFolder);
    const bin = adapterPath(folder);
    if (path.isAbsolute(bin) && !fs.existsSync(bin))
      throw new Error(`osdbg adapter not found at ${bin}: build it first (make), or set osdbg.adapterPath`);
    const args = ['dap'];
    const log = vscode.workspace.getConfiguration('osdbg', folder).get('dapLog');
    if (log) args.push('--log', log);
    const options = folder ? { cwd: folder.uri.fsPath } : undefined;
    return new vscode.DebugAdapterExecutable(bin, args, options);
  }
}

// F5 without a launch.json: boot the reference OS to its shell.  Relative
// profile and replay paths are taken from the workspace folder, like make
// does.
class ConfigurationProvider {
  resolveDebugConfiguration(folder, config) {
    folder = folderOf(folder);
    if (!config.type && !config.request && !config.name) {
      if (!folder) return undefined;
      config = {
        type: TYPE,
        request: 'launch',
        name: 'osdbg: boot the reference OS',
        profile: path.join(folder.uri.fsPath, 'profiles', 'osdbg-kernel.json'),
        bootArgs: '',
        stopOnEntry: false,
      };
    }
    // A relative "replay" folder too (build/recordings/<time>, as
    // `osdbg record` prints it): from the workspace folder, not from
    // wherever the adapter happens to start.
    for (const key of ['profile', 'replay'])
      if (folder && typeof config[key] === 'string' && config[key] && !path.isAbsolute(config[key])
          && !config[key].startsWith('${'))
        config[key] = path.join(folder.uri.fsPath, config[key]);
    // The OS console is this extension's own terminal (osconsole.js): no
    // host shell behind it, one tab reused by every session.
    if (config.request === 'launch' && config.consoleTerminal === undefined) config.consoleTerminal = 'event';
    return config;
  }
}

// ---- Address spaces ------------------------------------------------------

// Requests after which the OS runs (until the next 'stopped' event).
const RESUMING = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto', 'restart']);

// Model shared by all sessions (normally there is one).
class AddressSpaces {
  constructor() {
    this.session = undefined; // name of the session the data belongs to
    this.running = false;
    this.ended = false;
    this.current = undefined; // {program, pid, mode, satp?, reason, hart}
    this.harts = []; // at a stop: every hart's {hart, threadId, program, pid, mode, satp, selected}
    this.seen = new Map(); // "program/pid" -> {program, pid, satp, stops}
    this.breakpoints = new Map(); // DAP id -> {path, line, verified, message, address}
    this.pending = new Map(); // setBreakpoints request seq -> source path
    this.processes = undefined; // at a stop: osdbg/processes' list, or {error}
    this.emitter = new vscode.EventEmitter();
    this.onDidChange = this.emitter.event;
  }

  reset(session) {
    this.session = session.name;
    this.running = true;
    this.ended = false;
    this.current = undefined;
    this.harts = [];
    this.seen.clear();
    this.breakpoints.clear();
    this.pending.clear();
    this.processes = undefined;
    this.emitter.fire();
  }

  setProcesses(list) {
    this.processes = list;
    this.emitter.fire();
  }

  // One DAP message from the adapter or to it.
  fromClient(m) {
    if (m.type === 'request' && m.command === 'setBreakpoints')
      this.pending.set(m.seq, m.arguments && m.arguments.source && m.arguments.source.path);
    // The OS runs from the moment the editor asks it to: the adapter sends
    // no 'continued' event for the editor's own continue and steps.
    if (m.type === 'request' && RESUMING.has(m.command) && !this.ended) {
      this.running = true;
      this.processes = undefined;
      this.emitter.fire();
    }
  }

  fromAdapter(m) {
    if (m.type === 'response' && m.command === 'setBreakpoints') {
      const source = this.pending.get(m.request_seq);
      this.pending.delete(m.request_seq);
      if (!m.success || !source) return;
      for (const [id, b] of this.breakpoints) if (b.path === source) this.breakpoints.delete(id);
      for (const b of (m.body && m.body.breakpoints) || []) this.noteBreakpoint(b, source);
      this.emitter.fire();
    } else if (m.type === 'event') {
      this.fromEvent(m.event, m.body || {});
    }
  }

  noteBreakpoint(b, source) {
    if (b.id === undefined) return;
    const old = this.breakpoints.get(b.id) || {};
    this.breakpoints.set(b.id, {
      path: (b.source && b.source.path) || old.path || source,
      line: b.line || old.line,
      verified: !!b.verified,
      message: b.message,
      address: b.instructionReference || old.address,
    });
  }

  fromEvent(event, body) {
    switch (event) {
      case 'stopped':
        this.running = false;
        this.current = Object.assign({}, this.current, { reason: body.reason });
        this.see(this.current, 1);
        break;
      case 'osdbg/addressSpace':
        // Sent just before each stopped event: where the OS is.
        this.current = {
          program: body.program || undefined,
          pid: typeof body.pid === 'number' ? body.pid : undefined,
          mode: body.mode,
          satp: body.satp,
          pageTable: body.pageTable || undefined,
          hart: typeof body.hart === 'number' ? body.hart : undefined,
        };
        // Every hart's process (a machine of several): shown under "Harts".
        this.harts = Array.isArray(body.harts) ? body.harts : [];
        break;
      case 'continued':
        this.running = true;
        this.processes = undefined;
        break;
      case 'breakpoint':
        if (body.breakpoint) this.noteBreakpoint(body.breakpoint);
        break;
      case 'terminated':
      case 'exited':
        this.running = false;
        this.ended = true;
        break;
      default:
        return;
    }
    this.emitter.fire();
  }

  // Remember an address space; `stops` counts the stops seen in it.
  see(cur, stops) {
    if (!cur.program) return;
    const key = `${cur.program}/${cur.pid}`;
    const s = this.seen.get(key) || { program: cur.program, pid: cur.pid, stops: 0 };
    if (cur.pageTable !== undefined) s.satp = cur.pageTable;
    else if (cur.mode === 'U' && cur.satp !== undefined) s.satp = cur.satp;
    s.stops += stops;
    this.seen.set(key, s);
  }
}

// satp as a hex string.  A 64-bit satp sent as a JSON number (Sv39 sets bit
// 63) is not exact in JavaScript: show it only when it is exact.
function hex(n) {
  if (typeof n === 'string') return n;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return `0x${n.toString(16)}`;
  return undefined;
}
const satpText = (n) => (hex(n) ? `satp ${hex(n)}` : undefined);
// The root table's physical address in an Sv39 satp (privileged spec
// 4.1.11: PPN in bits 43..0, pages of 4 KiB).
const satpRoot = (satp) => (BigInt(satp) & ((1n << 44n) - 1n)) << 12n;
const modeName = (m) => ({ U: 'U mode (user)', S: 'S mode (kernel)', M: 'M mode (firmware)' })[m] || `${m} mode`;

function item(label, opts = {}) {
  const t = new vscode.TreeItem(label, opts.children ? vscode.TreeItemCollapsibleState.Expanded
    : vscode.TreeItemCollapsibleState.None);
  if (opts.description !== undefined) t.description = opts.description;
  if (opts.tooltip) t.tooltip = opts.tooltip;
  if (opts.icon) t.iconPath = new vscode.ThemeIcon(opts.icon);
  if (opts.command) t.command = opts.command;
  t.children = opts.children;
  return t;
}

// One row per live process at a stop (osdbg/processes), with the
// breakpoints armed while it runs; "Open page table" on each.
function processItems(model) {
  const list = model.processes;
  if (model.running || model.ended || list === undefined)
    return [item(model.running ? 'listed while the OS is stopped' : 'none', { icon: 'info' })];
  if (list.error) return [item('unavailable', { description: list.error, tooltip: list.error, icon: 'warning' })];
  return list.map((p) => {
    const bps = (p.breakpoints || []).map((b) => item(`${path.basename(b.source || '?')}:${b.line}`, {
      description: 'armed while it runs',
      icon: 'debug-breakpoint',
      command: b.source ? {
        command: 'vscode.open',
        title: 'Open',
        arguments: [vscode.Uri.file(b.source), { selection: new vscode.Range(b.line - 1, 0, b.line - 1, 0) }],
      } : undefined,
    }));
    const t = item(`${p.program}/${p.pid}${p.current ? '  (now)' : ''}`, {
      description: [p.state, typeof p.hart === 'number' && `on hart ${p.hart}`, p.pageTable && `page table ${p.pageTable}`]
        .filter(Boolean).join(' · '),
      tooltip: `${p.program}, pid ${p.pid}${p.state ? `, ${p.state}` : ''}; Sv39 root table at ${p.pageTable || '?'}; ` +
        `${bps.length} user breakpoint${bps.length === 1 ? '' : 's'} armed while it runs, and the kernel's ` +
        `${model.kernelBreakpoints || 0} in every process`,
      icon: p.current ? 'debug-stackframe' : 'symbol-class',
      children: bps.length ? bps : undefined,
    });
    if (!bps.length) t.collapsibleState = vscode.TreeItemCollapsibleState.None;
    t.contextValue = p.pageTable ? 'osdbgProcess' : 'osdbgProcessNoTable';
    t.process = p;
    return t;
  });
}

class AddressSpacesView {
  constructor(model) {
    this.model = model;
    this.emitter = new vscode.EventEmitter();
    this.onDidChangeTreeData = this.emitter.event;
    model.onDidChange(() => this.emitter.fire());
  }

  getTreeItem(t) {
    return t;
  }

  processesItem() {
    const t = item('Processes', { children: processItems(this.model) });
    return t;
  }

  getChildren(t) {
    if (t) return t.children || [];
    const m = this.model;
    if (!m.session) return [];
    const out = [];
    const c = m.current;
    if (m.ended) {
      out.push(item('Session ended', { description: c && c.program ? `last stop in ${c.program}/${c.pid}` : m.session, icon: 'debug-stop' }));
    } else if (m.running) {
      out.push(item('Running', { description: c && c.program ? `last stop in ${c.program}/${c.pid}` : m.session, icon: 'debug-start' }));
    } else if (c && c.mode) {
      const who = c.program ? `${c.program}/${c.pid}` : 'no process yet';
      // In S mode a kernel with page tables of its own (xv6, ours) runs on
      // the kernel's satp, which Registers shows: say which is which.
      const kernelTable = c.mode !== 'U' && c.pageTable && c.satp && BigInt(c.pageTable) !== satpRoot(c.satp);
      // On a machine of several harts the row names the stop's hart, and
      // opens (collapsed, so that the rows below keep their place) on what
      // every hart ran.
      const harts = m.harts && m.harts.length > 1 ? m.harts.map((h) => item(`hart ${h.hart}${h.selected ? '  (stopped here)' : ''}`, {
        description: [h.program ? `${h.program}/${h.pid}` : 'no process', modeName(h.mode), satpText(h.satp)]
          .filter(Boolean).join(' · '),
        tooltip: `Hart ${h.hart} (thread ${h.threadId}): ${h.program ? `${h.program}, pid ${h.pid}` : 'no process'}, ` +
          `${modeName(h.mode)}, satp ${h.satp}`,
        icon: h.mode === 'U' ? 'account' : 'server-process',
      })) : undefined;
      const now = item(`Now: ${who}${harts && typeof c.hart === 'number' ? ` (hart ${c.hart})` : ''}`, {
        children: harts,
        description: [modeName(c.mode), kernelTable ? `satp ${hex(c.satp)} (the kernel's)` : satpText(c.satp)]
          .filter(Boolean).join(', '),
        tooltip: `Stopped (${c.reason || 'stop'}) in ${who}, ${modeName(c.mode)}.` +
          (kernelTable ? ` The kernel runs on its own page table (satp ${hex(c.satp)}, as in Registers); ` +
            `${who}'s page table is at ${c.pageTable}.` : ''),
        icon: c.mode === 'U' ? 'account' : 'server-process',
      });
      if (harts) now.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
      out.push(now);
      if (kernelTable) {
        out.push(item(`${who}'s page table`, {
          description: `root at ${c.pageTable}`,
          tooltip: 'The process\'s Sv39 root table (profile: process.pageTable); satp in Registers is the kernel\'s while it runs',
          icon: 'symbol-namespace',
        }));
      }
    } else {
      out.push(item(m.session, { description: 'starting', icon: 'loading~spin' }));
    }
    const seen = [...m.seen.values()].map((s) => item(`${s.program}/${s.pid}`, {
      description: [satpText(s.satp), `${s.stops} stop${s.stops === 1 ? '' : 's'}`].filter(Boolean).join(', '),
      icon: 'symbol-namespace',
    }));
    out.push(this.processesItem());
    out.push(item('Address spaces seen', { children: seen.length ? seen : [item('none yet', { icon: 'info' })] }));
    const bySource = new Map();
    for (const b of m.breakpoints.values()) {
      const key = b.path || '(function or instruction breakpoints)';
      if (!bySource.has(key)) bySource.set(key, []);
      bySource.get(key).push(b);
    }
    const groups = [...bySource].map(([file, bps]) => item(path.basename(file), {
      tooltip: file,
      icon: 'file-code',
      children: bps.sort((a, b) => (a.line || 0) - (b.line || 0)).map((b) => item(b.line ? `line ${b.line}` : String(b.address), {
        description: b.verified ? `armed${b.address ? ` at ${b.address}` : ''}` : b.message || 'not armed',
        tooltip: b.message,
        icon: b.verified ? 'debug-breakpoint' : 'debug-breakpoint-unverified',
        command: b.line && b.path ? {
          command: 'vscode.open',
          title: 'Open',
          arguments: [vscode.Uri.file(b.path), { selection: new vscode.Range(b.line - 1, 0, b.line - 1, 0) }],
        } : undefined,
      })),
    }));
    out.push(item('Breakpoints', { children: groups.length ? groups : [item('none set', { icon: 'info' })] }));
    return out;
  }
}

function activate(context) {
  const model = new AddressSpaces();
  const sub = (d) => context.subscriptions.push(d);
  const ebpf = activateEbpf(context, model);
  const osConsole = new OsConsole();
  sub(osConsole);
  sub(vscode.debug.registerDebugAdapterDescriptorFactory(TYPE, new AdapterFactory()));
  sub(vscode.debug.registerDebugConfigurationProvider(TYPE, new ConfigurationProvider()));
  sub(vscode.debug.registerDebugAdapterTrackerFactory(TYPE, {
    createDebugAdapterTracker(session) {
      model.reset(session);
      ebpf.sessionStarted(session);
      return {
        onWillReceiveMessage: (m) => model.fromClient(m),
        onDidSendMessage: (m) => {
          // At each stop: every process, for the Address Spaces view.
          if (m.type === 'event' && m.event === 'stopped') {
            session.customRequest('osdbg/processes', {}).then(
              (b) => { model.kernelBreakpoints = b.kernelBreakpoints; model.setProcesses(b.processes || []); },
              (e) => model.setProcesses({ error: String((e && e.message) || e) }));
          }
          if (m.type === 'event' && m.event === 'osdbg/console' && m.body && m.body.socket)
            osConsole.connect(session, m.body.socket, m.body.title);
          model.fromAdapter(m);
          ebpf.fromAdapter(m);
        },
        onExit: () => {
          model.fromEvent('terminated', {});
          ebpf.sessionEnded(session);
        },
      };
    },
  }));
  sub(vscode.window.registerTreeDataProvider('osdbg.addressSpaces', new AddressSpacesView(model)));
  sub(vscode.commands.registerCommand('osdbg.openPageTable', (t) => {
    const s = vscode.debug.activeDebugSession;
    if (s && s.type === TYPE && t && t.process) openPageTable(s, t.process);
  }));
  sub(vscode.commands.registerCommand('osdbg.consoleInput', async () => {
    const s = vscode.debug.activeDebugSession;
    if (!s || s.type !== TYPE) return;
    const text = await vscode.window.showInputBox({ prompt: 'Text for the OS console (Enter is sent too)' });
    if (text !== undefined) await s.customRequest('consoleInput', { text: `${text}\n` });
  }));
}

function deactivate() {}

module.exports = { activate, deactivate };
