import { z } from "zod";
import { isSafeBranchName } from "../core/pull-request-ref";
import type { PullRequestFacts, PullRequestState } from "../db/pull-requests";
import { validate } from "../http/validate";
import { takeInPullRequest } from "../sync/pr-intake";
import { deliveryOf } from "../sync/work";
import type { RepoPushCollaborators } from "./on-repo-push";

const repoUuid = z.string().regex(/^\{[0-9a-f-]{36}\}$/i);
const branch = z.string().refine(isSafeBranchName, "not a branch name");
const hash = z.string().regex(/^[0-9a-f]{7,64}$/i);
const side = z
  .object({
    branch: z.object({ name: branch }).passthrough(),
    // Bitbucket gives 12 characters here; null when the branch is gone.
    commit: z.object({ hash }).passthrough().nullable().optional(),
    // Null for a fork Bitbucket no longer shows (deleted, or one the app cannot see).
    repository: z
      .object({ uuid: repoUuid, full_name: z.string().max(255).optional() })
      .passthrough()
      .nullable()
      .optional(),
  })
  .passthrough();
const pullRequestEvent = z.object({
  repository: z.object({ uuid: repoUuid }).passthrough(),
  pullrequest: z
    .object({
      id: z.number().int().positive().max(2_000_000_000),
      state: z.string().max(32),
      updated_on: z.string().max(64).optional(),
      source: side,
      destination: side,
    })
    .passthrough(),
});

/** The state a Connect event leaves the pull request in: `fulfilled` is merged, `rejected` declined. */
const STATES: Record<string, PullRequestState> = {
  "pullrequest:created": "OPEN",
  "pullrequest:updated": "OPEN",
  "pullrequest:fulfilled": "MERGED",
  "pullrequest:rejected": "DECLINED",
};

export const PULL_REQUEST_EVENTS = Object.keys(STATES);

/** A `pullrequest:*` webhook: the pull request's facts stored and its link's merge-result run queued. */
export const onPullRequest =
  (event: string) =>
  async (deps: RepoPushCollaborators, clientKey: string, data: unknown, deliveryId: string | undefined): Promise<string> => {
    const e = validate(pullRequestEvent, data, `Not a ${event} payload`);
    const pr = e.pullrequest;
    // Connect's payloads always name the source repository; one that does not (a fork deleted since) is
    // treated as an unknown fork, never as this repository (a same-named branch here is not its code).
    const sourceRepo = pr.source.repository ?? { uuid: "", full_name: undefined };
    const fromFork = sourceRepo.uuid.toLowerCase() !== e.repository.uuid.toLowerCase();
    const facts: PullRequestFacts = {
      prId: pr.id,
      state: STATES[event]!,
      sourceBranch: pr.source.branch.name,
      sourceCommit: pr.source.commit?.hash.toLowerCase() ?? null,
      sourceRepoUuid: fromFork ? sourceRepo.uuid : null,
      sourceRepoFullName: fromFork ? (sourceRepo.full_name ?? null) : null,
      destinationBranch: pr.destination.branch.name,
      destinationCommit: pr.destination.commit?.hash.toLowerCase() ?? null,
      eventAt: Date.parse(pr.updated_on ?? "") || Date.now(),
    };
    const c = { ...deps, wake: deps.worker };
    return takeInPullRequest(c, clientKey, e.repository.uuid, facts, deliveryOf("bitbucket", clientKey, deliveryId));
  };
