import assert from "node:assert/strict";
import net from "node:net";
import type { SimTenant } from "../../sim/bitbucket-sim";
import { Stack } from "../support/stack";

/** 5 MB of `[[[…]]]`: what stalled every request for seconds when parsed. */
const DEEP = "[".repeat(2_500_000) + "]".repeat(2_500_000);

/**
 * Sends a request's headers and only the first bytes of the body they announce, and resolves with what
 * the app answers. An app that read the body before deciding would wait for the rest and never answer.
 */
function answerBeforeBody(url: string, path: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const head = Object.entries({ Host: "app", "Content-Type": "application/json", "Content-Length": "5000000", ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n${DEEP.slice(0, 4096)}`);
  let received = "";
  socket.on("data", (d) => (received += String(d)));
  socket.on("error", () => undefined);
  return new Promise((resolve) => socket.on("close", () => resolve(received)));
}

describe("hostile webhook bodies", function () {
  this.timeout(30_000);
  let stack: Stack;
  let tenant: SimTenant;
  let hook: { url: string; token?: string };
  before(async () => {
    stack = await Stack.start({ worker: false });
    const linked = await stack.linkedRepository();
    tenant = linked.tenant;
    hook = stack.gitlab.hooks(linked.project)[0]!;
  });
  after(async () => stack.stop());

  const gitlabPath = () => new URL(hook.url).pathname;

  it("a GitLab hook with a wrong secret is refused with 401 before its body is read", async () => {
    const answer = await answerBeforeBody(stack.app.url, gitlabPath(), {
      "X-Gitlab-Event": "Pipeline Hook",
      "X-Gitlab-Token": "wrong",
    });
    assert.match(answer, /^HTTP\/1\.1 401 /);
    assert.match(answer, /"code":"unauthorized"/);
  });

  it("a GitLab hook to no link's URL is refused with 404 before its body is read", async () => {
    const answer = await answerBeforeBody(stack.app.url, "/webhooks/gitlab/00000000-0000-4000-8000-000000000000", {
      "X-Gitlab-Event": "Pipeline Hook",
      "X-Gitlab-Token": hook.token!,
    });
    assert.match(answer, /^HTTP\/1\.1 404 /);
  });

  it("a Bitbucket webhook without a valid token is refused with 401 before its body is read", async () => {
    for (const authorization of [undefined, `JWT ${stack.bitbucket.sign(tenant, "POST", "/somewhere/else")}`]) {
      const answer = await answerBeforeBody(
        stack.app.url,
        "/webhooks/bitbucket",
        authorization ? { Authorization: authorization } : {},
      );
      assert.match(answer, /^HTTP\/1\.1 401 /);
    }
  });

  it("a GitLab hook nested deeper than 64 levels is refused with 400 unparsed, and /healthz answers meanwhile", async () => {
    const hostile = fetch(hook.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Gitlab-Event": "Pipeline Hook", "X-Gitlab-Token": hook.token! },
      body: DEEP,
    });
    const health = await Promise.all([1, 2, 3].map(() => fetch(`${stack.app.url}/healthz`).then((r) => r.status)));
    const res = await hostile;
    assert.deepEqual(health, [200, 200, 200]);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.code, "too_deep");
  });

  it("a signed Bitbucket webhook nested deeper than 64 levels is refused with 400 unparsed", async () => {
    const body = `{"event":"repo:push","data":${"[".repeat(500_000)}${"]".repeat(500_000)}}`;
    const res = await fetch(`${stack.app.url}/webhooks/bitbucket`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `JWT ${stack.bitbucket.sign(tenant, "POST", "/webhooks/bitbucket")}`,
      },
      body,
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.code, "too_deep");
    assert.equal((await stack.app.deps.outbox.depth()).pending, 0);
  });

  it("a body nested 64 levels deep, as deep as allowed, is still taken in", async () => {
    let nested: unknown = "bottom";
    for (let i = 0; i < 63; i++) nested = [nested];
    const res = await fetch(hook.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": hook.token! },
      body: JSON.stringify({ object_kind: "push", extra: nested }),
    });
    assert.equal(res.status, 200);
  });
});
