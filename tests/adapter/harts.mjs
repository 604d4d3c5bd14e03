// The reference OS runs on several harts: a stop can be on any of them, and
// a client asks about the thread (hart) the stopped event names, as VS Code
// does.  followStops(dc) keeps dc.thread on the last stopped event's thread
// (1 before any stop).
//
// It also keeps the adapter's last output lines: an event that does not
// come within its time fails with them in its message (a stop that never
// came is then explained by what the adapter said, e.g. "cannot resume").
export function followStops(dc) {
  dc.thread = 1;
  dc.on('stopped', (e) => { dc.thread = e.body.threadId; });
  const last = [];
  dc.on('output', (e) => {
    last.push(e.body.output);
    if (last.length > 30) last.shift();
  });
  const waitForEvent = dc.waitForEvent.bind(dc);
  dc.waitForEvent = (name, ms) => waitForEvent(name, ms).catch((err) => {
    if (err instanceof Error && last.length) err.message += `\nthe adapter's last output:\n${last.join('')}`;
    throw err;
  });
  return dc;
}

// A stop's description without the hart it names on a machine of several
// ("hello/3, U mode, hart 1" -> "hello/3, U mode"): a process may move
// between harts, between two stops of one step.
export const noHart = (d) => d.replace(/, hart \d+$/, '');
