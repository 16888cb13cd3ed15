import type { Deps } from "../deps";
import type { GitLabNamespace } from "../gitlab/gitlab-api";
import { checked } from "./gitlab-errors";
import { openGitLab, type GitLabCredentials } from "./gitlab-session";

// Developer is the lowest role a group's "allowed to create projects" setting can name; GitLab itself
// has the last word when the project is created.
const DEVELOPER = 30;

/**
 * The namespaces where the token's user may create a project: their own (unless GitLab forbids them
 * personal projects) and the groups where they are at least Developer. GET /namespaces lists every group
 * they belong to, at any role, so it is narrowed with GET /groups?min_access_level=30.
 */
export async function listNamespaces(deps: Pick<Deps, "config" | "gitlab">, creds: GitLabCredentials, search: string) {
  const { api } = await openGitLab(deps, creds);
  const [user, namespaces, groupIds] = await Promise.all([
    checked(() => api.currentUser() as Promise<{ username: string; can_create_project?: boolean }>, "token"),
    checked(() => api.namespaces(search), "token"),
    checked(() => api.groupIds(DEVELOPER), "token"),
  ]);
  const writable = new Set(groupIds);
  const may = (n: GitLabNamespace) =>
    n.kind === "user" ? n.full_path === user.username && user.can_create_project !== false : writable.has(n.id);
  const usable = namespaces.filter(may);
  return {
    namespaces: usable.map((n) => ({ id: n.id, fullPath: n.full_path, name: n.name, kind: n.kind, plan: n.plan ?? null })),
    /** Namespaces the user belongs to but may not create projects in (not listed). */
    others: namespaces.length - usable.length,
  };
}
