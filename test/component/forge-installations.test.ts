import assert from "node:assert/strict";
import { migrator } from "../../src/db/migrator";
import { forgeLinkedRepository, linkPath, rows } from "../support/forge-world";
import { eventually, Stack } from "../support/stack";

const sha = "a1742195055dc0a1f2e3d4c5b6a79881726354ab";

const outboxRows = async (stack: Stack) =>
  (await stack.app.deps.sequelize.query("SELECT kind, state, attempts FROM outbox", { type: "SELECT" })) as {
    kind: string;
    state: string;
    attempts: number | string;
  }[];

describe("Forge installations", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start({ forge: true })));
  afterEach(async () => stack.stop());

  it("another installation's FIT can neither read, nor change, nor unlink a link", async () => {
    const forge = stack.forge!;
    const { install, repo } = await forgeLinkedRepository(stack);
    const other = await forge.install(stack.app.url);
    const app = stack.app.url;

    // Its own page context, naming the first workspace's repository: not linked for it.
    const read = await forge.ui(app, other, "GET", linkPath(repo.uuid), undefined, { repoUuid: repo.uuid });
    assert.equal(read.status, 404);
    assert.equal(read.body.error.code, "not_linked");
    const unlink = await forge.ui(app, other, "DELETE", linkPath(repo.uuid), undefined, { repoUuid: repo.uuid });
    // DELETE is idempotent (204 when the caller's installation has no such link), and acts only on its own links.
    assert.equal(unlink.status, 204);
    assert.equal(await rows(stack, "links"), 1, "the first installation's link is untouched");
    // A context claiming the first installation's workspace: refused outright.
    const claimed = await forge.ui(app, other, "GET", linkPath(repo.uuid), undefined, {
      repoUuid: repo.uuid,
      workspaceId: install.workspaceId,
    });
    assert.equal(claimed.status, 403);
    const change = await forge.ui(
      app,
      other,
      "PUT",
      linkPath(repo.uuid),
      { project: "acme/widgets", statusMode: "jobs" },
      {
        repoUuid: repo.uuid,
        workspaceId: install.workspaceId,
      },
    );
    assert.equal(change.status, 403);
    // Another repository's page cannot act on this one, even inside the same installation.
    const sideways = await forge.ui(app, install, "GET", linkPath(repo.uuid), undefined, {
      repoUuid: "{00000000-1111-4222-8333-444444444444}",
    });
    assert.equal(sideways.status, 403);
    // A repository page's FIT is not a workspace page's.
    const workspace = await forge.ui(app, install, "GET", "/forge/api/workspace/defaults", undefined, { repoUuid: repo.uuid });
    assert.ok([403, 404].includes(workspace.status), `workspace API answered ${workspace.status}`);

    const mine = await forge.ui(app, install, "GET", linkPath(repo.uuid), undefined, { repoUuid: repo.uuid });
    assert.equal(mine.status, 200);
    assert.equal(mine.body.link.statusMode, "pipeline");
    assert.equal(await rows(stack, "links"), 1);
  });

  it("when Bitbucket refuses the expired system token, the status waits without using an attempt, and goes out after a tick", async () => {
    const forge = stack.forge!;
    const { install, repo, project } = await forgeLinkedRepository(stack);
    forge.expireSystemToken(install);

    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.apiCalls.some((c) => c.status === 401));
    // Refused once; from then on the work waits for a token without asking Bitbucket again.
    await eventually(async () => (await outboxRows(stack)).some((r) => r.state === "pending"));
    const refusedCalls = stack.bitbucket.apiCalls.filter((c) => c.status === 401).length;
    assert.equal(refusedCalls, 1);
    for (const row of await outboxRows(stack)) assert.equal(Number(row.attempts), 0, `${row.kind} used an attempt`);
    assert.equal(stack.bitbucket.statuses({ sha }).length, 0);

    forge.renewSystemToken(install);
    assert.equal((await forge.tick(stack.app.url, install)).status, 200);
    const status = await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "SUCCESSFUL"));
    assert.equal(status.repoUuid, repo.uuid);
    assert.equal(stack.bitbucket.apiCalls.filter((c) => c.status === 401).length, 1);
  });

  it("a retried push (bare, then in the retry envelope) queues one mirror trigger; a later different push is new", async () => {
    const forge = stack.forge!;
    const { install, repo } = await forgeLinkedRepository(stack);
    const event = forge.pushEvent(install, repo.uuid);
    const first = await forge.sendPush(stack.app.url, install, event);
    assert.equal(first.body.outcome, "accepted");
    const retry = await forge.sendPush(stack.app.url, install, event, { envelope: { retryCount: 1 } });
    assert.equal(retry.status, 200);
    assert.equal(retry.body.outcome, "duplicate");

    // The ref moves back to an earlier hash: a new event (its own timestamp), not a retry.
    const back = forge.pushEvent(install, repo.uuid, { before: event.push.after, after: event.push.before });
    back.timestamp = new Date(Date.parse(event.timestamp) + 60_000).toISOString();
    assert.equal((await forge.sendPush(stack.app.url, install, back)).body.outcome, "accepted");
    // A deletion has no `after`.
    const deleted = forge.pushEvent(install, repo.uuid, {
      ref: "feature/old",
      after: undefined,
      closed: true,
      mainbranch: undefined,
    });
    assert.equal((await forge.sendPush(stack.app.url, install, deleted)).body.outcome, "accepted");
    assert.equal(await rows(stack, "deliveries"), 3);
  });

  it("a push naming several refs (bare names, as Forge gives them) queues one mirror trigger for all of them", async () => {
    const forge = stack.forge!;
    const { install, repo, project } = await forgeLinkedRepository(stack);
    const event = forge.pushEvent(install, repo.uuid, { ref: ["main", "release/1.0"] });
    const pushed = await forge.sendPush(stack.app.url, install, event);
    assert.equal(pushed.status, 200, JSON.stringify(pushed.body));
    assert.equal(pushed.body.outcome, "accepted");
    await eventually(() => stack.gitlab.mirrorTriggers(project).length === 1);
    const activity = linkPath(repo.uuid).replace(/\/link$/, "/activity");
    const entry = await eventually(async () => {
      const res = await forge.ui(stack.app.url, install, "GET", activity, undefined, { repoUuid: repo.uuid });
      return (res.body.entries as { text: string }[]).find((e) => e.text.startsWith("Push to main, release/1.0:"));
    });
    assert.match(entry.text, /GitLab asked to update the mirror/);
    assert.equal(await rows(stack, "deliveries"), 1);
  });

  it("answers a malformed push with a JSON 400 and stores nothing; a push for another workspace is a 403", async () => {
    const forge = stack.forge!;
    const { install, repo } = await forgeLinkedRepository(stack);
    const before = await rows(stack, "outbox");
    const bad = await forge.sendPush(stack.app.url, install, { push: { ref: 42 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_request");
    const foreign = forge.pushEvent(install, repo.uuid);
    foreign.workspace.uuid = "{00000000-1111-4222-8333-444444444444}";
    assert.equal((await forge.sendPush(stack.app.url, install, foreign)).status, 403);
    assert.equal(await rows(stack, "outbox"), before);
    assert.equal(await rows(stack, "deliveries"), 0);
  });

  it("a pull request event of a repository without a link is answered and stores nothing; one that names no pull request is refused", async () => {
    const forge = stack.forge!;
    const install = await forge.install(stack.app.url);
    const event = forge.pullRequestEvent(install, "{c389eba6-ca13-49c5-8dec-4e617d39dffe}", {
      id: 9,
      action: "created",
      source: "upgrades",
      destination: "main",
      sourceCommit: "a1742195055dc0a1f2e3d4c5b6a79881726354ab",
      destinationCommit: "f670f08a94d3b2c1d0e9f8a7b6c5d4e3f2a1b0c9",
    });
    const res = await forge.invoke(stack.app.url, "/forge/events/pullrequest", install, event);
    assert.equal(res.status, 200);
    assert.equal(res.body.outcome, "ignored: repository not linked");
    const bad = await forge.invoke(stack.app.url, "/forge/events/pullrequest", install, {
      eventType: "avi:bitbucket:created:pullrequest",
    });
    assert.equal(bad.status, 400);
    assert.equal(await rows(stack, "outbox"), 0);
  });

  it("migration 0007 goes down taking Forge installations and their links along, leaving Connect tenants, and up again", async () => {
    await forgeLinkedRepository(stack);
    const connect = await stack.install();
    const umzug = migrator(stack.app.deps.sequelize);
    await umzug.down({ to: "0007-forge-installations" });
    assert.equal(await rows(stack, "links"), 0);
    assert.equal(await rows(stack, "tenants"), 1);
    assert.ok(await stack.app.deps.tenants.tenants.find(connect.clientKey));
    await umzug.up();
    assert.equal(await rows(stack, "forge_installations"), 0);
    const again = await stack.forge!.install(stack.app.url);
    assert.equal(again.status, 200);
    assert.equal(await rows(stack, "forge_installations"), 1);
  });

  it("keeps the two editions apart: a Connect install cannot claim a forge: key, and Connect never sees a Forge owner row", async () => {
    const install = await stack.forge!.install(stack.app.url);
    const key = `forge:${install.installationId}`;
    assert.equal(await stack.app.deps.tenants.tenants.find(key), null);
    assert.equal(await stack.app.deps.tenants.tenants.count(), 0);
    const res = await fetch(`${stack.app.url}/installed`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        key: "gitlab-ci-for-bitbucket",
        clientKey: "forge:ari:cloud:ecosystem::installation/00000000-1111-4222-8333-444444444444",
        sharedSecret: "s".repeat(32),
        baseUrl: stack.bitbucket.baseUrl,
        baseApiUrl: stack.bitbucket.apiBaseUrl,
        productType: "bitbucket",
        principal: { uuid: "{00000000-1111-4222-8333-444444444444}" },
      }),
    });
    assert.equal(res.status, 400);
    assert.equal(await rows(stack, "tenants"), 1, "only the Forge installation's owner row");
  });
});
