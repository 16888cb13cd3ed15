import assert from "node:assert/strict";
import { QueryTypes } from "sequelize";
import { pushLinkedRepository } from "../support/push-link";
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

describe("given-up push sync and pull-request work on the settings page", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start({ worker: false })));
  afterEach(async () => stack.stop());

  /** Writes a row of `kind` for the link, claims it and gives it up, as the worker does after its last attempt. */
  async function givenUp(link: { id: string; clientKey: string }, kind: string, payload: Record<string, unknown>) {
    const { outbox } = stack.app.deps;
    await outbox.enqueue({ clientKey: link.clientKey, linkId: link.id, kind, dedupeKey: `dead:${kind}`, payload });
    const claimed = (await outbox.claim(16)).find((i) => i.kind === kind)!;
    await outbox.bury(claimed.id, "GitLab 403: You are not allowed to push into this branch");
    return claimed.id;
  }

  it("describes each in words and re-sends it as the same kind of work (a push sync is never re-sent as a mirror trigger)", async () => {
    const s = await pushLinkedRepository(stack, { sync: "push" });
    const link = (await stack.app.deps.links.allForTenant(s.tenant.clientKey))[0]!;
    const sync = await givenUp(link, "push-refs", { linkId: link.id, via: "sweep" });
    const prs = await givenUp(link, "pr-pipelines", { linkId: link.id });

    const call = async (method: string, route: string) => {
      const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(s.repo.uuid)}/${route}`, {
        method,
        headers: { Authorization: `JWT ${s.settingsToken}` },
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const health = await call("GET", "health");
    assert.equal(health.status, 200, JSON.stringify(health.body));
    const shown = new Map((health.body.health.failed as { id: number; what: string }[]).map((f) => [f.id, f.what]));
    assert.equal(shown.get(sync), "Push sync to GitLab (found by a catch-up sweep)");
    assert.equal(shown.get(prs), "Merge-result pipelines of the open pull requests");

    for (const id of [sync, prs]) {
      const resent = await call("POST", `failed/${id}/resend`);
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
    }
    const waiting = await stack.app.deps.sequelize.query<{ kind: string }>(
      "SELECT kind FROM outbox WHERE link_id = ? AND state = 'pending' ORDER BY kind",
      { replacements: [link.id], type: QueryTypes.SELECT },
    );
    assert.deepEqual([...new Set(waiting.map((w) => w.kind))], ["pr-pipelines", "push-refs"]);
  });
});
