import { OwnerGone, PeerFailure, WorkAbandoned, WorkDeferred } from "../errors";
import type { SqlStore } from "./sql-store";

export interface BudgetOptions {
  /** Calls allowed per hour and installation; Bitbucket allows about 1,000 before answering 429. */
  perHour: number;
  /** How many calls may go at once after a quiet spell. */
  burst: number;
  /** How long an installation is held after a 429 that does not say (Bitbucket's limit is per rolling hour). */
  pauseAfter429Ms: number;
}

/**
 * A token bucket per Bitbucket installation, kept in the database so every instance draws from the same
 * one, plus a pause set when Bitbucket answers 429 anyway. Only that installation waits; others go on.
 */
export class TenantBudget {
  private readonly ratePerMs: number;

  constructor(
    private readonly sql: SqlStore,
    private readonly opts: BudgetOptions,
  ) {
    this.ratePerMs = opts.perHour / 3_600_000;
  }

  /**
   * Makes one Bitbucket call within the installation's budget: waits for it (WorkDeferred, which costs the
   * work no attempt) when it is spent, and holds the whole installation when Bitbucket answers 429.
   */
  async spend<T>(installationKey: string, call: () => Promise<T>): Promise<T> {
    const wait = await this.take(installationKey);
    if (wait > 0) throw new WorkDeferred("waiting for this installation's Bitbucket rate budget", wait);
    try {
      return await call();
    } catch (e) {
      if (e instanceof PeerFailure && e.status === 429) {
        await this.pause(installationKey, Date.now() + (e.retryAfterMs ?? this.opts.pauseAfter429Ms));
      }
      throw e;
    }
  }

  /**
   * Takes one call from the installation's budget. Returns 0 when it may call now, otherwise how many
   * milliseconds to wait (the budget is then left untouched).
   */
  async take(clientKey: string, now = Date.now()): Promise<number> {
    const { burst } = this.opts;
    const min = this.sql.dialect === "postgres" ? "LEAST" : "MIN";
    // `now` is bound, never spliced in: the statement's text must stay the same from call to call, since
    // direct-sql keeps one prepared statement per text.
    const refilled = `${min}(${burst}, tenant_budgets.tokens + (? - tenant_budgets.refilled_at) * ${this.ratePerMs})`;
    // Refill by elapsed time (capped at the burst) and spend one, in a single statement, so concurrent
    // workers of several instances cannot both spend the last token.
    const taken = await this.sql
      .query(
        `INSERT INTO tenant_budgets (client_key, tokens, refilled_at, paused_until) VALUES (?, ?, ?, 0)
       ON CONFLICT (client_key) DO UPDATE SET tokens = ${refilled} - 1, refilled_at = ?
       WHERE tenant_budgets.paused_until <= ? AND ${refilled} >= 1
       RETURNING tokens`,
        [clientKey, burst - 1, now, now, now, now, now],
      )
      .catch((err: unknown) => {
        // The installation was removed while this work was on its way: nothing may be sent for it.
        if (err instanceof OwnerGone) throw new WorkAbandoned("the app was uninstalled from this workspace");
        throw err;
      });
    if (taken.length > 0) return 0;
    const [row] = await this.sql.query<{
      tokens: number | string;
      refilled_at: number | string;
      paused_until: number | string;
    }>("SELECT tokens, refilled_at, paused_until FROM tenant_budgets WHERE client_key = ?", [clientKey]);
    if (!row) return 0;
    const pausedFor = Number(row.paused_until) - now;
    const tokens = Math.min(burst, Number(row.tokens) + (now - Number(row.refilled_at)) * this.ratePerMs);
    const refillFor = tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.ratePerMs);
    const wait = Math.max(pausedFor, refillFor, 1);
    // Out of tokens: hold the installation until the next one, so the outbox stops claiming its rows
    // (otherwise every waiting row would be claimed and put back again and again).
    if (refillFor > 0) await this.pause(clientKey, now + refillFor);
    return wait;
  }

  /**
   * How many calls the installation could make now, and how long until it could make `calls` more while
   * leaving `reserve` untouched (0 when it can now). Work that may wait (reports) asks this first, so
   * statuses keep their share when the budget runs low.
   */
  async headroom(clientKey: string, calls: number, reserve: number, now = Date.now()): Promise<number> {
    const [row] = await this.sql.query<{ tokens: number | string; refilled_at: number | string; paused_until: number | string }>(
      "SELECT tokens, refilled_at, paused_until FROM tenant_budgets WHERE client_key = ?",
      [clientKey],
    );
    const { burst } = this.opts;
    if (!row) return calls + reserve <= burst ? 0 : Math.ceil((calls + reserve - burst) / this.ratePerMs);
    const pausedFor = Number(row.paused_until) - now;
    const tokens = Math.min(burst, Number(row.tokens) + (now - Number(row.refilled_at)) * this.ratePerMs);
    const short = calls + reserve - tokens;
    return Math.max(pausedFor, short > 0 ? Math.ceil(short / this.ratePerMs) : 0, 0);
  }

  /** Hold every call of this installation until `until` (Bitbucket said 429, or the budget is spent). */
  async pause(clientKey: string, until: number): Promise<void> {
    until = Math.round(until); // paused_until is a BIGINT of milliseconds
    await this.sql.query(
      `UPDATE tenant_budgets SET paused_until = CASE WHEN paused_until < ? THEN ? ELSE paused_until END WHERE client_key = ?`,
      [until, until, clientKey],
    );
  }

  async removeTenant(clientKey: string): Promise<void> {
    await this.sql.query("DELETE FROM tenant_budgets WHERE client_key = ?", [clientKey]);
  }
}
