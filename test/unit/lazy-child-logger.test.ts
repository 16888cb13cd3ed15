import assert from "node:assert/strict";
import { createLogger, lazyChild } from "../../src/logger";

describe("a delivery's logger is made only when it logs", () => {
  function capture(level: string) {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger(level, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    let children = 0;
    const child = log.child.bind(log);
    log.child = ((...args: Parameters<typeof child>) => (children++, child(...args))) as typeof log.child;
    return { log, lines, children: () => children };
  }

  it("a call at a level that is off makes no child and writes nothing", () => {
    const { log, lines, children } = capture("warn");
    const lazy = lazyChild(log, { outboxId: 1, kind: "status-sync" });
    lazy.info({ reason: "x" }, "delivery will be retried");
    lazy.debug("nothing");
    assert.equal(children(), 0);
    assert.deepEqual(lines, []);
  });

  it("a call at a level that is on writes the bindings once, redacted as any child's", () => {
    const { log, lines, children } = capture("info");
    const lazy = lazyChild(log, { outboxId: 1, kind: "status-sync", token: "glpat-secret" });
    lazy.warn({ reason: "gone" }, "delivery given up");
    lazy.info("again");
    assert.equal(children(), 1);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.outboxId, 1);
    assert.equal(lines[0]!.kind, "status-sync");
    assert.equal(lines[0]!.reason, "gone");
    assert.equal(lines[0]!.token, "[redacted]");
    assert.equal(lines[1]!.msg, "again");
    assert.equal(log.level, "info", "the parent is untouched");
  });
});
