import type { Link } from "../db/links";
import type { Deps } from "../deps";
import { gitlabFailure, gitlabMessage } from "../gitlab/gitlab-api";
import { refreshMirrorCredentials } from "../links/mirror-credentials";
import type { MirrorTriggerPayload } from "./enqueue";
import { asDeliveryFailure } from "./failure";
import type { Deliverer } from "./worker";

/**
 * Asks GitLab to pull from Bitbucket now. GitLab answers 200 even when it defers or ignores the request
 * (an update ran less than its interval ago, or one is running), so afterwards we read the mirror's real
 * state and keep it on the link for the settings page.
 *
 * For a project the app created, the mirror pulls with a Bitbucket access token the app minted, which
 * lives 2 hours: a fresh one is handed to GitLab first, so the update GitLab is about to run can clone.
 */
export const deliverMirrorTrigger =
  (deps: Deps): Deliverer =>
  async (item, log) => {
    const { linkId } = item.payload as unknown as MirrorTriggerPayload;
    const link = await deps.links.byId(linkId);
    if (!link) return; // unlinked since: nothing to trigger
    const api = deps.gitlab(link.gitlabUrl, link.token);
    let renewed = "";
    if (link.managesMirror) {
      try {
        const route = await refreshMirrorCredentials(deps, link, api);
        renewed = `mirror credentials renewed (${route === "mirror-api" ? "PUT mirror/pull" : "import_url"}); `;
      } catch (e) {
        const failure = asDeliveryFailure(e);
        if (!failure.deferred) await noteTriggerError(deps, link, failure.message);
        throw failure;
      }
    }
    try {
      await api.triggerMirror(link.projectId);
    } catch (e) {
      const failure = gitlabFailure(e, "Triggering the mirror update");
      await noteTriggerError(deps, link, failure.message);
      throw failure;
    }
    try {
      const m = await api.mirror(link.projectId);
      await deps.links.setMirrorState(link.id, {
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

async function noteTriggerError(deps: Deps, link: Link, message: string): Promise<void> {
  await deps.links.setMirrorState(link.id, {
    ...(link.mirrorState ?? { updateStatus: null, lastError: null, lastSuccessfulUpdateAt: null }),
    checkedAt: new Date().toISOString(),
    triggerError: message,
  });
}
