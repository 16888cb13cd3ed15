import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { SimRepo, SimTenant } from "../../sim/bitbucket-sim";
import { endlessJson, hostileServers } from "../support/hostile-server";
import { eventually, Stack } from "../support/stack";

describe("a hostile GitLab, as the settings page meets it", function () {
  this.timeout(30_000);
  let stack: Stack;
  let tenant: SimTenant;
  let repo: SimRepo;
  let settingsToken: string;
  before(async () => {
    stack = await Stack.start();
    tenant = await stack.install();
    repo = stack.bitbucket.addRepository(tenant, "widgets");
    settingsToken = await stack.settingsToken(tenant, repo);
  });
  after(async () => stack.stop());

  const serve = hostileServers();
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/${route}`, {
      method: "POST",
      headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) };
  };
  const token = "glpat-hostile-test-token";

  it("an answer of 64 MB is cut off at 4 MB while it streams, and the page gets a clear 422", async () => {
    const big = endlessJson(64 * 1024 * 1024);
    const gitlab = await serve(big.handler);
    const { status, body, text } = await post("gitlab/check", { gitlabUrl: gitlab.url, token });
    assert.equal(status, 422);
    assert.equal(body.error.code, "gitlab_unreachable");
    assert.equal(body.error.message, "GitLab's answer was larger than 4 MB");
    assert.ok(text.length < 1_000, "nothing of the answer is echoed");
    await eventually(() => big.state.closed);
    assert.equal(big.state.finished, false, "the app hung up instead of reading the rest");
  });

  it("an answer announced larger than 4 MB is refused before its body is read", async () => {
    const gitlab = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(300 * 1024 * 1024) });
      res.write('{"id":1,"username":"');
    });
    const { status, body } = await post("gitlab/check", { gitlabUrl: gitlab.url, token });
    assert.equal(status, 422);
    assert.equal(body.error.message, "GitLab's answer was larger than 4 MB");
  });

  it("answers are asked for uncompressed, and a compressed one (a gzip bomb) is refused", async () => {
    const bomb = gzipSync(`{"id":1,"username":"${"a".repeat(32 * 1024 * 1024)}","name":"x"}`);
    const gitlab = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Encoding": "gzip", "Content-Length": bomb.length });
      res.end(bomb);
    });
    const { status, body } = await post("gitlab/check", { gitlabUrl: gitlab.url, token });
    assert.equal(status, 422);
    assert.match(body.error.message, /^GitLab compressed its answer \(gzip\) although asked not to$/);
    assert.equal(gitlab.requests[0]?.headers["accept-encoding"], "identity");
  });

  it("a redirect to another origin is not followed: the token never reaches it, and the page says why", async () => {
    const elsewhere = await serve((_req, res) => res.end("{}"));
    const gitlab = await serve((req, res) => res.writeHead(307, { Location: `${elsewhere.url}${req.url}` }).end());
    const { status, body } = await post("gitlab/check", { gitlabUrl: gitlab.url, token });
    assert.equal(status, 422);
    assert.equal(
      body.error.message,
      `GitLab answered with a redirect (307) to ${elsewhere.url}/api/v4/user; use the final address`,
    );
    assert.equal(gitlab.requests[0]?.headers["private-token"], token, "the first hop was GitLab itself");
    assert.deepEqual(elsewhere.requests, [], "nothing, and no PRIVATE-TOKEN, reached the other origin");
  });

  it("strings GitLab answers are cut short before they reach the page", async () => {
    const gitlab = await serve((req, res) => {
      if (req.url !== "/api/v4/user") return res.writeHead(404, { "Content-Type": "application/json" }).end("{}");
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ id: 1, username: "u".repeat(1_000_000), name: "n".repeat(1_000_000) }));
    });
    const { status, body, text } = await post("gitlab/check", { gitlabUrl: gitlab.url, token });
    assert.equal(status, 200);
    assert.equal(body.user.username.length, 1_000);
    assert.ok(text.length < 5_000, `the answer to the page is ${text.length} characters`);
  });

  for (const project of [".", "..", "acme/..", "./widgets"]) {
    it(`a project path of ${JSON.stringify(project)} is refused before GitLab is asked anything`, async () => {
      const gitlab = await serve((_req, res) => res.writeHead(500).end());
      for (const [route, method] of [
        ["gitlab/project", "POST"],
        ["link", "PUT"],
      ] as const) {
        const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/${route}`, {
          method,
          headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
          body: JSON.stringify({ gitlabUrl: gitlab.url, token, project }),
        });
        const body = (await res.json()) as { error: { code: string; fields?: Record<string, string> } };
        assert.equal(res.status, 400, `${method} ${route}`);
        assert.equal(body.error.code, "invalid_request");
        assert.match(body.error.fields?.project ?? "", /'\.' or '\.\.'/);
      }
      assert.deepEqual(gitlab.requests, []);
    });
  }
});
