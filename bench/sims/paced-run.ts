import { randomBytes, randomUUID } from "node:crypto";
import type { SimProject } from "../../sim/gitlab-sim";
import { summarize } from "../support/stats";
import type { RunOptions, RunResult } from "./protocol";
import type { SimWorld } from "./sim-world";

export interface HookTarget {
  project: SimProject;
  url: string;
  token: string;
}

/**
 * GitLab finishing pipelines at a fixed rate, each on a new commit (so nothing folds together) of the
 * linked projects in turn: the
 * pipeline is created and finished in the GitLab simulator first, then its Pipeline Hook is sent as
 * GitLab sends it. The clock stops when the Bitbucket simulator has answered the app's status POST for
 * that commit; both ends are seen from this one process, on one clock.
 */
export async function pacedRun(world: SimWorld, targets: HookTarget[], opts: RunOptions): Promise<RunResult> {
  const pending = new Map<string, number>();
  const hookMs: number[] = [];
  const e2e: { at: number; ms: number }[] = [];
  const backlog: { x: number; y: number }[] = [];
  let sent = 0;
  let accepted = 0;
  let refused = 0;
  let skipped = 0;
  let inFlight = 0;
  let lastStatusAt = 0;

  const start = performance.now();
  const windowEnd = start + opts.seconds * 1000;
  const onStatus = (sha: string, at: number) => {
    const sentAt = pending.get(sha);
    if (sentAt === undefined) return;
    pending.delete(sha);
    e2e.push({ at, ms: at - sentAt });
    lastStatusAt = at;
  };
  world.onStatus.add(onStatus);

  const send = async () => {
    if (inFlight >= opts.maxInFlight) {
      skipped++;
      return;
    }
    const target = targets[(sent + skipped) % targets.length]!;
    const sha = randomBytes(20).toString("hex");
    const pipeline = world.finishedPipeline(target.project, sha);
    const body = JSON.stringify(world.gitlab.pipelineHookPayload(pipeline));
    const sentAt = performance.now();
    pending.set(sha, sentAt);
    sent++;
    inFlight++;
    try {
      // GitLab gives a webhook receiver 10 s, then counts the delivery as failed.
      const res = await fetch(target.url, {
        method: "POST",
        headers: hookHeaders(target, world.gitlab.url),
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      if (res.status === 200) {
        accepted++;
        hookMs.push(performance.now() - sentAt);
      } else {
        refused++;
        pending.delete(sha);
      }
    } catch {
      refused++;
      pending.delete(sha);
    } finally {
      inFlight--;
    }
  };

  // Sends whatever is due by now (a late timer catches up), then sleeps a few ms.
  const sampler = setInterval(() => backlog.push({ x: (performance.now() - start) / 1000, y: pending.size }), opts.sampleMs);
  while (performance.now() < windowEnd) {
    const due = Math.floor(((performance.now() - start) / 1000) * opts.rate);
    while (sent + skipped < due) void send();
    await new Promise((r) => setTimeout(r, 2));
  }
  const lastSentAt = performance.now();
  const inWindow = e2e.length;
  const drainDeadline = lastSentAt + opts.drainMs;
  while ((pending.size > 0 || inFlight > 0) && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 10));
  clearInterval(sampler);
  world.onStatus.delete(onStatus);

  const inWindowSamples = e2e.filter((s) => s.at <= windowEnd);
  return {
    rate: opts.rate,
    seconds: opts.seconds,
    sent,
    accepted,
    refused,
    skipped,
    receivedInWindow: inWindow,
    receivedAfter: e2e.length - inWindow,
    lost: pending.size,
    hookMs: summarize(hookMs),
    e2eMs: summarize(e2e.map((s) => s.ms)),
    e2eInWindowMs: summarize(inWindowSamples.map((s) => s.ms)),
    e2eP50ByQuarter: quarters(inWindowSamples, start, opts.seconds * 1000),
    backlog,
    drainMs: Math.max(0, Math.round(lastStatusAt - lastSentAt)),
  };
}

function quarters(samples: { at: number; ms: number }[], start: number, windowMs: number): number[] {
  return [0, 1, 2, 3].map(
    (q) =>
      summarize(
        samples.filter((s) => s.at >= start + (q * windowMs) / 4 && s.at < start + ((q + 1) * windowMs) / 4).map((s) => s.ms),
      ).p50,
  );
}

// The headers GitLab 17.x sends with a webhook (see sim/gitlab-sim/deliver-hooks.ts). Sent here
// rather than through the simulator's deliver(), which would disable the hook after four failures as
// GitLab does and so end a stress step early.
export function hookHeaders(target: HookTarget, instanceUrl: string): Record<string, string> {
  const event = randomUUID();
  return {
    "Content-Type": "application/json",
    "User-Agent": "GitLab/17.6.0",
    "Idempotency-Key": randomUUID(),
    "X-Gitlab-Event": "Pipeline Hook",
    "X-Gitlab-Webhook-UUID": randomUUID(),
    "X-Gitlab-Instance": instanceUrl,
    "X-Gitlab-Event-UUID": event,
    "X-Gitlab-Token": target.token,
  };
}
