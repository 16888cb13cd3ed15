import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { drained, eventually, Stack } from "../support/stack";

const fixture = (name: string): any => JSON.parse(readFileSync(path.join(__dirname, "../../sim/fixtures/gitlab", name), "utf8"));
const sha = "d1742195055d9234440410f95462fdebb05b5ac5";

describe("Code Insights on the settings page: the switch, what was published, what was dropped", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  async function call(token: string, repoUuid: string, method: string, route: string, body?: unknown) {
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(repoUuid)}/${route}`, {
      method,
      headers: { Authorization: `JWT ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function finishFailed(project: any) {
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main", jobs: [{ name: "test", stage: "test" }] });
    pipeline.testReport = fixture("test-report.json");
    pipeline.coverage = "81.25";
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    return pipeline;
  }

  it("the switch turns reports off and on without the GitLab token, and the audit says who did", async () => {
    stack = await Stack.start();
    const { repo, settingsToken } = await stack.linkedRepository();
    const off = await call(settingsToken, repo.uuid, "PUT", "link/reports", { reports: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.link.reports, false);
    assert.equal((await call(settingsToken, repo.uuid, "GET", "link")).body.link.reports, false);
    const on = await call(settingsToken, repo.uuid, "PUT", "link/reports", { reports: true });
    assert.equal(on.body.link.reports, true);
    const audit = await call(settingsToken, repo.uuid, "GET", "audit");
    assert.deepEqual(
      audit.body.audit.slice(0, 2).map((e: { summary: string }) => e.summary),
      ["Code Insights reports switched on", "Code Insights reports switched off"],
    );
  });

  it("refuses a switch that is not true or false, and changes nothing", async () => {
    stack = await Stack.start();
    const { repo, settingsToken } = await stack.linkedRepository();
    for (const body of [{ reports: "no" }, { reports: false, extra: 1 }, {}]) {
      const res = await call(settingsToken, repo.uuid, "PUT", "link/reports", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, "invalid_request");
    }
    assert.equal((await call(settingsToken, repo.uuid, "GET", "link")).body.link.reports, true);
  });

  it("health shows the reports last published on the default branch", async () => {
    stack = await Stack.start();
    const { repo, settingsToken, project } = await stack.linkedRepository();
    const before = await call(settingsToken, repo.uuid, "GET", "health");
    assert.deepEqual(before.body.health.reports, { enabled: true, ref: "main", sha: null, published: [] });
    const pipeline = await finishFailed(project);
    await eventually(() => stack.bitbucket.reports(sha).length === 2, 10_000);
    await drained(stack);
    const { reports } = (await call(settingsToken, repo.uuid, "GET", "health")).body.health;
    assert.equal(reports.sha, sha);
    assert.deepEqual(
      reports.published.map((r: any) => [r.kind, r.result, r.annotations, r.pipelineId]),
      [
        ["coverage", "PASSED", 0, pipeline.id],
        ["tests", "FAILED", 2, pipeline.id],
      ],
    );
  });

  it("reports the Bitbucket budget cannot fit are dropped, never the status, and the page shows them with a re-send", async () => {
    // A reserve for statuses larger than the whole budget: reports can never go; dropped at once.
    stack = await Stack.start({ env: { BITBUCKET_STATUS_RESERVE: "1000", REPORTS_MAX_WAIT_MS: "0" } });
    const { repo, settingsToken, project } = await stack.linkedRepository();
    const pipeline = await finishFailed(project);
    await eventually(() => stack.bitbucket.statuses({ sha })[0]?.state === "FAILED");
    const failed = await eventually(async () => {
      const h = await call(settingsToken, repo.uuid, "GET", "health");
      return h.body.health.failed.find((f: any) => f.kind === "publish-reports");
    }, 10_000);
    assert.equal(failed.what, `Code Insights reports for main @ ${sha.slice(0, 8)} (pipeline #${pipeline.id})`);
    assert.match(
      failed.error,
      /^Reports dropped: the installation's Bitbucket budget stayed too low \(3 calls needed, 1000 kept for statuses\)/,
    );
    assert.deepEqual(stack.bitbucket.reports(sha), []);
    const events = (await call(settingsToken, repo.uuid, "GET", "events")).body.events;
    assert.ok(
      events.some((e: any) => e.kind === "publish-reports" && e.outcome === "failed" && /Reports dropped/.test(e.summary)),
    );

    const resent = await call(settingsToken, repo.uuid, "POST", `failed/${failed.id}/resend`);
    assert.equal(resent.status, 200);
    assert.match(resent.body.resent.what, /^Code Insights reports for main/);
    const queued = await stack.app.deps.outbox.dead();
    assert.ok(
      queued.every((d) => d.id !== failed.id),
      "the dead row is replaced by the new attempt",
    );
  });
});
