import assert from "node:assert/strict";
import type { SimTenant } from "../../sim/bitbucket-sim";
import { pushLinkedRepository } from "../support/push-link";
import { drained, eventually, Stack } from "../support/stack";

type Reply = { status: number; body: any };

// Issue 15, item 12: a workspace admin lists the GitLab hosts its repositories may send code and tokens
// to; linking elsewhere is refused, and so is every GitLab call and git command for a link on another host.
describe("a workspace's allowed GitLab hosts", function () {
  this.timeout(60_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  async function call(token: string, method: string, path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${stack.app.url}${path}`, {
      method,
      headers: { Authorization: `JWT ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function workspaceToken(tenant: SimTenant): Promise<string> {
    const html = await (await fetch(stack.bitbucket.workspacePageUrl(tenant))).text();
    return /<meta name="token" content="([^"]+)"/.exec(html)![1]!;
  }

  const simHost = () => new URL(stack.gitlab.url).host; // 127.0.0.1:<port>
  const allow = async (tenant: SimTenant, hosts: string[] | null) => {
    const r = await call(await workspaceToken(tenant), "PUT", "/api/workspace/settings", { allowedGitLabHosts: hosts });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const events = async (settingsToken: string, repoUuid: string) =>
    (await call(settingsToken, "GET", `/api/repositories/${encodeURIComponent(repoUuid)}/events`)).body.events as any[];

  describe("the workspace API", () => {
    it("allows any host until a list is saved; saves a list checked, lower-cased and de-duplicated", async () => {
      const tenant = await stack.install();
      const ws = await workspaceToken(tenant);
      const first = await call(ws, "GET", "/api/workspace/settings");
      assert.equal(first.status, 200);
      assert.equal(first.body.settings.allowedGitLabHosts, null);

      const saved = await allow(tenant, ["GitLab.Example.com", "gitlab.example.com", "*.corp.example", "git.example.org:8443"]);
      assert.deepEqual(saved.settings.allowedGitLabHosts, ["gitlab.example.com", "*.corp.example", "git.example.org:8443"]);
      assert.deepEqual(
        (await call(ws, "GET", "/api/workspace/settings")).body.settings.allowedGitLabHosts,
        saved.settings.allowedGitLabHosts,
      );

      assert.equal((await allow(tenant, null)).settings.allowedGitLabHosts, null);
    });

    it("refuses an entry that is not a host, or an empty list, with a JSON 400 naming the field, and keeps the list", async () => {
      const tenant = await stack.install();
      const ws = await workspaceToken(tenant);
      await allow(tenant, ["gitlab.example.com"]);
      for (const hosts of [
        ["https://gitlab.example.com/"],
        ["gitlab.example.com/path"],
        ["user@gitlab.example.com"],
        [],
        [" "],
      ]) {
        const r = await call(ws, "PUT", "/api/workspace/settings", { allowedGitLabHosts: hosts });
        assert.equal(r.status, 400, JSON.stringify(hosts));
        assert.equal(r.body.error.code, "invalid_request");
        assert.ok(r.body.error.fields.allowedGitLabHosts, JSON.stringify(r.body));
      }
      assert.deepEqual((await call(ws, "GET", "/api/workspace/settings")).body.settings.allowedGitLabHosts, [
        "gitlab.example.com",
      ]);
    });

    it("a repository's settings token cannot change the workspace's list", async () => {
      const tenant = await stack.install();
      const repo = stack.bitbucket.addRepository(tenant, "widgets");
      const r = await call(await stack.settingsToken(tenant, repo), "PUT", "/api/workspace/settings", { allowedGitLabHosts: [] });
      assert.ok(r.status === 401 || r.status === 403, String(r.status));
    });
  });

  describe("linking", () => {
    it("refuses to link a project on a host the list leaves out, before any call to that GitLab, and stores nothing", async () => {
      const tenant = await stack.install();
      const repo = stack.bitbucket.addRepository(tenant, "widgets");
      const ada = stack.gitlab.addUser("ada");
      const token = stack.gitlab.addToken(ada);
      const project = stack.gitlab.addProject("acme/widgets", { mirror: true });
      stack.gitlab.addMember(project, ada, 40);
      await allow(tenant, ["gitlab.example.com"]);
      const settingsToken = await stack.settingsToken(tenant, repo);
      const before = stack.gitlab.apiCalls.length;

      const body = { gitlabUrl: stack.gitlab.url, project: "acme/widgets", token, statusMode: "pipeline" };
      const refused = await stack.api(settingsToken, "PUT", repo.uuid, body);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, "invalid_request");
      assert.match(refused.body.error.message, /allows GitLab only at gitlab\.example\.com; 127\.0\.0\.1:\d+ is not one of them/);
      assert.ok(refused.body.error.fields.gitlabUrl);
      assert.equal(stack.gitlab.apiCalls.length, before, "no call reached the GitLab the workspace does not allow");
      assert.equal((await stack.api(settingsToken, "GET", repo.uuid)).status, 404);

      // The token check and project creation are refused the same way.
      const check = await call(settingsToken, "POST", `/api/repositories/${encodeURIComponent(repo.uuid)}/gitlab/check`, {
        gitlabUrl: stack.gitlab.url,
        token,
      });
      assert.equal(check.status, 400);
      const created = await call(settingsToken, "POST", `/api/repositories/${encodeURIComponent(repo.uuid)}/project`, {
        gitlabUrl: stack.gitlab.url,
        token,
        namespaceId: 1,
        projectName: "widgets",
        statusMode: "pipeline",
      });
      assert.equal(created.status, 400);
      assert.match(created.body.error.message, /is not one of them/);
      assert.equal(stack.gitlab.apiCalls.length, before);

      await allow(tenant, ["gitlab.example.com", simHost()]);
      assert.equal((await stack.api(settingsToken, "PUT", repo.uuid, body)).status, 200);
    });

    it("refuses to store a workspace default token for a host the list leaves out", async () => {
      const tenant = await stack.install();
      const ada = stack.gitlab.addUser("ada");
      await allow(tenant, ["*.example.com"]);
      const r = await call(await workspaceToken(tenant), "PUT", "/api/workspace/defaults", {
        gitlabUrl: stack.gitlab.url,
        token: stack.gitlab.addToken(ada),
      });
      assert.equal(r.status, 400);
      assert.match(r.body.error.message, /is not one of them/);
    });
  });

  describe("every call for a link made before the list", () => {
    it("a push's mirror trigger is given up at once with the reason, and GitLab is not called", async () => {
      const { tenant, repo, project, settingsToken } = await stack.linkedRepository();
      const listed = await allow(tenant, ["gitlab.example.com"]);
      assert.deepEqual(
        listed.linksOutsideHosts.map((l: any) => l.repoUuid),
        [repo.uuid],
        "the page names the repositories the list leaves out",
      );
      const before = stack.gitlab.apiCalls.length;

      await stack.bitbucket.push(tenant, repo, { branch: "main" });
      const failed = await eventually(async () => (await events(settingsToken, repo.uuid)).find((e) => e.outcome === "failed"));
      assert.equal(failed.kind, "mirror-trigger");
      assert.match(failed.summary, /allows GitLab only at gitlab\.example\.com; 127\.0\.0\.1:\d+ is not one of them/);
      assert.equal((await events(settingsToken, repo.uuid)).filter((e) => e.outcome === "retry").length, 0, "not retried");
      assert.equal(stack.gitlab.mirrorTriggers(project).length, 0);
      assert.equal(stack.gitlab.apiCalls.length, before, "no GitLab API call for this workspace");
    });

    it("a GitLab hook's status sync is given up and nothing is read from GitLab or posted to Bitbucket", async () => {
      const { tenant, repo, project, settingsToken } = await stack.linkedRepository();
      const sha = "a".repeat(40);
      const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
      stack.gitlab.setPipelineStatus(pipeline, "success");
      await allow(tenant, ["gitlab.example.com"]);
      const before = stack.gitlab.apiCalls.length;

      const delivered = await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
      assert.equal(delivered[0]!.status, 200, "the hook itself is accepted: refusing it would make GitLab disable the hook");
      const failed = await eventually(async () => (await events(settingsToken, repo.uuid)).find((e) => e.outcome === "failed"));
      assert.equal(failed.kind, "status-sync");
      assert.match(failed.summary, /is not one of them/);
      assert.deepEqual(stack.bitbucket.statuses({ sha }), []);
      assert.equal(stack.gitlab.apiCalls.length, before);
    });

    it("push sync runs no git command against the GitLab the list leaves out", async () => {
      const s = await pushLinkedRepository(stack, { sync: "push" });
      await drained(stack);
      await s.bitbucketGit.commit({ branch: "main" });
      await allow(s.tenant, ["gitlab.example.com"]);
      const gitlabMainBefore = (await s.gitlabGit.refs()).get("refs/heads/main");

      await stack.bitbucket.push(s.tenant, s.repo, { branch: "main" });
      const failed = await eventually(async () =>
        (await events(s.settingsToken, s.repo.uuid)).find((e) => e.outcome === "failed"),
      );
      assert.equal(failed.kind, "push-refs");
      assert.match(failed.summary, /is not one of them/);
      assert.equal((await s.gitlabGit.refs()).get("refs/heads/main"), gitlabMainBefore, "nothing was pushed");
      assert.notEqual((await s.bitbucketGit.refs()).get("refs/heads/main"), gitlabMainBefore);
    });

    it("allowing the host again lets the next push through", async () => {
      const { tenant, repo, project } = await stack.linkedRepository();
      await allow(tenant, ["gitlab.example.com"]);
      await allow(tenant, [`*.example.com`, simHost()]);
      await stack.bitbucket.push(tenant, repo, { branch: "main" });
      await eventually(() => stack.gitlab.mirrorTriggers(project).length === 1);
    });
  });
});
