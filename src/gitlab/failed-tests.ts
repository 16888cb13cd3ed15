import type { GitLabTestReport } from "../core/code-insights";
import { JsonStream, type JsonKey, type JsonScalar } from "../http/json-stream";

type TestCase = NonNullable<NonNullable<GitLabTestReport["test_suites"]>[number]["test_cases"]>[number];

/** A test report's counts and its failed or errored cases only (the first `keep` of them). */
export type FailedTests = GitLabTestReport & {
  /** Failed or errored cases read past the first `keep`: counted, not kept. */
  omitted_failures: number;
};

const COUNTS = ["total_time", "total_count", "failed_count", "skipped_count", "error_count"] as const;
const CASE_FIELDS = new Set(["status", "name", "classname", "file", "system_output", "stack_trace"]);
/** More than any field of an annotation keeps (2,000 characters of details), so cutting here changes nothing. */
const MAX_STRING = 2_500;
const MAX_DEPTH = 32;

/**
 * Reads GitLab's `GET /pipelines/:id/test_report` as it streams in, keeping the counts and the failed or
 * errored test cases, each field cut to 2,500 characters, and only counting them past the first `keep`.
 * Passing cases are read and forgotten: a 10,000-case report never sits in memory.
 */
export function failedTests(keep: number) {
  const out: FailedTests = { test_suites: [], omitted_failures: 0 };
  // Where the parser is: one key per open container, the document's own being null.
  const path: JsonKey[] = [];
  let suiteName: string | undefined;
  let suite: NonNullable<FailedTests["test_suites"]>[number] | null = null;
  let testCase: Record<string, string> | null = null;
  let kept = 0;

  const inSuite = () => path.length === 3 && path[1] === "test_suites";
  const inCase = () => path.length === 5 && path[1] === "test_suites" && path[3] === "test_cases";

  const parser = new JsonStream(
    {
      open(key, kind) {
        path.push(key);
        if (inSuite() && kind === "object") {
          suiteName = undefined;
          suite = null;
        }
        if (inCase() && kind === "object") testCase = {};
      },
      close() {
        if (inCase() && testCase) finishCase(testCase);
        if (inCase()) testCase = null;
        path.pop();
      },
      value(key: JsonKey, value: JsonScalar) {
        if (path.length === 1 && typeof key === "string" && (COUNTS as readonly string[]).includes(key)) {
          if (typeof value === "number") out[key as (typeof COUNTS)[number]] = value;
        } else if (inSuite() && key === "name" && typeof value === "string") {
          suiteName = value;
          if (suite) suite.name = value;
        } else if (inCase() && testCase && typeof key === "string" && CASE_FIELDS.has(key) && typeof value === "string") {
          testCase[key] = value;
        }
      },
    },
    { maxString: MAX_STRING, maxDepth: MAX_DEPTH },
  );

  function finishCase(c: TestCase & Record<string, string>) {
    if (c.status !== "failed" && c.status !== "error") return;
    if (kept >= keep) {
      out.omitted_failures++;
      return;
    }
    kept++;
    if (!suite) {
      suite = { ...(suiteName !== undefined ? { name: suiteName } : {}), test_cases: [] };
      out.test_suites!.push(suite);
    }
    suite.test_cases!.push(c);
  }

  return {
    write: (text: string) => parser.write(text),
    /** The digest, once the whole answer is read (throws if it was cut short). */
    end(): FailedTests {
      parser.end();
      return out;
    },
  };
}
