import assert from "node:assert/strict";
import type { Links } from "../../src/db/links";
import { LinkCache } from "../../src/links/link-cache";
import { Stack } from "../support/stack";

/**
 * The link cache every GitLab hook and status delivery reads through (issue 16): a link in use is read
 * again before its entry ends, so no hook waits for the database, and no entry outlives its 10 seconds.
 * Runs on the stack's real Links; the test only counts (and can hold) the reads, and sets the clock.
 */
describe("link cache: read ahead, never stale", function () {
  this.timeout(30_000);
  let stack: Stack;
  afterEach(async () => stack?.stop());

  async function setUp() {
    stack = await Stack.start({ worker: false });
    const { tenant, repo } = await stack.linkedRepository();
    const link = (await stack.app.deps.links.allForTenant(tenant.clientKey)).find((l) => l.repoUuid === repo.uuid)!;
    const real = stack.app.deps.links;
    let reads = 0;
    let hold: Promise<void> | null = null;
    const counted = Object.create(real) as Links;
    counted.byId = async (id: string) => {
      reads++;
      if (hold) await hold;
      return real.byId(id);
    };
    let clock = 1_000_000;
    const cache = new LinkCache(counted, () => clock);
    return {
      link,
      real,
      cache,
      reads: () => reads,
      holdReads: () => {
        let release!: () => void;
        hold = new Promise((r) => (release = r));
        return () => {
          hold = null;
          release();
        };
      },
      tick: (ms: number) => (clock += ms),
    };
  }

  it("serves an entry without reading, then reads a link in use again before its entry ends, once, without making anyone wait", async () => {
    const t = await setUp();
    assert.equal((await t.cache.get(t.link.id))!.id, t.link.id);
    assert.equal(t.reads(), 1);
    t.tick(5_000);
    await t.cache.get(t.link.id);
    assert.equal(t.reads(), 1, "within its first seconds the entry is used as it is");

    // In its last seconds (the entry lives 8 to 10 s): served at once, while one read runs behind.
    await t.real.setRepoFullName(t.link.id, "acme/renamed");
    t.tick(2_500);
    const release = t.holdReads();
    const served = await Promise.all([t.cache.get(t.link.id), t.cache.get(t.link.id), t.cache.get(t.link.id)]);
    assert.ok(
      served.every((l) => l!.repoFullName !== "acme/renamed"),
      "the entry is served while its read is held",
    );
    assert.equal(t.reads(), 2, "one read in the background for three hooks");
    release();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 50));

    // Past the first entry's end: the read ahead's entry serves, with the change, and nothing waits.
    t.tick(3_000);
    assert.equal((await t.cache.get(t.link.id))!.repoFullName, "acme/renamed");
    assert.equal(t.reads(), 2);
  });

  it("never serves an entry past its end: a link not used in its last seconds is read while the hook waits", async () => {
    const t = await setUp();
    await t.cache.get(t.link.id);
    await t.real.setRepoFullName(t.link.id, "acme/renamed");
    t.tick(10_001);
    assert.equal((await t.cache.get(t.link.id))!.repoFullName, "acme/renamed");
    assert.equal(t.reads(), 2);
  });

  it("forget drops a read under way: what it read before the change is not kept", async () => {
    const t = await setUp();
    await t.cache.get(t.link.id);
    t.tick(7_500);
    const release = t.holdReads();
    await t.cache.get(t.link.id); // starts the read ahead, held
    assert.equal(t.reads(), 2);
    // The read ahead has begun; the link changes on this instance, which forgets its entry.
    t.cache.forget(t.link.id);
    await t.real.setRepoFullName(t.link.id, "acme/renamed");
    release();
    await new Promise((r) => setTimeout(r, 50));
    // The held read finishes with whatever it read; the cache must not keep it, but read afresh.
    assert.equal((await t.cache.get(t.link.id))!.repoFullName, "acme/renamed");
    assert.equal(t.reads(), 3);
  });
});
