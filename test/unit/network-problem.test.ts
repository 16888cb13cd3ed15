import assert from "node:assert/strict";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { GitLabApi } from "../../src/gitlab/gitlab-api";
import { gitlabDispatcher } from "../../src/gitlab/gitlab-dispatcher";
import { networkProblem } from "../../src/gitlab/network-problem";
import { toLinkError } from "../../src/links/gitlab-errors";

/** What the settings page would say when a call to GitLab at `url` fails. */
async function refusal(url: string, timeoutMs = 2_000): Promise<string> {
  const dispatcher = gitlabDispatcher({ allowPrivate: true, allowedHosts: [], timeoutMs });
  const api = new GitLabApi(url, "glpat-test-token", timeoutMs, dispatcher);
  return api.currentUser().then(
    () => assert.fail("GitLab answered"),
    (e: unknown) => toLinkError(e, "token").message,
  );
}

describe("a GitLab that cannot be reached is described in plain words", () => {
  it("a closed port is 'connection refused at host:port', not 'TypeError: fetch failed'", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const message = await refusal(`http://127.0.0.1:${port}`);
    assert.match(message, new RegExp(`^Could not reach GitLab: connection refused at 127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(message, /fetch failed|TypeError/);
  });

  it("a GitLab that never answers 'timed out after N s', N being the configured timeout", async () => {
    const silent = net.createServer(() => {}); // accepts the connection, never answers
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as AddressInfo;
    try {
      const message = await refusal(`http://127.0.0.1:${port}`, 500);
      assert.match(message, new RegExp(`^Could not reach GitLab: timed out after 0\\.5 s reaching 127\\.0\\.0\\.1:${port}$`));
    } finally {
      silent.close();
    }
  });

  it("the streamed test report passes the same checks as gitbeaker's calls: beforeCall first, the failure named", async () => {
    let connections = 0;
    const server = net.createServer((socket) => (connections++, socket.destroy()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const dispatcher = gitlabDispatcher({ allowPrivate: true, allowedHosts: [], timeoutMs: 2_000 });
    const url = `http://127.0.0.1:${port}`;
    try {
      const refused = new GitLabApi(url, "glpat-test-token", 2_000, dispatcher, undefined, async () => {
        throw new Error("host not allowed");
      });
      for (const call of [() => refused.currentUser(), () => refused.failedTests(1, 2, 10)])
        await assert.rejects(call(), /host not allowed/);
      assert.equal(connections, 0, "no request left before beforeCall said no");

      const api = new GitLabApi(url, "glpat-test-token", 2_000, dispatcher);
      const said = async (call: () => Promise<unknown>) =>
        call().then(
          () => assert.fail("GitLab answered"),
          (e: unknown) => toLinkError(e, "token").message,
        );
      const [gitbeaker, streamed] = [await said(() => api.currentUser()), await said(() => api.failedTests(1, 2, 10))];
      assert.match(streamed, /^Could not reach GitLab: /);
      assert.equal(streamed, gitbeaker);
    } finally {
      server.close();
    }
  });

  it("names an unknown host, a failed lookup and a certificate problem by their Node error codes", () => {
    const fetchFailed = (cause: object) => Object.assign(new TypeError("fetch failed"), { cause });
    assert.equal(
      networkProblem(fetchFailed({ code: "ENOTFOUND", hostname: "gitlab.example.invalid" })),
      "name not found: gitlab.example.invalid does not resolve (check the address)",
    );
    assert.match(
      networkProblem(fetchFailed({ code: "EAI_AGAIN", hostname: "gitlab.example" }))!,
      /^name lookup failed for gitlab\.example/,
    );
    assert.match(
      networkProblem(
        fetchFailed({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE", message: "unable to verify the first certificate" }),
      )!,
      /^TLS certificate problem: unable to verify the first certificate/,
    );
    assert.match(
      networkProblem(fetchFailed({ code: "CERT_HAS_EXPIRED", message: "certificate has expired" }))!,
      /^TLS certificate problem/,
    );
    assert.equal(networkProblem(fetchFailed({ code: "UND_ERR_CONNECT_TIMEOUT" }), 10_000), "timed out after 10 s");
    assert.equal(networkProblem(new Error("a bug, not the network")), null);
  });
});
