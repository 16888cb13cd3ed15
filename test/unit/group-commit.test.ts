import assert from "node:assert/strict";
import { GroupCommit } from "../../src/db/group-commit";

/** A write that takes a while, so rows added meanwhile queue for the next one. */
function slowWrite(writes: number[][], refuse = new Set<number>()) {
  return async (rows: number[]) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (rows.some((r) => refuse.has(r))) throw new Error(`refused ${rows.filter((r) => refuse.has(r)).join(",")}`);
    writes.push(rows);
  };
}

describe("group commit", () => {
  it("writes rows added in one turn together, and rows added during a write in the next one", async () => {
    const writes: number[][] = [];
    const group = new GroupCommit(slowWrite(writes));
    const first = [group.add(1), group.add(2), group.add(3)];
    // The group starts its write on the next setImmediate; ours, queued after it, runs once it is under
    // way (a 1 ms timer could fire before that immediate on a busy machine, and CI saw all five in one write).
    await new Promise((resolve) => setImmediate(resolve));
    const second = [group.add(4), group.add(5)];
    await Promise.all([...first, ...second]);
    assert.deepEqual(writes, [
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it("settles a caller only once its own row is written", async () => {
    const writes: number[][] = [];
    const group = new GroupCommit(slowWrite(writes));
    let settled = false;
    const done = group.add(7).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false);
    assert.deepEqual(writes, []);
    await done;
    assert.deepEqual(writes, [[7]]);
  });

  it("writes a failed batch again row by row, so only the bad row's caller fails", async () => {
    const writes: number[][] = [];
    const group = new GroupCommit(slowWrite(writes, new Set([2])));
    const results = await Promise.allSettled([group.add(1), group.add(2), group.add(3)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.match(String((results[1] as PromiseRejectedResult).reason), /refused 2/);
    assert.deepEqual(writes, [[1], [3]]);
  });

  it("never writes more than maxRows in one statement", async () => {
    const writes: number[][] = [];
    const group = new GroupCommit(slowWrite(writes), { maxRows: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => group.add(n)));
    assert.deepEqual(writes, [[1, 2], [3, 4], [5]]);
  });

  it("gives each caller its own row's result", async () => {
    const group = new GroupCommit<number, string>(async (rows) => rows.map((r) => `row ${r}`));
    assert.deepEqual(await Promise.all([group.add(1), group.add(2), group.add(3)]), ["row 1", "row 2", "row 3"]);
  });

  it("with a key, never puts two rows of one key in one write, and keeps their order", async () => {
    const writes: number[][] = [];
    const group = new GroupCommit(slowWrite(writes), { keyOf: (n) => String(n % 2) });
    await Promise.all([1, 3, 2, 5, 4].map((n) => group.add(n)));
    assert.deepEqual(writes, [[1, 2], [3, 4], [5]]);
  });
});
