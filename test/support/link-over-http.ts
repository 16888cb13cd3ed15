import assert from "node:assert/strict";
import type { BitbucketSim } from "../../sim/bitbucket-sim";
import type { GitLabSim } from "../../sim/gitlab-sim";

/**
 * For tests that run the app as a separate process: install it into a workspace and link a repository
 * to a GitLab project (Ada, Maintainer) through the settings page and its API, as an admin would.
 */
export async function installAndLink(appUrl: string, bitbucket: BitbucketSim, gitlab: GitLabSim) {
  const { tenant, status } = await bitbucket.install(appUrl);
  assert.equal(status, 204);
  const repo = bitbucket.addRepository(tenant, "widgets");
  const user = gitlab.addUser("ada");
  const token = gitlab.addToken(user);
  const project = gitlab.addProject("acme/widgets", { mirror: true, importUrl: bitbucket.cloneUrlOf("widgets") });
  gitlab.addMember(project, user, 40);
  const page = await (await fetch(bitbucket.pageUrl(tenant, repo))).text();
  const settingsToken = /<meta name="token" content="([^"]+)"/.exec(page)![1]!;
  const linked = await fetch(`${appUrl}/api/repositories/${encodeURIComponent(repo.uuid)}/link`, {
    method: "PUT",
    headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ gitlabUrl: gitlab.url, project: "acme/widgets", token }),
  });
  assert.equal(linked.status, 200);
  return { tenant, repo, project };
}
