import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { QueryTypes } from "sequelize";
import { drained, eventually, Stack } from "../support/stack";

const sha = () => randomBytes(20).toString("hex");

describe("deliveries that are never lost, never doubled, never out of order", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("a Bitbucket webhook resent with the same X-Request-UUID is acknowledged and not processed twice", async () => {
    stack = await Stack.start({ env: { MIRROR_DEBOUNCE_MS: "0" }, worker: false });
    const { tenant, repo } = await stack.linkedRepository();
    const body = (await stack.bitbucket.push(tenant, repo, { branch: "main" })).payload;
    await stack.app.deps.outbox.claim(10); // the first push's trigger is now in flight
    const requestId = randomUUID();
    const send = () =>
      fetch(`${stack.app.url}/webhooks/bitbucket`, {
        method: "POST",
        headers: {
          Authorization: `JWT ${stack.bitbucket.sign(tenant, "POST", "/webhooks/bitbucket")}`,
          "Content-Type": "application/json",
          "X-Request-UUID": requestId,
        },
        body: JSON.stringify(body),
      });
    const first = await send();
    const again = await send();
    assert.equal(first.headers.get("x-outcome"), "accepted");
    assert.equal(again.status, 204);
    assert.equal(again.headers.get("x-outcome"), "duplicate");
    assert.equal((await stack.app.deps.outbox.depth()).pending, 1);
  });

  it("an INPROGRESS still queued when SUCCESSFUL arrives is never sent after it", async () => {
    stack = await Stack.start({ worker: false });
    const { project } = await stack.linkedRepository();
    const commit = sha();
    const pipeline = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "running");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    assert.equal((await stack.app.deps.outbox.depth()).pending, 1, "the two events folded into one row");
    stack.app.worker.start();
    await eventually(() => stack.bitbucket.statuses({ sha: commit })[0]?.state === "SUCCESSFUL");
    await drained(stack); // nothing queued and nothing in flight: no later post can still come
    const posts = stack.bitbucket.apiCalls.filter((c) => c.path.includes(commit));
    assert.equal(posts.length, 1, "only the final state was posted");
    assert.equal(stack.bitbucket.statuses({ sha: commit })[0]!.updates, 0);
  });

  it("honours Retry-After on a 429: the status is posted again no sooner than Bitbucket asked", async () => {
    stack = await Stack.start();
    const { project } = await stack.linkedRepository();
    stack.bitbucket.injectFaults({ status: 429, retryAfter: 2 }, 1);
    const commit = sha();
    const pipeline = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.statuses({ sha: commit })[0]?.state === "SUCCESSFUL", 10_000);
    const calls = stack.bitbucket.apiCalls.filter((c) => c.path.includes(commit));
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.status, 429);
    assert.ok(calls[1]!.at - calls[0]!.at >= 2_000, `retried after ${calls[1]!.at - calls[0]!.at} ms`);
  });

  it("backs off without hot-looping on repeated 500s and without Retry-After on 429", async () => {
    stack = await Stack.start({ env: { BITBUCKET_429_PAUSE_MS: "1500" } });
    const { project } = await stack.linkedRepository();
    stack.bitbucket.injectFaults({ status: 500 }, 2);
    stack.bitbucket.injectFaults({ status: 429 }, 1);
    const commit = sha();
    const pipeline = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.statuses({ sha: commit })[0]?.state === "FAILED", 15_000);
    const calls = stack.bitbucket.apiCalls.filter((c) => c.path.includes(commit));
    assert.deepEqual(
      calls.map((c) => c.status),
      [500, 500, 429, 201],
    );
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    assert.ok(gaps[0]! >= 500 && gaps[1]! >= 1_000, `gaps ${gaps.join(", ")} ms are not exponential`);
  });

  it("retries a status post whose answer never comes within the timeout, and one whose connection drops", async () => {
    stack = await Stack.start({ env: { HTTP_TIMEOUT_MS: "300" } });
    const { project } = await stack.linkedRepository();
    stack.bitbucket.injectFaults({ delayMs: 1_000 }, 1);
    stack.bitbucket.injectFaults({ drop: true }, 1);
    const commit = sha();
    const pipeline = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    // Bitbucket finishes the hung call after the app gave up on it, so a status alone proves nothing: the
    // app must retry, meet the dropped connection, and post again after it.
    await eventually(() => {
      const drop = stack.bitbucket.firedFaults.find((f) => "drop" in f.fault);
      return (
        drop &&
        stack.bitbucket.apiCalls.some((c) => c.path.includes(commit) && c.status >= 200 && c.status < 300 && c.at > drop.at)
      );
    }, 10_000);
    assert.equal(stack.bitbucket.statuses({ sha: commit })[0]?.state, "SUCCESSFUL");
    const fired = stack.bitbucket.firedFaults;
    assert.deepEqual(
      fired.map((f) => ("delayMs" in f.fault ? "hang" : "drop" in f.fault ? "drop" : f.fault.status)),
      ["hang", "drop"],
    );
    assert.ok(
      fired.every((f) => f.method === "POST" && f.path.includes(commit)),
      JSON.stringify(fired.map((f) => `${f.method} ${f.path}`)),
    );
    const dead = await stack.app.deps.outbox.dead();
    assert.equal(dead.length, 0);
  });

  it("retries reading GitLab after a 500 there, then posts", async () => {
    stack = await Stack.start();
    const { project } = await stack.linkedRepository();
    stack.gitlab.injectFaults({ status: 500 }, 1, /pipelines/);
    const commit = sha();
    const pipeline = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.statuses({ sha: commit })[0]?.state === "SUCCESSFUL", 10_000);
    // The fault met the read of this commit's pipelines, so the status above came from a retry.
    assert.deepEqual(
      stack.gitlab.firedFaults.map((f) => [f.method, "status" in f.fault ? f.fault.status : f.fault]),
      [["GET", 500]],
    );
    assert.match(stack.gitlab.firedFaults[0]!.path, /\/pipelines/);
  });

  it("uses a token replaced elsewhere at once: GitLab's refusal of the cached one makes it read the link afresh", async () => {
    stack = await Stack.start();
    const { tenant, project, user, gitlabToken } = await stack.linkedRepository();
    const [link] = await stack.app.deps.links.allForTenant(tenant.clientKey);
    const first = stack.gitlab.createPipeline(project, { sha: sha(), ref: "main" });
    stack.gitlab.setPipelineStatus(first, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(first));
    await eventually(() => stack.bitbucket.statuses({ sha: first.sha })[0]?.state === "SUCCESSFUL", 10_000);
    // As another instance would: the link's token replaced in the database, this instance's cache untold.
    const replacement = stack.gitlab.addToken(user);
    await stack.app.deps.sequelize.query("UPDATE links SET token = ? WHERE id = ?", {
      replacements: [stack.app.deps.box.seal(replacement), link!.id],
    });
    stack.gitlab.revokeToken(gitlabToken);
    const commit = sha();
    const second = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(second, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(second));
    await eventually(() => stack.bitbucket.statuses({ sha: commit })[0]?.state === "SUCCESSFUL", 10_000);
    assert.equal((await stack.app.deps.outbox.dead()).length, 0);
  });
});

describe("mirror trigger coalescing", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("a burst of pushes makes one trigger, and a push during a trigger in flight makes exactly one follow-up", async () => {
    stack = await Stack.start({ env: { MIRROR_DEBOUNCE_MS: "300" } });
    const { tenant, repo, project } = await stack.linkedRepository();
    await Promise.all([1, 2, 3, 4, 5].map(() => stack.bitbucket.push(tenant, repo, { branch: "main" })));
    await eventually(() => stack.gitlab.mirrorTriggers(project).length === 1);
    await drained(stack); // nothing queued and nothing in flight: no later trigger can still come
    assert.equal(stack.gitlab.mirrorTriggers(project).length, 1, "the burst made more than one trigger");

    stack.gitlab.injectFaults({ delayMs: 800 }, 1, /mirror\/pull/);
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    await eventually(async () => (await stack.app.deps.outbox.depth()).running === 1);
    for (let i = 0; i < 4; i++) await stack.bitbucket.push(tenant, repo, { branch: "dev" });
    await eventually(() => stack.gitlab.mirrorTriggers(project).length === 3, 5_000);
    await drained(stack);
    assert.equal(stack.gitlab.mirrorTriggers(project).length, 3);
    // The follow-up came while a trigger was really in flight: the hang met a mirror trigger.
    assert.deepEqual(
      stack.gitlab.firedFaults.map((f) => `${f.method} ${f.path}`),
      [`POST /api/v4/projects/${project.id}/mirror/pull`],
    );
  });

  it("keeps GitLab's word on a deferred update (it answered 200 but did nothing) on the link", async () => {
    stack = await Stack.start({ pullMirrorIntervalSeconds: 300 });
    const { tenant, repo, project, settingsToken } = await stack.linkedRepository();
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    await eventually(() => stack.gitlab.mirrorTriggers(project).length === 1);
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    await eventually(() => stack.gitlab.mirrorTriggers(project).length === 2);
    assert.equal(stack.gitlab.mirrorTriggers(project)[1]!.outcome, "deferred");
    const mirror = await eventually(async () => (await stack.api(settingsToken, "GET", repo.uuid)).body.link.mirror);
    assert.ok(mirror.updateStatus, "no update_status kept");
    assert.ok(mirror.lastSuccessfulUpdateAt, "no last successful update kept");
  });
});

describe("reconciliation", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("corrects a status left INPROGRESS because the final hook was lost, and says the webhook missed it", async () => {
    stack = await Stack.start({ env: { RECONCILE_AFTER_MS: "1000" } });
    const { project, repo, settingsToken } = await stack.linkedRepository();
    const commit = sha();
    const pipeline = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "running");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.statuses({ sha: commit })[0]?.state === "INPROGRESS");
    await drained(stack); // the status is recorded as posted just after Bitbucket accepted it
    stack.gitlab.setPipelineStatus(pipeline, "success"); // ...and GitLab's hook for it never arrives

    assert.equal(await stack.app.reconciler.runOnce(), 0, "checked before the status was old enough");
    assert.equal(await stack.app.reconciler.runOnce(Date.now() + 1_500), 1);
    await eventually(() => stack.bitbucket.statuses({ sha: commit })[0]?.state === "SUCCESSFUL");
    await drained(stack); // the status is recorded as posted just after Bitbucket accepted it
    const link = (await stack.api(settingsToken, "GET", repo.uuid)).body.link;
    assert.ok(link.webhookMissedAt, "the link does not say its webhook missed an event");
    assert.equal(await stack.app.reconciler.runOnce(Date.now() + 5_000), 0, "a finished status is checked again");
  });

  it("checks a still-running pipeline once per interval, not on every pass", async () => {
    stack = await Stack.start({ env: { RECONCILE_AFTER_MS: "1000" } });
    const { project } = await stack.linkedRepository();
    const commit = sha();
    const pipeline = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "running");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.statuses({ sha: commit })[0]?.state === "INPROGRESS");
    await drained(stack); // the status is recorded as posted just after Bitbucket accepted it
    const later = Date.now() + 1_500;
    assert.equal(await stack.app.reconciler.runOnce(later), 1);
    assert.equal(await stack.app.reconciler.runOnce(later + 10), 0);
  });
});

describe("Bitbucket rate budget per installation", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  async function finishPipeline(project: Parameters<Stack["gitlab"]["createPipeline"]>[0], commit: string) {
    const p = stack.gitlab.createPipeline(project, { sha: commit, ref: "main" });
    stack.gitlab.setPipelineStatus(p, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(p));
  }

  it("holds an installation's posts once its budget is spent, without using up their attempts", async () => {
    stack = await Stack.start({ env: { BITBUCKET_CALLS_PER_HOUR: "3600", BITBUCKET_BURST: "2" } });
    const { project } = await stack.linkedRepository();
    const commits = [sha(), sha(), sha()];
    for (const c of commits) await finishPipeline(project, c);
    await eventually(() => stack.bitbucket.statuses().length === 2);
    // The third is held: back in the queue, waiting for the budget, not yet posted.
    await eventually(async () => {
      const [held] = await stack.app.deps.sequelize.query(
        "SELECT last_error FROM outbox WHERE state = 'pending' AND kind = 'status-sync'",
        {
          type: QueryTypes.SELECT,
        },
      );
      return /rate budget/.test(String((held as { last_error?: string } | undefined)?.last_error));
    });
    assert.equal(stack.bitbucket.statuses().length, 2, "a third post went out past the budget");
    await eventually(() => stack.bitbucket.statuses().length === 3, 3_000);
    assert.equal((await stack.app.deps.outbox.dead()).length, 0);
  });

  it("after a 429 slows down that installation only; another one's statuses keep flowing", async () => {
    stack = await Stack.start();
    const a = await stack.linkedRepository({ projectPath: "acme/a" });
    const otherTenant = await stack.bitbucket.install(stack.app.url, { workspaceSlug: "other-corp" });
    const otherRepo = stack.bitbucket.addRepository(otherTenant.tenant, "things");
    const user = stack.gitlab.addUser("grace");
    const token = stack.gitlab.addToken(user);
    const otherProject = stack.gitlab.addProject("other/things", { mirror: true });
    stack.gitlab.addMember(otherProject, user, 40);
    const t = await stack.settingsToken(otherTenant.tenant, otherRepo);
    assert.equal(
      (await stack.api(t, "PUT", otherRepo.uuid, { gitlabUrl: stack.gitlab.url, project: "other/things", token })).status,
      200,
    );

    stack.bitbucket.injectFaults({ status: 429, retryAfter: 3 }, 1);
    await finishPipeline(a.project, sha());
    await eventually(() => stack.bitbucket.apiCalls.some((c) => c.status === 429));
    const held = sha();
    await finishPipeline(a.project, held);
    const flowing = sha();
    await finishPipeline(otherProject, flowing);
    await eventually(() => stack.bitbucket.statuses({ sha: flowing }).length === 1, 2_000);
    assert.equal(stack.bitbucket.statuses({ sha: held }).length, 0, "the paused installation posted during its pause");
    await eventually(() => stack.bitbucket.statuses({ sha: held }).length === 1, 8_000);
  });
});
