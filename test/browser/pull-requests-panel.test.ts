import assert from "node:assert/strict";
import type { Browser, BrowserContext } from "playwright-core";
import { drained, Stack } from "../support/stack";
import { pushLinkedRepository } from "../support/push-link";
import { openFramed, routeBitbucket } from "../../sim/host/bitbucket-frame";
import { chromiumPath, launchChromium } from "./support/chromium";
import { HostServer } from "../../sim/host/host-server";
import { seeText, shot } from "./support/page-checks";

describe("the settings page's pull-request panel, in a real browser", function () {
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

  it("shows the two switches and an open pull request with its last merge-result pipeline; a switch changes the link", async () => {
    const s = await pushLinkedRepository(stack);
    const base = (await s.bitbucketGit.resolve("refs/heads/main"))!;
    await s.bitbucketGit.commit({ branch: "feature/x", parent: base });
    await s.bitbucketGit.commit({ branch: "main" });
    const reply = await stack.bitbucket.pullRequest(s.tenant, s.repo, {
      id: 3,
      action: "created",
      source: "feature/x",
      destination: "main",
    });
    assert.equal(reply.status, 204);
    await drained(stack);
    const pipeline = stack.gitlab.pipelines(s.project).find((p) => p.ref === "bitbucket/pr-3");
    assert.ok(pipeline, "a merge-result pipeline ran");

    await routeBitbucket(context, stack.bitbucket.baseUrl, { allJs: true });
    const { page, frame } = await openFramed(context, host, stack.bitbucket.pageUrl(s.tenant, s.repo), s.repo.fullName);
    const panel = frame.locator("#pull-requests");
    await seeText(panel.locator("h3"), "Pull requests", 15_000);
    assert.equal(await frame.locator("#pr-pipelines").isChecked(), true, "merge-result pipelines are on by default");
    assert.equal(await frame.locator("#pr-pipelines").isDisabled(), false, "a push-sync link may switch them");
    assert.equal(await frame.locator("#pr-forks").isChecked(), false, "forks are off by default");
    const row = frame.locator("#pr-list li");
    await seeText(row, /pipeline\s+#3 feature\/x → main/i);
    await seeText(row, `pipeline #${pipeline.id}`);
    const href = await row.locator("a").getAttribute("href");
    assert.match(href ?? "", new RegExp(`/acme/widgets/-/pipelines/${pipeline.id}$`));
    await seeText(frame.locator("#pr-hint"), /under a status of its own/);
    assert.doesNotMatch(await panel.innerText(), /null|undefined|NaN/);
    await shot(page, "pull-requests-01-open-pr");

    await frame.locator("#pr-forks").check();
    const link = async () => (await stack.app.deps.links.allForTenant(s.tenant.clientKey))[0]!;
    for (let i = 0; !(await link()).pullRequestForks; i++) {
      assert.ok(i < 100, "the forks switch reached the link");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await frame.locator("#pr-forks").isChecked(), true);
    assert.equal((await link()).pullRequestPipelines, true, "the other switch is kept");
  });
});
