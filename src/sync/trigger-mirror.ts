import type { Link, Links } from "../db/links";
import type { GitLabFor } from "../gitlab/gitlab-clients";
import { gitlabFailure, gitlabMessage } from "../gitlab/gitlab-api";
import type { Outbox } from "../outbox/outbox";
import type { Deliverer } from "../outbox/worker";
import { verdictOf } from "../outbox/failure";
import type { MirrorCredentials } from "../links/mirror-credentials";
import type { Delivery, Wakeup } from "./work";

export const MIRROR_TRIGGER = "mirror-trigger";

export interface MirrorTriggerPayload {
  linkId: string;
  refs: string[];
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
): Promise<boolean> {
  const written = await c.outbox.enqueue<MirrorTriggerPayload>({
    clientKey: link.clientKey,
    linkId: link.id,
    kind: MIRROR_TRIGGER,
    dedupeKey: `mirror:${link.id}`,
    payload: { linkId: link.id, refs },
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
    const { linkId } = item.payload as unknown as MirrorTriggerPayload;
    const link = await c.links.byId(linkId);
    if (!link) return; // unlinked since: nothing to trigger
    const api = c.gitlab(link.gitlabUrl, link.token, link.clientKey);
    api.admit(2); // the trigger and the read of the mirror's state
    let renewed = "";
    if (link.managesMirror) {
      try {
        const route = await c.credentials.refresh(link, api);
        renewed = `mirror credentials renewed (${route === "mirror-api" ? "PUT mirror/pull" : "import_url"}); `;
      } catch (e) {
        const verdict = verdictOf(e);
        if (verdict.kind !== "deferred") await noteTriggerError(c.links, link, verdict.message);
        throw e;
      }
    }
    try {
      await api.triggerMirror(link.projectId);
    } catch (e) {
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
      return `${renewed}mirror update requested; GitLab says ${m.update_status ?? "nothing"}`;
    } catch (e) {
      // The trigger went through; not knowing the mirror's state is no reason to trigger again.
      log.warn({ reason: gitlabMessage(e) }, "could not read the mirror state after triggering");
      return `${renewed}mirror update requested`;
    }
  };

async function noteTriggerError(links: Links, link: Link, message: string): Promise<void> {
  await links.setMirrorState(link.id, {
    ...(link.mirrorState ?? { updateStatus: null, lastError: null, lastSuccessfulUpdateAt: null }),
    checkedAt: new Date().toISOString(),
    triggerError: message,
  });
}
