import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonDepthExceeds } from "../../src/http/json-depth";

const bytes = (s: string) => Buffer.from(s, "utf8");

/** Nesting depth of a parsed JSON value, the way the scan counts it (each array or object is a level). */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v && typeof v === "object") return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

describe("JSON nesting depth, from the raw bytes", () => {
  it("allows exactly the limit and refuses one level more", () => {
    assert.equal(jsonDepthExceeds(bytes("[".repeat(64) + "]".repeat(64)), 64), false);
    assert.equal(jsonDepthExceeds(bytes("[".repeat(65) + "]".repeat(65)), 64), true);
    assert.equal(jsonDepthExceeds(bytes(`{"a":{"b":[{}]}}`), 3), true);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    assert.equal(jsonDepthExceeds(bytes(JSON.stringify({ s: "[[[[{{{{", t: 'a\\"[[[[' })), 1), false);
    assert.equal(jsonDepthExceeds(bytes(JSON.stringify(['"\\', ["[["]])), 1), true);
  });

  it("refuses a truncated hostile body without waiting for it to close", () => {
    assert.equal(jsonDepthExceeds(bytes("[".repeat(1_000_000)), 64), true);
  });

  it("agrees with the parsed depth for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 8 }), (value, max) => {
        const text = JSON.stringify(value);
        assert.equal(jsonDepthExceeds(bytes(text), max), depthOf(value) > max);
      }),
      { numRuns: 500 },
    );
  });
});
