/**
 * The bare handler intake is compared with: express, and nothing but the same authentication the app does
 * before its own work. Run as its own process (compiled, like the app) by the bench driver:
 *   POST /webhooks/bitbucket        Connect JWT: decode unverified for the issuer, verify HS256 with that
 *                                    tenant's secret, check exp and the qsh, answer 204
 *   POST /webhooks/gitlab/:linkId   that link's X-Gitlab-Token compared in constant time (both sides hashed),
 *                                    answer 200
 * Bodies are not parsed: the brief is "only the same verification".
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createQueryStringHash, decodeSymmetric, fromExpressRequest, SymmetricAlgorithm } from "atlassian-jwt";
import express, { type Request } from "express";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const secrets = new Map([[env("BASELINE_CLIENT_KEY"), env("BASELINE_SHARED_SECRET")]]);
// linkId → webhook secret, held in memory: the app reads its links through a cache too.
const webhookSecrets = new Map(Object.entries(JSON.parse(env("BASELINE_WEBHOOK_SECRETS")) as Record<string, string>));
const baseUrl = env("BASELINE_BASE_URL");

const app = express();
app.disable("x-powered-by");

app.get("/healthz", (_req, res) => {
  res.json({ ok: true });
});

app.post("/webhooks/bitbucket", (req, res) => {
  res.status(verifiedJwt(req) ? 204 : 401).end();
});

app.post("/webhooks/gitlab/:linkId", (req, res) => {
  const secret = webhookSecrets.get(req.params.linkId ?? "");
  const ok = secret !== undefined && sameSecret(req.header("x-gitlab-token"), secret);
  res.status(ok ? 200 : 401).json({ outcome: ok ? "accepted" : "refused" });
});

function verifiedJwt(req: Request): boolean {
  const header = req.headers.authorization;
  if (!header?.startsWith("JWT ")) return false;
  const token = header.slice(4);
  try {
    const unverified = decodeSymmetric(token, "", SymmetricAlgorithm.HS256, true) as { iss?: string; aud?: string | string[] };
    const clientKey = Array.isArray(unverified.aud) ? unverified.aud[0] : (unverified.aud ?? unverified.iss);
    const secret = clientKey ? secrets.get(clientKey) : undefined;
    if (!secret) return false;
    const claims = decodeSymmetric(token, secret, SymmetricAlgorithm.HS256) as { exp?: number; qsh?: string };
    if (typeof claims.exp !== "number" || claims.exp <= Date.now() / 1000) return false;
    return claims.qsh === createQueryStringHash(fromExpressRequest(req), false, baseUrl);
  } catch {
    return false;
  }
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

const server = app.listen(Number(env("PORT")), "127.0.0.1");
server.keepAliveTimeout = 65_000; // as the app's
process.once("SIGTERM", () => server.close(() => process.exit(0)));
