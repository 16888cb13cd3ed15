import assert from "node:assert/strict";
import { eventually, Stack } from "../support/stack";

// A stop waits for deliveries in flight up to its deadline, then closes the database under the rest. Those
// rows stay leased and run again once the lease runs out (crash-recovery.test.ts shows such a run); the stop
// says so once, and the late deliveries' failures to record are noted at info, so that an operator does
// not read them as lost work.
describe("stopping with a delivery still in flight", function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  it("says at the deadline how many deliveries it leaves to their lease", async () => {
    const { project } = await stack.linkedRepository();
    // The status post (the first call to Bitbucket since linking) answers 1.5 s late: after the stop.
    stack.bitbucket.injectFaults({ delayMs: 1_500 }, 1);
    const sha = "c0ffee95055d9234440410f95462fdebb05b5ac2";
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.firedFaults.length === 1, 10_000);
    assert.equal(stack.app.deps.worker.delivering, 1);

    await stack.app.stop(300);
    const said = stack.logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg?.startsWith("stopping with deliveries still in flight"));
    assert.equal(said.length, 1, stack.logs.join(""));
    assert.equal(said[0].level, 40);
    assert.equal(said[0].deliveries, 1);

    // The post lands; recording it meets the closed database, which is noted, not reported as an error.
    await eventually(() => stack.app.deps.worker.delivering === 0, 10_000);
    const late = stack.logs.map((l) => JSON.parse(l)).filter((l) => l.msg?.includes("the app had stopped"));
    assert.ok(late.length >= 1, stack.logs.join(""));
    assert.deepEqual(
      stack.logs.map((l) => JSON.parse(l)).filter((l) => l.level >= 50),
      [],
      "an error logged after the stop",
    );
  });

  it("says nothing of the kind when every delivery ended before the deadline", async () => {
    const { project } = await stack.linkedRepository();
    const sha = "c0ffee95055d9234440410f95462fdebb05b5ac3";
    const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(pipeline, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    await eventually(() => stack.bitbucket.statuses({ sha }).length === 1);

    await stack.app.stop(300);
    assert.ok(!stack.logs.some((l) => l.includes("stopping with deliveries still in flight")));
  });
});
