import assert from "node:assert/strict";
import { eventually, Stack } from "../support/stack";

describe("push → GitLab mirror update", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  it("a verified repo:push for a linked repository triggers the GitLab pull mirror", async () => {
    const { tenant, repo, project } = await stack.linkedRepository();
    const push = await stack.bitbucket.push(tenant, repo, { branch: "main" });
    assert.equal(push.status, 204);
    await eventually(() => stack.gitlab.mirrorTriggers(project).some((t) => t.outcome === "started"));
  });

  it("keeps what GitLab said about the mirror on the link, for the settings page", async () => {
    const { tenant, repo, settingsToken } = await stack.linkedRepository();
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    const link = await eventually(async () => (await stack.api(settingsToken, "GET", repo.uuid)).body.link.mirror);
    assert.ok(link.updateStatus);
    assert.equal(link.triggerError, null);
  });

  it("writes the trigger down before answering, so it is delivered even if the worker was not running", async () => {
    await stack.stop();
    stack = await Stack.start({ worker: false });
    const { tenant, repo, project } = await stack.linkedRepository();
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    const depth = await stack.app.deps.outbox.depth();
    assert.equal(depth.pending, 1);
    assert.equal(stack.gitlab.mirrorTriggers(project).length, 0);
    stack.app.worker.start();
    await eventually(() => stack.gitlab.mirrorTriggers(project).length === 1);
  });

  it("acknowledges and ignores a push for a repository that is not linked", async () => {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "unlinked");
    const push = await stack.bitbucket.push(tenant, repo, { branch: "main" });
    assert.equal(push.status, 204);
    assert.equal((await stack.app.deps.outbox.depth()).pending, 0);
  });

  it("refuses a push with a bad signature, for an unknown tenant, or with a qsh for another URL, and stores nothing", async () => {
    const { tenant, repo, project } = await stack.linkedRepository();
    const body = (await stack.bitbucket.push(tenant, repo, { branch: "seed" })).payload;
    await eventually(() => stack.gitlab.mirrorTriggers(project).length === 1);
    const attempts = [
      { secret: "a-wrong-secret-for-this-tenant" },
      { iss: "ari:cloud:bitbucket::app/{00000000-0000-0000-0000-000000000000}/gitlab-ci-for-bitbucket", aud: null },
      { qsh: "0".repeat(64) },
      { omit: ["exp" as const] },
      { alg: "none" as const },
    ];
    for (const opts of attempts) {
      const res = await stack.bitbucket.sendWebhook(tenant, "repo:push", body, opts);
      assert.equal(res.status, 401, JSON.stringify(opts));
    }
    assert.equal((await stack.app.deps.outbox.depth()).pending, 0);
    assert.equal(stack.gitlab.mirrorTriggers(project).length, 1);
  });

  it("acknowledges and ignores events named like members of Object.prototype (found by the fuzz test)", async () => {
    const { tenant } = await stack.linkedRepository();
    for (const event of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      // Bitbucket only sends what the descriptor subscribes to; the body is what names the event.
      const res = await stack.bitbucket.sendWebhook(tenant, "repo:push", { event, data: {} });
      assert.equal(res.status, 204, event);
    }
    assert.equal((await stack.app.deps.outbox.depth()).pending, 0);
  });

  it("answers a webhook whose body is not a repo:push with 400 and stores nothing", async () => {
    const { tenant } = await stack.linkedRepository();
    const res = await stack.bitbucket.sendWebhook(tenant, "repo:push", { event: "repo:push", data: { repository: "nope" } });
    assert.equal(res.status, 400);
    assert.equal((await stack.app.deps.outbox.depth()).pending, 0);
  });

  it("records a trigger GitLab refuses (mirror paused) as given up, with GitLab's reason", async () => {
    const { tenant, repo, project, settingsToken } = await stack.linkedRepository();
    project.mirrorPaused = true;
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    const dead = await eventually(async () => (await stack.app.deps.outbox.dead())[0]);
    assert.match(dead.lastError ?? "", /403/);
    const view = (await stack.api(settingsToken, "GET", repo.uuid)).body.link;
    assert.match(view.mirror.triggerError, /pause/i);
  });

  it("retries a trigger after GitLab answers 500, and it goes through", async () => {
    const { tenant, repo, project } = await stack.linkedRepository();
    stack.gitlab.injectFaults({ status: 500 }, 1, /mirror\/pull/);
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    await eventually(() => stack.gitlab.mirrorTriggers(project).length === 1, 8_000);
    // The first trigger met the 500 (it never reached the mirror), so the one GitLab took is the retry.
    assert.deepEqual(
      stack.gitlab.firedFaults.map((f) => `${f.method} ${f.path} ${"status" in f.fault ? f.fault.status : ""}`),
      [`POST /api/v4/projects/${project.id}/mirror/pull 500`],
    );
  });
});
