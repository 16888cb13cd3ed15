/**
 * The app's log, printed when a test fails. Component tests run the app in process (Stack) or as a child
 * process (AppProcess) and keep its log in memory; a 500 that a test sees names only a reference, which
 * is in that log. Each app registers its lines here while a test runs; a root `afterEach` prints them
 * under a failed test and forgets them either way.
 */

interface Kept {
  label: string;
  lines: string[];
}

let kept: Kept[] = [];

/** Keeps `lines` (appended to as the app logs) to print if the running test fails. */
export function keepForFailure(label: string, lines: string[]): void {
  kept.push({ label, lines });
}

/** The last lines printed of each app's log: enough for the failure, not the whole suite's scroll. */
const TAIL = 200;

export const mochaHooks = {
  afterEach(this: Mocha.Context) {
    const failed = this.currentTest?.state === "failed";
    const logs = kept;
    kept = [];
    if (!failed) return;
    for (const { label, lines } of logs) {
      const text = lines.join("").split("\n").filter(Boolean);
      const shown = text.slice(-TAIL);
      const skipped = text.length - shown.length;
      process.stderr.write(
        `\n----- ${label}'s log (${skipped > 0 ? `last ${shown.length} of ${text.length}` : `${text.length}`} lines) -----\n` +
          `${shown.join("\n")}\n----- end of ${label}'s log -----\n`,
      );
    }
  },
};
