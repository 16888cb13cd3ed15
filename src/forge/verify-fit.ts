import type { JWTVerifyGetKey } from "jose" with { "resolution-mode": "import" };
import type { ForgeConfig } from "../config";
import { AppError } from "../errors";
import { fitClaims, fitOf, type Fit } from "./fit-claims";

// Asymmetric algorithms only: the JWKS names the key (and its `alg`, when it has one); `none` and the HS*
// family are never accepted, whatever the token's header says.
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
// A FIT lives about 25 s; a little skew between Forge's clock and ours is normal.
const CLOCK_TOLERANCE_S = 10;

/** A FIT that does not verify. Forge reserves 401 for exactly this, so nothing else answers 401. */
export const badFit = (reason: string) =>
  new AppError("invalid_invocation_token", 401, `Forge invocation token refused: ${reason}`);

export type FitVerifier = (token: string) => Promise<Fit>;

// jose is an ES module and this project compiles to CommonJS: it is loaded with a dynamic import.
const jose = import("jose");

/** The JWKS at `url`, fetched when first needed and cached by jose. */
export function remoteKeys(url: string): JWTVerifyGetKey {
  const keys = jose.then((j) => j.createRemoteJWKSet(new URL(url)));
  return async (header, token) => (await keys)(header, token);
}

/**
 * Verifies Forge Invocation Tokens against the JWKS at `FORGE_JWKS_URL`. jose's remote key set caches the
 * keys and refetches them when a token names a `kid` it does not know (at most every 30 s), so a key
 * rotation at Atlassian needs no restart and a flood of unknown kids costs no flood of fetches.
 */
export function fitVerifier(config: ForgeConfig, keys: JWTVerifyGetKey = remoteKeys(config.jwksUrl)): FitVerifier {
  return async (token) => {
    const { decodeProtectedHeader, jwtVerify } = await jose;
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw badFit("not a JWT");
    }
    // Forge signs with a named key; a token without `kid` could match whichever key the set holds.
    if (typeof header.kid !== "string" || !header.kid) throw badFit("no key id");
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ALGORITHMS,
        issuer: "forge/invocation-token",
        audience: config.appId,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ["exp"],
      }));
    } catch (e) {
      // jose names the failed check (and, for claims, which claim): safe to show, and no token in it.
      const { code, claim } = e as { code?: string; claim?: string };
      throw badFit(`${code ?? "verification failed"}${claim ? ` (${claim})` : ""}`);
    }
    const parsed = fitClaims.safeParse(payload);
    const fit = parsed.success ? fitOf(parsed.data) : null;
    if (!fit) throw badFit("claims are not those of a Forge invocation");
    if (fit.environment !== config.environment) throw badFit(`made for the ${fit.environment} environment`);
    return fit;
  };
}
