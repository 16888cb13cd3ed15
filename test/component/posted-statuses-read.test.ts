import assert from "node:assert/strict";
import { DirectSql } from "../../src/db/direct-sql";
import type { PostedStatus } from "../../src/db/posted-statuses";
import { Stack } from "../support/stack";

/**
 * Every status delivery reads what was posted on its commit. Deliveries running together read in one
 * statement (issue 16), and each still gets its own commit's rows: not another link's, not another sha's.
 */
describe("posted statuses read in groups", function () {
  this.timeout(30_000);
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("answers 24 concurrent reads, of two links and several commits, each with its own rows, in a few statements on SQLite", async () => {
    stack = await Stack.start({ worker: false });
    const { deps } = stack.app;
    const one = await stack.linkedRepository({ repoSlug: "one", projectPath: "acme/one" });
    const two = await stack.linkedRepository({ repoSlug: "two", projectPath: "acme/two" });
    const linkOf = async (r: typeof one) =>
      (await deps.links.allForTenant(r.tenant.clientKey)).find((l) => l.repoUuid === r.repo.uuid);
    const [a, b] = [await linkOf(one), await linkOf(two)];
    assert.notEqual(a!.id, b!.id);
    const sha = (n: number) => String(n).repeat(40).slice(0, 40);
    const status = (linkId: string, s: string, statusKey: string, pipelineId: number): PostedStatus => ({
      linkId,
      sha: s,
      statusKey,
      pipelineId,
      state: "SUCCESSFUL",
      fingerprint: `f${pipelineId}`,
      ref: "main",
      postedAt: 1_000 + pipelineId,
    });
    // The same sha on both links, and keys that repeat across commits: only (link, sha) tells them apart.
    const recorded = [
      status(a!.id, sha(1), "k1", 1),
      status(a!.id, sha(1), "k2", 2),
      status(a!.id, sha(2), "k1", 3),
      status(b!.id, sha(1), "k1", 4),
    ];
    await Promise.all(recorded.map((p) => deps.posted.record(p)));

    const asked = Array.from({ length: 24 }, (_, i) => [[a!.id, b!.id][i % 2]!, sha(1 + (i % 3))] as const);
    const sql = DirectSql.for(deps.sequelize);
    const before = sql.statements;
    const answers = await Promise.all(asked.map(([linkId, s]) => deps.posted.forCommit(linkId, s)));
    const statements = sql.statements - before;

    answers.forEach((got, i) => {
      const [linkId, s] = asked[i]!;
      const expected = recorded.filter((p) => p.linkId === linkId && p.sha === s).map((p) => [p.statusKey, p.pipelineId]);
      assert.deepEqual(
        [...got.values()].map((p) => [p.statusKey, p.pipelineId]).sort(),
        expected.sort(),
        `read ${i}: ${linkId} ${s}`,
      );
      for (const [key, p] of got) assert.equal(p.statusKey, key);
    });
    // SQLite only: PostgreSQL reads each on its own, side by side on its pool (posted-statuses.ts says why).
    if (deps.sequelize.getDialect() === "sqlite") assert.ok(statements <= 3, `${statements} statements for 24 reads`);

    // A read alone is one statement, with no wait for company.
    const alone = sql.statements;
    const own = await deps.posted.forCommit(a!.id, sha(2));
    assert.deepEqual([...own.keys()], ["k1"]);
    assert.equal(sql.statements - alone, 1);
  });
});
