import { eraseTenant } from "../connect/erase-tenant";
import type { ForgeInstallationRow } from "../db/forge-installations";
import type { Deps } from "../deps";
import { PeerFailure } from "../errors";

const HOOK_REMOVAL_BUDGET_MS = 3_000;

export interface ForgeReaperOptions {
  goneAfterMs: number;
  eraseAfterMs: number;
  everyMs: number;
}

/** What erasing an installation touches (src/connect/erase-tenant.ts), and the Forge installations. */
type ErasingDeps = Parameters<typeof eraseTenant>[0];

export interface ForgeReaperCollaborators extends ErasingDeps, Pick<Deps, "forgeInstallations" | "findInstallation" | "log"> {
  options: ForgeReaperOptions;
}

// A token this close to its end is not used for the live check (the client would not send it).
const TOKEN_MARGIN_MS = 30_000;

/**
 * Forge sends no uninstall event (a `preUninstall` call, when Forge makes one, is only a hint). Silence is
 * no proof either: an outage of this service silences every installation, and their tokens end meanwhile.
 * So an installation silent for `goneAfterMs` (FORGE_GONE_AFTER_MS; Forge ticks hourly), or suspected by a
 * `preUninstall` hint, is only **suspected**: its catch-up sweeps pause, its queued work and GitLab webhooks
 * stay, and any verified call clears the mark. It is judged **gone** only on Bitbucket's word: Bitbucket
 * refused a token of it that had not ended (`refused_since`), or refuses (401/403) a live check made with
 * its still-valid token. Then its queued work is dropped, its status re-checks stop (a gone installation is
 * not found), and the GitLab webhooks registered for its links are removed, best effort. When every live
 * installation went silent at once (two or more), the silence is ours: nothing is suspected or retired.
 * Its data is erased `eraseAfterMs` later (FORGE_ERASE_AFTER_MS) unless a verified call revives it first
 * (ForgeInstallations.record). Every instance may run it: each step is a conditional update or delete.
 */
export class ForgeReaper {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly c: ForgeReaperCollaborators) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => void this.runOnce().catch((err) => this.c.log.error({ err }, "Forge uninstall check failed")),
      this.c.options.everyMs,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async runOnce(now = Date.now()): Promise<{ gone: string[]; erased: string[] }> {
    const store = this.c.forgeInstallations;
    const silentSince = now - this.c.options.goneAfterMs;
    const gone: string[] = [];
    const { live, recent } = await store.contactCounts(silentSince);
    if (live >= 2 && recent === 0) {
      this.c.log.warn(
        { installations: live },
        "every Forge installation went silent at once: taken for our own outage, none is suspected",
      );
    } else {
      for (const row of await store.looksGone(silentSince)) {
        if (await this.refusedByBitbucket(row)) {
          // No call since the one read above: a call racing the check wins.
          if (await this.retire(row.clientKey, now, row.lastContactAt + 1)) gone.push(row.clientKey);
        } else if (row.suspectedAt === null) {
          await store.suspect(row.clientKey, now);
          this.c.log.warn({ installation: row.clientKey }, "Forge installation silent: its sweeps pause until it calls again");
        }
      }
    }
    const erased: string[] = [];
    const before = now - this.c.options.eraseAfterMs;
    for (const key of await store.goneBefore(before)) {
      // Deleting the row first claims the erasure (one instance does it; a revive in between wins).
      if (!(await store.removeGone(key, before))) continue;
      await eraseTenant(this.c, key);
      erased.push(key);
      this.c.log.info({ installation: key }, "Forge installation gone past its grace period; its data is erased");
    }
    return { gone, erased };
  }

  /** Bitbucket's word that the installation's token is refused: earlier, or by a live check now. */
  private async refusedByBitbucket(row: ForgeInstallationRow): Promise<boolean> {
    if (row.refusedSince !== null) return true;
    // An ended token proves nothing (tokens live hours): only one that should still work can be refused.
    if (row.tokenExpiresAt - TOKEN_MARGIN_MS <= Date.now()) return false;
    const [link] = await this.c.links.allForTenant(row.clientKey);
    const installation = link ? await this.c.findInstallation(row.clientKey) : null;
    if (!link || !installation) return false;
    try {
      await installation.bitbucket.repositoryUuid(row.workspaceUuid, link.repoUuid);
      return false;
    } catch (e) {
      if (e instanceof PeerFailure && (e.status === 401 || e.status === 403)) return true;
      // A 401 is recorded by the client (ForgeInstallations.tokenRefused) before it asks us to wait.
      return (await this.c.forgeInstallations.find(row.clientKey))?.refusedSince != null;
    }
  }

  /**
   * Marks one installation gone (unless a call came after `silentSince`), drops its queued work and removes
   * its GitLab webhooks. Only on Bitbucket's word (see the class comment), never on a hint or silence alone.
   */
  async retire(key: string, now: number, silentSince: number): Promise<boolean> {
    if (!(await this.c.forgeInstallations.markGone(key, now, silentSince))) return false;
    await this.c.outbox.removeTenant(key);
    const links = await this.c.links.allForTenant(key);
    // Best effort, within a few seconds; a link whose hook went is told so (re-saving it registers a new one,
    // should the installation come back).
    const removeHook = async (l: (typeof links)[number]) => {
      await this.c.gitlab(l.gitlabUrl, l.token, l.clientKey).removeHook(l.projectId, l.webhookId!);
      await this.c.links.forgetWebhook(l.id);
    };
    await Promise.race([
      Promise.allSettled(links.filter((l) => l.webhookId != null).map(removeHook)),
      new Promise((r) => setTimeout(r, HOOK_REMOVAL_BUDGET_MS).unref()),
    ]);
    for (const link of links) this.c.linkCache.forget(link.id);
    this.c.log.warn(
      { installation: key, links: links.length },
      "Forge installation looks uninstalled: its work is stopped and its GitLab webhooks removed; its data is erased after the grace period unless it calls again",
    );
    return true;
  }
}
