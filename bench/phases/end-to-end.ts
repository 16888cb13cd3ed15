import type { RunOptions, RunResult } from "../sims/protocol";
import type { SimsClient } from "../sims/sims-client";
import type { DepthProbe } from "../support/depth-probe";
import type { GcCounts } from "../support/app-process";
import { CpuMeter, memoryOf, resetPeak } from "../support/proc";
import { waitForQuiet } from "../support/quiet";
import { Sampler, type Sample } from "../support/sampler";
import { round, slope, type Summary } from "../support/stats";
import { settle } from "./intake";

export interface LoadRun {
  rate: number;
  seconds: number;
  sent: number;
  refused: number;
  skipped: number;
  lost: number;
  /** Statuses received per second during the window. */
  deliveredPerSecond: number;
  e2eMs: Summary;
  hookMs: Summary;
  e2eP50ByQuarter: number[];
  /** Growth of accepted-but-not-yet-posted events over the second half, per second. */
  backlogSlopePerS: number;
  maxBacklog: number;
  maxOutboxWaiting: number;
  /** Whether the app kept up: no backlog or latency growth, nothing refused or lost. */
  held: boolean;
  why: string[];
  drainMs: number;
  cores: Record<string, number>;
  /** App CPU per delivered event (its intake and its delivery): comparable even when the machine is busy. */
  cpuMsPerEvent: number;
  /** Round trips per event: GitLab API calls, status POSTs, database transactions (PostgreSQL only). */
  perEvent: {
    gitlabCalls: number;
    statusPosts: number;
    dbTransactions: number | null;
    dbStatements: number | null;
    claims?: number | null;
    /** The app's scavenges per 1,000 events: with a fixed young generation, a count of bytes allocated. */
    scavengesPer1000?: number | null;
    /** Milliseconds the app's garbage collector held its main thread, per event. */
    gcMs?: number | null;
  };
  /** Peak RSS of the app during this run (VmHWM after a reset at its start). */
  peakRssMb: number;
}

export interface Env {
  sims: SimsClient;
  probe: DepthProbe;
  pids: Record<string, number>;
  appPid: number;
  heapUsedMb: () => Promise<number>;
  statements: () => Promise<number>;
  claims?: () => Promise<number>;
  gc?: () => Promise<GcCounts>;
}

/** One paced run of pipeline events, with the app's memory, outbox depth and CPU watched from the side. */
export async function loadRun(
  env: Env,
  rate: number,
  seconds: number,
  drainMs = 10_000,
): Promise<LoadRun & { samples: Sample[] }> {
  const opts: RunOptions = { rate, seconds, drainMs, sampleMs: 250, maxInFlight: 2_000 };
  await waitForQuiet(env.pids, `${rate} events/s`);
  const exactPeak = resetPeak(env.appPid);
  const sampler = new Sampler(env.appPid, env.probe, 1_000, env.heapUsedMb);
  const calls0 = await env.sims.counters();
  const tx0 = await env.probe.transactions();
  const st0 = await env.statements();
  const cl0 = (await env.claims?.()) ?? NaN;
  const gc0 = (await env.gc?.()) ?? { minor: NaN, seconds: NaN };
  const cpu = new CpuMeter({ ...env.pids, driver: process.pid }).begin();
  const r = await env.sims.run(opts);
  const cores = cpu.end();
  if (Object.keys(env.pids).some((k) => /^app\d+$/.test(k))) cores.apps = round(appCores(cores), 2);
  // Sampled after the drain: every event sent has been delivered, or counted as lost.
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // PostgreSQL reports its counters at most every second
  const calls1 = await env.sims.counters();
  const tx1 = await env.probe.transactions();
  const st1 = await env.statements();
  const cl1 = (await env.claims?.()) ?? NaN;
  const gc1 = (await env.gc?.()) ?? { minor: NaN, seconds: NaN };
  const samples = sampler.stop();
  const sampledPeak = Math.max(...samples.map((s) => s.rssMb));
  const peakRssMb = round(exactPeak ? memoryOf(env.appPid).hwmMb : sampledPeak);
  // A run the app did not keep up with leaves rows behind: let them go before the next run starts.
  const left = await settle(env.probe, 180_000);
  if (left > 0) log(`    (${left} outbox rows still waiting 180 s after the run)`);
  const judged = judge(r);
  const delivered = Math.max(1, r.receivedInWindow + r.receivedAfter);
  const per = (a: number, b: number) => round((b - a) / delivered, 2);
  return {
    ...judged,
    cores,
    perEvent: {
      gitlabCalls: per(calls0.gitlabCalls, calls1.gitlabCalls),
      statusPosts: per(calls0.statusPosts, calls1.statusPosts),
      // Less the probe's own reads (one a sample, and the first count).
      dbTransactions: tx0 === null || tx1 === null ? null : per(tx0, tx1 - samples.length - 1),
      // Statements of the app's per-event path (intake, outbox, delivery records), on either store.
      dbStatements: Number.isFinite(st0) && Number.isFinite(st1) ? per(st0, st1) : null,
      // Of them, the outbox's claims (each one or two statements).
      claims: Number.isFinite(cl0) && Number.isFinite(cl1) ? per(cl0, cl1) : null,
      scavengesPer1000:
        Number.isFinite(gc0.minor) && Number.isFinite(gc1.minor) ? round(((gc1.minor - gc0.minor) * 1000) / delivered, 1) : null,
      gcMs: Number.isFinite(gc0.seconds) && Number.isFinite(gc1.seconds) ? per(gc0.seconds * 1000, gc1.seconds * 1000) : null,
    },
    cpuMsPerEvent: round((appCores(cores) * 1000) / Math.max(1, judged.deliveredPerSecond), 2),
    peakRssMb,
    maxOutboxWaiting: Math.max(0, ...samples.map((s) => s.outboxWaiting || 0)),
    samples,
  };
}

/** Cores the app used: its one process, or the sum of its instances (app, app2, …). */
const appCores = (cores: Record<string, number>) =>
  Object.entries(cores)
    .filter(([k]) => /^app\d*$/.test(k))
    .reduce((sum, [, v]) => sum + v, 0);

function judge(r: RunResult): Omit<LoadRun, "cores" | "cpuMsPerEvent" | "perEvent" | "peakRssMb" | "maxOutboxWaiting"> {
  const backlogSlopePerS = round(slope(r.backlog.filter((p) => p.x >= r.seconds / 2 && p.x <= r.seconds)));
  const [q1, , , q4] = r.e2eP50ByQuarter;
  const why: string[] = [];
  if (backlogSlopePerS > Math.max(1, 0.02 * r.rate)) why.push(`backlog grows ${backlogSlopePerS}/s`);
  if (q1 !== undefined && q4 !== undefined && q4 > 2 * q1 + 20) why.push(`median latency grows ${q1} → ${q4} ms`);
  if (r.refused > 0) why.push(`${r.refused} hooks refused`);
  if (r.skipped > 0) why.push(`${r.skipped} events not sent (2,000 hooks already waiting)`);
  if (r.lost > 0) why.push(`${r.lost} statuses not posted within ${Math.round(r.drainMs / 1000)} s of the last hook`);
  return {
    rate: r.rate,
    seconds: r.seconds,
    sent: r.sent,
    refused: r.refused,
    skipped: r.skipped,
    lost: r.lost,
    deliveredPerSecond: Math.round(r.receivedInWindow / r.seconds),
    e2eMs: r.e2eMs,
    hookMs: r.hookMs,
    e2eP50ByQuarter: r.e2eP50ByQuarter,
    backlogSlopePerS,
    maxBacklog: Math.max(0, ...r.backlog.map((p) => p.y)),
    held: why.length === 0,
    why,
    drainMs: r.drainMs,
  };
}

/** Steps the rate up until a step is not held; the last held step is the sustained rate. */
export async function stepUp(
  env: Env,
  rates: number[],
  seconds: number,
): Promise<{ steps: LoadRun[]; highestHeld: number | null }> {
  const steps: LoadRun[] = [];
  let highestHeld: number | null = null;
  for (const rate of rates) {
    const { samples: _samples, ...step } = await loadRun(env, rate, seconds);
    steps.push(step);
    log(`    step ${rate}/s: ${step.held ? "held" : `not held (${step.why.join("; ")})`}, p99 ${step.e2eMs.p99} ms`);
    if (!step.held) break;
    highestHeld = rate;
  }
  return { steps, highestHeld };
}

export const log = (line: string) => process.stderr.write(`${line}\n`);
