import { AppError, PeerFailure } from "../errors";
import { mintAccessToken } from "./access-token";

export type InstallClaim = { clientKey: string; sharedSecret: string; baseUrl: string };

/**
 * Whether Bitbucket itself vouches for an install's (clientKey, sharedSecret) pair. A first install is
 * unsigned and its clientKey is guessable from the public workspace UUID, so anyone could post one with
 * a secret of their own. We sign a JWT with the received secret and ask the install's (allowlisted)
 * Bitbucket host for an access token (the JWT bearer grant): only the real Bitbucket, which made the
 * pair, grants it. The token is thrown away unused. A Bitbucket that cannot be reached proves nothing
 * either way: the install fails with 503 and Bitbucket may retry.
 */
export async function proveInstall(claim: InstallClaim, appKey: string, timeoutMs: number): Promise<boolean> {
  try {
    await mintAccessToken(claim, appKey, timeoutMs);
    return true;
  } catch (e) {
    if (e instanceof PeerFailure && !e.transient) return false;
    throw new AppError("bitbucket_unreachable", 503, "Bitbucket could not confirm this install; try again");
  }
}

/**
 * Whether Bitbucket vouches that a Connect tenant is genuine and installed in the workspace of one
 * repository: it grants an access token bound to that repository (`bitbucket_repository`) only to the real
 * (clientKey, sharedSecret) pair, and only for a repository of the installation's own workspace. The
 * workspace a tenant's install payload named is a claim; this is Bitbucket's word. The token is discarded.
 */
export async function proveTenantRepository(
  tenant: InstallClaim,
  appKey: string,
  timeoutMs: number,
  repoUuid: string,
): Promise<boolean> {
  try {
    await mintAccessToken(tenant, appKey, timeoutMs, repoUuid);
    return true;
  } catch (e) {
    if (e instanceof PeerFailure && !e.transient) return false;
    throw new AppError("bitbucket_unreachable", 503, "Bitbucket could not confirm the Connect installation; try again");
  }
}
