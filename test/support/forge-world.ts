import type { ForgeInstall } from "../../sim/forge-sim";
import type { Stack } from "./stack";

/** Rows in a table (for "nothing was stored" checks). */
export const rows = async (stack: Stack, table: string) =>
  Number(((await stack.app.deps.sequelize.query(`SELECT COUNT(*) AS n FROM ${table}`, { type: "SELECT" })) as any[])[0].n);

/** The settings API path of one repository under the Forge door. */
export const linkPath = (repoUuid: string) => `/forge/api/repositories/${encodeURIComponent(repoUuid)}/link`;

/**
 * A Forge installation in a new workspace with one repository, and a GitLab project (a pull mirror GitLab
 * keeps with its own credentials) linked to it through the Forge settings API.
 */
export async function forgeLinkedRepository(stack: Stack, opts: { projectPath?: string } = {}) {
  const forge = stack.forge!;
  const install = await forge.install(stack.app.url);
  if (install.status !== 200) throw new Error(`install failed: ${install.status} ${JSON.stringify(install.body)}`);
  const repo = stack.bitbucket.addRepository({ workspace: stack.bitbucket.workspace(`{${install.workspaceId}}`) }, "widgets");
  const user = stack.gitlab.addUser("ada", "Ada Lovelace");
  const gitlabToken = stack.gitlab.addToken(user);
  const project = stack.gitlab.addProject(opts.projectPath ?? "acme/widgets", { mirror: true });
  stack.gitlab.addMember(project, user, 40);
  const linked = await forge.ui(
    stack.app.url,
    install,
    "PUT",
    linkPath(repo.uuid),
    {
      gitlabUrl: stack.gitlab.url,
      project: project.pathWithNamespace,
      token: gitlabToken,
      statusMode: "pipeline",
    },
    { repoUuid: repo.uuid },
  );
  if (linked.status !== 200) throw new Error(`link failed: ${linked.status} ${JSON.stringify(linked.body)}`);
  return { install: install as ForgeInstall, repo, project, gitlabToken, link: linked.body.link };
}
