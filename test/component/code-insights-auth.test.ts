import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { forgeLinkedRepository } from "../support/forge-world";
import { drained, eventually, Stack } from "../support/stack";

const fixture = (name: string): any => JSON.parse(readFileSync(path.join(__dirname, "../../sim/fixtures/gitlab", name), "utf8"));
const shas = ["e1742195055d9234440410f95462fdebb05b5ac1", "e1742195055d9234440410f95462fdebb05b5ac2"];

describe("Code Insights calls authenticate as documented, and the Connect JWT is a switch away", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  /** Two failed pipelines on two commits, each with a test report: two publications, four report calls. */
  async function publishTwice() {
    const { project } = await stack.linkedRepository();
    await drained(stack);
    const grantsBefore = workspaceTokens();
    for (const sha of shas) {
      const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main", jobs: [{ name: "test", stage: "test" }] });
      pipeline.testReport = fixture("test-report.json");
      stack.gitlab.setPipelineStatus(pipeline, "failed");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
      await eventually(() => stack.bitbucket.reports(sha).find((r) => r.annotations.length === 2), 10_000);
      await drained(stack);
    }
    const calls = stack.bitbucket.apiCalls.filter((c) => c.path.includes("/reports/"));
    assert.equal(calls.length, 4, "a report and its annotations per commit");
    assert.ok(calls.every((c) => c.status === 200));
    return { auth: [...new Set(calls.map((c) => c.auth))], minted: workspaceTokens() - grantsBefore };
  }
  /** Workspace-wide access tokens of the JWT grant (repository-bound ones are the mirror's and git's). */
  const workspaceTokens = () => stack.bitbucket.accessTokens().filter((t) => !t.repository).length;

  it("by default, with the installation's access token from the JWT-bearer grant, minted once and kept", async () => {
    stack = await Stack.start();
    const { auth, minted } = await publishTwice();
    assert.deepEqual(auth, ["access-token"]);
    assert.equal(minted, 1, "one grant serves both publications");
  });

  it("with CODE_INSIGHTS_AUTH=jwt, with the Connect JWT the statuses use, and no grant", async () => {
    stack = await Stack.start({ env: { CODE_INSIGHTS_AUTH: "jwt" } });
    const { auth, minted } = await publishTwice();
    assert.deepEqual(auth, ["jwt"]);
    assert.equal(minted, 0);
  });

  it("from the Forge edition, with its system token", async () => {
    stack = await Stack.start({ forge: true });
    const { project } = await forgeLinkedRepository(stack);
    const [sha] = shas;
    const pipeline = stack.gitlab.createPipeline(project, { sha: sha!, ref: "main", jobs: [{ name: "test", stage: "test" }] });
    pipeline.testReport = fixture("test-report.json");
    stack.gitlab.setPipelineStatus(pipeline, "failed");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
    const tests = await eventually(() => stack.bitbucket.reports(sha!).find((r) => r.annotations.length === 2), 10_000);
    assert.equal(tests.result, "FAILED");
    const calls = stack.bitbucket.apiCalls.filter((c) => c.path.includes("/reports/"));
    assert.deepEqual([...new Set(calls.map((c) => `${c.auth} ${c.status}`))], ["forge 200"]);
  });
});
