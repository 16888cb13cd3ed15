import assert from "node:assert/strict";
import { drained, eventually, Stack } from "../support/stack";
import { pushLinkedRepository } from "../support/push-link";

const asObject = (m: Map<string, string>) => Object.fromEntries([...m].sort());

describe("push sync: the app keeps a plain GitLab project equal to Bitbucket", function () {
  // Each sync runs a handful of git processes on each side; on a loaded machine that takes seconds.
  this.timeout(120_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  async function synced(s: Awaited<ReturnType<typeof pushLinkedRepository>>, change: { branch?: string; tag?: string }) {
    await stack.bitbucket.pushed(s.tenant, s.repo, change);
    await drained(stack);
    return (await stack.api(s.settingsToken, "GET", s.repo.uuid)).body.link;
  }

  it("after a branch is created, fast-forwarded, force-pushed, tagged and deleted, GitLab's refs equal Bitbucket's each time", async () => {
    const s = await pushLinkedRepository(stack);
    assert.equal(s.link.sync, "push");
    const equal = async () => assert.deepEqual(asObject(await s.gitlabGit.refs()), asObject(await s.bitbucketGit.refs()));

    await synced(s, { branch: "main" });
    await equal();
    const base = await s.bitbucketGit.commit({ branch: "feature/x" });
    await synced(s, { branch: "feature/x" });
    await equal();
    await s.bitbucketGit.commit({ branch: "feature/x" });
    await synced(s, { branch: "feature/x" });
    await equal();
    await s.bitbucketGit.commit({ branch: "feature/x", parent: base, message: "rewritten" });
    await synced(s, { branch: "feature/x" });
    await equal();
    await s.bitbucketGit.tag("v1.0", base);
    await synced(s, { tag: "v1.0" });
    await equal();
    await s.bitbucketGit.deleteRef("refs/heads/feature/x");
    const view = await synced(s, { branch: "feature/x" });
    await equal();
    assert.deepEqual(view.lastSync.deleted, ["feature/x"]);
    assert.equal(view.lastSync.error, null);
  });

  it("a push that updates 6 refs gives each of them exactly one pipeline, and GitLab's own push pipelines are skipped", async () => {
    const s = await pushLinkedRepository(stack);
    await synced(s, { branch: "main" });
    const before = stack.gitlab.pipelines(s.project).length;
    for (const b of ["b1", "b2", "b3", "b4", "b5"]) await s.bitbucketGit.commit({ branch: b });
    await s.bitbucketGit.commit({ branch: "main" });
    await synced(s, { branch: "main" });
    const made = stack.gitlab.pipelines(s.project).slice(before);
    assert.deepEqual(made.map((p) => p.ref).sort(), ["b1", "b2", "b3", "b4", "b5", "main"]);
    const refs = await s.bitbucketGit.refs();
    for (const p of made) assert.equal(p.sha, refs.get(`refs/heads/${p.ref}`));
    assert.ok(stack.gitlab.pushes(s.project).every((p) => p.options.includes("ci.skip")));
  });

  it("a burst of 10 push events folds into a few syncs that end at Bitbucket's latest commit, with one or two pipelines", async () => {
    const s = await pushLinkedRepository(stack);
    await synced(s, { branch: "main" });
    const [link] = await stack.app.deps.sequelize.query<{ id: string }>("SELECT id FROM links", { type: "SELECT" as never });
    const syncsOf = async () => (await stack.app.deps.events.forLink(link!.id)).filter((e) => e.kind === "push-refs").length;
    const syncsBefore = await syncsOf();
    const pushesBefore = stack.gitlab.pushes(s.project).length;
    const pipelinesBefore = stack.gitlab.pipelines(s.project).length;
    // Ten pushes in quick succession, their events arriving as fast as the app takes them. The first starts
    // a sync at once (no debounce); the rest fold into the one waiting behind it.
    let latest = "";
    for (let i = 0; i < 10; i++) latest = await s.bitbucketGit.commit({ branch: "main", message: `burst ${i}` });
    for (let i = 0; i < 10; i++) await stack.bitbucket.pushed(s.tenant, s.repo, { branch: "main" });
    await drained(stack);

    assert.equal((await s.gitlabGit.refs()).get("refs/heads/main"), latest);
    const syncs = (await syncsOf()) - syncsBefore;
    assert.ok(syncs >= 1 && syncs <= 3, `${syncs} syncs for 10 push events`);
    assert.ok(stack.gitlab.pushes(s.project).length - pushesBefore <= 2);
    const made = stack.gitlab.pipelines(s.project).slice(pipelinesBefore);
    assert.ok(made.length >= 1 && made.length <= 2, `${made.length} pipelines`);
    assert.equal(made.at(-1)!.sha, latest);
  });

  it("a push event's sync pushes without listing GitLab's refs first; Sync now lists them", async () => {
    const s = await pushLinkedRepository(stack);
    await synced(s, { branch: "main" });
    const fetchesFromGitLab = () => stack.gitlab.apiCalls.filter((c) => c.path.endsWith("/git-upload-pack")).length;
    const before = fetchesFromGitLab();
    await s.bitbucketGit.commit({ branch: "main" });
    const view = await synced(s, { branch: "main" });
    assert.deepEqual(view.lastSync.pushed, ["main"]);
    // `git ls-remote` (protocol v2) posts to git-upload-pack; `git push` only reads receive-pack's advertisement.
    assert.equal(fetchesFromGitLab(), before, "a push event's sync ran no ls-remote on GitLab");

    await s.bitbucketGit.commit({ branch: "main" });
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(s.repo.uuid)}/sync`, {
      method: "POST",
      headers: { Authorization: `JWT ${s.settingsToken}` },
    });
    assert.equal(res.status, 202);
    await drained(stack);
    assert.ok(fetchesFromGitLab() > before, "Sync now compares with GitLab's listed refs");
    assert.equal((await s.gitlabGit.refs()).get("refs/heads/main"), (await s.bitbucketGit.refs()).get("refs/heads/main"));
  });

  it("a pushed commit's pipeline result comes back to Bitbucket as a build status", async () => {
    const s = await pushLinkedRepository(stack);
    await synced(s, { branch: "main" });
    const pipeline = stack.gitlab.pipelines(s.project).at(-1)!;
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(s.project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const [status] = await eventually(() => {
      const found = stack.bitbucket.statuses({ sha: pipeline.sha });
      return found.length ? found : null;
    });
    assert.equal(status!.state, "SUCCESSFUL");
    assert.equal(status!.refname, "main");
  });

  it("branches created in GitLab itself and the app's reserved bitbucket/ refs survive a sync", async () => {
    const s = await pushLinkedRepository(stack);
    await synced(s, { branch: "main" });
    await s.gitlabGit.commit({ branch: "made-in-gitlab" });
    await s.gitlabGit.commit({ branch: "bitbucket/pr-1" });
    await s.bitbucketGit.commit({ branch: "main" });
    await synced(s, { branch: "main" });
    const gitlab = await s.gitlabGit.refs();
    assert.ok(gitlab.has("refs/heads/made-in-gitlab"));
    assert.ok(gitlab.has("refs/heads/bitbucket/pr-1"));
    assert.equal(gitlab.get("refs/heads/main"), (await s.bitbucketGit.refs()).get("refs/heads/main"));
  });

  it("a refused GitLab token shows in link.lastSync, and the next push after a new token catches up", async () => {
    const s = await pushLinkedRepository(stack);
    stack.gitlab.revokeToken(s.gitlabToken);
    const failed = await synced(s, { branch: "main" });
    assert.match(failed.lastSync.error, /credentials were refused/);
    assert.equal((await s.gitlabGit.refs()).size, 0);

    const fresh = stack.gitlab.addToken(s.user, { scopes: ["api"] });
    const relinked = await stack.api(s.settingsToken, "PUT", s.repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: s.project.pathWithNamespace,
      token: fresh,
      statusMode: "pipeline",
    });
    assert.equal(relinked.body.link.sync, "push");
    const recovered = await synced(s, { branch: "main" });
    assert.equal(recovered.lastSync.error, null);
    assert.deepEqual(asObject(await s.gitlabGit.refs()), asObject(await s.bitbucketGit.refs()));
  });
});
