import type { Link } from "../db/links";
import type { Deps } from "../deps";
import { AppError, notFound } from "../errors";
import { queueStatusSync, STATUS_SYNC, type StatusSyncPayload } from "../sync/sync-statuses";
import { MIRROR_TRIGGER, queueMirrorTrigger, type MirrorTriggerPayload } from "../sync/trigger-mirror";
import { PUSH_REFS, queuePushSyncNow, type PushRefsPayload } from "../sync/push-refs";
import { PR_PIPELINES, queuePrPipelines } from "../sync/pr-pipelines";
import type { OutboxItem } from "../outbox/outbox";
import { PUBLISH_REPORTS, queueReports, type PublishReportsPayload } from "../sync/publish-reports";

const SHOWN = 20;

/** The link's deliveries the outbox gave up on, newest first, in words the settings page can show. */
export async function failedDeliveries(deps: Pick<Deps, "outbox">, link: Link) {
  return (await deps.outbox.deadForLink(link.id, SHOWN)).map(describe);
}

function describe(item: OutboxItem) {
  const base = {
    id: item.id,
    kind: item.kind,
    attempts: item.attempts,
    error: item.lastError,
    lastTriedAt: new Date(item.runAt).toISOString(),
  };
  if (item.kind === STATUS_SYNC) {
    const p = item.payload as unknown as StatusSyncPayload;
    return { ...base, what: `Build status for ${p.ref} @ ${p.sha.slice(0, 8)} (pipeline #${p.pipelineId})` };
  }
  if (item.kind === PUBLISH_REPORTS) {
    const p = item.payload as unknown as PublishReportsPayload;
    return { ...base, what: `Code Insights reports for ${p.ref} @ ${p.sha.slice(0, 8)} (pipeline #${p.pipelineId})` };
  }
  if (item.kind === MIRROR_TRIGGER) {
    const refs = (item.payload as unknown as MirrorTriggerPayload).refs ?? [];
    return { ...base, what: `Mirror update after a push to ${refs.join(", ") || "the repository"}` };
  }
  if (item.kind === PUSH_REFS) {
    const via = (item.payload as unknown as PushRefsPayload).via ?? "push";
    return { ...base, what: `Push sync to GitLab (${SYNC_CAUSE[via] ?? via})` };
  }
  if (item.kind === PR_PIPELINES) return { ...base, what: "Merge-result pipelines of the open pull requests" };
  return { ...base, what: `Work of kind ${item.kind}` };
}

const SYNC_CAUSE: Record<string, string> = { push: "after a push", sweep: "found by a catch-up sweep", manual: "asked for" };

/**
 * "Re-send": queues the same work again (a status sync re-reads GitLab, so it posts the current result)
 * and drops the dead row, which the new attempt replaces.
 */
export async function resendFailed(deps: Pick<Deps, "config" | "outbox" | "worker">, link: Link, id: number) {
  const item = await deps.outbox.deadOfLink(link.id, id);
  if (!item) throw notFound("not_found", "No such failed delivery: it was re-sent already, or the link changed");
  const queue = { outbox: deps.outbox, wake: deps.worker, debounceMs: deps.config.mirrorDebounceMs };
  if (item.kind === STATUS_SYNC) {
    const p = item.payload as unknown as StatusSyncPayload;
    await queueStatusSync(queue, link, { sha: p.sha, ref: p.ref, pipelineId: p.pipelineId });
  } else if (item.kind === PUBLISH_REPORTS) {
    const p = item.payload as unknown as PublishReportsPayload;
    const { linkId: _, ...again } = p;
    await queueReports(queue, link, again);
  } else if (item.kind === MIRROR_TRIGGER) {
    await queueMirrorTrigger(queue, link, (item.payload as unknown as MirrorTriggerPayload).refs ?? []);
  } else if (item.kind === PUSH_REFS) {
    // A sync compares whole ref lists: a new one catches up whatever the failed one was for.
    await queuePushSyncNow(deps, link);
  } else if (item.kind === PR_PIPELINES) {
    await queuePrPipelines(queue, link);
  } else {
    throw new AppError("not_resendable", 422, `Work of kind ${item.kind} is not re-sent by hand: the app retries it itself`);
  }
  await deps.outbox.complete(item.id);
  return describe(item);
}
