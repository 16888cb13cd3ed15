import { createHash } from "node:crypto";
import { z } from "zod";
import type { Deps } from "../deps";
import { isSafeBranchName } from "../core/pull-request-ref";
import type { PullRequestFacts, PullRequestState } from "../db/pull-requests";
import { badRequest, forbidden } from "../errors";
import { validate } from "../http/validate";
import { takeInPullRequest } from "../sync/pr-intake";
import { braced, type Fit } from "./fit-claims";
import { FORGE_DEDUPE_WINDOW_MS } from "./on-forge-push";

const uuid = z.string().regex(/^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i);
const hash = z.string().regex(/^[0-9a-f]{7,64}$/i);
const branch = z.string().refine(isSafeBranchName, "not a branch name");

// Forge documents its pull-request events less fully than Connect's webhooks, and its payloads name
// things in their own way (ids only, no slugs). Both spellings seen for a branch and a commit are taken:
// a bare string or Connect's `{name}` / `{hash}` objects. The commit may be absent: the branch head fetched
// then stands for it.
const side = z
  .object({
    branch: z.union([branch, z.object({ name: branch }).passthrough()]),
    commit: z
      .union([hash, z.object({ hash }).passthrough()])
      .nullable()
      .optional(),
    repository: z.object({ uuid }).passthrough().nullable().optional(),
  })
  .passthrough();
const pullRequestEvent = z
  .object({
    eventType: z.string().max(100).optional(),
    selfGenerated: z.boolean().optional(),
    timestamp: z.string().max(64).optional(),
    workspace: z.object({ uuid }).passthrough(),
    repository: z.object({ uuid }).passthrough(),
    pullrequest: z
      .object({
        id: z.number().int().positive().max(2_000_000_000),
        state: z.string().max(32).optional(),
        updatedOn: z.string().max(64).optional(),
        updated_on: z.string().max(64).optional(),
        source: side,
        destination: side,
      })
      .passthrough(),
  })
  .passthrough();
const envelope = z.object({ payload: pullRequestEvent, retryContext: z.unknown().optional() }).passthrough();
const isEnvelope = (raw: unknown) => typeof raw === "object" && raw !== null && "payload" in raw;

const BY_EVENT: Record<string, PullRequestState> = {
  "avi:bitbucket:created:pullrequest": "OPEN",
  "avi:bitbucket:updated:pullrequest": "OPEN",
  "avi:bitbucket:fulfilled:pullrequest": "MERGED",
  "avi:bitbucket:rejected:pullrequest": "DECLINED",
};
const BY_STATE: Record<string, PullRequestState> = {
  OPEN: "OPEN",
  MERGED: "MERGED",
  DECLINED: "DECLINED",
  SUPERSEDED: "DECLINED",
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
  const state = (event.eventType ? BY_EVENT[event.eventType] : undefined) ?? BY_STATE[(pr.state ?? "").toUpperCase()];
  if (!state) throw badRequest(`${message}: neither its eventType nor its state says what happened`);
  const repoUuid = braced(event.repository.uuid);
  const sourceRepo = pr.source.repository ? braced(pr.source.repository.uuid) : null;
  const fromFork = sourceRepo !== null && sourceRepo.toLowerCase() !== repoUuid.toLowerCase();
  const name = (b: string | { name: string }) => (typeof b === "string" ? b : b.name);
  const commit = (c: string | { hash: string } | null | undefined) =>
    c ? (typeof c === "string" ? c : c.hash).toLowerCase() : null;
  const facts: PullRequestFacts = {
    prId: pr.id,
    state,
    sourceBranch: name(pr.source.branch),
    sourceCommit: commit(pr.source.commit),
    sourceRepoUuid: fromFork ? sourceRepo : null,
    // Forge payloads carry no slugs: a fork's workspace cannot be told, so forks are refused (see README).
    sourceRepoFullName: null,
    destinationBranch: name(pr.destination.branch),
    destinationCommit: commit(pr.destination.commit),
    eventAt: Date.parse(pr.updatedOn ?? pr.updated_on ?? event.timestamp ?? "") || Date.now(),
  };
  const id = createHash("sha256")
    .update(JSON.stringify(["pullrequest", repoUuid, facts, event.eventType ?? null, event.timestamp ?? null]))
    .digest("hex");
  await deps.deliveries.pruneSource("forge", FORGE_DEDUPE_WINDOW_MS);
  const delivery = { source: "forge" as const, scope: fit.installationKey, id };
  return takeInPullRequest({ ...deps, wake: deps.worker }, fit.installationKey, repoUuid, facts, delivery);
}
