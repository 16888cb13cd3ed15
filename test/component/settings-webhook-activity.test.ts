import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { forgeLinkedRepository, linkPath } from "../support/forge-world";
import { drained, eventually, Stack } from "../support/stack";

describe("the linked page's webhook secret, re-check, refresh hint and readable activity", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  const call = async (token: string, repoUuid: string, method: string, route: string, prefix = "/api") => {
    const res = await fetch(`${stack.app.url}${prefix}/repositories/${encodeURIComponent(repoUuid)}/${route}`, {
      method,
      headers: { Authorization: `JWT ${token}` },
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const hook = (url: string, secret: string, payload: unknown) =>
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Gitlab-Event": "Pipeline Hook", "X-Gitlab-Token": secret },
      body: JSON.stringify(payload),
    });

  /** Linked with a Developer's token: the app could not add the webhook and gave its secret once. */
  async function linkedByDeveloper() {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const dev = stack.gitlab.addUser("dev", "Dee Veloper");
    const token = stack.gitlab.addToken(dev);
    const project = stack.gitlab.addProject("acme/widgets", { mirror: true });
    stack.gitlab.addMember(project, dev, 30);
    const settingsToken = await stack.settingsToken(tenant, repo);
    const linked = await stack.api(settingsToken, "PUT", repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: "acme/widgets",
      token,
    });
    assert.equal(linked.status, 200);
    return { tenant, repo, project, settingsToken, webhook: linked.body.webhook };
  }

  it("right after linking with a Developer's token the webhook is 'waiting for the first delivery', not 'added by hand'", async () => {
    const { repo, project, settingsToken, webhook } = await linkedByDeveloper();
    const before = await call(settingsToken, repo.uuid, "GET", "health");
    assert.equal(before.body.health.webhook.state, "waiting");
    assert.match(before.body.health.webhook.message, /Waiting for the first delivery/);

    const p = stack.gitlab.createPipeline(project, { sha: randomBytes(20).toString("hex"), ref: "main" });
    assert.equal((await hook(webhook.url, webhook.secret, stack.gitlab.pipelineHookPayload(p))).status, 200);
    await eventually(async () => (await call(settingsToken, repo.uuid, "GET", "health")).body.health.webhook.state === "manual");
  });

  it("'new secret' for a hook added by hand answers the new secret once; the old one stops working at once", async () => {
    const { repo, project, settingsToken, webhook } = await linkedByDeveloper();
    const rotated = await call(settingsToken, repo.uuid, "POST", "webhook-secret");
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.webhook.registered, false);
    assert.equal(rotated.body.webhook.url, webhook.url);
    assert.ok(Buffer.from(rotated.body.webhook.secret, "base64url").length >= 32);
    assert.notEqual(rotated.body.webhook.secret, webhook.secret);
    assert.equal(rotated.body.link.webhookSecret, undefined);

    const p = stack.gitlab.createPipeline(project, { sha: randomBytes(20).toString("hex"), ref: "main" });
    const payload = stack.gitlab.pipelineHookPayload(p);
    assert.equal((await hook(webhook.url, webhook.secret, payload)).status, 401);
    assert.equal((await hook(webhook.url, rotated.body.webhook.secret, payload)).status, 200);
    assert.equal((await call(settingsToken, repo.uuid, "GET", "link")).body.link.webhookSecret, undefined);
  });

  it("'new secret' for the app's own hook gives GitLab the new secret and shows none", async () => {
    const { repo, project, settingsToken } = await stack.linkedRepository();
    const old = stack.gitlab.hooks(project)[0]!.token;
    const rotated = await call(settingsToken, repo.uuid, "POST", "webhook-secret");
    assert.equal(rotated.status, 200);
    assert.deepEqual(Object.keys(rotated.body.webhook).sort(), ["registered", "url"]);
    const now = stack.gitlab.hooks(project)[0]!;
    assert.notEqual(now.token, old);
    const sha = randomBytes(20).toString("hex");
    const p = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(p, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(p));
    await eventually(() => stack.bitbucket.statuses({ sha }).length === 1);
  });

  it("re-check on a pipeline Bitbucket already shows posts nothing and says so", async () => {
    const { repo, project, settingsToken } = await stack.linkedRepository();
    const sha = randomBytes(20).toString("hex");
    const p = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(p, "failed");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(p));
    await eventually(() => stack.bitbucket.statuses({ sha }).some((s) => s.state === "FAILED"));
    await drained(stack);

    const res = await call(settingsToken, repo.uuid, "POST", "recheck");
    assert.equal(res.status, 200);
    assert.equal(res.body.health.alreadyShown, true);
    assert.equal(res.body.health.statusQueued, false);
    assert.equal(res.body.health.inFlight, false);
    assert.deepEqual(
      res.body.health.bitbucket.map((s: any) => [s.name, s.state]),
      [["Pipeline", "FAILED"]],
    );
  });

  it("health says work is in flight while a pipeline runs, and not once it finished", async () => {
    const { repo, project, settingsToken } = await stack.linkedRepository();
    const p = stack.gitlab.createPipeline(project, { sha: randomBytes(20).toString("hex"), ref: "main" });
    stack.gitlab.setPipelineStatus(p, "running");
    assert.equal((await call(settingsToken, repo.uuid, "GET", "health")).body.health.inFlight, true);
    stack.gitlab.setPipelineStatus(p, "success");
    await drained(stack);
    assert.equal((await call(settingsToken, repo.uuid, "GET", "health")).body.health.inFlight, false);
  });

  it("activity names the pusher, links the commit and the pipeline, hides status keys and folds no-op entries", async () => {
    const { tenant, repo, project, settingsToken } = await stack.linkedRepository();
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    const sha = randomBytes(20).toString("hex");
    const p = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(p, "success");
    const payload = stack.gitlab.pipelineHookPayload(p);
    await stack.gitlab.deliver(project, "Pipeline Hook", payload);
    await eventually(() => stack.bitbucket.statuses({ sha }).length === 1);
    await drained(stack);
    // The same hook again (a new delivery id): Bitbucket already shows this, an entry to fold away.
    await stack.gitlab.deliver(project, "Pipeline Hook", payload);
    await drained(stack);

    const { body } = await call(settingsToken, repo.uuid, "GET", "activity");
    const text = JSON.stringify(body.entries);
    assert.doesNotMatch(text, /gitlab:\d+:/, "an internal status key is shown");
    assert.doesNotMatch(text, /PUT |mirror\/pull|import_url/);
    assert.ok(body.folded >= 1, "the no-op re-post was not folded");
    const push = body.entries.find((e: any) => e.who === "Ada Lovelace");
    assert.ok(push, `no entry names the pusher: ${text}`);
    assert.match(push.text, /^Ada Lovelace pushed main: GitLab asked to update the mirror/);
    const status = body.entries.find((e: any) => e.text.startsWith(`Pipeline #${p.id} success on main`));
    assert.equal(status.text, `Pipeline #${p.id} success on main: Bitbucket now shows Pipeline: Successful`);
    assert.deepEqual(
      status.links.map((l: any) => l.href),
      [`${stack.bitbucket.baseUrl}/${repo.fullName}/commits/${sha.slice(0, 12)}`, `${project.webUrl}/-/pipelines/${p.id}`],
    );
    const linked = body.entries.find((e: any) => e.outcome === "settings");
    assert.equal(linked.who, null, "a raw account id is shown as the actor");
  });

  it("the Forge edition makes a new secret under /forge/api too (the SettingsDoor mechanism)", async () => {
    await stack.stop();
    stack = await Stack.start({ forge: true });
    const { install, repo, project } = await forgeLinkedRepository(stack);
    const old = stack.gitlab.hooks(project)[0]!.token;
    const path = linkPath(repo.uuid).replace(/\/link$/, "/webhook-secret");
    const res = await stack.forge!.ui(stack.app.url, install, "POST", path, undefined, { repoUuid: repo.uuid });
    assert.equal(res.status, 200);
    assert.equal((res.body as any).webhook.registered, true);
    assert.notEqual(stack.gitlab.hooks(project)[0]!.token, old);
  });
});
