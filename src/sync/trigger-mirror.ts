import type { Link, Links } from "../db/links";
import type { GitLabFor } from "../gitlab/gitlab-clients";
import { gitlabFailure, gitlabMessage, statusOf } from "../gitlab/gitlab-api";
import type { Outbox } from "../outbox/outbox";
import type { Deliverer } from "../outbox/worker";
import { verdictOf } from "../outbox/failure";
import type { MirrorCredentials } from "../links/mirror-credentials";
import type { Delivery, Wakeup } from "./work";

export const MIRROR_TRIGGER = "mirror-trigger";

export interface MirrorTriggerPayload {
  linkId: string;
  refs: string[];
  /** Who pushed, as Bitbucket names them (the push's `actor.display_name`), for Recent activity. */
  actor?: string;
}

/**
 * One waiting mirror trigger per link, held back a moment so a burst of pushes folds into it; a push
 * that arrives while a trigger is in flight makes exactly one follow-up.
 */
export async function queueMirrorTrigger(
  c: { outbox: Outbox; wake: Wakeup; debounceMs: number },
  link: Pick<Link, "id" | "clientKey">,
  refs: string[],
  delivery?: Delivery,
  actor?: string,
): Promise<boolean> {
  const written = await c.outbox.enqueue<MirrorTriggerPayload>({
    clientKey: link.clientKey,
    linkId: link.id,
    kind: MIRROR_TRIGGER,
    dedupeKey: `mirror:${link.id}`,
    payload: { linkId: link.id, refs, ...(actor && { actor }) },
    delayMs: c.debounceMs,
    delivery,
  });
  if (written) c.wake.kickIn(c.debounceMs);
  return written;
}

/**
 * Asks GitLab to pull from Bitbucket now. GitLab answers 200 even when it defers or ignores the request
 * (an update ran less than its interval ago, or one is running), so afterwards we read the mirror's real
 * state and keep it on the link for the settings page.
 *
 * For a project the app created, the mirror pulls with a Bitbucket access token the app minted, which
 * lives 2 hours: a fresh one is handed to GitLab first, so the update GitLab is about to run can clone.
 */
export const triggerMirror =
  (c: { links: Links; gitlab: GitLabFor; credentials: MirrorCredentials }): Deliverer =>
  async (item, log) => {
    const { linkId, refs = [], actor } = item.payload as unknown as MirrorTriggerPayload;
    const link = await c.links.byId(linkId);
    if (!link) return; // unlinked since: nothing to trigger
    const why = pushedBy(actor, refs);
    // Queued before the link learnt its token cannot trigger (or "Sync now"): nothing to ask GitLab.
    if (link.mirrorState?.triggerBlocked) return `${why}: GitLab updates the mirror on its own schedule`;
    const api = c.gitlab(link.gitlabUrl, link.token, link.clientKey);
    api.admit(2); // the trigger and the read of the mirror's state
    let renewed = "";
    if (link.managesMirror) {
      try {
        await c.credentials.refresh(link, api);
        renewed = "the mirror's Bitbucket credentials renewed; ";
      } catch (e) {
        const verdict = verdictOf(e);
        if (verdict.kind !== "deferred") await noteTriggerError(c.links, link, verdict.message);
        throw e;
      }
    }
    try {
      await api.triggerMirror(link.projectId);
    } catch (e) {
      // 403 for the token's role (demoted, or a workspace token that changed): stop asking, leave no
      // failed delivery. A paused ("hard failed") mirror also answers 403: that one the admin must fix.
      if (statusOf(e) === 403 && !/pause/i.test(gitlabMessage(e))) {
        await blockTrigger(c.links, link, `GitLab refused to start a mirror update for this token (403: ${gitlabMessage(e)})`);
        return `${why}: GitLab does not let this token start mirror updates; it updates the mirror on its own schedule`;
      }
      const failure = gitlabFailure(e, "Triggering the mirror update");
      await noteTriggerError(c.links, link, failure.message);
      throw failure;
    }
    try {
      const m = await api.mirror(link.projectId);
      await c.links.setMirrorState(link.id, {
        checkedAt: new Date().toISOString(),
        updateStatus: m.update_status ?? null,
        lastError: m.last_error ?? null,
        lastSuccessfulUpdateAt: m.last_successful_update_at ?? null,
        triggerError: null,
      });
      return `${why}: ${renewed}GitLab asked to update the mirror (${MIRROR_SAYS[m.update_status ?? ""] ?? "no update yet"})`;
    } catch (e) {
      // The trigger went through; not knowing the mirror's state is no reason to trigger again.
      log.warn({ reason: gitlabMessage(e) }, "could not read the mirror state after triggering");
      return `${why}: ${renewed}GitLab asked to update the mirror`;
    }
  };

const MIRROR_SAYS: Record<string, string> = {
  finished: "mirror up to date",
  started: "update running",
  scheduled: "update scheduled",
  failed: "the last update failed",
  none: "no update yet",
};

/** "Ada Lovelace pushed main, v1.0", for Recent activity; "Sync now" has no push behind it. */
function pushedBy(actor: string | undefined, refs: string[]): string {
  const what = refs.length ? ` ${refs.slice(0, 3).join(", ")}${refs.length > 3 ? ` and ${refs.length - 3} more` : ""}` : "";
  if (actor) return `${actor} pushed${what}`;
  return refs.length ? `Push to${what}` : "Sync now";
}

async function blockTrigger(links: Links, link: Link, reason: string): Promise<void> {
  await links.setMirrorState(link.id, {
    ...(link.mirrorState ?? { updateStatus: null, lastError: null, lastSuccessfulUpdateAt: null }),
    checkedAt: new Date().toISOString(),
    triggerError: null,
    triggerBlocked: reason,
  });
}

async function noteTriggerError(links: Links, link: Link, message: string): Promise<void> {
  await links.setMirrorState(link.id, {
    ...(link.mirrorState ?? { updateStatus: null, lastError: null, lastSuccessfulUpdateAt: null }),
    checkedAt: new Date().toISOString(),
    triggerError: message,
  });
}
