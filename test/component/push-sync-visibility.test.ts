import assert from "node:assert/strict";
import { Stack } from "../support/stack";

describe("the health check warns when a private repository's code is readable in GitLab", () => {
  let stack: Stack;
  before(async () => (stack = await Stack.start({ worker: false })));
  after(async () => stack.stop());

  async function healthOf(visibility: "private" | "internal" | "public", repoPrivate: boolean) {
    const tenant = await stack.install(`ws-${visibility}-${repoPrivate}`);
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    repo.isPrivate = repoPrivate;
    const user = stack.gitlab.addUser(`bot-${visibility}-${repoPrivate}`);
    const token = stack.gitlab.addToken(user, { scopes: ["api"] });
    const project = stack.gitlab.addProject(`acme-${visibility}-${repoPrivate}/widgets`, { premium: false, visibility });
    stack.gitlab.addMember(project, user, 40);
    const settingsToken = await stack.settingsToken(tenant, repo);
    const linked = await stack.api(settingsToken, "PUT", repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: project.pathWithNamespace,
      token,
      statusMode: "pipeline",
    });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/health`, {
      headers: { Authorization: `JWT ${settingsToken}` },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as any).health.visibility;
  }

  it("a public or internal GitLab project of a private repository is warned about, in plain words", async () => {
    const pub = await healthOf("public", true);
    assert.equal(pub.gitlab, "public");
    assert.equal(pub.bitbucketPrivate, true);
    assert.match(pub.warning, /is public in GitLab while this repository is private on Bitbucket: anyone can read its code/);
    const internal = await healthOf("internal", true);
    assert.match(internal.warning, /every signed-in user of that GitLab/);
  });

  it("no warning for a private GitLab project, nor for a public repository", async () => {
    assert.equal((await healthOf("private", true)).warning, null);
    assert.equal((await healthOf("public", false)).warning, null);
  });
});
