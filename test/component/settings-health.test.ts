import assert from "node:assert/strict";
import { eventually, Stack } from "../support/stack";

describe("link health on the settings page: mirror, webhook, latest pipeline, re-check now", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  async function call(token: string, repoUuid: string, method: string, route: string) {
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repoUuid)}/${route}`, {
      method,
      headers: { Authorization: `JWT ${token}` },
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  it("before any pipeline, reports the mirror and an active webhook, and no pipeline on the default branch", async () => {
    const { repo, settingsToken } = await stack.linkedRepository();
    const res = await call(settingsToken, repo.uuid, "GET", "health");
    assert.equal(res.status, 200);
    assert.equal(res.body.health.mirror.state, "ok");
    assert.equal(res.body.health.webhook.state, "ok");
    assert.deepEqual(res.body.health.pipeline, { state: "none", ref: "main" });
    assert.deepEqual(res.body.health.bitbucket, []);
  });

  it("re-check now reads the newest pipeline of the default branch and posts its status to Bitbucket", async () => {
    const { repo, settingsToken, project } = await stack.linkedRepository();
    const sha = "a".repeat(40);
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main", jobs: [{ name: "test", stage: "test" }] });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    // No hook was delivered: only the re-check can bring the result to Bitbucket.
    const res = await call(settingsToken, repo.uuid, "POST", "recheck");
    assert.equal(res.status, 200);
    assert.equal(res.body.health.statusQueued, true);
    assert.equal(res.body.health.pipeline.id, pipeline.id);
    assert.equal(res.body.health.pipeline.status, "success");
    assert.equal(res.body.link.projectPath, "acme/widgets");
    await eventually(() => stack.bitbucket.statuses({ sha }).some((s) => s.state === "SUCCESSFUL"));
    const after = await eventually(async () => {
      const h = await call(settingsToken, repo.uuid, "GET", "health");
      return h.body.health.bitbucket.length > 0 && h.body.health;
    });
    assert.equal(after.bitbucket[0].state, "SUCCESSFUL");
  });

  it("says when GitLab no longer has the webhook", async () => {
    const { repo, settingsToken, project } = await stack.linkedRepository();
    const [hook] = stack.gitlab.hooks(project);
    const owner = stack.gitlab.addUser("root");
    stack.gitlab.addMember(project, owner, 50);
    await fetch(`${stack.gitlab.url}/api/v4/projects/${project.id}/hooks/${hook!.id}`, {
      method: "DELETE",
      headers: { "PRIVATE-TOKEN": stack.gitlab.addToken(owner) },
    });
    const res = await call(settingsToken, repo.uuid, "GET", "health");
    assert.equal(res.body.health.webhook.state, "missing");
  });

  it("answers not_linked for a repository without a link", async () => {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const token = await stack.settingsToken(tenant, repo);
    const res = await call(token, repo.uuid, "POST", "recheck");
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "not_linked");
  });

  it("lists a status post Bitbucket refused for good, and re-send posts the current result", async () => {
    const { repo, settingsToken, project } = await stack.linkedRepository();
    const sha = "b".repeat(40);
    stack.bitbucket.injectFaults({ status: 400, body: { type: "error", error: { message: "key: too long" } } }, 1);
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const failed = await eventually(async () => (await call(settingsToken, repo.uuid, "GET", "health")).body.health.failed[0]);
    assert.equal(failed.kind, "status-sync");
    assert.match(failed.what, new RegExp(`Build status for main @ bbbbbbbb \\(pipeline #${pipeline.id}\\)`));
    assert.match(failed.error, /Bitbucket 400: key: too long/);

    stack.gitlab.setPipelineStatus(pipeline, "success"); // re-run green meanwhile: re-send posts what GitLab says now
    const resent = await call(settingsToken, repo.uuid, "POST", `failed/${failed.id}/resend`);
    assert.equal(resent.status, 200);
    await eventually(() => stack.bitbucket.statuses({ sha }).some((s) => s.state === "SUCCESSFUL"));
    assert.deepEqual((await call(settingsToken, repo.uuid, "GET", "health")).body.health.failed, []);
    const again = await call(settingsToken, repo.uuid, "POST", `failed/${failed.id}/resend`);
    assert.equal(again.status, 404);
  });
});
