import assert from "node:assert/strict";
import { createLogger } from "../../src/logger";
import { prettyDestination, prettyLine } from "../../src/pretty-log";

describe("development logs", () => {
  it("a JSON line becomes time, level, component, message and the other fields", () => {
    const line = JSON.stringify({
      level: 30,
      time: Date.parse("2026-01-02T03:04:05.678Z"),
      app: "gitlab-ci-for-bitbucket",
      pid: 1,
      hostname: "h",
      component: "outbox",
      msg: "delivered",
      kind: "status-sync",
      summary: "pipeline #3 success",
    });
    assert.equal(prettyLine(line), '03:04:05.678 INFO  [outbox] delivered  kind=status-sync summary="pipeline #3 success"');
  });

  it("an error's stack follows on indented lines; a line that is not JSON passes as it is", () => {
    const out = prettyLine(
      JSON.stringify({ level: 50, time: 0, msg: "boom", err: { type: "Error", message: "x", stack: "Error: x\n  at y" } }),
    );
    assert.match(out, /ERROR boom\n {4}Error: x\n {4} {2}at y$/);
    assert.equal(prettyLine("plain text\n"), "plain text");
  });

  it("redaction applies before formatting: a token never reaches the pretty output", () => {
    const written: string[] = [];
    const log = createLogger("info", prettyDestination({ write: (s: string) => written.push(s) }));
    log.info({ token: "glpat-secret-value", headers: { authorization: "JWT abc" } }, "calling GitLab");
    assert.equal(written.length, 1);
    assert.match(written[0]!, /INFO {2}calling GitLab/);
    assert.doesNotMatch(written[0]!, /glpat-secret-value|JWT abc/);
  });
});
