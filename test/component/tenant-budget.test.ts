import assert from "node:assert/strict";
import { DirectSql } from "../../src/db/direct-sql";
import { PeerFailure, WorkDeferred } from "../../src/errors";
import { TenantBudget } from "../../src/outbox/tenant-budget";
import { Stack } from "../support/stack";

// One call an hour: refill adds nothing a test could see, so the table's count is the calls taken.
const SLOW = { perHour: 1, pauseAfter429Ms: 60_000 };

describe("the Bitbucket rate budget takes calls ahead for a fast installation", () => {
  let stack: Stack;
  let clientKey: string;
  let direct: DirectSql;
  beforeEach(async () => {
    stack = await Stack.start({ worker: false });
    clientKey = (await stack.install()).clientKey;
    direct = DirectSql.for(stack.app.deps.sequelize);
  });
  afterEach(async () => stack.stop());

  const tokensInTable = async () => {
    const [row] = await direct.query<{ tokens: number | string }>("SELECT tokens FROM tenant_budgets WHERE client_key = ?", [
      clientKey,
    ]);
    return Number(row!.tokens);
  };
  const call = () => Promise.resolve("posted");

  it("spends 40 calls in a row with a statement for a few of them, and the table counts every call taken", async () => {
    const budget = new TenantBudget(direct, { ...SLOW, burst: 100 });
    const before = direct.statements;
    for (let i = 0; i < 40; i++) assert.equal(await budget.spend(clientKey, call), "posted");
    const statements = direct.statements - before;
    // Takes of 1, 2, 4, then 8 at a time: 40 calls in 8 takes (one statement each, none refused).
    assert.ok(statements <= 10, `${statements} statements for 40 calls`);
    const tokens = await tokensInTable();
    // Taken ahead and not spent yet: fewer than a reserve (8).
    assert.ok(tokens <= 60 && tokens > 60 - 8, `${tokens} calls left of 100 after 40 spent`);
  });

  it("gives calls taken and not spent back with the installation's next take, once their second is over", async () => {
    const budget = new TenantBudget(direct, { ...SLOW, burst: 100 });
    for (let i = 0; i < 4; i++) await budget.spend(clientKey, call); // takes 1, then 2, then 4: 3 left here
    assert.equal(Math.round(await tokensInTable()), 100 - 7);
    await new Promise((r) => setTimeout(r, 1_100));
    await budget.spend(clientKey, call);
    assert.equal(
      Math.round(await tokensInTable()),
      100 - 5 - 1,
      "the 3 unspent calls did not go back (the figure counts the new take of 2)",
    );
  });

  it("never lets two instances together spend more than the burst", async () => {
    const a = new TenantBudget(direct, { ...SLOW, burst: 12 });
    const b = new TenantBudget(direct, { ...SLOW, burst: 12 });
    let spent = 0;
    const tryCall = async (budget: TenantBudget) => {
      try {
        await budget.spend(clientKey, call);
        spent++;
      } catch (e) {
        assert.ok(e instanceof WorkDeferred, String(e));
      }
    };
    for (let i = 0; i < 20; i++) await Promise.all([tryCall(a), tryCall(b), tryCall(a)]);
    assert.equal(spent, 12);
    assert.ok((await tokensInTable()) >= 0);
  });

  it("takes no calls ahead when the budget runs low, so the last calls stay any instance's", async () => {
    const a = new TenantBudget(direct, { ...SLOW, burst: 16 });
    const b = new TenantBudget(direct, { ...SLOW, burst: 16 });
    for (let i = 0; i < 3; i++) await a.spend(clientKey, call); // takes 1, then 2 (spent by the third call)
    // Other instances spent the rest but 2: a's next take wants 4, finds too few, and takes just one.
    await direct.query("UPDATE tenant_budgets SET tokens = 2 WHERE client_key = ?", [clientKey]);
    await a.spend(clientKey, call);
    assert.equal(Math.round(await tokensInTable()), 1);
    assert.equal(await b.spend(clientKey, call), "posted", "the last call was held in another instance's reserve");
  });

  it("holds at most 7 calls ahead however many deliveries take at once", async () => {
    const budget = new TenantBudget(direct, { ...SLOW, burst: 100 });
    await budget.spend(clientKey, call);
    // 24 at once, the last reserve spent within its second: each would double the next take on its own.
    await Promise.all(Array.from({ length: 24 }, () => budget.spend(clientKey, call)));
    const aheadHere = 100 - Math.round(await tokensInTable()) - 25;
    assert.ok(aheadHere >= 0 && aheadHere <= 7, `${aheadHere} calls taken ahead`);
  });

  it("never takes more than a quarter of the burst ahead", async () => {
    const budget = new TenantBudget(direct, { ...SLOW, burst: 7 });
    // A quarter of 7 is one call: each takes its own. Takes of 1, 2 and 4 would have emptied the bucket.
    for (let i = 0; i < 4; i++) await budget.spend(clientKey, call);
    assert.equal(Math.round(await tokensInTable()), 3, "one instance took the whole bucket");
  });

  it("keeps calls taken ahead through a pause: not spent during it, given back after it", async () => {
    const budget = new TenantBudget(direct, { ...SLOW, burst: 100 });
    for (let i = 0; i < 4; i++) await budget.spend(clientKey, call); // takes 1, 2, then 4: 3 left here
    assert.equal(Math.round(await tokensInTable()), 93);
    await budget.pause(clientKey, Date.now() + 300);
    await assert.rejects(budget.spend(clientKey, call), (e) => e instanceof WorkDeferred, "a reserved call went out in a pause");
    await new Promise((r) => setTimeout(r, 350));
    // Gives the 3 back and takes 1 (the refused take in the pause had already started again from one).
    await budget.spend(clientKey, call);
    assert.equal(Math.round(await tokensInTable()), 95, "the calls taken ahead were lost in the pause");
  });

  it("keeps the calls of a take under way when a pause is set unspendable too", async () => {
    const budget = new TenantBudget(direct, { ...SLOW, burst: 100 });
    await budget.spend(clientKey, call); // takes 1
    const underWay = budget.spend(clientKey, call); // takes 2: one for itself, one ahead
    await budget.pause(clientKey, Date.now() + 300); // set before that take's answer is read
    assert.equal(await underWay, "posted");
    await assert.rejects(budget.spend(clientKey, call), (e) => e instanceof WorkDeferred, "a reserved call went out in a pause");
  });

  it("drops the reserve when Bitbucket answers 429: the next call waits for the pause", async () => {
    const budget = new TenantBudget(direct, { ...SLOW, burst: 100 });
    for (let i = 0; i < 3; i++) await budget.spend(clientKey, call); // takes 1, then 2: all spent
    // The failing call takes 4: three are left in the reserve when Bitbucket answers 429.
    const tooMany = new PeerFailure({ peer: "bitbucket", message: "429", transient: true, status: 429, retryAfterMs: 30_000 });
    await assert.rejects(
      budget.spend(clientKey, () => Promise.reject(tooMany)),
      (e) => e === tooMany,
    );
    await assert.rejects(budget.spend(clientKey, call), (e) => e instanceof WorkDeferred && e.waitMs > 20_000);
  });
});
