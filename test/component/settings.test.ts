import assert from "node:assert/strict";
import { Stack } from "../support/stack";

describe("repository settings page and its API", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  async function setup(accessLevel: 10 | 20 | 30 | 40 | 50 = 40) {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const user = stack.gitlab.addUser("ada");
    const gitlabToken = stack.gitlab.addToken(user);
    const project = stack.gitlab.addProject("acme/widgets", { mirror: true });
    stack.gitlab.addMember(project, user, accessLevel);
    const token = await stack.settingsToken(tenant, repo);
    const body = { gitlabUrl: stack.gitlab.url, project: "acme/widgets", token: gitlabToken, statusMode: "pipeline" };
    return { tenant, repo, user, gitlabToken, project, token, body };
  }

  it("loads in Bitbucket's frame with a verified JWT and embeds a token, framable only by Bitbucket", async () => {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const res = await fetch(stack.bitbucket.pageUrl(tenant, repo));
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<meta name="token" content="[^"]+"/);
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /acme-corp\/widgets/);
    assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors [^;]*bitbucket\.org/);
  });

  it("refuses the page without a JWT, with a tampered one, or for a tenant that never installed", async () => {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const url = new URL(stack.bitbucket.pageUrl(tenant, repo));
    const jwt = url.searchParams.get("jwt")!;
    url.searchParams.delete("jwt");
    assert.equal((await fetch(url)).status, 401);
    url.searchParams.set("jwt", jwt.slice(0, -4) + "AAAA");
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(stack.bitbucket.pageUrl(tenant, repo, { secret: "some-other-secret-entirely" }))).status, 401);
    const stranger = await stack.bitbucket.install(stack.app.url, { workspaceSlug: "stranger" });
    await stack.bitbucket.uninstall(stranger.tenant);
    const strangerRepo = stack.bitbucket.addRepository(stranger.tenant, "x");
    assert.equal((await fetch(stack.bitbucket.pageUrl(stranger.tenant, strangerRepo))).status, 401);
  });

  it("says the repository is not linked yet", async () => {
    const { repo, token } = await setup();
    const res = await stack.api(token, "GET", repo.uuid);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "not_linked");
  });

  it("links a project, registers a pipeline+job webhook with push events off, and never returns the token", async () => {
    const { repo, token, body, project, gitlabToken } = await setup();
    const res = await stack.api(token, "PUT", repo.uuid, body);
    assert.equal(res.status, 200);
    assert.equal(res.body.link.projectPath, "acme/widgets");
    assert.equal(res.body.link.projectId, project.id);
    assert.equal(res.body.link.tokenHint, gitlabToken.slice(-4));
    assert.equal(res.body.link.webhookRegistered, true);
    assert.equal(res.body.webhook.registered, true);
    assert.equal(res.body.webhook.secret, undefined);
    assert.ok(!JSON.stringify(res.body).includes(gitlabToken));
    const hooks = stack.gitlab.hooks(project);
    assert.equal(hooks.length, 1);
    assert.equal(hooks[0]!.url, res.body.webhook.url);
    assert.ok(hooks[0]!.pipelineEvents && hooks[0]!.jobEvents && !hooks[0]!.pushEvents);
    assert.ok((hooks[0]!.token ?? "").length >= 32);

    const read = await stack.api(token, "GET", repo.uuid);
    assert.equal(read.status, 200);
    assert.deepEqual(Object.keys(read.body.link).sort(), Object.keys(res.body.link).sort());
    assert.ok(!JSON.stringify(read.body).includes(gitlabToken));
    assert.ok(!JSON.stringify(read.body).includes(hooks[0]!.token!));
  });

  it("re-linking keeps the webhook URL and replaces the hook instead of adding a second", async () => {
    const { repo, token, body, project } = await setup();
    const first = await stack.api(token, "PUT", repo.uuid, body);
    const second = await stack.api(token, "PUT", repo.uuid, { ...body, statusMode: "both" });
    assert.equal(second.status, 200);
    assert.equal(second.body.webhook.url, first.body.webhook.url);
    assert.equal(second.body.link.statusMode, "both");
    assert.equal(stack.gitlab.hooks(project).length, 1);
  });

  it("with a Reporter's token, links but hands out the webhook URL and secret once, for the admin to add", async () => {
    const { repo, token, body, project } = await setup(20);
    const res = await stack.api(token, "PUT", repo.uuid, body);
    assert.equal(res.status, 200);
    assert.equal(res.body.webhook.registered, false);
    assert.ok(res.body.webhook.secret.length >= 32);
    assert.match(res.body.webhook.reason, /Maintainer/);
    assert.equal(stack.gitlab.hooks(project).length, 0);
    const read = await stack.api(token, "GET", repo.uuid);
    assert.ok(!JSON.stringify(read.body).includes(res.body.webhook.secret));
  });

  it("answers gitlab_unauthorized when GitLab refuses the token, and stores nothing", async () => {
    const { repo, token, body } = await setup();
    const res = await stack.api(token, "PUT", repo.uuid, { ...body, token: "glpat-this-token-does-not-exist" });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, "gitlab_unauthorized");
    assert.equal((await stack.api(token, "GET", repo.uuid)).status, 404);
  });

  it("answers gitlab_project_not_found for a project the token cannot see", async () => {
    const { repo, token, body } = await setup();
    stack.gitlab.addProject("secret/elsewhere");
    for (const project of ["acme/nothing-here", "secret/elsewhere"]) {
      const res = await stack.api(token, "PUT", repo.uuid, { ...body, project });
      assert.equal(res.status, 422);
      assert.equal(res.body.error.code, "gitlab_project_not_found");
    }
  });

  it("answers gitlab_insufficient_role for a Guest", async () => {
    const { repo, token, body } = await setup(10);
    const res = await stack.api(token, "PUT", repo.uuid, body);
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, "gitlab_insufficient_role");
  });

  it("answers gitlab_unreachable when nothing listens at the GitLab address", async () => {
    const { repo, token, body } = await setup();
    const res = await stack.api(token, "PUT", repo.uuid, { ...body, gitlabUrl: "http://127.0.0.1:9" });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, "gitlab_unreachable");
  });

  it("names each invalid field in a 400", async () => {
    const { repo, token } = await setup();
    const res = await stack.api(token, "PUT", repo.uuid, {
      gitlabUrl: "",
      project: "no spaces allowed",
      token: 5,
      statusMode: "sometimes",
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, "invalid_request");
    assert.deepEqual(Object.keys(res.body.error.fields).sort(), ["gitlabUrl", "project", "statusMode", "token"]);
  });

  it("answers malformed JSON with a JSON 400", async () => {
    const { repo, token } = await setup();
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/link`, {
      method: "PUT",
      headers: { Authorization: `JWT ${token}`, "Content-Type": "application/json" },
      body: "{not json",
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.code, "invalid_json");
  });

  it("refuses the API without a token (401) and with another repository's token (403)", async () => {
    const { tenant, repo, token, body } = await setup();
    const other = stack.bitbucket.addRepository(tenant, "gadgets");
    assert.equal((await stack.api("", "GET", repo.uuid)).status, 401);
    assert.equal((await stack.api("not.a.token", "GET", repo.uuid)).status, 401);
    const wrongRepo = await stack.api(token, "PUT", other.uuid, body);
    assert.equal(wrongRepo.status, 403);
    assert.equal(wrongRepo.body.error.code, "forbidden");
    assert.equal((await stack.api(token, "GET", other.uuid)).status, 403);
  });

  it("refuses a Bitbucket-signed JWT in place of the page's token", async () => {
    const { tenant, repo } = await setup();
    const bitbucketJwt = stack.bitbucket.sign(tenant, "GET", `/api/repositories/${encodeURIComponent(repo.uuid)}/link`);
    assert.equal((await stack.api(bitbucketJwt, "GET", repo.uuid)).status, 401);
  });

  it("unlinks: 204, the GitLab hook is removed and the link is gone", async () => {
    const { repo, token, body, project } = await setup();
    await stack.api(token, "PUT", repo.uuid, body);
    const res = await stack.api(token, "DELETE", repo.uuid);
    assert.equal(res.status, 204);
    assert.equal(stack.gitlab.hooks(project).length, 0);
    assert.equal((await stack.api(token, "GET", repo.uuid)).status, 404);
  });
});
