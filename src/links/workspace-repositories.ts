import type { Link } from "../db/links";
import type { Deps } from "../deps";
import { hostAllowed } from "../gitlab/host-policy";
import type { Installation } from "../installations/installation";

export type RepositoryState = "ok" | "waiting" | "warning" | "failing";

/**
 * The workspace's linked repositories as its settings page lists them (issue 15, item 10): which GitLab
 * project each is linked to, its state in a word and a sentence, and a link to its repository settings page.
 */
export async function workspaceRepositories(
  deps: Pick<Deps, "config" | "findInstallation" | "links" | "workspaceSettings">,
  clientKey: string,
) {
  const [links, installation, settings] = await Promise.all([
    deps.links.allForTenant(clientKey),
    deps.findInstallation(clientKey),
    deps.workspaceSettings.get(clientKey),
  ]);
  const repositories = links
    .sort((a, b) => (a.repoFullName ?? a.repoUuid).localeCompare(b.repoFullName ?? b.repoUuid))
    .map((link) => {
      const { state, summary } = stateOf(link, settings.allowedGitLabHosts);
      return {
        repoUuid: link.repoUuid,
        repoFullName: link.repoFullName,
        gitlabUrl: link.gitlabUrl,
        projectPath: link.projectPath,
        sync: link.sync,
        tokenSource: link.tokenSource,
        state,
        summary,
        settingsUrl: repositorySettingsUrl(installation, deps.config.appKey, link.repoFullName),
      };
    });
  return { repositories };
}

/** What a repository's link needs, most urgent first, from what the app last saw (no GitLab call). */
export function stateOf(link: Link, allowedHosts: string[] | null): { state: RepositoryState; summary: string } {
  if (!hostAllowed(link.gitlabUrl, allowedHosts))
    return { state: "failing", summary: `${new URL(link.gitlabUrl).host} is not an allowed GitLab host: nothing is sent there` };
  if (link.sync === "push" && link.lastSync?.error)
    return { state: "failing", summary: `Last push sync failed: ${link.lastSync.error}` };
  const mirrorError = link.mirrorState?.triggerError ?? link.mirrorState?.lastError;
  if (link.sync === "mirror" && mirrorError) return { state: "failing", summary: `Mirror: ${mirrorError}` };
  if (link.webhookMissedAt != null)
    return { state: "warning", summary: "GitLab's webhook missed events: statuses came from the catch-up sweep" };
  if (link.webhookLastReceivedAt == null) return { state: "waiting", summary: "Waiting for GitLab's first webhook delivery" };
  return { state: "ok", summary: "Working" };
}

/**
 * Bitbucket's address of a repository's GitLab CI settings page: Connect admin pages live at
 * `{web}/{workspace}/{repo}/admin/addon/admin/{app key}/{page key}` (the descriptor's adminPages key).
 * Forge pages have addresses only Bitbucket knows, and a link without its full name has no address: null.
 */
export function repositorySettingsUrl(
  installation: Installation | null,
  appKey: string,
  repoFullName: string | null,
): string | null {
  if (!installation || installation.edition !== "connect" || !repoFullName) return null;
  const path = repoFullName.split("/").map(encodeURIComponent).join("/");
  return `${installation.webBaseUrl.replace(/\/+$/, "")}/${path}/admin/addon/admin/${encodeURIComponent(appKey)}/repository-settings`;
}
