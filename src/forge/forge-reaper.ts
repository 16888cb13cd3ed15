import { eraseTenant } from "../connect/erase-tenant";
import type { Deps } from "../deps";

const HOOK_REMOVAL_BUDGET_MS = 3_000;

export interface ForgeReaperOptions {
  goneAfterMs: number;
  eraseAfterMs: number;
  everyMs: number;
}

/** What erasing an installation touches (src/connect/erase-tenant.ts), and the Forge installations. */
type ErasingDeps = Parameters<typeof eraseTenant>[0];

export interface ForgeReaperCollaborators extends ErasingDeps, Pick<Deps, "forgeInstallations" | "log"> {
  options: ForgeReaperOptions;
}

/**
 * Forge sends no uninstall event (a `preUninstall` call, when Forge makes one, is only a hint). An
 * installation is judged gone when no verified call came from it for `goneAfterMs` (FORGE_GONE_AFTER_MS;
 * Forge ticks hourly) and the freshest token it left has ended or was refused by Bitbucket. Then its queued
 * work is dropped, its catch-up sweeps and status re-checks stop (a gone installation is not found), and
 * the GitLab webhooks registered for its links are removed, best effort. Its data is erased `eraseAfterMs`
 * later (FORGE_ERASE_AFTER_MS) unless a verified call revives it first (ForgeInstallations.record). Every
 * instance may run it: each step is a conditional update or an idempotent delete.
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
    const silentSince = now - this.c.options.goneAfterMs;
    const gone: string[] = [];
    for (const key of await this.c.forgeInstallations.looksGone(now, silentSince)) {
      if (await this.retire(key, now, silentSince)) gone.push(key);
    }
    const erased: string[] = [];
    for (const key of await this.c.forgeInstallations.goneBefore(now - this.c.options.eraseAfterMs)) {
      await eraseTenant(this.c, key);
      erased.push(key);
      this.c.log.info({ installation: key }, "Forge installation gone past its grace period; its data is erased");
    }
    return { gone, erased };
  }

  /**
   * Marks one installation gone (unless a call came after `silentSince`), drops its queued work and removes
   * its GitLab webhooks. Also used for a `preUninstall` hint, with `silentSince` in the future.
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
