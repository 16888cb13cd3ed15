import type { ReportsRunResult } from "../sims/protocol";
import { SimsClient } from "../sims/sims-client";
import { ROOT, startApp } from "../support/app-process";
import { memoryOf, resetPeak } from "../support/proc";
import { round } from "../support/stats";
import type { Store } from "../support/stores";

export interface ReportsPhaseResult extends ReportsRunResult {
  /** The app's RSS before the hook, its peak (VmHWM) from the hook to the last report, and the growth. */
  rssBeforeMb: number;
  peakRssMb: number;
  peakGrowthMb: number;
}

/**
 * Issue 13: a failed pipeline whose test report has `cases` cases and `failures` failures, from its
 * Pipeline Hook to every report visible on the Bitbucket simulator (TEST with its 1,000 annotations,
 * COVERAGE), and the app's peak memory meanwhile. A fresh app on its own database, one link.
 */
export async function reportsPhase(store: Store, opts: { cases: number; failures: number }): Promise<ReportsPhaseResult> {
  const app = await startApp({ databaseUrl: store.url, dir: store.dir });
  const sims = await SimsClient.start(ROOT);
  try {
    await sims.setup(app.url, 1);
    // A warm-up publication first (same size), so the peak measured is the report's, not first-use costs.
    await sims.reports({ ...opts, timeoutMs: 120_000 });
    const rssBeforeMb = memoryOf(app.pid).rssMb;
    const exact = resetPeak(app.pid);
    const run = await sims.reports({ ...opts, timeoutMs: 120_000 });
    const peakRssMb = exact ? memoryOf(app.pid).hwmMb : NaN;
    return { ...run, rssBeforeMb: round(rssBeforeMb), peakRssMb: round(peakRssMb), peakGrowthMb: round(peakRssMb - rssBeforeMb) };
  } finally {
    await sims.stop();
    await app.stop();
  }
}
