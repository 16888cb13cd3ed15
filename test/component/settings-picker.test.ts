import assert from "node:assert/strict";
import type { AccessLevel } from "../../sim/gitlab-sim";
import { Stack } from "../support/stack";

describe("connecting GitLab in one screen: token check and project picker", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  async function setup(opts: { scopes?: string[] } = {}) {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const user = stack.gitlab.addUser("ada", "Ada Lovelace");
    const gitlabToken = stack.gitlab.addToken(user, { scopes: opts.scopes });
    const token = await stack.settingsToken(tenant, repo);
    const addProject = (path: string, level: AccessLevel, o: { mirror?: boolean; premium?: boolean } = { mirror: true }) => {
      const project = stack.gitlab.addProject(path, o);
      stack.gitlab.addMember(project, user, level);
      return project;
    };
    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/${route}`, {
        method,
        headers: { Authorization: `JWT ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const creds = { gitlabUrl: stack.gitlab.url, token: gitlabToken };
    return { tenant, repo, user, gitlabToken, token, addProject, call, creds };
  }

  it("says whose token it is and which scopes it has, without echoing the token", async () => {
    const { call, creds, gitlabToken } = await setup();
    const res = await call("POST", "gitlab/check", creds);
    assert.equal(res.status, 200);
    assert.equal(res.body.user.username, "ada");
    assert.equal(res.body.user.name, "Ada Lovelace");
    assert.deepEqual(res.body.token.scopes, ["api"]);
    assert.equal(res.body.gitlabUrl, stack.gitlab.url);
    assert.ok(!JSON.stringify(res.body).includes(gitlabToken));
  });

  it("answers gitlab_unauthorized for a token GitLab refuses, and names the field for a bad address", async () => {
    const { call, creds } = await setup();
    const refused = await call("POST", "gitlab/check", { ...creds, token: "glpat-not-a-real-token" });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, "gitlab_unauthorized");
    const bad = await call("POST", "gitlab/check", { ...creds, gitlabUrl: "ftp://gitlab.example.com" });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error.fields.gitlabUrl);
  });

  it("finds the user's projects by name or group, with the role on each", async () => {
    const { call, creds, addProject } = await setup();
    addProject("acme/widgets", 40);
    addProject("acme/gadgets", 30);
    addProject("other/widgets-docs", 20);
    stack.gitlab.addProject("acme/not-a-member");
    const widgets = await call("POST", "gitlab/projects", { ...creds, search: "widgets" });
    assert.equal(widgets.status, 200);
    assert.deepEqual(widgets.body.projects.map((p: any) => p.path).sort(), ["acme/widgets", "other/widgets-docs"]);
    const acme = await call("POST", "gitlab/projects", { ...creds, search: "acme" });
    assert.deepEqual(acme.body.projects.map((p: any) => [p.path, p.role]).sort(), [
      ["acme/gadgets", "Developer"],
      ["acme/widgets", "Maintainer"],
    ]);
  });

  it("for a Maintainer of a mirrored project, says everything is in place and what linking will do", async () => {
    const { call, creds, addProject } = await setup();
    const project = addProject("acme/widgets", 40);
    const res = await call("POST", "gitlab/project", { ...creds, project: project.id });
    assert.equal(res.status, 200);
    assert.equal(res.body.project.path, "acme/widgets");
    assert.equal(res.body.project.role, "Maintainer");
    assert.equal(res.body.project.mirror, true);
    assert.equal(res.body.canLink, true);
    // The last finding says the token may push, so push sync is open to this link.
    assert.equal(res.body.canPush, true);
    assert.deepEqual(
      res.body.findings.map((f: any) => f.level),
      ["ok", "ok", "ok"],
    );
    assert.match(res.body.plan.join(" "), /The app adds a webhook to acme\/widgets/);
  });

  it("for a Developer, says plainly that adding the webhook needs Maintainer", async () => {
    const { call, creds, addProject } = await setup();
    const project = addProject("acme/widgets", 30);
    const res = await call("POST", "gitlab/project", { ...creds, project: "acme/widgets" });
    assert.equal(res.body.project.id, project.id);
    assert.equal(res.body.canLink, true);
    assert.match(res.body.findings[0].text, /ada is Developer of acme\/widgets: needs Maintainer to add the webhook/);
    assert.equal(res.body.canPush, true);
    assert.match(res.body.plan.join(" "), /You get a webhook URL and secret/);
  });

  it("says pull mirroring needs Premium when GitLab shows no mirror, and when the project is not a mirror", async () => {
    const { call, creds, addProject } = await setup();
    addProject("acme/free", 40, { mirror: true, premium: false });
    addProject("acme/plain", 40, { mirror: false });
    const free = await call("POST", "gitlab/project", { ...creds, project: "acme/free" });
    assert.equal(free.body.project.mirror, null);
    assert.match(free.body.findings[1].text, /pull mirroring needs GitLab Premium/);
    const plain = await call("POST", "gitlab/project", { ...creds, project: "acme/plain" });
    assert.match(plain.body.findings[1].text, /not a pull mirror/);
  });

  it("refuses a Guest (cannot link) and warns about a read_api token", async () => {
    const guest = await setup({ scopes: ["read_api"] });
    guest.addProject("acme/widgets", 10);
    const res = await guest.call("POST", "gitlab/project", { ...guest.creds, project: "acme/widgets" });
    assert.equal(res.body.canLink, false);
    assert.equal(res.body.findings[0].level, "error");
    assert.ok(res.body.findings.some((f: any) => /read_api only/.test(f.text)));
  });

  it("answers gitlab_project_not_found for a project the token cannot see", async () => {
    const { call, creds } = await setup();
    stack.gitlab.addProject("secret/elsewhere");
    const res = await call("POST", "gitlab/project", { ...creds, project: "secret/elsewhere" });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, "gitlab_project_not_found");
  });

  it("guards the GitLab look-ups like the link API: 401 without a token, 403 for another repository", async () => {
    const { tenant, creds, token } = await setup();
    const other = stack.bitbucket.addRepository(tenant, "gadgets");
    const url = (uuid: string) => `${stack.app.url}/api/repositories/${encodeURIComponent(uuid)}/gitlab/check`;
    const post = (uuid: string, auth?: string) =>
      fetch(url(uuid), {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(auth ? { Authorization: auth } : {}) },
        body: JSON.stringify(creds),
      });
    assert.equal((await post(other.uuid)).status, 401);
    assert.equal((await post(other.uuid, `JWT ${token}`)).status, 403);
  });
});
