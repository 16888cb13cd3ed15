import assert from "node:assert/strict";
import { jobStatus, pipelineStatus, type PipelineFacts } from "../../src/core/build-status";

const pipeline = (over: Partial<PipelineFacts> = {}): PipelineFacts => ({
  id: 128,
  projectId: 42,
  projectPath: "group/project",
  ref: "feature/x",
  tag: false,
  status: "success",
  webUrl: "https://gitlab.example.com/group/project/-/pipelines/128",
  durationSeconds: 252,
  ...over,
});

describe("the status posted for a pipeline", () => {
  it("is named after the project and pipeline, links to it, and says how long it took", () => {
    assert.deepEqual(pipelineStatus(pipeline()), {
      key: "gitlab:42:feature/x",
      state: "SUCCESSFUL",
      name: "GitLab CI: group/project #128",
      url: "https://gitlab.example.com/group/project/-/pipelines/128",
      description: "passed in 4m 12s",
      refname: "feature/x",
    });
  });

  it("says at which stage a failed pipeline failed", () => {
    assert.equal(pipelineStatus(pipeline({ status: "failed", failedStage: "test" })).description, "failed at stage test");
  });

  it("reports a pipeline blocked on a manual job as still in progress, waiting for a person", () => {
    const s = pipelineStatus(pipeline({ status: "manual" }));
    assert.equal(s.state, "INPROGRESS");
    assert.equal(s.description, "waiting for a manual action");
  });

  it("has no refname for a tag pipeline, since no pull request can show it", () => {
    assert.equal("refname" in pipelineStatus(pipeline({ tag: true, ref: "v1.0.0" })), false);
  });

  it("keeps the name within Bitbucket's 255 characters", () => {
    assert.ok(pipelineStatus(pipeline({ projectPath: "g/".repeat(200) + "p" })).name.length <= 255);
  });
});

describe("the status posted for a job", () => {
  const job = {
    name: "lint",
    stage: "test",
    status: "failed",
    allowFailure: true,
    webUrl: "https://gitlab.example.com/j/1",
    durationSeconds: 5,
  };

  it("reads an allowed failure as SUCCESSFUL and says it was allowed to fail", () => {
    const s = jobStatus(pipeline(), job)!;
    assert.equal(s.state, "SUCCESSFUL");
    assert.equal(s.description, "failed in 5s (allowed to fail)");
    assert.equal(s.key, "gitlab:42:feature/x:lint");
  });

  it("posts nothing for a manual job that never ran", () => {
    assert.equal(jobStatus(pipeline(), { ...job, status: "manual", durationSeconds: null }), null);
  });
});
