import assert from "node:assert/strict";
import fc from "fast-check";
import { handedOverKey, MAX_KEY_LENGTH, statusKey } from "../../src/core/status-key";

describe("status keys", () => {
  it("are readable when they fit: project id, ref and job name", () => {
    assert.equal(statusKey({ projectId: 42, ref: "main" }), "gitlab:42:main");
    assert.equal(statusKey({ projectId: 42, ref: "main", job: "test" }), "gitlab:42:main:test");
  });

  const table = [
    { projectId: 1234567, ref: "feature/a-very-long-branch-name-for-the-new-login-flow" },
    { projectId: 9, ref: "main", job: "integration tests: postgres 16 with the extended fixture set" },
    { projectId: 2147483647, ref: "release/2026.11", job: "deploy to production (manual approval required)" },
    { projectId: 5, ref: "ünïcödé/分支/😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀" },
  ];
  for (const parts of table) {
    it(`never exceed 40 characters, keeping a readable prefix and a hash (${parts.ref.slice(0, 20)}…)`, () => {
      const key = statusKey(parts);
      assert.ok(key.length <= MAX_KEY_LENGTH, `${key} is ${key.length} long`);
      assert.match(key, /^gitlab:\d+:.*~[0-9a-f]{10}$/);
    });
  }

  it("are the same for every re-run of the same commit (no pipeline id in them)", () => {
    assert.equal(statusKey({ projectId: 3, ref: "main", job: "lint" }), statusKey({ projectId: 3, ref: "main", job: "lint" }));
  });

  it("differ for two long job names that share their first 40 characters", () => {
    const a = statusKey({ projectId: 3, ref: "main", job: "integration tests against the staging database, part one" });
    const b = statusKey({ projectId: 3, ref: "main", job: "integration tests against the staging database, part two" });
    assert.notEqual(a, b);
  });

  it("are at most 40 characters and distinct for distinct inputs, whatever the input", () => {
    const parts = fc.record({
      projectId: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      ref: fc.string({ minLength: 1, maxLength: 255, unit: "grapheme" }),
      job: fc.option(fc.string({ minLength: 1, maxLength: 255 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const ka = statusKey(a);
        assert.ok(ka.length <= MAX_KEY_LENGTH);
        const same = a.projectId === b.projectId && a.ref === b.ref && a.job === b.job;
        if (!same && !(a.job === undefined && b.job === undefined && a.projectId === b.projectId && a.ref === b.ref)) {
          assert.notEqual(ka, statusKey(b));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("hand a key over to a new identity under a key of its own: readable when it fits, distinct and at most 40 characters", () => {
    assert.equal(handedOverKey("gitlab:42:main"), "gitlab:42:main:handed-over");
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (key) => {
        const handed = handedOverKey(key);
        assert.ok(handed.length <= MAX_KEY_LENGTH);
        assert.notEqual(handed, key);
        assert.equal(handedOverKey(key), handed, "stable");
      }),
      { numRuns: 300 },
    );
  });
});
