import assert from "node:assert/strict";
import { bitbucketState } from "../../src/core/status-state";

describe("GitLab status to Bitbucket state", () => {
  const table: [string, string][] = [
    ["created", "INPROGRESS"],
    ["waiting_for_resource", "INPROGRESS"],
    ["preparing", "INPROGRESS"],
    ["waiting_for_callback", "INPROGRESS"],
    ["pending", "INPROGRESS"],
    ["running", "INPROGRESS"],
    ["scheduled", "INPROGRESS"],
    ["manual", "INPROGRESS"],
    ["success", "SUCCESSFUL"],
    ["failed", "FAILED"],
    ["canceling", "STOPPED"],
    ["canceled", "STOPPED"],
    ["skipped", "STOPPED"],
  ];
  for (const [gitlab, bitbucket] of table) {
    it(`maps ${gitlab} to ${bitbucket}`, () => assert.equal(bitbucketState(gitlab), bitbucket));
  }

  it("reads a failed job that is allowed to fail as SUCCESSFUL, so it never blocks a merge", () => {
    assert.equal(bitbucketState("failed", true), "SUCCESSFUL");
  });

  it("keeps a successful job successful whether or not it may fail", () => {
    assert.equal(bitbucketState("success", true), "SUCCESSFUL");
  });

  it("treats a status GitLab adds in the future as still in progress rather than guessing", () => {
    assert.equal(bitbucketState("some_new_status"), "INPROGRESS");
  });

  it("finds nothing of Object.prototype for statuses named like its members", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])
      assert.equal(bitbucketState(name), "INPROGRESS", name);
  });
});
