import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { QueryTypes, Sequelize } from "sequelize";
import { DirectSql } from "../../src/db/direct-sql";
import { Outbox } from "../../src/outbox/outbox";
import { BitbucketSim } from "../../sim/bitbucket-sim";
import { GitLabSim } from "../../sim/gitlab-sim";
import { AppProcess, freePort } from "../support/app-process";
import { eventually, Stack } from "../support/stack";
import { freshDatabaseUrl } from "../support/test-database";

const run = promisify(execFile);
const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";

describe("warm git caches: a link's git work prefers the instance that holds its cache", function () {
  this.timeout(60_000);
  let stack: Stack;
  // No worker of the stack's own: the two outboxes below are the only instances claiming.
  beforeEach(async () => (stack = await Stack.start({ worker: false })));
  afterEach(async () => stack.stop());

  const outboxOf = (instanceId: string, o: { headStartMs?: number; liveMs?: number } = {}) =>
    new Outbox(DirectSql.for(stack.app.deps.sequelize), 30_000, [], 4, {
      instanceId,
      kinds: ["push-refs"],
      headStartMs: o.headStartMs ?? 60_000,
      liveMs: o.liveMs ?? 60_000,
    });
  const queue = (outbox: Outbox, kind: string, linkId = "link-1") =>
    outbox.enqueue({ clientKey: "tenant-1", linkId, kind, dedupeKey: `${kind}:${linkId}`, payload: {} });
  const claimed = async (outbox: Outbox) => {
    const items = await outbox.claim(4);
    for (const item of items) await outbox.complete(item.id);
    return items.map((i) => i.kind);
  };

  it("the holder gets it while alive, other kinds and other links are anyone's, and a holder that left is passed over", async () => {
    const a = outboxOf(A);
    const b = outboxOf(B);
    await a.heartbeat();
    await b.heartbeat();
    await a.holdCache("link-1");

    await queue(b, "push-refs");
    assert.deepEqual(await claimed(b), [], "B leaves the sync of A's link to A");
    assert.deepEqual(await claimed(a), ["push-refs"]);

    await queue(b, "status-sync");
    await queue(b, "push-refs", "link-2");
    assert.deepEqual(
      (await claimed(b)).sort(),
      ["push-refs", "status-sync"],
      "work that needs no cache, and a link no one holds",
    );

    await queue(b, "push-refs");
    assert.deepEqual(await claimed(b), []);
    await a.leave();
    assert.deepEqual(await claimed(b), ["push-refs"], "A stopped: B takes it at once");
  });

  it("another instance takes it after the head start, or at once when the holder's heartbeat is stale", async () => {
    const a = outboxOf(A, { headStartMs: 300, liveMs: 60_000 });
    const b = outboxOf(B, { headStartMs: 300, liveMs: 60_000 });
    await a.heartbeat();
    await a.holdCache("link-1");
    await queue(b, "push-refs");
    assert.deepEqual(await claimed(b), []);
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(await claimed(b), ["push-refs"], "the holder had its head start");

    const c = outboxOf(B, { headStartMs: 60_000, liveMs: 1_000 });
    await a.heartbeat(Date.now() - 5_000); // A's last beat: 5 s ago, past the 1 s liveness
    await queue(c, "push-refs");
    assert.deepEqual(await claimed(c), ["push-refs"], "a silent holder is gone");
  });
});

// Several instances on one database is the PostgreSQL deployment; SQLite serves one instance only.
const skipped = process.env.TEST_DATABASE_URL
  ? null
  : "skipped: needs TEST_DATABASE_URL=postgres://…, since SQLite serves one instance; .ci/run's PostgreSQL pass runs it";

describe("warm git caches across two app processes on one PostgreSQL database", function () {
  this.timeout(240_000);
  let bitbucket: BitbucketSim;
  let gitlab: GitLabSim;
  let db: { url: string; drop: () => Promise<void> };
  let dirs: string[] = [];
  const apps: AppProcess[] = [];

  beforeEach(async () => {
    bitbucket = await BitbucketSim.start();
    gitlab = await GitLabSim.start();
    db = await freshDatabaseUrl("");
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.kill()));
    await Promise.all([bitbucket?.close(), gitlab?.close()]);
    await db?.drop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const test = skipped ? it.skip : it;
  const title = "the instance holding a link's cache runs its syncs while both are free; when it dies the other takes over";
  test(skipped ? `${title} (${skipped})` : title, async () => {
    const shared = {
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      OUTBOX_POLL_MS: "200",
      // Long enough that only the holder's death, not the head start, can hand a sync to the other.
      GIT_CACHE_HEAD_START_MS: "60000",
      BITBUCKET_CALLS_PER_HOUR: "100000000",
    };
    const instance = (name: string) => {
      const dir = mkdtempSync(path.join(tmpdir(), `affinity-${name}-`));
      dirs.push(dir);
      return { DATA_DIR: dir, GIT_CACHE_DIR: path.join(dir, "git-cache") };
    };
    const envA = { ...shared, ...instance("a") };
    const envB = { ...shared, ...instance("b") };
    const a = await AppProcess.start(envA, await freePort());
    apps.push(a);

    // A push-sync link, synced once by A alone: A holds its cache.
    const { tenant, status } = await bitbucket.install(a.url);
    assert.equal(status, 204);
    const repo = bitbucket.addRepository(tenant, "widgets");
    const bitbucketGit = await bitbucket.git(repo);
    await bitbucketGit.commit({ branch: "main" });
    const user = gitlab.addUser("ci-bot");
    const token = gitlab.addToken(user, { scopes: ["api", "write_repository"] });
    const project = gitlab.addProject("acme/widgets", { premium: false });
    gitlab.addMember(project, user, 40);
    const gitlabGit = await gitlab.git(project);
    const page = await (await fetch(bitbucket.pageUrl(tenant, repo))).text();
    const settingsToken = /<meta name="token" content="([^"]+)"/.exec(page)![1]!;
    const linked = await fetch(`${a.url}/api/repositories/${encodeURIComponent(repo.uuid)}/link`, {
      method: "PUT",
      headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        gitlabUrl: gitlab.url,
        project: project.pathWithNamespace,
        token,
        statusMode: "pipeline",
        sync: "push",
      }),
    });
    assert.equal(linked.status, 200);
    const syncVia = async (app: AppProcess) => {
      const res = await fetch(`${app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/sync`, {
        method: "POST",
        headers: { Authorization: `JWT ${settingsToken}` },
      });
      assert.equal(res.status, 202);
    };
    const inGitLab = (sha: string) => eventually(async () => (await gitlabGit.refs()).get("refs/heads/main") === sha, 60_000, 50);
    const caches = (env: { GIT_CACHE_DIR: string }) =>
      existsSync(env.GIT_CACHE_DIR) ? readdirSync(env.GIT_CACHE_DIR).filter((e) => e.endsWith(".git")) : [];
    const cacheHas = async (env: { GIT_CACHE_DIR: string }, sha: string) => {
      const [cache] = caches(env);
      if (!cache) return false;
      return run("git", ["-C", path.join(env.GIT_CACHE_DIR, cache), "cat-file", "-e", `${sha}^{commit}`]).then(
        () => true,
        () => false,
      );
    };
    await syncVia(a);
    await inGitLab((await bitbucketGit.resolve("refs/heads/main"))!);

    // B joins; "Sync now" (or a push) reaches B, which wakes at once, while A only polls every 200 ms.
    const b = await AppProcess.start(envB, await freePort());
    apps.push(b);
    for (let i = 0; i < 3; i++) {
      const sha = await bitbucketGit.commit({ branch: "main", message: `while both are free ${i}` });
      await syncVia(b);
      await inGitLab(sha);
      assert.ok(await cacheHas(envA, sha), `sync ${i} ran on A, the cache's holder`);
      assert.deepEqual(caches(envB), [], `B made no cache of its own (sync ${i})`);
    }

    // A dies without a word once its last sync is done (a sync it died in would wait for its lease): its
    // heartbeat stops, and B takes the link's next sync well before the head start.
    const sequelize = new Sequelize(db.url, { logging: false });
    try {
      const busy = () => sequelize.query("SELECT id FROM outbox WHERE kind = 'push-refs'", { type: QueryTypes.SELECT });
      await eventually(async () => (await busy()).length === 0, 30_000, 50);
    } finally {
      await sequelize.close();
    }
    await a.kill();
    const sha = await bitbucketGit.commit({ branch: "main", message: "after A died" });
    const started = Date.now();
    await syncVia(b);
    await inGitLab(sha);
    assert.ok(Date.now() - started < 30_000, `B took over in ${Date.now() - started} ms`);
    assert.ok(await cacheHas(envB, sha), "B ran it, with a cold cache of its own");
  });
});
