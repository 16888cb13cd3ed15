import { gitlabPage, gitlabWebUrl } from "../core/gitlab-web-url";
import type { Deps } from "../deps";
import type { GitLabProjectDetails } from "../gitlab/gitlab-api";
import { checked } from "./gitlab-errors";
import { openGitLab, tokenInfo, type GitLabCredentials, type ResolvedCredentials } from "./gitlab-session";
import { projectReadiness, roleName } from "./project-readiness";

/** A project as the picker lists it. */
export function projectChoice(p: GitLabProjectDetails, gitlabUrl: string, accessLevel = listedAccess(p)) {
  return {
    id: p.id,
    path: p.path_with_namespace,
    name: p.name_with_namespace ?? p.path_with_namespace,
    webUrl: gitlabWebUrl(p.web_url, gitlabUrl, gitlabPage(gitlabUrl, p.path_with_namespace)),
    accessLevel,
    role: roleName(accessLevel),
  };
}

// The list shows the direct and the group role; the higher one wins, as in GitLab.
const listedAccess = (p: GitLabProjectDetails) =>
  Math.max(p.permissions?.project_access?.access_level ?? 0, p.permissions?.group_access?.access_level ?? 0);

/** The projects the token's user belongs to that match `search` (name, path or group path). */
export async function findProjects(deps: Pick<Deps, "config" | "gitlab">, creds: GitLabCredentials, search: string) {
  const { gitlabUrl, api } = await openGitLab(deps, creds);
  const projects = await checked(() => api.searchProjects(search), "token");
  return { projects: projects.map((p) => projectChoice(p, gitlabUrl)) };
}

/** One project in full: the user's effective role, its mirror, and what linking it will and will not do. */
export async function inspectProject(
  deps: Pick<Deps, "config" | "gitlab">,
  creds: GitLabCredentials & Partial<Pick<ResolvedCredentials, "source">>,
  project: number | string,
  repositoryUrl: string | null = null,
) {
  const { gitlabUrl, api } = await openGitLab(deps, creds);
  const user = await checked(() => api.currentUser(), "token");
  const details = await checked(() => api.projectDetails(project), "project");
  const [accessLevel, token] = await Promise.all([
    checked(() => api.accessLevel(details.id, user.id), "project"),
    tokenInfo(api),
  ]);
  const readiness = projectReadiness({
    username: user.username,
    path: details.path_with_namespace,
    accessLevel,
    mirror: details.mirror,
    mirrorTriggerBuilds: details.mirror_trigger_builds,
    importUrl: details.import_url,
    scopes: token?.scopes ?? null,
    tokenSource: creds.source ?? "repository",
    repositoryUrl,
  });
  return {
    project: {
      ...projectChoice(details, gitlabUrl, accessLevel),
      defaultBranch: details.default_branch ?? null,
      mirror: details.mirror ?? null,
    },
    ...readiness,
  };
}
