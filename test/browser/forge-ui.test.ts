import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { eventually } from "../support/stack";
import { browserSuite } from "./support/browser-suite";
import { seeText, shot } from "./support/page-checks";
import { serveForgeStatic, stubForgeBridge, type RemoteRequest, type RemoteAnswer } from "./support/forge-frame";

// The Forge app's Custom UI (forge/static, built by `npm run build:forge`) in a real browser. Forge and its
// backend routes are stood in for: the bridge answers getContext like a repository settings page, and
// invokeRemote calls for /forge/api/... are forwarded to the app's Connect API with a settings token, which
// answers the same bodies. What this proves: the bundle renders the page and its calls reach an API.
describe("the Forge app's settings pages in a real browser", function () {
  this.timeout(60_000);
  const b = browserSuite({ host: false });
  let ui: Awaited<ReturnType<typeof serveForgeStatic>>;
  before(async () => void (ui = await serveForgeStatic()));
  after(async () => ui?.close());

  /** Forwards /forge/api/<rest> to the app's /api/<rest> with the Connect page's token; records each call. */
  function connectApi(token: string, calls: string[]) {
    return async ({ path, method, body }: RemoteRequest): Promise<RemoteAnswer> => {
      calls.push(`${method} ${path}`);
      if (!path.startsWith("/forge/api/"))
        return { status: 404, body: { error: { code: "not_found", message: path } }, headers: {} };
      const res = await fetch(`${b.stack.app.url}${path.slice("/forge".length)}`, {
        method,
        headers: { Authorization: `JWT ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: {} };
    };
  }

  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await b.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${ui.url}${path}`);
    return { page, errors };
  }

  it("the repository page renders from the bundle and links a project through invokeRemote", async () => {
    const tenant = await b.stack.install();
    const repo = b.stack.bitbucket.addRepository(tenant, "widgets");
    const ada = b.stack.gitlab.addUser("ada", "Ada Lovelace");
    const gitlabToken = b.stack.gitlab.addToken(ada);
    const widgets = b.stack.gitlab.addProject("acme/widgets", { mirror: true });
    b.stack.gitlab.addMember(widgets, ada, 40);
    const calls: string[] = [];
    const forgeContext = { extension: { type: "bitbucket:repoSettingsMenuPage", repository: { uuid: repo.uuid } } };
    const { otherCalls } = await stubForgeBridge(
      b.context,
      forgeContext,
      connectApi(await b.stack.settingsToken(tenant, repo), calls),
    );

    const { page, errors } = await open("/settings/");
    await seeText(page.locator("#link-form h2"), "Connect GitLab");
    await seeText(page.locator(".lead"), "Run the CI of this repository on GitLab");
    // Nothing of the Connect page's own: no page token to steal, no Bitbucket all.js.
    assert.equal(await page.locator('meta[name="token"]').count(), 0);
    assert.deepEqual(await page.$$eval("script", (s) => s.map((e) => e.getAttribute("src"))), ["./main.js"]);
    const api = `/forge/api/repositories/${encodeURIComponent(repo.uuid)}`;
    assert.equal(calls[0], `GET ${api}/link-state`);

    await page.locator("#gitlabUrl").fill(b.stack.gitlab.url);
    await page.locator("#token").fill(gitlabToken);
    await page.locator("#check-token").click();
    await seeText(page.locator("#token-owner"), "Token of Ada Lovelace (@ada)");
    await page.locator("#project-search").fill("widg");
    await page.locator("#project-results button", { hasText: "acme/widgets" }).click();
    await seeText(page.locator("#project-findings"), "ada is Maintainer of acme/widgets");
    await page.locator("#save").click();
    await seeText(page.locator("#flash"), "Linked to acme/widgets");
    await seeText(page.locator("#project-link"), "acme/widgets");
    await shot(page, "forge-01-repository-linked");

    assert.ok(calls.includes(`PUT ${api}/link`), calls.join("\n"));
    assert.ok(
      calls.every((c) => c.includes(` ${api}/`)),
      calls.join("\n"),
    );
    assert.equal(b.stack.gitlab.hooks(widgets).length, 1);
    assert.deepEqual(errors, []);
    assert.deepEqual(otherCalls, []);
  });

  it("the workspace page renders from the bundle and asks /forge/api/workspace for the defaults", async () => {
    const tenant = await b.stack.install();
    const calls: string[] = [];
    const forgeContext = { extension: { type: "bitbucket:workspaceSettingsMenuPage" } };
    const page1 = await (await fetch(b.stack.bitbucket.workspacePageUrl(tenant))).text();
    const workspaceToken = /<meta name="token" content="([^"]+)"/.exec(page1)![1]!;
    await stubForgeBridge(b.context, forgeContext, connectApi(workspaceToken, calls));

    const { page, errors } = await open("/workspace/");
    await seeText(page.locator(".lead"), "Workspace defaults for this workspace");
    await seeText(page.locator("#defaults-form"), "Set a default GitLab");
    assert.equal(calls[0], "GET /forge/api/workspace/defaults");
    // Then the linked repositories and the allowed GitLab hosts (issue 15, items 10 and 12).
    await eventually(() => calls.length === 3);
    assert.deepEqual([...calls].sort(), [
      "GET /forge/api/workspace/defaults",
      "GET /forge/api/workspace/repositories",
      "GET /forge/api/workspace/settings",
    ]);
    await shot(page, "forge-02-workspace");
    assert.deepEqual(errors, []);
  });

  it("says the page cannot load when Forge gives no repository, and calls nothing", async () => {
    const calls: string[] = [];
    await stubForgeBridge(b.context, { extension: {} }, connectApi("unused", calls));
    const { page } = await open("/settings/");
    await seeText(page.locator("#flash"), "The settings could not be loaded");
    assert.equal(await page.locator("#loading").isHidden(), true);
    assert.deepEqual(calls, []);
  });
});
