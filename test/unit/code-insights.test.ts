import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  coverageInsight,
  MAX_ANNOTATIONS,
  qualityInsight,
  reportId,
  securityInsight,
  testInsight,
  type GitLabTestReport,
} from "../../src/core/code-insights";
import { repositoryPath, safeText } from "../../src/core/safe-text";

const fixture = (name: string): any => JSON.parse(readFileSync(path.join(__dirname, "../../sim/fixtures/gitlab", name), "utf8"));
const pipeline = { id: 1187, webUrl: "https://gitlab.example.com/acme/widgets-ci/-/pipelines/1187" };
const jobUrl = "https://gitlab.example.com/acme/widgets-ci/-/jobs/8204";

describe("GitLab's reports as Code Insights", () => {
  it("a test report with a failure and an error is FAILED, with one annotation per failing test on its file", () => {
    const insight = testInsight(fixture("test-report.json"), pipeline)!;
    assert.equal(insight.report.report_type, "TEST");
    assert.equal(insight.report.result, "FAILED");
    assert.ok(insight.report.data.length <= 10);
    assert.deepEqual(
      insight.annotations.map((a) => [a.summary, a.path, a.annotation_type, a.severity]),
      [
        ["User validates the email format", "spec/models/user_spec.rb", "BUG", "HIGH"],
        [insight.annotations[1]!.summary, "test/api.test.ts", "BUG", "HIGH"],
      ],
    );
    assert.match(insight.annotations[0]!.details!, /^Failure\/Error: expect\(user\)\.to be_valid/);
    assert.equal(insight.report.link, `${pipeline.webUrl}/test_report`);
  });

  it("a green test report is PASSED with no annotations", () => {
    const green: GitLabTestReport = {
      total_count: 2,
      failed_count: 0,
      error_count: 0,
      test_suites: [{ test_cases: [{ status: "success", name: "a" }] }],
    };
    const insight = testInsight(green, pipeline)!;
    assert.equal(insight.report.result, "PASSED");
    assert.equal(insight.annotations.length, 0);
  });

  it("1,500 failures stay within Bitbucket's 1,000 annotations, and the details say how many were left out", () => {
    const cases = Array.from({ length: 10_000 }, (_, i) => ({
      status: i < 1500 ? "failed" : "success",
      name: `case ${i}`,
      file: "./t.rb",
    }));
    const insight = testInsight(
      { total_count: 10_000, failed_count: 1500, test_suites: [{ name: "big", test_cases: cases }] },
      pipeline,
    )!;
    assert.equal(insight.annotations.length, MAX_ANNOTATIONS);
    assert.equal(new Set(insight.annotations.map((a) => a.external_id)).size, MAX_ANNOTATIONS);
    assert.match(insight.report.details, /500 more failed tests are not annotated/);
  });

  it("untrusted text is cut to safe lengths and loses its control characters; paths stay inside the repository", () => {
    const nasty = {
      status: "failed",
      name: `x\u0000\u001b[31m${"n".repeat(1000)}`,
      system_output: "y".repeat(10_000),
      file: "../../etc/passwd",
    };
    const [a] = testInsight({ total_count: 1, failed_count: 1, test_suites: [{ test_cases: [nasty] }] }, pipeline)!.annotations;
    assert.ok(a!.summary.length <= 450 && a!.details!.length <= 2000);
    assert.doesNotMatch(a!.summary, /[\u0000-\u001f]/);
    assert.equal(a!.path, undefined);
    assert.equal(repositoryPath("/abs/file.rb"), null);
    assert.equal(repositoryPath("./src/./a.ts"), "src/a.ts");
    assert.equal(safeText("ok\ud800", 10), "ok");
  });

  it("coverage becomes a PERCENTAGE report, and no coverage makes no report", () => {
    assert.deepEqual(coverageInsight("87.54", pipeline)!.report.data, [{ title: "Coverage", type: "PERCENTAGE", value: 87.54 }]);
    assert.equal(coverageInsight(null, pipeline), null);
    assert.equal(coverageInsight("n/a", pipeline), null);
  });

  it("code-quality findings become CODE_SMELL annotations on their lines, GitLab's severities mapped", () => {
    const insight = qualityInsight(fixture("code-quality-report.json"), pipeline, jobUrl);
    assert.equal(insight.report.report_type, "BUG");
    assert.deepEqual(
      insight.annotations.map((a) => [a.path, a.line, a.severity, a.annotation_type]),
      [
        ["src/app.ts", 42, "MEDIUM", "CODE_SMELL"],
        ["src/db/links.ts", 10, "LOW", "CODE_SMELL"],
        ["config/dev.json", 3, "HIGH", "CODE_SMELL"],
      ],
    );
    assert.equal(insight.report.result, "FAILED");
  });

  it("SAST findings become VULNERABILITY annotations", () => {
    const insight = securityInsight(
      [{ id: "abc", name: "SQL injection", severity: "Critical", location: { file: "app/db.rb", start_line: 7 } }],
      pipeline,
      jobUrl,
    );
    assert.deepEqual(insight.annotations[0], {
      external_id: "sast-abc",
      annotation_type: "VULNERABILITY",
      summary: "SQL injection",
      path: "app/db.rb",
      line: 7,
      severity: "CRITICAL",
      link: jobUrl,
    });
    assert.equal(insight.report.report_type, "SECURITY");
  });

  it("report ids are stable per project and kind", () => {
    assert.equal(reportId(42, "tests"), "gitlab-42-tests");
    assert.equal(reportId(42, "tests"), reportId(42, "tests"));
    assert.notEqual(reportId(42, "tests"), reportId(42, "coverage"));
  });
});
