import assert from "node:assert/strict";
import { failedDeliveries } from "../../src/links/failed-deliveries";
import { RETENTION } from "../../src/sync/retention";
import { eventually, Stack } from "../support/stack";

const DAY = 24 * 60 * 60_000;

describe("retention: what intake and delivery leave behind does not grow without bound", function () {
  this.timeout(30_000);
  let stack: Stack;
  afterEach(async () => stack.stop());

  /** Gives up `n` rows of work for a link, as the worker does after a permanent failure. */
  async function deadRows(linkId: string, clientKey: string, n: number, tag = linkId): Promise<number[]> {
    const { outbox } = stack.app.deps;
    for (let i = 0; i < n; i++)
      await outbox.enqueue({
        clientKey,
        linkId,
        kind: "status-sync",
        dedupeKey: `${tag}:${i}`,
        payload: { linkId, sha: "f".repeat(40), ref: "main", pipelineId: i },
      });
    // A claim takes a few rows of an installation at a time (fairness): claim and give up until all are dead.
    const claimed: number[] = [];
    while (claimed.length < n) {
      const batch = await outbox.claim(n);
      if (batch.length === 0) throw new Error(`only ${claimed.length} of ${n} rows could be claimed`);
      for (const item of batch) await outbox.bury(item.id, "Bitbucket 400: refused");
      claimed.push(...batch.map((c) => c.id));
    }
    return claimed.sort((a, b) => a - b);
  }

  const deadCount = async () => (await stack.app.deps.outbox.depth()).dead;

  it("the settings page reads only the link's newest 20 given-up rows, newest first, in SQL", async () => {
    stack = await Stack.start({ worker: false });
    const { tenant } = await stack.linkedRepository();
    const [link] = await stack.app.deps.links.allForTenant(tenant.clientKey);
    // An old row no page shows, which cannot even be decoded: reading it would throw, so it must not be read.
    await stack.app.deps.sequelize.query(
      `INSERT INTO outbox (client_key, link_id, kind, dedupe_key, payload, state, attempts, run_at, created_at, updated_at)
       VALUES (?, ?, 'status-sync', 'unreadable', 'not json', 'dead', 1, 0, 0, 0)`,
      { replacements: [tenant.clientKey, link!.id] },
    );
    const mine = await deadRows(link!.id, tenant.clientKey, 30);
    await deadRows("another-link", tenant.clientKey, 5);

    const shown = await failedDeliveries(stack.app.deps, link!);
    assert.deepEqual(
      shown.map((i) => i.id),
      mine.slice(-20).reverse(),
    );
  });

  it("delivery ids are forgotten after 7 days, given-up rows after 14 days and beyond 100 per link; waiting work stays", async () => {
    stack = await Stack.start({ worker: false });
    const { deps } = stack.app;
    const { tenant } = await stack.linkedRepository();
    const [link] = await deps.links.allForTenant(tenant.clientKey);
    await deps.deliveries.record({ source: "gitlab", scope: link!.id, id: "old-event" }, tenant.clientKey);
    const mine = await deadRows(link!.id, tenant.clientKey, RETENTION.deadRowsPerLink + 20);
    await deadRows("another-link", tenant.clientKey, 3);
    await deps.outbox.enqueue({
      clientKey: tenant.clientKey,
      linkId: link!.id,
      kind: "status-sync",
      dedupeKey: "waiting",
      payload: {},
    });

    const now = Date.now();
    assert.deepEqual(await stack.app.retention.runOnce(now), { deliveries: 0, dead: 20, pullRequests: 0 });
    assert.deepEqual(
      (await deps.outbox.deadForLink(link!.id, 1000)).map((i) => i.id),
      mine.slice(-RETENTION.deadRowsPerLink).reverse(),
      "the newest 100 of the link are kept",
    );
    assert.equal(await deadCount(), RETENTION.deadRowsPerLink + 3);

    const resend = {
      clientKey: tenant.clientKey,
      linkId: link!.id,
      kind: "status-sync",
      dedupeKey: "resent",
      payload: {},
      delivery: { source: "gitlab", scope: link!.id, id: "old-event" },
    };
    assert.equal(await deps.outbox.enqueue(resend), false, "a resend within 7 days is recognised");
    assert.deepEqual(await stack.app.retention.runOnce(now + 8 * DAY), { deliveries: 1, dead: 0, pullRequests: 0 });
    assert.equal(await deps.outbox.enqueue(resend), true, "forgotten after 7 days: a resend is taken in again");

    await stack.app.retention.runOnce(now + 15 * DAY);
    assert.equal(await deadCount(), 0);
    assert.equal((await deps.outbox.depth()).pending, 2, "work still waiting is never pruned");
  });

  it("merged and declined pull requests are forgotten 7 days after their clean-up, or 30 days when it never succeeded; open ones stay", async () => {
    stack = await Stack.start({ worker: false });
    const { deps } = stack.app;
    const { tenant } = await stack.linkedRepository();
    const [link] = await deps.links.allForTenant(tenant.clientKey);
    const note = (prId: number, state: "OPEN" | "MERGED" | "DECLINED") =>
      deps.pullRequests.noteEvent(link!.id, {
        prId,
        state,
        sourceBranch: `feature/${prId}`,
        sourceCommit: "a".repeat(12),
        sourceRepoUuid: null,
        sourceRepoFullName: null,
        destinationBranch: "main",
        destinationCommit: "b".repeat(12),
        eventAt: Date.now(),
      });
    const work = { handled: "x", sourceSha: null, destinationSha: null, mergeSha: null, pipelineId: null, note: null };
    await note(1, "OPEN");
    await note(2, "MERGED");
    await deps.pullRequests.recordWork(link!.id, 2, { ...work, outcome: "closed" });
    await note(3, "DECLINED"); // its clean-up (cancel, delete the branch) has not succeeded
    await note(4, "DECLINED");
    await deps.pullRequests.recordWork(link!.id, 4, { ...work, outcome: "closed" });
    const left = async () => (await deps.pullRequests.forLink(link!.id)).map((pr) => pr.prId).sort();

    const now = Date.now();
    assert.equal((await stack.app.retention.runOnce(now + 6 * DAY)).pullRequests, 0);
    assert.deepEqual(await left(), [1, 2, 3, 4]);
    assert.equal((await stack.app.retention.runOnce(now + 8 * DAY)).pullRequests, 2);
    assert.deepEqual(await left(), [1, 3], "the cleaned-up ones go; the one still to clean up stays, to be retried");
    assert.equal((await stack.app.retention.runOnce(now + 31 * DAY)).pullRequests, 1);
    assert.deepEqual(await left(), [1], "an open pull request is never pruned");
  });

  it("prunes on its own timer", async () => {
    stack = await Stack.start({ env: { RETENTION_EVERY_MS: "100" } });
    const { deps } = stack.app;
    const tenant = await stack.install();
    await deps.sequelize.query(
      "INSERT INTO deliveries (source, scope, delivery_id, client_key, received_at) VALUES ('gitlab', 'a-link', 'ancient', ?, 0)",
      { replacements: [tenant.clientKey] },
    );
    await eventually(
      async () => ((await deps.sequelize.query("SELECT * FROM deliveries", { type: "SELECT" })) as unknown[]).length === 0,
    );
  });
});
