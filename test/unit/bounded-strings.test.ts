import assert from "node:assert/strict";
import { boundedStrings } from "../../src/gitlab/bounded-strings";

describe("strings from GitLab are bounded", () => {
  it("cuts long strings at any depth, marks the cut, and keeps everything else", () => {
    const answer = JSON.parse(
      JSON.stringify({
        id: 7,
        name: "x".repeat(20),
        ok: true,
        none: null,
        jobs: [{ web_url: "y".repeat(11), tags: ["z".repeat(3)] }],
      }),
    ) as unknown;
    const out = boundedStrings(answer, 10);
    assert.equal(out, answer, "cut in place: a fresh answer is not copied");
    assert.deepEqual(out, {
      id: 7,
      name: `${"x".repeat(9)}…`,
      ok: true,
      none: null,
      jobs: [{ web_url: `${"y".repeat(9)}…`, tags: ["zzz"] }],
    });
  });

  it("a string of exactly the limit is kept whole; a lone long string is cut", () => {
    assert.equal(boundedStrings("a".repeat(10), 10), "a".repeat(10));
    assert.equal(boundedStrings("a".repeat(11), 10), `${"a".repeat(9)}…`);
  });

  it("a key named __proto__ in an answer stays an own field and is bounded like any other", () => {
    const answer = JSON.parse(`{"__proto__": "${"p".repeat(20)}", "a": 1}`) as Record<string, unknown>;
    const out = boundedStrings(answer, 10);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, `${"p".repeat(9)}…`);
  });
});
