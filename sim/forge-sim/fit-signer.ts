import { randomUUID } from "node:crypto";
import type { JWK } from "jose" with { "resolution-mode": "import" };

// jose is an ES module and this project compiles to CommonJS.
const jose = import("jose");

export type SigningKey = { kid: string; privateKey: CryptoKey; publicJwk: JWK };

/** An RSA key pair as Forge keeps them: the public half goes in the JWKS under its `kid`. */
export async function signingKey(kid: string = randomUUID()): Promise<SigningKey> {
  const j = await jose;
  const { privateKey, publicKey } = await j.generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await j.exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return { kid, privateKey, publicJwk };
}

export interface SignOptions {
  /** Leave the `kid` out of the header, or name another one. */
  kid?: string | null;
  /** Seconds the token lives (negative: already expired); Forge's live about 25 s. */
  ttlSeconds?: number;
  /** Seconds from now before which the token is not valid. */
  notBeforeInSeconds?: number;
  issuer?: string;
}

/** Signs a FIT: RS256 with the key's `kid`, `iss` forge/invocation-token, the given claims on top. */
export async function signFit(key: SigningKey, claims: Record<string, unknown>, opts: SignOptions = {}): Promise<string> {
  const j = await jose;
  const now = Math.floor(Date.now() / 1000);
  const header: { alg: string; kid?: string } = { alg: "RS256" };
  if (opts.kid !== null) header.kid = opts.kid ?? key.kid;
  return new j.SignJWT({ ...claims })
    .setProtectedHeader(header)
    .setIssuer(opts.issuer ?? "forge/invocation-token")
    .setIssuedAt(now)
    .setNotBefore(now + (opts.notBeforeInSeconds ?? 0))
    .setExpirationTime(now + (opts.ttlSeconds ?? 25))
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/** An unsigned token (`alg: none`), as a forger would send. */
export function unsignedFit(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none", kid: "any" })}.${part({ iss: "forge/invocation-token", iat: now, exp: now + 25, ...claims })}.`;
}

/** An HS256 token keyed with a public value, the classic algorithm-confusion forgery. */
export async function hmacFit(secret: string, claims: Record<string, unknown>, kid: string): Promise<string> {
  const j = await jose;
  const now = Math.floor(Date.now() / 1000);
  return new j.SignJWT({ ...claims })
    .setProtectedHeader({ alg: "HS256", kid })
    .setIssuer("forge/invocation-token")
    .setIssuedAt(now)
    .setExpirationTime(now + 25)
    .sign(new TextEncoder().encode(secret));
}
