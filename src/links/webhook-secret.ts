import { randomBytes } from "node:crypto";
import type { Link } from "../db/links";
import type { Deps } from "../deps";
import { toLinkError } from "./gitlab-errors";
import { webhookUrl } from "./link-view";

/**
 * "New secret": the link's GitLab webhook gets a fresh secret token. For the hook the app added, GitLab is
 * told first (so no delivery is refused in between); a hook added by hand gets the secret back, once, to
 * paste into GitLab. Either way the old secret stops working.
 */
export async function rotateWebhookSecret(
  deps: Pick<Deps, "audit" | "config" | "gitlab" | "linkCache" | "links" | "log">,
  link: Link,
  actor: string | null,
): Promise<{ url: string; registered: boolean; secret?: string }> {
  const secret = randomBytes(32).toString("base64url");
  const url = webhookUrl(deps.config.baseUrl, link.id);
  if (link.webhookId != null) {
    try {
      await deps.gitlab(link.gitlabUrl, link.token, link.clientKey).setHookSecret(link.projectId, link.webhookId, url, secret);
    } catch (e) {
      throw toLinkError(e, "project");
    }
  }
  await deps.links.setWebhookSecret(link.id, secret);
  deps.linkCache.forget(link.id);
  await deps.audit.record(link.clientKey, link.repoUuid, {
    actor,
    action: "changed",
    summary: link.webhookId != null ? "Gave the GitLab webhook a new secret" : "Made a new webhook secret, to paste into GitLab",
  });
  deps.log.info({ linkId: link.id, registered: link.webhookId != null }, "webhook secret renewed");
  return link.webhookId != null ? { url, registered: true } : { url, registered: false, secret };
}
