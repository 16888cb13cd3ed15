import assert from "node:assert/strict";
import { drained, eventually, Stack } from "../support/stack";

// Issue 15, item 8: in a namespace on GitLab Free the page offers push sync instead of a pull mirror GitLab
// would not make; the project is then created empty and the app pushes the repository to it.
describe("creating a push-sync project (a namespace without Premium)", function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  it("creates an empty project without mirror fields or a Bitbucket token, links it in push mode and fills it", async () => {
    const tenant = await stack.install();
    const tokensAtInstall = stack.bitbucket.accessTokens().length;
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const main = await (await stack.bitbucket.git(repo)).commit({ branch: "main" });
    const ada = stack.gitlab.addUser("ada", "Ada Lovelace");
    const token = stack.gitlab.addToken(ada, { scopes: ["api", "write_repository"] });
    const free = stack.gitlab.addGroup("free-tier", { premium: false });
    stack.gitlab.addGroupMember(free, ada, 40);
    const settingsToken = await stack.settingsToken(tenant, repo);

    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/project`, {
      method: "POST",
      headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ gitlabUrl: stack.gitlab.url, token, namespaceId: free.id, projectName: "widgets", sync: "push" }),
    });
    const body = (await res.json()) as any;
    assert.equal(res.status, 201, JSON.stringify(body));
    assert.equal(body.link.sync, "push");
    assert.equal(body.link.mirrorManaged, false);
    assert.equal(body.warning, undefined, "nothing GitLab ignored: no mirror was asked for");
    const project = stack.gitlab.project("free-tier/widgets")!;
    assert.equal(project.mirror, false);
    assert.equal(project.importUrl ?? null, null, "GitLab holds no clone URL");
    assert.equal(stack.bitbucket.accessTokens().length, tokensAtInstall, "no Bitbucket token went to GitLab");

    // The first push sync is queued with the link: GitLab has the repository without waiting for a push.
    await drained(stack);
    const gitlabGit = await stack.gitlab.git(project);
    await eventually(async () => (await gitlabGit.refs()).get("refs/heads/main") === main);
    // One sync, asked for by the person who created the project: no push event woke it.
    await drained(stack);
    const link = (await stack.api(settingsToken, "GET", repo.uuid)).body.link;
    assert.deepEqual([link.lastSync.via, link.lastSync.pushed], ["manual", ["main"]]);
    const [{ id }] = await stack.app.deps.sequelize.query<{ id: string }>("SELECT id FROM links", { type: "SELECT" as never });
    const syncs = (await stack.app.deps.events.forLink(id!)).filter((e) => e.kind === "push-refs");
    assert.equal(syncs.length, 1, JSON.stringify(syncs.map((e) => e.summary)));
  });

  it("refuses an unknown sync value with a JSON 400 and creates nothing", async () => {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const ada = stack.gitlab.addUser("ada");
    const free = stack.gitlab.addGroup("free-tier", { premium: false });
    stack.gitlab.addGroupMember(free, ada, 40);
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/project`, {
      method: "POST",
      headers: { Authorization: `JWT ${await stack.settingsToken(tenant, repo)}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        gitlabUrl: stack.gitlab.url,
        token: stack.gitlab.addToken(ada),
        namespaceId: free.id,
        projectName: "widgets",
        sync: "both",
      }),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.code, "invalid_request");
    assert.equal(stack.gitlab.project("free-tier/widgets"), undefined);
  });
});
