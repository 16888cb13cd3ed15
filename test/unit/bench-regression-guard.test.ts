import assert from "node:assert/strict";
import { compareWithCommitted } from "../../bench/support/regression-guard";
import type { StoreResult } from "../../bench/report";

const withHookCost = (cpuMsPerRequest: number): StoreResult =>
  ({ ranAt: "now", intake: { gitlab: { app: { cpuMsPerRequest } } } }) as unknown as StoreResult;

describe("the benchmark's comparison with the committed figures", () => {
  it("flags a GitLab hook whose intake cost doubled", () => {
    const { lines, regressed } = compareWithCommitted({ sqlite: withHookCost(1.69) }, { sqlite: withHookCost(0.81) });
    assert.equal(regressed, true);
    assert.match(lines.join("\n"), /Pipeline Hook CPU ms\/request: 0.81 → 1.69 \(\+109%\).*worse than committed/);
  });

  it("lets run-to-run noise and improvements pass", () => {
    assert.equal(compareWithCommitted({ sqlite: withHookCost(0.9) }, { sqlite: withHookCost(0.81) }).regressed, false);
    assert.equal(compareWithCommitted({ sqlite: withHookCost(0.4) }, { sqlite: withHookCost(0.81) }).regressed, false);
  });

  it("says so when there is nothing committed to compare with", () => {
    assert.deepEqual(compareWithCommitted({ sqlite: withHookCost(1) }, null).regressed, false);
  });
});
