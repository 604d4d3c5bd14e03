// The reference OS runs on several harts: a stop can be on any of them, and
// a client asks about the thread (hart) the stopped event names, as VS Code
// does.  followStops(dc) keeps dc.thread on the last stopped event's thread
// (1 before any stop).
export function followStops(dc) {
  dc.thread = 1;
  dc.on('stopped', (e) => { dc.thread = e.body.threadId; });
  return dc;
}

// A stop's description without the hart it names on a machine of several
// ("hello/3, U mode, hart 1" -> "hello/3, U mode"): a process may move
// between harts, between two stops of one step.
export const noHart = (d) => d.replace(/, hart \d+$/, '');
