import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { openFramed, routeBitbucket } from "../../sim/host/bitbucket-frame";
import { drained, eventually } from "../support/stack";
import { browserSuite } from "./support/browser-suite";
import { seeText, shot } from "./support/page-checks";

const fixture = (name: string): any => JSON.parse(readFileSync(path.join(__dirname, "../../sim/fixtures/gitlab", name), "utf8"));

describe("Code Insights on the repository settings page, in a real browser", function () {
  this.timeout(60_000);
  const b = browserSuite();

  it("shows the reports last published on the default branch, the artifacts:paths hint, and switches reports off", async () => {
    const { tenant, repo, project, settingsToken } = await b.stack.linkedRepository();
    const sha = "d1742195055d9234440410f95462fdebb05b5ac5";
    const pipeline = b.stack.gitlab.createPipeline(project, { sha, ref: "main", jobs: [{ name: "test", stage: "test" }] });
    pipeline.testReport = fixture("test-report.json");
    pipeline.coverage = "81.25";
    b.stack.gitlab.setPipelineStatus(pipeline, "failed");
    await b.stack.gitlab.deliver(project, "Pipeline Hook", b.stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => b.stack.bitbucket.reports(sha).length === 2, 10_000);
    await drained(b.stack);

    await routeBitbucket(b.context, b.stack.bitbucket.baseUrl, { allJs: true });
    const { page, frame } = await openFramed(b.context, b.host, b.stack.bitbucket.pageUrl(tenant, repo), repo.fullName);
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
    const link = await b.stack.api(settingsToken, "GET", repo.uuid);
    assert.equal(link.body.link.reports, false);
    await shot(page, "51-code-insights-switched-off");
  });
});
