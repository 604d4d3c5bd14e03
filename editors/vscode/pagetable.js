// "Open page table": the Sv39 mappings of a process, read by the adapter
// (osdbg/pageTable, adapter/target/pagetable.c) while the OS is stopped, drawn
// as a table in a webview: virtual range -> physical pages, with the
// permission bits as badges.  This is what a student asks about most
// when user and kernel addresses collide.
'use strict';

const vscode = require('vscode');

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function sizeText(bytes) {
  const units = [['GiB', 30], ['MiB', 20], ['KiB', 10]];
  for (const [u, s] of units) if (bytes >= 2n ** BigInt(s) && bytes % 2n ** BigInt(s) === 0n) return `${bytes >> BigInt(s)} ${u}`;
  return `${bytes} B`;
}

const FLAG_NAMES = { r: 'read', w: 'write', x: 'execute', u: 'user', g: 'global', a: 'accessed', d: 'dirty' };

function pageTableHtml(title, body) {
  const nonce = [...Array(24)].map(() => Math.floor(Math.random() * 36).toString(36)).join('');
  const rows = (body.mappings || []).map((m) => {
    const size = BigInt(m.end) - BigInt(m.va);
    const flags = [...m.flags].map((c, i) => (c === '-'
      ? '<span class="off">-</span>'
      : `<span class="flag f-${'rwxugad'[i]}" title="${FLAG_NAMES['rwxugad'[i]]}">${c}</span>`)).join('');
    const who = m.flags[3] === 'u' ? 'user' : 'kernel';
    return `<tr class="${who}"><td>${esc(m.va)}</td><td>${esc(m.end)}</td><td>${esc(sizeText(size))}</td>`
      + `<td>${esc(m.pa)}</td><td class="flags">${flags}</td><td>${who}</td></tr>`;
  }).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; img-src 'none'; script-src 'none'">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
table { border-collapse: collapse; font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; }
th, td { padding: 2px 12px 2px 0; text-align: left; }
th { border-bottom: 1px solid var(--vscode-panel-border, #888); }
tr.user td:first-child { border-left: 3px solid var(--vscode-charts-green, #89d185); padding-left: 6px; }
tr.kernel td:first-child { border-left: 3px solid var(--vscode-charts-orange, #d18616); padding-left: 6px; }
.flag { display: inline-block; width: 1.3em; text-align: center; border-radius: 3px; margin-right: 1px;
  background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.f-w { background: var(--vscode-charts-red, #f14c4c); color: #fff; }
.f-x { background: var(--vscode-charts-purple, #b180d7); color: #fff; }
.f-u { background: var(--vscode-charts-green, #89d185); color: #000; }
.off { display: inline-block; width: 1.3em; text-align: center; opacity: 0.4; margin-right: 1px; }
.note { color: var(--vscode-descriptionForeground); }
</style><title>${esc(title)}</title></head>
<body><h3>${esc(title)}</h3>
<p class="note">Sv39, root table at ${esc(body.root)}: ${(body.mappings || []).length} ranges of contiguous pages with the same bits
(r read, w write, x execute, u user, g global, a accessed, d dirty).${body.truncated ? ' <b>Not all of it: the list was cut.</b>' : ''}</p>
<table><tr><th>virtual from</th><th>to</th><th>size</th><th>physical</th><th>bits</th><th>mode</th></tr>
${rows}
</table></body></html>`;
}

async function openPageTable(session, proc) {
  if (!session || !proc || !proc.pageTable) return;
  const title = `Page table of ${proc.program}/${proc.pid}`;
  try {
    const body = await session.customRequest('osdbg/pageTable', { pageTable: proc.pageTable });
    const panel = vscode.window.createWebviewPanel('osdbg.pageTable', `${proc.program}/${proc.pid}: page table`,
      vscode.ViewColumn.Beside, { enableScripts: false, enableCommandUris: false, localResourceRoots: [] });
    panel.webview.html = pageTableHtml(title, body);
  } catch (e) {
    vscode.window.showErrorMessage(`osdbg: cannot read the page table of ${proc.program}/${proc.pid}: ${(e && e.message) || e}`);
  }
}

module.exports = { openPageTable, pageTableHtml };
