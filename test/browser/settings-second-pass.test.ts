import assert from "node:assert/strict";
import type { ConsoleMessage } from "playwright-core";
import { openFramed } from "../../sim/host/bitbucket-frame";
import { drained, eventually } from "../support/stack";
import { browserSuite } from "./support/browser-suite";
import { frameFitsContent, seeText, shot } from "./support/page-checks";

// Issue 15, items 8, 10, 11 and 12, seen in chromium.
describe("the settings pages, second pass, in a real browser", function () {
  this.timeout(60_000);
  const b = browserSuite({ viewport: { width: 1100, height: 900 }, routeBitbucket: true });

  async function world() {
    const tenant = await b.stack.install();
    const repo = b.stack.bitbucket.addRepository(tenant, "widgets");
    const ada = b.stack.gitlab.addUser("ada", "Ada Lovelace");
    const token = b.stack.gitlab.addToken(ada, { scopes: ["api", "write_repository"] });
    return { tenant, repo, ada, token };
  }

  it("an unlinked repository's page logs no error in the browser's console", async () => {
    const w = await world();
    const problems: string[] = [];
    b.context.on("console", (m: ConsoleMessage) => void (m.type() === "error" && problems.push(m.text())));
    b.context.on(
      "response",
      (r) => void (r.status() >= 400 && r.url().startsWith(b.stack.app.url) && problems.push(`${r.status()} ${r.url()}`)),
    );
    const { page, frame } = await openFramed(b.context, b.host, b.stack.bitbucket.pageUrl(w.tenant, w.repo), w.repo.fullName);
    await seeText(frame.locator("#link-form h2"), "Connect GitLab");
    await page.waitForLoadState("networkidle");
    assert.deepEqual(problems, []);
  });

  it("creating a project in a Free namespace: the plan, a warning before the button, and push sync offered and used", async () => {
    const w = await world();
    await (await b.stack.bitbucket.git(w.repo)).commit({ branch: "main" });
    const free = b.stack.gitlab.addGroup("free-tier", { premium: false });
    b.stack.gitlab.addGroupMember(free, w.ada, 40);
    const { page, frame } = await openFramed(b.context, b.host, b.stack.bitbucket.pageUrl(w.tenant, w.repo), w.repo.fullName);
    await frame.locator("#gitlabUrl").fill(b.stack.gitlab.url);
    await frame.locator("#token").fill(w.token);
    await frame.locator("#check-token").click();
    await seeText(frame.locator("#token-owner"), "Token of Ada Lovelace (@ada)");
    await frame.locator("label.segment", { hasText: "Create a new GitLab project" }).click();
    await seeText(frame.locator("#namespace-state"), /namespaces? where you may create projects/);
    await frame.locator("#namespace").selectOption({ label: "free-tier · free" });

    await seeText(frame.locator("#namespace-plan"), "Plan: GitLab Free.");
    await seeText(frame.locator("#new-project-free"), "Pull mirroring needs GitLab Premium");
    await seeText(frame.locator("#new-project-free"), "free-tier is on GitLab Free");
    assert.equal(await frame.locator("#use-push-sync").isChecked(), true);
    await seeText(frame.locator("#new-project-plan"), "The app pushes acme-corp/widgets's branches and tags");
    // The warning stands before the button, not as one more item of the plan.
    const warningAbove = await frame.locator("#new-project-free").evaluate((box) => {
      const button = document.getElementById("save")!;
      return !!(box.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING);
    });
    assert.ok(warningAbove);
    await frameFitsContent(page);
    await shot(page, "80-create-in-free-namespace-offers-push-sync");

    await frame.locator("#use-push-sync").uncheck();
    await seeText(frame.locator("#new-project-plan"), "pull-mirrors");
    await frame.locator("#use-push-sync").check();
    await frame.locator("#save").click();
    await seeText(frame.locator("#flash"), "Created free-tier/widgets in GitLab and linked it");
    const link = (await b.stack.app.deps.links.forRepository(w.tenant.clientKey, w.repo.uuid))!;
    assert.equal(link.sync, "push");
    await drained(b.stack);
    const gitlabGit = await b.stack.gitlab.git(b.stack.gitlab.project("free-tier/widgets")!);
    await eventually(async () => (await gitlabGit.refs()).has("refs/heads/main"));
    await shot(page, "81-created-push-sync-project");
  });

  it("the workspace page lists the linked repositories and restricts GitLab hosts", async () => {
    const w = await world();
    const project = b.stack.gitlab.addProject("acme/widgets", { mirror: true });
    b.stack.gitlab.addMember(project, w.ada, 40);
    const linked = await b.stack.api(await b.stack.settingsToken(w.tenant, w.repo), "PUT", w.repo.uuid, {
      gitlabUrl: b.stack.gitlab.url,
      project: "acme/widgets",
      token: w.token,
      statusMode: "pipeline",
    });
    assert.equal(linked.status, 200);

    const ws = await openFramed(
      b.context,
      b.host,
      b.stack.bitbucket.workspacePageUrl(w.tenant),
      w.tenant.workspace.slug,
      "workspace",
    );
    const row = ws.frame.locator("#repositories-list li", { hasText: w.repo.fullName });
    await seeText(row, "acme/widgets on");
    await seeText(row, /waiting/i);
    assert.equal(
      await row.locator("a").getAttribute("href"),
      `${b.stack.bitbucket.baseUrl}/${w.repo.fullName}/admin/addon/admin/gitlab-ci-for-bitbucket/repository-settings`,
    );
    assert.equal(await row.locator("a").getAttribute("target"), "_top");
    assert.equal(await ws.frame.locator("#hosts-any").isChecked(), true);
    await frameFitsContent(ws.page);
    await shot(ws.page, "82-workspace-linked-repositories");

    await ws.frame.locator("#hosts-listed").check();
    await ws.frame.locator("#allowedGitLabHosts").fill("https://gitlab.example.com/");
    await ws.frame.locator("#hosts-save").click();
    await seeText(ws.frame.locator('.field-error[data-for="allowedGitLabHosts"]'), "is not a host name");

    await ws.frame.locator("#allowedGitLabHosts").fill("gitlab.example.com\n*.corp.example");
    await ws.frame.locator("#hosts-save").click();
    await seeText(ws.frame.locator("#flash"), "Allowed GitLab hosts saved");
    await seeText(ws.frame.locator("#hosts-outside"), `${w.repo.fullName} (${new URL(b.stack.gitlab.url).host})`);
    await seeText(row, /failing/i);
    await seeText(row, "not an allowed GitLab host");
    await shot(ws.page, "83-workspace-allowed-hosts");

    const push = await b.stack.bitbucket.push(w.tenant, w.repo, { branch: "main" });
    assert.equal(push.status, 204);
    await drained(b.stack);
    assert.equal(b.stack.gitlab.mirrorTriggers(project).length, 0, "nothing went to the host the workspace left out");
  });
});
