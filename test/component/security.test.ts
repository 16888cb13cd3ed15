import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from "atlassian-jwt";
import type { SimTenant } from "../../sim/bitbucket-sim";
import { Stack } from "../support/stack";

/** A JWT with any header, signed HS256 with `secret` (so header-confusion attacks can be built). */
function forge(header: object, claims: object, secret: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const signingInput = `${part(header)}.${part(claims)}`;
  return `${signingInput}.${createHmac("sha256", secret).update(signingInput).digest("base64url")}`;
}

describe("attacks on the Bitbucket-facing routes", function () {
  this.timeout(30_000);
  let stack: Stack;
  let tenant: SimTenant;
  let other: SimTenant;
  before(async () => {
    stack = await Stack.start();
    tenant = await stack.install("acme-corp");
    other = await stack.install("other-corp");
  });
  after(async () => stack.stop());

  const qsh = (method: string, pathAndQuery: string) => createQueryStringHash(fromMethodAndUrl(method, pathAndQuery), false);
  const now = () => Math.floor(Date.now() / 1000);

  /** The ways to present a token that is not a valid one for `tenant` on this request. */
  function badTokens(method: string, pathAndQuery: string): Record<string, string | null> {
    const claims = { iss: tenant.clientKey, aud: tenant.clientKey, iat: now(), exp: now() + 120, qsh: qsh(method, pathAndQuery) };
    return {
      "no token": null,
      "a token of an unknown tenant": encodeSymmetric(
        { ...claims, iss: "ari:cloud:bitbucket::app/{00000000-0000-0000-0000-00000000dead}/x", aud: undefined },
        "whatever-secret-value",
        SymmetricAlgorithm.HS256,
      ),
      "a token signed with another tenant's secret": encodeSymmetric(claims, other.sharedSecret, SymmetricAlgorithm.HS256),
      "an expired token": encodeSymmetric(
        { ...claims, iat: now() - 600, exp: now() - 60 },
        tenant.sharedSecret,
        SymmetricAlgorithm.HS256,
      ),
      "a token without expiry": encodeSymmetric({ ...claims, exp: undefined }, tenant.sharedSecret, SymmetricAlgorithm.HS256),
      "a token without iat": encodeSymmetric({ ...claims, iat: undefined }, tenant.sharedSecret, SymmetricAlgorithm.HS256),
      "a token issued a day in the future": encodeSymmetric(
        { ...claims, iat: now() + 86_400, exp: now() + 86_400 + 120 },
        tenant.sharedSecret,
        SymmetricAlgorithm.HS256,
      ),
      "a token valid for ten years": encodeSymmetric(
        { ...claims, exp: now() + 10 * 365 * 86_400 },
        tenant.sharedSecret,
        SymmetricAlgorithm.HS256,
      ),
      "a token not valid before an hour from now": encodeSymmetric(
        { ...claims, nbf: now() + 3600 },
        tenant.sharedSecret,
        SymmetricAlgorithm.HS256,
      ),
      "a token whose qsh is for another URL": encodeSymmetric(
        { ...claims, qsh: qsh(method, "/somewhere/else") },
        tenant.sharedSecret,
        SymmetricAlgorithm.HS256,
      ),
      "a token with alg none": `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`,
      "an RS256 header over an HMAC signature (alg confusion)": forge({ alg: "RS256", typ: "JWT" }, claims, tenant.sharedSecret),
      "an HS512 token (only HS256 is Connect's)": forge({ alg: "HS512", typ: "JWT" }, claims, tenant.sharedSecret),
    };
  }

  it("the repo:push webhook refuses every forged or misused token with 401 and stores nothing", async () => {
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const body = { event: "repo:push", data: { repository: { uuid: repo.uuid }, push: { changes: [] } } };
    for (const [name, token] of Object.entries(badTokens("POST", "/webhooks/bitbucket"))) {
      const res = await fetch(`${stack.app.url}/webhooks/bitbucket`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(token ? { Authorization: `JWT ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 401, name);
      assert.deepEqual(((await res.json()) as any).error.code, "unauthorized", name);
    }
    assert.equal((await stack.app.deps.outbox.depth()).pending, 0);
  });

  it("the settings page refuses every forged or misused token with 401", async () => {
    const repo = stack.bitbucket.addRepository(tenant, "gadgets");
    const pathAndQuery = `/settings/repository?repoUuid=${encodeURIComponent(repo.uuid)}`;
    for (const [name, token] of Object.entries(badTokens("GET", pathAndQuery))) {
      const res = await fetch(`${stack.app.url}${pathAndQuery}${token ? `&jwt=${token}` : ""}`);
      assert.equal(res.status, 401, name);
      assert.doesNotMatch(await res.text(), /meta name="token"/, name);
    }
  });

  it("the uninstall hook refuses every forged token and the tenant survives", async () => {
    for (const [name, token] of Object.entries(badTokens("POST", "/uninstalled"))) {
      const res = await fetch(`${stack.app.url}/uninstalled`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(token ? { Authorization: `JWT ${token}` } : {}) },
        body: JSON.stringify({ key: "gitlab-ci-for-bitbucket", clientKey: tenant.clientKey, productType: "bitbucket" }),
      });
      assert.equal(res.status, 401, name);
    }
    assert.ok(await stack.app.deps.tenants.tenants.find(tenant.clientKey));
  });

  it("the uninstall hook verifies the token ACE verifies: a decoy header beside a non-expiring body token is refused", async () => {
    const forever = encodeSymmetric(
      { iss: tenant.clientKey, aud: tenant.clientKey, iat: now(), qsh: qsh("POST", "/uninstalled") },
      tenant.sharedSecret,
      SymmetricAlgorithm.HS256,
    );
    const decoy = encodeSymmetric(
      { iss: tenant.clientKey, aud: tenant.clientKey, iat: now(), exp: now() + 60, qsh: "decoy" },
      "decoy-secret-of-no-one",
      SymmetricAlgorithm.HS256,
    );
    const res = await fetch(`${stack.app.url}/uninstalled`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `JWT ${decoy}` },
      body: JSON.stringify({
        key: "gitlab-ci-for-bitbucket",
        clientKey: tenant.clientKey,
        productType: "bitbucket",
        jwt: forever,
      }),
    });
    assert.equal(res.status, 401);
    assert.ok(await stack.app.deps.tenants.tenants.find(tenant.clientKey), "the tenant survives");
  });

  it("a Bitbucket token within the bounds passes: issued 30 s ahead of our clock, valid for exactly an hour", async () => {
    const repo = stack.bitbucket.addRepository(tenant, "bounds");
    const res = await fetch(stack.bitbucket.pageUrl(tenant, repo, { iat: now() + 30, expiresInSeconds: 3600 }));
    assert.equal(res.status, 200);
  });

  it("one tenant cannot uninstall another, even with a valid token of its own", async () => {
    const res = await stack.bitbucket.signedFetch(other, "POST", "/uninstalled", {
      key: "gitlab-ci-for-bitbucket",
      clientKey: tenant.clientKey,
      productType: "bitbucket",
    });
    assert.equal(res.status, 401);
    assert.ok(await stack.app.deps.tenants.tenants.find(tenant.clientKey));
  });

  it("the page escapes what it renders: a hostile repository name stays text", async () => {
    const repo = stack.bitbucket.addRepository(tenant, "escape");
    const hostile = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`;
    const pathAndQuery = `/settings/repository?repoUuid=${encodeURIComponent(repo.uuid)}&repoPath=${encodeURIComponent(hostile)}`;
    const jwt = stack.bitbucket.sign(tenant, "GET", pathAndQuery);
    const res = await fetch(`${stack.app.url}${pathAndQuery}&jwt=${jwt}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.ok(!html.includes("<script>alert(1)"), "script tag rendered raw");
    assert.ok(!html.includes("<img src=x"), "img tag rendered raw");
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  });
});

describe("the settings API is bound to one repository of one tenant", function () {
  this.timeout(30_000);
  let stack: Stack;
  before(async () => (stack = await Stack.start()));
  after(async () => stack.stop());

  it("answers 403 for another repository of the same workspace and for another workspace's repository, 401 for tokens not ours", async () => {
    const a = await stack.install("acme-corp");
    const b = await stack.install("other-corp");
    const a1 = stack.bitbucket.addRepository(a, "one");
    const a2 = stack.bitbucket.addRepository(a, "two");
    const b1 = stack.bitbucket.addRepository(b, "one");
    const tokenA1 = await stack.settingsToken(a, a1);
    const tokenB1 = await stack.settingsToken(b, b1);
    const body = { gitlabUrl: stack.gitlab.url, project: "x/y", token: "glpat-abcdefghijkl" };

    // Own repository: GET says not linked, PUT reaches GitLab (which refuses the made-up token), DELETE is idempotent.
    const matrix: [string, string, string, { GET: number; PUT: number; DELETE: number }][] = [
      ["own repository", tokenA1, a1.uuid, { GET: 404, PUT: 422, DELETE: 204 }],
      ["another repository, same workspace", tokenA1, a2.uuid, { GET: 403, PUT: 403, DELETE: 403 }],
      ["another workspace's repository", tokenA1, b1.uuid, { GET: 403, PUT: 403, DELETE: 403 }],
      ["this repository, from another workspace's page", tokenB1, a1.uuid, { GET: 403, PUT: 403, DELETE: 403 }],
    ];
    for (const [name, token, repoUuid, expected] of matrix) {
      for (const method of ["GET", "PUT", "DELETE"] as const) {
        const res = await stack.api(token, method, repoUuid, method === "PUT" ? body : undefined);
        assert.equal(res.status, expected[method], `${name} ${method}`);
      }
    }

    // Tokens Bitbucket or ACE issue for anything else never pass for ours.
    const page = await fetch(stack.bitbucket.pageUrl(a, a1));
    const aceSessionToken = page.headers.get("x-acpt");
    assert.ok(aceSessionToken, "ACE issued no session token to try");
    assert.equal((await stack.api(aceSessionToken, "GET", a1.uuid)).status, 401);
    const pageJwt = new URL(stack.bitbucket.pageUrl(a, a1)).searchParams.get("jwt")!;
    assert.equal((await stack.api(pageJwt, "GET", a1.uuid)).status, 401);
  });

  it("sends no CORS permission, so another site's script cannot call it even with a browser's help", async () => {
    const res = await fetch(`${stack.app.url}/api/repositories/%7Bx%7D/link`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://evil.example.com",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization",
      },
    });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    const form = await fetch(`${stack.app.url}/api/repositories/%7Bx%7D/link`, {
      method: "DELETE",
      headers: { Origin: "https://evil.example.com", Cookie: "session=1" },
    });
    assert.equal(form.status, 401);
  });
});

describe("GitLab webhook secrets", function () {
  this.timeout(30_000);
  let stack: Stack;
  before(async () => (stack = await Stack.start()));
  after(async () => stack.stop());

  it("one link's secret cannot post to another link's URL, and an unknown URL says 404 whatever the secret", async () => {
    const a = await stack.linkedRepository({ projectPath: "acme/a", repoSlug: "a" });
    const tenant = a.tenant;
    const repoB = stack.bitbucket.addRepository(tenant, "b");
    const projectB = stack.gitlab.addProject("acme/b", { mirror: true });
    stack.gitlab.addMember(projectB, a.user, 40);
    const tokenB = await stack.settingsToken(tenant, repoB);
    const linkedB = await stack.api(tokenB, "PUT", repoB.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: "acme/b",
      token: a.gitlabToken,
    });
    assert.equal(linkedB.status, 200);
    const secretA = stack.gitlab.hooks(a.project)[0]!.token!;
    assert.ok(Buffer.from(secretA, "base64url").length >= 32, "webhook secrets must carry at least 32 random bytes");

    const p = stack.gitlab.createPipeline(projectB, { sha: "b".repeat(40), ref: "main" });
    stack.gitlab.setPipelineStatus(p, "success");
    const res = await fetch(linkedB.body.webhook.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Gitlab-Event": "Pipeline Hook", "X-Gitlab-Token": secretA },
      body: JSON.stringify(stack.gitlab.pipelineHookPayload(p)),
    });
    assert.equal(res.status, 401);

    const unknown = `${stack.app.url}/webhooks/gitlab/00000000-0000-4000-8000-000000000000`;
    for (const token of [secretA, "wrong"]) {
      const r = await fetch(unknown, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Gitlab-Event": "Pipeline Hook", "X-Gitlab-Token": token },
        body: "{}",
      });
      assert.equal(r.status, 404);
    }
  });

  it("a link's own secret cannot report another project's pipeline into its repository", async () => {
    const { project } = await stack.linkedRepository({ projectPath: "acme/c", repoSlug: "c" });
    const elsewhere = stack.gitlab.addProject("evil/project");
    const p = stack.gitlab.createPipeline(elsewhere, { sha: "c".repeat(40), ref: "main" });
    stack.gitlab.setPipelineStatus(p, "success");
    const hook = stack.gitlab.hooks(project)[0]!;
    const res = await fetch(hook.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Gitlab-Event": "Pipeline Hook", "X-Gitlab-Token": hook.token! },
      body: JSON.stringify(stack.gitlab.pipelineHookPayload(p)),
    });
    assert.equal(res.status, 403);
    assert.equal(stack.bitbucket.statuses({ sha: "c".repeat(40) }).length, 0);
  });
});
