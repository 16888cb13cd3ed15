/**
 * A GitLab test report (`GET /pipelines/:id/test_report`) as large as a big suite makes: every case with
 * the fields GitLab serves, each failure with a stack trace of ~2.5 KB, so 10,000 cases with 1,500
 * failures come to about 6 MB, more than the app reads of an ordinary JSON answer (4 MB).
 */
export function largeTestReport(opts: { cases: number; failures: number; suites?: number }) {
  const suites = opts.suites ?? 4;
  const perSuite = Math.ceil(opts.cases / suites);
  let failuresLeft = opts.failures;
  let n = 0;
  const testSuites = Array.from({ length: suites }, (_, s) => {
    const count = Math.min(perSuite, opts.cases - s * perSuite);
    const failing = Math.min(failuresLeft, Math.ceil(opts.failures / suites));
    failuresLeft -= failing;
    const test_cases = Array.from({ length: Math.max(0, count) }, (_, i) => {
      n++;
      const failed = i < failing;
      const file = `spec/models/area_${s}/model_${i % 97}_spec.rb`;
      return {
        status: failed ? "failed" : "success",
        name: `Model ${s}.${i} validates the record and keeps its associations consistent (case ${n})`,
        classname: `spec.models.area_${s}.model_${i % 97}_spec`,
        file: `./${file}`,
        execution_time: 0.0123,
        system_output: failed ? stackTrace(file, n) : null,
        stack_trace: null,
        recent_failures: failed ? { count: 1, base_branch: "main" } : null,
        attachment_url: null,
      };
    });
    return {
      name: `rspec ${s}`,
      total_time: count * 0.0123,
      total_count: count,
      success_count: count - failing,
      failed_count: failing,
      skipped_count: 0,
      error_count: 0,
      suite_error: null,
      test_cases,
    };
  });
  return {
    total_time: opts.cases * 0.0123,
    total_count: opts.cases,
    success_count: opts.cases - opts.failures,
    failed_count: opts.failures,
    skipped_count: 0,
    error_count: 0,
    test_suites: testSuites,
  };
}

function stackTrace(file: string, n: number): string {
  const frames = Array.from(
    { length: 24 },
    (_, f) =>
      `# ./vendor/bundle/ruby/3.3.0/gems/activerecord-7.1.3/lib/active_record/frame_${f}.rb:${100 + f}:in \`block in call'`,
  );
  return [
    `Failure/Error: expect(record).to be_valid`,
    `  expected #<Record id: ${n}> to be valid, but got errors: Email is invalid, Name can't be blank`,
    `# ./${file}:${(n % 200) + 1}:in \`block (2 levels) in <top (required)>'`,
    ...frames,
  ].join("\n");
}
