import type { Spread, StoreResult } from "../report";

/** The figures a run's verdict rests on, by name; a figure a run did not measure is left out. */
const FIGURES: Record<string, (r: StoreResult) => number | undefined> = {
  "intake repo:push ratio to bare": (r) => r.intake?.bitbucket.ratio,
  "intake Pipeline Hook ratio to bare": (r) => r.intake?.gitlab.ratio,
  "intake repo:push app CPU ms/request": (r) => r.intake?.bitbucket.app.cpuMsPerRequest,
  "intake Pipeline Hook app CPU ms/request": (r) => r.intake?.gitlab.app.cpuMsPerRequest,
  "e2e delivered /s": (r) => r.e2e?.deliveredPerSecond,
  "e2e p50 ms": (r) => r.e2e?.e2eMs.p50,
  "e2e p99 ms": (r) => r.e2e?.e2eMs.p99,
  "e2e app CPU ms/event": (r) => r.e2e?.cpuMsPerEvent,
  "e2e database statements/event": (r) => r.e2e?.perEvent.dbStatements ?? undefined,
  "e2e scavenges/1000 events": (r) => r.e2e?.perEvent.scavengesPer1000 ?? undefined,
  "e2e outbox claims/event": (r) => r.e2e?.perEvent.claims ?? undefined,
  "e2e peak RSS MB": (r) => r.e2e?.peakRssMb,
  "e2e warm-up p99 ms": (r) => r.e2eWarmup?.e2eMs.p99,
  "idle RSS MB": (r) => r.idleRssMb,
};

/** Min, median and max of each key figure over the runs of one store (`--runs N`). */
export function spreadOf(runs: StoreResult[]): Record<string, Spread> {
  const out: Record<string, Spread> = {};
  for (const [name, read] of Object.entries(FIGURES)) {
    const values = runs.map(read).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    if (values.length === 0) continue;
    const sorted = [...values].sort((a, b) => a - b);
    out[name] = { min: sorted[0]!, median: sorted[Math.floor((sorted.length - 1) / 2)]!, max: sorted.at(-1)!, runs: values };
  }
  return out;
}

export function spreadLines(store: string, spread: Record<string, Spread>): string[] {
  return Object.entries(spread).map(([name, s]) => `  ${store} ${name}: ${s.min} / ${s.median} / ${s.max}`);
}
