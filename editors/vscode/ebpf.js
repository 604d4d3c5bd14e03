// The eBPF side of the osdbg extension: the "eBPF" view (attached probes,
// hit counts, drops, detach), the latency histogram panel (SVG bars) and the
// editor's "Trace this function with eBPF" / "Add eBPF logpoint here".
//
// Everything comes from the adapter's custom DAP requests, sent with
// session.customRequest:
//   osdbg/trace        {command} or {function, source, builtin?} -> {text, ids}
//   osdbg/traceList    -> {probes: [{id, kind, hits, program, target, latency}], events, lost, dropped, damaged}
//   osdbg/traceDetach  {id}
//   osdbg/traceMap     {id, map?} -> {entries: [{key, value}], histogram?: {unit, total, buckets: [{low, high, count}]}}
// and its custom event osdbg/traceChanged (after an attach or a detach).
// A failed request never throws out of here: the view shows it as one item.
'use strict';

const vscode = require('vscode');
const path = require('path');

const TYPE = 'osdbg';
const POLL_MS = 2000;
const RESUME_REFRESH_MS = 300; // after the OS runs again (pending logpoints attach first)

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const errorText = (e) => String((e && e.message) || e || 'failed').replace(/\s+/g, ' ');

function osdbgSession() {
  const s = vscode.debug.activeDebugSession;
  return s && s.type === TYPE ? s : undefined;
}

// ---- the eBPF view ---------------------------------------------------------

class EbpfView {
  constructor(addressSpaces) {
    this.spaces = addressSpaces; // knows whether the OS is running or stopped
    this.session = undefined;
    this.data = undefined; // the last osdbg/traceList body (kept while the OS is stopped)
    this.error = undefined; // the last failure's text, until a request succeeds
    this.busy = false;
    this.again = false;
    this.timer = undefined;
    this.emitter = new vscode.EventEmitter();
    this.onDidChangeTreeData = this.emitter.event;
    this.view = undefined; // the TreeView, for its visibility
  }

  start(session) {
    this.stop();
    this.session = session;
    // Counts change only while the OS runs: ask every POLL_MS then (also
    // after a failure: the adapter does not show osdbg/ errors as
    // notifications), and once right after it starts running again.
    this.timer = setInterval(() => {
      if (this.view && this.view.visible && this.spaces.running && !this.spaces.ended) this.refresh();
    }, POLL_MS);
    this.wasRunning = false;
    this.stateListener = this.spaces.onDidChange(() => {
      const running = this.spaces.running && !this.spaces.ended;
      if (running && !this.wasRunning) setTimeout(() => this.refresh(), RESUME_REFRESH_MS);
      if (running !== this.wasRunning) this.emitter.fire(); // "(OS stopped)" in the header
      this.wasRunning = running;
    });
    this.emitter.fire();
  }

  stop(session) {
    if (session && this.session && session.id !== this.session.id) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.stateListener) this.stateListener.dispose();
    this.stateListener = undefined;
    this.session = undefined;
    this.data = undefined;
    this.error = undefined;
    this.emitter.fire();
  }

  // One osdbg/traceList at a time; a refresh asked for meanwhile runs after it.
  async refresh() {
    const s = this.session;
    if (!s) return;
    // A stopped OS answers no probe request: show the last counts.
    if (!this.spaces.running || this.spaces.ended) {
      this.emitter.fire();
      return;
    }
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      const body = await s.customRequest('osdbg/traceList', {});
      if (this.session !== s) return;
      this.data = body || {};
      this.error = undefined;
    } catch (e) {
      if (this.session !== s) return;
      this.error = errorText(e);
    } finally {
      this.busy = false;
    }
    this.emitter.fire();
    if (this.again) {
      this.again = false;
      this.refresh();
    }
  }

  getTreeItem(t) {
    return t;
  }

  getChildren(parent) {
    if (parent || !this.session) return [];
    if (this.error && !this.data) {
      const t = new vscode.TreeItem('eBPF probes unavailable');
      t.description = this.error;
      t.tooltip = `osdbg/traceList: ${this.error} (asked again while the OS runs)`;
      t.iconPath = new vscode.ThemeIcon('warning');
      return [t];
    }
    if (!this.data) {
      const t = new vscode.TreeItem('Asking the adapter...');
      t.iconPath = new vscode.ThemeIcon('loading~spin');
      return [t];
    }
    const d = this.data;
    const probes = Array.isArray(d.probes) ? d.probes : [];
    const num = (v) => (typeof v === 'number' ? v : 0);
    const head = new vscode.TreeItem(probes.length ? plural(probes.length, 'probe') : 'No probes attached');
    head.description = `${plural(num(d.events), 'event')}, ${num(d.lost)} lost, ${num(d.dropped)} dropped` +
      (!this.spaces.running ? ' (OS stopped: counts of the last run)' : this.error ? ` (last refresh failed: ${this.error})` : '');
    // "lost" is the adapter's count of events it never received (gaps in
    // their sequence numbers): the authoritative one; "dropped" is the
    // kernel's own count of those its ring had no room for (part of "lost").
    head.tooltip = probes.length ? `${head.description}: "lost" counts every event that never arrived ` +
        '(gaps in their sequence numbers); "dropped" is the part the kernel itself threw away, its ring being full' +
        (num(d.damaged) ? `; ${plural(num(d.damaged), 'frame')} arrived damaged` : '')
      : 'Right-click in a C file while debugging: "Trace this function with eBPF" or "Add eBPF logpoint here"';
    head.iconPath = new vscode.ThemeIcon(num(d.lost) || num(d.dropped) ? 'warning' : 'pulse');
    return [head, ...probes.map((p) => {
      const hits = num(p.hits);
      const t = new vscode.TreeItem(`#${p.id} ${p.kind || 'probe'} ${p.target || '?'}`);
      t.description = `${p.program || '?'}, ${plural(hits, 'hit')}`;
      t.tooltip = `probe ${p.id}: ${p.kind} on ${p.target}, program ${p.program}, ${plural(hits, 'hit')}`;
      t.iconPath = new vscode.ThemeIcon(p.program === 'logpoint' ? 'debug-breakpoint-log' : 'debug-breakpoint-function');
      t.contextValue = p.latency || p.program === 'latency' ? 'osdbgProbeLatency' : 'osdbgProbe';
      t.probe = p;
      if (t.contextValue === 'osdbgProbeLatency')
        t.command = { command: 'osdbg.ebpfHistogram', title: 'Show histogram', arguments: [t] };
      return t;
    })];
  }
}

// ---- the histogram panel ---------------------------------------------------

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Power-of-two bounds as bpftrace prints them: 512, 1K, 2K ... 1M, 1G.
function binary(n) {
  for (const [shift, suffix] of [[30, 'G'], [20, 'M'], [10, 'K']]) {
    const f = 2 ** shift;
    if (n >= f && n % f === 0) return `${n / f}${suffix}`;
  }
  return String(n);
}
const bucketLabel = (b, unit) => `[${binary(b.low)}, ${binary(b.high)}) ${unit || ''}`.trim();

// The page: one SVG drawn here, no script, nothing remote (CSP below).
function histogramHtml(title, body, error, note) {
  const nonce = [...Array(24)].map(() => Math.floor(Math.random() * 36).toString(36)).join('');
  let content;
  let svgWidth = 0;
  const h = body && body.histogram;
  const head = (error ? `<p class="err">${esc(error)}</p>` : '') + (note ? `<p class="note">${esc(note)}</p>` : '');
  if (error && !body) {
    content = '';
  } else if (h && Array.isArray(h.buckets)) {
    const buckets = h.buckets.filter((b) => b && typeof b.count === 'number');
    const max = Math.max(1, ...buckets.map((b) => b.count));
    const labels = buckets.map((b) => bucketLabel(b, h.unit));
    const lw = 8 + 7.2 * Math.max(8, ...labels.map((l) => l.length));
    const bw = 420;
    const row = 22;
    const height = buckets.length * row + 8;
    const bars = buckets.map((b, i) => {
      const y = 4 + i * row;
      const w = b.count ? Math.max(2, Math.round((bw * b.count) / max)) : 0;
      return `<text class="label" x="${lw - 8}" y="${y + 15}" text-anchor="end">${esc(labels[i])}</text>`
        + `<rect class="bar" x="${lw}" y="${y + 2}" width="${w}" height="${row - 6}"><title>${esc(labels[i])}: ${b.count}</title></rect>`
        + `<text class="count" x="${lw + w + 6}" y="${y + 15}">${b.count}</text>`;
    }).join('\n');
    const total = typeof h.total === 'number' ? h.total : buckets.reduce((a, b) => a + b.count, 0);
    content = `<p>total <b>${total}</b> (log2 buckets, ${esc(h.unit || '')})</p>`
      // The drawing scales down to the panel's width (viewBox): in a narrow
      // split the widest bar and its count stay visible.
      + (buckets.length ? `<svg class="hist" viewBox="0 0 ${svgWidth = Math.ceil(lw + bw + 80)} ${height}" width="100%" role="img" aria-label="latency histogram">${bars}</svg>`
        : '<p>no samples yet</p>');
  } else if (body && Array.isArray(body.entries)) {
    content = body.entries.length
      ? `<table><tr><th>key</th><th>value</th></tr>${body.entries.map((e) => `<tr><td>${esc(e.key)}</td><td>${esc(e.value)}</td></tr>`).join('')}</table>`
      : '<p>the map is empty</p>';
  } else if (body && body.text) {
    content = `<pre>${esc(body.text)}</pre>`;
  } else {
    content = '<p>waiting for data...</p>';
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; img-src 'none'; script-src 'none'">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
svg text { font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; fill: var(--vscode-foreground); }
rect.bar { fill: var(--vscode-charts-blue, #3794ff); }
.err { color: var(--vscode-errorForeground); }
.note { color: var(--vscode-descriptionForeground); font-style: italic; }
svg.hist { max-width: ${svgWidth}px; height: auto; }
td, th { font-family: var(--vscode-editor-font-family, monospace); padding: 0 12px 0 0; text-align: left; }
</style><title>${esc(title)}</title></head>
<body><h3>${esc(title)}</h3>${head}${content}</body></html>`;
}

// One panel per probe, refreshed every 2 s while it is open.
const panels = new Map(); // probe id -> panel

function showHistogram(probe, spaces) {
  const session = osdbgSession();
  if (!probe || !session) return;
  const old = panels.get(probe.id);
  if (old) {
    old.reveal();
    return;
  }
  const title = `Latency of ${probe.target} (probe ${probe.id})`;
  const panel = vscode.window.createWebviewPanel('osdbg.histogram', `eBPF: ${probe.target}`,
    vscode.ViewColumn.Beside, { enableScripts: false, enableCommandUris: false, localResourceRoots: [] });
  panels.set(probe.id, panel);
  let busy = false;
  let timer;
  let last; // the last map read: shown while the OS is stopped, or after a failure
  let ended = false;
  const show = (note, error) => {
    if (panels.get(probe.id) === panel) panel.webview.html = histogramHtml(title, last, error, note);
  };
  // Every POLL_MS while the OS runs; while it is stopped the kernel answers
  // nothing, so the last histogram stays, marked as such, and the next tick
  // after it runs again reads a fresh one.  A failure is shown and retried.
  const update = async () => {
    if (busy || ended) return;
    if (session !== osdbgSession() && !vscode.debug.activeDebugSession) {
      ended = true;
      clearInterval(timer);
      show('the session ended: these are its last counts');
      return;
    }
    if (spaces && (!spaces.running || spaces.ended)) {
      show(spaces.ended ? 'the session ended: these are its last counts' : 'the OS is stopped: counts of the last run');
      return;
    }
    busy = true;
    try {
      last = await session.customRequest('osdbg/traceMap', { id: probe.id });
      show();
    } catch (e) {
      show(undefined, `osdbg/traceMap: ${errorText(e)} (asked again in ${POLL_MS / 1000} s)`);
    }
    busy = false;
  };
  panel.webview.html = histogramHtml(title);
  timer = setInterval(update, POLL_MS);
  update();
  panel.onDidDispose(() => {
    clearInterval(timer);
    panels.delete(probe.id);
  });
}

// ---- editor commands -------------------------------------------------------

// The function to trace at the cursor: a name right before "(" under the
// cursor (a call or the definition), else the enclosing function from the
// language's document symbols, else the nearest C-style definition above.
async function functionAt(editor) {
  const doc = editor.document;
  const pos = editor.selection.active;
  const range = doc.getWordRangeAtPosition(pos, /[A-Za-z_][A-Za-z0-9_]*/);
  const word = range && doc.getText(range);
  const keyword = (w) => /^(if|while|for|switch|return|sizeof)$/.test(w);
  if (word && !keyword(word) && /^\s*\(/.test(doc.lineAt(pos.line).text.slice(range.end.character))) return word;
  try {
    const symbols = await vscode.commands.executeCommand('vscode.executeDocumentSymbolProvider', doc.uri);
    let best;
    const walk = (list) => {
      for (const s of list || []) {
        const r = s.range || (s.location && s.location.range);
        if (!r || !r.contains(pos)) continue;
        if (s.kind === vscode.SymbolKind.Function || s.kind === vscode.SymbolKind.Method) best = s.name;
        walk(s.children);
      }
    };
    walk(symbols);
    if (best) return best.replace(/\(.*$/, '');
  } catch { /* no symbol provider for this language */ }
  for (let l = pos.line; l >= 0; l--) {
    const m = /^[A-Za-z_][\w\s*]*?\b([A-Za-z_]\w*)\s*\([^;]*$/.exec(doc.lineAt(l).text);
    if (m && !keyword(m[1])) return m[1];
    if (l < pos.line && /^}/.test(doc.lineAt(l).text)) break;
  }
  return word;
}

async function traceFunction(view) {
  const editor = vscode.window.activeTextEditor;
  const session = osdbgSession();
  if (!editor || !session) {
    vscode.window.showWarningMessage('osdbg: start an osdbg debug session first');
    return;
  }
  const fn = await functionAt(editor);
  if (!fn) {
    vscode.window.showWarningMessage('osdbg: no function name at the cursor');
    return;
  }
  await traceRequest(view, session, { function: fn, source: editor.document.uri.fsPath }, fn);
}

async function traceCommand(view) {
  const session = osdbgSession();
  if (!session) return;
  const command = await vscode.window.showInputBox({
    prompt: 'As after "trace" in the Debug Console: kprobe|kretprobe <function>, ' +
      'uprobe|uretprobe <program>:<function>, then registers, args, count, latency or a .bpf.c file',
    value: 'kprobe sys_write count',
  });
  if (command) await traceRequest(view, session, { command }, command);
}

async function traceRequest(view, session, args, what) {
  try {
    const body = await session.customRequest('osdbg/trace', args);
    vscode.window.showInformationMessage(`osdbg: ${(body && body.text) || `tracing ${what}`}`);
  } catch (e) {
    vscode.window.showErrorMessage(`osdbg: cannot trace ${what}: ${errorText(e)}`);
  }
  view.refresh();
}

// From the editor's context menu (the cursor's line) or the gutter's (the
// line right-clicked: {lineNumber, uri}).
async function addLogpoint(where) {
  const editor = vscode.window.activeTextEditor;
  const fromGutter = where && typeof where.lineNumber === 'number' && where.uri;
  if (!editor && !fromGutter) return;
  const uri = fromGutter ? where.uri : editor.document.uri;
  const line = fromGutter ? where.lineNumber - 1 : editor.selection.active.line;
  const file = path.basename(uri.fsPath);
  const message = await vscode.window.showInputBox({
    prompt: 'Logpoint message, filled in by an eBPF probe: the line\'s locals and parameters ({n}, {p->name}, {buf[0]}), ' +
      '{comm}, {pid}, {time} and registers ({a0}, {sp}...)',
    value: `{comm}/{pid} reached ${file}:${line + 1}`,
  });
  if (!message) return;
  const at = new vscode.Location(uri, new vscode.Position(line, 0));
  vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(at, true, undefined, undefined, message)]);
}

// ---- wiring ----------------------------------------------------------------

// Returns the tracker hooks extension.js calls for each osdbg session.
function activateEbpf(context, addressSpaces) {
  const sub = (d) => context.subscriptions.push(d);
  const view = new EbpfView(addressSpaces);
  view.view = vscode.window.createTreeView('osdbg.ebpf', { treeDataProvider: view });
  sub(view.view);
  sub(view.view.onDidChangeVisibility((e) => { if (e.visible) view.refresh(); }));
  sub(vscode.debug.onDidTerminateDebugSession((s) => view.stop(s)));
  sub({ dispose: () => view.stop() });
  sub(vscode.commands.registerCommand('osdbg.ebpfRefresh', () => view.refresh()));
  sub(vscode.commands.registerCommand('osdbg.ebpfTrace', () => traceCommand(view)));
  sub(vscode.commands.registerCommand('osdbg.traceFunction', () => traceFunction(view)));
  sub(vscode.commands.registerCommand('osdbg.addLogpoint', addLogpoint));
  sub(vscode.commands.registerCommand('osdbg.ebpfHistogram', (t) => showHistogram(t && t.probe, addressSpaces)));
  sub(vscode.commands.registerCommand('osdbg.ebpfDetach', async (t) => {
    const s = view.session;
    if (!s || !t || !t.probe) return;
    try {
      await s.customRequest('osdbg/traceDetach', { id: t.probe.id });
    } catch (e) {
      vscode.window.showErrorMessage(`osdbg: cannot detach probe ${t.probe.id}: ${errorText(e)}`);
    }
    view.refresh();
  }));
  return {
    sessionStarted: (session) => view.start(session),
    // A message from the adapter: attach/detach, or the OS running again.
    fromAdapter: (m) => {
      if (m.type !== 'event') return;
      if (m.event === 'osdbg/traceChanged' || (m.event === 'continued' && !view.data)) view.refresh();
      else if (m.event === 'terminated' || m.event === 'exited') view.stop();
    },
    sessionEnded: (session) => view.stop(session),
  };
}

module.exports = { activateEbpf, histogramHtml, bucketLabel };
