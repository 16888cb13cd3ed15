import assert from "node:assert/strict";
import { fairPick as pick, type Candidate } from "../../src/outbox/fair-pick";

/** The ids a claim takes when every link gave all its due rows. */
const fairPick = (...args: Parameters<typeof pick>) => pick(...args).ids;

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

  it("reading one row per link is enough when every installation's first row fills the claim", () => {
    const rows = [...lane("a", "a1", 1, 1), ...lane("b", "b1", 1, 10), ...lane("c", "c1", 1, 20)];
    assert.deepEqual(pick(rows, new Map(), 4, 2, 1), { ids: [1, 10], exact: true });
  });

  it("asks for more rows per link when a link cut short may hold a row the claim would take", () => {
    // One busy link: its second row would take the claim's second slot.
    assert.equal(pick(lane("a", "a1", 1, 1), new Map(), 4, 2, 1).exact, false);
    // Two links, but the claim has more slots than they gave.
    assert.equal(pick([...lane("a", "a1", 1, 1), ...lane("b", "b1", 1, 10)], new Map(), 4, 3, 1).exact, false);
    // A link that gave fewer rows than asked has no more: nothing is missing.
    assert.equal(pick([...lane("a", "a1", 1, 1), ...lane("b", "b1", 1, 10)], new Map(), 4, 3, 2).exact, true);
    // Its installation at its cap: its rows not read could not be taken anyway.
    assert.equal(pick(lane("a", "a1", 1, 1), new Map([["a", 3]]), 4, 2, 1).exact, true);
    // Rows of no link are one line for every installation: cut short, any installation could be missing one.
    assert.equal(pick([...lane("a", null, 1, 1), ...lane("b", "b1", 1, 10)], new Map(), 4, 1, 1).exact, false);
  });

  it("a pick from one row per link that it calls exact is the pick from every row", () => {
    // Random queues: the pick from each link's oldest row, when exact, equals the pick from all rows.
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let checked = 0;
    for (let round = 0; round < 500; round++) {
      const all: Candidate[] = [];
      for (let l = 0; l < 1 + random(6); l++) {
        const links = lane(`t${random(4)}`, random(8) === 0 ? null : `l${l}`, 1 + random(4), 100 * l, random(50));
        all.push(...links.map((c) => ({ ...c, runAt: c.runAt + random(50) })));
      }
      const running = new Map([[`t${random(4)}`, random(5)]]);
      const k = 1 + random(4);
      const limit = 1 + random(8);
      const full = pick(all, running, k, limit).ids;
      for (const perLink of [1, 2]) {
        const lanes = new Map<string | null, Candidate[]>();
        for (const c of all) lanes.set(c.linkId, [...(lanes.get(c.linkId) ?? []), c]);
        const read = [...lanes.values()].flatMap((l) => l.sort((a, b) => a.runAt - b.runAt || a.id - b.id).slice(0, perLink));
        const partial = pick(read, running, k, limit, perLink);
        if (!partial.exact) continue;
        checked++;
        assert.deepEqual(partial.ids, full, `round ${round}, ${perLink} per link`);
      }
    }
    assert.ok(checked > 100, `only ${checked} exact picks checked`);
  });
});
