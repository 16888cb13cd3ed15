import { decodeSymmetric, SymmetricAlgorithm } from "atlassian-jwt";
import type { Request } from "express";
import { nowSeconds } from "./ids";
import { queryStringHash } from "./sign-token";
import type { Installation, SimState } from "./state";

export type Verification = { ok: true; installation: Installation } | { ok: false; message: string };

/**
 * Authenticates a Connect app calling the REST API: `Authorization: JWT <token>` (scheme case-sensitive;
 * a `?jwt=` query token is ignored by Bitbucket, so it fails as "no credentials"), HS256 only,
 * `sub` = clientKey of an installed tenant whose current secret signed it, `iss` = the app key,
 * `iat` and a future `exp` present, and `qsh` over METHOD & path-and-query relative to `base` (the API
 * base URL for the REST API; the web base URL for `/site/oauth2/access_token`).
 */
export function verifyAppToken(
  req: Request,
  state: SimState,
  base = state.apiBaseUrl,
  /** The token grant also vouches for the pair of an install whose callback is in flight. */
  opts: { pending?: boolean } = {},
): Verification {
  const fail = (message: string): Verification => ({ ok: false, message });
  const header = req.get("authorization");
  if (!header) {
    return fail(
      req.query.jwt !== undefined
        ? "JWT must be sent in the Authorization header; the jwt query parameter is not accepted"
        : "Authentication required",
    );
  }
  const match = /^JWT (\S+)$/.exec(header);
  if (!match) return fail("Unsupported authorization scheme; expected 'JWT <token>'");
  const token = match[1];

  let claims: Record<string, unknown>;
  try {
    claims = decodeSymmetric(token, "", SymmetricAlgorithm.HS256, true);
  } catch (e) {
    return fail(`Invalid JWT: ${(e as Error).message}`);
  }
  const installation = typeof claims.sub === "string" ? state.installations.get(claims.sub) : undefined;
  const secrets = [
    ...(installation?.installed && installation.acceptedSecret ? [installation.acceptedSecret] : []),
    ...(opts.pending ? (installation?.pendingSecrets ?? []) : []),
  ];
  if (!installation || secrets.length === 0) {
    return fail(`JWT sub ${JSON.stringify(claims.sub)} is not the clientKey of an installed app`);
  }
  const signedWith = (secret: string) => {
    try {
      decodeSymmetric(token, secret, SymmetricAlgorithm.HS256, false);
      return true;
    } catch {
      return false;
    }
  };
  if (!secrets.some(signedWith)) return fail("JWT signature verification failed");
  if (claims.iss !== installation.tenant.appKey) {
    return fail(`JWT iss ${JSON.stringify(claims.iss)} is not the app key of this installation`);
  }
  if (typeof claims.exp !== "number") return fail("JWT has no exp claim");
  if (claims.exp <= nowSeconds()) return fail("JWT has expired");
  if (typeof claims.iat !== "number") return fail("JWT has no iat claim");
  if (typeof claims.qsh !== "string") return fail("JWT has no qsh claim");
  const expected = queryStringHash(req.method, base + req.originalUrl, base);
  if (claims.qsh !== expected) return fail("JWT qsh does not match the request");
  return { ok: true, installation };
}
