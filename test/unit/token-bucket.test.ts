import assert from "node:assert/strict";
import { TokenBucket } from "../../src/core/token-bucket";

describe("a token bucket", () => {
  it("allows a burst at once, then one call per refill interval", () => {
    const bucket = new TokenBucket(1 / 100, 3, 0); // one token every 100 ms, three at most
    assert.deepEqual([bucket.take(1, 0), bucket.take(1, 0), bucket.take(1, 0)], [0, 0, 0]);
    assert.equal(bucket.take(1, 0), 100);
    assert.equal(bucket.take(1, 50), 50);
    assert.equal(bucket.take(1, 100), 0);
  });

  it("takes several tokens only when all are there, and says how long until they are", () => {
    const bucket = new TokenBucket(1 / 100, 3, 0);
    assert.equal(bucket.take(2, 0), 0);
    assert.equal(bucket.take(2, 0), 100);
    assert.equal(bucket.take(2, 100), 0);
  });

  it("never holds more than its burst, however long it was idle", () => {
    const bucket = new TokenBucket(1 / 100, 2, 0);
    assert.equal(bucket.take(2, 10_000), 0);
    assert.equal(bucket.take(1, 10_000), 100);
  });
});
