import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GitCache } from "../../src/git/git-cache";
import { scrubSecrets } from "../../src/git/scrub-secrets";

describe("the git cache and git's messages", () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(tmpdir(), "git-cache-"))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("over budget, removes the least recently used caches first and keeps the one just used", async () => {
    const cache = new GitCache(root, 200_000, 30_000);
    const dirs: string[] = [];
    for (const [i, key] of ["old", "newer", "current"].entries()) {
      const dir = await cache.open(key);
      writeFileSync(path.join(dir, "objects", "pack-data"), Buffer.alloc(60_000));
      const at = new Date(Date.now() - (3 - i) * 60_000);
      utimesSync(dir, at, at);
      dirs.push(dir);
    }
    cache.trim("current");
    assert.deepEqual(
      dirs.map((d) => existsSync(d)),
      [false, true, true],
    );
  });

  it("never removes a cache used within the git timeout: on a shared volume another instance may be syncing into it", async () => {
    const cache = new GitCache(root, 100_000, 60_000);
    const busy = await cache.open("busy-elsewhere");
    writeFileSync(path.join(busy, "objects", "pack-data"), Buffer.alloc(60_000));
    const at = new Date(Date.now() - 10_000); // opened by another instance 10 s ago, before ours
    utimesSync(busy, at, at);
    const mine = await cache.open("mine");
    writeFileSync(path.join(mine, "objects", "pack-data"), Buffer.alloc(60_000));
    assert.deepEqual(cache.trim("mine"), []);
    assert.ok(existsSync(busy));
  });

  it("takes tokens out of git's messages: known secrets, Authorization headers, URL credentials, GitLab tokens", () => {
    const text = [
      "fatal: unable to access 'https://x-token-auth:s3cr3t-value@bitbucket.org/a/b.git/'",
      "> Authorization: Basic eC10b2tlbi1hdXRoOnNlY3JldA==",
      "remote: glpat-abcdefghijklmnop1234 is invalid",
      "the token is known-secret-1",
    ].join("\n");
    const clean = scrubSecrets(text, ["known-secret-1"]);
    for (const leaked of ["s3cr3t-value", "eC10b2tlbi1hdXRoOnNlY3JldA==", "glpat-abcdefghijklmnop1234", "known-secret-1"]) {
      assert.ok(!clean.includes(leaked), leaked);
    }
    assert.match(clean, /bitbucket\.org\/a\/b\.git/);
  });
});
