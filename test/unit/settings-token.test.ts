import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { encodeSymmetric, SymmetricAlgorithm } from "atlassian-jwt";
import { issueSettingsToken, verifySettingsToken } from "../../src/connect/settings-token";

describe("settings tokens", () => {
  const key = randomBytes(32);
  const grant = { clientKey: "ck", repoUuid: "{11111111-1111-1111-1111-111111111111}", repoPath: "w/r", user: "u" };

  it("carry the tenant and repository they were issued for", () => {
    assert.deepEqual(verifySettingsToken(key, issueSettingsToken(key, grant)), grant);
  });

  it("expire 15 minutes after the page was opened, so a demoted admin keeps no lasting power", () => {
    assert.ok(verifySettingsToken(key, issueSettingsToken(key, grant, Date.now() - 14 * 60_000)));
    assert.equal(verifySettingsToken(key, issueSettingsToken(key, grant, Date.now() - 15 * 60_000 - 1_000)), null);
  });

  it("are refused when signed with another key, such as a tenant's shared secret", () => {
    assert.equal(verifySettingsToken(key, issueSettingsToken(randomBytes(32), grant)), null);
    const lookalike = encodeSymmetric(
      {
        aud: "gitlab-ci-for-bitbucket/settings-api",
        exp: Math.floor(Date.now() / 1000) + 60,
        tenant: "ck",
        repo: grant.repoUuid,
      },
      "tenant-shared-secret",
      SymmetricAlgorithm.HS256,
    );
    assert.equal(verifySettingsToken(key, lookalike), null);
  });

  it("are refused when unsigned (alg none) or garbled", () => {
    const [, payload] = issueSettingsToken(key, grant).split(".");
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${payload}.`;
    assert.equal(verifySettingsToken(key, none), null);
    assert.equal(verifySettingsToken(key, "garbage"), null);
  });
});
