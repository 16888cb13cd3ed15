import assert from "node:assert/strict";
import { eventually, Stack } from "../support/stack";

describe("URLs GitLab supplies (web_url)", function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  const sha = "a1742195055d9234440410f95462fdebb05b5ac2";

  for (const [what, webUrl] of [
    ["a javascript: URL", "javascript:alert(document.domain)//"],
    ["a page of another site", "https://evil.example/acme/widgets"],
  ] as const) {
    it(`${what} is never stored, shown or posted: a URL built from the link's GitLab address takes its place`, async () => {
      const tenant = await stack.install();
      const repo = stack.bitbucket.addRepository(tenant, "widgets");
      const user = stack.gitlab.addUser("ada", "Ada Lovelace");
      const project = stack.gitlab.addProject("acme/widgets", { mirror: true });
      stack.gitlab.addMember(project, user, 40);
      project.webUrl = webUrl; // the project's and its pipelines' web_url now point there
      const settingsToken = await stack.settingsToken(tenant, repo);
      const linked = await stack.api(settingsToken, "PUT", repo.uuid, {
        gitlabUrl: stack.gitlab.url,
        project: "acme/widgets",
        token: stack.gitlab.addToken(user),
      });
      assert.equal(linked.status, 200);
      assert.equal(linked.body.link.projectWebUrl, `${stack.gitlab.url}/acme/widgets`);
      const stored = await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid);
      assert.equal(stored?.projectWebUrl, `${stack.gitlab.url}/acme/widgets`, "what is stored is checked too");

      const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
      stack.gitlab.setPipelineStatus(pipeline, "success");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
      const status = await eventually(() => stack.bitbucket.statuses({ sha })[0]);
      assert.equal(status.state, "SUCCESSFUL", "the delivery went through");
      assert.equal(status.url, `${stack.gitlab.url}/acme/widgets/-/pipelines/${pipeline.id}`);

      const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/health`, {
        headers: { Authorization: `JWT ${settingsToken}` },
      });
      const { health } = (await res.json()) as { health: { pipeline: { webUrl?: string } } };
      assert.equal(health.pipeline.webUrl, `${stack.gitlab.url}/acme/widgets/-/pipelines/${pipeline.id}`);
    });
  }
});
