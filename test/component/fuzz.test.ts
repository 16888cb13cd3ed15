import assert from "node:assert/strict";
import fc from "fast-check";
import { QueryTypes } from "sequelize";
import type { SimRepo, SimTenant } from "../../sim/bitbucket-sim";
import { Stack } from "../support/stack";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/json; charset=latin1",
  "",
  "multipart/form-data; boundary=x",
);
const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom("\u0000", "\uFEFF{}", "\uD800", "𝕏".repeat(500), "{".repeat(5000), '{"a":'.repeat(2000)),
);
const body = fc.oneof(
  fc.json().map((s) => ({ text: s })),
  oddString.map((s) => ({ text: s })),
  fc.jsonValue({ depthSize: "small" }).map((v) => ({ text: JSON.stringify(v) ?? "null" })),
  fc
    .record({
      event: fc.oneof(fc.constantFrom("repo:push", "__proto__", "constructor", "toString"), fc.string()),
      data: fc.jsonValue({ depthSize: "small" }),
    })
    .map((v) => ({ text: JSON.stringify(v) })),
  fc
    .record({
      object_kind: fc.constantFrom("pipeline", "build"),
      object_attributes: fc.jsonValue(),
      project: fc.jsonValue(),
      build_id: fc.jsonValue(),
    })
    .map((v) => ({ text: JSON.stringify(v) })),
  fc
    .record({ gitlabUrl: oddString, project: fc.oneof(oddString, fc.integer()), token: oddString, statusMode: oddString })
    .map((v) => ({ text: JSON.stringify(v) })),
);
const gitlabEvent = fc.constantFrom(
  "Pipeline Hook",
  "Job Hook",
  "Push Hook",
  "System Hook",
  "",
  "pipeline hook",
  "Pipeline Hook\u0000",
  "__proto__",
  "constructor",
);

/** URL-encodes what a client can send (a lone surrogate cannot be encoded, so it becomes U+FFFD). */
const enc = (s: string) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, "\uFFFD"));

/** A failure prints its seed and path; FUZZ_SEED and FUZZ_PATH replay exactly that run. */
const replay = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED), path: process.env.FUZZ_PATH } : {};

/**
 * Runs a property; a failure's message is cut short (counterexamples can be megabytes) and carries what
 * the failing check said (fast-check keeps that in the error's cause).
 */
async function checked<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>): Promise<void> {
  try {
    await fc.assert(property, { numRuns: RUNS, ...replay });
  } catch (e) {
    const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : "";
    throw new Error(`${String((e as Error).message).slice(0, 3_000)}\nThe check said: ${cause.slice(0, 1_000)}`);
  }
}

describe("fuzzing every public route", function () {
  this.timeout(300_000);
  let stack: Stack;
  let tenant: SimTenant;
  let repo: SimRepo;
  let settingsToken: string;
  let hook: { url: string; token?: string };
  let workspaceToken: string;

  before(async () => {
    stack = await Stack.start({ env: { LOG_LEVEL: "warn" } });
    const linked = await stack.linkedRepository();
    ({ tenant, repo, settingsToken } = linked);
    hook = stack.gitlab.hooks(linked.project)[0]!;
    const page = await (await fetch(stack.bitbucket.workspacePageUrl(tenant))).text();
    workspaceToken = /<meta name="token" content="([^"]+)"/.exec(page)![1]!;
  });
  after(async () => stack.stop());

  /**
   * Everything the app stores, except what a well-authenticated request is meant to move: the webhook
   * receipt time (a delivery) and what GitLab said of the mirror (Re-check now, whose body is ignored).
   */
  async function snapshot(): Promise<string> {
    const q = (sql: string) => stack.app.deps.sequelize.query(sql, { type: QueryTypes.SELECT });
    return JSON.stringify([
      await q(
        "SELECT client_key, app_key, shared_secret, base_url, base_api_url, workspace_uuid FROM tenants ORDER BY client_key",
      ),
      await q(
        "SELECT id, client_key, repo_uuid, gitlab_url, project_id, token, webhook_secret, webhook_id, status_mode FROM links ORDER BY id",
      ),
      await q("SELECT COUNT(*) AS n FROM outbox"),
      await q("SELECT COUNT(*) AS n FROM deliveries"),
      await q("SELECT COUNT(*) AS n FROM posted_statuses"),
      await q("SELECT COUNT(*) AS n FROM audit_events"),
      await q("SELECT COUNT(*) AS n FROM workspace_defaults"),
    ]);
  }

  async function send(path: string, init: RequestInit): Promise<Response> {
    const res = await fetch(`${stack.app.url}${path}`, init);
    const text = await res.text();
    assert.ok(res.status < 500, `${init.method ?? "GET"} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    if (res.status >= 400 && !path.startsWith("/settings/")) {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      assert.ok(parsed.error?.code && parsed.error.message, `${path}: error without code and message: ${text.slice(0, 200)}`);
      assert.doesNotMatch(text, /at .+\.(ts|js):\d+/, "a stack trace reached the client");
    }
    return res;
  }

  it(`answers ${RUNS * 9} generated requests without a 5xx, a crash, a stack trace or a change to stored state`, async () => {
    const before = await snapshot();
    const property = (route: (b: { text: string }, ct: string, extra: string) => Promise<unknown>) =>
      checked(fc.asyncProperty(body, contentType, oddString, async (b, ct, extra) => void (await route(b, ct, extra))));

    await property((b, ct) => send("/installed", { method: "POST", headers: ct ? { "Content-Type": ct } : {}, body: b.text }));
    await property((b, ct) => send("/uninstalled", { method: "POST", headers: ct ? { "Content-Type": ct } : {}, body: b.text }));
    await property((b, ct) =>
      send("/webhooks/bitbucket", {
        method: "POST",
        headers: {
          ...(ct ? { "Content-Type": ct } : {}),
          Authorization: `JWT ${stack.bitbucket.sign(tenant, "POST", "/webhooks/bitbucket")}`,
        },
        body: b.text,
      }),
    );
    await checked(
      fc.asyncProperty(body, contentType, gitlabEvent, fc.boolean(), async (b, ct, event, rightSecret) => {
        await send(new URL(hook.url).pathname, {
          method: "POST",
          headers: {
            ...(ct ? { "Content-Type": ct } : {}),
            "X-Gitlab-Event": event.replace(/\u0000/g, ""),
            "X-Gitlab-Token": rightSecret ? hook.token! : "nope",
          },
          body: b.text,
        });
      }),
    );
    await property((b, ct) =>
      send(`/api/repositories/${encodeURIComponent(repo.uuid)}/link`, {
        method: "PUT",
        headers: { ...(ct ? { "Content-Type": ct } : {}), Authorization: `JWT ${settingsToken}` },
        body: b.text,
      }),
    );
    await property((_b, _ct, extra) =>
      send(`/api/repositories/${enc(extra)}/link`, { headers: { Authorization: `JWT ${settingsToken}` } }),
    );
    // The settings page's other JSON routes (GitLab look-ups, project creation, the workspace's defaults),
    // one picked per run, and the read-only ones under an odd repository id.
    const base = `/api/repositories/${encodeURIComponent(repo.uuid)}`;
    const posts = [
      ["POST", `${base}/gitlab/check`, "repo"],
      ["POST", `${base}/gitlab/projects`, "repo"],
      ["POST", `${base}/gitlab/project`, "repo"],
      ["POST", `${base}/gitlab/namespaces`, "repo"],
      ["POST", `${base}/project`, "repo"],
      ["POST", `${base}/recheck`, "repo"],
      ["POST", `${base}/failed/1/resend`, "repo"],
      ["PUT", "/api/workspace/defaults", "workspace"],
    ] as const;
    await checked(
      fc.asyncProperty(body, contentType, fc.constantFrom(...posts), async (b, ct, [method, path, scope]) => {
        const token = scope === "repo" ? settingsToken : workspaceToken;
        await send(path, {
          method,
          headers: { ...(ct ? { "Content-Type": ct } : {}), Authorization: `JWT ${token}` },
          body: b.text,
        });
      }),
    );
    await checked(
      fc.asyncProperty(oddString, fc.constantFrom("events", "audit", "health", "workspace-defaults"), async (extra, what) => {
        await send(`/api/repositories/${enc(extra)}/${what}`, { headers: { Authorization: `JWT ${settingsToken}` } });
      }),
    );
    await property(async (_b, _ct, extra) => {
      const pathAndQuery = `/settings/repository?repoUuid=${enc(extra)}&repoPath=${enc(extra)}`;
      await send(`${pathAndQuery}&jwt=${stack.bitbucket.sign(tenant, "GET", pathAndQuery)}`, {});
    });

    assert.equal(await snapshot(), before, "stored state changed");
    assert.equal((await fetch(`${stack.app.url}/healthz`)).status, 200);
  });

  it("refuses bodies over each route's limit with 413, and keeps serving", async () => {
    const huge = JSON.stringify({ event: "repo:push", data: { pad: "x".repeat(6 * 1024 * 1024) } });
    for (const path of [
      "/installed",
      "/webhooks/bitbucket",
      new URL(hook.url).pathname,
      `/api/repositories/${encodeURIComponent(repo.uuid)}/link`,
    ]) {
      const res = await fetch(`${stack.app.url}${path}`, {
        method: path.startsWith("/api") ? "PUT" : "POST",
        headers: { "Content-Type": "application/json", Authorization: `JWT ${settingsToken}`, "X-Gitlab-Token": hook.token! },
        body: huge,
      });
      assert.ok([401, 413].includes(res.status), `${path} answered ${res.status}`);
    }
    assert.equal((await fetch(`${stack.app.url}/healthz`)).status, 200);
  });
});
