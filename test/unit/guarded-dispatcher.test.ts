import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { GitLabApi } from "../../src/gitlab/gitlab-api";
import { gitlabDispatcher } from "../../src/gitlab/gitlab-dispatcher";
import { guardedDispatcher } from "../../src/gitlab/guarded-dispatcher";
import { toLinkError } from "../../src/links/gitlab-errors";

describe("connections to GitLab in production", () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/redirect") return res.writeHead(302, { Location: `http://localhost:${port}/inside` }).end();
      res.end("inside");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it("refuse a loopback address given as an IP", async () => {
    const dispatcher = guardedDispatcher([], 2_000);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { dispatcher } as RequestInit), (e: any) =>
      /private network/.test(e.cause?.message ?? ""),
    );
  });

  it("refuse a name that resolves to a loopback address (checked at connection time, after DNS)", async () => {
    const dispatcher = guardedDispatcher([], 2_000);
    await assert.rejects(fetch(`http://localhost:${port}/`, { dispatcher } as RequestInit), (e: any) =>
      /private network/.test(e.cause?.message ?? ""),
    );
  });

  it("refuse a redirect from an allowed host into the private network", async () => {
    const dispatcher = guardedDispatcher(["127.0.0.1"], 2_000);
    const direct = await fetch(`http://127.0.0.1:${port}/`, { dispatcher } as RequestInit);
    assert.equal(await direct.text(), "inside", "the allowed host itself is reachable");
    await assert.rejects(fetch(`http://127.0.0.1:${port}/redirect`, { dispatcher } as RequestInit), (e: any) =>
      /private network/.test(e.cause?.message ?? ""),
    );
  });

  it("connect to a host name GITLAB_ALLOWED_HOSTS names, though it resolves into the private network", async () => {
    const dispatcher = guardedDispatcher(["LocalHost"], 2_000);
    const res = await fetch(`http://localhost:${port}/`, { dispatcher } as RequestInit);
    assert.equal(await res.text(), "inside");
  });

  it("say why a connection was refused, and how to allow it, instead of 'fetch failed'", async () => {
    const dispatcher = gitlabDispatcher({ allowPrivate: false, allowedHosts: [], timeoutMs: 2_000 });
    const api = new GitLabApi(`http://localhost:${port}`, "glpat-test-token", 2_000, dispatcher);
    const error = await api.currentUser().then(
      () => assert.fail("connected"),
      (e: unknown) => toLinkError(e, "token"),
    );
    assert.match(
      error.message,
      /^Could not reach GitLab: Refusing to connect to localhost \((127\.0\.0\.1|::1)\): a private network address \(name the host in GITLAB_ALLOWED_HOSTS to allow it\)$/,
    );
  });
});
