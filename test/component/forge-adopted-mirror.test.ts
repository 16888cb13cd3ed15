import assert from "node:assert/strict";
import type { SimProject } from "../../sim/gitlab-sim";
import { linkPath } from "../support/forge-world";
import { drained, eventually, Stack } from "../support/stack";

// Issue 11, item 8: a link the Connect edition made with a pull mirror of its own (the app created the GitLab
// project and feeds its mirror repository-bound tokens) keeps working once the Forge installation adopts it,
// and the Forge app's workspace-wide system token never becomes the mirror's credential.
describe("a pull mirror the Connect edition created, after the Forge installation adopted its link", function () {
  this.timeout(60_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start({ forge: true })));
  afterEach(async () => stack.stop());

  const tokenInClone = (project: SimProject) => decodeURIComponent(new URL(project.importUrl!).password);

  async function adoptedMirror() {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const ada = stack.gitlab.addUser("ada", "Ada Lovelace");
    const group = stack.gitlab.addGroup("acme");
    stack.gitlab.addGroupMember(group, ada, 40);
    const settingsToken = await stack.settingsToken(tenant, repo);
    const created = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/project`, {
      method: "POST",
      headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        gitlabUrl: stack.gitlab.url,
        token: stack.gitlab.addToken(ada),
        namespaceId: group.id,
        projectName: "widgets",
        statusMode: "pipeline",
      }),
    });
    assert.equal(created.status, 201, await created.text());
    const project = stack.gitlab.project("acme/widgets")!;
    await drained(stack);

    const forge = stack.forge!;
    const install = await forge.install(stack.app.url, { workspaceUuid: tenant.workspace.uuid });
    const page = await forge.ui(stack.app.url, install, "GET", linkPath(repo.uuid), undefined, { repoUuid: repo.uuid });
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assert.equal(page.body.link.mirrorManaged, true);
    return { tenant, repo, project, install };
  }

  it("has the Connect tenant feed the mirror while it is installed, never the Forge system token", async () => {
    const { tenant, repo, project, install } = await adoptedMirror();
    const forge = stack.forge!;
    const triggers = stack.gitlab.mirrorTriggers(project).length;
    const tokensBefore = stack.bitbucket.accessTokens().length;

    const pushed = await forge.sendPush(stack.app.url, install, forge.pushEvent(install, repo.uuid));
    assert.equal(pushed.body.outcome, "accepted");
    await eventually(() => stack.gitlab.mirrorTriggers(project).length > triggers);

    const renewed = tokenInClone(project);
    assert.notEqual(renewed, install.systemToken, "the system token went to GitLab");
    assert.ok(stack.bitbucket.isValidAccessToken(renewed), "GitLab holds a token Bitbucket issued");
    const minted = stack.bitbucket.accessTokens().slice(tokensBefore);
    assert.ok(minted.length >= 1, "no fresh repository-bound token was minted");
    assert.ok(
      minted.every((t) => t.clientKey === tenant.clientKey),
      "minted by the Connect tenant that made the mirror",
    );
  });

  it("says to switch to push sync once the Connect edition is gone, and still never hands GitLab the system token", async () => {
    const { tenant, repo, project, install } = await adoptedMirror();
    const forge = stack.forge!;
    assert.equal((await stack.bitbucket.uninstall(tenant)).status, 204);
    const held = tokenInClone(project);

    const pushed = await forge.sendPush(stack.app.url, install, forge.pushEvent(install, repo.uuid));
    assert.equal(pushed.body.outcome, "accepted");
    await drained(stack);

    assert.equal(tokenInClone(project), held, "GitLab's mirror credentials were changed");
    const health = await forge.ui(stack.app.url, install, "GET", linkPath(repo.uuid), undefined, { repoUuid: repo.uuid });
    assert.equal(health.status, 200);
    assert.match(JSON.stringify(health.body), /push sync/);
  });
});
