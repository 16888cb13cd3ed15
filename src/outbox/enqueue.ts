import type { Deps } from "../deps";
import type { Link } from "../db/links";

/** The webhook delivery work comes from; work of a delivery already taken in is not written again. */
export type Delivery = { source: "bitbucket" | "gitlab"; id: string } | undefined;

export interface MirrorTriggerPayload {
  linkId: string;
  refs: string[];
}

export interface StatusSyncPayload {
  linkId: string;
  sha: string;
  ref: string;
  pipelineId: number;
  /** Set when reconciliation, not a hook, asked for this sync. */
  reconcile?: boolean;
}

/**
 * One waiting mirror trigger per link, held back a moment so a burst of pushes folds into it; a push
 * that arrives while a trigger is in flight makes exactly one follow-up.
 */
export async function enqueueMirrorTrigger(
  deps: Deps,
  link: Pick<Link, "id" | "clientKey">,
  refs: string[],
  delivery?: Delivery,
): Promise<boolean> {
  const written = await deps.outbox.enqueue<MirrorTriggerPayload>({
    clientKey: link.clientKey,
    linkId: link.id,
    kind: "mirror-trigger",
    dedupeKey: `mirror:${link.id}`,
    payload: { linkId: link.id, refs },
    delayMs: deps.config.mirrorDebounceMs,
    delivery,
  });
  if (written) deps.kickIn(deps.config.mirrorDebounceMs);
  return written;
}

/**
 * One waiting status sync per commit and ref: the deliverer re-reads GitLab, so however many events
 * arrived while it waited, one read and one post carry the newest state.
 */
export async function enqueueStatusSync(
  deps: Deps,
  link: Pick<Link, "id" | "clientKey">,
  sha: string,
  ref: string,
  pipelineId: number,
  reconcile = false,
  delivery?: Delivery,
): Promise<boolean> {
  const written = await deps.outbox.enqueue<StatusSyncPayload>({
    clientKey: link.clientKey,
    linkId: link.id,
    kind: "status-sync",
    dedupeKey: `status:${link.id}:${sha}:${ref}`,
    payload: { linkId: link.id, sha, ref, pipelineId, ...(reconcile ? { reconcile } : {}) },
    delivery,
  });
  if (written) deps.kick();
  return written;
}
