import { randomSha } from "../../sim/bitbucket-sim/ids";
import { largeTestReport } from "../../sim/gitlab-sim/large-test-report";
import { hookHeaders, type HookTarget } from "./paced-run";
import type { ReportsOptions, ReportsRunResult } from "./protocol";
import type { SimWorld } from "./sim-world";

type Inside = { server: import("node:http").Server };
const REPORT_CALL = /\/commit\/[0-9a-f]{40}\/reports\//;

/**
 * One failed pipeline with a large test report (and coverage), finished in the GitLab simulator, then
 * its Pipeline Hook sent: the clock runs from the hook to the Bitbucket simulator holding the TEST report
 * with all the annotations the app can post (1,000 at most) and the COVERAGE report.
 */
export async function reportsRun(world: SimWorld, target: HookTarget, opts: ReportsOptions): Promise<ReportsRunResult> {
  const sha = randomSha();
  const pipeline = world.gitlab.createPipeline(target.project, { sha, ref: "main", jobs: [{ name: "rspec", stage: "test" }] });
  pipeline.testReport = largeTestReport({ cases: opts.cases, failures: opts.failures });
  pipeline.coverage = "81.25";
  world.gitlab.setPipelineStatus(pipeline, "failed");
  const reportBytes = Buffer.byteLength(JSON.stringify(pipeline.testReport));
  const expected = Math.min(1000, opts.failures);

  let reportCalls = 0;
  let refused = 0;
  let statusAt = 0;
  const server = (world.bitbucket as unknown as Inside).server;
  const onRequest = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    // express, the first listener, may already have cut req.url down to its mount point: read its originalUrl.
    if (!REPORT_CALL.test((req as { originalUrl?: string }).originalUrl ?? req.url ?? "")) return;
    res.once("finish", () => {
      reportCalls++;
      if (res.statusCode >= 400) refused++;
    });
  };
  server.on("request", onRequest);
  const onStatus = (s: string, at: number) => {
    if (s === sha && !statusAt) statusAt = at;
  };
  world.onStatus.add(onStatus);
  try {
    const t0 = performance.now();
    const hook = await fetch(target.url, {
      method: "POST",
      headers: hookHeaders(target, world.gitlab.url),
      body: JSON.stringify(world.gitlab.pipelineHookPayload(pipeline)),
    });
    await hook.arrayBuffer();
    if (hook.status !== 200) throw new Error(`the app answered the hook ${hook.status}`);
    const deadline = t0 + opts.timeoutMs;
    for (;;) {
      const reports = world.bitbucket.reports(sha);
      const tests = reports.find((r) => r.report_type === "TEST");
      if (tests?.annotations.length === expected && reports.some((r) => r.report_type === "COVERAGE")) break;
      if (performance.now() > deadline) throw new Error(`reports not all visible after ${opts.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const doneAt = performance.now();
    return {
      ...opts,
      reportBytes,
      annotations: expected,
      reportCalls,
      refused,
      hookToStatusMs: Math.round(statusAt - t0),
      hookToReportsMs: Math.round(doneAt - t0),
    };
  } finally {
    server.off("request", onRequest);
    world.onStatus.delete(onStatus);
  }
}
