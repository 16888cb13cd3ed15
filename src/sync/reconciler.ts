import type { Links } from "../db/links";
import type { LinkSweeps } from "../db/link-sweeps";
import { scheduleCatchUps, type CatchUpOptions } from "./catch-up";
import type { PostedStatuses } from "../db/posted-statuses";
import type { Logger } from "../logger";
import type { Outbox } from "../outbox/outbox";
import { queueStatusSync } from "./sync-statuses";
import { queueMirrorTrigger } from "./trigger-mirror";
import type { Wakeup } from "./work";

export interface ReconcilerCollaborators {
  sweeps: LinkSweeps;
  catchUp: CatchUpOptions;
  outbox: Outbox;
  wake: Wakeup;
  debounceMs: number;
  posted: PostedStatuses;
  links: Pick<Links, "managedMirrorsIdleSince">;
  log: Logger;
  reconcile: { afterMs: number; everyMs: number };
}

const BATCH = 200;
/** The Bitbucket access tokens the app mints for mirrors live 2 hours; renew well before. */
export const MIRROR_CREDENTIALS_EVERY_MS = 90 * 60_000;

/**
 * GitLab never resends a lost hook, so a status could stay INPROGRESS forever. Every `everyMs`, statuses
 * left INPROGRESS longer than `afterMs` are queued for a sync that re-reads the pipeline from GitLab; the
 * sync corrects the status and, if the pipeline had finished, marks the link's webhook as missing events.
 * Several instances may run this at once: the sync rows fold together per commit and ref.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ReconcilerCollaborators) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => void this.runOnce().catch((err) => this.deps.log.error({ err }, "reconciliation failed")),
      this.deps.reconcile.everyMs,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * GitLab also pulls on its own schedule, with the credentials it holds; for mirrors the app manages
   * those expire 2 hours after the last push. A mirror trigger renews them (the trigger deliverer mints a
   * fresh token first), so one is queued for every managed mirror idle for 90 minutes.
   */
  async renewMirrorCredentials(now = Date.now()): Promise<number> {
    const idle = await this.deps.links.managedMirrorsIdleSince(now - MIRROR_CREDENTIALS_EVERY_MS, BATCH);
    for (const link of idle) await queueMirrorTrigger(this.deps, link, []);
    if (idle.length > 0) this.deps.log.info({ count: idle.length }, "renewing the Bitbucket credentials of idle mirrors");
    return idle.length;
  }

  /** Queues a check for each stale INPROGRESS status; returns how many. */
  async runOnce(now = Date.now()): Promise<number> {
    const stale = await this.deps.posted.staleInProgress(now - this.deps.reconcile.afterMs, BATCH);
    for (const s of stale) {
      if (s.ref == null) continue;
      await queueStatusSync(
        this.deps,
        { id: s.linkId, clientKey: s.clientKey },
        { sha: s.sha, ref: s.ref, pipelineId: s.pipelineId, reconcile: true },
      );
      await this.deps.posted.markChecked(s, now);
    }
    if (stale.length > 0) this.deps.log.info({ count: stale.length }, "queued checks of statuses left in progress");
    await this.renewMirrorCredentials(now);
    await scheduleCatchUps({ ...this.deps, options: this.deps.catchUp }, now);
    return stale.length;
  }
}
