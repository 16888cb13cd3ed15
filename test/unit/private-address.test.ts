import assert from "node:assert/strict";
import { isPrivateAddress } from "../../src/gitlab/private-address";
import { checkGitLabUrl } from "../../src/links/gitlab-url";

describe("private addresses, IPv6 transition forms included", () => {
  const refused = {
    "IPv4-compatible loopback": "::127.0.0.1",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "IPv4-mapped loopback in hex": "::ffff:7f00:1",
    "SIIT-translated private address": "::ffff:0:10.0.0.1",
    "NAT64 of the metadata address": "64:ff9b::169.254.169.254",
    "NAT64 of loopback in hex": "64:ff9b::7f00:1",
    "local-use NAT64": "64:ff9b:1::8.8.8.8",
    "6to4 of loopback": "2002:7f00:1::",
    "6to4 of a private network": "2002:c0a8:0001::1",
    "Teredo with a loopback client": "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "site-local": "fec0::1",
    unspecified: "::",
    loopback: "::1",
    "unique local": "fd12:3456::1",
    "link-local with a zone": "fe80::1%eth0",
    multicast: "ff02::1",
  };
  for (const [what, address] of Object.entries(refused)) {
    it(`refuse ${what} (${address})`, () => assert.equal(isPrivateAddress(address), true));
  }

  const allowed = {
    "a public IPv6 address": "2606:4700:4700::1111",
    "IPv4-mapped public address": "::ffff:8.8.8.8",
    "NAT64 of a public address": "64:ff9b::8.8.8.8",
    "6to4 of a public address": "2002:808:808::1",
  };
  for (const [what, address] of Object.entries(allowed)) {
    it(`allow ${what} (${address})`, () => assert.equal(isPrivateAddress(address), false));
  }

  it("refuse anything that is not an IP address at all", () => assert.equal(isPrivateAddress("gitlab.com"), true));

  it("a GitLab URL naming a transition form of loopback is refused in production when saved", async () => {
    const production = { allowPrivate: false, allowedHosts: [] as string[], requireHttps: true };
    for (const host of ["[::127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[fec0::1]"])
      await assert.rejects(checkGitLabUrl(`https://${host}/`, production), /private network/, host);
  });
});
