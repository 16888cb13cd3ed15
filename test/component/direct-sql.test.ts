import assert from "node:assert/strict";
import { DirectSql } from "../../src/db/direct-sql";
import { Stack } from "../support/stack";

describe("the per-event statements on the driver (direct-sql)", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start({ worker: false })));
  afterEach(async () => stack.stop());

  it("keeps one statement per text: taking from a budget at many different times adds none", async () => {
    const { deps } = stack.app;
    const tenant = await stack.install();
    const direct = DirectSql.for(deps.sequelize);
    await deps.budget.take(tenant.clientKey, 1_000_000);
    const kept = direct.keptStatements;
    // On both stores: prepared statements on SQLite, rewritten texts on PostgreSQL.
    assert.ok(kept > 0, "no statement text is kept at all, so this measures nothing");
    for (let i = 1; i <= 50; i++) await deps.budget.take(tenant.clientKey, 1_000_000 + i * 7_919);
    assert.equal(direct.keptStatements, kept, "a statement text changed from call to call (a value spliced into the SQL)");
  });

  it("still runs texts past its cache, without keeping them", async () => {
    const direct = DirectSql.for(stack.app.deps.sequelize);
    for (let i = 0; i < 150; i++) {
      const [row] = await direct.query<{ n: number | string }>(`SELECT ? + ${i} AS n`, [1]);
      assert.equal(Number(row!.n), 1 + i);
    }
    assert.ok(direct.keptStatements > 0 && direct.keptStatements <= 100, `${direct.keptStatements} statements kept`);
  });
});
