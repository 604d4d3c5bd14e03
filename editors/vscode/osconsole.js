// The OS console as a VS Code terminal with no shell behind it.
//
// The adapter serves the OS's console on a Unix socket (adapter/machine/console.c).
// With "consoleTerminal": "event" in the launch configuration (the
// extension sets it) the adapter sends osdbg/console {socket, title}
// instead of asking the editor to run `osdbg console` in a shell
// (runInTerminal).  This terminal is an extension Pseudoterminal: keys go
// to the OS, the OS's bytes come back, and when the session ends it says
// so and takes no more input.  There is never a host shell to fall back
// to, and the next session (or a restart) reuses the same tab.
'use strict';

const vscode = require('vscode');
const net = require('net');
const { StringDecoder } = require('string_decoder');

const DIM = '\x1b[2m';
const PLAIN = '\x1b[0m';

class OsConsole {
  constructor() {
    this.writes = new vscode.EventEmitter();
    this.terminal = undefined;
    this.opened = false; // the pty's open() has been called: writes are shown
    this.early = []; // what was written before that
    this.socket = undefined;
    this.sessions = 0;
    this.endedNoticeShown = false;
  }

  // The terminal, made once and kept while the user keeps it open.
  ensureTerminal(title) {
    if (this.terminal && this.terminal.exitStatus === undefined) return;
    this.opened = false;
    this.early = [];
    const pty = {
      onDidWrite: this.writes.event,
      open: () => {
        this.opened = true;
        for (const t of this.early) this.writes.fire(t);
        this.early = [];
      },
      close: () => {
        this.terminal = undefined;
        this.disconnect();
      },
      handleInput: (data) => this.input(data),
    };
    this.terminal = vscode.window.createTerminal({ name: title || 'OS console', pty, iconPath: new vscode.ThemeIcon('vm') });
  }

  write(text) {
    // xterm moves to the line start only on CR; the OS writes LF.
    const t = text.replace(/\r?\n/g, '\r\n');
    if (this.opened) this.writes.fire(t);
    else this.early.push(t);
  }

  // A session's console: connect, and show the terminal without taking
  // the keyboard from where the user is.
  connect(session, socketPath, title) {
    this.disconnect();
    this.ensureTerminal(title);
    if (this.sessions++) this.write(`\n${DIM}── ${session.name} ──${PLAIN}\n`);
    this.endedNoticeShown = false;
    const sock = net.createConnection(socketPath);
    const decoder = new StringDecoder('utf8');
    this.socket = sock;
    // Shown at the OS's first output, once the editor has opened its own
    // views for the new session (as a runInTerminal terminal would be).
    let shown = false;
    sock.on('data', (d) => {
      this.write(decoder.write(d));
      if (!shown && this.terminal) this.terminal.show(true);
      shown = true;
    });
    sock.on('error', (e) => {
      if (this.socket === sock) this.write(`\n${DIM}[osdbg: the OS console is unreachable: ${e.message}]${PLAIN}\n`);
    });
    sock.on('close', () => {
      if (this.socket !== sock) return;
      this.socket = undefined;
      this.write(`\n${DIM}[the debug session ended: this was the OS's console; F5 starts a new session here]${PLAIN}\n`);
    });
  }

  disconnect() {
    const s = this.socket;
    this.socket = undefined;
    if (s) s.destroy();
  }

  input(data) {
    if (this.socket) {
      this.socket.write(data);
    } else if (!this.endedNoticeShown) {
      this.endedNoticeShown = true;
      this.write(`\n${DIM}[no OS is running: keys typed here go nowhere]${PLAIN}\n`);
    }
  }

  dispose() {
    this.disconnect();
    this.writes.dispose();
  }
}

module.exports = { OsConsole };
