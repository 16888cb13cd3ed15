import assert from "node:assert/strict";
import { backoffMs } from "../../src/outbox/backoff";
import { parseRetryAfter } from "../../src/errors";

describe("retry backoff", () => {
  it("doubles with each attempt, between half and all of the step", () => {
    assert.equal(
      backoffMs(1, undefined, () => 0),
      500,
    );
    assert.equal(
      backoffMs(1, undefined, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(4, undefined, () => 0),
      4000,
    );
    assert.equal(
      backoffMs(4, undefined, () => 1),
      8000,
    );
  });

  it("never waits more than 15 minutes however many attempts", () => {
    assert.equal(
      backoffMs(40, undefined, () => 1),
      15 * 60_000,
    );
  });

  it("never retries sooner than the peer's Retry-After", () => {
    assert.equal(
      backoffMs(1, 120_000, () => 1),
      120_000,
    );
  });
});

describe("Retry-After", () => {
  it("reads seconds", () => assert.equal(parseRetryAfter("30"), 30_000));
  it("reads an HTTP date", () =>
    assert.equal(parseRetryAfter("Wed, 25 Nov 2026 01:00:30 GMT", Date.parse("2026-11-25T01:00:00Z")), 30_000));
  it("ignores garbage and absence", () => {
    assert.equal(parseRetryAfter("soon"), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });
});
