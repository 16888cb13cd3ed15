import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from "atlassian-jwt";
import { nowSeconds } from "./ids";
import type { SignOpts, SimTenant } from "./types";

/**
 * Tokens Bitbucket sends with lifecycle calls and webhooks: captured ones look like
 * `{ iss: clientKey, aud: clientKey (a string), iat, exp: iat + 3600, qsh }`, with no `sub`.
 */
export const HEADER_TOKEN_TTL = 3600;
/** Iframe page loads carry a short-lived token in `?jwt=`. */
export const PAGE_TOKEN_TTL = 180;

export interface TokenDefaults {
  expiresInSeconds: number;
  sub?: string;
}

/** Resolves a module url the way Connect does: appended to the descriptor's baseUrl unless already absolute. */
export function appUrl(appBaseUrl: string, url: string): string {
  if (/^https?:\/\//i.test(url)) return url;
  return appBaseUrl.replace(/\/+$/, "") + (url.startsWith("/") ? url : `/${url}`);
}

/** qsh over the path relative to `baseUrl` (its path prefix is dropped), as atlassian-jwt computes it. */
export function queryStringHash(method: string, absoluteUrl: string, baseUrl: string): string {
  return createQueryStringHash(fromMethodAndUrl(method.toUpperCase(), absoluteUrl), false, baseUrl);
}

/** Signs a request to the app as Bitbucket would; `pathOrUrl` is relative to the tenant's app baseUrl. */
export function signAsBitbucket(
  tenant: SimTenant,
  method: string,
  pathOrUrl: string,
  opts: SignOpts,
  defaults: TokenDefaults,
): string {
  const iat = opts.iat ?? nowSeconds();
  const url = appUrl(tenant.appBaseUrl, pathOrUrl);
  const claims: Record<string, unknown> = {
    iss: opts.iss ?? tenant.clientKey,
    iat,
    qsh: opts.qsh ?? queryStringHash(method, url, tenant.appBaseUrl),
    aud: opts.aud === undefined ? tenant.clientKey : opts.aud,
    exp: opts.exp ?? iat + (opts.expiresInSeconds ?? defaults.expiresInSeconds),
  };
  const sub = opts.sub === undefined ? defaults.sub : opts.sub;
  if (sub != null) claims.sub = sub;
  if (claims.aud === null) delete claims.aud;
  for (const claim of opts.omit ?? []) delete claims[claim];
  if (opts.alg === "none") return unsignedToken(claims);
  return encodeSymmetric(claims, opts.secret ?? tenant.sharedSecret, SymmetricAlgorithm.HS256);
}

/** An `alg: none` token: the classic forgery a verifier must refuse. */
export function unsignedToken(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}
