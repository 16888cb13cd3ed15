import { QueryTypes } from "sequelize";
import { proveTenantRepository } from "../connect/prove-install";
import type { Deps } from "../deps";
import { FORGE_KEY_PREFIX, type Fit } from "./fit-claims";

/** Adopts the Connect edition's links of the workspace when a Forge call names one of its repositories. */
export type AdoptConnectLinks = (fit: Fit, repoUuid: string) => Promise<number>;

export type AdoptCollaborators = Pick<
  Deps,
  "sequelize" | "tenants" | "linkCache" | "log" | "findInstallation" | "gitlabHosts"
> & {
  appKey: string;
  timeoutMs: number;
  /** Bitbucket's word that a tenant is genuine and installed where the repository is (src/connect/prove-install.ts). */
  prove?: typeof proveTenantRepository;
};

const OWN = "SELECT id FROM links WHERE client_key = ? AND repo_uuid = ?";
const CONNECT_HOLDERS = "SELECT client_key FROM links WHERE repo_uuid = ? AND client_key NOT LIKE ?";
const GONE_HOLDERS = `SELECT l.client_key FROM links l JOIN forge_installations f ON f.client_key = l.client_key
  WHERE l.repo_uuid = ? AND f.workspace_uuid = ? AND f.gone_at IS NOT NULL AND l.client_key <> ?`;
const MOVABLE = `SELECT id FROM links
  WHERE client_key = ? AND repo_uuid NOT IN (SELECT repo_uuid FROM links WHERE client_key = ?)`;
const MARK_POSTER = "UPDATE posted_statuses SET poster = ? WHERE link_id = ? AND poster IS NULL";
const MOVE = "UPDATE links SET client_key = ?, adopted_from = ? WHERE id = ? AND client_key = ?";
// The workspace's default GitLab token goes along (copied: the tenant keeps its own until it is uninstalled).
const COPY_DEFAULTS = `INSERT INTO workspace_defaults
    (client_key, gitlab_url, token, token_hint, token_owner, token_owner_name, updated_by, created_at, updated_at)
  SELECT ?, gitlab_url, token, token_hint, token_owner, token_owner_name, updated_by, created_at, updated_at
  FROM workspace_defaults WHERE client_key = ? ON CONFLICT (client_key) DO NOTHING`;
const HOSTS = "SELECT client_key, allowed_gitlab_hosts FROM workspace_settings WHERE client_key IN (?, ?)";
const SAVE_HOSTS = `INSERT INTO workspace_settings (client_key, allowed_gitlab_hosts, updated_by, updated_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (client_key) DO UPDATE SET allowed_gitlab_hosts = excluded.allowed_gitlab_hosts,
    updated_by = excluded.updated_by, updated_at = excluded.updated_at`;

/**
 * The allowed GitLab hosts after a move: a list beats none (any host); of two lists, only the entries both
 * allow stay (possibly none: the most restrictive wins, and an admin widens it on the workspace page).
 */
export function mergedHosts(a: string[] | null, b: string[] | null): string[] | null {
  if (a === null) return b;
  if (b === null) return a;
  const other = new Set(b.map((h) => h.toLowerCase()));
  return a.filter((h) => other.has(h.toLowerCase()));
}

/**
 * Migration from Connect (issue 11, item 8). When the Forge edition is installed beside the Connect edition,
 * the workspace's links move to the Forge installation the first time a Forge call names one of its
 * repositories (its settings page or a push event), once that repository is proven in the Forge
 * installation's workspace: by the FIT's own page context (Atlassian signed the repository and the
 * workspace), or, for an event (whose body, and so its repository uuid, nobody signed), by Bitbucket
 * showing the repository at `/2.0/repositories/{installation's workspace}/{uuid}` to the installation's
 * system token. The Connect tenant that holds a link of it is trusted only once
 * Bitbucket grants it a token bound to that repository, which proves the tenant genuine and installed in
 * the same workspace (the workspace its install payload claimed is never used). Then all of that tenant's
 * links move at once (they were made through pages Bitbucket signed for that workspace): `client_key`
 * becomes the Forge installation's, `adopted_from` keeps the tenant. From that moment the Forge identity
 * posts every new status; a status the Connect identity created keeps being finished by it while it is
 * installed (`posted_statuses.poster`; Bitbucket lets only a status's creator overwrite it). Uninstalling
 * the Connect edition afterwards erases only what is still its own.
 */
export function connectLinkAdopter(c: AdoptCollaborators): AdoptConnectLinks {
  const prove = c.prove ?? proveTenantRepository;
  function select<T extends object>(sql: string, replacements: unknown[]): Promise<T[]> {
    return c.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });
  }

  // Moves every link of `from` to the Forge installation (but a repository it already links); how many moved.
  async function adoptFrom(from: string, forgeKey: string, markPoster: boolean): Promise<number> {
    const moved = await c.sequelize.transaction(async (transaction) => {
      const ids = await c.sequelize.query<{ id: string }>(MOVABLE, {
        replacements: [from, forgeKey],
        type: QueryTypes.SELECT,
        transaction,
      });
      for (const { id } of ids) {
        // Who created what is on Bitbucket now: the tenant, for every status posted so far.
        if (markPoster) {
          await c.sequelize.query(MARK_POSTER, { replacements: [from, id], type: QueryTypes.UPDATE, transaction });
        }
        await c.sequelize.query(MOVE, { replacements: [forgeKey, from, id, from], type: QueryTypes.UPDATE, transaction });
      }
      if (ids.length > 0) {
        // The workspace's settings are kept per installation: they move with its links, in the same step.
        await c.sequelize.query(COPY_DEFAULTS, { replacements: [forgeKey, from], type: QueryTypes.INSERT, transaction });
        const rows = await c.sequelize.query<{ client_key: string; allowed_gitlab_hosts: string | null }>(HOSTS, {
          replacements: [from, forgeKey],
          type: QueryTypes.SELECT,
          transaction,
        });
        const hostsOf = (key: string) => {
          const raw = rows.find((r) => r.client_key === key)?.allowed_gitlab_hosts;
          return raw == null ? null : (JSON.parse(raw) as string[]);
        };
        const hosts = mergedHosts(hostsOf(forgeKey), hostsOf(from));
        if (hosts !== null) {
          await c.sequelize.query(SAVE_HOSTS, {
            replacements: [forgeKey, JSON.stringify(hosts), "carried over with the links", new Date()],
            type: QueryTypes.INSERT,
            transaction,
          });
        }
      }
      return ids.map((r) => r.id);
    });
    c.gitlabHosts.forget(forgeKey);
    for (const id of moved) c.linkCache.forget(id);
    return moved.length;
  }

  // Whether the repository is in the Forge installation's workspace, on Atlassian's or Bitbucket's word.
  async function inWorkspace(fit: Fit, repoUuid: string): Promise<boolean> {
    if (fit.ui) return fit.ui.repoUuid === repoUuid && fit.ui.workspaceUuid === fit.workspaceUuid;
    try {
      const installation = await c.findInstallation(fit.installationKey);
      return (await installation?.bitbucket.repositoryUuid(fit.workspaceUuid, repoUuid)) === repoUuid;
    } catch (err) {
      c.log.warn({ err, installation: fit.installationKey, repoUuid }, "Bitbucket could not say where the repository is");
      return false;
    }
  }

  return async (fit, repoUuid) => {
    const forgeKey = fit.installationKey;
    const [own] = await select<{ id: string }>(OWN, [forgeKey, repoUuid]);
    if (own) return 0;
    // Forge gives a reinstalled app a new installation id: the links of an earlier installation of the same
    // workspace, judged gone (src/forge/forge-reaper.ts) and not yet erased, come back with it. Both
    // workspaces are Atlassian's signed word, and both post as the same app, so statuses need no hand-over.
    const earlier = await select<{ client_key: string }>(GONE_HOLDERS, [repoUuid, fit.workspaceUuid, forgeKey]);
    if (earlier[0]) {
      const from = earlier[0].client_key;
      const moved = await adoptFrom(from, forgeKey, false);
      c.log.info(
        { installation: forgeKey, from, links: moved },
        "a reinstalled Forge app took back its earlier installation's links",
      );
      return moved;
    }
    const holders = await select<{ client_key: string }>(CONNECT_HOLDERS, [repoUuid, `${FORGE_KEY_PREFIX}%`]);
    if (holders.length === 0) return 0;
    if (!(await inWorkspace(fit, repoUuid))) {
      c.log.warn(
        { installation: forgeKey, workspace: fit.workspaceUuid, repoUuid },
        "Connect links not adopted: the repository is not shown to be in the Forge installation's workspace",
      );
      return 0;
    }
    for (const { client_key: clientKey } of holders) {
      const tenant = await c.tenants.tenants.find(clientKey);
      if (!tenant || !(await prove(tenant, c.appKey, c.timeoutMs, repoUuid))) {
        c.log.warn(
          { installation: forgeKey, tenant: clientKey, repoUuid },
          "Connect links not adopted: Bitbucket does not vouch for the tenant in this workspace",
        );
        continue;
      }
      const moved = await adoptFrom(clientKey, forgeKey, true);
      c.log.info(
        { installation: forgeKey, tenant: clientKey, workspace: fit.workspaceUuid, links: moved },
        "the Forge installation adopted the Connect edition's links of its workspace",
      );
      return moved;
    }
    return 0;
  };
}
