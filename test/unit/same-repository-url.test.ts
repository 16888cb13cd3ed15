import assert from "node:assert/strict";
import { sameRepositoryUrl, shownUrl } from "../../src/core/same-repository-url";

describe("whether a pull mirror's source is this repository", () => {
  const here = "https://bitbucket.org/acme-corp/widgets.git";

  it("ignores the scheme, credentials, a trailing .git or slash, and the case of the host", () => {
    for (const same of [
      "http://bitbucket.org/acme-corp/widgets.git",
      "https://x-token-auth:secret@bitbucket.org/acme-corp/widgets.git",
      "https://BitBucket.ORG/acme-corp/widgets",
      "https://bitbucket.org/acme-corp/widgets/",
      "https://bitbucket.org:443/acme-corp/widgets.git",
    ])
      assert.equal(sameRepositoryUrl(same, here), true, same);
  });

  it("tells another repository, workspace, host or port apart", () => {
    for (const other of [
      "https://bitbucket.org/acme-corp/gadgets.git",
      "https://bitbucket.org/someone-else/widgets.git",
      "https://github.com/acme-corp/widgets.git",
      "https://bitbucket.org:8443/acme-corp/widgets.git",
      "not a url",
    ])
      assert.equal(sameRepositoryUrl(other, here), false, other);
  });

  it("shows a URL without its credentials", () => {
    assert.equal(shownUrl("https://x-token-auth:secret@bitbucket.org/a/b.git"), "https://bitbucket.org/a/b.git");
  });
});
