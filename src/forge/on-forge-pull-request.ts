import { createHash } from "node:crypto";
import { z } from "zod";
import type { Deps } from "../deps";
import { isSafeBranchName } from "../core/pull-request-ref";
import type { PullRequestFacts, PullRequestState } from "../db/pull-requests";
import { forbidden } from "../errors";
import { validate } from "../http/validate";
import { takeInPullRequest } from "../sync/pr-intake";
import { braced, type Fit } from "./fit-claims";
import { FORGE_DEDUPE_WINDOW_MS } from "./on-forge-push";

const uuid = z.string().regex(/^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i);
const hash = z.string().regex(/^[0-9a-f]{7,64}$/i);
const branch = z.string().refine(isSafeBranchName, "not a branch name");

// The shape Atlassian documents for `avi:bitbucket:created|updated|fulfilled|rejected:pullrequest`
// (https://developer.atlassian.com/platform/forge/events-reference/bitbucket/, "Pull request events"):
// ids only (`repository {uuid, slug?}`, `workspace {uuid}`), each side `{branch: string, commit: {hash}}`
// with 12-character hashes, `updatedOn`, and a `mergeCommit` once merged. Fields it adds later pass
// through. It names no source repository, so a fork cannot be told from the payload (see README).
const side = z.object({ branch, commit: z.object({ hash }).passthrough() }).passthrough();
const KINDS = ["created", "updated", "fulfilled", "rejected"] as const;
const pullRequestEvent = z
  .object({
    eventType: z.enum(KINDS.map((k) => `avi:bitbucket:${k}:pullrequest` as const)),
    selfGenerated: z.boolean().optional(),
    timestamp: z.string().max(64).optional(),
    workspace: z.object({ uuid }).passthrough(),
    repository: z.object({ uuid, slug: z.string().max(128).optional() }).passthrough(),
    pullrequest: z
      .object({
        id: z.number().int().positive().max(2_000_000_000),
        state: z.string().max(32),
        updatedOn: z.string().max(64).optional(),
        source: side,
        destination: side,
      })
      .passthrough(),
  })
  .passthrough();
const envelope = z.object({ payload: pullRequestEvent, retryContext: z.unknown().optional() }).passthrough();
const isEnvelope = (raw: unknown) => typeof raw === "object" && raw !== null && "payload" in raw;

// The event says what happened; `state` agrees with it (OPEN, MERGED, DECLINED) and is not needed.
const BY_EVENT: Record<(typeof KINDS)[number], PullRequestState> = {
  created: "OPEN",
  updated: "OPEN",
  fulfilled: "MERGED",
  rejected: "DECLINED",
};

export type ForgePullRequestCollaborators = Pick<Deps, "links" | "outbox" | "worker" | "deliveries" | "pullRequests">;

/**
 * `avi:bitbucket:created|updated|fulfilled|rejected:pullrequest` through the Forge door: the same durable
 * intake as Connect's `pullrequest:*` webhooks. The event has no id: a retry is recognised by what it says
 * within a few minutes, as for pushes.
 */
export async function onForgePullRequest(deps: ForgePullRequestCollaborators, fit: Fit, raw: unknown): Promise<string> {
  const message = "Not an avi:bitbucket:*:pullrequest payload";
  const event = isEnvelope(raw) ? validate(envelope, raw, message).payload : validate(pullRequestEvent, raw, message);
  if (braced(event.workspace.uuid) !== fit.workspaceUuid)
    throw forbidden("This event is for another workspace than the installation's");
  const pr = event.pullrequest;
  const state = BY_EVENT[event.eventType.split(":")[2] as (typeof KINDS)[number]];
  const repoUuid = braced(event.repository.uuid);
  const facts: PullRequestFacts = {
    prId: pr.id,
    state,
    sourceBranch: pr.source.branch,
    sourceCommit: pr.source.commit.hash.toLowerCase(),
    // The payload names no source repository: the source branch is looked up in this repository, so a
    // fork's code is never fetched through this door (see README).
    sourceRepoUuid: null,
    sourceRepoFullName: null,
    destinationBranch: pr.destination.branch,
    destinationCommit: pr.destination.commit.hash.toLowerCase(),
    eventAt: Date.parse(pr.updatedOn ?? event.timestamp ?? "") || Date.now(),
  };
  const id = createHash("sha256")
    .update(JSON.stringify(["pullrequest", repoUuid, facts, event.eventType, event.timestamp ?? null]))
    .digest("hex");
  await deps.deliveries.pruneSource("forge", FORGE_DEDUPE_WINDOW_MS);
  const delivery = { source: "forge" as const, scope: fit.installationKey, id };
  return takeInPullRequest({ ...deps, wake: deps.worker }, fit.installationKey, repoUuid, facts, delivery);
}
