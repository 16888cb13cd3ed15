import type { Deps } from "../deps";

const HOOK_REMOVAL_BUDGET_MS = 3_000;

/**
 * Forgets an installation entirely: its links with their tokens and secrets, the workspace's default
 * GitLab token, queued work, delivery records and posted-status memory, then the tenant and its secret.
 * The GitLab webhooks we registered are removed best effort first (a hook left behind gets 404s from us
 * and GitLab disables it).
 */
export async function eraseTenant(
  deps: Pick<
    Deps,
    | "audit"
    | "budget"
    | "deliveries"
    | "events"
    | "gitlab"
    | "linkCache"
    | "links"
    | "outbox"
    | "posted"
    | "tenants"
    | "workspaceDefaults"
    | "workspaceSettings"
  >,
  clientKey: string,
): Promise<void> {
  const links = await deps.links.allForTenant(clientKey);
  await Promise.race([
    Promise.allSettled(
      links
        .filter((l) => l.webhookId != null)
        .map((l) => deps.gitlab(l.gitlabUrl, l.token, l.clientKey).removeHook(l.projectId, l.webhookId!)),
    ),
    new Promise((r) => setTimeout(r, HOOK_REMOVAL_BUDGET_MS).unref()),
  ]);
  await deps.outbox.removeTenant(clientKey);
  await deps.deliveries.removeTenant(clientKey);
  await deps.budget.removeTenant(clientKey);
  await deps.workspaceDefaults.removeTenant(clientKey);
  await deps.workspaceSettings.removeTenant(clientKey);
  await deps.events.removeTenant(clientKey);
  await deps.audit.removeTenant(clientKey);
  for (const link of links) await deps.posted.removeLink(link.id);
  await deps.links.removeTenant(clientKey);
  for (const link of links) deps.linkCache.forget(link.id);
  await deps.tenants.tenants.remove(clientKey);
  deps.tenants.forget(clientKey);
}
