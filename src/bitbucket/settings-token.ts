import { decodeSymmetric, encodeSymmetric, SymmetricAlgorithm } from "atlassian-jwt";

const AUDIENCE = "gitlab-ci-for-bitbucket/settings-api";
export const SETTINGS_TOKEN_SECONDS = 60 * 60;

export interface SettingsGrant {
  clientKey: string;
  repoUuid: string;
  /** workspace/repo as Bitbucket named it when the page loaded (display only). */
  repoPath: string | null;
  user: string;
}

/**
 * The token the settings page embeds for its JSON API. It is signed with a key of ours (derived from
 * ENCRYPTION_KEY), never a tenant's shared secret, so no token Bitbucket issues for any other page can
 * pass for it; and it names one tenant and one repository.
 */
export function issueSettingsToken(key: Buffer, grant: SettingsGrant, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  return encodeSymmetric(
    {
      aud: AUDIENCE,
      iat,
      exp: iat + SETTINGS_TOKEN_SECONDS,
      tenant: grant.clientKey,
      repo: grant.repoUuid,
      path: grant.repoPath,
      sub: grant.user,
    },
    key.toString("base64"),
    SymmetricAlgorithm.HS256,
  );
}

/** Returns the grant, or null when the token is not ours, is altered, or has expired. */
export function verifySettingsToken(key: Buffer, token: string, now = Date.now()): SettingsGrant | null {
  let claims: { aud?: string[]; exp?: number; tenant?: unknown; repo?: unknown; path?: unknown; sub?: unknown };
  try {
    claims = decodeSymmetric(token, key.toString("base64"), SymmetricAlgorithm.HS256);
  } catch {
    return null;
  }
  if (!claims.aud?.includes(AUDIENCE)) return null;
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= now) return null;
  if (typeof claims.tenant !== "string" || typeof claims.repo !== "string") return null;
  return {
    clientKey: claims.tenant,
    repoUuid: claims.repo,
    repoPath: typeof claims.path === "string" ? claims.path : null,
    user: typeof claims.sub === "string" ? claims.sub : "",
  };
}
