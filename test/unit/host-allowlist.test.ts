import assert from "node:assert/strict";
import { allowedHosts } from "../../src/connect/host-allowlist";

describe("the install host allowlist", () => {
  const hosts = allowedHosts(["bitbucket.org"]);

  it("lets bitbucket.org with api.bitbucket.org install", () => {
    assert.equal(hosts.baseUrl(new URL("https://bitbucket.org")), true);
    assert.equal(hosts.baseApiUrl(new URL("https://api.bitbucket.org")), true);
  });

  it("refuses other hosts, for the site and for the API", () => {
    assert.equal(hosts.baseUrl(new URL("https://bitbucket.org.evil.example.com")), false);
    assert.equal(hosts.baseApiUrl(new URL("https://evil.example.com")), false);
    assert.equal(hosts.baseApiUrl(new URL("https://api.evil.example.com")), false);
  });

  it("allows any host when the list is empty (development, tests)", () => {
    assert.equal(allowedHosts([]).baseUrl(new URL("http://127.0.0.1:1234")), true);
  });
});
