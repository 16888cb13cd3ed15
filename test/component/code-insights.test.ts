import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { largeTestReport } from "../../sim/gitlab-sim/large-test-report";
import { queueReports } from "../../src/sync/publish-reports";
import { drained, eventually, Stack } from "../support/stack";

const fixture = (name: string): any => JSON.parse(readFileSync(path.join(__dirname, "../../sim/fixtures/gitlab", name), "utf8"));

describe("GitLab's reports as Bitbucket Code Insights", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  const sha = "d1742195055d9234440410f95462fdebb05b5ac5";

  async function finish(project: any, status: "success" | "failed", extra: (p: any) => void = () => undefined) {
    const pipeline = stack.gitlab.createPipeline(project, {
      sha,
      ref: "main",
      jobs: [
        { name: "test", stage: "test" },
        { name: "code_quality", stage: "test" },
      ],
    });
    extra(pipeline);
    stack.gitlab.setPipelineStatus(pipeline, status);
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    return pipeline;
  }

  it("a failed pipeline shows a FAILED test report naming the failed tests on their files, its coverage and its code findings", async () => {
    const { project } = await stack.linkedRepository();
    const pipeline = await finish(project, "failed", (p) => {
      p.testReport = fixture("test-report.json");
      p.coverage = "81.25";
      p.jobs[1].artifacts = [
        {
          fileType: "codequality",
          filename: "gl-code-quality-report.json",
          content: fixture("code-quality-report.json"),
          exposed: true,
        },
      ];
    });
    // Done when the code-quality report's annotations (its last request) are in.
    const reports = await eventually(() => {
      const all = stack.bitbucket.reports(sha);
      return all.length === 3 && all.find((r) => r.report_type === "BUG")?.annotations.length === 3 ? all : null;
    }, 10_000);
    const tests = reports.find((r) => r.report_type === "TEST")!;
    assert.equal(tests.id, `gitlab-${project.id}-tests`);
    assert.equal(tests.result, "FAILED");
    assert.deepEqual(tests.annotations.map((a) => a.path).sort(), ["spec/models/user_spec.rb", "test/api.test.ts"]);
    assert.match(String(tests.link), new RegExp(`/-/pipelines/${pipeline.id}/test_report$`));
    const coverage = reports.find((r) => r.report_type === "COVERAGE")!;
    assert.deepEqual(coverage.data, [{ title: "Coverage", type: "PERCENTAGE", value: 81.25 }]);
    const quality = reports.find((r) => r.report_type === "BUG")!;
    assert.deepEqual(
      quality.annotations.map((a) => [a.path, a.line]),
      [
        ["src/app.ts", 42],
        ["src/db/links.ts", 10],
        ["config/dev.json", 3],
      ],
    );
    const refused = stack.bitbucket.apiCalls.filter((c) => c.path.includes("/reports/") && c.status >= 400);
    assert.deepEqual(refused, []);
  });

  it("SAST findings become a SECURITY report; a report file the job does not list under artifacts:paths makes none", async () => {
    const { project } = await stack.linkedRepository();
    const sast = {
      version: "15.0.0",
      vulnerabilities: [
        { id: "a1", name: "SQL injection", severity: "Critical", location: { file: "app/db.rb", start_line: 7 } },
        { id: "b2", name: "Weak hash", severity: "Medium", location: { file: "/builds/acme/widgets/lib/x.rb", start_line: 2 } },
      ],
    };
    await finish(project, "success", (p) => {
      p.jobs[0].artifacts = [{ fileType: "sast", filename: "gl-sast-report.json", content: sast, exposed: true }];
      // Under artifacts:reports only: GitLab answers 404 for the file.
      p.jobs[1].artifacts = [
        {
          fileType: "codequality",
          filename: "gl-code-quality-report.json",
          content: fixture("code-quality-report.json"),
          exposed: false,
        },
      ];
    });
    const security = await eventually(
      () => stack.bitbucket.reports(sha).find((r) => r.report_type === "SECURITY" && r.annotations.length === 2),
      10_000,
    );
    await drained(stack);
    assert.equal(security.id, `gitlab-${project.id}-security`);
    assert.equal(security.result, "FAILED");
    assert.deepEqual(
      security.annotations.map((a) => [a.annotation_type, a.summary, a.path, a.line, a.severity]),
      [
        ["VULNERABILITY", "SQL injection", "app/db.rb", 7, "CRITICAL"],
        // An absolute path is not one of the repository's: the finding stays, off the diff.
        ["VULNERABILITY", "Weak hash", undefined, undefined, "MEDIUM"],
      ],
    );
    assert.deepEqual(
      stack.bitbucket.reports(sha).map((r) => r.report_type),
      ["SECURITY"],
      "no code-quality report from a file GitLab does not serve",
    );
    assert.deepEqual(await stack.app.deps.outbox.dead(), [], "a file GitLab does not serve is no failure");
  });

  it("a finished pipeline's jobs are read once: the status sync hands publishing what they report", async () => {
    const { project } = await stack.linkedRepository();
    const pipeline = await finish(project, "failed", (p) => {
      p.testReport = fixture("test-report.json");
      p.jobs[1].artifacts = [
        {
          fileType: "codequality",
          filename: "gl-code-quality-report.json",
          content: fixture("code-quality-report.json"),
          exposed: true,
        },
      ];
    });
    await eventually(() => stack.bitbucket.reports(sha).find((r) => r.report_type === "BUG")?.annotations.length === 3, 10_000);
    await drained(stack);
    const calls = stack.gitlab.apiCalls.map((c) => `${c.method} ${c.path}`);
    const jobs = `GET /projects/${project.id}/pipelines/${pipeline.id}/jobs`;
    assert.equal(calls.filter((c) => c === jobs).length, 1, JSON.stringify(calls));
    assert.equal(calls.filter((c) => c.endsWith("/test_report")).length, 1);
    assert.equal(calls.filter((c) => c.endsWith("/gl-code-quality-report.json")).length, 1);
  });

  it("a publication queued without the jobs' reports (before they were carried) reads the jobs and publishes", async () => {
    const { project, tenant, repo } = await stack.linkedRepository();
    const link = (await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid))!;
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main", jobs: [{ name: "test", stage: "test" }] });
    pipeline.testReport = fixture("test-report.json");
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    const { outbox, worker } = stack.app.deps;
    await queueReports({ outbox, wake: worker }, link, { sha, ref: "main", pipelineId: pipeline.id });
    const tests = await eventually(() => stack.bitbucket.reports(sha).find((r) => r.report_type === "TEST"), 10_000);
    assert.equal(tests.result, "FAILED");
    const jobs = `/projects/${project.id}/pipelines/${pipeline.id}/jobs`;
    assert.equal(stack.gitlab.apiCalls.filter((c) => c.path === jobs).length, 1);
  });

  it("a finished pipeline with no coverage and no report artifacts costs no publication: no test report read, no report", async () => {
    const { project, tenant, repo } = await stack.linkedRepository();
    const link = (await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid))!;
    await finish(project, "success");
    await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "SUCCESSFUL"), 10_000);
    await drained(stack);
    assert.deepEqual(
      stack.gitlab.apiCalls.filter((c) => c.path.includes("/test_report")),
      [],
      "GitLab's test report is made of JUnit artifacts: without one it is not asked for",
    );
    assert.deepEqual(stack.bitbucket.reports(sha), []);
    // The event log is written just after each delivery: wait for the status sync's entry.
    const events = await eventually(async () => {
      const all = await stack.app.deps.events.forLink(link.id);
      return all.some((e) => e.kind === "status-sync") ? all : null;
    });
    assert.deepEqual(
      events.filter((e) => e.kind === "publish-reports"),
      [],
      "no publication was queued",
    );
  });

  it("a job's JUnit artifact alone (no coverage, no report files) is enough to publish the test report", async () => {
    const { project } = await stack.linkedRepository();
    await finish(project, "success", (p) => (p.testReport = fixture("test-report.json")));
    const tests = await eventually(() => stack.bitbucket.reports(sha).find((r) => r.report_type === "TEST"), 10_000);
    assert.equal(tests.result, "FAILED");
  });

  it("a green re-run on the same commit turns the same report PASSED, with no stale annotations", async () => {
    const { project } = await stack.linkedRepository();
    await finish(project, "failed", (p) => (p.testReport = fixture("test-report.json")));
    await eventually(() => stack.bitbucket.reports(sha).find((r) => r.result === "FAILED"), 10_000);
    await drained(stack);
    await finish(
      project,
      "success",
      (p) => (p.testReport = { total_count: 6, success_count: 6, failed_count: 0, error_count: 0, test_suites: [] }),
    );
    const report = await eventually(
      () => stack.bitbucket.reports(sha).find((r) => r.report_type === "TEST" && r.result === "PASSED"),
      10_000,
    );
    assert.equal(stack.bitbucket.reports(sha).filter((r) => r.report_type === "TEST").length, 1, "replaced in place");
    assert.deepEqual(report.annotations, []);
  });

  it("a report call Bitbucket fails is retried as a status would be: the report ends whole, nothing given up", async () => {
    const { project } = await stack.linkedRepository();
    // The report's PUT goes through and its annotations meet a 503; the retry's PUT meets a 429 with Retry-After.
    stack.bitbucket.injectInsightFaults({ delayMs: 0 }, { status: 503 }, { status: 429, retryAfter: 1 });
    await finish(project, "failed", (p) => (p.testReport = fixture("test-report.json")));
    const tests = await eventually(
      () => stack.bitbucket.reports(sha).find((r) => r.report_type === "TEST" && r.annotations.length === 2),
      15_000,
    );
    await drained(stack);
    assert.equal(tests.result, "FAILED");
    assert.deepEqual(
      stack.bitbucket.firedFaults.map((f) => f.path.split("/").slice(-2).join("/")),
      [`reports/${tests.id}`, `${tests.id}/annotations`, `reports/${tests.id}`],
      "the retry starts the report again",
    );
    assert.deepEqual(await stack.app.deps.outbox.dead(), [], "nothing given up");
  });

  it("a 6 MB report of 10,000 tests with 1,500 failures is read in full and stays within Bitbucket's limits, nothing refused", async () => {
    const { project } = await stack.linkedRepository();
    const testReport = largeTestReport({ cases: 10_000, failures: 1_500 });
    assert.ok(JSON.stringify(testReport).length > 4 * 1024 * 1024, "more than an ordinary GitLab answer may be");
    await finish(project, "failed", (p) => (p.testReport = testReport));
    const report = await eventually(
      () => stack.bitbucket.reports(sha).find((r) => r.report_type === "TEST" && r.annotations.length === 1000),
      30_000,
    );
    assert.match(String(report.details), /10000 tests: 1500 failed.* 500 more failed tests are not annotated/);
    assert.deepEqual(
      (report.data as Array<{ title: string }>).find((d) => d.title === "Failed"),
      { title: "Failed", type: "NUMBER", value: 1500 },
    );
    assert.equal(report.annotations[0]!.path, "spec/models/area_0/model_0_spec.rb");
    assert.match(String(report.annotations[0]!.details), /^Failure\/Error: expect\(record\)\.to be_valid/);
    const calls = stack.bitbucket.apiCalls.filter((c) => c.path.includes("/reports/"));
    assert.equal(calls.filter((c) => c.method === "PUT").length, 1, "one report");
    assert.equal(calls.filter((c) => c.path.endsWith("/annotations")).length, 10, "ceil(1000 / 100) annotation requests");
    assert.deepEqual(
      calls.filter((c) => c.status >= 400),
      [],
      "nothing refused",
    );
    await drained(stack);
    assert.deepEqual(await stack.app.deps.outbox.dead(), [], "nothing given up");
  });

  it("publishes nothing while the pipeline runs, nor for a link whose reports are switched off", async () => {
    const { project, repo, settingsToken, gitlabToken } = await stack.linkedRepository();
    const running = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    running.testReport = fixture("test-report.json");
    stack.gitlab.setPipelineStatus(running, "running");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(running));
    await eventually(() => stack.bitbucket.statuses({ sha }).length === 1);
    await drained(stack);
    assert.deepEqual(stack.bitbucket.reports(sha), [], "nothing while it runs");

    const off = await stack.api(settingsToken, "PUT", repo.uuid, {
      project: project.pathWithNamespace,
      gitlabUrl: stack.gitlab.url,
      token: gitlabToken,
      reports: false,
    });
    assert.equal(off.status, 200);
    assert.equal(off.body.link.reports, false);
    stack.gitlab.setPipelineStatus(running, "failed");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(running));
    await eventually(() => stack.bitbucket.statuses({ sha })[0]?.state === "FAILED");
    await drained(stack);
    assert.deepEqual(stack.bitbucket.reports(sha), [], "nothing for a link whose reports are off");
  });
});
