import assert from "node:assert/strict";
import { drained, eventually, Stack } from "../support/stack";
import { pushLinkedRepository } from "../support/push-link";

describe("push sync: choosing the sync mode of a link", function () {
  this.timeout(60_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  it("a new link to a pull-mirrored project defaults to mirror, and its pushes still trigger the mirror", async () => {
    const { tenant, repo, project, link } = await stack.linkedRepository();
    assert.equal(link.sync, "mirror");
    assert.equal(link.lastSync, null);
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    await eventually(() => stack.gitlab.mirrorTriggers(project).length === 1);
  });

  it("a Developer's token cannot tell whether the project mirrors, so the default is mirror; choosing push is honoured", async () => {
    const s = await pushLinkedRepository(stack, { role: 30 });
    assert.equal(s.link.sync, "mirror");
    const chosen = await stack.api(s.settingsToken, "PUT", s.repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: s.project.pathWithNamespace,
      token: s.gitlabToken,
      statusMode: "pipeline",
      sync: "push",
    });
    assert.equal(chosen.body.link.sync, "push");
  });

  it("refuses an unknown sync mode with a JSON 400 and changes nothing", async () => {
    const s = await pushLinkedRepository(stack);
    const res = await stack.api(s.settingsToken, "PUT", s.repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: s.project.pathWithNamespace,
      token: s.gitlabToken,
      statusMode: "pipeline",
      sync: "both",
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, "invalid_request");
    assert.equal((await stack.api(s.settingsToken, "GET", s.repo.uuid)).body.link.sync, "push");
  });

  it("Sync now catches GitLab up without a push", async () => {
    const s = await pushLinkedRepository(stack);
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(s.repo.uuid)}/sync`, {
      method: "POST",
      headers: { Authorization: `JWT ${s.settingsToken}` },
    });
    assert.equal(res.status, 202);
    await drained(stack);
    assert.equal((await s.gitlabGit.refs()).get("refs/heads/main"), (await s.bitbucketGit.refs()).get("refs/heads/main"));
  });
});
