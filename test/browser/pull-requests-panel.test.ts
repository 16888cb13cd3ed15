import assert from "node:assert/strict";
import { drained } from "../support/stack";
import { pushLinkedRepository } from "../support/push-link";
import { openFramed, routeBitbucket } from "../../sim/host/bitbucket-frame";
import { browserSuite } from "./support/browser-suite";
import { seeText, shot } from "./support/page-checks";

describe("the settings page's pull-request panel, in a real browser", function () {
  this.timeout(120_000);
  const b = browserSuite({ shared: true });

  it("shows the two switches and an open pull request with its last merge-result pipeline; a switch changes the link", async () => {
    const s = await pushLinkedRepository(b.stack);
    const base = (await s.bitbucketGit.resolve("refs/heads/main"))!;
    await s.bitbucketGit.commit({ branch: "feature/x", parent: base });
    await s.bitbucketGit.commit({ branch: "main" });
    const reply = await b.stack.bitbucket.pullRequest(s.tenant, s.repo, {
      id: 3,
      action: "created",
      source: "feature/x",
      destination: "main",
    });
    assert.equal(reply.status, 204);
    await drained(b.stack);
    const pipeline = b.stack.gitlab.pipelines(s.project).find((p) => p.ref === "bitbucket/pr-3");
    assert.ok(pipeline, "a merge-result pipeline ran");

    await routeBitbucket(b.context, b.stack.bitbucket.baseUrl, { allJs: true });
    const { page, frame } = await openFramed(b.context, b.host, b.stack.bitbucket.pageUrl(s.tenant, s.repo), s.repo.fullName);
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
    const link = async () => (await b.stack.app.deps.links.allForTenant(s.tenant.clientKey))[0]!;
    for (let i = 0; !(await link()).pullRequestForks; i++) {
      assert.ok(i < 100, "the forks switch reached the link");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await frame.locator("#pr-forks").isChecked(), true);
    assert.equal((await link()).pullRequestPipelines, true, "the other switch is kept");
  });
});
