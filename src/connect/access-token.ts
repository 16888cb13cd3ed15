import type { Tenant } from "../db/tenants";
import { bitbucketDispatcher } from "../bitbucket/bitbucket-dispatcher";
import { parseRetryAfter, PeerFailure, peerStatusFailure } from "../errors";
import { answerRefused } from "../http/answer-refused";
import { connectJwt } from "./connect-jwt";

const TOKEN_PATH = "/site/oauth2/access_token";

export interface BitbucketAccessToken {
  token: string;
  /** Epoch ms; Bitbucket grants these for 2 hours. */
  expiresAt: number;
  scopes: string | null;
}

/**
 * Swaps a Connect JWT for a Bitbucket OAuth access token of the installation (the JWT bearer grant,
 * `grant_type=urn:bitbucket:oauth2:jwt`): the token lives 2 hours, carries the app's scopes (here
 * `repository`, read-only), and can clone the workspace's repositories as
 * `https://x-token-auth:{token}@bitbucket.org/{workspace}/{repo}.git`. No person's password is involved.
 * The JWT is signed like every call of ours (iss = app key, sub = clientKey), with its qsh over this POST
 * relative to the tenant's baseUrl (bitbucket.org, not the API host). The token is never logged.
 */
export async function mintAccessToken(
  tenant: Pick<Tenant, "clientKey" | "sharedSecret" | "baseUrl">,
  appKey: string,
  timeoutMs: number,
  /** Binds the token to this one repository (`bitbucket_repository`), so it opens nothing else. */
  repoUuid?: string,
): Promise<BitbucketAccessToken> {
  const jwt = connectJwt({
    appKey,
    clientKey: tenant.clientKey,
    sharedSecret: tenant.sharedSecret,
    method: "POST",
    pathAndQuery: TOKEN_PATH,
  });
  let response: Response;
  let text: string;
  const started = Date.now();
  try {
    response = await fetch(tenant.baseUrl.replace(/\/+$/, "") + TOKEN_PATH, {
      method: "POST",
      headers: { Authorization: `JWT ${jwt}`, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "urn:bitbucket:oauth2:jwt",
        ...(repoUuid ? { bitbucket_repository: repoUuid } : {}),
      }).toString(),
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
      dispatcher: bitbucketDispatcher,
    } as RequestInit);
    text = await response.text().catch((e: unknown) => {
      if (answerRefused(e)) throw e;
      return "";
    });
  } catch (e) {
    const refused = answerRefused(e);
    if (refused) throw new PeerFailure({ peer: "bitbucket", message: refused.message, transient: false });
    const message = `Bitbucket unreachable for an access token: ${e instanceof Error ? e.name : String(e)}`;
    throw new PeerFailure({ peer: "bitbucket", message, transient: true });
  }
  if (!response.ok) {
    throw peerStatusFailure(
      "bitbucket",
      response.status,
      `Bitbucket refused an access token (${response.status}): ${oauthMessage(text)}`,
      parseRetryAfter(response.headers.get("retry-after")),
    );
  }
  let body: { access_token?: unknown; expires_in?: unknown; scopes?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new PeerFailure({
      peer: "bitbucket",
      message: "Bitbucket answered the token request with something other than JSON",
      transient: true,
    });
  }
  if (typeof body.access_token !== "string" || !body.access_token) {
    throw new PeerFailure({ peer: "bitbucket", message: "Bitbucket's token answer has no access_token", transient: true });
  }
  const seconds = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 7200;
  return {
    token: body.access_token,
    expiresAt: started + seconds * 1000,
    scopes: typeof body.scopes === "string" ? body.scopes : null,
  };
}

// OAuth errors look like {"error": "invalid_grant", "error_description": "..."}.
function oauthMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    const words = [parsed.error_description, parsed.error].find((v) => typeof v === "string" && v);
    if (words) return String(words).slice(0, 300);
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 300) || "(no body)";
}
