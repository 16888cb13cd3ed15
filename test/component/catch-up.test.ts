import assert from "node:assert/strict";
import { drained, eventually, Stack } from "../support/stack";

// Sweeps every 300 ms on pipelines settled at once: the test's clock, not production's 5 minutes.
const FAST_SWEEPS = { CATCH_UP_EVERY_MS: "300", CATCH_UP_SETTLE_MS: "0", RECONCILE_EVERY_MS: "100" };

describe("converging without webhooks: the catch-up sweep", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  const sha = "b1742195055d9234440410f95462fdebb05b5ac3";
  const other = "c1742195055d9234440410f95462fdebb05b5ac4";

  it("posts the status of a pipeline none of whose hooks arrived, and says the webhook is missing events", async () => {
    stack = await Stack.start({ env: FAST_SWEEPS });
    const { project, repo, settingsToken } = await stack.linkedRepository();
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");

    const status = await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "SUCCESSFUL"), 10_000);
    assert.equal(status.repoUuid, repo.uuid);
    assert.equal(status.key, `gitlab:${project.id}:main`);
    const { body } = await eventually(async () => {
      const r = await stack.api(settingsToken, "GET", repo.uuid);
      return r.body.link.webhookMissedAt ? r : null;
    });
    assert.ok(Date.parse(body.link.webhookMissedAt) > 0);
  });

  it("after downtime, the first sweep covers the pipelines that finished while it was not running", async () => {
    stack = await Stack.start({ env: FAST_SWEEPS });
    const { project } = await stack.linkedRepository();
    // A first sweep sets the link's high-water mark.
    await eventually(async () => (await stack.app.deps.sweeps.get((await linkId(stack))!))?.highWater != null, 10_000);
    stack.app.reconciler.stop(); // the app is "down" for sweeps; no hooks either
    const a = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(a, "failed");
    const b = stack.gitlab.createPipeline(project, { sha: other, ref: "release" });
    stack.gitlab.setPipelineStatus(b, "success");
    await new Promise((r) => setTimeout(r, 400)); // past the link's next turn
    assert.equal(stack.bitbucket.statuses({ sha }).length, 0, "nothing is posted while the sweeps are stopped");

    stack.app.reconciler.start();
    await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "FAILED"), 10_000);
    await eventually(() => stack.bitbucket.statuses({ sha: other }).find((s) => s.state === "SUCCESSFUL"), 10_000);
  });

  it("costs an idle link one GitLab call per sweep, and neither reads nor posts what Bitbucket already shows", async () => {
    stack = await Stack.start({ env: FAST_SWEEPS });
    const { project } = await stack.linkedRepository();
    const id = (await linkId(stack))!;
    const swept = async () => (await stack.app.deps.events.forLink(id)).filter((e) => e.kind === "catch-up").length;
    await eventually(async () => (await swept()) >= 1, 10_000);
    stack.app.reconciler.stop();
    // A pipeline whose hook did arrive: Bitbucket shows it before the next sweep looks.
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.statuses({ sha }).length === 1);
    await drained(stack); // the status and the reports that follow it

    const callsBefore = stack.gitlab.apiCalls.length;
    const sweepsBefore = await swept();
    stack.app.reconciler.start();
    await eventually(async () => (await swept()) >= sweepsBefore + 3, 10_000);
    const sweepsDone = (await swept()) - sweepsBefore;
    const calls = stack.gitlab.apiCalls.slice(callsBefore);
    assert.ok(
      calls.every((c) => c.method === "GET" && c.path === `/projects/${project.id}/pipelines`),
      `only the pipeline listing is called: ${JSON.stringify(calls.map((c) => c.path))}`,
    );
    assert.ok(calls.length <= sweepsDone + 1, `${calls.length} calls for ${sweepsDone} sweeps`);
    assert.equal(stack.bitbucket.statuses({ sha }).length, 1, "the status Bitbucket shows is not posted again");
  });

  it("gives each link's turn to one instance: concurrent claims never take the same link", async () => {
    stack = await Stack.start({ env: { ...FAST_SWEEPS, RECONCILE_EVERY_MS: "3600000" } });
    await stack.linkedRepository();
    await stack.linkedRepository({ repoSlug: "gadgets", projectPath: "acme/gadgets" }).catch(() => undefined);
    const sweeps = stack.app.deps.sweeps;
    const now = Date.now();
    await sweeps.schedule(now, 1);
    const [first, second] = await Promise.all([sweeps.claimDue(now + 10, 60_000, 10), sweeps.claimDue(now + 10, 60_000, 10)]);
    const taken = [...first!, ...second!];
    assert.ok(taken.length >= 1);
    assert.equal(new Set(taken).size, taken.length, "no link claimed twice");
    assert.deepEqual(await sweeps.claimDue(now + 20, 60_000, 10), [], "nothing is due again before its interval");
  });
  it("spreads the links' turns over the interval rather than firing them at once", async () => {
    stack = await Stack.start({ env: { ...FAST_SWEEPS, RECONCILE_EVERY_MS: "3600000" } });
    const tenant = await stack.install();
    const user = stack.gitlab.addUser("ada");
    const token = stack.gitlab.addToken(user);
    for (const name of ["widgets", "gadgets", "gizmos", "doodads"]) {
      const repo = stack.bitbucket.addRepository(tenant, name);
      const project = stack.gitlab.addProject(`acme/${name}`, { mirror: true, importUrl: stack.bitbucket.cloneUrlOf(name) });
      stack.gitlab.addMember(project, user, 40);
      const linked = await stack.api(await stack.settingsToken(tenant, repo), "PUT", repo.uuid, {
        gitlabUrl: stack.gitlab.url,
        project: project.pathWithNamespace,
        token,
      });
      assert.equal(linked.status, 200);
    }
    const hour = 3_600_000;
    const now = Date.now();
    await stack.app.deps.sweeps.schedule(now, hour);
    const rows = await stack.app.deps.sequelize.query<{ next_at: number | string }>("SELECT next_at FROM link_sweeps", {
      type: "SELECT" as never,
    });
    const offsets = rows.map((r) => Number(r.next_at) - now);
    assert.equal(offsets.length, 4);
    assert.ok(
      offsets.every((o) => o >= 0 && o < hour),
      JSON.stringify(offsets),
    );
    assert.equal(new Set(offsets).size, 4, `each link has a turn of its own: ${JSON.stringify(offsets)}`);
    assert.ok(Math.max(...offsets) - Math.min(...offsets) > hour / 100, `spread over the hour: ${JSON.stringify(offsets)}`);
  });
});

async function linkId(stack: Stack): Promise<string | undefined> {
  const [row] = await stack.app.deps.sequelize.query<{ id: string }>("SELECT id FROM links", { type: "SELECT" as never });
  return row?.id;
}
