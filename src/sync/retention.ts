import type { Deliveries } from "../db/deliveries";
import type { Logger } from "../logger";
import type { Outbox } from "../outbox/outbox";

const DAY = 24 * 60 * 60_000;

/**
 * How long what intake and delivery leave behind is kept. Delivery ids only guard against resends:
 * GitLab resends by hand from its hook page, Bitbucket retries within hours, so 7 days is ample. Given-up
 * rows are for people to read and re-send from the settings page, which shows the last 20: 14 days and
 * at most 100 per link.
 */
export const RETENTION = { deliveryIdsMs: 7 * DAY, deadRowsMs: 14 * DAY, deadRowsPerLink: 100 };

export interface RetentionCollaborators {
  outbox: Pick<Outbox, "pruneDead">;
  deliveries: Pick<Deliveries, "prune">;
  log: Logger;
  everyMs: number;
}

/**
 * Prunes delivery ids and given-up rows on a timer, so neither table grows without bound (nothing
 * pruned them before). Every instance may run it: the deletes are idempotent.
 */
export class Retention {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: RetentionCollaborators) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => void this.runOnce().catch((err) => this.deps.log.error({ err }, "pruning failed")),
      this.deps.everyMs,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async runOnce(now = Date.now()): Promise<{ deliveries: number; dead: number }> {
    const deliveries = await this.deps.deliveries.prune(now - RETENTION.deliveryIdsMs);
    const dead = await this.deps.outbox.pruneDead(now - RETENTION.deadRowsMs, RETENTION.deadRowsPerLink);
    if (deliveries + dead > 0) this.deps.log.info({ deliveries, dead }, "pruned old delivery ids and given-up rows");
    return { deliveries, dead };
  }
}
