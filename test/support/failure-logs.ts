/**
 * The app's log, printed when a test fails. Component tests run the app in process (Stack) or as a child
 * process (AppProcess) and keep its log in memory; a 500 that a test sees names only a reference, which
 * is in that log. Each app registers its log here for as long as it runs; a root `beforeEach` marks where
 * each log stands, and a root `afterEach` prints what each logged since, under a test that did not pass
 * (a failed hook leaves the test's state unset). An app started once for a whole suite is printed for
 * whichever of its tests fails.
 */

interface Kept {
  label: string;
  lines: string[];
  /** Where the running test began in `lines`. */
  from: number;
  /** Its app has stopped: forgotten once the test that stopped it is over. */
  done: boolean;
}

let kept: Kept[] = [];

/**
 * Keeps `lines` (appended to as the app logs) to print if a test fails while, or just after, the app runs.
 * Returns what to call when the app stops.
 */
export function keepForFailure(label: string, lines: string[]): () => void {
  const entry: Kept = { label, lines, from: 0, done: false };
  kept.push(entry);
  return () => void (entry.done = true);
}

/** The last lines printed of each app's log: enough for the failure, not the whole suite's scroll. */
const TAIL = 200;

export const mochaHooks = {
  beforeEach() {
    kept = kept.filter((k) => !k.done);
    for (const k of kept) k.from = k.lines.length;
  },
  afterEach(this: Mocha.Context) {
    const state = this.currentTest?.state;
    if (state === "passed" || state === "pending") return;
    for (const { label, lines, from } of kept) {
      const text = lines.slice(from).join("").split("\n").filter(Boolean);
      if (text.length === 0) continue;
      const shown = text.slice(-TAIL);
      const count = shown.length < text.length ? `last ${shown.length} of ${text.length}` : `${text.length}`;
      process.stderr.write(
        `\n----- ${label}'s log during this test (${count} lines) -----\n${shown.join("\n")}\n----- end of ${label}'s log -----\n`,
      );
    }
  },
};
