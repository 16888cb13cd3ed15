import assert from "node:assert/strict";
import { BitbucketClient } from "../../src/bitbucket/bitbucket-client";
import { mintAccessToken } from "../../src/connect/access-token";
import type { Tenant } from "../../src/db/tenants";
import { PeerFailure } from "../../src/errors";
import { gitlabFailure, GitLabApi } from "../../src/gitlab/gitlab-api";
import { gitlabDispatcher } from "../../src/gitlab/gitlab-dispatcher";
import { endlessJson, hostileServers } from "../support/hostile-server";

describe("answers from peers are bounded", function () {
  this.timeout(20_000);
  const serve = hostileServers();
  const gitlab = (url: string) =>
    new GitLabApi(url, "glpat-test-token", 5_000, gitlabDispatcher({ allowPrivate: true, allowedHosts: [], timeoutMs: 5_000 }));
  const permanent = (message: RegExp) => (e: unknown) => e instanceof PeerFailure && !e.transient && message.test(e.message);

  it("a GitLab answer over the cap fails a delivery for good, not to be retried", async () => {
    const big = endlessJson(64 * 1024 * 1024);
    const server = await serve(big.handler);
    const failure = await gitlab(server.url)
      .pipeline(1, 2)
      .then(
        () => assert.fail("read it all"),
        (e: unknown) => gitlabFailure(e, "Reading the pipeline"),
      );
    assert.equal(failure.transient, false);
    assert.equal(failure.message, "Reading the pipeline: GitLab's answer was larger than 4 MB");
    assert.equal(big.state.finished, false);
  });

  it("a GitLab error answer (a 500 page) is capped too", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500, { "Content-Type": "text/html" });
      res.end("x".repeat(8 * 1024 * 1024));
    });
    const failure = await gitlab(server.url)
      .pipeline(1, 2)
      .then(
        () => assert.fail("succeeded"),
        (e: unknown) => gitlabFailure(e, "Reading the pipeline"),
      );
    assert.match(failure.message, /GitLab's answer was larger than 4 MB$/);
  });

  it("a project path of '..' never becomes a request (gitbeaker would call GET /api/v4/)", async () => {
    const server = await serve((_req, res) => res.end("{}"));
    for (const path of ["..", ".", "acme/.."]) {
      await assert.rejects(gitlab(server.url).project(path), /'\.' or '\.\.'/);
      await assert.rejects(gitlab(server.url).projectDetails(path), /'\.' or '\.\.'/);
    }
    assert.deepEqual(server.requests, []);
  });

  it("a Bitbucket answer to a status post over the cap is a permanent failure", async () => {
    const big = endlessJson(64 * 1024 * 1024);
    const server = await serve(big.handler);
    const client = new BitbucketClient({ baseApiUrl: server.url, auth: { authorization: () => "JWT x" }, timeoutMs: 5_000 });
    const status = { key: "k", state: "SUCCESSFUL" as const, name: "n", url: "https://gitlab.example.com", description: "d" };
    await assert.rejects(
      client.postBuildStatus("{ws}", "{repo}", "a".repeat(40), status),
      permanent(/^Bitbucket's answer was larger than 4 MB$/),
    );
    assert.equal(big.state.finished, false);
  });

  const tenantAt = (baseUrl: string) =>
    ({ clientKey: "ck", sharedSecret: "s".repeat(32), baseUrl, baseApiUrl: baseUrl, appKey: "app" }) as Tenant;

  it("Bitbucket's access-token answer is capped", async () => {
    const big = endlessJson(64 * 1024 * 1024);
    const server = await serve(big.handler);
    await assert.rejects(mintAccessToken(tenantAt(server.url), "app", 5_000), permanent(/larger than 4 MB/));
    assert.equal(big.state.finished, false);
  });

  it("Bitbucket's access-token request follows no redirect", async () => {
    const elsewhere = await serve((_req, res) => res.end('{"access_token":"t"}'));
    const server = await serve((req, res) => res.writeHead(307, { Location: `${elsewhere.url}${req.url}` }).end());
    await assert.rejects(mintAccessToken(tenantAt(server.url), "app", 5_000), permanent(/redirect \(307\)/));
    assert.deepEqual(elsewhere.requests, []);
  });
});
