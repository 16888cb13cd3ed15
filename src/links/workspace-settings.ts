import type { Deps } from "../deps";
import { badRequest } from "../errors";
import { HOST_ENTRY, hostAllowed } from "../gitlab/host-policy";

const MAX_HOSTS = 50;

/** The workspace's settings as its page shows them, and which linked repositories a host list leaves out. */
export async function workspaceSettingsView(deps: Pick<Deps, "links" | "workspaceSettings">, clientKey: string) {
  const s = await deps.workspaceSettings.get(clientKey);
  return {
    settings: {
      /** null: repositories may use any GitLab host. */
      allowedGitLabHosts: s.allowedGitLabHosts,
      updatedBy: s.updatedBy,
      updatedAt: s.allowedGitLabHosts === null && !s.updatedBy ? null : s.updatedAt.toISOString(),
    },
    /** Linked repositories whose GitLab host the list does not allow: their work now fails until changed. */
    linksOutsideHosts: await linksOutside(deps, clientKey, s.allowedGitLabHosts),
  };
}

/**
 * Stores the workspace's allowed GitLab hosts (null or an empty body: any host). Entries are host names,
 * optionally with a port or a leading `*.`; each is checked, lower-cased and de-duplicated. From now on
 * every GitLab call and git command for the workspace's links checks its host against the list.
 */
export async function saveWorkspaceSettings(
  deps: Pick<Deps, "gitlabHosts" | "links" | "log" | "workspaceSettings">,
  req: { clientKey: string; allowedGitLabHosts: string[] | null; user: string },
) {
  const hosts = req.allowedGitLabHosts === null ? null : normalizeHosts(req.allowedGitLabHosts);
  await deps.workspaceSettings.save(req.clientKey, { allowedGitLabHosts: hosts, updatedBy: req.user || null });
  deps.gitlabHosts.forget(req.clientKey);
  deps.log.info({ clientKey: req.clientKey, allowedGitLabHosts: hosts }, "workspace GitLab hosts saved");
  return workspaceSettingsView(deps, req.clientKey);
}

function normalizeHosts(raw: string[]): string[] {
  if (raw.length > MAX_HOSTS)
    throw badRequest(`At most ${MAX_HOSTS} hosts`, { allowedGitLabHosts: `At most ${MAX_HOSTS} hosts` });
  const hosts: string[] = [];
  for (const entry of raw) {
    const host = entry.trim().toLowerCase();
    if (!HOST_ENTRY.test(host)) {
      const message = `"${entry.slice(0, 100)}" is not a host name (e.g. gitlab.example.com, gitlab.example.com:8443 or *.example.com)`;
      throw badRequest(message, { allowedGitLabHosts: message });
    }
    if (!hosts.includes(host)) hosts.push(host);
  }
  if (hosts.length === 0) {
    const message = "List at least one host, or allow any host";
    throw badRequest(message, { allowedGitLabHosts: message });
  }
  return hosts;
}

async function linksOutside(deps: Pick<Deps, "links">, clientKey: string, allowed: string[] | null) {
  if (allowed === null) return [];
  const links = await deps.links.allForTenant(clientKey);
  return links
    .filter((l) => !hostAllowed(l.gitlabUrl, allowed))
    .map((l) => ({ repoUuid: l.repoUuid, repoFullName: l.repoFullName, gitlabUrl: l.gitlabUrl }));
}
