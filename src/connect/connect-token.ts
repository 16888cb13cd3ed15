import type { Request } from "express";

/** Bitbucket signs lifecycle calls and webhooks for 1 hour and iframe loads for 3 minutes: nothing longer. */
export const MAX_TOKEN_LIFETIME_SECONDS = 3600;
/** How far our clock may trail Bitbucket's. */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * The one JWT a request carries, found where ACE looks for it (query `jwt`, else body `jwt`, else
 * `Authorization: JWT …`). A request that carries tokens in more than one place is refused (undefined):
 * ACE would verify one and we might check another, and a decoy in the header once let a non-expiring
 * body token through.
 */
export function requestJwt(req: Request): string | undefined {
  const query = req.query?.jwt;
  const body = (req.body as { jwt?: unknown } | undefined)?.jwt;
  const header = req.headers.authorization;
  const found = [
    query !== undefined ? query : undefined,
    body !== undefined ? body : undefined,
    header?.startsWith("JWT ") ? header.slice(4) : undefined,
  ].filter((t) => t !== undefined);
  if (found.length !== 1 || typeof found[0] !== "string" || !found[0]) return undefined;
  return found[0];
}

/**
 * Why a Bitbucket-signed token's times are not acceptable now, or null. ACE checks only `exp`, and only
 * when present; a token must also say when it was issued, not come from the future, honour `nbf`, and
 * live no longer than Bitbucket's own tokens do (so a leaked or forged-ahead token is not good for years).
 */
export function tokenTimesProblem(claims: { exp?: unknown; iat?: unknown; nbf?: unknown }, nowSeconds: number): string | null {
  const { exp, iat, nbf } = claims;
  if (typeof exp !== "number" || !Number.isFinite(exp)) return "no exp";
  if (typeof iat !== "number" || !Number.isFinite(iat)) return "no iat";
  if (nowSeconds >= exp) return "expired";
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS) return "issued in the future";
  if (nbf !== undefined && (typeof nbf !== "number" || nbf > nowSeconds + CLOCK_SKEW_SECONDS)) return "not valid yet";
  if (exp - iat > MAX_TOKEN_LIFETIME_SECONDS) return "lives too long";
  return null;
}
