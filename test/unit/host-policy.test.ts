import assert from "node:assert/strict";
import { PeerFailure } from "../../src/errors";
import { gitlabFailure } from "../../src/gitlab/gitlab-api";
import { GitLabHostPolicy, GitLabHostRefused, HOST_ENTRY, hostAllowed } from "../../src/gitlab/host-policy";
import { verdictOf } from "../../src/outbox/failure";

describe("a workspace's allowed GitLab hosts", () => {
  it("with no list, any host is allowed", () => {
    assert.equal(hostAllowed("https://gitlab.com", null), true);
  });

  it("matches a host name case-insensitively, whatever the port, path or scheme", () => {
    const list = ["gitlab.example.com"];
    assert.equal(hostAllowed("https://GitLab.Example.com", list), true);
    assert.equal(hostAllowed("https://gitlab.example.com:8443/sub/path", list), true);
    assert.equal(hostAllowed("https://gitlab.example.com.evil.test", list), false);
    assert.equal(hostAllowed("https://evilgitlab.example.com", list), false);
    assert.equal(hostAllowed("https://gitlab.com", list), false);
  });

  it("an entry with a port allows that port only", () => {
    const list = ["gitlab.example.com:8443"];
    assert.equal(hostAllowed("https://gitlab.example.com:8443", list), true);
    assert.equal(hostAllowed("https://gitlab.example.com", list), false);
  });

  it("an entry with a scheme's default port matches an address that leaves it out, for that scheme only (review L4)", () => {
    assert.equal(hostAllowed("https://gitlab.example.com", ["gitlab.example.com:443"]), true);
    assert.equal(hostAllowed("https://gitlab.example.com:443/x", ["gitlab.example.com:443"]), true);
    assert.equal(hostAllowed("http://gitlab.example.com", ["gitlab.example.com:80"]), true);
    assert.equal(hostAllowed("http://gitlab.example.com", ["gitlab.example.com:443"]), false);
    assert.equal(hostAllowed("https://gitlab.example.com:8443", ["gitlab.example.com:443"]), false);
    assert.equal(hostAllowed("https://gitlab.example.com", ["gitlab.example.com:0443"]), true);
    assert.equal(hostAllowed("https://git.example.com", ["*.example.com:443"]), true);
    assert.equal(hostAllowed("https://git.example.com:8443", ["*.example.com:443"]), false);
    assert.equal(hostAllowed("https://[::1]", ["[::1]:443"]), true);
  });

  it("a wildcard allows sub-domains, not the bare domain nor look-alikes", () => {
    const list = ["*.example.com"];
    assert.equal(hostAllowed("https://gitlab.example.com", list), true);
    assert.equal(hostAllowed("https://a.b.example.com", list), true);
    assert.equal(hostAllowed("https://example.com", list), false);
    assert.equal(hostAllowed("https://badexample.com", list), false);
  });

  it("an empty list or an address that is not a URL allows nothing", () => {
    assert.equal(hostAllowed("https://gitlab.com", []), false);
    assert.equal(hostAllowed("not a url", ["gitlab.com"]), false);
  });

  it("accepts host entries and refuses URLs, paths and credentials", () => {
    for (const ok of ["gitlab.com", "gitlab.example.com:8443", "*.example.com", "127.0.0.1:4000", "[::1]:8080", "localhost"])
      assert.ok(HOST_ENTRY.test(ok), ok);
    for (const bad of ["https://gitlab.com", "gitlab.com/x", "a@gitlab.com", "*", "*.", "gitlab .com", ""])
      assert.ok(!HOST_ENTRY.test(bad), bad);
  });

  it("a refusal is a permanent failure, also after gitlabFailure wraps it, and names host and list", () => {
    const refused = new GitLabHostRefused("gitlab.other.test", ["gitlab.example.com"]);
    assert.equal(verdictOf(refused).kind, "permanent");
    const wrapped = gitlabFailure(refused, "Triggering the mirror update");
    assert.ok(wrapped instanceof PeerFailure);
    assert.equal(verdictOf(wrapped).kind, "permanent");
    assert.match(
      wrapped.message,
      /^Triggering the mirror update: .*gitlab\.example\.com; gitlab\.other\.test is not one of them/,
    );
  });

  it("the policy reads a workspace's list once per 10 s, and re-reads it after forget", async () => {
    let reads = 0;
    let list: string[] | null = ["gitlab.example.com"];
    const policy = new GitLabHostPolicy(async () => {
      reads++;
      return list;
    });
    await policy.check("ws", "https://gitlab.example.com");
    await assert.rejects(policy.check("ws", "https://gitlab.com"), GitLabHostRefused);
    assert.equal(reads, 1);
    list = null;
    policy.forget("ws");
    await policy.check("ws", "https://gitlab.com");
    assert.equal(reads, 2);
  });
});
