import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { QueryTypes, Sequelize } from "sequelize";
import { bitbucketState } from "../../src/core/status-state";
import { AppProcess, freePort } from "../support/app-process";
import { installAndLink } from "../support/link-over-http";
import { BitbucketSim } from "../../sim/bitbucket-sim";
import { GitLabSim, type GitLabStatus } from "../../sim/gitlab-sim";
import { eventually } from "../support/stack";
import { freshDatabaseUrl } from "../support/test-database";

const COMMITS = Number(process.env.MULTI_COMMITS ?? 250);
const EVENTS_PER_COMMIT = 8;

// Several instances on one database is the PostgreSQL deployment; SQLite serves one instance only. The
// reason is in the test's name when it is skipped, so a pending line in the output says why.
const skipped = process.env.TEST_DATABASE_URL
  ? null
  : "skipped: needs TEST_DATABASE_URL=postgres://…, since SQLite serves one instance; .ci/run's PostgreSQL pass runs it";

describe("two app processes on one PostgreSQL database", function () {
  this.timeout(300_000);
  let bitbucket: BitbucketSim;
  let gitlab: GitLabSim;
  let db: { url: string; drop: () => Promise<void> };
  const apps: AppProcess[] = [];

  beforeEach(async () => {
    bitbucket = await BitbucketSim.start();
    gitlab = await GitLabSim.start({ pullMirrorIntervalSeconds: 0 });
    db = await freshDatabaseUrl("");
  });
  afterEach(async () => {
    await Promise.all(apps.map((a) => a.kill()));
    await Promise.all([bitbucket?.close(), gitlab?.close()]);
    await db?.drop();
  });

  const test = skipped ? it.skip : it;
  const title = `process ${COMMITS * EVENTS_PER_COMMIT} events once each, survive one being killed, and end with exactly the right statuses`;
  test(skipped ? `${title} (${skipped})` : title, async () => {
    const env = {
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      OUTBOX_LEASE_MS: "2000",
      OUTBOX_POLL_MS: "200",
      BITBUCKET_CALLS_PER_HOUR: "100000000",
    };
    // Both start at once: the migration lock lets one migrate while the other waits.
    const [a, b] = await Promise.all([AppProcess.start(env, await freePort()), AppProcess.start(env, await freePort())]);
    apps.push(a!, b!);

    const { project } = await installAndLink(a!.url, bitbucket, gitlab);
    const hook = gitlab.hooks(project)[0]!;
    const hookPath = new URL(hook.url).pathname;

    // Each commit's pipeline goes through GitLab's states; its hooks arrive shuffled, some twice, at
    // either instance (a load balancer), while GitLab already holds the final state.
    const finals: GitLabStatus[] = ["success", "failed", "canceled", "running"];
    const commits = Array.from({ length: COMMITS }, (_, i) => ({
      sha: randomBytes(20).toString("hex"),
      final: finals[i % finals.length]!,
    }));
    type Event = { payload: unknown; key: string };
    const events: Event[] = [];
    for (const c of commits) {
      const p = gitlab.createPipeline(project, { sha: c.sha, ref: "main" });
      const snapshots: Event[] = [];
      for (const s of ["pending", "running", c.final] as GitLabStatus[]) {
        gitlab.setPipelineStatus(p, s);
        snapshots.push({ payload: gitlab.pipelineHookPayload(p), key: randomBytes(8).toString("hex") });
      }
      while (snapshots.length < EVENTS_PER_COMMIT) snapshots.push({ ...snapshots[Math.floor(Math.random() * 3)]! }); // resends: same Idempotency-Key
      events.push(...snapshots);
    }
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [events[i], events[j]] = [events[j]!, events[i]!];
    }

    let bAlive = true;
    const send = async (e: Event, n: number) => {
      const target = bAlive && n % 2 === 1 ? b! : a!;
      const headers = {
        "Content-Type": "application/json",
        "X-Gitlab-Event": "Pipeline Hook",
        "X-Gitlab-Token": hook.token!,
        "Idempotency-Key": e.key,
      };
      try {
        const res = await fetch(`${target.url}${hookPath}`, { method: "POST", headers, body: JSON.stringify(e.payload) });
        assert.equal(res.status, 200);
      } catch {
        // The instance died mid-request: GitLab saw a failed delivery; the load balancer sends the next one elsewhere.
        const res = await fetch(`${a!.url}${hookPath}`, { method: "POST", headers, body: JSON.stringify(e.payload) });
        assert.equal(res.status, 200);
      }
    };
    const CONCURRENCY = 16;
    for (let i = 0; i < events.length; i += CONCURRENCY) {
      if (bAlive && i >= events.length / 2) {
        await b!.kill(); // mid-flight: it holds leased rows and answered hooks whose work it never finished
        bAlive = false;
      }
      await Promise.all(events.slice(i, i + CONCURRENCY).map((e, k) => send(e, i + k)));
    }

    await eventually(
      () => commits.every((c) => bitbucket.statuses({ sha: c.sha })[0]?.state === bitbucketState(c.final)),
      60_000,
      250,
    );
    for (const c of commits) {
      const shown = bitbucket.statuses({ sha: c.sha });
      assert.equal(shown.length, 1, `${c.sha} has ${shown.length} statuses`);
      assert.equal(shown[0]!.state, bitbucketState(c.final));
    }
    // Every event was taken in once: the delivery log holds each Idempotency-Key exactly once.
    const sequelize = new Sequelize(db.url, { logging: false });
    try {
      const [row] = await sequelize.query<{ n: string; d: string }>(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT delivery_id) AS d FROM deliveries",
        { type: QueryTypes.SELECT },
      );
      assert.equal(Number(row!.n), new Set(events.map((e) => e.key)).size);
      assert.equal(Number(row!.d), Number(row!.n));
      // Statuses can be right while repeated hooks' syncs (which find nothing to post) are still queued, or
      // rows of the killed process wait for their lease: the outbox must empty soon after, never keep a row.
      const left = () =>
        sequelize.query<{ state: string; last_error: string | null }>("SELECT state, last_error FROM outbox", {
          type: QueryTypes.SELECT,
        });
      await eventually(async () => (await left()).length === 0, 30_000, 250).catch(async () => {
        assert.fail(`work left in the outbox: ${JSON.stringify(await left()).slice(0, 1_000)}`);
      });
    } finally {
      await sequelize.close();
    }
    // Re-reading GitLab and folding waiting work per commit keeps posts few: at most one per state a
    // commit's pipeline went through, however many hooks arrived.
    const posts = bitbucket.apiCalls.filter((c) => c.status < 300 && c.path.includes("/statuses/build"));
    assert.ok(posts.length <= commits.length * 3, `${posts.length} posts for ${commits.length} commits`);
  });
});
