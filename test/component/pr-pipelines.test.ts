import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { drained, eventually, Stack } from "../support/stack";
import { pushLinkedRepository } from "../support/push-link";

const fixture = (name: string): any => JSON.parse(readFileSync(path.join(__dirname, "../../sim/fixtures/gitlab", name), "utf8"));

type Linked = Awaited<ReturnType<typeof pushLinkedRepository>>;

describe("pull-request pipelines: GitLab tests the merge result of a Bitbucket pull request", function () {
  // Each run fetches, merges and pushes with the git binary on both simulators; slow on a loaded machine.
  this.timeout(120_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  /** A feature branch off main with its own commit, and main moved on since (so the merge is a real one). */
  async function branches(s: Linked, files: { feature?: Record<string, string>; main?: Record<string, string> } = {}) {
    const base = (await s.bitbucketGit.resolve("refs/heads/main"))!;
    const feature = await s.bitbucketGit.commit({ branch: "feature/x", parent: base, files: files.feature });
    const main = await s.bitbucketGit.commit({ branch: "main", files: files.main });
    return { base, feature, main };
  }

  async function opened(s: Linked, id = 1, action: "created" | "updated" = "created") {
    const reply = await stack.bitbucket.pullRequest(s.tenant, s.repo, { id, action, source: "feature/x", destination: "main" });
    assert.equal(reply.status, 204);
    await drained(stack);
    return reply;
  }

  const pipelinesOn = (s: Linked, ref: string) => stack.gitlab.pipelines(s.project).filter((p) => p.ref === ref);
  const prStatuses = (s: Linked, sha: string, id = 1) =>
    stack.bitbucket.statuses({ sha }).filter((st) => st.key === `gitlab:${s.project.id}:pr~${id}`);

  it("opening a pull request runs one pipeline on the merge of its source head into its destination head, with its context", async () => {
    const s = await pushLinkedRepository(stack);
    const { feature, main } = await branches(s);
    const reply = await opened(s);
    // Bitbucket's payload names 12-character hashes: the app resolved them in its cache.
    assert.equal(reply.payload.data.pullrequest.source.commit.hash.length, 12);

    const [pipeline, ...more] = pipelinesOn(s, "bitbucket/pr-1");
    assert.ok(pipeline, "a pipeline on bitbucket/pr-1");
    assert.equal(more.length, 0);
    const parents = (await s.gitlabGit.git("rev-list", "--parents", "-n", "1", pipeline.sha)).split(" ").slice(1);
    assert.deepEqual(parents, [main, feature]);
    assert.deepEqual(Object.fromEntries((pipeline.variables ?? []).map((v) => [v.key, v.value])), {
      BITBUCKET_PR_ID: "1",
      BITBUCKET_PR_SOURCE_BRANCH: "feature/x",
      BITBUCKET_PR_DESTINATION_BRANCH: "main",
      BITBUCKET_PR_SOURCE_COMMIT: feature,
      BITBUCKET_PR_DESTINATION_COMMIT: main,
    });
    const push = stack.gitlab.pushes(s.project).find((p) => p.updates.some((u) => u.ref === "refs/heads/bitbucket/pr-1"))!;
    assert.ok(push.options.includes("ci.skip"), "GitLab's own push pipeline is skipped");

    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(s.project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const [status] = await eventually(() => (prStatuses(s, feature).length ? prStatuses(s, feature) : null));
    assert.equal(status!.state, "SUCCESSFUL");
    assert.equal(status!.refname, "feature/x");
    assert.match(status!.name ?? "", /merge result with main/);
    assert.equal(stack.bitbucket.statuses({ sha: pipeline.sha }).length, 0, "nothing is posted on the synthetic merge commit");

    const listed = await listPullRequests(s);
    assert.equal(listed.pullRequests[0].pipeline.id, pipeline.id);
    assert.equal(listed.pullRequests[0].outcome, "pipeline");
  });

  for (const statusMode of ["jobs", "both"] as const) {
    it(`with status mode "${statusMode}" a merge-result pipeline's jobs show on the source head too, under keys of the pull request apart from the branch's jobs`, async () => {
      const s = await pushLinkedRepository(stack);
      const changed = await stack.api(s.settingsToken, "PUT", s.repo.uuid, {
        gitlabUrl: stack.gitlab.url,
        project: s.project.pathWithNamespace,
        token: s.gitlabToken,
        statusMode,
      });
      assert.equal(changed.status, 200);
      const { feature } = await branches(s);
      // The branch pipeline of the source head, with a job of the same name as the merge pipeline's.
      const branch = stack.gitlab.createPipeline(s.project, { sha: feature, ref: "feature/x", jobs: [{ name: "test" }] });
      stack.gitlab.setJobStatus(branch.jobs[0]!, "success");
      stack.gitlab.setPipelineStatus(branch, "success");
      await stack.gitlab.deliver(s.project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(branch));
      await opened(s);
      const [merge] = pipelinesOn(s, "bitbucket/pr-1");
      stack.gitlab.setJobStatus(merge!.jobs[0]!, "failed");
      stack.gitlab.setPipelineStatus(merge!, "failed");
      await stack.gitlab.deliver(s.project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(merge!));
      await drained(stack);

      const byKey = new Map(stack.bitbucket.statuses({ sha: feature }).map((st) => [st.key, st]));
      const job = byKey.get(`gitlab:${s.project.id}:pr~1:test`);
      assert.ok(job, `the merge pipeline's job status, among ${[...byKey.keys()].join(", ")}`);
      assert.equal(job.state, "FAILED");
      assert.equal(job.refname, "feature/x");
      assert.match(job.name ?? "", /test \(merge result with main\)/);
      assert.equal(
        byKey.get(`gitlab:${s.project.id}:pr~1`)?.state,
        "FAILED",
        "the pull request's pipeline status, whatever the mode",
      );
      assert.equal(byKey.get(`gitlab:${s.project.id}:feature/x:test`)?.state, "SUCCESSFUL", "the branch's job status stays");
      assert.equal(stack.bitbucket.statuses({ sha: merge!.sha }).length, 0);
    });
  }

  it("a new source commit while the merge pipeline runs cancels it and tests the new merge result", async () => {
    const s = await pushLinkedRepository(stack);
    await branches(s);
    await opened(s);
    const [first] = pipelinesOn(s, "bitbucket/pr-1");
    stack.gitlab.setPipelineStatus(first!, "running");

    const next = await s.bitbucketGit.commit({ branch: "feature/x" });
    await opened(s, 1, "updated");
    assert.equal(first!.status, "canceled");
    const all = pipelinesOn(s, "bitbucket/pr-1");
    assert.equal(all.length, 2);
    const second = all[1]!;
    assert.equal((await s.gitlabGit.git("rev-parse", `${second.sha}^2`)).trim(), next);
    assert.equal((await s.gitlabGit.refs()).get("refs/heads/bitbucket/pr-1"), second.sha);
  });

  it("reads the link as the other deliverers do (cached), and afresh when GitLab refuses the cached token", async () => {
    const s = await pushLinkedRepository(stack);
    await branches(s);
    const { links, linkCache } = stack.app.deps;
    const link = (await links.forRepository(s.tenant.clientKey, s.repo.uuid))!;
    // This instance holds the link with its token; another instance replaces the token (this cache is not
    // told) and GitLab refuses the old one.
    await linkCache.get(link.id);
    const token = stack.gitlab.addToken(s.user, { scopes: ["api", "write_repository"] });
    await links.save({ ...link, token });
    stack.gitlab.revokeToken(s.gitlabToken);

    await opened(s);
    const [pipeline] = pipelinesOn(s, "bitbucket/pr-1");
    assert.ok(pipeline, `a pipeline on bitbucket/pr-1: ${JSON.stringify(await listPullRequests(s))}`);
    assert.equal((await linkCache.get(link.id))!.token, token);
  });

  it("a failed merge-result pipeline's test report goes on the source head under the pull request's id, beside the branch's", async () => {
    const s = await pushLinkedRepository(stack);
    assert.equal(s.link.reports, true);
    const { feature } = await branches(s);
    // The branch pipeline's reports are on the source head first.
    const branch = stack.gitlab.createPipeline(s.project, {
      sha: feature,
      ref: "feature/x",
      jobs: [{ name: "test", stage: "test" }],
    });
    branch.coverage = "90";
    stack.gitlab.setPipelineStatus(branch, "success");
    await stack.gitlab.deliver(s.project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(branch));
    await eventually(() => stack.bitbucket.reports(feature).find((r) => r.id === `gitlab-${s.project.id}-coverage`), 20_000);
    await drained(stack);

    await opened(s);
    const [merge] = pipelinesOn(s, "bitbucket/pr-1");
    merge!.testReport = fixture("test-report.json");
    stack.gitlab.setPipelineStatus(merge!, "failed");
    await stack.gitlab.deliver(s.project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(merge!));
    const testsReport = () => stack.bitbucket.reports(feature).find((r) => r.id === `gitlab-${s.project.id}-pr1-tests`);
    await eventually(testsReport, 20_000);
    // Read once its publication is done: its annotations follow the report in requests of their own.
    await drained(stack);
    const tests = testsReport()!;
    assert.equal(tests.report_type, "TEST");
    assert.equal(tests.result, "FAILED");
    assert.match(String(tests.title), /merge result with main/);
    assert.ok(tests.annotations.length > 0);
    assert.match(String(tests.link), new RegExp(`/-/pipelines/${merge!.id}/test_report$`));
    // The branch pipeline's report is untouched, and nothing goes on the synthetic merge commit.
    const coverage = stack.bitbucket.reports(feature).find((r) => r.id === `gitlab-${s.project.id}-coverage`);
    assert.ok(coverage, "the branch pipeline's report stays");
    assert.match(String(coverage.link ?? ""), new RegExp(`/-/pipelines/${branch.id}`));
    assert.deepEqual(
      stack.bitbucket.apiCalls.filter((c) => c.method === "DELETE" && c.path.includes("/reports/")).map((c) => c.path),
      [],
    );
    assert.deepEqual(stack.bitbucket.reports(merge!.sha), []);
  });

  it("an update that changes neither head (a title, a reviewer) keeps the pipeline it has", async () => {
    const s = await pushLinkedRepository(stack);
    await branches(s);
    await opened(s);
    await opened(s, 1, "updated");
    assert.equal(pipelinesOn(s, "bitbucket/pr-1").length, 1);
  });

  it("when the branches conflict no pipeline runs, and the source commit says so under the pull request's key", async () => {
    const s = await pushLinkedRepository(stack);
    const { feature } = await branches(s, { feature: { "shared.txt": "ours\n" }, main: { "shared.txt": "theirs\n" } });
    await opened(s);
    assert.equal(pipelinesOn(s, "bitbucket/pr-1").length, 0);
    const [status] = prStatuses(s, feature);
    assert.equal(status!.state, "STOPPED");
    assert.match(status!.description ?? "", /conflicts with main/);
    assert.equal(status!.refname, "feature/x");
    assert.equal((await listPullRequests(s)).pullRequests[0].outcome, "conflict");
  });

  for (const action of ["fulfilled", "rejected"] as const) {
    it(`a ${action === "fulfilled" ? "merged" : "declined"} pull request cancels its running merge pipeline and leaves no branch in GitLab`, async () => {
      const s = await pushLinkedRepository(stack);
      await branches(s);
      await opened(s);
      const [pipeline] = pipelinesOn(s, "bitbucket/pr-1");
      stack.gitlab.setPipelineStatus(pipeline!, "running");
      assert.ok((await s.gitlabGit.refs()).has("refs/heads/bitbucket/pr-1"));

      const reply = await stack.bitbucket.pullRequest(s.tenant, s.repo, {
        id: 1,
        action,
        source: "feature/x",
        destination: "main",
      });
      assert.equal(reply.status, 204);
      await drained(stack);
      assert.equal(pipeline!.status, "canceled");
      assert.ok(!(await s.gitlabGit.refs()).has("refs/heads/bitbucket/pr-1"));
      assert.equal((await listPullRequests(s)).pullRequests.length, 0);
    });
  }

  it("the push sync leaves the app's bitbucket/pr-<id> branch alone", async () => {
    const s = await pushLinkedRepository(stack);
    await branches(s);
    await opened(s);
    await stack.bitbucket.pushed(s.tenant, s.repo, { branch: "main" });
    await drained(stack);
    assert.ok((await s.gitlabGit.refs()).has("refs/heads/bitbucket/pr-1"));
  });

  it("when GitLab refuses pipeline variables the pipeline runs without them, and the page says so", async () => {
    const s = await pushLinkedRepository(stack);
    s.project.pipelineVariablesRole = "no_one_allowed";
    await branches(s);
    await opened(s);
    const [pipeline] = pipelinesOn(s, "bitbucket/pr-1");
    assert.ok(pipeline);
    assert.equal(pipeline.variables, undefined);
    assert.match((await listPullRequests(s)).pullRequests[0].note, /refused the pipeline variables/);
  });

  it("with pull-request pipelines switched off nothing runs, and a PUT that leaves the switches out keeps them", async () => {
    const s = await pushLinkedRepository(stack);
    assert.equal(s.link.pullRequestPipelines, true);
    assert.equal(s.link.pullRequestForks, false);
    const off = await stack.api(s.settingsToken, "PUT", s.repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: s.project.pathWithNamespace,
      token: s.gitlabToken,
      statusMode: "pipeline",
      pullRequestPipelines: false,
    });
    assert.equal(off.body.link.pullRequestPipelines, false);
    const kept = await stack.api(s.settingsToken, "PUT", s.repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: s.project.pathWithNamespace,
      token: s.gitlabToken,
      statusMode: "pipeline",
    });
    assert.equal(kept.body.link.pullRequestPipelines, false);
    await branches(s);
    await opened(s);
    assert.equal(pipelinesOn(s, "bitbucket/pr-1").length, 0);
  });

  describe("forks", () => {
    async function forked(s: Linked, workspace: { uuid: string; slug: string }) {
      const fork = stack.bitbucket.addRepository({ workspace }, "widgets-fork");
      const forkGit = await stack.bitbucket.git(fork);
      const base = (await s.bitbucketGit.resolve("refs/heads/main"))!;
      // The fork holds main's history (as a fork does) and a commit of its own.
      await forkGit.git("fetch", "--quiet", s.bitbucketGit.dir, "+refs/heads/main:refs/heads/main");
      const head = await forkGit.commit({ branch: "feature/x", parent: base });
      return { fork, head };
    }

    const send = (s: Linked, fork: Parameters<typeof stack.bitbucket.pullRequest>[2]["sourceRepo"]) =>
      stack.bitbucket.pullRequest(s.tenant, s.repo, {
        id: 7,
        action: "created",
        source: "feature/x",
        destination: "main",
        sourceRepo: fork,
      });

    it("a fork in the same workspace gets no pipeline by default, and one once the link allows forks", async () => {
      const s = await pushLinkedRepository(stack);
      const { fork, head } = await forked(s, s.tenant.workspace);
      await send(s, fork);
      await drained(stack);
      assert.equal(pipelinesOn(s, "bitbucket/pr-7").length, 0);
      assert.match(prStatuses(s, head, 7)[0]!.description ?? "", /forks are off/);

      await stack.api(s.settingsToken, "PUT", s.repo.uuid, {
        gitlabUrl: stack.gitlab.url,
        project: s.project.pathWithNamespace,
        token: s.gitlabToken,
        statusMode: "pipeline",
        pullRequestForks: true,
      });
      await s.bitbucketGit.commit({ branch: "main" });
      await stack.bitbucket.pullRequest(s.tenant, s.repo, {
        id: 7,
        action: "updated",
        source: "feature/x",
        destination: "main",
        sourceRepo: fork,
      });
      await drained(stack);
      const [pipeline] = pipelinesOn(s, "bitbucket/pr-7");
      assert.ok(pipeline, "the fork's merge result runs");
      assert.equal((await s.gitlabGit.git("rev-parse", `${pipeline.sha}^2`)).trim(), head);
    });

    it("a fork outside the workspace never runs, even with forks allowed, and its commit says why", async () => {
      const s = await pushLinkedRepository(stack);
      await stack.api(s.settingsToken, "PUT", s.repo.uuid, {
        gitlabUrl: stack.gitlab.url,
        project: s.project.pathWithNamespace,
        token: s.gitlabToken,
        statusMode: "pipeline",
        pullRequestForks: true,
      });
      const { fork, head } = await forked(s, { uuid: "{7d0b7f6e-9c51-4c1a-8f0e-2b3c4d5e6f70}", slug: "strangers" });
      await send(s, fork);
      await drained(stack);
      assert.equal(pipelinesOn(s, "bitbucket/pr-7").length, 0);
      const [status] = prStatuses(s, head, 7);
      assert.equal(status!.state, "STOPPED");
      assert.match(status!.description ?? "", /fork outside this workspace/);
    });
  });

  async function listPullRequests(s: Linked): Promise<any> {
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(s.repo.uuid)}/pullrequests`, {
      headers: { Authorization: `JWT ${s.settingsToken}` },
    });
    assert.equal(res.status, 200);
    return res.json();
  }
});

describe("pull-request pipelines: one pull request's trouble does not hold up the others of its link", function () {
  this.timeout(120_000);
  let stack: Stack;
  afterEach(async () => stack.stop());

  it("a pull request whose source branch vanished from Bitbucket fails alone: the next one in the same run gets its pipeline", async () => {
    // No worker yet: both events are stored first, so one run of the link handles both, the broken one first.
    stack = await Stack.start({ worker: false });
    const s = await pushLinkedRepository(stack);
    const base = (await s.bitbucketGit.resolve("refs/heads/main"))!;
    await s.bitbucketGit.commit({ branch: "feature/gone", parent: base });
    const feature = await s.bitbucketGit.commit({ branch: "feature/x", parent: base });
    await s.bitbucketGit.commit({ branch: "main" });
    const send = (id: number, source: string) =>
      stack.bitbucket.pullRequest(s.tenant, s.repo, { id, action: "created", source, destination: "main" });
    assert.equal((await send(1, "feature/gone")).status, 204);
    assert.equal((await send(2, "feature/x")).status, 204);
    await s.bitbucketGit.deleteRef("refs/heads/feature/gone");
    const link = (await stack.app.deps.links.forRepository(s.tenant.clientKey, s.repo.uuid))!;
    const due = await stack.app.deps.pullRequests.due(link.id);
    assert.deepEqual(
      due.map((pr) => pr.prId),
      [1, 2],
    );

    stack.app.deps.worker.start();
    const pipeline = await eventually(() => stack.gitlab.pipelines(s.project).find((p) => p.ref === "bitbucket/pr-2"), 30_000);
    assert.equal((await s.gitlabGit.git("rev-parse", `${pipeline.sha}^2`)).trim(), feature);
    assert.equal(stack.gitlab.pipelines(s.project).filter((p) => p.ref === "bitbucket/pr-1").length, 0);
  });
});

describe("pull-request pipelines without webhooks: the catch-up sweep", function () {
  this.timeout(120_000);
  let stack: Stack;
  afterEach(async () => stack.stop());

  it("posts a merge-result pipeline whose hook never came on the pull request's source head, never on the merge commit", async () => {
    stack = await Stack.start({ env: { CATCH_UP_EVERY_MS: "300", CATCH_UP_SETTLE_MS: "0", RECONCILE_EVERY_MS: "100" } });
    const s = await pushLinkedRepository(stack);
    const base = (await s.bitbucketGit.resolve("refs/heads/main"))!;
    const feature = await s.bitbucketGit.commit({ branch: "feature/x", parent: base });
    await stack.bitbucket.pullRequest(s.tenant, s.repo, { id: 2, action: "created", source: "feature/x", destination: "main" });
    const pipeline = await eventually(() => stack.gitlab.pipelines(s.project).find((p) => p.ref === "bitbucket/pr-2"), 20_000);
    stack.gitlab.setPipelineStatus(pipeline, "failed");

    const key = `gitlab:${s.project.id}:pr~2`;
    const status = await eventually(
      () => stack.bitbucket.statuses({ sha: feature }).find((st) => st.key === key && st.state === "FAILED"),
      20_000,
    );
    assert.equal(status.refname, "feature/x");
    assert.equal(stack.bitbucket.statuses({ sha: pipeline.sha }).length, 0);
  });
});

describe("pull-request pipelines and reconciliation", function () {
  this.timeout(120_000);
  let stack: Stack;
  afterEach(async () => stack.stop());

  it("a merge-result status left INPROGRESS is corrected from GitLab when no hook tells the end", async () => {
    stack = await Stack.start({ env: { RECONCILE_AFTER_MS: "1000", RECONCILE_EVERY_MS: "200" } });
    const s = await pushLinkedRepository(stack);
    const base = (await s.bitbucketGit.resolve("refs/heads/main"))!;
    const feature = await s.bitbucketGit.commit({ branch: "feature/x", parent: base });
    await stack.bitbucket.pullRequest(s.tenant, s.repo, { id: 4, action: "created", source: "feature/x", destination: "main" });
    const pipeline = await eventually(() => stack.gitlab.pipelines(s.project).find((p) => p.ref === "bitbucket/pr-4"), 20_000);
    stack.gitlab.setPipelineStatus(pipeline, "running");
    await stack.gitlab.deliver(s.project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const key = `gitlab:${s.project.id}:pr~4`;
    await eventually(
      () => stack.bitbucket.statuses({ sha: feature }).find((st) => st.key === key && st.state === "INPROGRESS"),
      20_000,
    );

    stack.gitlab.setPipelineStatus(pipeline, "success"); // and no hook
    const status = await eventually(
      () => stack.bitbucket.statuses({ sha: feature }).find((st) => st.key === key && st.state === "SUCCESSFUL"),
      20_000,
    );
    assert.equal(status.refname, "feature/x");
    assert.equal(
      stack.bitbucket.statuses({ sha: feature }).filter((st) => st.key !== key).length,
      0,
      "no status under another key",
    );
  });
});
