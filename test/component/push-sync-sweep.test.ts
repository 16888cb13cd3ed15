import assert from "node:assert/strict";
import { queuePushRefs } from "../../src/sync/push-refs";
import { pushLinkedRepository } from "../support/push-link";
import { drained, eventually, Stack } from "../support/stack";

// Sweeps every 400 ms on pipelines settled at once: the test's clock, not production's 5 minutes.
const FAST_SWEEPS = { CATCH_UP_EVERY_MS: "400", CATCH_UP_SETTLE_MS: "0", RECONCILE_EVERY_MS: "100" };

const asObject = (m: Map<string, string>) => Object.fromEntries([...m].sort());

describe("push sync without push events: the catch-up sweep compares ref lists", function () {
  // Each sync runs a handful of git processes on each side; on a loaded machine that takes seconds.
  this.timeout(120_000);
  let stack: Stack;
  afterEach(async () => stack?.stop());

  async function linkIdOf(): Promise<string> {
    const [row] = await stack.app.deps.sequelize.query<{ id: string }>("SELECT id FROM links", { type: "SELECT" as never });
    return row!.id;
  }
  const sweepsOf = async (linkId: string) =>
    (await stack.app.deps.events.forLink(linkId)).filter((e) => e.kind === "catch-up").reverse();

  /** A synced push-sync link whose sweeps have seen everything: GitLab equal, pipelines known. */
  async function idleLink() {
    const s = await pushLinkedRepository(stack);
    const sha = await s.bitbucketGit.commit({ branch: "main" });
    await stack.bitbucket.pushed(s.tenant, s.repo, { branch: "main" });
    // Sweeps keep the outbox busy: wait for GitLab to have main and for its pipeline's status to be on
    // Bitbucket, then for a sweep that started after that and found nothing to do. A sweep that ran
    // between the sync's push and its pipeline also says "nothing changed", and the next one would then
    // find the new pipeline (1 run in 3 of the test on Node 24 before this wait).
    await eventually(async () => (await s.gitlabGit.refs()).get("refs/heads/main") === sha, 30_000, 50);
    await eventually(() => stack.bitbucket.statuses({ sha }).length > 0, 30_000, 50);
    const linkId = await linkIdOf();
    const shown = (await sweepsOf(linkId)).length;
    await eventually(
      async () => {
        const sweeps = await sweepsOf(linkId);
        // The first sweep after `shown` may have been under way when the status was posted.
        return (
          sweeps.length >= shown + 2 && sweeps.at(-1)?.summary === "catch-up: nothing changed; GitLab's refs equal Bitbucket's"
        );
      },
      30_000,
      50,
    );
    return { ...s, linkId };
  }

  it("a push whose repo:push never came reaches GitLab within two sweeps, with its pipeline, and the page says a sweep found it", async () => {
    stack = await Stack.start({ env: FAST_SWEEPS });
    const s = await idleLink();
    const before = (await sweepsOf(s.linkId)).length;
    const pipelinesBefore = stack.gitlab.pipelines(s.project).length;

    // Pushed to Bitbucket, and no webhook: the app is told nothing.
    const sha = await s.bitbucketGit.commit({ branch: "feature/lost" });
    await eventually(async () => (await s.gitlabGit.refs()).get("refs/heads/feature/lost") === sha, 60_000, 50);
    assert.deepEqual(asObject(await s.gitlabGit.refs()), asObject(await s.bitbucketGit.refs()));

    // A sweep GitLab did not answer in time (a loaded machine) is retried, not counted as one that looked.
    const sweeps = (await sweepsOf(s.linkId)).slice(before).filter((e) => e.outcome === "done");
    const found = sweeps.findIndex((e) =>
      /refs differ from Bitbucket's \(new refs\/heads\/feature\/lost\): push sync queued/.test(e.summary),
    );
    assert.ok(found >= 0 && found <= 1, `found by sweep ${found + 1}: ${JSON.stringify(sweeps.map((e) => e.summary))}`);

    const made = await eventually(() => {
      const all = stack.gitlab.pipelines(s.project).slice(pipelinesBefore);
      return all.length ? all : null;
    });
    assert.deepEqual(
      made.map((p) => [p.ref, p.sha]),
      [["feature/lost", sha]],
    );
    // The sync notes its outcome after creating the pipeline.
    const lastSync = async () => (await stack.api(s.settingsToken, "GET", s.repo.uuid)).body.link.lastSync;
    await eventually(async () => (await lastSync()).via === "sweep", 30_000, 50);
    // A sweep that lands before the pipeline exists queues one more sync, which finds GitLab equal: it
    // does not replace the last sync that did something. Two more sweeps give it the time to run.
    const swept = (await sweepsOf(s.linkId)).length;
    await eventually(async () => (await sweepsOf(s.linkId)).length >= swept + 2, 30_000, 50);
    const last = await lastSync();
    assert.deepEqual([last.via, last.pushed], ["sweep", ["feature/lost"]]);
    assert.ok(Date.parse(last.missedPushAt) > 0, "the missed push is remembered for the page");
  });

  it("with every webhook lost, a push reaches GitLab and its pipeline's result reaches Bitbucket, each within two sweeps", async () => {
    stack = await Stack.start({ env: FAST_SWEEPS });
    const s = await idleLink();
    // Sweeps GitLab answered in time (a loaded machine may time one out: it is retried, not one that looked).
    const done = async () => (await sweepsOf(s.linkId)).filter((e) => e.outcome === "done");
    const summaries = (sweeps: { summary: string }[]) => JSON.stringify(sweeps.map((e) => e.summary));

    // Pushed to Bitbucket; no repo:push reaches the app.
    const pushedAt = (await done()).length;
    const sha = await s.bitbucketGit.commit({ branch: "feature/quiet" });
    await eventually(async () => (await s.gitlabGit.refs()).get("refs/heads/feature/quiet") === sha, 60_000, 50);
    const refSweeps = (await done()).slice(pushedAt);
    const refsFound = refSweeps.findIndex((e) =>
      /refs differ from Bitbucket's \(new refs\/heads\/feature\/quiet\)/.test(e.summary),
    );
    assert.ok(refsFound >= 0 && refsFound <= 1, `refs found by sweep ${refsFound + 1}: ${summaries(refSweeps)}`);

    // Its pipeline (made by the sync) finishes in GitLab; no Pipeline Hook is ever delivered.
    const pipeline = await eventually(
      () => stack.gitlab.pipelines(s.project).find((p) => p.sha === sha && p.ref === "feature/quiet"),
      30_000,
      50,
    );
    const finishedAt = (await done()).length;
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    await eventually(() => stack.bitbucket.statuses({ sha }).find((st) => st.state === "FAILED"), 30_000, 50);
    // The sweep that queued the status writes its event once it is done (the status may come first).
    const statusSweeps = await eventually(async () => {
      const since = (await done()).slice(finishedAt);
      return since.some((e) => /[1-9]\d* not shown on Bitbucket yet, synced/.test(e.summary)) ? since : null;
    }, 30_000);
    const statusFound = statusSweeps.findIndex((e) => /[1-9]\d* not shown on Bitbucket yet, synced/.test(e.summary));
    assert.ok(statusFound <= 1, `status found by sweep ${statusFound + 1}: ${summaries(statusSweeps)}`);
    assert.equal(stack.gitlab.deliveries.length, 0, "no GitLab hook was delivered");

    // The page says a sweep, not a hook, brought the status.
    const activity = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(s.repo.uuid)}/activity`, {
      headers: { Authorization: `JWT ${s.settingsToken}` },
    });
    const entries = ((await activity.json()) as { entries: Array<{ text: string }> }).entries;
    assert.ok(
      entries.some(
        (e) =>
          e.text.startsWith(`Pipeline #${pipeline.id} failed on feature/quiet`) && e.text.endsWith("(catch-up: no webhook came)"),
      ),
      JSON.stringify(entries.map((e) => e.text)),
    );
    assert.ok(Date.parse((await stack.api(s.settingsToken, "GET", s.repo.uuid)).body.link.webhookMissedAt) > 0);
  });

  it("a sweep's sync that finds GitLab equal leaves the last sync that pushed as the page's last sync", async () => {
    stack = await Stack.start();
    const s = await pushLinkedRepository(stack);
    const sha = await s.bitbucketGit.commit({ branch: "main" });
    await stack.bitbucket.pushed(s.tenant, s.repo, { branch: "main" });
    await eventually(async () => (await s.gitlabGit.refs()).get("refs/heads/main") === sha, 30_000, 50);
    await drained(stack);
    const before = (await stack.api(s.settingsToken, "GET", s.repo.uuid)).body.link.lastSync;
    assert.deepEqual([before.pushed, before.pipelines, before.error], [["main"], ["main"], null]);

    // What a sweep queues when it lists the refs between a running sync's push and its pipelines.
    const link = (await stack.app.deps.links.byId(await linkIdOf()))!;
    const { outbox, worker } = stack.app.deps;
    await queuePushRefs({ outbox, wake: worker, debounceMs: 0 }, link, undefined, "sweep");
    await eventually(async () => {
      const syncs = (await stack.app.deps.events.forLink(link.id)).filter((e) => e.kind === "push-refs");
      return syncs[0]?.summary === "GitLab already equal";
    }, 30_000);
    await drained(stack);

    const after = (await stack.api(s.settingsToken, "GET", s.repo.uuid)).body.link.lastSync;
    assert.deepEqual(after, before);
  });

  it("an idle push-sync link costs one GitLab API call and one ref listing on each side per sweep, and mints no token", async () => {
    stack = await Stack.start({ env: FAST_SWEEPS });
    const s = await idleLink();
    stack.app.reconciler.stop();
    await drained(stack);
    const sweepsBefore = (await sweepsOf(s.linkId)).length;
    const gitlabBefore = stack.gitlab.apiCalls.length;
    const bitbucketGitBefore = stack.bitbucket.gitCalls.length;
    const bitbucketApiBefore = stack.bitbucket.apiCalls.length;

    stack.app.reconciler.start();
    await eventually(async () => (await sweepsOf(s.linkId)).length >= sweepsBefore + 3, 30_000, 50);
    stack.app.reconciler.stop();
    await drained(stack);

    const sweeps = (await sweepsOf(s.linkId)).slice(sweepsBefore);
    assert.ok(
      sweeps.every((e) => e.summary === "catch-up: nothing changed; GitLab's refs equal Bitbucket's"),
      JSON.stringify(sweeps.map((e) => e.summary)),
    );
    const gitlab = stack.gitlab.apiCalls.slice(gitlabBefore);
    const git = gitlab.filter((c) => c.path.includes(".git/"));
    const api = gitlab.filter((c) => !c.path.includes(".git/"));
    assert.deepEqual(
      api.map((c) => `${c.method} ${c.path}`),
      sweeps.map(() => `GET /projects/${s.project.id}/pipelines`),
      "one GitLab API call per sweep",
    );
    // One `git ls-remote` per side and sweep: its ref advertisement (and, in git's protocol v2, the ls-refs request).
    const listings = (calls: { path: string }[]) => calls.filter((c) => c.path.endsWith("/info/refs")).length;
    assert.equal(listings(git), sweeps.length, `GitLab: ${JSON.stringify(git.map((c) => c.path))}`);
    assert.ok(git.length <= 2 * sweeps.length);
    const bitbucketGit = stack.bitbucket.gitCalls.slice(bitbucketGitBefore);
    assert.equal(listings(bitbucketGit), sweeps.length, `Bitbucket: ${JSON.stringify(bitbucketGit.map((c) => c.path))}`);
    // A fetch would add a third request (the pack): at most two per sweep means nothing was fetched or pushed.
    assert.ok(bitbucketGit.length <= 2 * sweeps.length);
    assert.deepEqual(stack.bitbucket.apiCalls.slice(bitbucketApiBefore), [], "the read token is held, not minted per sweep");
  });

  it("refs made in GitLab itself and the app's bitbucket/ refs do not make a sweep sync", async () => {
    stack = await Stack.start({ env: FAST_SWEEPS });
    const s = await idleLink();
    await s.gitlabGit.commit({ branch: "made-in-gitlab" });
    await s.gitlabGit.commit({ branch: "bitbucket/pr-7" });
    const before = (await sweepsOf(s.linkId)).length;
    await eventually(async () => (await sweepsOf(s.linkId)).length >= before + 2, 30_000, 50);
    const sweeps = (await sweepsOf(s.linkId)).slice(before);
    assert.ok(
      sweeps.every((e) => e.summary.endsWith("GitLab's refs equal Bitbucket's")),
      JSON.stringify(sweeps.map((e) => e.summary)),
    );
  });
});
