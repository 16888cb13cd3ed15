import { statusKey } from "../core/status-key";
import type { GitLabFor } from "../gitlab/gitlab-clients";
import { bitbucketState } from "../core/status-state";
import type { Link, Links } from "../db/links";
import type { LinkSweeps } from "../db/link-sweeps";
import type { PostedStatuses } from "../db/posted-statuses";
import type { PullRequests } from "../db/pull-requests";
import { pullRequestOfRef, pullRequestStatusKey } from "../core/pull-request-ref";
import { gitlabFailure, type GitLabPipeline } from "../gitlab/gitlab-api";
import type { Outbox } from "../outbox/outbox";
import type { Deliverer } from "../outbox/worker";
import { verdictOf } from "../outbox/failure";
import { compareRefs, type CompareRefsCollaborators } from "./compare-refs";
import { queuePushRefs } from "./push-refs";
import { queueStatusSync } from "./sync-statuses";
import type { Wakeup } from "./work";

export const CATCH_UP = "catch-up";

export interface CatchUpPayload {
  linkId: string;
}

export interface CatchUpOptions {
  /** How often each link is swept (CATCH_UP_EVERY_MS). */
  everyMs: number;
  /**
   * Pipelines updated more recently than this are left to their hooks for now (and to the next sweep):
   * a sweep racing a hook that is on its way would mark a healthy webhook as missing events.
   */
  settleMs: number;
}

/**
 * Queues a sweep for each link whose turn has come. Runs on every instance's reconciler tick; a link's
 * turn is claimed in the database, so it is swept by one instance per interval.
 */
export async function scheduleCatchUps(
  c: { sweeps: LinkSweeps; outbox: Outbox; wake: Wakeup; options: CatchUpOptions },
  now = Date.now(),
): Promise<number> {
  await c.sweeps.schedule(now, c.options.everyMs);
  const due = await c.sweeps.claimDue(now, c.options.everyMs, 500);
  for (const linkId of due) {
    const clientKey = await c.sweeps.clientKeyOf(linkId);
    if (clientKey === null) continue; // unlinked meanwhile
    await c.outbox.enqueue<CatchUpPayload>({
      clientKey,
      linkId,
      kind: CATCH_UP,
      dedupeKey: `sweep:${linkId}`,
      payload: { linkId },
    });
  }
  if (due.length > 0) c.wake.kick();
  return due.length;
}

/**
 * GitLab never resends a lost hook, and a Bitbucket webhook can be missed while the app is down. A
 * sweep asks GitLab for the link's pipelines updated since the newest one it has seen (one call when
 * nothing changed) and queues a status sync — the same path hooks take, so ordering, dedupe and budgets
 * hold — for each pipeline whose latest state Bitbucket does not show yet.
 */
export const catchUp =
  (c: {
    links: Pick<Links, "byId">;
    sweeps: LinkSweeps;
    posted: PostedStatuses;
    /** Merge-result pipelines are shown on their pull request's source head, not on the merge commit. */
    pullRequests?: Pick<PullRequests, "get">;
    outbox: Outbox;
    wake: Wakeup;
    gitlab: GitLabFor;
    options: CatchUpOptions;
    /** For push-sync links: the two ref listings. */
    refs: CompareRefsCollaborators;
  }): Deliverer =>
  async (item) => {
    const { linkId } = item.payload as unknown as CatchUpPayload;
    const link = await c.links.byId(linkId);
    if (!link) return;
    const sweep = await c.sweeps.get(linkId);
    // The first sweep of a link starts where the link started: anything since then that Bitbucket does
    // not show is caught up, including what finished while the app was down.
    let after = sweep?.highWater ?? link.createdAt.toISOString();
    const settledBefore = Date.now() - c.options.settleMs;
    const api = c.gitlab(link.gitlabUrl, link.token, link.clientKey);
    let seen = 0;
    let queued = 0;
    for (let page = 0; page < 10; page++) {
      let pipelines: GitLabPipeline[];
      api.admit(1); // within the token's GitLab budget, like every queued call
      try {
        pipelines = await api.pipelinesUpdatedAfter(link.projectId, after);
      } catch (e) {
        throw gitlabFailure(e, "Reading the pipelines changed since the last sweep");
      }
      const settled = pipelines.filter((p) => p.updated_at && Date.parse(p.updated_at) <= settledBefore);
      for (const p of settled) {
        seen++;
        if (await shownOnBitbucket(c.posted, link.projectId, linkId, p, c.pullRequests)) continue;
        await queueStatusSync(c, link, { sha: p.sha, ref: p.ref, pipelineId: p.id, sweep: true });
        queued++;
      }
      const last = settled.at(-1);
      if (last?.updated_at) after = last.updated_at;
      if (pipelines.length < 100 || settled.length < pipelines.length) break;
    }
    await c.sweeps.advance(linkId, after, Date.now());
    const pipelines =
      seen === 0
        ? "catch-up: nothing changed"
        : `catch-up: ${seen} pipelines changed; ${queued} not shown on Bitbucket yet, synced`;
    return link.sync === "push" ? `${pipelines}; ${await catchUpRefs(c, link)}` : pipelines;
  };

/**
 * A push-sync link's missed pushes: when GitLab's refs differ from Bitbucket's, a push sync is queued (the
 * same one a push queues, so it folds into any waiting one). It waits `settleMs` first, so a push event on
 * its way still gets to say it was the push that asked. A failed listing does not fail the sweep (its
 * pipelines part is done and kept): the next sweep looks again, and a sync shows the error on the page.
 */
async function catchUpRefs(
  c: { refs: CompareRefsCollaborators; outbox: Outbox; wake: Wakeup; options: CatchUpOptions },
  link: Link,
): Promise<string> {
  let difference: string | null;
  try {
    difference = await compareRefs(c.refs, link);
  } catch (e) {
    return `refs not compared: ${verdictOf(e).message}`;
  }
  if (difference === null) return "GitLab's refs equal Bitbucket's";
  await queuePushRefs({ outbox: c.outbox, wake: c.wake, debounceMs: c.options.settleMs }, link, undefined, "sweep");
  return `GitLab's refs differ from Bitbucket's (${difference}): push sync queued`;
}

/**
 * Whether Bitbucket already shows this pipeline as it is now: we posted for a newer pipeline of the same
 * commit and ref, or for this one after its last update, or its own status already has its state.
 */
async function shownOnBitbucket(
  posted: PostedStatuses,
  projectId: number,
  linkId: string,
  p: GitLabPipeline,
  pullRequests?: Pick<PullRequests, "get">,
): Promise<boolean> {
  const updatedAt = Date.parse(p.updated_at ?? "") || 0;
  // A merge-result pipeline shows on its pull request's source head (sync-statuses.ts); one that is not
  // the pull request's current merge result is shown nowhere, by design.
  const prId = pullRequestOfRef(p.ref);
  let sha = p.sha;
  const ref = p.ref;
  let pipelineKey = statusKey({ projectId, ref: p.ref });
  if (prId !== null) {
    const pr = pullRequests ? await pullRequests.get(linkId, prId) : null;
    if (!pr || pr.mergeSha !== p.sha || !pr.sourceSha) return true;
    // Recorded on the source head under the pipeline's own ref (bitbucket/pr-<id>), as sync-statuses posts it.
    [sha, pipelineKey] = [pr.sourceSha, pullRequestStatusKey(projectId, prId)];
  }
  const forCommit = [...(await posted.forCommit(linkId, sha)).values()].filter((s) => s.ref === ref);
  return forCommit.some(
    (s) =>
      s.pipelineId > p.id ||
      (s.pipelineId === p.id &&
        (s.postedAt >= updatedAt || (s.statusKey === pipelineKey && s.state === bitbucketState(p.status)))),
  );
}
