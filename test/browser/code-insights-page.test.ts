import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { openFramed, routeBitbucket } from "../../sim/host/bitbucket-frame";
import { HostServer } from "../../sim/host/host-server";
import { drained, eventually, Stack } from "../support/stack";
import { chromiumPath, launchChromium } from "./support/chromium";
import { seeText, shot } from "./support/page-checks";

const fixture = (name: string): any => JSON.parse(readFileSync(path.join(__dirname, "../../sim/fixtures/gitlab", name), "utf8"));

describe("Code Insights on the repository settings page, in a real browser", function () {
  this.timeout(60_000);
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
  });
  after(async () => {
    await browser?.close();
    await host?.close();
  });
  beforeEach(async () => {
    stack = await Stack.start();
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  });
  afterEach(async () => {
    await context?.close();
    await stack?.stop();
  });

  it("shows the reports last published on the default branch, the artifacts:paths hint, and switches reports off", async () => {
    const { tenant, repo, project, settingsToken } = await stack.linkedRepository();
    const sha = "d1742195055d9234440410f95462fdebb05b5ac5";
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main", jobs: [{ name: "test", stage: "test" }] });
    pipeline.testReport = fixture("test-report.json");
    pipeline.coverage = "81.25";
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.reports(sha).length === 2, 10_000);
    await drained(stack);

    await routeBitbucket(context, stack.bitbucket.baseUrl, { allJs: true });
    const { page, frame } = await openFramed(context, host, stack.bitbucket.pageUrl(tenant, repo), repo.fullName);
    const reports = frame.locator("#reports");
    await seeText(reports, "Last published on main");
    await seeText(frame.locator("#reports-published"), `On ${sha.slice(0, 8)}:`);
    await seeText(
      frame.locator('#reports-published li[data-kind="tests"]'),
      `FAILED Tests, 2 annotations (pipeline #${pipeline.id}`,
    );
    await seeText(frame.locator('#reports-published li[data-kind="coverage"]'), "PASSED Coverage");
    assert.equal(await frame.locator("#reports-enabled").isChecked(), true);

    await frame.locator("#reports-ci-hint summary").click();
    await seeText(frame.locator("#reports-ci-hint pre"), "paths: [gl-code-quality-report.json]");
    await shot(page, "50-code-insights-published");

    await frame.locator("#reports-enabled").uncheck();
    await seeText(frame.locator("#flash"), "No more reports are published; those already on Bitbucket stay.");
    const link = await stack.api(settingsToken, "GET", repo.uuid);
    assert.equal(link.body.link.reports, false);
    await shot(page, "51-code-insights-switched-off");
  });
});
