import assert from "node:assert/strict";
import type { SimProject } from "../../sim/gitlab-sim";
import type { SimTenant } from "../../sim/bitbucket-sim";
import { eventually, Stack } from "../support/stack";

describe("repeated deliveries are recognised per link and per installation, never across them", function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  /** Links one more repository of `tenant` to `project` through the settings API. */
  async function linkAnother(tenant: SimTenant, slug: string, project: SimProject, gitlabToken: string) {
    const repo = stack.bitbucket.addRepository(tenant, slug);
    const linked = await stack.api(await stack.settingsToken(tenant, repo), "PUT", repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: project.pathWithNamespace,
      token: gitlabToken,
      // The project pull-mirrors the first repository: linking another one to it needs the admin's word.
      acceptMirrorSource: true,
    });
    assert.equal(linked.status, 200);
    return repo;
  }

  it("two repositories linked to one GitLab project both get the status of an event GitLab sends to both under one id", async () => {
    const first = await stack.linkedRepository();
    const second = await linkAnother(first.tenant, "widgets-fork", first.project, first.gitlabToken);
    const sha = "d".repeat(40);
    const pipeline = stack.gitlab.createPipeline(first.project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");

    // GitLab runs each hook's delivery as its own job, so one can be taken in before the other arrives.
    const deliverOneByOne = async () => {
      const outcomes: string[] = [];
      for (const hook of stack.gitlab.hooks(first.project)) {
        const res = await fetch(hook.url, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "X-Gitlab-Event": "Pipeline Hook",
            "X-Gitlab-Token": hook.token!,
            "Idempotency-Key": "7c0ffee0-0000-4000-8000-000000000017",
            "X-Gitlab-Event-UUID": "7c0ffee0-0000-4000-8000-0000000000ee",
          },
          body: JSON.stringify(stack.gitlab.pipelineHookPayload(pipeline)),
        });
        outcomes.push(((await res.json()) as { outcome: string }).outcome);
      }
      return outcomes;
    };
    assert.deepEqual(await deliverOneByOne(), ["accepted", "accepted"]);
    await eventually(() => stack.bitbucket.statuses({ sha, repoUuid: first.repo.uuid })[0]?.state === "SUCCESSFUL");
    await eventually(() => stack.bitbucket.statuses({ sha, repoUuid: second.uuid })[0]?.state === "SUCCESSFUL");

    // Each link still recognises its own resend.
    assert.deepEqual(await deliverOneByOne(), ["duplicate", "duplicate"]);
  });

  it("two workspaces' pushes under one X-Request-UUID are both taken in, and each resend is a duplicate", async () => {
    const acme = await stack.linkedRepository();
    const other = await stack.install("other-corp");
    const otherRepo = await linkAnother(other, "widgets", acme.project, acme.gitlabToken);
    const push = async (tenant: SimTenant, repoUuid: string) => {
      const res = await fetch(`${stack.app.url}/webhooks/bitbucket`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Authorization: `JWT ${stack.bitbucket.sign(tenant, "POST", "/webhooks/bitbucket")}`,
          "X-Request-UUID": "5eed5eed-0000-4000-8000-000000000017",
        },
        body: JSON.stringify({
          event: "repo:push",
          data: { repository: { uuid: repoUuid }, push: { changes: [{ new: { type: "branch", name: "main" }, old: null }] } },
        }),
      });
      assert.equal(res.status, 204);
      return res.headers.get("x-outcome");
    };
    assert.equal(await push(acme.tenant, acme.repo.uuid), "accepted");
    assert.equal(await push(other, otherRepo.uuid), "accepted");
    assert.equal(await push(acme.tenant, acme.repo.uuid), "duplicate");
    assert.equal(await push(other, otherRepo.uuid), "duplicate");
  });

  it("an Idempotency-Key of 15,000 characters is kept as a short hash, and its resend is still a duplicate", async () => {
    const { project } = await stack.linkedRepository();
    const pipeline = stack.gitlab.createPipeline(project, { sha: "e".repeat(40), ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    const huge = "k".repeat(15_000);
    const send = () =>
      stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline), { idempotencyKey: huge });
    assert.equal(JSON.parse((await send())[0]!.body).outcome, "accepted");
    assert.equal(JSON.parse((await send())[0]!.body).outcome, "duplicate");
    const rows = (await stack.app.deps.sequelize.query("SELECT delivery_id FROM deliveries", { type: "SELECT" })) as {
      delivery_id: string;
    }[];
    assert.equal(rows.length, 1);
    assert.ok(rows[0]!.delivery_id.length <= 128, `stored ${rows[0]!.delivery_id.length} characters`);
  });
});
