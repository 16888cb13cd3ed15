import assert from "node:assert/strict";
import { linkPath } from "../support/forge-world";
import { eventually, Stack } from "../support/stack";

// Found by the review of this round's merges: a Forge link has no repository full name until something
// reads it from Bitbucket, and the merge-result run required one, so every pull request failed until a
// push sync had happened ("re-save the link", which a Forge page cannot help with).
describe("pull-request pipelines through the Forge door", function () {
  this.timeout(120_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start({ forge: true })));
  afterEach(async () => stack.stop());

  it("a Forge link's first pull request gets its merge-result pipeline before any push sync ran", async () => {
    const forge = stack.forge!;
    const install = await forge.install(stack.app.url);
    const repo = stack.bitbucket.addRepository({ workspace: stack.bitbucket.workspace(`{${install.workspaceId}}`) }, "widgets");
    const git = await stack.bitbucket.git(repo);
    const base = await git.commit({ branch: "main" });
    const feature = await git.commit({ branch: "feature/x", parent: base });
    const user = stack.gitlab.addUser("ci-bot");
    const token = stack.gitlab.addToken(user, { scopes: ["api", "write_repository"] });
    const project = stack.gitlab.addProject("acme/widgets", { premium: false });
    stack.gitlab.addMember(project, user, 40);
    const body = { gitlabUrl: stack.gitlab.url, project: project.pathWithNamespace, token, statusMode: "pipeline", sync: "push" };
    const linked = await forge.ui(stack.app.url, install, "PUT", linkPath(repo.uuid), body, { repoUuid: repo.uuid });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));

    const event = forge.pullRequestEvent(install, repo.uuid, {
      id: 3,
      action: "created",
      source: "feature/x",
      destination: "main",
      sourceCommit: feature,
      destinationCommit: base,
    });
    const accepted = await forge.invoke(stack.app.url, "/forge/events/pullrequest", install, event);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    await eventually(() => stack.gitlab.pipelines(project).find((p) => p.ref === "bitbucket/pr-3"), 30_000);
  });
});
