import assert from "node:assert/strict";
import { QueryTypes } from "sequelize";
import type { SimRepo, SimTenant } from "../../sim/bitbucket-sim";
import { eventually, Stack } from "../support/stack";

type Reply = { status: number; body: any };

describe("workspace defaults: a default GitLab address and token for the whole workspace", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  async function call(token: string | null, method: string, path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${stack.app.url}${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `JWT ${token}` } : {}),
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function workspaceToken(tenant: SimTenant): Promise<string> {
    const res = await fetch(stack.bitbucket.workspacePageUrl(tenant));
    const html = await res.text();
    assert.equal(res.status, 200, html.slice(0, 200));
    return /<meta name="token" content="([^"]+)"/.exec(html)![1]!;
  }

  const repoPath = (repo: SimRepo, route: string) => `/api/repositories/${encodeURIComponent(repo.uuid)}/${route}`;

  /** A workspace with the app, a repository, Ada (Maintainer of acme/widgets) and her token. */
  async function setup() {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const ada = stack.gitlab.addUser("ada", "Ada Lovelace");
    const adaToken = stack.gitlab.addToken(ada);
    const project = stack.gitlab.addProject("acme/widgets", { mirror: true });
    stack.gitlab.addMember(project, ada, 40);
    const ws = await workspaceToken(tenant);
    const repoToken = await stack.settingsToken(tenant, repo);
    return { tenant, repo, ada, adaToken, project, ws, repoToken };
  }

  describe("the workspace settings page", () => {
    it("loads in Bitbucket's frame with a verified JWT, embeds a workspace token, and is framable only by Bitbucket", async () => {
      const tenant = await stack.install();
      const res = await fetch(stack.bitbucket.workspacePageUrl(tenant));
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /^<!doctype html>/i);
      assert.match(html, /<meta name="token" content="[^"]+"/);
      assert.match(html, /Workspace defaults/);
      assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors [^;]*bitbucket\.org/);
    });

    it("refuses the page without a JWT, with a tampered one, or signed with another secret", async () => {
      const tenant = await stack.install();
      const url = new URL(stack.bitbucket.workspacePageUrl(tenant));
      const jwt = url.searchParams.get("jwt")!;
      url.searchParams.delete("jwt");
      assert.equal((await fetch(url)).status, 401);
      url.searchParams.set("jwt", jwt.slice(0, -4) + "AAAA");
      assert.equal((await fetch(url)).status, 401);
      assert.equal((await fetch(stack.bitbucket.workspacePageUrl(tenant, { secret: "another-secret-altogether" }))).status, 401);
    });
  });

  describe("GET, PUT and DELETE /api/workspace/defaults", () => {
    it("stores a checked token sealed, shows only its last 4 characters and whose it is, and never returns it", async () => {
      const { ws, adaToken } = await setup();
      assert.deepEqual((await call(ws, "GET", "/api/workspace/defaults")).body, { defaults: null });

      const saved = await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: `${stack.gitlab.url}/`, token: adaToken });
      assert.equal(saved.status, 200);
      assert.equal(saved.body.defaults.gitlabUrl, stack.gitlab.url);
      assert.equal(saved.body.defaults.tokenHint, adaToken.slice(-4));
      assert.deepEqual(saved.body.defaults.tokenOwner, { username: "ada", name: "Ada Lovelace" });
      assert.equal(saved.body.defaults.repositoriesUsingToken, 0);
      assert.deepEqual(saved.body.token.scopes, ["api"]);
      assert.ok(!JSON.stringify(saved.body).includes(adaToken));

      const read = await call(ws, "GET", "/api/workspace/defaults");
      assert.equal(read.status, 200);
      assert.equal(read.body.defaults.tokenHint, adaToken.slice(-4));
      assert.ok(!JSON.stringify(read.body).includes(adaToken));

      const rows = await stack.app.deps.sequelize.query<{ token: string }>("SELECT token FROM workspace_defaults", {
        type: QueryTypes.SELECT,
      });
      assert.equal(rows.length, 1);
      assert.ok(!rows[0]!.token.includes(adaToken), "the token is stored in the clear");
      assert.equal(stack.app.deps.box.open(rows[0]!.token), adaToken);
      assert.ok(!stack.logs.join("").includes(adaToken), "the token is in the logs");
    });

    it("names each invalid field in a 400 and stores nothing", async () => {
      const { ws, adaToken } = await setup();
      const missing = await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.code, "invalid_request");
      assert.ok(missing.body.error.fields.token);
      const ftp = await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: "ftp://gitlab.example.com", token: adaToken });
      assert.equal(ftp.status, 400);
      assert.match(ftp.body.error.fields.gitlabUrl, /must start with https/);
      const extra = await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: adaToken, x: 1 });
      assert.equal(extra.status, 400);
      assert.deepEqual((await call(ws, "GET", "/api/workspace/defaults")).body, { defaults: null });
    });

    it("answers GitLab's refusals as the repository flow does: unknown token, expired token, unreachable GitLab", async () => {
      const { ws, ada } = await setup();
      const unknown = await call(ws, "PUT", "/api/workspace/defaults", {
        gitlabUrl: stack.gitlab.url,
        token: "glpat-no-such-token-000",
      });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.body.error.code, "gitlab_unauthorized");
      const expired = stack.gitlab.addToken(ada, { expired: true });
      const old = await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: expired });
      assert.equal(old.body.error.code, "gitlab_unauthorized");
      const down = await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: "http://127.0.0.1:1", token: expired });
      assert.equal(down.status, 422);
      assert.equal(down.body.error.code, "gitlab_unreachable");
      assert.deepEqual((await call(ws, "GET", "/api/workspace/defaults")).body, { defaults: null });
    });

    it("removes the defaults with DELETE (204)", async () => {
      const { ws, adaToken } = await setup();
      await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: adaToken });
      assert.equal((await call(ws, "DELETE", "/api/workspace/defaults")).status, 204);
      assert.deepEqual((await call(ws, "GET", "/api/workspace/defaults")).body, { defaults: null });
      assert.equal((await call(ws, "DELETE", "/api/workspace/defaults")).status, 204, "deleting twice is harmless");
    });
  });

  describe("scopes and tenants: a token opens only what it was issued for", () => {
    it("refuses the workspace API without a token (401) and with a repository's token (403)", async () => {
      const { repoToken } = await setup();
      assert.equal((await call(null, "GET", "/api/workspace/defaults")).status, 401);
      assert.equal((await call("garbage", "GET", "/api/workspace/defaults")).status, 401);
      const withRepo = await call(repoToken, "GET", "/api/workspace/defaults");
      assert.equal(withRepo.status, 403);
      assert.equal(withRepo.body.error.code, "forbidden");
      assert.equal(
        (await call(repoToken, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: "glpat-aaaaaaaaaa" }))
          .status,
        403,
      );
      assert.equal((await call(repoToken, "DELETE", "/api/workspace/defaults")).status, 403);
    });

    it("never lets a workspace token (which names no repository) through the repository API", async () => {
      const { tenant, repo, ws, adaToken } = await setup();
      await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: adaToken });
      const attempts: [string, string, unknown?][] = [
        ["GET", "link"],
        ["PUT", "link", { project: "acme/widgets" }],
        ["DELETE", "link"],
        ["GET", "workspace-defaults"],
        ["POST", "gitlab/check", {}],
        ["POST", "gitlab/namespaces", {}],
        ["POST", "project", { namespaceId: 1, projectName: "widgets" }],
        ["GET", "health"],
      ];
      for (const [method, route, body] of attempts) {
        const res = await call(ws, method, repoPath(repo, route), body);
        assert.equal(res.status, 403, `${method} ${route} answered ${res.status}`);
      }
      assert.equal(await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid), null);
    });

    it("shows each workspace its own defaults only, and refuses a workspace token once the app is uninstalled", async () => {
      const a = await setup();
      await call(a.ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: a.adaToken });
      const other = await stack.install("globex");
      const otherWs = await workspaceToken(other);
      assert.deepEqual((await call(otherWs, "GET", "/api/workspace/defaults")).body, { defaults: null });
      const otherRepo = stack.bitbucket.addRepository(other, "gadgets");
      const otherRepoToken = await stack.settingsToken(other, otherRepo);
      assert.deepEqual((await call(otherRepoToken, "GET", repoPath(otherRepo, "workspace-defaults"))).body, { defaults: null });
      // Globex's repository cannot link with Acme's workspace token.
      const linked = await call(otherRepoToken, "PUT", repoPath(otherRepo, "link"), { project: "acme/widgets" });
      assert.equal(linked.status, 400);
      assert.ok(linked.body.error.fields.token);

      await stack.bitbucket.uninstall(a.tenant);
      assert.equal((await call(a.ws, "GET", "/api/workspace/defaults")).status, 401);
    });
  });

  describe("in a repository's settings, with workspace defaults", () => {
    it("shows the defaults without the token, and links by only picking a project (no token in the body)", async () => {
      const { repo, repoToken, ws, adaToken, project } = await setup();
      await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: adaToken });

      const seen = await call(repoToken, "GET", repoPath(repo, "workspace-defaults"));
      assert.equal(seen.status, 200);
      assert.deepEqual(seen.body.defaults, {
        gitlabUrl: stack.gitlab.url,
        tokenHint: adaToken.slice(-4),
        tokenOwner: { username: "ada", name: "Ada Lovelace" },
      });

      const checked = await call(repoToken, "POST", repoPath(repo, "gitlab/check"), {});
      assert.equal(checked.status, 200);
      assert.equal(checked.body.user.username, "ada");
      assert.equal(checked.body.tokenSource, "workspace");
      const found = await call(repoToken, "POST", repoPath(repo, "gitlab/projects"), { search: "widg" });
      assert.deepEqual(
        found.body.projects.map((p: any) => p.path),
        ["acme/widgets"],
      );
      const inspected = await call(repoToken, "POST", repoPath(repo, "gitlab/project"), { project: project.id });
      assert.match(inspected.body.plan[0], /workspace's default token is used/);

      const linked = await call(repoToken, "PUT", repoPath(repo, "link"), { project: project.id, statusMode: "pipeline" });
      assert.equal(linked.status, 200, JSON.stringify(linked.body));
      assert.equal(linked.body.link.tokenSource, "workspace");
      assert.equal(linked.body.link.tokenHint, adaToken.slice(-4));
      assert.equal(linked.body.link.gitlabUrl, stack.gitlab.url);
      assert.equal(linked.body.webhook.registered, true);
      assert.ok(!JSON.stringify(linked.body).includes(adaToken));
      assert.equal(stack.gitlab.hooks(project).length, 1);

      const ws2 = await call(ws, "GET", "/api/workspace/defaults");
      assert.equal(ws2.body.defaults.repositoriesUsingToken, 1);
    });

    it("still accepts the original body with a token of the repository's own, which wins over the workspace's", async () => {
      const { tenant, repo, repoToken, ws, adaToken, ada } = await setup();
      await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: adaToken });
      const own = stack.gitlab.addToken(ada);
      const linked = await call(repoToken, "PUT", repoPath(repo, "link"), {
        gitlabUrl: stack.gitlab.url,
        project: "acme/widgets",
        token: own,
        statusMode: "both",
      });
      assert.equal(linked.status, 200);
      assert.equal(linked.body.link.tokenSource, "repository");
      assert.equal(linked.body.link.tokenHint, own.slice(-4));
      assert.equal((await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid))?.token, own);
    });

    it("without defaults, a body without a token is a 400 naming the token field", async () => {
      const { repo, repoToken } = await setup();
      const res = await call(repoToken, "PUT", repoPath(repo, "link"), { project: "acme/widgets" });
      assert.equal(res.status, 400);
      assert.match(res.body.error.fields.token, /no default token/);
      const check = await call(repoToken, "POST", repoPath(repo, "gitlab/check"), {});
      assert.equal(check.status, 400);
      assert.equal((await call(repoToken, "GET", repoPath(repo, "link"))).status, 404);
    });

    it("never sends the workspace's token to another GitLab address than the workspace's", async () => {
      const { repo, repoToken, ws, adaToken } = await setup();
      await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: adaToken });
      const elsewhere = "http://127.0.0.1:9";
      const before = stack.gitlab.apiCalls.length;
      for (const [method, route, body] of [
        ["POST", "gitlab/check", { gitlabUrl: elsewhere }],
        ["POST", "gitlab/projects", { gitlabUrl: elsewhere, search: "" }],
        ["PUT", "link", { gitlabUrl: elsewhere, project: "acme/widgets" }],
      ] as const) {
        const res = await call(repoToken, method, repoPath(repo, route), body);
        assert.equal(res.status, 400, `${method} ${route}`);
        assert.match(res.body.error.fields.gitlabUrl, /workspace's token is for/);
      }
      assert.equal(stack.gitlab.apiCalls.length, before, "nothing was asked of GitLab");
      // The same address written differently is the same GitLab.
      const same = await call(repoToken, "POST", repoPath(repo, "gitlab/check"), { gitlabUrl: `${stack.gitlab.url}/` });
      assert.equal(same.status, 200);
    });

    it("a new workspace token reaches the repositories using the workspace's, and not those with their own", async () => {
      const { tenant, repo, repoToken, ws, adaToken, ada, project } = await setup();
      await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: adaToken });
      await call(repoToken, "PUT", repoPath(repo, "link"), { project: "acme/widgets" });
      const ownRepo = stack.bitbucket.addRepository(tenant, "gadgets");
      const gadgets = stack.gitlab.addProject("acme/gadgets", { mirror: true });
      stack.gitlab.addMember(gadgets, ada, 40);
      const own = stack.gitlab.addToken(ada);
      const ownToken = await stack.settingsToken(tenant, ownRepo);
      await call(ownToken, "PUT", repoPath(ownRepo, "link"), {
        gitlabUrl: stack.gitlab.url,
        project: "acme/gadgets",
        token: own,
      });

      const rotated = stack.gitlab.addToken(ada);
      const saved = await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: rotated });
      assert.equal(saved.body.repositoriesUpdated, 1);
      assert.equal((await call(repoToken, "GET", repoPath(repo, "link"))).body.link.tokenHint, rotated.slice(-4));
      assert.equal((await call(ownToken, "GET", repoPath(ownRepo, "link"))).body.link.tokenHint, own.slice(-4));

      // The old token is revoked in GitLab: statuses still flow, with the new one.
      stack.gitlab.revokeToken(adaToken);
      const sha = "d".repeat(40);
      const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
      stack.gitlab.setPipelineStatus(pipeline, "success");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
      await eventually(() => stack.bitbucket.statuses({ sha }).some((s) => s.state === "SUCCESSFUL"));
    });
  });
});
