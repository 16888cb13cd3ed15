import assert from "node:assert/strict";
import type { SimTenant } from "../../sim/bitbucket-sim";
import { eventually, Stack } from "../support/stack";

type Reply = { status: number; body: any };

// Issue 15, items 9–11: one clock for "last delivery received", the workspace page's list of linked
// repositories, the settings page's read of an unlinked repository, and the page at GET /.
describe("settings, second pass", function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  async function call(token: string, method: string, path: string): Promise<Reply> {
    const res = await fetch(`${stack.app.url}${path}`, { method, headers: { Authorization: `JWT ${token}` } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  async function workspaceToken(tenant: SimTenant): Promise<string> {
    const html = await (await fetch(stack.bitbucket.workspacePageUrl(tenant))).text();
    return /<meta name="token" content="([^"]+)"/.exec(html)![1]!;
  }
  const repoApi = (uuid: string, route: string) => `/api/repositories/${encodeURIComponent(uuid)}/${route}`;

  it("GET / says what this is and links the descriptor and health, as HTML", async () => {
    const res = await fetch(`${stack.app.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    const html = await res.text();
    assert.match(html, /GitLab CI for Bitbucket/);
    assert.match(html, /href="\/atlassian-connect\.json"/);
    assert.match(html, /href="\/healthz"/);
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  });

  it("an unlinked repository reads as 200 {link: null} from link-state, while GET link keeps the contract's 404", async () => {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const token = await stack.settingsToken(tenant, repo);
    assert.deepEqual(await call(token, "GET", repoApi(repo.uuid, "link-state")), { status: 200, body: { link: null } });
    const contract = await call(token, "GET", repoApi(repo.uuid, "link"));
    assert.equal(contract.status, 404);
    assert.equal(contract.body.error.code, "not_linked");
  });

  it("link-state of a linked repository is the link view GET link gives", async () => {
    const { repo, settingsToken } = await stack.linkedRepository();
    const state = await call(settingsToken, "GET", repoApi(repo.uuid, "link-state"));
    const link = await call(settingsToken, "GET", repoApi(repo.uuid, "link"));
    assert.equal(state.status, 200);
    assert.deepEqual(state.body, link.body);
  });

  it("'last delivery received' is the time of the newest hook in Recent activity, not a minute-old copy", async () => {
    const { tenant, repo, project, settingsToken } = await stack.linkedRepository();
    const sha = "c".repeat(40);
    const first = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(first, "running");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(first));
    await eventually(async () => (await call(settingsToken, "GET", repoApi(repo.uuid, "events"))).body.events.length >= 1);
    // Intake notes a hook on the link at most once a minute: a second hook within it leaves the column as it was.
    stack.gitlab.setPipelineStatus(first, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(first));
    const events = await eventually(async () => {
      const e = (await call(settingsToken, "GET", repoApi(repo.uuid, "events"))).body.events;
      return e.length >= 2 ? e : null;
    });
    const column = (await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid))!.webhookLastReceivedAt;
    const newestHook = Date.parse(events.find((e: any) => e.kind === "status-sync").at);
    assert.ok(column !== null && column < newestHook, "the stored column lags the activity (the case the issue saw)");

    const shown = (await call(settingsToken, "GET", repoApi(repo.uuid, "link"))).body.link.webhookLastReceivedAt;
    assert.equal(Date.parse(shown), newestHook);
  });

  it("the workspace page lists each linked repository with its state and a link to its settings page", async () => {
    const { tenant, repo } = await stack.linkedRepository();
    const other = stack.bitbucket.addRepository(tenant, "gadgets"); // not linked: not listed
    assert.ok(other);
    const r = await call(await workspaceToken(tenant), "GET", "/api/workspace/repositories");
    assert.equal(r.status, 200);
    assert.equal(r.body.repositories.length, 1);
    const [listed] = r.body.repositories;
    assert.equal(listed.repoUuid, repo.uuid);
    assert.equal(listed.repoFullName, repo.fullName);
    assert.equal(listed.projectPath, "acme/widgets");
    assert.equal(listed.state, "waiting");
    assert.match(listed.summary, /first webhook delivery/);
    assert.equal(
      listed.settingsUrl,
      `${stack.bitbucket.baseUrl}/${repo.fullName}/admin/addon/admin/gitlab-ci-for-bitbucket/repository-settings`,
    );
  });

  it("the list says when a repository's GitLab host is not allowed", async () => {
    const { tenant } = await stack.linkedRepository();
    const ws = await workspaceToken(tenant);
    const put = await fetch(`${stack.app.url}/api/workspace/settings`, {
      method: "PUT",
      headers: { Authorization: `JWT ${ws}`, "Content-Type": "application/json" },
      body: JSON.stringify({ allowedGitLabHosts: ["gitlab.example.com"] }),
    });
    assert.equal(put.status, 200);
    const [listed] = (await call(ws, "GET", "/api/workspace/repositories")).body.repositories;
    assert.equal(listed.state, "failing");
    assert.match(listed.summary, /not an allowed GitLab host/);
  });
});
