import assert from "node:assert/strict";
import { drained, eventually, Stack } from "../support/stack";

describe("linking checks the mirror: whose repository it pulls, and whether the token may trigger it", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  /** A repository, Ada's token, and a mirrored project pulling `importUrl` (this repository by default). */
  async function world(opts: { importUrl?: string; level?: 30 | 40 } = {}) {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const ada = stack.gitlab.addUser("ada", "Ada Lovelace");
    const token = stack.gitlab.addToken(ada);
    const project = stack.gitlab.addProject("acme/widgets", {
      mirror: true,
      importUrl: opts.importUrl ?? `${stack.bitbucket.baseUrl}/${repo.fullName}.git`,
    });
    stack.gitlab.addMember(project, ada, opts.level ?? 40);
    const settingsToken = await stack.settingsToken(tenant, repo);
    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/${route}`, {
        method,
        headers: { Authorization: `JWT ${settingsToken}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const linkBody = { gitlabUrl: stack.gitlab.url, project: "acme/widgets", token, statusMode: "pipeline" };
    return { tenant, repo, ada, token, project, call, linkBody };
  }

  describe("a project that pull-mirrors another repository", () => {
    const other = "https://x-token-auth:s3cret@bitbucket.org/someone-else/widgets.git";

    it("is named beside this repository in the readiness check, without the mirror's credentials", async () => {
      const w = await world({ importUrl: other });
      const res = await w.call("POST", "gitlab/project", {
        gitlabUrl: stack.gitlab.url,
        token: w.token,
        project: "acme/widgets",
      });
      assert.equal(res.status, 200);
      const thisRepo = `${stack.bitbucket.baseUrl}/${w.repo.fullName}.git`;
      assert.deepEqual(res.body.mirrorSourceMismatch, {
        mirrorSource: "https://bitbucket.org/someone-else/widgets.git",
        repository: thisRepo,
      });
      const finding = res.body.findings.find((f: { text: string }) => /pull-mirrors/.test(f.text));
      assert.equal(finding.level, "error");
      assert.match(finding.text, /someone-else\/widgets\.git, not this repository/);
      assert.ok(finding.text.includes(thisRepo));
      assert.doesNotMatch(JSON.stringify(res.body), /s3cret/);
    });

    it("is refused by the link PUT with a clear 409 naming both, and nothing is linked", async () => {
      const w = await world({ importUrl: other });
      const res = await w.call("PUT", "link", w.linkBody);
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, "mirror_source_mismatch");
      assert.equal(res.body.error.mirrorSource, "https://bitbucket.org/someone-else/widgets.git");
      assert.match(res.body.error.message, /acceptMirrorSource/);
      assert.equal((await w.call("GET", "link")).status, 404);
      assert.equal(stack.gitlab.hooks(w.project).length, 0);
    });

    it("is linked once the admin confirms, and the answer carries a warning naming both", async () => {
      const w = await world({ importUrl: other });
      const res = await w.call("PUT", "link", { ...w.linkBody, acceptMirrorSource: true });
      assert.equal(res.status, 200);
      assert.match(
        res.body.warning,
        /^Linked as you confirmed: acme\/widgets pull-mirrors https:\/\/bitbucket\.org\/someone-else\/widgets\.git/,
      );
      assert.equal(res.body.link.projectPath, "acme/widgets");
    });

    it("refuses a confirmation that is not a boolean", async () => {
      const w = await world({ importUrl: other });
      const res = await w.call("PUT", "link", { ...w.linkBody, acceptMirrorSource: "yes" });
      assert.equal(res.status, 400);
    });
  });

  it("a mirror of this repository links without a question, whatever its scheme, credentials, .git or host case", async () => {
    const probe = await world();
    const base = new URL(stack.bitbucket.baseUrl);
    const sameRepo = `https://x-token-auth:t0ken@${base.host.toUpperCase()}/${probe.repo.fullName}`;
    probe.project.importUrl = sameRepo;
    const res = await probe.call("PUT", "link", probe.linkBody);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.warning, undefined);
  });

  describe("a Developer's token on a pull-mirror project", () => {
    it("never calls mirror/pull on a push, leaves no failed delivery, and the link says how to get immediate updates", async () => {
      const w = await world({ level: 30 });
      const linked = await w.call("PUT", "link", w.linkBody);
      assert.equal(linked.status, 200);
      assert.match(linked.body.link.mirror.triggerBlocked, /not a Maintainer of acme\/widgets/);
      assert.match(linked.body.link.mirror.triggerBlocked, /Maintainer's token, or switch the link to push sync/);

      await stack.bitbucket.push(w.tenant, w.repo, { branch: "main" });
      await stack.bitbucket.push(w.tenant, w.repo, { branch: "main" });
      await drained(stack);
      assert.equal(stack.gitlab.mirrorTriggers(w.project).length, 0);
      assert.ok(!stack.gitlab.apiCalls.some((c) => c.path.endsWith("/mirror/pull") && c.method === "POST"));
      assert.equal((await stack.app.deps.outbox.dead()).length, 0);
      const health = await w.call("GET", "health");
      assert.deepEqual(health.body.health.failed, []);
    });

    it("linking again with a Maintainer's token lets pushes trigger the mirror again", async () => {
      const w = await world({ level: 30 });
      await w.call("PUT", "link", w.linkBody);
      stack.gitlab.addMember(w.project, w.ada, 40);
      const relinked = await w.call("PUT", "link", w.linkBody);
      assert.equal(relinked.body.link.mirror.triggerBlocked, null);
      await stack.bitbucket.push(w.tenant, w.repo, { branch: "main" });
      await eventually(() => stack.gitlab.mirrorTriggers(w.project).length === 1);
    });

    it("a token GitLab stops letting trigger (403) stops trying after the first refusal, with no failed delivery", async () => {
      const w = await world();
      assert.equal((await w.call("PUT", "link", w.linkBody)).status, 200);
      stack.gitlab.addMember(w.project, w.ada, 30); // demoted after linking
      await stack.bitbucket.push(w.tenant, w.repo, { branch: "main" });
      await drained(stack);
      const view = (await w.call("GET", "link")).body.link;
      assert.match(view.mirror.triggerBlocked, /GitLab refused to start a mirror update for this token \(403/);
      assert.equal((await stack.app.deps.outbox.dead()).length, 0);
      const refusals = () => stack.gitlab.apiCalls.filter((c) => c.path.endsWith("/mirror/pull") && c.method === "POST").length;
      assert.equal(refusals(), 1);
      await stack.bitbucket.push(w.tenant, w.repo, { branch: "main" });
      await drained(stack);
      assert.equal(refusals(), 1, "a second push asked GitLab again");
    });
  });
});
