import assert from "node:assert/strict";
import { drained, Stack } from "../support/stack";
import { pushLinkedRepository } from "../support/push-link";

type Linked = Awaited<ReturnType<typeof pushLinkedRepository>>;

const ALL_DECLARED = `spec:
  inputs:
    bitbucket_pr_id:
      type: number
    bitbucket_pr_source_branch:
    bitbucket_pr_destination_branch:
    bitbucket_pr_source_commit:
    bitbucket_pr_destination_commit:
---
test:
  script: echo "pull request $[[ inputs.bitbucket_pr_id ]]"
`;

describe("pull-request pipelines: the pull request's context as pipeline inputs where the CI file declares them", function () {
  this.timeout(120_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  /** The CI files land on main after feature/x branched off, so only the merge result has them. */
  async function opened(s: Linked, ciFiles: Record<string, string>) {
    const base = (await s.bitbucketGit.resolve("refs/heads/main"))!;
    const feature = await s.bitbucketGit.commit({ branch: "feature/x", parent: base });
    const main = await s.bitbucketGit.commit({ branch: "main", files: ciFiles });
    const reply = await stack.bitbucket.pullRequest(s.tenant, s.repo, {
      id: 5,
      action: "created",
      source: "feature/x",
      destination: "main",
    });
    assert.equal(reply.status, 204);
    await drained(stack);
    const [pipeline, ...more] = stack.gitlab.pipelines(s.project).filter((p) => p.ref === "bitbucket/pr-5");
    assert.ok(pipeline, "a merge-result pipeline");
    assert.equal(more.length, 0);
    return { feature, main, pipeline };
  }
  const variablesOf = (p: { variables?: { key: string; value: string }[] }) =>
    Object.fromEntries((p.variables ?? []).map((v) => [v.key, v.value]));

  it("inputs declared in .gitlab-ci.yml's header are sent as inputs (the id a number), and no variables", async () => {
    const s = await pushLinkedRepository(stack);
    const { feature, main, pipeline } = await opened(s, { ".gitlab-ci.yml": ALL_DECLARED });
    assert.deepEqual(pipeline.inputs, {
      bitbucket_pr_id: 5,
      bitbucket_pr_source_branch: "feature/x",
      bitbucket_pr_destination_branch: "main",
      bitbucket_pr_source_commit: feature,
      bitbucket_pr_destination_commit: main,
    });
    assert.equal(pipeline.variables, undefined);
  });

  it("so a project that refuses pipeline variables still gets the whole context, and nothing is said", async () => {
    const s = await pushLinkedRepository(stack);
    s.project.pipelineVariablesRole = "no_one_allowed";
    const { pipeline } = await opened(s, { ".gitlab-ci.yml": ALL_DECLARED });
    assert.equal(pipeline.inputs?.bitbucket_pr_id, 5);
    assert.equal((await listPullRequests(s)).pullRequests[0].note, null);
  });

  it("names the header does not declare go as variables beside the declared inputs", async () => {
    const s = await pushLinkedRepository(stack);
    const header = "spec:\n  inputs:\n    bitbucket_pr_id:\n    unrelated:\n      default: x\n---\ntest:\n  script: x\n";
    const { feature, pipeline } = await opened(s, { ".gitlab-ci.yml": header });
    assert.deepEqual(pipeline.inputs, { bitbucket_pr_id: "5" });
    const variables = variablesOf(pipeline);
    assert.equal(variables.BITBUCKET_PR_ID, undefined);
    assert.equal(variables.BITBUCKET_PR_SOURCE_COMMIT, feature);
    assert.equal(Object.keys(variables).length, 4);
  });

  it("a CI file without a header gets variables as before, and no inputs", async () => {
    const s = await pushLinkedRepository(stack);
    const { pipeline } = await opened(s, { ".gitlab-ci.yml": "test:\n  script: echo $BITBUCKET_PR_ID\n" });
    assert.equal(pipeline.inputs, undefined);
    assert.equal(variablesOf(pipeline).BITBUCKET_PR_ID, "5");
    assert.equal(Object.keys(variablesOf(pipeline)).length, 5);
  });

  it("a header that is not YAML leaves the context as variables, and the page says why", async () => {
    const s = await pushLinkedRepository(stack);
    const { pipeline } = await opened(s, { ".gitlab-ci.yml": "spec:\n  inputs: [bitbucket_pr_id\n---\ntest:\n  script: x\n" });
    assert.equal(pipeline.inputs, undefined);
    assert.equal(Object.keys(variablesOf(pipeline)).length, 5);
    assert.match((await listPullRequests(s)).pullRequests[0].note, /header of \.gitlab-ci\.yml is not valid YAML/);
  });

  it("the project's ci_config_path is the file read, not .gitlab-ci.yml", async () => {
    const s = await pushLinkedRepository(stack);
    s.project.ciConfigPath = "ci/pipeline.yml";
    const { pipeline } = await opened(s, {
      "ci/pipeline.yml": ALL_DECLARED,
      ".gitlab-ci.yml": "test:\n  script: x\n",
    });
    assert.equal(pipeline.inputs?.bitbucket_pr_id, 5);
    assert.equal(pipeline.variables, undefined);
  });

  it("a ci_config_path in another project cannot be read: variables, and the page says why", async () => {
    const s = await pushLinkedRepository(stack);
    s.project.ciConfigPath = "pipeline.yml@acme/ci-templates";
    const { pipeline } = await opened(s, { ".gitlab-ci.yml": ALL_DECLARED });
    assert.equal(pipeline.inputs, undefined);
    assert.equal(Object.keys(variablesOf(pipeline)).length, 5);
    assert.match((await listPullRequests(s)).pullRequests[0].note, /not a file of this repository/);
  });

  it("the GitLab simulator refuses inputs the CI file of that ref does not declare, in GitLab's words", async () => {
    const s = await pushLinkedRepository(stack);
    await s.gitlabGit.commit({ branch: "main", files: { ".gitlab-ci.yml": ALL_DECLARED } });
    const create = (inputs: unknown) =>
      fetch(`${stack.gitlab.url}/api/v4/projects/${s.project.id}/pipeline`, {
        method: "POST",
        headers: { "PRIVATE-TOKEN": s.gitlabToken, "Content-Type": "application/json" },
        body: JSON.stringify({ ref: "main", inputs }),
      });
    const full = { bitbucket_pr_source_branch: "a", bitbucket_pr_destination_branch: "b" };
    const facts = { ...full, bitbucket_pr_source_commit: "c", bitbucket_pr_destination_commit: "d" };
    const unknown = await create({ ...facts, bitbucket_pr_id: 1, nope: "x" });
    assert.equal(unknown.status, 400);
    assert.deepEqual(await unknown.json(), { message: { base: ["unknown input arguments: nope"] } });
    const wrongType = await create({ ...facts, bitbucket_pr_id: "1" });
    assert.equal(wrongType.status, 400);
    assert.match(JSON.stringify(await wrongType.json()), /`bitbucket_pr_id` input: provided value is not a number/);
    const good = await create({ ...facts, bitbucket_pr_id: 1 });
    assert.equal(good.status, 201);
  });

  async function listPullRequests(s: Linked): Promise<any> {
    const res = await fetch(`${stack.app.url}/api/repositories/${encodeURIComponent(s.repo.uuid)}/pullrequests`, {
      headers: { Authorization: `JWT ${s.settingsToken}` },
    });
    assert.equal(res.status, 200);
    return res.json();
  }
});
