import assert from "node:assert/strict";
import { drained } from "../support/stack";
import { openFramed, routeBitbucket } from "../../sim/host/bitbucket-frame";
import { browserSuite } from "./support/browser-suite";
import { seeText, shot } from "./support/page-checks";

describe("the settings page's sync choice and sync panel, in a real browser", function () {
  this.timeout(120_000);
  const b = browserSuite({ shared: true });

  it("an admin chooses push sync for a public Free project; the page shows the mode, the last sync after Sync now, and the visibility warning", async () => {
    const tenant = await b.stack.install();
    const repo = b.stack.bitbucket.addRepository(tenant, "widgets");
    const git = await b.stack.bitbucket.git(repo);
    await git.commit({ branch: "main" });
    const bot = b.stack.gitlab.addUser("ci-bot", "CI Bot");
    const token = b.stack.gitlab.addToken(bot, { scopes: ["api", "write_repository"] });
    const project = b.stack.gitlab.addProject("acme/widgets", { premium: false, visibility: "public" });
    b.stack.gitlab.addMember(project, bot, 40);

    await routeBitbucket(b.context, b.stack.bitbucket.baseUrl, { allJs: true });
    const { page, frame } = await openFramed(b.context, b.host, b.stack.bitbucket.pageUrl(tenant, repo), repo.fullName);
    await seeText(frame.locator("#step-sync legend"), "How pushes reach GitLab");
    await seeText(frame.locator("#step-sync"), /deploy tokens cannot push/i);
    await frame.locator("#gitlabUrl").fill(b.stack.gitlab.url);
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
    assert.equal((await b.stack.app.deps.links.allForTenant(tenant.clientKey))[0]!.sync, "push");

    await frame.locator("#sync-now").click();
    await drained(b.stack);
    await seeText(frame.locator("#sync-last"), /pushed main; pipelines for main\./, 15_000);
    await seeText(frame.locator("#sync-last"), /started by Sync now/);
    assert.doesNotMatch(await frame.locator("#sync-panel").innerText(), /null|undefined/);
    await shot(page, "sync-02-linked");
  });
});
