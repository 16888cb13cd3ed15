import { gitlabPage, gitlabWebUrl } from "../core/gitlab-web-url";
import type { TokenSource } from "../db/links";
import type { Deps } from "../deps";
import { badRequest } from "../errors";
import type { GitLabApi, GitLabTokenInfo, GitLabUser } from "../gitlab/gitlab-api";
import { checked } from "./gitlab-errors";
import { checkGitLabUrl } from "./gitlab-url";

export interface GitLabCredentials {
  gitlabUrl: string;
  token: string;
  /** The workspace (installation) on whose behalf GitLab is called: its allowed GitLab hosts apply. */
  clientKey: string;
}

/** What a repository admin sends: their own address and token, or neither, to use the workspace's. */
export interface CredentialsInput {
  gitlabUrl?: string;
  token?: string;
}

export interface ResolvedCredentials extends GitLabCredentials {
  source: TokenSource;
}

export interface GitLabSession {
  gitlabUrl: string;
  api: GitLabApi;
}

/** A GitLab client for what the admin typed, after the same address checks linking does. */
export async function openGitLab(deps: Pick<Deps, "config" | "gitlab">, creds: GitLabCredentials): Promise<GitLabSession> {
  const gitlabUrl = await checkGitLabUrl(creds.gitlabUrl, {
    allowPrivate: deps.config.allowPrivateHosts,
    allowedHosts: deps.config.gitlabAllowedHosts,
    requireHttps: deps.config.env === "production",
  });
  return { gitlabUrl, api: deps.gitlab(gitlabUrl, creds.token, creds.clientKey) };
}

/** Whose token this is, and (where GitLab tells) its scopes and expiry. */
export async function checkToken(deps: Pick<Deps, "config" | "gitlab">, creds: GitLabCredentials) {
  const { gitlabUrl, api } = await openGitLab(deps, creds);
  const user = (await checked(() => api.currentUser(), "token")) as GitLabUser & { web_url?: string; avatar_url?: string };
  const token = await tokenInfo(api);
  return {
    gitlabUrl,
    user: {
      id: user.id,
      username: user.username,
      name: user.name,
      webUrl: gitlabWebUrl(user.web_url, gitlabUrl, gitlabPage(gitlabUrl, user.username)),
    },
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

/**
 * The GitLab address and token a repository's request stands for. A token given wins; without one, the
 * workspace's default token is used, and only ever with the workspace's own GitLab address, so a
 * repository admin cannot send the workspace's token to a host of their choosing.
 */
export async function resolveCredentials(
  deps: Pick<Deps, "workspaceDefaults">,
  clientKey: string,
  input: CredentialsInput,
): Promise<ResolvedCredentials> {
  if (input.token) {
    if (!input.gitlabUrl) throw badRequest("Enter the GitLab address", { gitlabUrl: "Enter the GitLab address" });
    return { gitlabUrl: input.gitlabUrl, token: input.token, clientKey, source: "repository" };
  }
  const defaults = await deps.workspaceDefaults.get(clientKey);
  if (!defaults) {
    const message = "Paste a GitLab access token: this workspace has no default token";
    throw badRequest(message, { token: message });
  }
  if (input.gitlabUrl && !sameGitLab(input.gitlabUrl, defaults.gitlabUrl)) {
    const message = `The workspace's token is for ${defaults.gitlabUrl}: use that address, or paste a token for this one`;
    throw badRequest(message, { gitlabUrl: message });
  }
  return { gitlabUrl: defaults.gitlabUrl, token: defaults.token, clientKey, source: "workspace" };
}

function sameGitLab(a: string, b: string): boolean {
  const normal = (raw: string) => {
    try {
      const u = new URL(raw.trim());
      return `${u.origin}${u.pathname.replace(/\/+$/, "")}`.toLowerCase();
    } catch {
      return raw;
    }
  };
  return normal(a) === normal(b);
}
