import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { DirectSql } from "../../src/db/direct-sql";
import { Outbox } from "../../src/outbox/outbox";
import { queueStatusSync } from "../../src/sync/sync-statuses";
import { drained, eventually, Stack } from "../support/stack";

const sha = () => randomBytes(20).toString("hex");

/**
 * The worker claims when a claim could find work, not after every delivery (issue 16: that claim mostly
 * found nothing, three statements in ten per event). The poll is an hour here, so whatever is delivered
 * was found because the worker was woken for it.
 */
describe("the worker wakes for work, not after every delivery", function () {
  this.timeout(60_000);
  let stack: Stack;
  afterEach(async () => stack?.stop());

  const start = (env: Record<string, string> = {}) => Stack.start({ env: { OUTBOX_POLL_MS: "3600000", ...env } });

  it("delivers events one by one with no claim that finds nothing", async () => {
    stack = await start();
    const { repo, project } = await stack.linkedRepository();
    await drained(stack);
    const before = { ...stack.app.deps.outbox.claims };
    for (let i = 1; i <= 8; i++) {
      const pipeline = stack.gitlab.createPipeline(project, { sha: sha(), ref: "main" });
      stack.gitlab.setPipelineStatus(pipeline, "success");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
      await eventually(() => stack.bitbucket.statuses({ repoUuid: repo.uuid }).length === i);
      await drained(stack);
    }
    const { found, empty } = stack.app.deps.outbox.claims;
    assert.equal(found - before.found, 8, "one claim found each event's row");
    assert.equal(empty - before.empty, 0, "no claim found nothing");
  });

  it("work written for a key while its delivery runs goes out when that delivery ends", async () => {
    stack = await start();
    const { repo, project } = await stack.linkedRepository();
    await drained(stack);
    const commit = sha();
    const pipeline = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "running");
    // The first status post is held, so the second hook's row (same commit and ref: same key) is written
    // while the first delivery runs, and cannot be claimed until it ends.
    stack.bitbucket.injectFaults({ delayMs: 1_500 });
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.app.deps.worker.delivering === 1);
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const status = await eventually(
      () => stack.bitbucket.statuses({ repoUuid: repo.uuid, sha: commit }).find((s) => s.state === "FAILED"),
      15_000,
    );
    assert.equal(status.sha, commit);
  });

  it("work another live instance writes for a running key goes out when that delivery ends", async () => {
    stack = await start();
    const { tenant, repo, project } = await stack.linkedRepository();
    await drained(stack);
    const { deps } = stack.app;
    const [link] = await deps.links.allForTenant(tenant.clientKey);
    // A second instance on the same database: alive (its heartbeat), and seen by this one's.
    const other = new Outbox(DirectSql.for(deps.sequelize), 60_000, [], 4, {
      instanceId: "other-instance",
      kinds: [],
      headStartMs: 0,
      liveMs: 60_000,
    });
    await other.heartbeat();
    await deps.outbox.heartbeat();
    const commit = sha();
    const pipeline = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "running");
    stack.bitbucket.injectFaults({ delayMs: 1_500 });
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => deps.worker.delivering === 1);
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    // The next hook reached the other instance: only the database tells this one about its row.
    const nobody = { kick: () => undefined, kickIn: () => undefined };
    await queueStatusSync({ outbox: other, wake: nobody }, link!, { sha: commit, ref: "main", pipelineId: pipeline.id });
    await eventually(
      () => stack.bitbucket.statuses({ repoUuid: repo.uuid, sha: commit }).find((s) => s.state === "FAILED"),
      15_000,
    );
    await other.leave();
  });

  it("rows an installation's share left behind go out as its deliveries end", async () => {
    stack = await start({ OUTBOX_PER_INSTALLATION: "1" });
    const { repo, project } = await stack.linkedRepository();
    await drained(stack);
    // Held first posts keep the one slot busy while the other rows are written and claimed around.
    stack.bitbucket.injectFaults({ delayMs: 300 }, 3);
    const pipelines = [1, 2, 3].map(() => {
      const p = stack.gitlab.createPipeline(project, { sha: sha(), ref: "main" });
      stack.gitlab.setPipelineStatus(p, "success");
      return p;
    });
    await Promise.all(pipelines.map((p) => stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(p))));
    await eventually(() => stack.bitbucket.statuses({ repoUuid: repo.uuid }).length === 3, 15_000);
  });
});
