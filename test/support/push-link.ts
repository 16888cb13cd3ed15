import type { SimProject } from "../../sim/gitlab-sim";
import type { Stack } from "./stack";

/**
 * A repository with a first commit on main, linked to a plain GitLab project (no mirroring on its plan)
 * with a bot's token: what a gitlab.com Free user sets up for push sync.
 */
export async function pushLinkedRepository(stack: Stack, opts: { sync?: "push" | "mirror"; role?: 30 | 40 } = {}) {
  const tenant = await stack.install();
  const repo = stack.bitbucket.addRepository(tenant, "widgets");
  const bitbucketGit = await stack.bitbucket.git(repo);
  await bitbucketGit.commit({ branch: "main" });
  const user = stack.gitlab.addUser("ci-bot");
  const gitlabToken = stack.gitlab.addToken(user, { scopes: ["api", "write_repository"] });
  const project: SimProject = stack.gitlab.addProject("acme/widgets", { premium: false });
  stack.gitlab.addMember(project, user, opts.role ?? 40);
  const gitlabGit = await stack.gitlab.git(project);
  const settingsToken = await stack.settingsToken(tenant, repo);
  const linked = await stack.api(settingsToken, "PUT", repo.uuid, {
    gitlabUrl: stack.gitlab.url,
    project: project.pathWithNamespace,
    token: gitlabToken,
    statusMode: "pipeline",
    ...(opts.sync ? { sync: opts.sync } : {}),
  });
  if (linked.status !== 200) throw new Error(`link failed: ${linked.status} ${JSON.stringify(linked.body)}`);
  return { tenant, repo, bitbucketGit, user, gitlabToken, project, gitlabGit, settingsToken, link: linked.body.link };
}
