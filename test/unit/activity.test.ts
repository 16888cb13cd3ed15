import assert from "node:assert/strict";
import { activity } from "../../src/links/activity";
import type { LinkEvent } from "../../src/db/link-events";

const ctx = {
  projectId: 7,
  projectWebUrl: "https://gitlab.example/acme/widgets",
  repositoryWebUrl: "https://bitbucket.org/acme-corp/widgets",
};
const at = (n: number) => Date.UTC(2026, 11, 2, 8, 0, n);
const event = (n: number, summary: string, outcome: LinkEvent["outcome"] = "done", kind = "status-sync"): LinkEvent => ({
  at: at(n),
  kind,
  outcome,
  summary,
  durationMs: 12,
});

describe("recent activity in words a person reads", () => {
  it("names the statuses Bitbucket shows and links the commit and the pipeline", () => {
    const { entries } = activity(
      [event(1, "pipeline #1001 failed on main @ 0123456789ab: posted FAILED gitlab:7:main, SUCCESSFUL gitlab:7:main:lint")],
      [],
      ctx,
    );
    assert.equal(entries[0]!.text, "Pipeline #1001 failed on main: Bitbucket now shows Pipeline: Failed, Job lint: Successful");
    assert.deepEqual(entries[0]!.links, [
      { text: "0123456", href: "https://bitbucket.org/acme-corp/widgets/commits/0123456789ab" },
      { text: "#1001", href: "https://gitlab.example/acme/widgets/-/pipelines/1001" },
    ]);
  });

  it("folds the entries that changed nothing, and counts them", () => {
    const { entries, folded } = activity(
      [
        event(3, "pipeline #1001 failed on main @ 0123456789ab: Bitbucket already shows this"),
        event(2, "pipeline #1001 has no reports to publish", "done", "publish-reports"),
        event(1, "Ada Lovelace pushed main: GitLab asked to update the mirror (mirror up to date)", "done", "mirror-trigger"),
      ],
      [],
      ctx,
    );
    assert.equal(folded, 2);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.who, "Ada Lovelace");
  });

  it("keeps a failure even when its words look like a no-op, and hides keys and API words of older entries", () => {
    const { entries } = activity(
      [
        event(2, "Posting gitlab:7:main:test: Bitbucket 500", "retry"),
        event(
          1,
          "mirror credentials renewed (PUT mirror/pull); mirror update requested; GitLab says finished",
          "done",
          "mirror-trigger",
        ),
      ],
      [],
      ctx,
    );
    assert.equal(entries[0]!.text, "Posting Job test: Bitbucket 500");
    assert.doesNotMatch(entries[1]!.text, /PUT|mirror\/pull/);
  });

  it("shows who changed the settings by name, never by a raw account id", () => {
    const { entries } = activity(
      [],
      [
        { at: at(2), actor: "6059303e630024006fab8c2b", action: "linked", summary: "Linked to acme/widgets" },
        { at: at(1), actor: "{6ae3c307-ae59-4135-9c72-bdd06eb2010a}", action: "changed", summary: "Re-linked" },
      ],
      ctx,
    );
    assert.deepEqual(
      entries.map((e) => [e.who, e.outcome]),
      [
        [null, "settings"],
        [null, "settings"],
      ],
    );
  });
});
