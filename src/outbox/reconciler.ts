import type { Deps } from "../deps";
import { enqueueStatusSync } from "./enqueue";

const BATCH = 200;

/**
 * GitLab never resends a lost hook, so a status could stay INPROGRESS forever. Every `everyMs`, statuses
 * left INPROGRESS longer than `afterMs` are queued for a sync that re-reads the pipeline from GitLab; the
 * sync corrects the status and, if the pipeline had finished, marks the link's webhook as missing events.
 * Several instances may run this at once: the sync rows fold together per commit and ref.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: Deps) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => void this.runOnce().catch((err) => this.deps.log.error({ err }, "reconciliation failed")),
      this.deps.config.reconcile.everyMs,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Queues a check for each stale INPROGRESS status; returns how many. */
  async runOnce(now = Date.now()): Promise<number> {
    const stale = await this.deps.posted.staleInProgress(now - this.deps.config.reconcile.afterMs, BATCH);
    for (const s of stale) {
      if (s.ref == null) continue;
      await enqueueStatusSync(this.deps, { id: s.linkId, clientKey: s.clientKey }, s.sha, s.ref, s.pipelineId, true);
      await this.deps.posted.markChecked(s, now);
    }
    if (stale.length > 0) this.deps.log.info({ count: stale.length }, "queued checks of statuses left in progress");
    return stale.length;
  }
}
