import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from "atlassian-jwt";

const LIFETIME_SECONDS = 180;

/**
 * A Connect JWT for calling the Bitbucket REST API as the app itself: iss is the app key, sub the
 * installation's clientKey, and qsh binds the token to one method, path and query (relative to the
 * tenant's baseApiUrl). ACE's httpClient cannot do this: it only signs requests to baseUrl.
 */
export function connectJwt(opts: {
  appKey: string;
  clientKey: string;
  sharedSecret: string;
  method: string;
  pathAndQuery: string;
  now?: number;
}): string {
  const iat = Math.floor((opts.now ?? Date.now()) / 1000);
  const qsh = createQueryStringHash(fromMethodAndUrl(opts.method.toUpperCase(), opts.pathAndQuery), false);
  return encodeSymmetric(
    { iss: opts.appKey, sub: opts.clientKey, iat, exp: iat + LIFETIME_SECONDS, qsh },
    opts.sharedSecret,
    SymmetricAlgorithm.HS256,
  );
}
