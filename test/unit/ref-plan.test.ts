import assert from "node:assert/strict";
import fc from "fast-check";
import { planRefSync } from "../../src/core/ref-plan";

const A = "a".repeat(40);
const B = "b".repeat(40);

describe("planning a ref sync", () => {
  it("creates refs GitLab lacks and moves refs that point elsewhere", () => {
    const plan = planRefSync(
      new Map([
        ["refs/heads/main", B],
        ["refs/tags/v1", A],
      ]),
      new Map([["refs/heads/main", A]]),
      new Set(),
    );
    assert.deepEqual(plan.updates, [
      { ref: "refs/heads/main", sha: B, kind: "update" },
      { ref: "refs/tags/v1", sha: A, kind: "create" },
    ]);
    assert.deepEqual(plan.deletions, []);
  });

  it("deletes only refs the app pushed before, never GitLab's own nor the reserved bitbucket/ ones", () => {
    const target = new Map([
      ["refs/heads/gone", A],
      ["refs/heads/made-in-gitlab", A],
      ["refs/heads/bitbucket/pr-1", A],
    ]);
    const plan = planRefSync(new Map(), target, new Set(["refs/heads/gone", "refs/heads/bitbucket/pr-1"]));
    assert.deepEqual(plan.deletions, ["refs/heads/gone"]);
  });

  it("after applying any plan, GitLab's synced refs equal Bitbucket's", () => {
    const refs = fc.dictionary(
      fc.constantFrom("refs/heads/main", "refs/heads/x", "refs/tags/v1", "refs/heads/bitbucket/pr"),
      fc.constantFrom(A, B),
    );
    fc.assert(
      fc.property(refs, refs, (source, target) => {
        const src = new Map(Object.entries(source));
        const tgt = new Map(Object.entries(target));
        const plan = planRefSync(src, tgt, new Set(tgt.keys()));
        for (const u of plan.updates) tgt.set(u.ref, u.sha);
        for (const d of plan.deletions) tgt.delete(d);
        for (const [ref, sha] of src) if (!ref.includes("bitbucket/")) assert.equal(tgt.get(ref), sha);
        for (const ref of tgt.keys()) if (!ref.includes("bitbucket/")) assert.ok(src.has(ref));
      }),
    );
  });
});
