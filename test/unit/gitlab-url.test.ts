import assert from "node:assert/strict";
import { checkGitLabUrl, isPrivateAddress } from "../../src/links/gitlab-url";

describe("GitLab addresses an admin may enter", () => {
  const production = { allowPrivate: false, allowedHosts: [] as string[], requireHttps: true };

  it("are normalized to origin and path without a trailing slash", async () => {
    assert.equal(await checkGitLabUrl("https://93.184.216.34/gitlab/", production), "https://93.184.216.34/gitlab");
  });

  for (const url of [
    "https://127.0.0.1",
    "https://169.254.169.254",
    "https://10.1.2.3",
    "https://192.168.0.10",
    "https://[::1]",
    "https://[fd00::1]",
    "https://[::ffff:127.0.0.1]",
  ]) {
    it(`refuse ${url} in production (loopback, link-local, private)`, async () => {
      await assert.rejects(checkGitLabUrl(url, production), /private network/);
    });
  }

  it("allow a private host named in GITLAB_ALLOWED_HOSTS", async () => {
    assert.equal(await checkGitLabUrl("https://10.1.2.3", { ...production, allowedHosts: ["10.1.2.3"] }), "https://10.1.2.3");
  });

  it("refuse plain http in production, and credentials in the URL anywhere", async () => {
    await assert.rejects(checkGitLabUrl("http://gitlab.example.com", production), /https/);
    await assert.rejects(checkGitLabUrl("https://u:p@gitlab.example.com", { ...production, allowPrivate: true }), /credentials/);
  });

  it("know the metadata address is private", () => assert.equal(isPrivateAddress("169.254.169.254"), true));
  it("know a public address is not", () => assert.equal(isPrivateAddress("93.184.216.34"), false));
});
