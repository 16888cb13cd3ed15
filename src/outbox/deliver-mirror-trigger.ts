import type { Deps } from "../deps";
import { gitlabFailure, gitlabMessage } from "../gitlab/gitlab-api";
import type { MirrorTriggerPayload } from "./enqueue";
import type { Deliverer } from "./worker";

/**
 * Asks GitLab to pull from Bitbucket now. GitLab answers 200 even when it defers or ignores the request
 * (an update ran less than its interval ago, or one is running), so afterwards we read the mirror's real
 * state and keep it on the link for the settings page.
 */
export const deliverMirrorTrigger =
  (deps: Deps): Deliverer =>
  async (item, log) => {
    const { linkId } = item.payload as unknown as MirrorTriggerPayload;
    const link = await deps.links.byId(linkId);
    if (!link) return; // unlinked since: nothing to trigger
    const api = deps.gitlab(link.gitlabUrl, link.token);
    try {
      await api.triggerMirror(link.projectId);
    } catch (e) {
      const failure = gitlabFailure(e, "Triggering the mirror update");
      await deps.links.setMirrorState(link.id, {
        ...(link.mirrorState ?? { updateStatus: null, lastError: null, lastSuccessfulUpdateAt: null }),
        checkedAt: new Date().toISOString(),
        triggerError: failure.message,
      });
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
    } catch (e) {
      // The trigger went through; not knowing the mirror's state is no reason to trigger again.
      log.warn({ reason: gitlabMessage(e) }, "could not read the mirror state after triggering");
    }
  };
