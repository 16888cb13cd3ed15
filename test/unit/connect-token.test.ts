import assert from "node:assert/strict";
import { tokenTimesProblem } from "../../src/connect/connect-token";

describe("the times a Bitbucket-signed token may carry", () => {
  const now = 1_800_000_000;

  it("accepts Bitbucket's own tokens: an iframe load's 3 minutes and a webhook's hour, a little ahead of our clock", () => {
    assert.equal(tokenTimesProblem({ iat: now, exp: now + 180 }, now), null);
    assert.equal(tokenTimesProblem({ iat: now + 30, exp: now + 30 + 3600 }, now), null);
    assert.equal(tokenTimesProblem({ iat: now - 10, nbf: now - 10, exp: now + 170 }, now), null);
  });

  it("refuses a token without exp or iat, or one that has expired", () => {
    assert.equal(tokenTimesProblem({ iat: now }, now), "no exp");
    assert.equal(tokenTimesProblem({ exp: now + 60 }, now), "no iat");
    assert.equal(tokenTimesProblem({ iat: now - 200, exp: now }, now), "expired");
  });

  it("refuses a token issued a day in the future", () => {
    assert.equal(tokenTimesProblem({ iat: now + 86_400, exp: now + 86_400 + 180 }, now), "issued in the future");
  });

  it("refuses a token whose nbf is still ahead", () => {
    assert.equal(tokenTimesProblem({ iat: now, nbf: now + 3600, exp: now + 3600 }, now), "not valid yet");
    assert.equal(tokenTimesProblem({ iat: now, nbf: "soon", exp: now + 60 }, now), "not valid yet");
  });

  it("refuses a token valid for ten years, or for an hour and a second", () => {
    assert.equal(tokenTimesProblem({ iat: now, exp: now + 10 * 365 * 86_400 }, now), "lives too long");
    assert.equal(tokenTimesProblem({ iat: now, exp: now + 3601 }, now), "lives too long");
  });
});
