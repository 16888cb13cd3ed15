import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ForgeConfig } from "../../src/config";
import { AppError } from "../../src/errors";
import { fitVerifier, remoteKeys, type FitVerifier } from "../../src/forge/verify-fit";
import { hmacFit, signFit, signingKey, triggerClaims, uiClaims, unsignedFit, type ForgeInstall } from "../../sim/forge-sim";

const APP = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000";
const install: ForgeInstall = {
  installationId: "ari:cloud:ecosystem::installation/3f1c2b4a-5d6e-4f70-8192-a3b4c5d6e7f8",
  workspaceId: "B7EA02C9-3f1d-4d6e-8a2b-5c9e1f0d7a63",
  apiBaseUrl: "https://api.bitbucket.org/",
  environment: "PRODUCTION",
  systemToken: "",
};
const config: ForgeConfig = {
  appId: APP,
  appIdAsConfigured: APP,
  jwksUrl: "http://unused.invalid/jwks",
  environment: "PRODUCTION",
  tokenWaitMs: 1000,
  goneAfterMs: 3 * 24 * 3600_000,
  eraseAfterMs: 30 * 24 * 3600_000,
  reapEveryMs: 3600_000,
};

async function refusal(verify: FitVerifier, token: string): Promise<string> {
  try {
    await verify(token);
  } catch (e) {
    assert.ok(e instanceof AppError && e.status === 401, `expected a 401 AppError, got ${String(e)}`);
    return e.message;
  }
  assert.fail("the token was accepted");
}

describe("Forge invocation token verification", () => {
  let key: Awaited<ReturnType<typeof signingKey>>;
  let verify: FitVerifier;

  before(async () => {
    key = await signingKey();
    const { createLocalJWKSet } = await import("jose");
    verify = fitVerifier(config, createLocalJWKSet({ keys: [key.publicJwk] }));
  });

  it("accepts a token Forge signed for this app and environment, and normalises the workspace to braces", async () => {
    const fit = await verify(await signFit(key, triggerClaims(APP, install)));
    assert.equal(fit.installationKey, `forge:${install.installationId}`);
    assert.equal(fit.workspaceUuid, "{b7ea02c9-3f1d-4d6e-8a2b-5c9e1f0d7a63}");
    assert.equal(fit.apiBaseUrl, "https://api.bitbucket.org");
    assert.equal(fit.ui, null);
  });

  it("reads a UI call's repository and workspace from its context", async () => {
    const claims = uiClaims(APP, install, { repoUuid: "{C389EBA6-ca13-49c5-8dec-4e617d39dffe}" });
    const fit = await verify(await signFit(key, claims));
    assert.equal(fit.ui?.repoUuid, "{c389eba6-ca13-49c5-8dec-4e617d39dffe}");
    assert.equal(fit.ui?.workspaceUuid, "{b7ea02c9-3f1d-4d6e-8a2b-5c9e1f0d7a63}");
  });

  it("refuses an unsigned token (alg none)", async () => {
    assert.match(await refusal(verify, unsignedFit(triggerClaims(APP, install))), /refused/);
  });

  it("refuses an HS256 token keyed with the public key's modulus (algorithm confusion)", async () => {
    assert.match(await refusal(verify, await hmacFit(String(key.publicJwk.n), triggerClaims(APP, install), key.kid)), /refused/);
  });

  it("refuses a token signed by another key under the published kid", async () => {
    const other = await signingKey(key.kid);
    await refusal(verify, await signFit(other, triggerClaims(APP, install)));
  });

  it("refuses a token for another app", async () => {
    const claims = triggerClaims("ari:cloud:ecosystem::app/11111111-0000-4000-8000-000000000000", install);
    assert.match(await refusal(verify, await signFit(key, claims)), /aud/);
  });

  it("refuses a token of another environment (a development install must not touch production links)", async () => {
    const claims = triggerClaims(APP, { ...install, environment: "DEVELOPMENT" });
    assert.match(await refusal(verify, await signFit(key, claims)), /DEVELOPMENT/);
  });

  it("refuses an expired token, beyond the small clock skew", async () => {
    assert.match(await refusal(verify, await signFit(key, triggerClaims(APP, install), { ttlSeconds: -60 })), /exp/);
  });

  it("refuses a token not valid before a minute from now", async () => {
    assert.match(await refusal(verify, await signFit(key, triggerClaims(APP, install), { notBeforeInSeconds: 60 })), /nbf/);
  });

  it("refuses a token without a key id", async () => {
    assert.match(await refusal(verify, await signFit(key, triggerClaims(APP, install), { kid: null })), /key id/);
  });

  it("refuses a token of another issuer", async () => {
    assert.match(await refusal(verify, await signFit(key, triggerClaims(APP, install), { issuer: "someone" })), /iss/);
  });

  it("refuses a signed token whose claims lack the installation's workspace", async () => {
    const claims = triggerClaims(APP, install) as { app: { installation: { contexts: unknown[] } } };
    claims.app.installation.contexts = [{ name: "bitbucket" }];
    assert.match(await refusal(verify, await signFit(key, claims)), /claims/);
  });

  it("refuses what is not a JWT at all", async () => {
    assert.match(await refusal(verify, "not-a-token"), /not a JWT/);
  });
});

// Issue 11 item 3: cache the keys, refetch on an unknown `kid` (ACE 11 builds a key set per request).
describe("Forge's key set at FORGE_JWKS_URL", () => {
  it("is fetched once for many tokens, and again when a token names a key it does not hold yet (rotation)", async () => {
    const first = await signingKey();
    const rotated = await signingKey();
    const published = [first.publicJwk];
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
      const verify = fitVerifier({ ...config, jwksUrl: url }, remoteKeys(url));
      for (let i = 0; i < 3; i++) await verify(await signFit(first, triggerClaims(APP, install)));
      assert.equal(fetches, 1, "the key set is fetched once and cached");

      published.push(rotated.publicJwk);
      const token = await signFit(rotated, triggerClaims(APP, install));
      // jose refetches at most every 30 s (a flood of unknown kids costs no flood of fetches): move its clock on.
      const realNow = Date.now;
      Date.now = () => realNow() + 31_000;
      try {
        await verify(token);
      } finally {
        Date.now = realNow;
      }
      assert.equal(fetches, 2, "an unknown kid makes it fetch the key set again");
    } finally {
      server.close();
    }
  });
});
