import type { DepthResult } from "./phases/outbox-depth";
import type { LoadRun } from "./phases/end-to-end";
import type { IntakeResult } from "./phases/intake";
import { NOISY_TARGET_P95_MS, type NoisyNeighbourResult } from "./phases/noisy";
import { PUSH_SYNC_TARGETS, type PushSyncResult } from "./phases/push-sync";
import type { ReportsPhaseResult } from "./phases/reports";
import type { SoakResult } from "./phases/soak";

/** Everything measured on one store. Phases that were skipped are absent. */
export interface StoreResult {
  ranAt: string;
  /** App processes on the one database (BENCH_APP_INSTANCES, PostgreSQL only); absent for one. */
  appInstances?: number;
  /** The node flags the app ran with: the image's NODE_OPTIONS, then BENCH_APP_NODE_ARGS. */
  appNodeFlags?: string;
  /** RSS of the app once installed and linked, before any load. */
  idleRssMb?: number;
  intake?: { bitbucket: IntakeResult; gitlab: IntakeResult; connections: number; seconds: number };
  e2e?: LoadRun;
  /** The end-to-end run's warm-up, just before it at the same rate: a fresh app's first seconds. */
  e2eWarmup?: LoadRun;
  steps?: { runs: LoadRun[]; highestHeld: number | null };
  outboxDepth?: DepthResult;
  soak?: SoakResult & { seconds: number; rate: number };
  noisy?: NoisyNeighbourResult;
  reports?: ReportsPhaseResult;
  pushSync?: PushSyncResult;
  appLog?: Record<string, number>;
  profile?: string[];
  /** With --runs N: the key figures of every run, as min / median / max. */
  spread?: Record<string, Spread>;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
  runs: number[];
}

export const TARGETS = { intakeRatio: 0.5, p99Ms: 100, rssMb: 200 };

type Row = [label: string, cell: (r: StoreResult) => string, target: string];

const ok = (pass: boolean | undefined) => (pass === undefined ? "" : pass ? " ✓" : " ✗");
// Numbers that crossed IPC or JSON come back as null where they were NaN (no samples).
const n = (x: number | null | undefined) => (x === undefined || x === null || Number.isNaN(x) ? "–" : String(x));

const ROWS: Row[] = [
  ["intake repo:push /s: app / bare = ratio", (r) => intakeCell(r.intake?.bitbucket), `≥ ${TARGETS.intakeRatio} of bare`],
  ["  CPU ms/request app / bare; app peak RSS; others", (r) => intakeCpu(r.intake?.bitbucket), ""],
  ["intake Pipeline Hook /s: app / bare = ratio", (r) => intakeCell(r.intake?.gitlab), `≥ ${TARGETS.intakeRatio} of bare`],
  ["  CPU ms/request app / bare; app peak RSS; others", (r) => intakeCpu(r.intake?.gitlab), ""],
  [
    "end to end, fixed rate: p50 / p95 / p99 ms",
    (r) =>
      r.e2e
        ? `${n(r.e2e.e2eMs.p50)} / ${n(r.e2e.e2eMs.p95)} / ${n(r.e2e.e2eMs.p99)}${ok((r.e2e.e2eMs.p99 ?? Infinity) < TARGETS.p99Ms && r.e2e.lost === 0)}`
        : "–",
    `p99 < ${TARGETS.p99Ms} at 200/s`,
  ],
  [
    "  rate → delivered /s; hook p50 / p99 ms; lost",
    (r) =>
      r.e2e ? `${r.e2e.rate} → ${r.e2e.deliveredPerSecond}; ${n(r.e2e.hookMs.p50)} / ${n(r.e2e.hookMs.p99)}; ${r.e2e.lost}` : "–",
    "",
  ],
  [
    "  app cores, CPU ms per event; others' cores",
    (r) => (r.e2e ? `${loadCpu(r.e2e)}${r.appInstances ? ` (${r.appInstances} app processes)` : ""}` : "–"),
    "",
  ],
  [
    "  first seconds of a fresh app (warm-up): s; p50 / p99 ms; hook p99",
    (r) =>
      r.e2eWarmup
        ? `${r.e2eWarmup.seconds} s; ${n(r.e2eWarmup.e2eMs.p50)} / ${n(r.e2eWarmup.e2eMs.p99)}; ${n(r.e2eWarmup.hookMs.p99)}`
        : "–",
    "",
  ],
  [
    "  database statements per event (of them claims)",
    (r) =>
      r.e2e?.perEvent?.dbStatements != null
        ? `${r.e2e.perEvent.dbStatements}${r.e2e.perEvent.claims != null ? ` (${r.e2e.perEvent.claims})` : ""}`
        : "–",
    "",
  ],
  [
    "  app GC: scavenges per 1,000 events; GC ms per event",
    (r) =>
      r.e2e?.perEvent?.scavengesPer1000 != null ? `${r.e2e.perEvent.scavengesPer1000}; ${r.e2e.perEvent.gcMs ?? "–"}` : "–",
    "",
  ],
  [
    "highest rate held (steps)",
    (r) =>
      r.steps ? `${n(r.steps.highestHeld)} /s (${r.steps.runs.map((s) => `${s.rate}${s.held ? "✓" : "✗"}`).join(" ")})` : "–",
    "≥ 200/s",
  ],
  [
    "outbox at depth: drain rows/s (first / last 10%)",
    (r) =>
      r.outboxDepth
        ? `${r.outboxDepth.drainPerSecond} (${r.outboxDepth.firstTenthPerSecond} / ${r.outboxDepth.lastTenthPerSecond})${r.outboxDepth.perInstallation ? ` ${r.outboxDepth.perInstallation}/installation` : ""}`
        : "–",
    "flat with depth",
  ],
  [
    "  claim p50 ms deep; enqueue p50 ms deep / empty",
    (r) =>
      r.outboxDepth
        ? `${n(r.outboxDepth.claimMsAtDepth.p50)}; ${n(r.outboxDepth.enqueueMs.atDepth.p50)} / ${n(r.outboxDepth.enqueueMs.empty.p50)}`
        : "–",
    "",
  ],
  [
    "noisy neighbour: quiet p50 / p95 / p99 ms",
    (r) =>
      r.noisy
        ? `${n(r.noisy.quietE2eMs.p50)} / ${n(r.noisy.quietE2eMs.p95)} / ${n(r.noisy.quietE2eMs.p99)}${ok((r.noisy.quietE2eMs.p95 ?? Infinity) < NOISY_TARGET_P95_MS && r.noisy.quietLost === 0)}`
        : "–",
    `p95 < ${NOISY_TARGET_P95_MS} ms (issue 17)`,
  ],
  [
    "  flood sent / accepted / refused; delivered /s; quiet refused, lost",
    (r) =>
      r.noisy
        ? `${r.noisy.noisySent} / ${r.noisy.noisyAccepted} / ${r.noisy.noisyRefused} at ${r.noisy.noisyRate}/s; ${r.noisy.noisyDeliveredPerSecond}; ${r.noisy.quietRefused}, ${r.noisy.quietLost}`
        : "–",
    "",
  ],
  [
    "reports: hook → all visible ms; app RSS peak growth MB",
    (r) =>
      r.reports
        ? `${r.reports.hookToReportsMs}; +${n(r.reports.peakGrowthMb)}${ok(r.reports.refused === 0 && r.reports.peakGrowthMb < 50)}`
        : "–",
    "nothing refused, < 50 MB",
  ],
  [
    "  cases / failures (KB); calls, refused; hook → status ms",
    (r) =>
      r.reports
        ? `${r.reports.cases} / ${r.reports.failures} (${Math.round(r.reports.reportBytes / 1024)}); ${r.reports.reportCalls}, ${r.reports.refused}; ${r.reports.hookToStatusMs}`
        : "–",
    "",
  ],
  [
    "push sync, p95 repo:push → ref ms (→ pipeline): small; large",
    (r) => {
      const sizes = r.pushSync?.sizes ?? [];
      const cell = (s: (typeof sizes)[number]) =>
        `${n(s.refMs.p95)} (${n(s.pipelineMs.p95)})${ok(s.refMs.p95 < PUSH_SYNC_TARGETS.refP95Ms)}`;
      return sizes.length ? sizes.map(cell).join("; ") : "–";
    },
    `p95 < ${PUSH_SYNC_TARGETS.refP95Ms / 1000} s`,
  ],
  [
    "  sent / new objects (worst); cache MB; first / cold-cache sync ms",
    (r) => {
      const sizes = r.pushSync?.sizes ?? [];
      const cell = (s: (typeof sizes)[number]) =>
        `${s.name} ${n(s.maxBytesRatio)}×${ok(s.maxBytesRatio < PUSH_SYNC_TARGETS.bytesRatio)}, ${n(s.cacheMb)}, ${n(s.first?.refMs)} / ${n(s.coldCache.refMs)}`;
      return sizes.length ? sizes.map(cell).join("; ") : "–";
    },
    `< ${PUSH_SYNC_TARGETS.bytesRatio}×`,
  ],
  [
    "  app peak RSS while syncing MB: small → large",
    (r) => {
      const sizes = r.pushSync?.sizes ?? [];
      const v = r.pushSync?.verdicts.find((x) => x.label.startsWith("app peak RSS"));
      return sizes.length ? `${sizes.map((s) => n(s.peakRssMb)).join(" → ")}${ok(v?.pass)}` : "–";
    },
    `+ < ${PUSH_SYNC_TARGETS.rssGrowthMb} MB`,
  ],
  [
    "peak RSS under e2e load, MB",
    (r) => (r.e2e ? `${r.e2e.peakRssMb}${ok(r.e2e.peakRssMb < TARGETS.rssMb)}` : "–"),
    `< ${TARGETS.rssMb} MB`,
  ],
  ["  RSS idle (linked) / peak at the highest rate held, MB", (r) => `${n(r.idleRssMb)} / ${heldRss(r)}`, ""],
  [
    "soak: RSS start → end MB; slope MB/min",
    (r) =>
      r.soak
        ? `${r.soak.startRssMb} → ${r.soak.endRssMb}; ${r.soak.slopeMbPerMin}${ok(!r.soak.grows)} (${r.soak.seconds} s at ${r.soak.rate}/s)`
        : "–",
    "no growth",
  ],
  [
    "  soak heap used start → end MB; slope MB/min",
    (r) =>
      r.soak?.heapUsed ? `${n(r.soak.heapUsed.startMb)} → ${n(r.soak.heapUsed.endMb)}; ${n(r.soak.heapUsed.slopeMbPerMin)}` : "–",
    "",
  ],
  [
    "  soak p99 ms; lost; others' cores",
    (r) => (r.soak ? `${n(r.soak.run.e2eMs.p99)}; ${r.soak.run.lost}; ${n(r.soak.run.cores.others)}` : "–"),
    "",
  ],
];

function intakeCpu(i: IntakeResult | undefined): string {
  if (!i) return "–";
  return `${i.app.cpuMsPerRequest} / ${i.baseline.cpuMsPerRequest}; ${n(i.app.peakRssMb)} MB; ${n(i.app.cores.others)} / ${n(i.baseline.cores.others)}`;
}

function heldRss(r: StoreResult): string {
  const held = r.steps?.runs.filter((s) => s.held).pop();
  return held ? `${held.peakRssMb} (at ${held.rate}/s)` : "–";
}

function loadCpu(run: LoadRun): string {
  // With several instances, `apps` is their sum (each process's own share stays in results.json).
  return `${n(run.cores.apps ?? run.cores.app)}, ${run.cpuMsPerEvent}; ${n(run.cores.others)}`;
}

function intakeCell(i: IntakeResult | undefined): string {
  if (!i) return "–";
  const errors = i.app.non2xx + i.app.errors;
  return `${i.app.perSecond} / ${i.baseline.perSecond} = ${i.ratio}${ok(i.ratio >= TARGETS.intakeRatio)}${errors ? ` (${errors} failed)` : ""}`;
}

/** The results as a text table, one column per store. */
export function table(results: Record<string, StoreResult>): string {
  const stores = Object.keys(results);
  const cells = ROWS.map(([label, cell, target]) => [label, ...stores.map((s) => cell(results[s]!)), target]);
  const header = ["", ...stores, "target"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
