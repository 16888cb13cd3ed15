import { decodeSymmetric, encodeSymmetric, SymmetricAlgorithm } from "atlassian-jwt";
import type { SettingsGrant, WorkspaceGrant } from "../settings/grant";

export type { SettingsGrant, WorkspaceGrant };

const AUDIENCE = "gitlab-ci-for-bitbucket/settings-api";
const WORKSPACE_AUDIENCE = "gitlab-ci-for-bitbucket/workspace-settings-api";
/**
 * Short on purpose: the app cannot ask Bitbucket, as itself, whether the page's user still administers the
 * repository (see the README's "Connect trust"), so a demoted admin keeps what the page gave them for at
 * most this long. Reloading the page (Bitbucket shows it to repository admins) gives a new one.
 */
export const SETTINGS_TOKEN_SECONDS = 15 * 60;

/** What a token may do: one repository's settings, or the workspace's defaults. Never both. */
export type SettingsScope = "repository" | "workspace";

type Claims = {
  aud?: unknown;
  exp?: number;
  scope?: unknown;
  tenant?: unknown;
  repo?: unknown;
  path?: unknown;
  sub?: unknown;
};

/**
 * The token the settings page embeds for its JSON API. It is signed with a key of ours (derived from
 * ENCRYPTION_KEY), never a tenant's shared secret, so no token Bitbucket issues for any other page can
 * pass for it; and it names one tenant and one repository.
 */
export function issueSettingsToken(key: Buffer, grant: SettingsGrant, now = Date.now()): string {
  return sign(key, now, {
    aud: AUDIENCE,
    scope: "repository",
    tenant: grant.clientKey,
    repo: grant.repoUuid,
    path: grant.repoPath,
    sub: grant.user,
  });
}

/**
 * The token the workspace settings page embeds: bound to one tenant and to the workspace scope, with a
 * separate audience and no repository, so it can never pass for a repository's token (or the reverse).
 */
export function issueWorkspaceToken(key: Buffer, grant: WorkspaceGrant, now = Date.now()): string {
  return sign(key, now, { aud: WORKSPACE_AUDIENCE, scope: "workspace", tenant: grant.clientKey, sub: grant.user });
}

/** Returns the grant, or null when the token is not ours, is altered, has expired, or is not a repository's. */
export function verifySettingsToken(key: Buffer, token: string, now = Date.now()): SettingsGrant | null {
  const claims = decode(key, token, now, AUDIENCE);
  // Tokens issued before scopes existed carry none; they always named a repository.
  if (!claims || (claims.scope !== undefined && claims.scope !== "repository")) return null;
  if (typeof claims.tenant !== "string" || typeof claims.repo !== "string" || !claims.repo) return null;
  return {
    clientKey: claims.tenant,
    repoUuid: claims.repo,
    repoPath: typeof claims.path === "string" ? claims.path : null,
    user: typeof claims.sub === "string" ? claims.sub : "",
  };
}

/** Returns the workspace grant, or null for anything else (a repository's token included). */
export function verifyWorkspaceToken(key: Buffer, token: string, now = Date.now()): WorkspaceGrant | null {
  const claims = decode(key, token, now, WORKSPACE_AUDIENCE);
  if (!claims || claims.scope !== "workspace" || claims.repo !== undefined) return null;
  if (typeof claims.tenant !== "string") return null;
  return { clientKey: claims.tenant, user: typeof claims.sub === "string" ? claims.sub : "" };
}

/** Which kind of our tokens this is, if it is a valid one at all: lets the walls say why they refuse. */
export function settingsScopeOf(key: Buffer, token: string, now = Date.now()): SettingsScope | null {
  if (verifySettingsToken(key, token, now)) return "repository";
  if (verifyWorkspaceToken(key, token, now)) return "workspace";
  return null;
}

function sign(key: Buffer, now: number, claims: Record<string, unknown>): string {
  const iat = Math.floor(now / 1000);
  return encodeSymmetric({ ...claims, iat, exp: iat + SETTINGS_TOKEN_SECONDS }, key.toString("base64"), SymmetricAlgorithm.HS256);
}

function decode(key: Buffer, token: string, now: number, audience: string): Claims | null {
  let claims: Claims;
  try {
    claims = decodeSymmetric(token, key.toString("base64"), SymmetricAlgorithm.HS256);
  } catch {
    return null;
  }
  // Compared whole, never as a substring: one audience must not pass for another.
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(audience)) return null;
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= now) return null;
  return claims;
}
