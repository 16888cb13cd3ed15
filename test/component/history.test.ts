import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { eventually, Stack } from "../support/stack";

describe("the link's event log", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("lists each delivery newest first: what came in, what we did, what the peer answered, how long it took", async () => {
    stack = await Stack.start();
    const { tenant, repo, project, settingsToken } = await stack.linkedRepository();
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    const sha = randomBytes(20).toString("hex");
    const p = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(p, "success");
    stack.bitbucket.injectFaults({ status: 500 }, 1);
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(p));
    await eventually(() => stack.bitbucket.statuses({ sha }).length === 1, 8_000);

    type Event = { kind: string; outcome: string; summary: string; durationMs: number; at: string };
    const read = async () => {
      const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/events`, {
        headers: { Authorization: `JWT ${settingsToken}` },
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { events: Event[] }).events;
    };
    // The event is written just after Bitbucket has answered, so it may lag the status by a moment.
    const events = await eventually(async () => {
      const all = await read();
      return all.filter((e) => e.kind === "status-sync").length >= 2 ? all : null;
    });
    const statusEvents = events.filter((e) => e.kind === "status-sync");
    assert.equal(statusEvents[0]!.outcome, "done");
    assert.match(
      statusEvents[0]!.summary,
      new RegExp(`pipeline #${p.id} success on main .*posted SUCCESSFUL gitlab:${project.id}:main`),
    );
    assert.equal(statusEvents[1]!.outcome, "retry");
    assert.match(statusEvents[1]!.summary, /Bitbucket 500/);
    assert.ok(events.some((e) => e.kind === "mirror-trigger" && e.outcome === "done"));
    assert.ok(events.every((e) => e.durationMs >= 0 && !Number.isNaN(Date.parse(e.at))));
  });

  it("keeps only the last 50 events of a link", async () => {
    stack = await Stack.start();
    const { tenant, repo } = await stack.linkedRepository();
    const row = await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid);
    for (let i = 0; i < 75; i++)
      await stack.app.deps.events.record(row!.id, row!.clientKey, {
        at: i,
        kind: "status-sync",
        outcome: "done",
        summary: `event ${i}`,
        durationMs: 1,
      });
    await stack.app.deps.events.trim(row!.id);
    const kept = await stack.app.deps.events.forLink(row!.id, 100);
    assert.equal(kept.length, 50);
    assert.equal(kept[0]!.summary, "event 74");
    assert.equal(kept[49]!.summary, "event 25");
  });

  it("answers 404 not_linked for a repository without a link, and 403 for another repository's token", async () => {
    stack = await Stack.start();
    const tenant = await stack.install();
    const a = stack.bitbucket.addRepository(tenant, "a");
    const b = stack.bitbucket.addRepository(tenant, "b");
    const token = await stack.settingsToken(tenant, a);
    const get = (uuid: string) =>
      fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(uuid)}/events`, {
        headers: { Authorization: `JWT ${token}` },
      });
    assert.equal((await get(a.uuid)).status, 404);
    assert.equal((await get(b.uuid)).status, 403);
  });
});

describe("the audit trail", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("records who linked, changed and unlinked the repository, and when; shown only to that repository", async () => {
    stack = await Stack.start();
    const { tenant, repo, settingsToken, gitlabToken } = await stack.linkedRepository();
    const ada = (await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid))!.createdBy;
    await stack.api(settingsToken, "PUT", repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: "acme/widgets",
      token: gitlabToken,
      statusMode: "both",
    });
    await stack.api(settingsToken, "DELETE", repo.uuid);

    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/audit`, {
      headers: { Authorization: `JWT ${settingsToken}` },
    });
    const { audit } = (await res.json()) as { audit: { action: string; actor: string; summary: string; at: string }[] };
    assert.deepEqual(
      audit.map((a) => a.action),
      ["unlinked", "changed", "linked"],
    );
    assert.ok(
      audit.every((a) => a.actor === ada && a.actor),
      "the Bitbucket user is not recorded",
    );
    assert.match(audit[2]!.summary, /Linked to acme\/widgets .* pipeline statuses, a token ending/);
    assert.match(audit[1]!.summary, /both statuses/);
    assert.ok(!JSON.stringify(audit).includes(gitlabToken));

    const otherRepo = stack.bitbucket.addRepository(tenant, "gadgets");
    const otherToken = await stack.settingsToken(tenant, otherRepo);
    const theirs = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(otherRepo.uuid)}/audit`, {
      headers: { Authorization: `JWT ${otherToken}` },
    });
    assert.deepEqual(((await theirs.json()) as { audit: unknown[] }).audit, []);
  });
});
