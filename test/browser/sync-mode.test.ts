import assert from "node:assert/strict";
import type { Browser, BrowserContext } from "playwright-core";
import { drained, Stack } from "../support/stack";
import { openFramed, routeBitbucket } from "../../sim/host/bitbucket-frame";
import { chromiumPath, launchChromium } from "./support/chromium";
import { HostServer } from "../../sim/host/host-server";
import { seeText, shot } from "./support/page-checks";

describe("the settings page's sync choice and sync panel, in a real browser", function () {
  this.timeout(120_000);
  let browser: Browser;
  let host: HostServer;
  let stack: Stack;
  let context: BrowserContext;

  before(async function () {
    const executable = chromiumPath();
    if (!executable) {
      if (process.env.CI) throw new Error("chromium is not installed (apt-get install -y chromium)");
      console.warn("    (skipped: no chromium; apt-get install -y chromium)");
      return this.skip();
    }
    browser = await launchChromium(executable);
    host = await HostServer.start();
    stack = await Stack.start();
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  });
  after(async () => {
    await context?.close();
    await stack?.stop();
    await browser?.close();
    await host?.close();
  });

  it("an admin chooses push sync for a public Free project; the page shows the mode, the last sync after Sync now, and the visibility warning", async () => {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const git = await stack.bitbucket.git(repo);
    await git.commit({ branch: "main" });
    const bot = stack.gitlab.addUser("ci-bot", "CI Bot");
    const token = stack.gitlab.addToken(bot, { scopes: ["api", "write_repository"] });
    const project = stack.gitlab.addProject("acme/widgets", { premium: false, visibility: "public" });
    stack.gitlab.addMember(project, bot, 40);

    await routeBitbucket(context, stack.bitbucket.baseUrl, { allJs: true });
    const { page, frame } = await openFramed(context, host, stack.bitbucket.pageUrl(tenant, repo), repo.fullName);
    await seeText(frame.locator("#step-sync legend"), "How pushes reach GitLab");
    await seeText(frame.locator("#step-sync"), /deploy tokens cannot push/i);
    await frame.locator("#gitlabUrl").fill(stack.gitlab.url);
    await frame.locator("#token").fill(token);
    await frame.locator("#check-token").click();
    await frame.locator("#project-search").fill("widg");
    await frame.locator("#project-results button", { hasText: "acme/widgets" }).click();
    await seeText(frame.locator("#project-findings"), /may push to acme\/widgets/);
    await frame.locator("#step-sync label.choice", { hasText: "Push sync" }).click();
    await shot(page, "sync-01-choice");
    await frame.locator("#save").click();
    await seeText(frame.locator("#sync-mode"), /push sync/i);
    await seeText(frame.locator("#sync-mode"), /Pipelines run as the GitLab user who owns the token/);
    await seeText(
      frame.locator("#sync-warnings"),
      /acme\/widgets is public in GitLab while this repository is private on Bitbucket/,
    );
    assert.equal((await stack.app.deps.links.allForTenant(tenant.clientKey))[0]!.sync, "push");

    await frame.locator("#sync-now").click();
    await drained(stack);
    await seeText(frame.locator("#sync-last"), /pushed main; pipelines for main\./, 15_000);
    await seeText(frame.locator("#sync-last"), /started by Sync now/);
    assert.doesNotMatch(await frame.locator("#sync-panel").innerText(), /null|undefined/);
    await shot(page, "sync-02-linked");
  });
});
