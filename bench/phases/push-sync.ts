import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import type { PushSyncSample } from "../sims/protocol";
import { SimsClient } from "../sims/sims-client";
import { ROOT, startApp } from "../support/app-process";
import { largeRepository } from "../support/large-repo";
import { memoryOf, resetPeak } from "../support/proc";
import { round, summarize, type Summary } from "../support/stats";
import type { Store } from "../support/stores";

export const PUSH_SYNC_TARGETS = { refP95Ms: 3000, bytesRatio: 2, rssGrowthMb: 20 };

export interface PushSyncSizeResult {
  name: string;
  /** Size of the repository's objects (uncompressed) before the pushes. */
  repoMb: number;
  /** The first sync: empty cache, empty GitLab project (repo:push → ref, → pipeline). */
  first: PushSyncSample | null;
  /** Single-commit pushes with a warm cache. */
  refMs: Summary;
  pipelineMs: Summary;
  /** git-receive-pack request bytes per incremental sync, the new objects' size, and the largest ratio of the two. */
  sentBytes: Summary;
  newObjectBytes: Summary;
  maxBytesRatio: number;
  /** `du` of the repository's cache folder after the pushes. */
  cacheMb: number;
  /** One more single-commit push after the cache was removed: a full fetch from Bitbucket. */
  coldCache: PushSyncSample;
  /**
   * Where the incremental syncs' time went, medians from the app's "push sync timed" log lines: the row's
   * wait from its first write to its claim (debounce, worker wake), then each step of the sync.
   */
  stepsMs: Record<string, number>;
  /** The app's RSS before the first sync, and its peak from then to the end of the cold-cache sync. */
  rssBeforeMb: number;
  peakRssMb: number;
}

export interface PushSyncResult {
  /** PUSH_SYNC_DEBOUNCE_MS the app ran with: every push waits that long for others to fold into its sync. */
  debounceMs: number;
  /** The machine's 1-minute load average at the start and the end of the phase. */
  loadAverage: { start: number; end: number };
  pushes: number;
  blobBytes: number;
  sizes: PushSyncSizeResult[];
  verdicts: Verdict[];
}

export interface Verdict {
  label: string;
  value: string;
  pass: boolean;
}

/**
 * Issue 12: push sync through the real git http-backend of both simulators. A fresh app with two
 * push-sync links: a small repository and one of `largeMb` MB of incompressible files (generated once,
 * reused). For each: the first sync, `pushes` single-commit pushes (each a repo:push webhook), then the
 * cache removed and one more push; the app's RSS, and the cache's disk.
 */
export async function pushSyncPhase(
  store: Store,
  opts: { pushes: number; blobBytes: number; largeMb: number; log: (line: string) => void },
): Promise<PushSyncResult> {
  const large = await largeRepository(opts.largeMb);
  opts.log(`push sync: ${opts.largeMb} MB repository ${large.reused ? "reused" : `generated in ${large.ms} ms`} at ${large.dir}`);
  const loadStart = loadavg()[0]!;
  const cacheDir = path.join(store.dir, "git-cache");
  // Info-level JSON logs: each sync's step timings come from them.
  const app = await startApp({
    databaseUrl: store.url,
    dir: store.dir,
    env: { GIT_CACHE_DIR: cacheDir, LOG_LEVEL: "info", LOG_FORMAT: "json" },
  });
  const sims = await SimsClient.start(ROOT);
  try {
    await sims.pushSyncSetup(app.url, [{ name: "small" }, { name: "large", sourceDir: large.dir }]);
    const sizes: PushSyncSizeResult[] = [];
    for (const name of ["small", "large"]) {
      const before = new Set(entries(cacheDir));
      const rssBeforeMb = memoryOf(app.pid).rssMb;
      const exact = resetPeak(app.pid);
      let sampledPeak = rssBeforeMb;
      const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, memoryOf(app.pid).rssMb)), 100);
      try {
        const timeoutMs = 600_000;
        const logFrom = statSync(app.logFile).size;
        const series = await sims.pushSyncSeries({ name, pushes: opts.pushes, blobBytes: opts.blobBytes, timeoutMs });
        const timed = syncTimings(app.logFile, logFrom).slice(series.first ? 1 : 0);
        const mine = entries(cacheDir).filter((e) => !before.has(e));
        if (mine.length !== 1) throw new Error(`expected one new cache folder for ${name}, found ${mine.join(", ")}`);
        const cache = path.join(cacheDir, mine[0]!);
        const cacheMb = duMb(cache);
        rmSync(cache, { recursive: true, force: true });
        const cold = await sims.pushSyncSeries({ name, pushes: 1, blobBytes: opts.blobBytes, timeoutMs });
        const peakRssMb = Math.max(sampledPeak, exact ? memoryOf(app.pid).hwmMb : 0);
        const p = series.pushes;
        const result: PushSyncSizeResult = {
          name,
          repoMb: round((series.first?.newObjectBytes ?? NaN) / 2 ** 20, 2),
          first: series.first,
          refMs: summarize(p.map((s) => s.refMs)),
          pipelineMs: summarize(p.map((s) => s.pipelineMs)),
          sentBytes: summarize(p.map((s) => s.sentBytes)),
          newObjectBytes: summarize(p.map((s) => s.newObjectBytes)),
          maxBytesRatio: round(Math.max(...p.map((s) => s.sentBytes / s.newObjectBytes)), 2),
          cacheMb,
          coldCache: cold.pushes[0]!,
          stepsMs: medians(timed),
          rssBeforeMb: round(rssBeforeMb),
          peakRssMb: round(peakRssMb),
        };
        opts.log(describe(result));
        sizes.push(result);
      } finally {
        clearInterval(sampler);
      }
    }
    return {
      debounceMs: Number(process.env.PUSH_SYNC_DEBOUNCE_MS || 0),
      loadAverage: { start: round(loadStart, 2), end: round(loadavg()[0]!, 2) },
      pushes: opts.pushes,
      blobBytes: opts.blobBytes,
      sizes,
      verdicts: pushSyncVerdicts(sizes),
    };
  } finally {
    await sims.stop();
    await app.stop();
  }
}

/** The issue's targets: p95 push → ref under 3 s; every incremental sync under 2× its new objects; RSS flat in size. */
export function pushSyncVerdicts(sizes: PushSyncSizeResult[]): Verdict[] {
  const t = PUSH_SYNC_TARGETS;
  const out: Verdict[] = sizes.map((s) => ({
    label: `${s.name} (${s.repoMb} MB): p95 repo:push → ref in GitLab < ${t.refP95Ms / 1000} s`,
    value: `${s.refMs.p95} ms`,
    pass: s.refMs.n > 0 && s.refMs.p95 < t.refP95Ms,
  }));
  const worst = Math.max(...sizes.map((s) => s.maxBytesRatio));
  out.push({
    label: `bytes sent per incremental sync < ${t.bytesRatio}× the new objects`,
    value: `${worst}×`,
    pass: worst < t.bytesRatio,
  });
  const small = sizes.find((s) => s.name === "small");
  const large = sizes.find((s) => s.name === "large");
  if (small && large) {
    const growth = round(large.peakRssMb - small.peakRssMb);
    out.push({
      label: `app peak RSS does not grow with repository size (large − small < ${t.rssGrowthMb} MB)`,
      value: `${small.peakRssMb} → ${large.peakRssMb} MB (${growth >= 0 ? "+" : ""}${growth})`,
      pass: growth < t.rssGrowthMb,
    });
  }
  return out;
}

export function verdictLines(verdicts: Verdict[]): string[] {
  return verdicts.map((v) => `${v.pass ? "✓" : "✗"} ${v.label}: ${v.value}`);
}

function describe(r: PushSyncSizeResult): string {
  const kb = (b: number) => `${round(b / 1024)} KB`;
  return (
    `push sync ${r.name} (${r.repoMb} MB): first sync → ref ${r.first?.refMs ?? "–"} ms, → pipeline ${r.first?.pipelineMs ?? "–"} ms; ` +
    `${r.refMs.n} pushes → ref p50 / p95 ${r.refMs.p50} / ${r.refMs.p95} ms, → pipeline ${r.pipelineMs.p50} / ${r.pipelineMs.p95} ms; ` +
    `sent ${kb(r.sentBytes.p50)} for ${kb(r.newObjectBytes.p50)} new (max ${r.maxBytesRatio}×); cache ${r.cacheMb} MB; ` +
    `cold cache → ref ${r.coldCache.refMs} ms; app RSS ${r.rssBeforeMb} → peak ${r.peakRssMb} MB\n` +
    `  median ms per incremental sync: ${Object.entries(r.stepsMs)
      .map(([step, ms]) => `${step} ${ms}`)
      .join(", ")}`
  );
}

/** The steps of each sync the app logged after byte `from` of its log, in order ("queued" first). */
function syncTimings(logFile: string, from: number): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  for (const line of readFileSync(logFile).subarray(from).toString("utf8").split("\n")) {
    if (!line.includes('"push sync timed"')) continue;
    try {
      const entry = JSON.parse(line) as { queuedMs: number; stepsMs: Record<string, number> };
      out.push({ queued: entry.queuedMs, ...entry.stepsMs });
    } catch {
      // a line cut by the copy: skipped
    }
  }
  return out;
}

function medians(rows: Record<string, number>[]): Record<string, number> {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(names.map((n) => [n, summarize(rows.map((r) => r[n] ?? 0)).p50]));
}

function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((e) => e.endsWith(".git")) : [];
}

function duMb(dir: string): number {
  const kb = Number(String(execFileSync("du", ["-sk", dir])).split(/\s/)[0]);
  return round(kb / 1024);
}
