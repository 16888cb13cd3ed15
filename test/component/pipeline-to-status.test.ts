import assert from "node:assert/strict";
import { drained, eventually, Stack } from "../support/stack";

describe("GitLab pipeline → Bitbucket build status", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  const sha = "a1742195055d9234440410f95462fdebb05b5ac2";

  it("a running pipeline shows INPROGRESS, then SUCCESSFUL with key, name, url, refname and description", async () => {
    const { repo, project } = await stack.linkedRepository();
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "feature/login", jobs: [{ name: "test", stage: "test" }] });
    stack.gitlab.setPipelineStatus(pipeline, "running");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.statuses({ sha })[0]?.state === "INPROGRESS");

    stack.gitlab.setPipelineStatus(pipeline, "success");
    const [delivery] = await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    assert.equal(delivery!.status, 200);
    const status = await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "SUCCESSFUL"));
    assert.equal(status.repoUuid, repo.uuid);
    assert.equal(status.key, `gitlab:${project.id}:feature/login`);
    assert.equal(status.name, `GitLab CI: acme/widgets #${pipeline.id}`);
    assert.equal(status.refname, "feature/login");
    assert.match(status.url ?? "", new RegExp(`/acme/widgets/-/pipelines/${pipeline.id}$`));
    assert.match(status.description ?? "", /^passed/);
    assert.equal(stack.bitbucket.statuses({ sha }).length, 1, "one status per pipeline, overwritten in place");
  });

  it("a failed pipeline shows FAILED and names the stage that failed", async () => {
    const { project } = await stack.linkedRepository();
    const pipeline = stack.gitlab.createPipeline(project, {
      sha,
      ref: "main",
      jobs: [
        { name: "build", stage: "build" },
        { name: "unit", stage: "test" },
      ],
    });
    stack.gitlab.setJobStatus(pipeline.jobs[0]!, "success");
    stack.gitlab.setJobStatus(pipeline.jobs[1]!, "failed");
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const status = await eventually(() => stack.bitbucket.statuses({ sha })[0]);
    assert.equal(status.state, "FAILED");
    assert.equal(status.description, "failed at stage test");
  });

  it("a canceled pipeline shows STOPPED, not FAILED", async () => {
    const { project } = await stack.linkedRepository();
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "canceled");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const status = await eventually(() => stack.bitbucket.statuses({ sha })[0]);
    assert.equal(status.state, "STOPPED");
    assert.equal(status.description, "canceled");
  });

  it("a tag pipeline's status carries no refname", async () => {
    const { project } = await stack.linkedRepository();
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "v1.2.0", tag: true });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const status = await eventually(() => stack.bitbucket.statuses({ sha })[0]);
    assert.equal(status.refname, undefined);
  });

  it("in jobs mode, posts one status per job (an allowed failure as SUCCESSFUL) and none for a manual job that never ran", async () => {
    const { project } = await stack.linkedRepository({ statusMode: "jobs" });
    const pipeline = stack.gitlab.createPipeline(project, {
      sha,
      ref: "main",
      jobs: [
        { name: "unit", stage: "test" },
        { name: "lint", stage: "test", allowFailure: true },
        { name: "deploy", stage: "deploy", when: "manual" },
      ],
    });
    stack.gitlab.setJobStatus(pipeline.jobs[0]!, "success");
    stack.gitlab.setJobStatus(pipeline.jobs[1]!, "failed");
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Job Hook", stack.gitlab.jobHookPayload(pipeline.jobs[1]!));
    await eventually(() => stack.bitbucket.statuses({ sha }).length === 2);
    const byKey = new Map(stack.bitbucket.statuses({ sha }).map((s) => [s.key, s]));
    assert.equal(byKey.get(`gitlab:${project.id}:main:unit`)?.state, "SUCCESSFUL");
    const lint = byKey.get(`gitlab:${project.id}:main:lint`);
    assert.equal(lint?.state, "SUCCESSFUL");
    assert.match(lint?.description ?? "", /allowed to fail/);
  });

  it("a repeated delivery (same Idempotency-Key) is acknowledged and not processed twice", async () => {
    const { project } = await stack.linkedRepository();
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    const payload = stack.gitlab.pipelineHookPayload(pipeline);
    const first = await stack.gitlab.deliver(project, "Pipeline Hook", payload, {
      idempotencyKey: "3f1b7a32-0000-4000-8000-000000000001",
    });
    const again = await stack.gitlab.deliver(project, "Pipeline Hook", payload, {
      idempotencyKey: "3f1b7a32-0000-4000-8000-000000000001",
    });
    assert.equal(first[0]!.status, 200);
    assert.equal(again[0]!.status, 200);
    assert.match(again[0]!.body, /duplicate/);
  });

  it("refuses a hook with a wrong or missing X-Gitlab-Token (401) and posts nothing", async () => {
    const { project } = await stack.linkedRepository();
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    const wrong = await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline), {
      token: "not-the-secret",
    });
    assert.equal(wrong[0]!.status, 401);
    const hook = stack.gitlab.hooks(project)[0]!;
    const missing = await fetch(hook.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Gitlab-Event": "Pipeline Hook" },
      body: JSON.stringify(stack.gitlab.pipelineHookPayload(pipeline)),
    });
    assert.equal(missing.status, 401);
    assert.equal((await stack.app.deps.outbox.depth()).pending, 0);
    await drained(stack); // nothing queued and nothing in flight: no status can still be on its way
    assert.equal(stack.bitbucket.statuses().length, 0);
  });

  it("answers 404 for a webhook URL of no link, so GitLab stops calling", async () => {
    await stack.linkedRepository();
    const res = await fetch(`${stack.app.url}/webhooks/gitlab/00000000-0000-4000-8000-000000000000`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Gitlab-Event": "Pipeline Hook", "X-Gitlab-Token": "whatever" },
      body: "{}",
    });
    assert.equal(res.status, 404);
  });

  it("acknowledges event kinds it does not use with 200, so GitLab does not count them as failures", async () => {
    const { project } = await stack.linkedRepository();
    const hook = stack.gitlab.hooks(project)[0]!;
    const res = await fetch(hook.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": hook.token! },
      body: JSON.stringify({ object_kind: "push" }),
    });
    assert.equal(res.status, 200);
    // Event names that are members of Object.prototype are just other unknown events.
    for (const event of ["__proto__", "constructor", "toString"]) {
      const odd = await fetch(hook.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Gitlab-Event": event, "X-Gitlab-Token": hook.token! },
        body: JSON.stringify({ object_kind: "pipeline" }),
      });
      assert.equal(odd.status, 200, event);
      assert.equal(((await odd.json()) as { outcome: string }).outcome, "ignored", event);
    }
  });

  it("retries a status post after Bitbucket answers 500, and the status arrives", async () => {
    const { project } = await stack.linkedRepository();
    stack.bitbucket.injectFaults({ status: 500 }, 1);
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.statuses({ sha })[0]?.state === "SUCCESSFUL", 8_000);
    assert.ok(stack.bitbucket.apiCalls.some((c) => c.status === 500));
  });

  it("gives up at once on a permanent refusal (400) and keeps the reason", async () => {
    const { project } = await stack.linkedRepository();
    stack.bitbucket.injectFaults({ status: 400, body: { type: "error", error: { message: "key: too long" } } }, 1);
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const dead = await eventually(async () => (await stack.app.deps.outbox.dead())[0]);
    assert.match(dead.lastError ?? "", /Bitbucket 400: key: too long/);
    assert.equal(stack.bitbucket.apiCalls.filter((c) => c.path.includes("/statuses/build")).length, 1);
  });
});
