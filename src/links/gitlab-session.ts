import type { Deps } from "../deps";
import type { GitLabApi, GitLabTokenInfo, GitLabUser } from "../gitlab/gitlab-api";
import { checked } from "./gitlab-errors";
import { checkGitLabUrl } from "./gitlab-url";

export interface GitLabCredentials {
  gitlabUrl: string;
  token: string;
}

export interface GitLabSession {
  gitlabUrl: string;
  api: GitLabApi;
}

/** A GitLab client for what the admin typed, after the same address checks linking does. */
export async function openGitLab(deps: Deps, creds: GitLabCredentials): Promise<GitLabSession> {
  const gitlabUrl = await checkGitLabUrl(creds.gitlabUrl, {
    allowPrivate: deps.config.allowPrivateHosts,
    allowedHosts: deps.config.gitlabAllowedHosts,
    requireHttps: deps.config.env === "production",
  });
  return { gitlabUrl, api: deps.gitlab(gitlabUrl, creds.token) };
}

/** Whose token this is, and (where GitLab tells) its scopes and expiry. */
export async function checkToken(deps: Deps, creds: GitLabCredentials) {
  const { gitlabUrl, api } = await openGitLab(deps, creds);
  const user = (await checked(() => api.currentUser(), "token")) as GitLabUser & { web_url?: string; avatar_url?: string };
  const token = await tokenInfo(api);
  return {
    gitlabUrl,
    user: { id: user.id, username: user.username, name: user.name, webUrl: user.web_url ?? null },
    token: token && { name: token.name ?? null, scopes: token.scopes ?? null, expiresAt: token.expires_at ?? null },
  };
}

/** Best effort: older GitLabs, OAuth and CI tokens have no /personal_access_tokens/self. */
export async function tokenInfo(api: GitLabApi): Promise<GitLabTokenInfo | null> {
  try {
    return await api.tokenInfo();
  } catch {
    return null;
  }
}
