import { firstLines, LIMITS, repositoryPath, safeText } from "./safe-text";

/** A Bitbucket Code Insights report, as PUT to `…/commit/{sha}/reports/{id}`. */
export interface InsightReport {
  title: string;
  details: string;
  report_type: "TEST" | "COVERAGE" | "SECURITY" | "BUG";
  reporter: string;
  result: "PASSED" | "FAILED" | "PENDING";
  link?: string;
  data: InsightData[];
}

export type InsightData =
  | { title: string; type: "NUMBER"; value: number }
  | { title: string; type: "PERCENTAGE"; value: number }
  | { title: string; type: "DURATION"; value: number }
  | { title: string; type: "LINK"; value: { text: string; href: string } }
  | { title: string; type: "TEXT"; value: string };

export interface InsightAnnotation {
  external_id: string;
  annotation_type: "VULNERABILITY" | "CODE_SMELL" | "BUG";
  summary: string;
  details?: string;
  path?: string;
  line?: number;
  severity: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";
  result?: "PASSED" | "FAILED" | "SKIPPED" | "IGNORED";
  link?: string;
}

/** A report and its annotations, ready to publish. */
export interface Insight {
  kind: "tests" | "coverage" | "quality" | "security";
  report: InsightReport;
  annotations: InsightAnnotation[];
}

/** Bitbucket keeps at most 1000 annotations per report. */
export const MAX_ANNOTATIONS = 1000;
const REPORTER = "GitLab CI";

/** The pipeline a report is about. */
export interface PipelineRef {
  id: number;
  webUrl: string;
}

/** GitLab's `GET /projects/:id/pipelines/:pid/test_report`, the parts we read. */
export interface GitLabTestReport {
  total_time?: number;
  total_count?: number;
  failed_count?: number;
  skipped_count?: number;
  error_count?: number;
  /** Failed or errored cases left out of `test_suites` and only counted (a streamed read keeps 1,000). */
  omitted_failures?: number;
  test_suites?: Array<{
    name?: string;
    test_cases?: Array<{
      status?: string;
      name?: string;
      classname?: string;
      file?: string | null;
      system_output?: string | null;
      stack_trace?: string | null;
    }>;
  }>;
}

/**
 * The TEST report: FAILED when a test failed or errored, one BUG annotation per such test (on its file
 * when GitLab knows it), at most 1000; the details say how many were left out.
 */
export function testInsight(report: GitLabTestReport, pipeline: PipelineRef): Insight | null {
  const total = report.total_count ?? 0;
  if (total === 0) return null;
  const failed = (report.failed_count ?? 0) + (report.error_count ?? 0);
  const annotations: InsightAnnotation[] = [];
  let failing = 0;
  for (const suite of report.test_suites ?? []) {
    for (const c of suite.test_cases ?? []) {
      if (c.status !== "failed" && c.status !== "error") continue;
      failing++;
      if (annotations.length >= MAX_ANNOTATIONS) continue;
      const path = repositoryPath(c.file);
      annotations.push({
        external_id: `test-${annotations.length + 1}`,
        annotation_type: "BUG",
        summary: safeText(c.name || c.classname || "unnamed test", LIMITS.summary),
        details: firstLines(
          c.system_output || c.stack_trace || `${c.status} in ${suite.name ?? "a test suite"}`,
          12,
          LIMITS.details,
        ),
        ...(path ? { path } : {}),
        severity: "HIGH",
        result: "FAILED",
      });
    }
  }
  const left = failing + (report.omitted_failures ?? 0) - annotations.length;
  const testsUrl = `${pipeline.webUrl}/test_report`;
  return {
    kind: "tests",
    report: {
      title: "GitLab tests",
      details: safeText(
        `${total} tests: ${report.failed_count ?? 0} failed, ${report.error_count ?? 0} errors, ${report.skipped_count ?? 0} skipped ` +
          `(pipeline #${pipeline.id}).${left > 0 ? ` ${left} more failed tests are not annotated (Bitbucket keeps ${MAX_ANNOTATIONS} per report).` : ""}`,
        LIMITS.details,
      ),
      report_type: "TEST",
      reporter: REPORTER,
      result: failed > 0 ? "FAILED" : "PASSED",
      link: testsUrl,
      data: [
        { title: "Tests", type: "NUMBER", value: total },
        { title: "Failed", type: "NUMBER", value: failed },
        { title: "Skipped", type: "NUMBER", value: report.skipped_count ?? 0 },
        { title: "Duration", type: "DURATION", value: Math.round((report.total_time ?? 0) * 1000) },
        { title: "Pipeline", type: "LINK", value: { text: `#${pipeline.id}`, href: testsUrl } },
      ],
    },
    annotations,
  };
}

/** The COVERAGE report, when the pipeline has coverage (GitLab gives it as a string, or null). */
export function coverageInsight(coverage: string | number | null | undefined, pipeline: PipelineRef): Insight | null {
  const value = typeof coverage === "number" ? coverage : Number.parseFloat(String(coverage ?? ""));
  if (!Number.isFinite(value)) return null;
  const percent = Math.min(100, Math.max(0, Math.round(value * 100) / 100));
  return {
    kind: "coverage",
    report: {
      title: "GitLab coverage",
      details: `Coverage of pipeline #${pipeline.id}: ${percent}%.`,
      report_type: "COVERAGE",
      reporter: REPORTER,
      result: "PASSED",
      link: pipeline.webUrl,
      data: [{ title: "Coverage", type: "PERCENTAGE", value: percent }],
    },
    annotations: [],
  };
}

/** A CodeClimate-format finding (GitLab's code quality report). */
export interface CodeQualityFinding {
  description?: string;
  check_name?: string;
  fingerprint?: string;
  severity?: string;
  location?: { path?: string; lines?: { begin?: number }; positions?: { begin?: { line?: number } } };
}

const QUALITY_SEVERITY: Record<string, InsightAnnotation["severity"]> = {
  blocker: "CRITICAL",
  critical: "HIGH",
  major: "MEDIUM",
  minor: "LOW",
  info: "LOW",
};

/** The code-quality report (`report_type` BUG), one CODE_SMELL annotation per finding. */
export function qualityInsight(findings: CodeQualityFinding[], pipeline: PipelineRef, jobUrl: string): Insight {
  const annotations = findings.slice(0, MAX_ANNOTATIONS).map((f, i): InsightAnnotation => {
    const path = repositoryPath(f.location?.path);
    const line = f.location?.lines?.begin ?? f.location?.positions?.begin?.line;
    return {
      external_id: `quality-${safeText(f.fingerprint, 40).replace(/[^\w-]/g, "") || i + 1}`,
      annotation_type: "CODE_SMELL",
      summary: safeText(f.description || f.check_name || "finding", LIMITS.summary),
      ...(f.check_name ? { details: safeText(f.check_name, LIMITS.details) } : {}),
      ...(path ? { path } : {}),
      ...(path && Number.isInteger(line) && line! >= 1 ? { line } : {}),
      severity: (Object.hasOwn(QUALITY_SEVERITY, f.severity ?? "") && QUALITY_SEVERITY[f.severity!]) || "LOW",
      link: jobUrl,
    };
  });
  const serious = annotations.filter((a) => a.severity === "CRITICAL" || a.severity === "HIGH").length;
  return {
    kind: "quality",
    report: {
      title: "GitLab code quality",
      details: safeText(
        `${findings.length} findings in pipeline #${pipeline.id}${findings.length > annotations.length ? `; the first ${annotations.length} are annotated` : ""}.`,
        LIMITS.details,
      ),
      report_type: "BUG",
      reporter: REPORTER,
      result: serious > 0 ? "FAILED" : "PASSED",
      link: jobUrl,
      data: [
        { title: "Findings", type: "NUMBER", value: findings.length },
        { title: "Critical or high", type: "NUMBER", value: serious },
      ],
    },
    annotations,
  };
}

/** A finding of GitLab's SAST report (`gl-sast-report.json`). */
export interface SastFinding {
  id?: string;
  name?: string;
  message?: string;
  description?: string;
  severity?: string;
  location?: { file?: string; start_line?: number };
}

const SAST_SEVERITY: Record<string, InsightAnnotation["severity"]> = {
  critical: "CRITICAL",
  high: "HIGH",
  medium: "MEDIUM",
  low: "LOW",
  info: "LOW",
  unknown: "LOW",
};

/** The SECURITY report, one VULNERABILITY annotation per SAST finding. */
export function securityInsight(findings: SastFinding[], pipeline: PipelineRef, jobUrl: string): Insight {
  const annotations = findings.slice(0, MAX_ANNOTATIONS).map((f, i): InsightAnnotation => {
    const path = repositoryPath(f.location?.file);
    const line = f.location?.start_line;
    const severity = String(f.severity ?? "").toLowerCase();
    return {
      external_id: `sast-${safeText(f.id, 60).replace(/[^\w-]/g, "") || i + 1}`,
      annotation_type: "VULNERABILITY",
      summary: safeText(f.name || f.message || "vulnerability", LIMITS.summary),
      ...(f.description ? { details: safeText(f.description, LIMITS.details) } : {}),
      ...(path ? { path } : {}),
      ...(path && Number.isInteger(line) && line! >= 1 ? { line } : {}),
      severity: (Object.hasOwn(SAST_SEVERITY, severity) && SAST_SEVERITY[severity]) || "LOW",
      link: jobUrl,
    };
  });
  const serious = annotations.filter((a) => a.severity === "CRITICAL" || a.severity === "HIGH").length;
  return {
    kind: "security",
    report: {
      title: "GitLab SAST",
      details: safeText(`${findings.length} findings in pipeline #${pipeline.id}.`, LIMITS.details),
      report_type: "SECURITY",
      reporter: REPORTER,
      result: serious > 0 ? "FAILED" : "PASSED",
      link: jobUrl,
      data: [
        { title: "Vulnerabilities", type: "NUMBER", value: findings.length },
        { title: "Critical or high", type: "NUMBER", value: serious },
      ],
    },
    annotations,
  };
}

/** The stable id of a link's report of one kind: a re-run on the same commit replaces it in place. */
/**
 * A report's id on its commit: one per GitLab project and kind, and for a pull request's merge-result
 * pipeline one per pull request as well (`gitlab-<project>-pr<id>-<kind>`), so its reports sit beside the
 * branch pipeline's on the source head and never replace them. Ids always end in their kind.
 */
export const reportId = (projectId: number, kind: Insight["kind"], prId?: number | null) =>
  prId == null ? `gitlab-${projectId}-${kind}` : `gitlab-${projectId}-pr${prId}-${kind}`;
