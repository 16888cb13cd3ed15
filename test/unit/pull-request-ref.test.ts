import assert from "node:assert/strict";
import {
  isSafeBranchName,
  pullRequestBranch,
  pullRequestJobStatusKey,
  pullRequestOfRef,
  pullRequestStatusKey,
} from "../../src/core/pull-request-ref";
import { statusKey } from "../../src/core/status-key";

describe("pull-request refs and keys", () => {
  it("the app's merge-result branch maps back to its pull request, and no other ref does", () => {
    assert.equal(pullRequestOfRef(pullRequestBranch(42)), 42);
    for (const ref of ["pr-42", "bitbucket/pr-", "bitbucket/pr-042", "bitbucket/pr-4x", "bitbucket/pr-4/x", "main"])
      assert.equal(pullRequestOfRef(ref), null, ref);
  });

  it("a pull request's status key never equals a branch's, even a branch called pr-7", () => {
    const key = pullRequestStatusKey(12, 7);
    assert.equal(key, "gitlab:12:pr~7");
    assert.notEqual(key, statusKey({ projectId: 12, ref: "pr-7" }));
    assert.notEqual(key, statusKey({ projectId: 12, ref: "pr", job: "7" }));
    assert.ok(key.length < 40);
  });

  it("a merge-result job's key is per pull request and job, and never a branch job's or the pipeline's", () => {
    assert.equal(pullRequestJobStatusKey(12, 7, "test"), "gitlab:12:pr~7:test");
    assert.notEqual(pullRequestJobStatusKey(12, 7, "test"), statusKey({ projectId: 12, ref: "pr-7", job: "test" }));
    assert.notEqual(pullRequestJobStatusKey(12, 7, "test"), pullRequestJobStatusKey(12, 8, "test"));
    assert.notEqual(pullRequestJobStatusKey(12, 1, "2:x"), pullRequestJobStatusKey(12, 12, "x"));
    const long = pullRequestJobStatusKey(12, 7, "integration tests against every supported database");
    assert.ok(long.length <= 40);
    assert.notEqual(long, statusKey({ projectId: 12, ref: "pr", job: "7:integration tests against every supported database" }));
  });

  it("branch names that could read as an option or a second refspec are refused", () => {
    for (const ok of ["main", "feature/x", "release-1.2", "ümlaut"]) assert.ok(isSafeBranchName(ok), ok);
    for (const bad of [
      "",
      "-f",
      "a:b",
      "a b",
      "a..b",
      "x.lock",
      "/a",
      "a/",
      "a//b",
      "a~1",
      "a^",
      "a?",
      "a*",
      "a[",
      "a\\b",
      "a@{1}",
      ".hidden",
      "a/.b",
      "a\n",
    ])
      assert.ok(!isSafeBranchName(bad), JSON.stringify(bad));
  });
});
