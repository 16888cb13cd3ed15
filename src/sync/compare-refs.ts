import { mkdirSync } from "node:fs";
import type { Link } from "../db/links";
import type { PushedRefs } from "../db/pushed-refs";
import { planRefSync } from "../core/ref-plan";
import { remoteRefs } from "../git/ref-lists";
import { PeerFailure } from "../errors";
import { gitRemotes, type GitRemotesCollaborators } from "./git-remotes";

export interface CompareRefsCollaborators extends GitRemotesCollaborators {
  pushedRefs: Pick<PushedRefs, "forLink">;
  /** Refuses a GitLab URL that now resolves into a private network (checked before the git command). */
  reach: (gitlabUrl: string, clientKey: string) => Promise<void>;
  /** A folder git may run in (ls-remote needs no repository). */
  scratchDir: string;
  gitTimeoutMs: number;
}

/**
 * The catch-up sweep's look at a push-sync link: one `git ls-remote` on Bitbucket (the app's read token)
 * and one on GitLab (the link's token), no objects fetched. Returns what a sync would change, in a few
 * words, or null when GitLab already has every branch and tag as Bitbucket has them (refs made in GitLab
 * itself and the app's own `bitbucket/` refs do not count) and every ref the app pushed has its pipeline.
 */
export async function compareRefs(c: CompareRefsCollaborators, link: Link): Promise<string | null> {
  const remotes = await gitRemotes(c, link);
  mkdirSync(c.scratchDir, { recursive: true });
  const run = { cwd: c.scratchDir, timeoutMs: c.gitTimeoutMs };
  let source;
  try {
    source = await remoteRefs(remotes.bitbucket.url, {
      ...run,
      credentials: [remotes.bitbucket],
      what: "Listing Bitbucket's refs",
      peer: "bitbucket",
    });
  } catch (e) {
    if (e instanceof PeerFailure && e.status === 401) c.tokens.forget(remotes.installation, link.repoUuid);
    throw e;
  }
  await c.reach(link.gitlabUrl, link.clientKey);
  const target = await remoteRefs(remotes.gitlab.url, {
    ...run,
    credentials: [remotes.gitlab],
    what: "Listing GitLab's refs",
    peer: "gitlab",
  });
  const pushed = await c.pushedRefs.forLink(link.id);
  const plan = planRefSync(source, target, new Set(pushed.keys()));
  const noPipeline = [...pushed].filter(([ref, p]) => p.pipelineSha !== p.sha && source.get(ref) === p.sha).map(([ref]) => ref);
  const differences = [
    ...plan.updates.map((u) => `${u.kind === "create" ? "new " : ""}${u.ref}`),
    ...plan.deletions.map((ref) => `deleted ${ref}`),
    ...noPipeline.map((ref) => `no pipeline yet for ${ref}`),
  ];
  if (differences.length === 0) return null;
  const shown = differences.slice(0, 5).join(", ");
  return differences.length > 5 ? `${shown} and ${differences.length - 5} more` : shown;
}
