import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cloneUrl, withToken } from "../../src/links/mirror-credentials";
import { drained, eventually, Stack } from "../support/stack";

describe("the Bitbucket token GitLab holds for a mirror the app created", function () {
  this.timeout(30_000);
  let stack: Stack;
  afterEach(async () => stack?.stop());

  /** Acme's workspace with two repositories; the app creates and links a GitLab mirror of "widgets" only. */
  async function created() {
    stack = await Stack.start();
    const tenant = await stack.install();
    const widgets = stack.bitbucket.addRepository(tenant, "widgets");
    const secrets = stack.bitbucket.addRepository(tenant, "secrets");
    const ada = stack.gitlab.addUser("ada", "Ada Lovelace");
    const adaToken = stack.gitlab.addToken(ada);
    const acme = stack.gitlab.addGroup("acme");
    stack.gitlab.addGroupMember(acme, ada, 30);
    const settingsToken = await stack.settingsToken(tenant, widgets);
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(widgets.uuid)}/project`, {
      method: "POST",
      headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ gitlabUrl: stack.gitlab.url, token: adaToken, namespaceId: acme.id, projectName: "widgets" }),
    });
    assert.equal(res.status, 201, await res.text());
    const project = stack.gitlab.project("acme/widgets")!;
    const held = decodeURIComponent(new URL(project.importUrl!).password);
    return { tenant, widgets, secrets, settingsToken, project, held };
  }

  const rest = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${stack.bitbucket.apiBaseUrl}/2.0${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  it("opens its own repository and no other of the workspace, by git or by REST, and only to read", async () => {
    const { tenant, widgets, secrets, held } = await created();
    const issued = stack.bitbucket.accessTokens().find((t) => t.token === held)!;
    assert.equal(issued.repository, widgets.uuid, "minted with bitbucket_repository");

    assert.equal(stack.bitbucket.checkCloneUrl(withToken(cloneUrl(stack.bitbucket.baseUrl, widgets.fullName), held)), null);
    assert.match(
      stack.bitbucket.checkCloneUrl(withToken(cloneUrl(stack.bitbucket.baseUrl, secrets.fullName), held)) ?? "",
      /Repository not found/,
    );

    const sha = randomBytes(20).toString("hex");
    const statuses = (repoUuid: string) =>
      `/repositories/${encodeURIComponent(tenant.workspace.uuid)}/${encodeURIComponent(repoUuid)}/commit/${sha}/statuses`;
    assert.equal((await rest("GET", statuses(widgets.uuid), held)).status, 200);
    assert.equal((await rest("GET", statuses(secrets.uuid), held)).status, 404);
    const write = await rest("POST", `${statuses(widgets.uuid)}/build`, held, {
      key: "k",
      state: "SUCCESSFUL",
      url: "https://x.example/1",
    });
    assert.equal(write.status, 403);
    assert.equal(stack.bitbucket.statuses({ sha }).length, 0);
  });

  it("is no longer renewed once the repository is unlinked: no push nor idle renewal sends GitLab credentials", async () => {
    const { tenant, widgets, settingsToken, project } = await created();
    await stack.bitbucket.push(tenant, widgets, { branch: "main" });
    const put = () =>
      stack.gitlab.apiCalls.filter((c) => c.method === "PUT" && c.path.endsWith(`/projects/${project.id}/mirror/pull`));
    await eventually(() => put().length >= 1);
    await drained(stack);

    assert.equal((await stack.api(settingsToken, "DELETE", widgets.uuid)).status, 204);
    const before = put().length;
    const minted = stack.bitbucket.accessTokens().length;
    await stack.bitbucket.push(tenant, widgets, { branch: "main" });
    assert.equal(await stack.app.reconciler.renewMirrorCredentials(Date.now() + 91 * 60_000), 0);
    await drained(stack);
    assert.equal(put().length, before, "GitLab was sent new credentials after the unlink");
    assert.equal(stack.bitbucket.accessTokens().length, minted, "a token was minted after the unlink");
  });
});
