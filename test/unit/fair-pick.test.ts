import assert from "node:assert/strict";
import { fairPick, type Candidate } from "../../src/outbox/fair-pick";

/** `n` due rows of one link, oldest first, ids from `firstId`. */
const lane = (clientKey: string, linkId: string | null, n: number, firstId: number, runAt = 1000): Candidate[] =>
  Array.from({ length: n }, (_, i) => ({ id: firstId + i, clientKey, linkId, runAt: runAt + i }));

describe("fair pick of the rows a claim takes", () => {
  it("a flooded installation takes no more than its cap, and another installation's row is taken beside it", () => {
    const noisy = lane("noisy", "n1", 4, 1, 1000);
    const quiet = lane("quiet", "q1", 1, 100, 5000);
    const ids = fairPick([...noisy, ...quiet], new Map(), 2, 16);
    assert.deepEqual(ids, [1, 100, 2]);
  });

  it("counts the rows an installation already has running against its cap", () => {
    const ids = fairPick([...lane("noisy", "n1", 4, 1), ...lane("quiet", "q1", 2, 100)], new Map([["noisy", 2]]), 2, 16);
    assert.deepEqual(ids, [100, 101]);
  });

  it("hands out the slots round-robin: every installation's first row before any second row, oldest first", () => {
    const a = lane("a", "a1", 3, 1, 1000);
    const b = lane("b", "b1", 3, 10, 2000);
    assert.deepEqual(fairPick([...b, ...a], new Map(), 4, 4), [1, 10, 2, 11]);
  });

  it("shares an installation's turns between its links, each link's oldest row first", () => {
    const one = lane("a", "a1", 3, 1, 1000);
    const two = lane("a", "a2", 3, 10, 9000);
    assert.deepEqual(fairPick([...one, ...two], new Map(), 4, 16), [1, 10, 2, 11]);
  });

  it("rows of no link form one line of their own", () => {
    assert.deepEqual(fairPick(lane("a", null, 3, 1), new Map(), 2, 16), [1, 2]);
  });

  it("takes no more than asked, and nothing when every installation is at its cap", () => {
    assert.deepEqual(fairPick(lane("a", "a1", 4, 1), new Map(), 4, 1), [1]);
    assert.deepEqual(fairPick(lane("a", "a1", 4, 1), new Map([["a", 4]]), 4, 16), []);
    assert.deepEqual(fairPick([], new Map(), 4, 16), []);
  });
});
