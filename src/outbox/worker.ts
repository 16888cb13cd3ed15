import { lazyChild, type Logger } from "../logger";
import { backoffMs } from "./backoff";
import { WorkAbandoned } from "../errors";
import { verdictOf } from "./failure";
import type { Outbox, OutboxItem } from "./outbox";

/**
 * Delivers one row. Returns normally when done (optionally with a line saying what it did, for the
 * link's event log); throws when not (a PeerFailure, WorkDeferred or WorkAbandoned says how to go on).
 */
export type Deliverer = (item: OutboxItem, log: Logger) => Promise<string | void>;

/** Where the worker reports each attempt (the link event log); failures to report are only logged. */
export type AttemptReporter = (
  item: OutboxItem,
  outcome: "done" | "retry" | "failed" | "deferred",
  summary: string,
  durationMs: number,
) => Promise<void>;

export interface WorkerOptions {
  concurrency: number;
  pollMs: number;
  maxAttempts: number;
}

/**
 * Claims due rows and runs their deliverers, up to `concurrency` at a time. It polls (so rows written by
 * other instances, and retries coming due, are found) and can be woken at once by `kick()` when this
 * instance has just written work, which keeps end-to-end latency low.
 */
export class OutboxWorker {
  private running = false;
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private pumping = false;
  private again = false;
  private leasesCheckedAt = 0;
  /** Deliveries outlived the stop's deadline: the database closes under them, which they then only note. */
  private outlived = false;

  constructor(
    private readonly outbox: Outbox,
    /** The deliverer of each kind of work, registered by the composition root for the use cases. */
    private readonly deliverers: Map<string, Deliverer>,
    private readonly opts: WorkerOptions,
    private readonly log: Logger,
    private readonly report: AttemptReporter = async () => undefined,
  ) {}

  /** Registers the deliverer of one kind of work (before `start`). */
  register(kind: string, deliverer: Deliverer): void {
    this.deliverers.set(kind, deliverer);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.outlived = false;
    this.kick();
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Deliveries under way on this instance, each until its outcome and event are written. */
  get delivering(): number {
    return this.inFlight.size;
  }

  /** Asks the worker to look for work now. Cheap to call often: calls during a pass fold into one more pass. */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  /**
   * Asks the worker to look in `ms`, for work written to run later: waking it now would only run a
   * claim that finds nothing (a statement per push, since mirror triggers are debounced).
   */
  kickIn(ms: number): void {
    if (!this.running) return;
    if (ms <= 0) return this.kick();
    const at = Date.now() + ms;
    if (this.pumping || (this.timer && this.timerAt <= at)) {
      // A pass is running or the worker already wakes sooner; that pass ends by scheduling the next wake
      // from the earliest due row, which includes this one.
      if (this.pumping) this.again = true;
      return;
    }
    this.sleep(ms);
  }

  private sleep(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = Date.now() + ms;
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  /** Stops claiming, waits for deliveries in flight up to the deadline; unfinished rows are left to their lease. */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const drained = Promise.allSettled([...this.inFlight]);
    await Promise.race([drained, new Promise((r) => setTimeout(r, deadlineMs).unref())]);
    if (this.inFlight.size > 0) {
      // Their rows stay leased to this instance: whoever runs next takes them when the lease runs out.
      this.outlived = true;
      this.log.warn(
        { deliveries: this.inFlight.size, deadlineMs },
        "stopping with deliveries still in flight: they run again once their lease runs out",
      );
    }
    await this.outbox.leave().catch((err: unknown) => this.log.warn({ err }, "could not sign the instance off"));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      do {
        this.again = false;
        if (Date.now() - this.leasesCheckedAt >= this.opts.pollMs) {
          this.leasesCheckedAt = Date.now();
          await this.outbox.heartbeat();
          await this.outbox.recoverExpiredLeases();
        }
        while (this.running) {
          const free = this.opts.concurrency - this.inFlight.size;
          if (free <= 0) break;
          const items = await this.outbox.claim(free);
          for (const item of items) this.track(this.deliver(item));
          if (items.length < free) break;
        }
      } while (this.again && this.running);
    } catch (err) {
      this.log.error({ err }, "outbox poll failed");
    }
    // Sleep until the next row comes due (a retry, a debounced trigger), but never longer than a poll:
    // other instances may have written work. While deliveries are in flight each one that ends wakes the
    // worker when work may be waiting (track), so the look-up is spared: under load it was a statement per pass.
    let wait = this.opts.pollMs;
    if (this.inFlight.size === 0) {
      try {
        const due = await this.outbox.nextDueIn();
        if (due != null) wait = Math.min(wait, Math.max(due, 5));
      } catch (err) {
        this.log.error({ err }, "outbox poll failed");
      }
    }
    this.pumping = false;
    if (this.running) {
      if (this.again) return this.kick();
      this.sleep(wait);
    }
  }

  /**
   * A delivery that ends wakes the worker when a claim now could find work: the row went back for later,
   * or the outbox says rows may be waiting (Outbox.mayHaveWork). Otherwise the claim would find nothing,
   * and rows of other instances or coming due later are the poll's.
   */
  private track(p: Promise<boolean>): void {
    const tracked: Promise<void> = p
      .catch(() => true)
      .then((wake) => {
        this.inFlight.delete(tracked);
        if (wake) this.kick();
      });
    this.inFlight.add(tracked);
  }

  /** Delivers one row and records the outcome; answers whether the worker should look for work now. */
  private async deliver(item: OutboxItem): Promise<boolean> {
    const log = lazyChild(this.log, {
      outboxId: item.id,
      kind: item.kind,
      clientKey: item.clientKey,
      linkId: item.linkId,
      attempt: item.attempts,
    });
    const started = Date.now();
    let outcome: Parameters<AttemptReporter>[1];
    let summary: string;
    try {
      const deliverer = this.deliverers.get(item.kind);
      if (!deliverer) throw new WorkAbandoned(`No deliverer for work of kind ${item.kind}`);
      summary = (await deliverer(item, log)) || `${item.kind} delivered`;
      await this.outbox.complete(item.id);
      if (item.linkId && this.outbox.isSticky(item.kind)) await this.outbox.holdCache(item.linkId);
      outcome = "done";
    } catch (e) {
      const verdict = verdictOf(e);
      summary = verdict.message;
      try {
        if (verdict.kind === "deferred") {
          outcome = "deferred";
          const until = Date.now() + (verdict.waitMs || this.opts.pollMs);
          if (verdict.holdsLink && item.linkId) await this.outbox.holdLink(item.linkId, until);
          await this.outbox.retry(item, until, verdict.message, false);
        } else if (verdict.kind === "permanent" || item.attempts >= this.opts.maxAttempts) {
          outcome = "failed";
          log.warn({ reason: verdict.message }, "delivery given up");
          await this.outbox.bury(item.id, verdict.message);
        } else {
          outcome = "retry";
          const delay = backoffMs(item.attempts, verdict.retryAfterMs);
          log.info({ reason: verdict.message, retryInMs: Math.round(delay) }, "delivery will be retried");
          await this.outbox.retry(item, Date.now() + delay, verdict.message);
        }
      } catch (err) {
        // The lease will run out and the row will be retried; nothing is lost. After a stop whose deadline
        // this delivery outlived, the database closes under it: expected, and said once at the stop (a
        // failure in the moment before it closes is noted the same way).
        if (this.outlived) log.info({ err }, "delivery outcome not recorded: the app had stopped");
        else log.error({ err }, "could not record the delivery outcome");
        return true;
      }
    }
    // Waiting for a rate budget is not news for the event log.
    if (outcome !== "deferred")
      await this.report(item, outcome, summary, Date.now() - started).catch((err: unknown) =>
        this.outlived
          ? log.info({ err }, "event not recorded: the app had stopped")
          : log.warn({ err }, "could not record the event"),
      );
    return outcome !== "done" || this.outbox.mayHaveWork(item);
  }
}
