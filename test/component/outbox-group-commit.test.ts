import assert from "node:assert/strict";
import { DirectSql } from "../../src/db/direct-sql";
import { Stack } from "../support/stack";

/**
 * Concurrent writes of new work (webhooks arriving together) go to the database in a few statements
 * (issue 16), and each caller still learns what became of its own row.
 */
describe("outbox writes in groups", function () {
  this.timeout(30_000);
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("writes 30 concurrent rows in a few statements (SQLite); a known delivery is skipped and a repeated key folds", async () => {
    stack = await Stack.start({ worker: false });
    const { deps } = stack.app;
    const { tenant } = await stack.linkedRepository();
    const [link] = await deps.links.allForTenant(tenant.clientKey);
    const known = { source: "gitlab", scope: link!.id, id: "seen-before" };
    await deps.deliveries.record(known, tenant.clientKey);
    const work = (n: number, delivery?: typeof known) =>
      deps.outbox.enqueue({
        clientKey: tenant.clientKey,
        linkId: link!.id,
        kind: "status-sync",
        // Rows 0 and 1 share a key: the second folds into the first's waiting row.
        dedupeKey: `key-${n === 1 ? 0 : n}`,
        payload: { n },
        delivery: delivery ?? { source: "gitlab", scope: link!.id, id: `event-${n}` },
      });

    const sql = DirectSql.for(deps.sequelize);
    const before = sql.statements;
    const written = await Promise.all([...Array.from({ length: 29 }, (_, n) => work(n)), work(29, known)]);
    const statements = sql.statements - before;

    assert.deepEqual(written, [...Array.from({ length: 29 }, () => true), false], "only the known delivery is skipped");
    // SQLite only: PostgreSQL writes them side by side, a statement each, on its pool (outbox.ts says why).
    if (deps.sequelize.getDialect() === "sqlite") assert.ok(statements <= 3, `${statements} statements for 30 rows`);
    const rows = await deps.sequelize.query<{ dedupe_key: string; payload: string }>(
      "SELECT dedupe_key, payload FROM outbox WHERE link_id = ? AND state = 'pending' AND dedupe_key LIKE 'key-%'",
      { replacements: [link!.id], type: "SELECT" as never },
    );
    assert.equal(rows.length, 28, "29 rows written, two of them under one key");
    const folded = rows.find((r) => r.dedupe_key === "key-0")!;
    // On SQLite the later row folds into the earlier; PostgreSQL writes them side by side, and either may land last.
    const sqlite = deps.sequelize.getDialect() === "sqlite";
    const expected = sqlite ? [1] : [0, 1];
    assert.ok(expected.includes(JSON.parse(folded.payload).n), `the folded row holds ${folded.payload}`);
  });
});
