import assert from "node:assert/strict";
import { Stack } from "../support/stack";

describe("renewing a link's webhook secret twice at once (review F4)", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  const rotate = async (token: string, repoUuid: string) => {
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repoUuid)}/webhook-secret`, {
      method: "POST",
      headers: { Authorization: `JWT ${token}` },
    });
    return res.status;
  };

  it("leaves GitLab and the database with the same secret, even when GitLab's first answer comes back late", async () => {
    const { repo, project, settingsToken } = await stack.linkedRepository();
    // The first rotation's hook update is carried out at once by GitLab, but its answer is slow: without
    // turns, the second rotation's secret reaches GitLab after the first's, and the first's reaches the
    // database last.
    stack.gitlab.injectFaults({ answerDelayMs: 700 }, 1, /\/hooks\/\d+$/);
    const statuses = await Promise.all([rotate(settingsToken, repo.uuid), rotate(settingsToken, repo.uuid)]);
    assert.deepEqual(statuses, [200, 200]);
    const [hook] = stack.gitlab.hooks(project);
    const [link] = (await stack.app.deps.sequelize.query("SELECT id FROM links WHERE repo_uuid = ?", {
      replacements: [repo.uuid],
      type: "SELECT",
    })) as { id: string }[];
    const stored = (await stack.app.deps.links.byId(link!.id))!.webhookSecret;
    assert.equal(hook!.token, stored, "GitLab sends the secret the database checks");
  });
});
