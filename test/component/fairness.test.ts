import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { SimProject } from "../../sim/gitlab-sim";
import { DripProxy } from "../support/drip-proxy";
import { eventually, Stack } from "../support/stack";

const sha = () => randomBytes(20).toString("hex");

/** An installation of its own (workspace `slug`) with one repository linked to its own GitLab project and token. */
async function tenantWithLink(stack: Stack, slug: string, gitlabUrl = stack.gitlab.url) {
  const tenant = await stack.install(slug);
  const repo = stack.bitbucket.addRepository(tenant, "widgets");
  const user = stack.gitlab.addUser(`dev-${slug}`);
  const token = stack.gitlab.addToken(user);
  const project = stack.gitlab.addProject(`${slug}/widgets`, { mirror: true });
  stack.gitlab.addMember(project, user, 40);
  const linked = await stack.api(await stack.settingsToken(tenant, repo), "PUT", repo.uuid, {
    gitlabUrl,
    project: project.pathWithNamespace,
    token,
    statusMode: "pipeline",
  });
  if (linked.status !== 200) throw new Error(`link failed: ${linked.status} ${JSON.stringify(linked.body)}`);
  const hookUrl = linked.body.webhook.url as string;
  return { tenant, repo, project, hookUrl, linkId: /\/webhooks\/gitlab\/([^/?]+)$/.exec(hookUrl)![1]! };
}

/** GitLab finishing a pipeline on a new commit and sending its Pipeline Hook; returns the hook's answer. */
async function finishedPipeline(stack: Stack, project: SimProject): Promise<number> {
  const pipeline = stack.gitlab.createPipeline(project, { sha: sha(), ref: "main" });
  stack.gitlab.setPipelineStatus(pipeline, "success");
  const [result] = await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
  return result?.status ?? 0;
}

/** A Pipeline Hook sent as GitLab sends it, answered with the app's full response (headers included). */
async function hookRequest(stack: Stack, link: { project: SimProject; hookUrl: string }): Promise<Response> {
  const pipeline = stack.gitlab.createPipeline(link.project, { sha: sha(), ref: "main" });
  return fetch(link.hookUrl, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Gitlab-Event": "Pipeline Hook",
      "X-Gitlab-Token": stack.gitlab.hooks(link.project)[0]!.token!,
    },
    body: JSON.stringify(stack.gitlab.pipelineHookPayload(pipeline)),
  });
}

const statusesOf = (stack: Stack, repoUuid: string) => stack.bitbucket.statuses({ repoUuid }).length;

describe("fairness between installations (issue 17)", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("a flood of hooks on one installation does not keep another installation's status waiting behind it", async function () {
    this.timeout(90_000); // hundreds of hooks, sent one by one, on a busy machine and on PostgreSQL
    stack = await Stack.start({ worker: false, env: { OUTBOX_CONCURRENCY: "4", OUTBOX_PER_INSTALLATION: "2" } });
    const noisy = await tenantWithLink(stack, "noisy-corp");
    const quiet = await tenantWithLink(stack, "quiet-corp");
    const flood = 200;
    for (let i = 0; i < flood; i++) assert.equal(await finishedPipeline(stack, noisy.project), 200);
    assert.equal(await finishedPipeline(stack, quiet.project), 200);

    stack.app.deps.worker.start();
    await eventually(() => statusesOf(stack, quiet.repo.uuid) === 1, 20_000);

    // First in, first out, the quiet installation's status would come after all of the flood.
    const noisyDone = statusesOf(stack, noisy.repo.uuid);
    assert.ok(noisyDone < flood / 2, `the quiet status waited for ${noisyDone} of the flood's ${flood}`);
  });

  it("an installation whose GitLab drips its answers does not hold the worker slots others need", async () => {
    // A long timeout: the dripping calls hold their slot for the whole test unless the cap keeps them out.
    stack = await Stack.start({ env: { OUTBOX_CONCURRENCY: "4", OUTBOX_PER_INSTALLATION: "2", HTTP_TIMEOUT_MS: "60000" } });
    const proxy = await DripProxy.start(stack.gitlab.url);
    try {
      const slow = await tenantWithLink(stack, "slow-corp", proxy.url);
      const quiet = await tenantWithLink(stack, "quiet-corp");
      proxy.dripping = true;
      for (let i = 0; i < 10; i++) assert.equal(await finishedPipeline(stack, slow.project), 200);
      await eventually(() => proxy.dripped >= 2);

      for (let i = 0; i < 5; i++) assert.equal(await finishedPipeline(stack, quiet.project), 200);
      await eventually(() => statusesOf(stack, quiet.repo.uuid) === 5, 15_000);
      assert.equal(statusesOf(stack, slow.repo.uuid), 0);
      assert.equal(proxy.dripped, 2, "only the installation's cap of calls is stuck in its GitLab");
    } finally {
      await stack.stop();
      stack = undefined as unknown as Stack;
      await proxy.close();
    }
  });

  it("a GitLab answer that drips its body is cut off by the timeout and the work is retried", async () => {
    stack = await Stack.start({ env: { HTTP_TIMEOUT_MS: "1000" } });
    const proxy = await DripProxy.start(stack.gitlab.url);
    try {
      const slow = await tenantWithLink(stack, "slow-corp", proxy.url);
      proxy.dripping = true;
      assert.equal(await finishedPipeline(stack, slow.project), 200);
      const [row] = await eventually(async () => {
        const rows = (await stack.app.deps.sequelize.query("SELECT state, attempts, last_error FROM outbox", {
          type: "SELECT",
        })) as { state: string; attempts: number | string; last_error: string | null }[];
        return rows.some((r) => r.state === "pending" && r.last_error) ? rows : null;
      }, 15_000);
      assert.match(String(row!.last_error), /timeout|timed out|abort/i);
    } finally {
      await stack.stop();
      stack = undefined as unknown as Stack;
      await proxy.close();
    }
  });

  it("when a GitLab token's call budget is spent, its link's work waits without spending attempts while others go on", async () => {
    // Two calls per status sync: a burst of 4 carries two syncs, then one call comes back a minute later.
    stack = await Stack.start({ env: { GITLAB_CALLS_PER_MINUTE: "1", GITLAB_BURST: "4" } });
    const busy = await tenantWithLink(stack, "busy-corp");
    const quiet = await tenantWithLink(stack, "quiet-corp");
    for (let i = 0; i < 5; i++) assert.equal(await finishedPipeline(stack, busy.project), 200);
    const rowsOf = async (linkId: string) =>
      (await stack.app.deps.sequelize.query("SELECT state, attempts FROM outbox WHERE link_id = ? AND kind = 'status-sync'", {
        replacements: [linkId],
        type: "SELECT",
      })) as { state: string; attempts: number | string }[];
    // Two syncs go through; the other three wait, put back without spending an attempt.
    await eventually(async () => {
      const rows = await rowsOf(busy.linkId);
      return statusesOf(stack, busy.repo.uuid) === 2 && rows.length === 3 && rows.every((r) => r.state === "pending");
    });
    assert.ok((await rowsOf(busy.linkId)).every((r) => Number(r.attempts) === 0));
    const held = (await stack.app.deps.sequelize.query("SELECT link_id FROM outbox_holds", { type: "SELECT" })) as {
      link_id: string;
    }[];
    assert.deepEqual(
      held.map((h) => h.link_id),
      [busy.linkId],
    );

    // The other link, with its own token, is not held.
    assert.equal(await finishedPipeline(stack, quiet.project), 200);
    await eventually(() => statusesOf(stack, quiet.repo.uuid) === 1);
  });
});

describe("webhook intake limits (issue 17, a last resort)", () => {
  let stack: Stack;
  afterEach(async () => stack.stop());

  it("a link past its burst is answered 429 with Retry-After, other links are not, and intake resumes after", async () => {
    stack = await Stack.start({ worker: false, env: { INTAKE_LINK_BURST: "5", INTAKE_LINK_PER_SECOND: "0.5" } });
    const noisy = await tenantWithLink(stack, "noisy-corp");
    const quiet = await tenantWithLink(stack, "quiet-corp");
    let accepted = 0;
    let refused: Response | undefined;
    while (!refused && accepted < 10) {
      const res = await hookRequest(stack, noisy);
      if (res.status === 200) accepted++;
      else refused = res;
    }
    assert.ok(accepted >= 5, `only ${accepted} accepted before the first refusal`);
    assert.equal(refused?.status, 429);
    assert.match(refused.headers.get("retry-after") ?? "", /^[1-9][0-9]*$/);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "rate_limited");
    const before = await stack.app.deps.outbox.depth();

    assert.equal(await finishedPipeline(stack, quiet.project), 200);
    assert.equal((await stack.app.deps.outbox.depth()).pending, before.pending + 1);
    await eventually(async () => (await hookRequest(stack, noisy)).status === 200, 10_000, 200);
  });

  it("a Bitbucket installation past its burst is answered 429 with a JSON error", async () => {
    stack = await Stack.start({ worker: false, env: { INTAKE_INSTALLATION_BURST: "3", INTAKE_INSTALLATION_PER_SECOND: "0.2" } });
    const { tenant, repo } = await tenantWithLink(stack, "acme-corp");
    for (let i = 0; i < 3; i++) assert.equal((await stack.bitbucket.push(tenant, repo)).status, 204);
    const refused = await stack.bitbucket.push(tenant, repo);
    assert.equal(refused.status, 429);
    assert.equal(JSON.parse(refused.body).error.code, "rate_limited");
  });
});
