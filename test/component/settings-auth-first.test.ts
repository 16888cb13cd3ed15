import assert from "node:assert/strict";
import { Stack } from "../support/stack";

describe("settings routes check who is asking before reading the body (review L5)", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  // A malformed body and one over every route's limit: parsed first, they would be a 400 or a 413.
  const bodies = ["{not json", JSON.stringify({ padding: "x".repeat(64 * 1024) })];
  const refusesUnparsed = async (method: string, url: string) => {
    for (const body of bodies) {
      const res = await fetch(url, { method, headers: { "content-type": "application/json" }, body });
      assert.equal(res.status, 401, `${method} ${url} with a ${body.length}-byte body`);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "unauthorized");
    }
  };

  const repositoryRoutes = [
    ["PUT", "pullrequests/settings"],
    ["PUT", "link/reports"],
    ["PUT", "link"],
    ["POST", "gitlab/check"],
    ["POST", "gitlab/projects"],
    ["POST", "gitlab/project"],
    ["POST", "gitlab/namespaces"],
    ["POST", "project"],
  ];
  for (const [method, tail] of repositoryRoutes) {
    it(`${method} …/${tail} without a token is a 401, whatever its body`, async () => {
      const { repo } = await stack.linkedRepository();
      await refusesUnparsed(method!, `${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/${tail}`);
    });
  }

  for (const tail of ["defaults", "settings"]) {
    it(`PUT /api/workspace/${tail} without a token is a 401, whatever its body`, async () => {
      await stack.linkedRepository();
      await refusesUnparsed("PUT", `${stack.app.url}/api/workspace/${tail}`);
    });
  }
});
