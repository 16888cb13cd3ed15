import assert from "node:assert/strict";
import fc from "fast-check";
import { failedTests } from "../../src/gitlab/failed-tests";
import { JsonStream, type JsonKey, type JsonScalar } from "../../src/http/json-stream";
import { largeTestReport } from "../../sim/gitlab-sim/large-test-report";

/** Rebuilds the document from the parser's events, fed in pieces of `size` characters. */
function rebuild(text: string, size: number, maxString = 1_000_000): unknown {
  const stack: Array<{ key: JsonKey; node: any }> = [];
  let root: unknown;
  const put = (key: JsonKey, v: unknown) => {
    const parent = stack[stack.length - 1];
    if (!parent) root = v;
    else if (Array.isArray(parent.node)) parent.node.push(v);
    // An own property, as JSON.parse makes it: an assignment to `__proto__` would set the prototype instead.
    else Object.defineProperty(parent.node, key as string, { value: v, enumerable: true, writable: true, configurable: true });
  };
  const parser = new JsonStream(
    {
      open: (key, kind) => stack.push({ key, node: kind === "array" ? [] : {} }),
      close: () => {
        const done = stack.pop()!;
        put(done.key, done.node);
      },
      value: (key: JsonKey, v: JsonScalar) => put(key, v),
    },
    { maxString, maxDepth: 64 },
  );
  for (let i = 0; i < text.length; i += size) parser.write(text.slice(i, i + size));
  parser.end();
  return root;
}

describe("Reading JSON as it streams in", () => {
  it("reads any document as JSON.parse does, however the text is cut into pieces", () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 5 }), fc.integer({ min: 1, max: 7 }), (text, size) => {
        assert.deepEqual(rebuild(text, size), JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it("reads escapes split between pieces, surrogate pairs included", () => {
    const text = JSON.stringify({ s: 'a"b\\c\n\u00e9\u{1F600}/\t', n: [-1.5e3, 0, true, false, null] });
    for (const size of [1, 2, 3, 5]) assert.deepEqual(rebuild(text, size), JSON.parse(text));
  });

  it("keeps only the first maxString characters of a string", () => {
    assert.deepEqual(rebuild(JSON.stringify({ s: "x".repeat(100), t: "ok" }), 7, 10), { s: "x".repeat(10), t: "ok" });
  });

  it("refuses what is not JSON, and a document cut short", () => {
    for (const bad of ['{"a":1,}', "[1 2]", '{"a" 1}', "tru", '{"a":1}x', "01", '{"a":"b', "[1,"]) {
      assert.throws(() => rebuild(bad, 3), SyntaxError, bad);
    }
  });

  it("refuses nesting deeper than its limit", () => {
    assert.throws(() => rebuild("[".repeat(65) + "]".repeat(65), 10), /nested deeper than 64/);
  });
});

describe("A GitLab test report read for its failures", () => {
  const read = (report: unknown, keep: number, size = 64 * 1024) => {
    const reader = failedTests(keep);
    const text = JSON.stringify(report);
    for (let i = 0; i < text.length; i += size) reader.write(text.slice(i, i + size));
    return reader.end();
  };

  it("keeps the counts and the failed and errored cases, and forgets the passing ones", () => {
    const out = read(
      {
        total_count: 4,
        failed_count: 1,
        error_count: 1,
        skipped_count: 1,
        total_time: 1.5,
        test_suites: [
          {
            name: "rspec",
            test_cases: [
              { status: "success", name: "fine", recent_failures: { count: 1, base_branch: "main" } },
              { status: "failed", name: "broken", file: "./a_spec.rb", system_output: "boom", execution_time: 1 },
            ],
          },
          {
            name: "jest",
            test_cases: [
              { status: "skipped", name: "later" },
              { name: "bad", status: "error", stack_trace: "trace" },
            ],
          },
        ],
      },
      10,
      5,
    );
    assert.deepEqual(out, {
      total_count: 4,
      failed_count: 1,
      error_count: 1,
      skipped_count: 1,
      total_time: 1.5,
      omitted_failures: 0,
      test_suites: [
        { name: "rspec", test_cases: [{ status: "failed", name: "broken", file: "./a_spec.rb", system_output: "boom" }] },
        { name: "jest", test_cases: [{ name: "bad", status: "error", stack_trace: "trace" }] },
      ],
    });
  });

  it("of 1,500 failures among 10,000 cases keeps 1,000, counts the other 500, and cuts each field", () => {
    const report = largeTestReport({ cases: 10_000, failures: 1_500 });
    assert.ok(JSON.stringify(report).length > 4 * 1024 * 1024, "larger than an ordinary answer may be");
    const out = read(report, 1_000);
    assert.equal(out.total_count, 10_000);
    assert.equal(out.failed_count, 1_500);
    assert.equal(
      out.test_suites!.reduce((n, s) => n + s.test_cases!.length, 0),
      1_000,
    );
    assert.equal(out.omitted_failures, 500);
    assert.ok(
      out.test_suites!.every((s) => s.test_cases!.every((c) => c.status === "failed" && c.system_output!.length <= 2_500)),
    );
  });
});
