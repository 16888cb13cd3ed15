import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createQueryStringHash, decodeSymmetric, encodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from "atlassian-jwt";
import { BitbucketSim, type SimRepo, type SimTenant } from "../../sim/bitbucket-sim";
import { type FakeConnectApp, startFakeConnectApp } from "../../sim/bitbucket-sim/fake-connect-app";

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(__dirname, "..", "..", "sim", "fixtures", "bitbucket", `${name}.json`), "utf8"));
const nowSeconds = () => Math.floor(Date.now() / 1000);
const SHA = "0123456789abcdef0123456789abcdef01234567";
const STATUS = {
  key: "gitlab-42",
  state: "INPROGRESS",
  name: "GitLab CI: group/project #7",
  url: "https://gitlab.example.com/group/project/-/pipelines/7",
  refname: "main",
};

describe("BitbucketSim", () => {
  let sim: BitbucketSim;
  let app: FakeConnectApp;
  let tenant: SimTenant;
  let repo: SimRepo;

  interface Signer {
    claims?: Record<string, unknown>;
    as?: SimTenant;
    secret?: string;
    alg?: SymmetricAlgorithm;
  }
  /** Signs as the app will: iss = app key, sub = clientKey, qsh over the path relative to the API base URL. */
  function appToken(method: string, pathAndQuery: string, { claims = {}, as = tenant, secret, alg }: Signer = {}) {
    const iat = nowSeconds();
    const qsh = createQueryStringHash(fromMethodAndUrl(method, pathAndQuery), false, sim.apiBaseUrl);
    const payload = { iss: as.appKey, sub: as.clientKey, iat, exp: iat + 180, qsh, ...claims };
    return encodeSymmetric(payload, secret ?? as.sharedSecret, alg ?? SymmetricAlgorithm.HS256);
  }

  const statusPath = (r: SimRepo = repo, sha = SHA) =>
    `/2.0/repositories/${r.workspace.slug}/${r.slug}/commit/${sha}/statuses/build`;

  async function call(method: string, pathAndQuery: string, init: { token?: string; body?: unknown } = {}) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (init.token) headers.authorization = `JWT ${init.token}`;
    const res = await fetch(sim.apiBaseUrl + pathAndQuery, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, headers: res.headers, body: await res.json().catch(() => undefined) };
  }

  const postStatus = (body: unknown = STATUS, token = appToken("POST", statusPath()), p = statusPath()) =>
    call("POST", p, { token, body });

  before(async () => {
    sim = await BitbucketSim.start();
    app = await startFakeConnectApp("gitlab-ci-for-bitbucket");
    ({ tenant } = await sim.install(app.url, { workspaceSlug: "acme-corp" }));
    repo = sim.addRepository(tenant, "widgets");
  });
  after(async () => {
    await sim.close();
    await app.close();
  });
  afterEach(() => sim.clearFaults());

  describe("the status API", () => {
    it("accepts a correctly signed build status, answers a Bitbucket commitstatus and records it", async () => {
      const res = await postStatus();
      assert.equal(res.status, 201);
      assert.equal(res.body.type, "build");
      assert.equal(res.body.key, STATUS.key);
      assert.equal(res.body.links.self.href, `${sim.apiBaseUrl}${statusPath()}/${STATUS.key}`);
      const [recorded] = sim.statuses({ repoUuid: repo.uuid, sha: SHA });
      assert.equal(recorded.state, "INPROGRESS");
      assert.equal(recorded.postedBy, tenant.clientKey);
      const recordedCall = sim.apiCalls.at(-1)!;
      assert.deepEqual([recordedCall.method, recordedCall.status, recordedCall.clientKey], ["POST", 201, tenant.clientKey]);
    });

    it("accepts URL-encoded braced uuids for the workspace and the repository", async () => {
      const p = `/2.0/repositories/${encodeURIComponent(tenant.workspace.uuid)}/${encodeURIComponent(repo.uuid)}/commit/${SHA}/statuses/build`;
      const res = await postStatus({ ...STATUS, key: "by-uuid" }, appToken("POST", p), p);
      assert.equal(res.status, 201);
    });

    it("serves one status by key and lists the commit's statuses", async () => {
      await postStatus({ ...STATUS, key: "listed" });
      const one = await call("GET", `${statusPath()}/listed`, { token: appToken("GET", `${statusPath()}/listed`) });
      assert.equal(one.status, 200);
      assert.equal(one.body.key, "listed");
      const listPath = `/2.0/repositories/${repo.workspace.slug}/${repo.slug}/commit/${SHA}/statuses?pagelen=100`;
      const list = await call("GET", listPath, { token: appToken("GET", listPath) });
      assert.equal(list.status, 200);
      assert.ok(list.body.values.some((s: any) => s.key === "listed"));
    });

    /** Each refusal must be for the stated reason, not for some other flaw in the request. */
    const refusals: [string, () => Promise<{ status: number; body: any }>, RegExp][] = [
      [
        "a request without an Authorization header",
        () => call("POST", statusPath(), { body: STATUS }),
        /Authentication required/,
      ],
      [
        "a token sent as a jwt query parameter",
        () => call("POST", `${statusPath()}?jwt=${appToken("POST", statusPath())}`, { body: STATUS }),
        /query parameter/,
      ],
      [
        "a token signed with another secret",
        () => postStatus(STATUS, appToken("POST", statusPath(), { secret: "not-the-shared-secret" })),
        /signature/,
      ],
      [
        "a token whose sub is not an installed tenant",
        () =>
          postStatus(
            STATUS,
            appToken("POST", statusPath(), {
              claims: { sub: "ari:cloud:bitbucket::app/{00000000-0000-0000-0000-000000000000}/gitlab-ci-for-bitbucket" },
            }),
          ),
        /sub/,
      ],
      [
        "a token whose iss is the clientKey instead of the app key",
        () => postStatus(STATUS, appToken("POST", statusPath(), { claims: { iss: tenant.clientKey } })),
        /iss/,
      ],
      [
        "an expired token",
        () => postStatus(STATUS, appToken("POST", statusPath(), { claims: { iat: nowSeconds() - 600, exp: nowSeconds() - 1 } })),
        /expired/,
      ],
      ["a token without exp", () => postStatus(STATUS, appToken("POST", statusPath(), { claims: { exp: undefined } })), /no exp/],
      ["a token without iat", () => postStatus(STATUS, appToken("POST", statusPath(), { claims: { iat: undefined } })), /no iat/],
      [
        "a token whose qsh is for another path",
        () => postStatus(STATUS, appToken("POST", statusPath(repo, "f".repeat(40)))),
        /qsh/,
      ],
      ["a token whose qsh is for another method", () => postStatus(STATUS, appToken("GET", statusPath())), /qsh/],
      [
        "an unsigned token (alg none)",
        () => {
          const part = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
          return postStatus(STATUS, `${part({ alg: "none", typ: "JWT" })}.${appToken("POST", statusPath()).split(".")[1]}.`);
        },
        /Algorithm/,
      ],
      [
        "a token signed with HS512",
        () => postStatus(STATUS, appToken("POST", statusPath(), { alg: SymmetricAlgorithm.HS512 })),
        /Algorithm/,
      ],
    ];
    for (const [what, send, reason] of refusals) {
      it(`refuses ${what} with 401 and Bitbucket's error body`, async () => {
        const countBefore = sim.statuses().length;
        const res = await send();
        assert.equal(res.status, 401);
        assert.equal(res.body.type, "error");
        assert.match(res.body.error.message, reason);
        assert.equal(sim.statuses().length, countBefore);
      });
    }

    it("answers 404 for a repository of another workspace", async () => {
      const { tenant: other } = await sim.install(app.url, { workspaceSlug: "someone-else" });
      const foreign = sim.addRepository(other, "secret-repo");
      const res = await postStatus(STATUS, appToken("POST", statusPath(foreign)), statusPath(foreign));
      assert.equal(res.status, 404);
      assert.equal(res.body.type, "error");
    });

    it("answers 400 for a key of 41 characters, naming the field", async () => {
      const res = await postStatus({ ...STATUS, key: "k".repeat(41) });
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.body.error.fields), ["key"]);
      assert.equal((await postStatus({ ...STATUS, key: "k".repeat(40) })).status, 201);
    });

    it("answers 400 for a state outside INPROGRESS, SUCCESSFUL, FAILED, STOPPED", async () => {
      const res = await postStatus({ ...STATUS, state: "RUNNING" });
      assert.equal(res.status, 400);
      assert.ok(res.body.error.fields.state);
    });

    it("answers 400 for a url whose host has no dot", async () => {
      const res = await postStatus({ ...STATUS, key: "dotless", url: "http://localhost:8080/pipelines/1" });
      assert.equal(res.status, 400);
      assert.ok(res.body.error.fields.url);
    });

    it("overwrites a status posted again with the same key, keeping one status per key", async () => {
      const first = await postStatus({ ...STATUS, key: "overwrite" });
      const second = await postStatus({ ...STATUS, key: "overwrite", state: "SUCCESSFUL" });
      assert.deepEqual([first.status, second.status], [201, 200]);
      const kept = sim.statuses({ sha: SHA }).filter((s) => s.key === "overwrite");
      assert.equal(kept.length, 1);
      assert.equal(kept[0].state, "SUCCESSFUL");
      assert.equal(kept[0].updates, 1);
    });

    it("refuses with 403 an overwrite by an app other than the status's creator", async () => {
      await postStatus({ ...STATUS, key: "owned" });
      const otherApp = await startFakeConnectApp("another-ci-app");
      try {
        const { tenant: rival } = await sim.install(otherApp.url, { workspaceUuid: tenant.workspace.uuid });
        const token = appToken("POST", statusPath(), { as: rival });
        const res = await postStatus({ ...STATUS, key: "owned", state: "FAILED" }, token);
        assert.equal(res.status, 403);
        assert.equal(sim.statuses({ sha: SHA }).find((s) => s.key === "owned")?.state, "INPROGRESS");
      } finally {
        await otherApp.close();
      }
    });
  });

  describe("injected faults on the REST API", () => {
    const answered = async () => {
      const { status } = await postStatus();
      return status < 300 ? "ok" : status;
    };

    it("serves a 429 with Retry-After once, then answers normally", async () => {
      sim.injectFaults({ status: 429, retryAfter: 7 });
      const limited = await postStatus();
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "7");
      assert.equal(await answered(), "ok");
    });

    it("serves a 429 without Retry-After when none is given", async () => {
      sim.injectFaults({ status: 429 });
      const limited = await postStatus();
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), null);
      assert.equal(await answered(), "ok");
    });

    it("serves a 500 once", async () => {
      sim.injectFaults({ status: 500 });
      assert.equal((await postStatus()).status, 500);
      assert.equal(await answered(), "ok");
    });

    it("drops the connection once without answering", async () => {
      sim.injectFaults({ drop: true });
      await assert.rejects(postStatus());
      assert.equal(sim.apiCalls.at(-1)?.status, 0);
      assert.equal(await answered(), "ok");
    });

    it("delays the normal answer", async () => {
      sim.injectFaults({ delayMs: 150 });
      const started = Date.now();
      assert.equal(await answered(), "ok");
      assert.ok(Date.now() - started >= 140);
    });

    it("serves queued faults first in, first out", async () => {
      sim.injectFaults({ status: 503 }, 2);
      sim.injectFaults({ status: 429 });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await answered());
      assert.deepEqual(answers, [503, 503, 429, "ok"]);
    });
  });

  describe("the app lifecycle", () => {
    it("installs with an unsigned body shaped like the installed fixture", async () => {
      const fresh = await startFakeConnectApp("gitlab-ci-for-bitbucket");
      try {
        const { status, tenant: t } = await sim.install(fresh.url);
        const [installed] = fresh.received;
        assert.equal(status, 204);
        assert.equal(installed.headers.authorization, undefined);
        assert.deepEqual(Object.keys(installed.body).sort(), Object.keys(fixture("installed")).sort());
        assert.equal(installed.body.clientKey, `ari:cloud:bitbucket::app/${t.workspace.uuid}/gitlab-ci-for-bitbucket`);
        assert.equal(installed.body.baseApiUrl, sim.apiBaseUrl);
        assert.equal(installed.body.principal.uuid, t.workspace.uuid);
        assert.ok(installed.body.sharedSecret.length >= 64 && installed.body.sharedSecret.length <= 128);
      } finally {
        await fresh.close();
      }
    });

    it("signs a re-install with the previous secret and sends a new one", async () => {
      const previous = tenant.sharedSecret;
      await sim.install(app.url, { workspaceUuid: tenant.workspace.uuid });
      const reinstall = app.received.at(-1)!;
      const token = String(reinstall.headers.authorization).replace(/^JWT /, "");
      const claims = decodeSymmetric(token, previous, SymmetricAlgorithm.HS256);
      assert.equal(claims.iss, tenant.clientKey);
      assert.deepEqual(claims.aud, [tenant.clientKey]);
      assert.equal(claims.qsh, createQueryStringHash(fromMethodAndUrl("POST", "/installed"), false, app.url));
      assert.notEqual(reinstall.body.sharedSecret, previous);
      assert.equal(tenant.sharedSecret, reinstall.body.sharedSecret);
      assert.equal((await postStatus({ ...STATUS, key: "after-reinstall" })).status, 201);
    });

    it("does not count a tenant as installed when the app refuses the install", async () => {
      app.installedStatus = 500;
      try {
        const { status, tenant: refused } = await sim.install(app.url, { workspaceSlug: "refused-workspace" });
        assert.equal(status, 500);
        assert.equal(refused.installed, false);
      } finally {
        app.installedStatus = 204;
      }
    });

    it("uninstalls with a signed body without sharedSecret, after which the status API refuses the tenant", async () => {
      const { tenant: leaving } = await sim.install(app.url, { workspaceSlug: "leaving" });
      const leavingRepo = sim.addRepository(leaving, "repo");
      const { status } = await sim.uninstall(leaving);
      const uninstalled = app.received.at(-1)!;
      assert.equal(status, 204);
      assert.equal(uninstalled.path, "/uninstalled");
      assert.equal(uninstalled.body.sharedSecret, undefined);
      decodeSymmetric(String(uninstalled.headers.authorization).slice(4), leaving.sharedSecret, SymmetricAlgorithm.HS256);
      const token = appToken("POST", statusPath(leavingRepo), { as: leaving });
      assert.equal((await postStatus(STATUS, token, statusPath(leavingRepo))).status, 401);
    });
  });

  describe("webhooks and pages", () => {
    it("pushes a new branch, then an update naming the previous head, as signed repo:push webhooks", async () => {
      const created = await sim.push(tenant, repo, { branch: "feature/x" });
      const updated = await sim.push(tenant, repo, { branch: "feature/x" });
      const delivery = app.received.at(-1)!;
      assert.equal(delivery.path, "/webhooks/bitbucket");
      assert.equal(delivery.headers["x-event-key"], "repo:push");
      const claims = decodeSymmetric(
        String(delivery.headers.authorization).slice(4),
        tenant.sharedSecret,
        SymmetricAlgorithm.HS256,
      );
      assert.equal(claims.qsh, createQueryStringHash(fromMethodAndUrl("POST", "/webhooks/bitbucket"), false, app.url));
      const [change] = delivery.body.data.push.changes;
      assert.equal(delivery.body.event, "repo:push");
      assert.equal(delivery.body.data.repository.uuid, repo.uuid);
      assert.deepEqual([change.created, change.old.target.hash, change.new.target.hash], [false, created.sha, updated.sha]);
      assert.equal(change.new.name, "feature/x");
      assert.equal(repo.branches.get("feature/x"), updated.sha);
    });

    it("builds the settings page url from the descriptor, with a jwt whose qsh covers the other query params", () => {
      const url = new URL(sim.pageUrl(tenant, repo));
      assert.equal(url.origin + url.pathname, `${app.url}/settings/repository`);
      assert.equal(url.searchParams.get("repoUuid"), repo.uuid);
      assert.equal(url.searchParams.get("repoPath"), repo.fullName);
      const claims = decodeSymmetric(url.searchParams.get("jwt")!, tenant.sharedSecret, SymmetricAlgorithm.HS256);
      assert.equal(claims.iss, tenant.clientKey);
      assert.equal(typeof claims.sub, "string");
      assert.ok(claims.exp - claims.iat <= 180);
      assert.equal(claims.qsh, createQueryStringHash(fromMethodAndUrl("GET", url.pathname + url.search), false, app.url));
    });
  });
});
