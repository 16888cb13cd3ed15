import assert from "node:assert/strict";
import { gitlabPage, gitlabWebUrl } from "../../src/core/gitlab-web-url";

describe("GitLab page URLs we keep, show and post", () => {
  const gitlabUrl = "https://gitlab.example.com/gitlab";
  const fallback = gitlabPage(gitlabUrl, "acme/widgets", "-/pipelines", "12");

  it("build the fallback from the link's address, the project path and the ids", () =>
    assert.equal(fallback, "https://gitlab.example.com/gitlab/acme/widgets/-/pipelines/12"));

  it("keep GitLab's own URL when it is a page of the link's GitLab", () => {
    const own = "https://gitlab.example.com/gitlab/acme/widgets/-/pipelines/12";
    assert.equal(gitlabWebUrl(own, gitlabUrl, fallback), own);
  });

  for (const [what, url] of [
    ["a javascript: URL", "javascript:alert(document.cookie)"],
    ["a data: URL", "data:text/html,<script>alert(1)</script>"],
    ["another origin", "https://evil.example/acme/widgets/-/pipelines/12"],
    ["another port of the same host", "https://gitlab.example.com:8443/acme/widgets"],
    ["plain http for an https GitLab", "http://gitlab.example.com/gitlab/acme/widgets"],
    ["credentials in the URL", "https://user:pass@gitlab.example.com/gitlab/acme"],
    ["a relative URL", "/acme/widgets/-/pipelines/12"],
    ["an overlong URL (Bitbucket refuses > 450)", `https://gitlab.example.com/gitlab/${"a".repeat(450)}`],
    ["not a string", 42],
  ] as const) {
    it(`replace ${what} by the fallback`, () => assert.equal(gitlabWebUrl(url, gitlabUrl, fallback), fallback));
  }

  it("encode each part of the fallback, so a hostile project path stays a path", () =>
    assert.equal(
      gitlabPage("https://gitlab.example.com", "acme/a?b#c", "-/jobs", "3"),
      "https://gitlab.example.com/acme/a%3Fb%23c/-/jobs/3",
    ));
});
