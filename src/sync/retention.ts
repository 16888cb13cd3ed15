import type { Deliveries } from "../db/deliveries";
import type { PullRequests } from "../db/pull-requests";
import type { Logger } from "../logger";
import type { Outbox } from "../outbox/outbox";

const DAY = 24 * 60 * 60_000;

/**
 * How long what intake and delivery leave behind is kept. Delivery ids only guard against resends:
 * GitLab resends by hand from its hook page, Bitbucket retries within hours, so 7 days is ample. Given-up
 * rows are for people to read and re-send from the settings page, which shows the last 20: 14 days and
 * at most 100 per link.
 */
export const RETENTION = {
  deliveryIdsMs: 7 * DAY,
  deadRowsMs: 14 * DAY,
  deadRowsPerLink: 100,
  /**
   * A merged or declined pull request's row, once its merge pipeline was cancelled and its branch deleted.
   * Kept a while because it is what makes a late, older event of that pull request (Bitbucket retries for
   * hours) be ignored rather than run a pipeline again: 7 days, as delivery ids.
   */
  closedPullRequestsMs: 7 * DAY,
  /** …and one whose clean-up never succeeded: any later run of the link retries it, until then. */
  uncleanedPullRequestsMs: 30 * DAY,
};

export interface RetentionCollaborators {
  outbox: Pick<Outbox, "pruneDead">;
  deliveries: Pick<Deliveries, "prune">;
  pullRequests: Pick<PullRequests, "pruneClosed">;
  log: Logger;
  everyMs: number;
}

/**
 * Prunes delivery ids, given-up rows and closed pull requests on a timer, so neither table grows without bound (nothing
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

  async runOnce(now = Date.now()): Promise<{ deliveries: number; dead: number; pullRequests: number }> {
    const deliveries = await this.deps.deliveries.prune(now - RETENTION.deliveryIdsMs);
    const dead = await this.deps.outbox.pruneDead(now - RETENTION.deadRowsMs, RETENTION.deadRowsPerLink);
    const pullRequests = await this.deps.pullRequests.pruneClosed(
      now - RETENTION.closedPullRequestsMs,
      now - RETENTION.uncleanedPullRequestsMs,
    );
    if (deliveries + dead + pullRequests > 0)
      this.deps.log.info({ deliveries, dead, pullRequests }, "pruned old delivery ids, given-up rows and closed pull requests");
    return { deliveries, dead, pullRequests };
  }
}
