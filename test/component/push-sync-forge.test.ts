import assert from "node:assert/strict";
import { linkPath } from "../support/forge-world";
import { drained, Stack } from "../support/stack";

const asObject = (m: Map<string, string>) => Object.fromEntries([...m].sort());

describe("push sync through the Forge door", function () {
  this.timeout(120_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start({ forge: true })));
  afterEach(async () => stack.stop());

  /** A Forge installation, a repository with a commit, and a plain GitLab project linked with sync "push". */
  async function forgePushLink() {
    const forge = stack.forge!;
    const install = await forge.install(stack.app.url);
    assert.equal(install.status, 200);
    const repo = stack.bitbucket.addRepository({ workspace: stack.bitbucket.workspace(`{${install.workspaceId}}`) }, "widgets");
    const bitbucketGit = await stack.bitbucket.git(repo);
    await bitbucketGit.commit({ branch: "main" });
    const user = stack.gitlab.addUser("ci-bot");
    const token = stack.gitlab.addToken(user, { scopes: ["api", "write_repository"] });
    const project = stack.gitlab.addProject("acme/widgets", { premium: false });
    stack.gitlab.addMember(project, user, 40);
    const body = { gitlabUrl: stack.gitlab.url, project: project.pathWithNamespace, token, statusMode: "pipeline", sync: "push" };
    const linked = await forge.ui(stack.app.url, install, "PUT", linkPath(repo.uuid), body, { repoUuid: repo.uuid });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal(linked.body.link.sync, "push");
    return { forge, install, repo, bitbucketGit, project, gitlabGit: await stack.gitlab.git(project) };
  }

  let stamp = 0;
  const pushEvent = (s: Awaited<ReturnType<typeof forgePushLink>>, ref: string, after: string) => {
    const event = s.forge.pushEvent(s.install, s.repo.uuid, { ref, after, before: undefined, created: true, closed: false });
    event.timestamp = new Date(Date.UTC(2026, 11, 1, 12, 0, stamp++)).toISOString();
    return event;
  };

  it("a Forge push event syncs the refs with the app system token, reading the repository's full name once", async () => {
    const s = await forgePushLink();
    const main = (await s.bitbucketGit.refs()).get("refs/heads/main")!;
    const reply = await s.forge.sendPush(stack.app.url, s.install, pushEvent(s, "main", main));
    assert.equal(reply.status, 200);
    await drained(stack);
    assert.deepEqual(asObject(await s.gitlabGit.refs()), asObject(await s.bitbucketGit.refs()));
    const made = stack.gitlab.pipelines(s.project);
    assert.deepEqual(
      made.map((p) => [p.ref, p.sha]),
      [["main", main]],
    );

    const feature = await s.bitbucketGit.commit({ branch: "feature/y" });
    await s.forge.sendPush(stack.app.url, s.install, pushEvent(s, "feature/y", feature));
    await drained(stack);
    assert.equal((await s.gitlabGit.refs()).get("refs/heads/feature/y"), feature);

    const bare = s.repo.uuid.replace(/[{}]/g, "");
    const repoReads = stack.bitbucket.apiCalls.filter(
      (c) => c.method === "GET" && c.path.includes(bare) && !c.path.includes("/commit/"),
    );
    assert.equal(repoReads.length, 1, `the repository is read once: ${JSON.stringify(repoReads)}`);
    const { body } = await s.forge.ui(stack.app.url, s.install, "GET", linkPath(s.repo.uuid), undefined, {
      repoUuid: s.repo.uuid,
    });
    assert.equal(body.link.lastSync.error, null);
    assert.deepEqual(body.link.lastSync.pushed, ["feature/y"]);
    assert.equal(body.link.lastSync.via, "push");
  });
});
