import assert from "node:assert/strict";
import { ciHeader, CiHeaderError, ciHeaderInputs } from "../../src/core/ci-header-inputs";
import { pipelineContext } from "../../src/core/pipeline-context";
import { repositoryCiFile } from "../../src/sync/pr-pipeline-context";

const HEADER = `# the pull request's context
spec:
  inputs:
    bitbucket_pr_id:
      type: number
    bitbucket_pr_source_branch:
      default: main
    other:
      type: boolean
      default: false
---
test:
  rules:
    - !reference [.rules, default]
  script: echo $[[ inputs.bitbucket_pr_id ]]
`;

const PR = {
  prId: 7,
  sourceBranch: "feature/x",
  destinationBranch: "main",
  sourceSha: "a".repeat(40),
  destinationSha: "b".repeat(40),
};

describe("the inputs a CI file's header declares", () => {
  it("only the header document is read: names with their declared type, string by default", () => {
    assert.deepEqual(
      [...ciHeaderInputs(HEADER)],
      [
        ["bitbucket_pr_id", "number"],
        ["bitbucket_pr_source_branch", "string"],
        ["other", "boolean"],
      ],
    );
  });

  it("a file of one document has no header, whatever keys it has", () => {
    assert.equal(ciHeader("spec:\n  inputs:\n    a: {}\ntest:\n  script: x\n"), null);
    assert.deepEqual([...ciHeaderInputs("spec:\n  inputs:\n    a: {}\n")], []);
  });

  it("a leading `---` starts the first document and separates nothing", () => {
    assert.deepEqual([...ciHeaderInputs(`# c\n---\n${HEADER}`)].length, 3);
  });

  it("a header that is not YAML is an error the caller can tell; the body is never parsed", () => {
    assert.throws(() => ciHeaderInputs("spec:\n  inputs: [\n---\ntest: {}\n"), CiHeaderError);
    assert.deepEqual([...ciHeaderInputs("spec:\n  inputs:\n    a:\n---\ntest: [ not yaml\n")], [["a", "string"]]);
  });

  it("an alias bomb in the header fails instead of growing", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 8; i++)
      bomb.push(`${"bcdefghij"[i]}: &${"bcdefghij"[i]} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`);
    assert.throws(() => ciHeaderInputs(`${bomb.join("\n")}\n---\ntest: {}\n`), CiHeaderError);
  });
});

describe("the pull request's context for its pipeline", () => {
  it("declared names go as inputs (the id a number where declared so), the others as variables", () => {
    const context = pipelineContext(PR, ciHeaderInputs(HEADER));
    assert.deepEqual(context.inputs, { bitbucket_pr_id: 7, bitbucket_pr_source_branch: "feature/x" });
    assert.deepEqual(Object.keys(context.variables), [
      "BITBUCKET_PR_DESTINATION_BRANCH",
      "BITBUCKET_PR_SOURCE_COMMIT",
      "BITBUCKET_PR_DESTINATION_COMMIT",
    ]);
  });

  it("with nothing declared everything is a variable, as before inputs existed", () => {
    const context = pipelineContext(PR, new Map());
    assert.deepEqual(context.inputs, {});
    assert.equal(context.variables.BITBUCKET_PR_ID, "7");
  });

  it("the CI file is read from the cache only when ci_config_path names a file of this repository", () => {
    assert.equal(repositoryCiFile(null), ".gitlab-ci.yml");
    assert.equal(repositoryCiFile(""), ".gitlab-ci.yml");
    assert.equal(repositoryCiFile("ci/pipeline.yml"), "ci/pipeline.yml");
    assert.equal(repositoryCiFile("./ci/pipeline.yml"), "ci/pipeline.yml");
    for (const outside of ["ci.yml@group/other", "ci.yml@group/other:main", "https://example.com/ci.yml", "../x.yml", "a//b.yml"])
      assert.equal(repositoryCiFile(outside), null, outside);
  });
});
