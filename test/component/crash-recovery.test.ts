import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AppProcess, freePort } from "../support/app-process";
import { installAndLink } from "../support/link-over-http";
import { BitbucketSim } from "../../sim/bitbucket-sim";
import { GitLabSim } from "../../sim/gitlab-sim";
import { eventually } from "../support/stack";
import { freshDatabaseUrl } from "../support/test-database";

describe("a crash between intake and delivery", function () {
  this.timeout(120_000);
  let bitbucket: BitbucketSim;
  let gitlab: GitLabSim;
  let app: AppProcess | undefined;
  let dir: string;
  let db: { url: string; drop: () => Promise<void> };

  beforeEach(async () => {
    bitbucket = await BitbucketSim.start();
    gitlab = await GitLabSim.start({ pullMirrorIntervalSeconds: 0 });
    dir = mkdtempSync(path.join(tmpdir(), "gl4bb-crash-"));
    db = await freshDatabaseUrl(path.join(dir, "app.sqlite"));
  });
  afterEach(async () => {
    await app?.kill();
    await Promise.all([bitbucket.close(), gitlab.close()]);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("(SIGKILL) loses nothing: after a restart every accepted push and pipeline event is delivered", async () => {
    const port = await freePort();
    const env = {
      DATABASE_URL: db.url,
      DATA_DIR: dir,
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      OUTBOX_LEASE_MS: "1500",
      OUTBOX_POLL_MS: "200",
      MIRROR_DEBOUNCE_MS: "0",
      BITBUCKET_CALLS_PER_HOUR: "100000000",
      HTTP_TIMEOUT_MS: "10000",
    };
    app = await AppProcess.start(env, port);

    // Install, and link a repository to a GitLab project, as an admin would.
    const { tenant, repo, project } = await installAndLink(app.url, bitbucket, gitlab);

    // Both peers hang, so accepted work is stuck in flight (or waiting) when the process dies.
    bitbucket.injectFaults({ delayMs: 30_000 }, 100);
    gitlab.injectFaults({ delayMs: 30_000 }, 100, /mirror\/pull/);
    const shas: string[] = [];
    for (let i = 0; i < 12; i++) {
      const sha = randomBytes(20).toString("hex");
      const p = gitlab.createPipeline(project, { sha, ref: `branch-${i}` });
      gitlab.setPipelineStatus(p, i % 3 === 0 ? "failed" : "success");
      const [res] = await gitlab.deliver(project, "Pipeline Hook", gitlab.pipelineHookPayload(p));
      assert.equal(res!.status, 200);
      shas.push(sha);
    }
    const push = await bitbucket.push(tenant, repo, { branch: "main" });
    assert.equal(push.status, 204);
    // Killed once every status post is stuck on Bitbucket's hanging answer (the trigger may still be waiting).
    await eventually(() => bitbucket.firedFaults.length >= shas.length, 10_000);
    await app.kill();
    assert.equal(bitbucket.statuses().length, 0, "something was delivered before the crash; the test proves nothing");

    bitbucket.clearFaults();
    gitlab.clearFaults();
    app = await AppProcess.start(env, port);
    await eventually(() => shas.every((sha) => bitbucket.statuses({ sha }).length === 1), 20_000, 100);
    for (const [i, sha] of shas.entries()) {
      assert.equal(bitbucket.statuses({ sha })[0]!.state, i % 3 === 0 ? "FAILED" : "SUCCESSFUL");
    }
    await eventually(() => gitlab.mirrorTriggers(project).some((t) => t.outcome === "started"), 10_000, 100);
  });

  it("(SIGKILL) pipelines that finished while the app was down, their hooks lost, get their statuses after the restart", async () => {
    const port = await freePort();
    const env = {
      DATABASE_URL: db.url,
      DATA_DIR: dir,
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      OUTBOX_POLL_MS: "200",
      BITBUCKET_CALLS_PER_HOUR: "100000000",
      // Sweeps every 300 ms on pipelines settled at once: the test's clock, not production's 5 minutes.
      CATCH_UP_EVERY_MS: "300",
      CATCH_UP_SETTLE_MS: "0",
      RECONCILE_EVERY_MS: "100",
      // The sweep in flight when the app dies keeps its lease (60 s in production) before it runs again;
      // long enough that no delivery outlives it under a loaded CI (leases are not renewed).
      OUTBOX_LEASE_MS: "5000",
    };
    app = await AppProcess.start(env, port);
    const { project } = await installAndLink(app.url, bitbucket, gitlab);
    const listings = () => gitlab.apiCalls.filter((c) => c.method === "GET" && c.path === `/projects/${project.id}/pipelines`);

    // A pipeline its hook reported, then sweeps that saw it: the link's high-water mark is past it.
    const seen = randomBytes(20).toString("hex");
    const first = gitlab.createPipeline(project, { sha: seen, ref: "main" });
    gitlab.setPipelineStatus(first, "success");
    await gitlab.deliver(project, "Pipeline Hook", gitlab.pipelineHookPayload(first));
    await eventually(() => bitbucket.statuses({ sha: seen }).length === 1, 10_000, 100);
    const swept = listings().length;
    await eventually(() => listings().length >= swept + 2, 10_000, 50);
    // Killed mid-sweep, on purpose (with sweeps every 300 ms it used to happen by chance): the sweep's row
    // stays leased to the dead process, and no other sweep of the link runs until that lease runs out.
    const fired = gitlab.firedFaults.length;
    gitlab.injectFaults({ delayMs: 30_000 }, 1, /\/projects\/\d+\/pipelines$/);
    await eventually(() => gitlab.firedFaults.length > fired, 10_000, 20);
    await app.kill();
    gitlab.clearFaults();

    // While the app is down two pipelines finish; GitLab's hooks find nobody and are never resent.
    const down = [
      { sha: randomBytes(20).toString("hex"), ref: "main", status: "failed", state: "FAILED" },
      { sha: randomBytes(20).toString("hex"), ref: "release", status: "success", state: "SUCCESSFUL" },
    ] as const;
    for (const d of down) gitlab.setPipelineStatus(gitlab.createPipeline(project, { sha: d.sha, ref: d.ref }), d.status);
    await new Promise((r) => setTimeout(r, 500)); // past the link's next turn

    app = await AppProcess.start(env, port);
    for (const d of down) {
      await eventually(() => bitbucket.statuses({ sha: d.sha }).find((s) => s.state === d.state), 30_000, 100);
    }
    const posts = bitbucket.apiCalls.filter((c) => c.method === "POST" && c.path.includes(`/commit/${seen}/statuses`));
    assert.equal(posts.length, 1, "what Bitbucket already showed is not posted again");
  });
});
