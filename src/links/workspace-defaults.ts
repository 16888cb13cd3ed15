import type { WorkspaceDefault } from "../db/workspace-defaults";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { checked } from "./gitlab-errors";
import { openGitLab, tokenInfo } from "./gitlab-session";

/** The defaults as the workspace page shows them: never the token, only its last 4 characters and whose it is. */
export function defaultsView(d: WorkspaceDefault) {
  return {
    gitlabUrl: d.gitlabUrl,
    tokenHint: d.tokenHint,
    tokenOwner: { username: d.tokenOwner, name: d.tokenOwnerName ?? d.tokenOwner },
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

/** What a workspace admin sees: the defaults, and how many repositories use the workspace's token. */
export async function workspaceDefaults(deps: Pick<Deps, "links" | "workspaceDefaults">, clientKey: string) {
  const d = await deps.workspaceDefaults.get(clientKey);
  if (!d) return { defaults: null };
  return { defaults: { ...defaultsView(d), repositoriesUsingToken: await deps.links.countUsingWorkspaceToken(clientKey) } };
}

/**
 * Stores the workspace's default GitLab address and token after GitLab accepted them (the same address
 * checks and token check as linking a repository). Repositories linked with the workspace's token on
 * the same GitLab switch to the new token at once.
 */
export async function saveWorkspaceDefaults(
  deps: Pick<Deps, "config" | "gitlab" | "linkCache" | "links" | "log" | "workspaceDefaults">,
  req: { clientKey: string; gitlabUrl: string; token: string; user: string },
) {
  const { gitlabUrl, api } = await openGitLab(deps, req);
  const owner = await checked(() => api.currentUser(), "token");
  const info = await tokenInfo(api);
  const scopes = info?.scopes ?? null;
  if (scopes && !scopes.includes("api") && !scopes.includes("read_api")) {
    throw new AppError(
      "gitlab_unauthorized",
      422,
      `The token's scopes (${scopes.join(", ") || "none"}) include neither api nor read_api: repository admins could not use it`,
      { fields: { token: "Use a token with the api scope" } },
    );
  }
  const saved = await deps.workspaceDefaults.save({
    clientKey: req.clientKey,
    gitlabUrl,
    token: req.token,
    tokenOwner: owner.username,
    tokenOwnerName: owner.name ?? null,
    updatedBy: req.user || null,
  });
  const followed = await deps.links.replaceWorkspaceToken(req.clientKey, gitlabUrl, req.token);
  // Deliveries read links through the cache: the links that follow the workspace's token changed.
  if (followed > 0) deps.linkCache.clear();
  deps.log.info({ clientKey: req.clientKey, gitlabUrl, linksUpdated: followed }, "workspace defaults saved");
  return {
    defaults: { ...defaultsView(saved), repositoriesUsingToken: await deps.links.countUsingWorkspaceToken(req.clientKey) },
    token: { scopes, expiresAt: info?.expires_at ?? null },
    repositoriesUpdated: followed,
  };
}
