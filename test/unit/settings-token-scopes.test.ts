import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { encodeSymmetric, SymmetricAlgorithm } from "atlassian-jwt";
import {
  issueSettingsToken,
  issueWorkspaceToken,
  settingsScopeOf,
  verifySettingsToken,
  verifyWorkspaceToken,
} from "../../src/connect/settings-token";

describe("settings token scopes: a repository's or the workspace's, never both", () => {
  const key = randomBytes(32);
  const repoGrant = { clientKey: "ck", repoUuid: "{11111111-1111-1111-1111-111111111111}", repoPath: "w/r", user: "u" };
  const workspaceGrant = { clientKey: "ck", user: "u" };
  const signed = (claims: Record<string, unknown>) => {
    const iat = Math.floor(Date.now() / 1000);
    return encodeSymmetric({ iat, exp: iat + 60, ...claims }, key.toString("base64"), SymmetricAlgorithm.HS256);
  };

  it("a workspace token carries its tenant and passes only as a workspace token", () => {
    const token = issueWorkspaceToken(key, workspaceGrant);
    assert.deepEqual(verifyWorkspaceToken(key, token), workspaceGrant);
    assert.equal(verifySettingsToken(key, token), null);
    assert.equal(settingsScopeOf(key, token), "workspace");
  });

  it("a repository token passes only as a repository token", () => {
    const token = issueSettingsToken(key, repoGrant);
    assert.deepEqual(verifySettingsToken(key, token), repoGrant);
    assert.equal(verifyWorkspaceToken(key, token), null);
    assert.equal(settingsScopeOf(key, token), "repository");
  });

  it("a grant whose repository is absent or empty never passes as a repository's, whatever else it claims", () => {
    const aud = "gitlab-ci-for-bitbucket/settings-api";
    assert.equal(verifySettingsToken(key, signed({ aud, tenant: "ck", scope: "repository" })), null);
    assert.equal(verifySettingsToken(key, signed({ aud, tenant: "ck", scope: "repository", repo: "" })), null);
    assert.equal(verifySettingsToken(key, signed({ aud, tenant: "ck", scope: "repository", repo: null })), null);
    assert.equal(verifySettingsToken(key, signed({ aud, tenant: "ck", scope: "workspace", repo: repoGrant.repoUuid })), null);
    // Tokens from before scopes existed named a repository, and still pass.
    assert.ok(verifySettingsToken(key, signed({ aud, tenant: "ck", repo: repoGrant.repoUuid })));
  });

  it("a workspace-audience token that names a repository, or claims another scope, is refused", () => {
    const aud = "gitlab-ci-for-bitbucket/workspace-settings-api";
    assert.equal(verifyWorkspaceToken(key, signed({ aud, tenant: "ck", scope: "workspace", repo: repoGrant.repoUuid })), null);
    assert.equal(verifyWorkspaceToken(key, signed({ aud, tenant: "ck", scope: "repository" })), null);
    assert.equal(verifyWorkspaceToken(key, signed({ aud, tenant: "ck" })), null);
    assert.ok(verifyWorkspaceToken(key, signed({ aud, tenant: "ck", scope: "workspace" })));
  });

  it("audiences are compared whole, and a workspace token signed with another key or expired is refused", () => {
    assert.equal(
      verifyWorkspaceToken(
        key,
        signed({ aud: "x-gitlab-ci-for-bitbucket/workspace-settings-api-x", tenant: "ck", scope: "workspace" }),
      ),
      null,
    );
    assert.equal(verifyWorkspaceToken(key, issueWorkspaceToken(randomBytes(32), workspaceGrant)), null);
    assert.equal(verifyWorkspaceToken(key, issueWorkspaceToken(key, workspaceGrant, Date.now() - 3601_000)), null);
    assert.equal(settingsScopeOf(key, "garbage"), null);
  });
});
