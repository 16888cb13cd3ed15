import assert from "node:assert/strict";
import { Stack } from "../support/stack";

describe("settings routes check who is asking before reading the body (review L5)", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  for (const tail of ["pullrequests/settings", "link/reports"]) {
    it(`PUT …/${tail} without a token is a 401, whatever its body`, async () => {
      const { repo } = await stack.linkedRepository();
      const url = `${stack.app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/${tail}`;
      for (const body of ["{not json", JSON.stringify({ padding: "x".repeat(64 * 1024) })]) {
        const res = await fetch(url, { method: "PUT", headers: { "content-type": "application/json" }, body });
        assert.equal(res.status, 401, `${tail} with a ${body.length}-byte body`);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, "unauthorized");
      }
    });
  }
});
