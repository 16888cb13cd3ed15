import assert from "node:assert/strict";
import { migrator } from "../../src/db/migrator";
import { Stack } from "../support/stack";

const count = async (stack: Stack, table: string) =>
  Number(((await stack.app.deps.sequelize.query(`SELECT COUNT(*) AS n FROM ${table}`, { type: "SELECT" })) as any[])[0].n);

describe("schema migrations", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start({ worker: false })));
  afterEach(async () => stack.stop());

  it("applies every migration at start and lists none pending", async () => {
    const umzug = migrator(stack.app.deps.sequelize);
    assert.equal((await umzug.pending()).length, 0);
    assert.ok((await umzug.executed()).length >= 5);
  });

  it("0005 keeps the event log and budgets of existing owners across down and up, and then ties them to their owner", async () => {
    const { deps } = stack.app;
    const { tenant } = await stack.linkedRepository();
    const [link] = await stack.app.deps.links.allForTenant(tenant.clientKey);
    for (let i = 0; i < 3; i++)
      await deps.events.record(link.id, tenant.clientKey, {
        at: i,
        kind: "status-sync",
        outcome: "done",
        summary: `event ${i}`,
        durationMs: i,
      });
    assert.equal(await deps.budget.take(tenant.clientKey), 0);

    const umzug = migrator(deps.sequelize);
    await umzug.down({ to: "0005-tenant-owned-rows" });
    // 0005 and every migration after it are undone.
    assert.equal((await umzug.pending()).map((m) => m.name)[0], "0005-tenant-owned-rows");
    // Without the owner rule, rows of owners that do not exist can be written (what an in-flight delivery did)…
    await deps.events.record("no-such-link", "no-such-tenant", {
      at: 9,
      kind: "status-sync",
      outcome: "done",
      summary: "orphan",
      durationMs: 0,
    });
    await umzug.up();

    // …and going up drops them, keeps the rest in order, and refuses new ones.
    assert.deepEqual(
      (await deps.events.forLink(link.id)).map((e) => e.summary),
      ["event 2", "event 1", "event 0"],
    );
    assert.equal(await count(stack, "link_events"), 3);
    assert.equal(await count(stack, "tenant_budgets"), 1);
    await deps.events.record("no-such-link", "no-such-tenant", {
      at: 10,
      kind: "status-sync",
      outcome: "done",
      summary: "orphan",
      durationMs: 0,
    });
    assert.equal(await count(stack, "link_events"), 3);
    // New rows still get fresh ids after the copied ones (PostgreSQL's sequence was not left behind).
    await deps.events.record(link.id, tenant.clientKey, {
      at: 11,
      kind: "status-sync",
      outcome: "done",
      summary: "event 3",
      durationMs: 0,
    });
    assert.equal((await deps.events.forLink(link.id))[0].summary, "event 3");
  });

  it("0006 carries delivery ids over scoped to their installation, and going down keeps one row per id", async () => {
    const { deps } = stack.app;
    const { tenant } = await stack.linkedRepository();
    const [link] = await deps.links.allForTenant(tenant.clientKey);
    const bitbucket = { source: "bitbucket", scope: tenant.clientKey, id: "9b1e0e57-0000-4000-8000-000000000001" };
    await deps.deliveries.record(bitbucket, tenant.clientKey);
    await deps.deliveries.record({ source: "gitlab", scope: link.id, id: "same-event" }, tenant.clientKey);
    await deps.deliveries.record({ source: "gitlab", scope: "another-link", id: "same-event" }, tenant.clientKey);

    const umzug = migrator(deps.sequelize);
    await umzug.down({ to: "0006-scoped-deliveries" });
    assert.equal(await count(stack, "deliveries"), 2, "the GitLab event's two rows fold into one");
    await umzug.up();

    assert.equal(await count(stack, "deliveries"), 2);
    // Intake's write is skipped for a delivery already taken in, and only for that one.
    const work = (delivery: typeof bitbucket) =>
      deps.outbox.enqueue({
        clientKey: tenant.clientKey,
        linkId: link.id,
        kind: "status-sync",
        dedupeKey: delivery.scope,
        payload: {},
        delivery,
      });
    assert.equal(await work(bitbucket), false, "a Bitbucket resend is still recognised");
    assert.equal(await work({ ...bitbucket, scope: "another-tenant" }), true);
  });

  it("0008 gives existing links the mirror mode, and goes down and up again", async () => {
    const { deps } = stack.app;
    const { tenant } = await stack.linkedRepository();
    const umzug = migrator(deps.sequelize);
    await umzug.down({ to: "0008-push-sync" });
    await umzug.up();
    const [link] = await deps.links.allForTenant(tenant.clientKey);
    assert.equal(link.sync, "mirror");
    assert.equal(link.lastSync, null);
    assert.equal(await count(stack, "pushed_refs"), 0);
  });
});
