import autocannon from "autocannon";
import type { SetupInfo } from "../sims/protocol";
import type { SimsClient } from "../sims/sims-client";
import type { DepthProbe } from "../support/depth-probe";
import { sleep } from "../support/free-port";
import { CpuMeter, memoryOf, resetPeak } from "../support/proc";
import { waitForQuiet } from "../support/quiet";
import { round } from "../support/stats";
import { intakeRequest, type IntakeKind } from "./intake-requests";

export interface IntakeRun {
  /** 2xx answers per second over the measured window. */
  perSecond: number;
  ok: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p99: number };
  /** Cores used by each process during the window (`others`: processes not ours, on a shared machine). */
  cores: Record<string, number>;
  /** CPU the server under test spent per answered request: comparable even when the machine is busy. */
  cpuMsPerRequest: number;
  /** The server's peak RSS during the measured window. */
  peakRssMb: number;
}

export interface IntakeResult {
  app: IntakeRun & {
    /** What outbox delivery did meanwhile: statuses and GitLab calls the simulators answered, rows left. */
    behind: { statusPosts: number; gitlabCalls: number; outboxWaitingAfter: number };
    /** Database transactions per accepted webhook, its deliveries included (PostgreSQL only). */
    dbTransactionsPerRequest: number | null;
  };
  baseline: IntakeRun;
  /** app / baseline. */
  ratio: number;
}

export interface IntakeOptions {
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

interface Targets {
  appUrl: string;
  baselineUrl: string;
  pids: Record<string, number>;
  sims: SimsClient;
  probe: DepthProbe;
}

/** Intake of one kind of webhook by the app, then by the bare handler, same connections and duration. */
export async function measureIntake(kind: IntakeKind, info: SetupInfo, t: Targets, opts: IntakeOptions): Promise<IntakeResult> {
  const before = await t.sims.counters();
  let tx0: number | null = null;
  const app = await hammer(t.appUrl, "app", kind, info, t.pids, opts, async () => (tx0 = await t.probe.transactions()));
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // PostgreSQL reports its counters at most every second
  const tx1 = await t.probe.transactions();
  const after = await t.sims.counters();
  const outboxWaitingAfter = (await t.probe.depth()).waiting;
  // Let the app finish what intake queued, so its deliveries do not run beside the baseline.
  await settle(t.probe, 30_000);
  const baseline = await hammer(t.baselineUrl, "baseline", kind, info, t.pids, opts);
  return {
    app: {
      ...app,
      behind: {
        statusPosts: after.statusPosts - before.statusPosts,
        gitlabCalls: after.gitlabCalls - before.gitlabCalls,
        outboxWaitingAfter,
      },
      dbTransactionsPerRequest: tx0 === null || tx1 === null ? null : round((tx1 - tx0 - 1) / app.ok, 2),
    },
    baseline,
    ratio: round(app.perSecond / baseline.perSecond, 2),
  };
}

async function hammer(
  url: string,
  server: string,
  kind: IntakeKind,
  info: SetupInfo,
  pids: Record<string, number>,
  opts: IntakeOptions,
  measuring: () => Promise<unknown> = async () => undefined,
): Promise<IntakeRun> {
  const run = (duration: number) =>
    autocannon({ url, connections: opts.connections, duration, requests: [intakeRequest(kind, info)], timeout: 10 });
  await waitForQuiet(pids, `intake ${kind} ${server}`);
  if (opts.warmupSeconds > 0) await run(opts.warmupSeconds);
  await measuring();
  resetPeak(pids[server]!);
  const cpu = new CpuMeter({ ...pids, driver: process.pid }).begin();
  const r = await run(opts.seconds);
  const cores = cpu.end();
  const perSecond = Math.round(r["2xx"] / r.duration);
  return {
    perSecond,
    ok: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
    cores,
    cpuMsPerRequest: round((cores[server]! * 1000) / perSecond, 3),
    peakRssMb: round(memoryOf(pids[server]!).hwmMb),
  };
}

/** Waits until the outbox has nothing waiting (or the timeout passes). */
export async function settle(probe: DepthProbe, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { waiting } = await probe.depth();
    if (waiting === 0 || Date.now() > deadline) return waiting;
    await sleep(200);
  }
}
