import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { migrator } from "../../src/db/migrator";
import { forgeLinkedRepository, rows } from "../support/forge-world";
import { pushLinkedRepository } from "../support/push-link";
import { Stack } from "../support/stack";

describe("pull-request events are taken in durably through both doors", function () {
  this.timeout(60_000);
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("a Connect pullrequest webhook is stored with its run queued before the 204, and its resend writes nothing", async () => {
    stack = await Stack.start({ worker: false });
    const s = await pushLinkedRepository(stack);
    const main = (await s.bitbucketGit.resolve("refs/heads/main"))!;
    await s.bitbucketGit.commit({ branch: "feature/x", parent: main });
    const sent = await stack.bitbucket.pullRequest(s.tenant, s.repo, {
      id: 3,
      action: "created",
      source: "feature/x",
      destination: "main",
    });
    assert.equal(sent.status, 204);
    const pr = await stack.app.deps.pullRequests.get(await linkIdOf(stack), 3);
    assert.equal(pr?.sourceBranch, "feature/x");
    assert.equal(pr?.sourceCommit?.length, 12);
    assert.equal(await rows(stack, "outbox"), 1);

    const requestUuid = randomUUID();
    const again = () => stack.bitbucket.sendWebhook(s.tenant, "pullrequest:updated", retitled(sent.payload), { requestUuid });
    assert.equal((await again()).status, 204);
    assert.equal(await rows(stack, "outbox"), 1, "folded into the waiting run");
    // With the run in flight, new work would add a row: the resend adds none.
    await stack.app.deps.sequelize.query("UPDATE outbox SET state = 'running'");
    assert.equal((await again()).status, 204);
    assert.equal(await rows(stack, "outbox"), 1, "the resend wrote nothing");
    assert.equal(await rows(stack, "deliveries"), 2);
  });

  it("a mirror link takes no pull-request work (the app pushes nothing there)", async () => {
    stack = await Stack.start({ worker: false });
    const s = await pushLinkedRepository(stack, { sync: "mirror" });
    await s.bitbucketGit.commit({ branch: "feature/x", parent: (await s.bitbucketGit.resolve("refs/heads/main"))! });
    const sent = await stack.bitbucket.pullRequest(s.tenant, s.repo, {
      id: 3,
      action: "created",
      source: "feature/x",
      destination: "main",
    });
    assert.equal(sent.status, 204);
    assert.equal(await rows(stack, "pull_requests"), 0);
    assert.equal(await rows(stack, "outbox"), 0);
  });

  it("a Forge pull-request event is stored and queued for a push-sync link, and its enveloped retry is a duplicate", async () => {
    stack = await Stack.start({ forge: true, worker: false });
    const { install, repo } = await forgeLinkedRepository(stack);
    await stack.app.deps.sequelize.query("UPDATE links SET sync = 'push'");
    const forge = stack.forge!;
    const event = forge.pullRequestEvent(install, repo.uuid, {
      id: 5,
      action: "created",
      source: "feature/x",
      destination: "main",
      sourceCommit: "a1742195055dc0a1f2e3d4c5b6a79881726354ab",
      destinationCommit: "f670f08a94d3b2c1d0e9f8a7b6c5d4e3f2a1b0c9",
    });
    const first = await forge.invoke(stack.app.url, "/forge/events/pullrequest", install, event);
    assert.deepEqual([first.status, first.body.outcome], [200, "accepted"]);
    const retry = await forge.invoke(stack.app.url, "/forge/events/pullrequest", install, {
      payload: { ...event, retryContext: { retryCount: 1, retryReason: "TIMEOUT_ERROR", retryData: null } },
    });
    assert.deepEqual([retry.status, retry.body.outcome], [200, "duplicate"]);
    const pr = await stack.app.deps.pullRequests.get(await linkIdOf(stack), 5);
    assert.equal(pr?.sourceCommit, "a1742195055d");
    assert.equal(await rows(stack, "outbox"), 1);

    const elsewhere = structuredClone(event);
    elsewhere.workspace.uuid = "{00000000-1111-4222-8333-444444444444}";
    assert.equal((await forge.invoke(stack.app.url, "/forge/events/pullrequest", install, elsewhere)).status, 403);
  });

  it("each Forge pull-request event in the shape Atlassian documents is taken in with its facts", async () => {
    stack = await Stack.start({ forge: true, worker: false });
    const { install, repo } = await forgeLinkedRepository(stack);
    await stack.app.deps.sequelize.query("UPDATE links SET sync = 'push'");
    const kinds = { created: "OPEN", updated: "OPEN", fulfilled: "MERGED", rejected: "DECLINED" } as const;
    let id = 0;
    for (const [kind, state] of Object.entries(kinds)) {
      const event = forgeFixture(`pullrequest-${kind}.json`);
      event.workspace.uuid = `{${install.workspaceId}}`;
      event.repository.uuid = repo.uuid;
      event.pullrequest.id = ++id;
      const res = await stack.forge!.invoke(stack.app.url, "/forge/events/pullrequest", install, event);
      assert.deepEqual([res.status, res.body.outcome], [200, "accepted"], kind);
      const pr = await stack.app.deps.pullRequests.get(await linkIdOf(stack), id);
      assert.deepEqual(
        pr && [pr.state, pr.sourceBranch, pr.sourceCommit, pr.destinationBranch, pr.destinationCommit, pr.sourceRepoUuid],
        [state, "feature/lint-rules", "5d3c0e9a41b7", "main", "e81f27c4d0a9", null],
        kind,
      );
      assert.equal(pr!.eventAt, Date.parse("2026-11-30T14:07:12.481093+00:00"));
    }
    // Connect's spellings (`branch: {name}`) are not the Forge shape.
    const connectish = forgeFixture("pullrequest-created.json");
    connectish.workspace.uuid = `{${install.workspaceId}}`;
    connectish.pullrequest.source.branch = { name: "feature/lint-rules" };
    assert.equal((await stack.forge!.invoke(stack.app.url, "/forge/events/pullrequest", install, connectish)).status, 400);
  });

  it("the page's switches change through PUT …/pullrequests/settings alone, and bad input changes nothing", async () => {
    stack = await Stack.start({ worker: false });
    const s = await pushLinkedRepository(stack);
    const put = async (body: unknown) => {
      const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(s.repo.uuid)}/pullrequests/settings`, {
        method: "PUT",
        headers: { Authorization: `JWT ${s.settingsToken}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const on = await put({ pullRequestForks: true });
    assert.equal(on.status, 200);
    assert.deepEqual([on.body.link.pullRequestPipelines, on.body.link.pullRequestForks], [true, true]);
    for (const bad of [{}, { pullRequestForks: "yes" }, { pullRequestForks: false, token: "x" }]) {
      const refused = await put(bad);
      assert.equal(refused.status, 400, JSON.stringify(bad));
      assert.ok(refused.body.error.code && refused.body.error.message);
    }
    const now = await stack.api(s.settingsToken, "GET", s.repo.uuid);
    assert.equal(now.body.link.pullRequestForks, true);
  });

  it("migration 0013 goes down and up again, links keeping pull-request pipelines on and forks off", async () => {
    stack = await Stack.start({ worker: false });
    const s = await pushLinkedRepository(stack);
    await s.bitbucketGit.commit({ branch: "feature/x", parent: (await s.bitbucketGit.resolve("refs/heads/main"))! });
    await stack.bitbucket.pullRequest(s.tenant, s.repo, { id: 3, action: "created", source: "feature/x", destination: "main" });
    const umzug = migrator(stack.app.deps.sequelize);
    await umzug.down({ to: "0013-pull-request-pipelines" });
    assert.equal(await rows(stack, "links"), 1, "the link survives going down");
    await umzug.up();
    const [link] = await stack.app.deps.links.allForTenant(s.tenant.clientKey);
    assert.equal(link!.pullRequestPipelines, true);
    assert.equal(link!.pullRequestForks, false);
    assert.equal(await rows(stack, "pull_requests"), 0);
  });
});

/** The same event with only its title changed, as Bitbucket sends `pullrequest:updated` for an edit. */
function retitled(payload: any): any {
  const copy = structuredClone(payload);
  copy.event = "pullrequest:updated";
  copy.data.pullrequest.title = "Renamed";
  return copy;
}

async function linkIdOf(stack: Stack): Promise<string> {
  const [row] = (await stack.app.deps.sequelize.query("SELECT id FROM links", { type: "SELECT" })) as { id: string }[];
  return row!.id;
}

const forgeFixture = (name: string): any => JSON.parse(readFileSync(path.join(__dirname, "../fixtures/forge", name), "utf8"));
