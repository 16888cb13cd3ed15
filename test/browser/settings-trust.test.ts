import assert from "node:assert/strict";
import net from "node:net";
import type { AddressInfo } from "node:net";
import type { FrameLocator, Page } from "playwright-core";
import { drained, eventually } from "../support/stack";
import { openFramed, routeBitbucket } from "../../sim/host/bitbucket-frame";
import { browserSuite } from "./support/browser-suite";
import { seeText, shot } from "./support/page-checks";

// Issue 15, items 1, 2, 3 and 5 as an admin meets them in the settings page.
describe("the settings page says what it can trust: the mirror's source, the token's reach, GitLab's answer", function () {
  this.timeout(60_000);
  const b = browserSuite();

  async function world(opts: { importUrl?: string; level?: 30 | 40 } = {}) {
    const tenant = await b.stack.install();
    const repo = b.stack.bitbucket.addRepository(tenant, "widgets");
    const ada = b.stack.gitlab.addUser("ada", "Ada Lovelace");
    const token = b.stack.gitlab.addToken(ada);
    const widgets = b.stack.gitlab.addProject("acme/widgets", {
      mirror: true,
      importUrl: opts.importUrl ?? `${b.stack.bitbucket.baseUrl}/${repo.fullName}.git`,
    });
    b.stack.gitlab.addMember(widgets, ada, opts.level ?? 40);
    return { tenant, repo, ada, token, widgets, pageUrl: b.stack.bitbucket.pageUrl(tenant, repo) };
  }

  async function framed(pageUrl: string, repoFullName: string): Promise<{ page: Page; frame: FrameLocator }> {
    await routeBitbucket(b.context, b.stack.bitbucket.baseUrl, { allJs: true });
    return openFramed(b.context, b.host, pageUrl, repoFullName);
  }

  async function checkToken(frame: FrameLocator, token: string, gitlabUrl = b.stack.gitlab.url) {
    await frame.locator("#gitlabUrl").fill(gitlabUrl);
    await frame.locator("#token").fill(token);
    await frame.locator("#check-token").click();
  }

  it("a project mirroring another repository is named beside this one, and links only once the admin confirms", async () => {
    const w = await world({ importUrl: "https://bitbucket.org/someone-else/widgets.git" });
    const { page, frame } = await framed(w.pageUrl, w.repo.fullName);
    await checkToken(frame, w.token);
    await frame.locator("#project-results button", { hasText: "acme/widgets" }).click();
    await seeText(
      frame.locator("#project-findings"),
      "pull-mirrors https://bitbucket.org/someone-else/widgets.git, not this repository",
    );
    await seeText(frame.locator("#project-findings"), `${b.stack.bitbucket.baseUrl}/${w.repo.fullName}.git`);
    await seeText(frame.locator("#mirror-confirm"), "Link it anyway");
    assert.equal(await frame.locator("#save").isDisabled(), true, "linking before confirming");
    await shot(page, "20-mirror-of-another-repository");

    await frame.locator("#accept-mirror-source").check();
    assert.equal(await frame.locator("#save").isEnabled(), true);
    await frame.locator("#save").click();
    await seeText(
      frame.locator("#flash"),
      "Linked as you confirmed: acme/widgets pull-mirrors https://bitbucket.org/someone-else/widgets.git",
    );
    await seeText(frame.locator("#project-link"), "acme/widgets");
    await shot(page, "21-mirror-of-another-repository-linked");
  });

  it("a Developer's token: pushes trigger nothing, leave no failed delivery, and the page says how to get immediate updates", async () => {
    const w = await world({ level: 30 });
    const { page, frame } = await framed(w.pageUrl, w.repo.fullName);
    await checkToken(frame, w.token);
    await frame.locator("#project-results button", { hasText: "acme/widgets" }).click();
    await seeText(frame.locator("#project-plan"), "this token cannot ask it to update sooner, so the app will not try");
    await frame.locator("#save").click();
    await seeText(frame.locator("#flash"), "Add the webhook below in GitLab");

    await b.stack.bitbucket.push(w.tenant, w.repo, { branch: "main" });
    await drained(b.stack);
    assert.equal(b.stack.gitlab.mirrorTriggers(w.widgets).length, 0);
    // Not even asked: GitLab would have refused a Developer's request with a 403, which the sim does not count as a trigger.
    assert.ok(
      !b.stack.gitlab.apiCalls.some((c) => c.method === "POST" && c.path.endsWith("/mirror/pull")),
      "the app asked GitLab",
    );
    assert.equal((await b.stack.app.deps.outbox.dead()).length, 0);
    // Read GitLab and the app's deliveries again, as an admin would after pushing.
    await frame.locator("#recheck").click();
    await seeText(frame.locator("#flash"), "GitLab has no pipeline on the default branch yet");
    await seeText(frame.locator("#health-mirror"), /on GitLab's schedule/i);
    await seeText(frame.locator("#health-mirror"), "a Maintainer's token, or switch the link to push sync");
    assert.equal(await frame.locator("#health-failed").isHidden(), true, "a failed delivery is shown");
    await shot(page, "22-developer-token-no-trigger");
  });

  it("a GitLab that refuses connections is named in plain words, not 'TypeError: fetch failed'", async () => {
    const w = await world();
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const { page, frame } = await framed(w.pageUrl, w.repo.fullName);
    await checkToken(frame, w.token, `http://127.0.0.1:${port}`);
    await seeText(
      frame.locator('.field-error[data-for="gitlabUrl"]'),
      `Could not reach GitLab: connection refused at 127.0.0.1:${port}`,
    );
    assert.doesNotMatch(await frame.locator("#flash").innerText(), /fetch failed|TypeError/);
    await shot(page, "23-gitlab-connection-refused");
  });

  it("re-check on a failed pipeline Bitbucket already shows: a neutral note that says so, and no-op entries folded away", async () => {
    const { tenant, repo, project } = await b.stack.linkedRepository();
    const sha = "d".repeat(40);
    const pipeline = b.stack.gitlab.createPipeline(project, { sha, ref: "main" });
    b.stack.gitlab.setPipelineStatus(pipeline, "failed");
    const payload = b.stack.gitlab.pipelineHookPayload(pipeline);
    await b.stack.gitlab.deliver(project, "Pipeline Hook", payload);
    await eventually(() => b.stack.bitbucket.statuses({ sha }).some((s) => s.state === "FAILED"));
    await drained(b.stack);
    // The same hook again (a new delivery id): it changes nothing on Bitbucket, an entry to fold away (item 6).
    await b.stack.gitlab.deliver(project, "Pipeline Hook", payload);
    await drained(b.stack);

    const { page, frame } = await framed(b.stack.bitbucket.pageUrl(tenant, repo), repo.fullName);
    await seeText(frame.locator("#health-bitbucket"), /failed\s+Pipeline/i);
    await frame.locator("#recheck").click();
    await seeText(frame.locator("#flash"), `Pipeline #${pipeline.id} is failed on GitLab. Bitbucket already shows this`);
    assert.match((await frame.locator("#flash").getAttribute("class")) ?? "", /section-message-info/);
    assert.doesNotMatch((await frame.locator("#flash").getAttribute("class")) ?? "", /success/);
    await seeText(
      frame.locator("#history-list"),
      `Pipeline #${pipeline.id} failed on main: Bitbucket now shows Pipeline: Failed`,
    );
    await seeText(frame.locator("#history-list .activity-folded"), /^\d+ more checks? that changed nothing/);
    assert.doesNotMatch(await frame.locator("#history-list").innerText(), /already shows this/);
    await shot(page, "24-recheck-already-shown");
  });
});
